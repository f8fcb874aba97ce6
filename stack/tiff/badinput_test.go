package tiff

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// craftPage is one page of a hand-built TIFF.
type craftPage struct {
	fields []field // besides the strip offsets
	data   []byte  // one strip
	offset uint64  // if set, replaces the strip's true offset
}

// craft lays out a little-endian TIFF with one strip per page. patch may
// edit each page's fields (after offsets are known) before encoding.
func craft(big bool, pages []craftPage) []byte {
	var out []byte
	if big {
		out = []byte{'I', 'I', 43, 0, 8, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0}
	} else {
		out = []byte{'I', 'I', 42, 0, 8, 0, 0, 0}
	}
	for i, p := range pages {
		fs := func(off uint64) []field {
			f := append([]field(nil), p.fields...)
			if p.offset != 0 {
				off = p.offset
			}
			return append(f, offsetField(tagStripOffsets, big, []uint64{off}))
		}
		at := uint64(len(out))
		n := uint64(len(encodeIFD(fs(0), big, at, 0)))
		dataAt := at + n
		next := uint64(0)
		if i+1 < len(pages) {
			next = dataAt + uint64(len(p.data)) + uint64(len(p.data)&1)
		}
		out = append(out, encodeIFD(fs(dataAt), big, at, next)...)
		out = append(out, p.data...)
		if len(p.data)&1 == 1 {
			out = append(out, 0)
		}
	}
	return out
}

// grayFields describes a w×h uint8 page with a strip of n bytes.
func grayFields(w, h uint32, comp uint16, n uint32) []field {
	return []field{
		longField(tagImageWidth, w), longField(tagImageLength, h),
		shortField(tagBitsPerSample, 8), shortField(tagCompression, comp),
		shortField(tagPhotometric, 1), longField(tagStripByteCounts, n),
		longField(tagRowsPerStrip, h),
	}
}

// with returns fs with each of extra added, replacing a field of the same tag.
func with(fs []field, extra ...field) []field {
	out := append([]field(nil), fs...)
	for _, e := range extra {
		replaced := false
		for i := range out {
			if out[i].tag == e.tag {
				out[i], replaced = e, true
			}
		}
		if !replaced {
			out = append(out, e)
		}
	}
	return out
}

func openBytes(b []byte, opts ...Option) (*Reader, error) {
	return NewReader(bytes.NewReader(b), int64(len(b)), opts...)
}

func readAll(r *Reader) error {
	buf := make([]byte, r.PlaneBytes())
	for i := 0; i < r.Pages(); i++ {
		if err := r.ReadPlaneInto(i, buf); err != nil {
			return err
		}
	}
	return nil
}

func twoPages() []craftPage {
	return []craftPage{
		{fields: grayFields(4, 3, 1, 12), data: bytes.Repeat([]byte{1}, 12)},
		{fields: grayFields(4, 3, 1, 12), data: bytes.Repeat([]byte{2}, 12)},
	}
}

func TestCraftedFileReads(t *testing.T) {
	for _, big := range []bool{false, true} {
		r, err := openBytes(craft(big, twoPages()))
		require.NoError(t, err)
		require.Equal(t, 2, r.Pages())
		buf := make([]byte, 12)
		require.NoError(t, r.ReadPlaneInto(1, buf))
		require.Equal(t, bytes.Repeat([]byte{2}, 12), buf)
	}
}

func requireFormatError(t *testing.T, err error) {
	t.Helper()
	var fe FormatError
	require.True(t, errors.As(err, &fe), "want FormatError, got %v", err)
}

func TestBadHeaders(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":     {},
		"short":     []byte("II*"),
		"magic":     []byte("XX*\x00\x08\x00\x00\x00"),
		"version":   []byte("II\x2b\x01\x08\x00\x00\x00"),
		"bigshort":  []byte("II+\x00\x08\x00\x00\x00"),
		"bigoffset": []byte("II+\x00\x04\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00"),
		"noifd":     []byte("II*\x00\x00\x00\x00\x00"),
		"ifdpast":   []byte("II*\x00\xff\xff\x00\x00"),
		"ifdinside": []byte("II*\x00\x02\x00\x00\x00"),
	} {
		_, err := openBytes(b)
		require.Error(t, err, name)
		requireFormatError(t, err)
	}
}

