package zarr

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

var allDTypes = []DType{Uint8, Uint16, Int16, Uint32, Int32, Float32, Float64}

// testCodecs are the codecs every round trip is run with.
func testCodecs(version int) []Codec {
	cs := []Codec{{}, BloscLZ4(5), BloscZstd(3), {Name: "blosc", CName: "zlib", Level: 4, Shuffle: ByteShuffle},
		{Name: "blosc", CName: "lz4", Level: 1, Shuffle: NoShuffle}, BloscLZ4(1), Zstd(0), Zstd(9), Gzip(0)}
	if version == 2 {
		cs = append(cs, Zlib(0), Zlib(9))
	}
	return cs
}

// randomElems returns n random elements of type dt in native byte order,
// compressible (runs and small values) so that codecs do real work.
func randomElems(rng *rand.Rand, dt DType, n int) []byte {
	b := make([]byte, n*dt.Size())
	v := 0.0
	for i := 0; i < n; i++ {
		if rng.IntN(4) == 0 {
			switch dt {
			case Uint8:
				v = float64(rng.IntN(256))
			case Int16:
				v = float64(rng.IntN(65536) - 32768)
			case Int32:
				v = float64(rng.Int32() - rng.Int32())
			case Uint16:
				v = float64(rng.IntN(65536))
			case Uint32:
				v = float64(rng.Uint32())
			default:
				v = rng.NormFloat64() * 1000
			}
		}
		fromFloat64(b[i*dt.Size():], dt, v)
	}
	return b
}

// refRegion extracts a region from a C-order volume the simple way.
func refRegion(vol []byte, shape, origin, size []int, elem int) []byte {
	out := make([]byte, 0, product(size)*elem)
	st := strides(shape)
	idx := make([]int, len(size))
	for n := 0; n < product(size); n++ {
		off := 0
		for i := range idx {
			off += (origin[i] + idx[i]) * st[i]
		}
		out = append(out, vol[off*elem:(off+1)*elem]...)
		for k := len(idx) - 1; k >= 0; k-- {
			idx[k]++
			if idx[k] < size[k] {
				break
			}
			idx[k] = 0
		}
	}
	return out
}

func writeArray(t testing.TB, path string, o ArrayOptions, vol []byte) {
	t.Helper()
	w, err := Create(path, o)
	require.NoError(t, err)
	require.NoError(t, w.Write(context.Background(), make([]int, len(o.Shape)), o.Shape, vol))
	require.NoError(t, w.Commit())
}

func TestRoundTripEveryDTypeCodecVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	shape := []int{3, 37, 70}
	chunks := []int{2, 16, 32} // edge chunks along every dimension
	for _, version := range []int{2, 3} {
		for _, dt := range allDTypes {
			for ci, codec := range testCodecs(version) {
				for _, big := range []bool{false, true} {
					name := fmt.Sprintf("v%d/%v/%v/big=%v", version, dt, codec, big)
					t.Run(name, func(t *testing.T) {
						t.Parallel()
						rng := rand.New(rand.NewPCG(uint64(ci), uint64(dt)))
						vol := randomElems(rng, dt, product(shape))
						path := filepath.Join(t.TempDir(), "a.zarr")
						writeArray(t, path, ArrayOptions{ZarrFormat: version, Shape: shape, Chunks: chunks,
							DType: dt, Codec: codec, BigEndian: big, FillValue: 7}, vol)
						a, err := Open(path)
						require.NoError(t, err)
						require.Equal(t, version, a.ZarrFormat())
						require.Equal(t, shape, a.Shape())
						require.Equal(t, chunks, a.Chunks())
						require.Equal(t, dt, a.DType())
						require.Equal(t, 7.0, a.FillValue())
						if big && dt.Size() > 1 {
							require.Equal(t, binary.BigEndian, a.ByteOrder())
						}
						got := make([]byte, len(vol))
						require.NoError(t, a.Read(ctx, make([]int, 3), shape, got))
						require.Equal(t, vol, got)
						// An unaligned region crossing chunk borders.
						origin, size := []int{1, 5, 20}, []int{2, 30, 45}
						part := make([]byte, product(size)*dt.Size())
						require.NoError(t, a.Read(ctx, origin, size, part))
						require.Equal(t, refRegion(vol, shape, origin, size, dt.Size()), part)
						// Planes.
						p, err := a.Planes()
						require.NoError(t, err)
						plane := make([]byte, p.PlaneBytes())
						for z := 0; z < 3; z++ {
							require.NoError(t, p.ReadPlaneInto(ctx, z, plane))
							require.Equal(t, vol[z*len(plane):(z+1)*len(plane)], plane)
						}
					})
				}
			}
		}
	}
}

