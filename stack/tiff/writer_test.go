package tiff

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

var allDTypes = []stack.DType{stack.Uint8, stack.Uint16, stack.Uint32, stack.Int16, stack.Int32, stack.Float32}

// testPlanes makes z planes of y×x samples mixing smooth ramps, flat runs
// and noise, as native-endian bytes.
func testPlanes(dt stack.DType, s stack.Shape, seed uint64) [][]byte {
	rng := rand.New(rand.NewPCG(seed, uint64(dt)))
	size := dt.Size()
	planes := make([][]byte, s.Z)
	for z := range planes {
		p := make([]byte, s.Y*s.X*size)
		for y := 0; y < s.Y; y++ {
			for x := 0; x < s.X; x++ {
				i := (y*s.X + x) * size
				var v uint64
				switch {
				case y%5 == 1: // a flat run
					v = uint64(z)
				case y%5 == 2: // noise
					v = rng.Uint64()
				default: // a ramp
					v = uint64(3*x + 7*y + 11*z)
				}
				if dt == stack.Float32 {
					f := float32(v%100000)/7 - 300
					if y%5 == 2 {
						f = math.Float32frombits(uint32(v))
						if f != f { // keep NaN payloads out of exact comparisons
							f = 1
						}
					}
					v = uint64(math.Float32bits(f))
				}
				for b := 0; b < size; b++ {
					if nativeLE {
						p[i+b] = byte(v >> (8 * b))
					} else {
						p[i+size-1-b] = byte(v >> (8 * b))
					}
				}
			}
		}
		planes[z] = p
	}
	return planes
}

type writeCase struct {
	dt   stack.DType
	comp Compression
	pred Predictor
	tile int
	big  bool
}

func (c writeCase) String() string {
	return strings.Join([]string{c.dt.String(), c.comp.String(), c.pred.String(),
		map[bool]string{true: "tile" + itoa(c.tile), false: "strip"}[c.tile > 0],
		map[bool]string{true: "big", false: "classic"}[c.big]}, "_")
}

func itoa(n int) string { return strconv.Itoa(n) }

// writeCases lists every combination the writer supports.
func writeCases() []writeCase {
	var cs []writeCase
	for _, dt := range allDTypes {
		for _, comp := range []Compression{None, LZW, Deflate, PackBits} {
			preds := []Predictor{NoPredictor}
			if comp == LZW || comp == Deflate {
				if dt == stack.Float32 {
					preds = append(preds, FloatingPoint)
				} else {
					preds = append(preds, Horizontal)
				}
			}
			for _, pred := range preds {
				for _, tile := range []int{0, 16} {
					for _, big := range []bool{false, true} {
						cs = append(cs, writeCase{dt, comp, pred, tile, big})
					}
				}
			}
		}
	}
	return cs
}

func writePlanes(t testing.TB, path string, opts WriterOptions, planes [][]byte) {
	t.Helper()
	w, err := Create(path, opts)
	require.NoError(t, err)
	for _, p := range planes {
		require.NoError(t, w.WritePlane(p))
	}
	require.NoError(t, w.Close())
}

func TestRoundTripEveryCombination(t *testing.T) {
	dir := t.TempDir()
	shapes := []stack.Shape{{Z: 3, Y: 37, X: 29}, {Z: 2, Y: 300, X: 500}}
	for _, c := range writeCases() {
		t.Run(c.String(), func(t *testing.T) {
			t.Parallel()
			for si, s := range shapes {
				if si == 1 && c.tile > 0 {
					continue // the small shape has edge tiles already; many tiny tiles are slow under -race
				}
				if si == 1 && c.dt.Size() == 1 {
					s.X = 1000 // keep several strips for 8-bit data too
				}
				planes := testPlanes(c.dt, s, uint64(si))
				path := filepath.Join(dir, c.String()+itoa(si)+".tif")
				writePlanes(t, path, WriterOptions{Shape: s, DType: c.dt, Compression: c.comp, Predictor: c.pred, Tile: c.tile, BigTIFF: c.big}, planes)
				r, err := Open(path)
				require.NoError(t, err)
				require.Equal(t, s, r.Shape())
				require.Equal(t, c.dt, r.DType())
				require.Equal(t, c.comp, r.Compression())
				require.Equal(t, c.pred, r.Predictor())
				require.Equal(t, c.tile > 0, r.Tiled())
				require.Equal(t, c.big, r.BigTIFF())
				if si == 1 && c.tile == 0 {
					_, rps := r.TileSize()
					require.Less(t, rps, s.Y, "large planes are split into several strips")
				}
				buf := make([]byte, r.PlaneBytes())
				for z := s.Z - 1; z >= 0; z-- {
					require.NoError(t, r.ReadPlaneInto(z, buf))
					require.True(t, bytes.Equal(planes[z], buf), "plane %d differs", z)
				}
				require.NoError(t, r.Close())
			}
		})
	}
}