func TestIFDLoop(t *testing.T) {
	b := craft(false, twoPages())
	// Point the second IFD's next offset back to the first IFD.
	first := binary.LittleEndian.Uint32(b[4:])
	n := binary.LittleEndian.Uint16(b[first:])
	next1 := first + 2 + uint32(n)*12
	second := binary.LittleEndian.Uint32(b[next1:])
	n2 := binary.LittleEndian.Uint16(b[second:])
	binary.LittleEndian.PutUint32(b[second+2+uint32(n2)*12:], first)
	_, err := openBytes(b)
	requireFormatError(t, err)
	require.ErrorContains(t, err, "loops")
	// A self loop too.
	binary.LittleEndian.PutUint32(b[next1:], first)
	_, err = openBytes(b)
	require.ErrorContains(t, err, "loops")
}

func TestBadPages(t *testing.T) {
	plane := bytes.Repeat([]byte{7}, 12)
	cases := map[string]struct {
		fields  []field
		data    []byte
		offset  uint64
		opts    []Option
		atRead  bool // the error shows when the plane is read
		limit   bool // a *LimitError
		unsupp  bool // an UnsupportedError
		noError bool
	}{
		"strip past end":      {fields: grayFields(4, 3, 1, 12), data: plane, offset: 1 << 30, atRead: true},
		"strip straddles end": {fields: grayFields(4, 3, 1, 12), data: plane, offset: 200, atRead: true},
		"count past end":      {fields: grayFields(4, 3, 8, 1<<20), data: plane, atRead: true},
		"no width":            {fields: grayFields(0, 3, 1, 12), data: plane},
		"huge plane":          {fields: grayFields(1<<31, 1<<31, 1, 12), data: plane, limit: true},
		"limit option":        {fields: grayFields(4, 3, 1, 12), data: plane, opts: []Option{WithMaxPlaneBytes(8)}, limit: true},
		"huge tile": {fields: with(grayFields(4, 3, 1, 12), longField(tagTileWidth, 1<<16), longField(tagTileLength, 1<<16),
			offsetField(tagTileOffsets, false, []uint64{8}), longField(tagTileByteCounts, 12)), data: plane, limit: true},
		"absurd description count": {fields: with(grayFields(4, 3, 1, 12), field{tagImageDescription, typeASCII, 1 << 30, []byte{1, 2, 3, 4}}), data: plane},
		"few byte counts":          {fields: with(grayFields(4, 3, 1, 12), longField(tagRowsPerStrip, 1)), data: plane},
		"short strip":              {fields: with(grayFields(4, 3, 1, 12), longField(tagStripByteCounts, 5)), data: plane, atRead: true},
		"unknown tags skipped": {fields: with(grayFields(4, 3, 1, 12), field{60000, 99, 1, []byte{1, 2, 3, 4}},
			field{60001, typeDouble, 3, make([]byte, 24)}), data: plane, noError: true},
		"jpeg":            {fields: grayFields(4, 3, 7, 12), data: plane, unsupp: true},
		"rgb short strip": {fields: with(grayFields(4, 3, 1, 12), shortField(tagSamplesPerPixel, 3)), data: plane, atRead: true},
		// YCbCr without YCbCrSubSampling is 2x2 subsampled: 2x2 units of
		// 6 bytes, more than the strip holds.
		"ycbcr short strip": {fields: with(grayFields(4, 3, 1, 12), shortField(tagSamplesPerPixel, 3), shortField(tagPhotometric, 6)), data: plane, atRead: true},
		"ycbcr 1x1": {fields: with(grayFields(2, 2, 1, 12), shortField(tagSamplesPerPixel, 3), shortField(tagPhotometric, 6),
			field{tagYCbCrSubSampling, typeShort, 2, []byte{1, 0, 1, 0}}), data: plane, noError: true},
		"ycbcr subsampling 3": {fields: with(grayFields(4, 3, 1, 12), shortField(tagSamplesPerPixel, 3), shortField(tagPhotometric, 6),
			field{tagYCbCrSubSampling, typeShort, 2, []byte{3, 0, 1, 0}}), data: plane},
		"ycbcr one subsampling value": {fields: with(grayFields(4, 3, 1, 12), shortField(tagSamplesPerPixel, 3), shortField(tagPhotometric, 6),
			field{tagYCbCrSubSampling, typeShort, 1, []byte{2, 0, 0, 0}}), data: plane},
		"ycbcr two samples": {fields: with(grayFields(4, 3, 1, 12), shortField(tagSamplesPerPixel, 2), shortField(tagPhotometric, 6)), data: plane},
		"ycbcr subsampled planar": {fields: with(grayFields(4, 3, 1, 12), shortField(tagSamplesPerPixel, 3), shortField(tagPhotometric, 6),
			shortField(tagPlanarConfig, 2)), data: plane, unsupp: true},
		"ycbcr subsampled predictor": {fields: with(grayFields(4, 3, 8, 12), shortField(tagSamplesPerPixel, 3), shortField(tagPhotometric, 6),
			shortField(tagPredictor, 2)), data: plane, unsupp: true},
		"absurd samples":  {fields: with(grayFields(4, 3, 1, 12), shortField(tagSamplesPerPixel, 1000)), data: plane},
		"16-bit float":    {fields: with(grayFields(2, 3, 1, 12), shortField(tagBitsPerSample, 16), shortField(tagSampleFormat, 3)), data: plane, noError: true},
		"fill order 2":    {fields: with(grayFields(4, 3, 1, 12), shortField(tagFillOrder, 2)), data: plane, noError: true},
		"fill order 3":    {fields: with(grayFields(4, 3, 1, 12), shortField(tagFillOrder, 3)), data: plane},
		"8-bit float":     {fields: with(grayFields(2, 2, 1, 12), shortField(tagBitsPerSample, 8), shortField(tagSampleFormat, 3)), data: plane, unsupp: true},
		"48-bit uint":     {fields: with(grayFields(1, 1, 1, 8), shortField(tagBitsPerSample, 48)), data: plane, unsupp: true},
		"48-bit int":      {fields: with(grayFields(1, 2, 1, 12), shortField(tagBitsPerSample, 48), shortField(tagSampleFormat, 2)), data: plane, unsupp: true},
		"0 bits":          {fields: with(grayFields(4, 3, 1, 12), shortField(tagBitsPerSample, 0)), data: plane},
		"65 bits":         {fields: with(grayFields(4, 3, 1, 12), shortField(tagBitsPerSample, 65)), data: plane},
		"complex samples": {fields: with(grayFields(1, 3, 1, 12), shortField(tagBitsPerSample, 32), shortField(tagSampleFormat, 6)), data: plane, unsupp: true},
		"12-bit short strip": {fields: with(grayFields(4, 3, 1, 12), shortField(tagBitsPerSample, 12), longField(tagStripByteCounts, 17)),
			data: plane, atRead: true},
		"12-bit horizontal predictor": {fields: with(grayFields(4, 3, 5, 12), shortField(tagBitsPerSample, 12), shortField(tagPredictor, 2)),
			data: plane, unsupp: true},
		"int8 floating-point predictor": {fields: with(grayFields(4, 3, 5, 12), shortField(tagSampleFormat, 2), shortField(tagPredictor, 3)),
			data: plane, unsupp: true},
		"bad zstd":           {fields: grayFields(4, 3, 50000, 12), data: plane, atRead: true},
		"bad lzma":           {fields: grayFields(4, 3, 34925, 12), data: plane, atRead: true},
		"xz huge dictionary": {fields: grayFields(4, 3, 34925, 24), data: xzHeader(0x03, 40), atRead: true},
		"xz bcj filter":      {fields: grayFields(4, 3, 34925, 24), data: xzHeader(0x04, 20), atRead: true, unsupp: true},
		"xz truncated":       {fields: grayFields(4, 3, 34925, 24), data: xzHeader(0x03, 20)[:24], atRead: true},
		"bad predictor":      {fields: with(grayFields(4, 3, 5, 12), shortField(tagPredictor, 9)), data: plane, unsupp: true},
		"bad deflate":        {fields: grayFields(4, 3, 8, 12), data: plane, atRead: true},
		"bad lzw":            {fields: grayFields(4, 3, 5, 12), data: []byte{0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, atRead: true},
		"short packbits":     {fields: grayFields(4, 3, 32773, 2), data: []byte{0xfe, 1}, atRead: true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			b := craft(false, []craftPage{{c.fields, c.data, c.offset}})
			r, err := openBytes(b, c.opts...)
			if c.atRead || c.noError {
				require.NoError(t, err)
				err = readAll(r)
			}
			if c.noError {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			switch {
			case c.limit:
				var le *LimitError
				require.True(t, errors.As(err, &le), "want LimitError, got %v", err)
			case c.unsupp:
				var ue UnsupportedError
				require.True(t, errors.As(err, &ue), "want UnsupportedError, got %v", err)
			default:
				requireFormatError(t, err)
			}
		})
	}
}

// xzHeader returns the start of an .xz stream (24 bytes) whose block
// declares filter first (0x03 delta, 0x04 x86 BCJ) and then LZMA2 with
// dictionary code dict; its LZMA2 data is cut off.
func xzHeader(first byte, dict byte) []byte {
	b := []byte{0xfd, '7', 'z', 'X', 'Z', 0, 0, 1, 0, 0, 0, 0}
	// Block header: size (2+1)*4 = 12 bytes, flags 1 (two filters).
	b = append(b, 2, 1, first, 1, 0, 0x21, 1, dict, 0, 0, 0, 0)
	return b
}

func TestDifferentPagesRefused(t *testing.T) {
	pages := twoPages()
	pages[1].fields = grayFields(3, 4, 1, 12)
	_, err := openBytes(craft(false, pages))
	var ue UnsupportedError
	require.True(t, errors.As(err, &ue), "%v", err)
	// A reduced-resolution page is skipped instead.
	pages[1].fields = with(pages[1].fields, longField(tagNewSubfileType, 1))
	r, err := openBytes(craft(false, pages))
	require.NoError(t, err)
	require.Equal(t, 1, r.Pages())
}

func TestMaxPages(t *testing.T) {
	_, err := openBytes(craft(false, twoPages()), WithMaxPages(1))
	var le *LimitError
	require.True(t, errors.As(err, &le), "%v", err)
}

func TestDecompressionBombBounded(t *testing.T) {
	// A 4x3 plane whose deflate strip expands to 8 MiB: only the 12 bytes
	// the plane needs are produced.
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, 8<<20))
	zw.Close()
	b := craft(false, []craftPage{{fields: grayFields(4, 3, 8, uint32(z.Len())), data: z.Bytes()}})
	r, err := openBytes(b)
	require.NoError(t, err)
	buf := bytes.Repeat([]byte{9}, 12)
	require.NoError(t, r.ReadPlaneInto(0, buf))
	require.Equal(t, make([]byte, 12), buf)
}

