package segment

import (
	"context"
	"encoding/binary"
	"math"
	"path/filepath"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
	"github.com/stretchr/testify/require"
)

// 64-bit integer TIFFs are read for the pipeline as float32, rounded to
// nearest with ties to even, as numpy's astype(float32) rounds them.
func TestInt64TIFFReadsAsRoundedFloat32(t *testing.T) {
	t.Parallel()
	shape := stack.Shape{Z: 1, Y: 2, X: 4}
	vals := map[stack.DType][]uint64{
		stack.Int64:  {uint64(1<<63 - 1), 1 << 63, 1<<24 + 1, 1<<24 + 3, uint64(1<<63 - 1<<39), 0, 7, uint64(1<<64 - 5)},
		stack.Uint64: {1<<64 - 1, 1 << 63, 1<<24 + 1, 1<<24 + 3, 1<<40 + 1<<16, 0, 7, 12345678901},
	}
	for dt, vs := range vals {
		path := filepath.Join(t.TempDir(), "w.tif")
		w, err := tiff.Create(path, tiff.WriterOptions{Shape: shape, DType: dt, Compression: tiff.Deflate})
		require.NoError(t, err)
		plane := make([]byte, 8*len(vs))
		for i, v := range vs {
			binary.NativeEndian.PutUint64(plane[8*i:], v)
		}
		require.NoError(t, w.WritePlane(plane))
		require.NoError(t, w.Close())
		src, closeSrc, err := OpenTIFF(path, -1)
		require.NoError(t, err)
		got := make([]float32, len(vs))
		require.NoError(t, src.ReadPlane(context.Background(), 0, got))
		closeSrc()
		for i, v := range vs {
			var want float32
			if dt == stack.Int64 {
				want = float32(int64(v))
			} else {
				want = float32(v)
			}
			require.Equal(t, math.Float32bits(want), math.Float32bits(got[i]), "%v %d", dt, v)
		}
	}
	// Known roundings: 2^24+1 is a tie, to the even 2^24; 2^24+3 to 2^24+4.
	require.Equal(t, float32(1<<24), float32(int64(1<<24+1)))
	require.Equal(t, float32(1<<24+4), float32(int64(1<<24+3)))
}