func TestWriterMetadataRoundTrip(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	v := stack.New[uint16](stack.Shape{Z: 12, Y: 5, X: 4})
	for i := range v.Data {
		v.Data[i] = uint16(i * 37)
	}
	path := filepath.Join(dir, "hyper.tif")
	require.NoError(t, WriteVolume(ctx, path, v, WriterOptions{Channels: 2, Frames: 3, PixelSizeX: 0.125, PixelSizeY: 0.25, SpacingZ: 2.5, Unit: "µm"}))
	r, err := Open(path)
	require.NoError(t, err)
	defer r.Close()
	md := r.Metadata()
	require.NotNil(t, md.ImageJ)
	require.Equal(t, 12, md.ImageJ.Images)
	require.Equal(t, []int{2, 2, 3}, []int{md.Channels, md.Slices, md.Frames})
	require.True(t, md.ImageJ.Hyperstack)
	require.Equal(t, "micron", md.Unit, "micrometres in ImageJ's spelling")
	require.Contains(t, md.Description, "\nunit=micron\n")
	require.InDelta(t, 0.125, md.PixelSizeX, 1e-9)
	require.InDelta(t, 0.25, md.PixelSizeY, 1e-9)
	require.InDelta(t, 2.5, md.PixelSizeZ, 1e-12)
	require.Equal(t, 2, r.Channels())
	got, err := ReadVolume[uint16](ctx, r)
	require.NoError(t, err)
	require.Equal(t, v.Data, got.Data)

	opts := r.WriterOptions()
	require.Equal(t, 2, opts.Channels)
	require.Equal(t, 3, opts.Frames)
	require.InDelta(t, 2.5, opts.SpacingZ, 1e-12)

	// uint32 gets tifffile's shaped description, not an ImageJ one.
	u := stack.New[uint32](stack.Shape{Z: 3, Y: 2, X: 2})
	path = filepath.Join(dir, "u32.tif")
	require.NoError(t, WriteVolume(ctx, path, u, WriterOptions{}))
	r2, err := Open(path)
	require.NoError(t, err)
	defer r2.Close()
	require.Nil(t, r2.Metadata().ImageJ)
	require.Equal(t, []int{3, 2, 2}, r2.Metadata().Shaped)

	// An explicit description is kept verbatim.
	path = filepath.Join(dir, "desc.tif")
	require.NoError(t, WriteVolume(ctx, path, u, WriterOptions{Description: "hello"}))
	r3, err := Open(path)
	require.NoError(t, err)
	defer r3.Close()
	require.Equal(t, "hello", r3.Metadata().Description)
}

// dirNames lists dir, to check that no temporary file is left behind.
func dirNames(t *testing.T, dir string) []string {
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestWriterTempFileLifecycle(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.tif")
	opts := WriterOptions{Shape: stack.Shape{Z: 2, Y: 3, X: 3}, DType: stack.Uint8}
	plane := make([]byte, 9)

	w, err := Create(path, opts)
	require.NoError(t, err)
	names := dirNames(t, dir)
	if w.of.Unnamed() {
		require.Empty(t, names, "an O_TMPFILE has no name until Close")
	} else {
		require.Len(t, names, 1)
		require.True(t, strings.HasPrefix(names[0], ".out.tif.segstack-tmp-"), names[0])
	}
	require.NoError(t, w.WritePlane(plane))
	require.NoFileExists(t, path)
	// Too few planes: Close fails and removes the temporary file.
	err = w.Close()
	require.ErrorContains(t, err, "1 of 2 declared planes")
	require.ErrorContains(t, err, path)
	require.Empty(t, dirNames(t, dir))
	require.Error(t, w.WritePlane(plane))

	// Abort removes the temporary file.
	w, err = Create(path, opts)
	require.NoError(t, err)
	require.NoError(t, w.WritePlane(plane))
	w.Abort()
	w.Abort()
	require.Empty(t, dirNames(t, dir))

	// Too many planes, wrong sizes, wrong types are refused.
	w, err = Create(path, opts)
	require.NoError(t, err)
	require.Error(t, w.WritePlane(plane[:8]))
	require.Error(t, WritePlaneOf(w, []uint16{1, 2, 3, 4, 5, 6, 7, 8, 9}))
	require.NoError(t, w.WritePlane(plane))
	require.NoError(t, WritePlaneOf(w, plane))
	require.Error(t, w.WritePlane(plane))
	require.NoError(t, w.Close())
	require.NoError(t, w.Close())
	w.Abort() // after a successful Close: no effect
	require.Equal(t, []string{"out.tif"}, dirNames(t, dir))
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), st.Mode().Perm())
}