// TestTruncatedFiles cuts valid files at every length: each prefix either
// fails with an error or, when the cut only removes padding, reads the
// same pixels. Nothing panics.
func TestTruncatedFiles(t *testing.T) {
	m := loadManifest(t)
	for _, name := range []string{"uint16_lzw2_strip_le.tif", "float32_zip3_tile_le.tif", "int16_packbits1_tile_be.tif", "imagej_hyper_u16.tif"} {
		var f *fixture
		for i := range m.Fixtures {
			if m.Fixtures[i].File == name {
				f = &m.Fixtures[i]
			}
		}
		if f == nil {
			continue
		}
		full, err := readFileBytes(fixturePath(name))
		require.NoError(t, err)
		want := expectedPlanes(t, *f)
		step := max(1, len(full)/300)
		for n := 0; n < len(full); n += step {
			r, err := openBytes(full[:n])
			if err != nil {
				continue
			}
			buf := make([]byte, r.PlaneBytes())
			for i := 0; i < r.Pages(); i++ {
				if r.ReadPlaneInto(i, buf) == nil {
					require.Equal(t, want[i], buf, "%s cut at %d, plane %d", name, n, i)
				}
			}
		}
	}
}

func readFileBytes(path string) ([]byte, error) { return os.ReadFile(path) }

