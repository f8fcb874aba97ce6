package segment

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
	"github.com/segstack/segstack/stack/zarr"
	"github.com/stretchr/testify/require"
)

// Labels above 2^24 survive ReadPlaneOf from TIFF and Zarr (float32 would
// round 16777217 to 16777216); other sources and types go through
// ReadPlane.
func TestReadPlaneOfExact(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s := stack.Shape{Z: 2, Y: 3, X: 5}
	v := stack.New[uint32](s)
	for i := range v.Data {
		v.Data[i] = 16777217 + uint32(i)
	}
	tif := filepath.Join(dir, "l.tif")
	require.NoError(t, tiff.WriteVolume(ctx, tif, v, tiff.WriterOptions{}))
	root := filepath.Join(dir, "l.ome.zarr")
	iw, err := zarr.CreateImage(ctx, root, zarr.ImageOptions{Shape: s, DType: zarr.Uint32, Chunks: stack.Shape{Z: 1, Y: 2, X: 2}})
	require.NoError(t, err)
	for z := range s.Z {
		require.NoError(t, zarr.WriteImagePlane(ctx, iw, z, v.Plane(z)))
	}
	require.NoError(t, iw.Close())
	for _, path := range []string{tif, root} {
		src, closeSrc, err := OpenSource(path, -1)
		require.NoError(t, err)
		got := make([]uint32, s.PlaneLen())
		for z := range s.Z {
			require.NoError(t, ReadPlaneOf(ctx, src, z, got))
			require.Equal(t, v.Plane(z), got, path)
		}
		// Another type converts through float32.
		f := make([]float32, s.PlaneLen())
		require.NoError(t, ReadPlaneOf(ctx, src, 1, f))
		require.Equal(t, float32(16777217+15), f[0])
		require.Error(t, ReadPlaneOf(ctx, src, 0, got[:3]))
		require.NoError(t, closeSrc())
	}
	// A source without raw planes.
	u := stack.New[uint16](s)
	u.Data[7] = 513
	got := make([]uint16, s.PlaneLen())
	require.NoError(t, ReadPlaneOf(ctx, VolumeSource(u), 0, got))
	require.Equal(t, uint16(513), got[7])
}
