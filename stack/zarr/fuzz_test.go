package zarr

import (
	"bytes"
	"encoding/json"
	"testing"
)

// fuzzMaxChunk keeps fuzzed metadata from asking for large buffers.
const fuzzMaxChunk = 1 << 20

// FuzzMetadata parses arbitrary bytes as .zarray and zarr.json documents.
// Errors are fine; panics are not, and metadata that parses must survive
// being written and parsed again unchanged.
func FuzzMetadata(f *testing.F) {
	for _, s := range []string{goodV2, goodV3,
		`{"zarr_format": 2, "shape": [3, 5, 7], "chunks": [1, 5, 4], "dtype": ">f8", "compressor": {"id": "blosc", "cname": "zstd", "clevel": 5, "shuffle": 2, "blocksize": 0}, "fill_value": "NaN", "order": "F", "filters": [], "dimension_separator": "/"}`,
		`{"zarr_format": 3, "node_type": "array", "shape": [2, 3, 4], "data_type": "float32", "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [1, 3, 2]}}, "chunk_key_encoding": {"name": "v2", "configuration": {"separator": "."}}, "fill_value": "0x7fc00000", "codecs": [{"name": "transpose", "configuration": {"order": [2, 0, 1]}}, {"name": "bytes", "configuration": {"endian": "big"}}, {"name": "blosc", "configuration": {"cname": "lz4", "clevel": 5, "shuffle": "shuffle", "typesize": 4, "blocksize": 0}}, {"name": "crc32c"}], "attributes": {"a": 1}, "dimension_names": ["z", null, "x"]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, parse := range []func([]byte) (*arrayMeta, error){
			func(b []byte) (*arrayMeta, error) { return parseV2(b, []byte(`{"x": 1}`), fuzzMaxChunk) },
			func(b []byte) (*arrayMeta, error) { return parseV3(b, fuzzMaxChunk) },
		} {
			m, err := parse(doc)
			if err != nil {
				continue
			}
			_ = m.chunkKey(make([]int, len(m.shape)))
			_ = m.codec()
			if m.perm != nil {
				continue // written arrays are always in C order
			}
			// Write the metadata out and read it back.
			var d map[string]any
			var again *arrayMeta
			if m.version == 2 {
				d = m.v2Doc()
			} else {
				d = m.v3Doc()
			}
			b, err := marshalDoc(d)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			if m.version == 2 {
				again, err = parseV2(b, m.attrs, fuzzMaxChunk)
			} else {
				again, err = parseV3(b, fuzzMaxChunk)
			}
			if err != nil {
				t.Fatalf("written metadata does not parse: %v\n%s", err, b)
			}
			if !equalInts(again.shape, m.shape) || !equalInts(again.chunks, m.chunks) || again.dtype != m.dtype ||
				again.byteOrder != m.byteOrder || !bytes.Equal(again.fill, m.fill) && m.fillValue == m.fillValue {
				t.Fatalf("metadata changed on the way through:\n%+v\n%+v", m, again)
			}
		}
	})
}

// FuzzChunk decodes arbitrary bytes as a chunk of every codec.
func FuzzChunk(f *testing.F) {
	data := imageLike(Uint16, []int{20, 30}, 1)
	for _, c := range []Codec{BloscLZ4(5), BloscZstd(5), {Name: "blosc", CName: "zlib", Level: 3, Shuffle: ByteShuffle, BlockSize: 256},
		{Name: "blosc", CName: "lz4", Level: 5, Shuffle: NoShuffle, BlockSize: 300}, Zstd(3), Zlib(3), Gzip(3)} {
		enc, err := newBytesCodec(c, 2).encode(nil, data)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc, uint16(len(data)))
	}
	f.Add([]byte{2, 1, 0x10, 2, 0, 4, 0, 0, 0, 4, 0, 0, 40, 0, 0, 0}, uint16(1024))
	codecs := []bytesCodec{&bloscCodec{}, zstdCodec{}, zlibCodec{}, gzipCodec{}, numcodecsLZ4{}, crc32cCodec{}}
	f.Fuzz(func(t *testing.T, src []byte, want uint16) {
		for _, c := range codecs {
			out, err := c.decode(src, int(want), fuzzMaxChunk, nil)
			if err == nil && len(out) != int(want) {
				t.Fatalf("%T decoded %d bytes, want %d", c, len(out), want)
			}
			_, _ = c.decode(src, -1, 1<<16, nil)
		}
		dst := make([]byte, want)
		if n, err := blosclzDecode(src, dst); n > len(dst) || n < 0 {
			t.Fatalf("blosclz wrote %d of %d bytes (%v)", n, len(dst), err)
		}
	})
}

// FuzzNGFF parses arbitrary group attributes as OME-NGFF metadata.
func FuzzNGFF(f *testing.F) {
	f.Add([]byte(`{"multiscales": [{"version": "0.4", "axes": [{"name": "z", "type": "space", "unit": "micrometer"}, {"name": "y", "type": "space"}, {"name": "x", "type": "space"}], "datasets": [{"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1, 0.5, 0.5]}, {"type": "translation", "translation": [0, 1, 1]}]}], "coordinateTransformations": [{"type": "scale", "scale": [2, 2, 2]}]}], "omero": {"channels": []}}`))
	f.Add([]byte(`{"ome": {"version": "0.5", "labels": ["a"], "image-label": {"colors": [{"label-value": 1, "rgba": [1, 2, 3, 4]}], "source": {"image": "../../"}}, "multiscales": [{"axes": ["z", "y", "x"], "datasets": [{"path": "0"}]}]}}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		var attrs map[string]json.RawMessage
		if json.Unmarshal(doc, &attrs) != nil {
			return
		}
		a, err := ngffOf(attrs)
		if err != nil {
			return
		}
		for _, ms := range a.Multiscales {
			axes, err := parseAxes(ms.Axes)
			if err != nil {
				continue
			}
			_, _, _ = transforms(ms.Transform, len(axes))
			for _, d := range ms.Datasets {
				_, _, _ = transforms(d.Transform, len(axes))
			}
		}
		for _, ax := range []string{"micron", string(doc)} {
			_, _ = NormalizeUnit(ax)
		}
	})
}