// TestImageJContiguousLayout reads ImageJ's layout for stacks over 4 GiB,
// scaled down: one IFD whose description says images=3, with the three
// planes stored back to back.
func TestImageJContiguousLayout(t *testing.T) {
	data := make([]byte, 3*12)
	for i := range data {
		data[i] = byte(i)
	}
	fields := with(grayFields(4, 3, 1, 12), asciiField(tagImageDescription, "ImageJ=1.53t\nimages=3\nslices=3\nloop=false\n"))
	b := craft(false, []craftPage{{fields: fields, data: data}})
	r, err := openBytes(b)
	require.NoError(t, err)
	require.Equal(t, 3, r.Pages())
	require.Equal(t, 3, r.Metadata().Slices)
	buf := make([]byte, 12)
	for i := 2; i >= 0; i-- {
		require.NoError(t, r.ReadPlaneInto(i, buf))
		require.Equal(t, data[12*i:12*i+12], buf)
	}
	// When the file is too short for the planes it announces, only the
	// pages with IFDs are offered.
	r, err = openBytes(b[:len(b)-13])
	require.NoError(t, err)
	require.Equal(t, 1, r.Pages())
}

func TestMissingByteCountsSingleStrip(t *testing.T) {
	fields := grayFields(4, 3, 1, 12)
	var kept []field
	for _, f := range fields {
		if f.tag != tagStripByteCounts {
			kept = append(kept, f)
		}
	}
	r, err := openBytes(craft(false, []craftPage{{fields: kept, data: bytes.Repeat([]byte{5}, 12)}}))
	require.NoError(t, err)
	buf := make([]byte, 12)
	require.NoError(t, r.ReadPlaneInto(0, buf))
	require.Equal(t, bytes.Repeat([]byte{5}, 12), buf)
	// Compressed strips need their byte counts.
	kept = with(kept, shortField(tagCompression, 8))
	_, err = openBytes(craft(false, []craftPage{{fields: kept, data: bytes.Repeat([]byte{5}, 12)}}))
	requireFormatError(t, err)
}

