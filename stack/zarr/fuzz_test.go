package zarr

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/pierrec/lz4/v4"
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

// FuzzLZ4Runs encodes run-heavy streams built from arbitrary bytes (pairs
// of a value and a run length, noise where the input says so) with every
// period: the block must decode to the stream, be the one the previous
// parse writes, and leave the bytes past the bound untouched (the parse
// stores without bounds checks).
func FuzzLZ4Runs(f *testing.F) {
	f.Add([]byte{0, 200, 7, 3, 0, 255, 1, 1, 2, 2}, uint8(2))
	f.Add([]byte{5, 0, 5, 0, 9, 80}, uint8(1))
	f.Add(make([]byte, 64), uint8(4))
	f.Fuzz(func(t *testing.T, in []byte, per uint8) {
		period := int(per%8) + 1
		var src []byte
		for i := 0; i+1 < len(in) && len(src) < 1<<17; i += 2 {
			v, n := in[i], int(in[i+1])
			if v&0x80 != 0 {
				// noise: n bytes that follow from v
				for k := range n {
					src = append(src, v^byte(k*37))
				}
				continue
			}
			for range n * period {
				src = append(src, v)
			}
		}
		has2, has512 := hasAVX2, hasAVX512
		defer func() { hasAVX2, hasAVX512 = has2, has512 }()
		for _, vec := range []string{"avx512", "avx2", "go"} {
			if vec == "avx512" && !has512 {
				continue
			}
			hasAVX2, hasAVX512 = has2 && vec != "go", has512 && vec == "avx512"
			bound := lz4RunsBound(len(src))
			buf := make([]byte, bound+64)
			for i := range buf {
				buf[i] = 0xa5
			}
			m := lz4Runs(buf[:bound:bound], src, period)
			for i, b := range buf[bound:] {
				if b != 0xa5 {
					t.Fatalf("%s: byte %d past the bound written", vec, i)
				}
			}
			ref := make([]byte, bound)
			if r := lz4RunsRef(ref, src, period); r != m || !bytes.Equal(ref[:r], buf[:m]) {
				t.Fatalf("%s: %d bytes, the previous parse %d (or other bytes)", vec, m, r)
			}
			if m == 0 {
				continue
			}
			got := make([]byte, len(src))
			k, err := lz4.UncompressBlock(buf[:m], got)
			if err != nil || k != len(src) || !bytes.Equal(got, src) {
				t.Fatalf("%s: the block does not decode to the stream (%d of %d bytes, %v)", vec, k, len(src), err)
			}
		}
	})
}