func TestWriterOptionErrors(t *testing.T) {
	dir := t.TempDir()
	s := stack.Shape{Z: 2, Y: 4, X: 4}
	for name, o := range map[string]WriterOptions{
		"shape":             {DType: stack.Uint8},
		"dtype":             {Shape: s},
		"horiz pred f64":    {Shape: s, DType: stack.Float64, Predictor: Horizontal, Compression: Deflate},
		"int64 in OME-TIFF": {Shape: s, DType: stack.Int64, OME: true},
		"tile not mult 16":  {Shape: s, DType: stack.Uint8, Tile: 20},
		"pred none":         {Shape: s, DType: stack.Uint8, Predictor: Horizontal},
		"pred packbits":     {Shape: s, DType: stack.Uint8, Predictor: Horizontal, Compression: PackBits},
		"float pred int":    {Shape: s, DType: stack.Uint16, Predictor: FloatingPoint, Compression: LZW},
		"horiz pred float":  {Shape: s, DType: stack.Float32, Predictor: Horizontal, Compression: LZW},
		"compression":       {Shape: s, DType: stack.Uint8, Compression: 7},
		"channels":          {Shape: s, DType: stack.Uint8, Channels: 3},
		"level":             {Shape: s, DType: stack.Uint8, Compression: Deflate, DeflateLevel: 12},
	} {
		_, err := Create(filepath.Join(dir, "x.tif"), o)
		require.Error(t, err, name)
	}
	require.Empty(t, dirNames(t, dir))
	_, err := Create(filepath.Join(dir, "missing", "x.tif"), WriterOptions{Shape: s, DType: stack.Uint8})
	require.Error(t, err)
}

func TestWriterWriteErrorRemovesTemp(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	// Simulate a full disk by swapping the file for /dev/full.
	dir := t.TempDir()
	path := filepath.Join(dir, "out.tif")
	w, err := Create(path, WriterOptions{Shape: stack.Shape{Z: 4, Y: 512, X: 1024}, DType: stack.Uint16})
	require.NoError(t, err)
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	require.NoError(t, err)
	w.f.Close()
	w.f = full
	w.out = newCachedSink(full)
	plane := make([]byte, 512*1024*2)
	var werr error
	for i := 0; i < 4 && werr == nil; i++ {
		werr = w.WritePlane(plane)
	}
	if werr == nil {
		werr = w.Close()
	}
	require.Error(t, werr)
	require.ErrorContains(t, werr, path)
	require.Empty(t, dirNames(t, dir))
	require.Equal(t, werr, w.Close())
}

func TestWriterBigTIFFAutoSwitch(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		s    stack.Shape
		dt   stack.DType
		comp Compression
		big  bool
	}{
		{stack.Shape{Z: 1000, Y: 1024, X: 1024}, stack.Uint16, None, false}, // 2 GiB
		{stack.Shape{Z: 2100, Y: 1024, X: 1024}, stack.Uint16, None, true},  // 4.1 GiB
		{stack.Shape{Z: 1500, Y: 1024, X: 1024}, stack.Uint16, LZW, true},   // 3 GiB, LZW may grow it by half
		{stack.Shape{Z: 1500, Y: 1024, X: 1024}, stack.Uint16, Deflate, false},
	} {
		w, err := Create(filepath.Join(dir, "big.tif"), WriterOptions{Shape: c.s, DType: c.dt, Compression: c.comp})
		require.NoError(t, err)
		require.Equal(t, c.big, w.BigTIFF(), "%v %v", c.s, c.comp)
		w.Abort()
	}
	require.Empty(t, dirNames(t, dir))
}

func TestLZWRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var enc lzwEncoder
	inputs := [][]byte{{}, {7}, {1, 1}, bytes.Repeat([]byte{0}, 100000), []byte(strings.Repeat("abcabcabd", 5000))}
	for n := 0; n < 24; n++ {
		b := make([]byte, rng.IntN(60000))
		alpha := 1 + rng.IntN(256)
		for i := range b {
			b[i] = byte(rng.IntN(alpha))
		}
		inputs = append(inputs, b)
	}
	for _, in := range inputs {
		code := enc.encode(nil, in)
		out := make([]byte, len(in))
		n, err := lzwDecode(code, out)
		require.NoError(t, err)
		require.Equal(t, len(in), n)
		require.True(t, bytes.Equal(in, out))
		// Output is bounded by the destination, whatever the input.
		short := make([]byte, len(in)/2)
		n, err = lzwDecode(code, short)
		require.NoError(t, err)
		require.Equal(t, len(short), n)
		require.True(t, bytes.Equal(in[:len(short)], short))
	}
	_, err := lzwDecode([]byte{0x80, 0x7f, 0xff}, make([]byte, 10))
	require.Error(t, err, "code past the table")
	var ue UnsupportedError
	_, err = lzwDecode([]byte{0, 1, 2, 3}, make([]byte, 10))
	require.True(t, errors.As(err, &ue), "old-style LZW")
}