func TestOpenErrorsNameTheFile(t *testing.T) {
	_, err := Open("testdata/does-not-exist.tif")
	require.Error(t, err)
	_, err = Open("testdata/manifest.json")
	require.ErrorContains(t, err, "testdata/manifest.json")
	requireFormatError(t, err)
}

// TestSparseBlocksReadAsZeros reads a file whose second tile (or strip) is
// missing, recorded with offset and byte count 0.
func TestSparseBlocksReadAsZeros(t *testing.T) {
	for _, tiled := range []bool{false, true} {
		data := bytes.Repeat([]byte{9}, 8)
		offTag, cntTag := uint16(tagStripOffsets), uint16(tagStripByteCounts)
		fields := []field{
			longField(tagImageWidth, 4), longField(tagImageLength, 4), shortField(tagBitsPerSample, 8),
			shortField(tagCompression, 1), shortField(tagPhotometric, 1),
		}
		if tiled {
			offTag, cntTag = tagTileOffsets, tagTileByteCounts
			fields = append(fields, longField(tagTileWidth, 4), longField(tagTileLength, 2))
		} else {
			fields = append(fields, longField(tagRowsPerStrip, 2))
		}
		build := func(dataAt uint32) []byte {
			f := append(append([]field(nil), fields...), longField(offTag, dataAt, 0), longField(cntTag, 8, 0))
			return encodeIFD(f, false, 8, 0)
		}
		ifd := build(0)
		b := append([]byte{'I', 'I', 42, 0, 8, 0, 0, 0}, build(uint32(8+len(ifd)))...)
		b = append(b, data...)
		r, err := openBytes(b)
		require.NoError(t, err)
		buf := bytes.Repeat([]byte{1}, 16)
		require.NoError(t, r.ReadPlaneInto(0, buf))
		require.Equal(t, append(bytes.Repeat([]byte{9}, 8), make([]byte, 8)...), buf, "tiled=%v", tiled)
	}
}