func TestMissingChunksReadAsFill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, version := range []int{2, 3} {
		path := filepath.Join(t.TempDir(), "a.zarr")
		w, err := Create(path, ArrayOptions{ZarrFormat: version, Shape: []int{2, 10, 10}, Chunks: []int{1, 5, 5},
			DType: Float32, FillValue: math.NaN(), Codec: Zstd(1)})
		require.NoError(t, err)
		chunk := make([]float32, 25)
		for i := range chunk {
			chunk[i] = float32(i)
		}
		require.NoError(t, w.WriteChunk(ctx, []int{1, 1, 0}, asBytes(chunk)))
		require.NoError(t, w.Commit())
		a, err := Open(path)
		require.NoError(t, err)
		require.True(t, math.IsNaN(a.FillValue()))
		p, err := a.Planes()
		require.NoError(t, err)
		plane := make([]float32, 100)
		require.NoError(t, p.ReadPlane(ctx, 1, plane))
		for y := 0; y < 10; y++ {
			for x := 0; x < 10; x++ {
				v := plane[y*10+x]
				if y >= 5 && x < 5 {
					require.Equal(t, float32((y-5)*5+x), v)
				} else {
					require.True(t, math.IsNaN(float64(v)), "(%d,%d)=%v", y, x, v)
				}
			}
		}
		buf := make([]byte, a.ChunkBytes())
		found, err := a.ReadChunk(ctx, []int{0, 0, 0}, buf)
		require.NoError(t, err)
		require.False(t, found)
	}
}

func TestPlaneWriterMatchesWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, chunks := range [][]int{{1, 64, 64}, {1, 16, 24}, {3, 20, 64}, {4, 64, 7}} {
		shape := []int{10, 50, 64}
		vol := randomElems(rng, Uint16, product(shape))
		path := filepath.Join(t.TempDir(), "p.zarr")
		w, err := Create(path, ArrayOptions{Shape: shape, Chunks: chunks, DType: Uint16, Codec: BloscLZ4(5)})
		require.NoError(t, err)
		pw, err := NewPlaneWriter(ctx, w, 3)
		require.NoError(t, err)
		pb := pw.PlaneBytes()
		for z := 0; z < shape[0]; z++ {
			require.NoError(t, pw.WritePlane(ctx, z, vol[z*pb:(z+1)*pb]))
		}
		require.NoError(t, pw.Close())
		require.NoError(t, w.Commit())
		a, err := Open(path)
		require.NoError(t, err)
		got := make([]byte, len(vol))
		require.NoError(t, a.Read(ctx, []int{0, 0, 0}, shape, got))
		require.Equal(t, vol, got, "chunks %v", chunks)
	}
}

func TestCreateReplacesArrayAndRefusesOtherDirectories(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "a.zarr")
	writeArray(t, path, ArrayOptions{Shape: []int{4, 4}, Chunks: []int{1, 1}, DType: Uint8}, bytes.Repeat([]byte{7}, 16))
	// A stale temporary from a killed writer.
	stale := filepath.Join(path, "0", ".1"+tmpMarker+"abc")
	require.NoError(t, os.WriteFile(stale, []byte("x"), 0o644))
	writeArray(t, path, ArrayOptions{ZarrFormat: 3, Shape: []int{2, 2}, Chunks: []int{2, 2}, DType: Uint8}, []byte{1, 2, 3, 4})
	_, err := os.Stat(stale)
	require.True(t, os.IsNotExist(err))
	_, err = os.Stat(filepath.Join(path, v2ArrayFile))
	require.True(t, os.IsNotExist(err))
	a, err := Open(path)
	require.NoError(t, err)
	got := make([]byte, 4)
	require.NoError(t, a.Read(ctx, []int{0, 0}, []int{2, 2}, got))
	require.Equal(t, []byte{1, 2, 3, 4}, got)

	other := filepath.Join(dir, "notes")
	require.NoError(t, os.MkdirAll(other, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(other, "x.txt"), nil, 0o644))
	_, err = Create(other, ArrayOptions{Shape: []int{1}, Chunks: []int{1}, DType: Uint8})
	require.ErrorContains(t, err, "not a Zarr array")
}