func TestPackBitsRoundTrip(t *testing.T) {
	// The example from the TIFF 6.0 specification.
	packed, _ := hexBytes("FE AA 02 80 00 2A FD AA 03 80 00 2A 22 F7 AA")
	want, _ := hexBytes("AA AA AA 80 00 2A AA AA AA AA 80 00 2A 22 AA AA AA AA AA AA AA AA AA AA")
	out := make([]byte, len(want))
	require.Equal(t, len(want), packBitsDecode(packed, out))
	require.Equal(t, want, out)

	rng := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 200; n++ {
		row := make([]byte, rng.IntN(700))
		for i := range row {
			if rng.IntN(3) == 0 && i > 0 {
				row[i] = row[i-1]
			} else {
				row[i] = byte(rng.IntN(4))
			}
		}
		enc := packBitsEncode(nil, row)
		require.LessOrEqual(t, len(enc), len(row)+(len(row)+127)/128)
		dec := make([]byte, len(row))
		require.Equal(t, len(row), packBitsDecode(enc, dec))
		require.Equal(t, row, dec)
	}
}

func hexBytes(s string) ([]byte, error) {
	var b []byte
	for _, f := range strings.Fields(s) {
		var v byte
		for _, c := range f {
			v = v<<4 | byte(strings.IndexRune("0123456789ABCDEF", c))
		}
		b = append(b, v)
	}
	return b, nil
}

func TestPredictorsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, size := range []int{1, 2, 4} {
		for _, rowLen := range []int{1, 2, 7, 64} {
			b := make([]byte, 3*rowLen*size)
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			orig := append([]byte(nil), b...)
			doHorizontal(b, rowLen, size)
			if rowLen > 1 {
				require.NotEqual(t, orig, b)
			}
			undoHorizontal(b, rowLen, size, 1)
			require.Equal(t, orig, b)
			if size > 1 {
				tmp := make([]byte, rowLen*size)
				doFloat(b, tmp, rowLen, size)
				undoFloat(b, tmp, rowLen, size, 1)
				require.Equal(t, orig, b)
			}
		}
	}
	// Horizontal differencing of a ramp is constant.
	b := []byte{10, 0, 20, 0, 30, 0}
	if !nativeLE {
		b = []byte{0, 10, 0, 20, 0, 30}
	}
	doHorizontal(b, 3, 2)
	want := []byte{10, 0, 10, 0, 10, 0}
	if !nativeLE {
		want = []byte{0, 10, 0, 10, 0, 10}
	}
	require.Equal(t, want, b)
}

// TestWriterClassicOverflowGuard checks that a classic file which would
// pass 4 GiB fails cleanly instead of writing wrapped 32-bit offsets (the
// size bound normally picks BigTIFF before that can happen).
func TestWriterClassicOverflowGuard(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.tif")
	w, err := Create(path, WriterOptions{Shape: stack.Shape{Z: 2, Y: 8, X: 8}, DType: stack.Uint8})
	require.NoError(t, err)
	require.False(t, w.BigTIFF())
	w.pos = math.MaxUint32 - 16 // pretend 4 GiB were written already
	err = w.WritePlane(make([]byte, 64))
	require.ErrorContains(t, err, "4 GiB")
	require.ErrorContains(t, err, path)
	require.Empty(t, dirNames(t, dir))
}

func TestParseNames(t *testing.T) {
	for s, want := range map[string]Compression{"none": None, "LZW": LZW, "zip": Deflate, "deflate": Deflate, "packbits": PackBits} {
		c, err := ParseCompression(s)
		require.NoError(t, err)
		require.Equal(t, want, c)
	}
	_, err := ParseCompression("jpeg")
	require.Error(t, err)
	for s, want := range map[string]Predictor{"none": NoPredictor, "horizontal": Horizontal, "2": Horizontal, "float": FloatingPoint} {
		p, err := ParsePredictor(s)
		require.NoError(t, err)
		require.Equal(t, want, p)
	}
	_, err = ParsePredictor("4")
	require.Error(t, err)
	require.Equal(t, "deflate", Compression(32946).String())
	require.Equal(t, "zstd", Compression(50000).String())
}
