package zarr

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestPlaneWriterConcurrentAndOutOfOrder(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx := context.Background()
	shape := []int{2, 12, 40, 50} // (C, Z, Y, X): planes c·12+z
	chunks := []int{1, 4, 16, 32}
	rng := rand.New(rand.NewPCG(11, 12))
	vol := randomElems(rng, Int32, product(shape))
	path := filepath.Join(t.TempDir(), "c.zarr")
	w, err := Create(path, ArrayOptions{ZarrFormat: 3, Shape: shape, Chunks: chunks, DType: Int32, Codec: BloscZstd(1)})
	require.NoError(t, err)
	pw, err := NewPlaneWriter(ctx, w, 3)
	require.NoError(t, err)
	pb := pw.PlaneBytes()
	// Layers of four planes, each written by four goroutines in a
	// shuffled order.
	for layer := 0; layer < 6; layer++ {
		order := rng.Perm(4)
		var wg sync.WaitGroup
		for _, k := range order {
			z := layer*4 + k
			wg.Add(1)
			go func() {
				defer wg.Done()
				require.NoError(t, pw.WritePlane(ctx, z, vol[z*pb:(z+1)*pb]))
			}()
		}
		wg.Wait()
	}
	require.ErrorContains(t, pw.WritePlane(ctx, 3, vol[3*pb:4*pb]), "twice")
	require.NoError(t, pw.Close())
	require.NoError(t, w.Commit())
	a, err := Open(path)
	require.NoError(t, err)
	got := make([]byte, len(vol))
	require.NoError(t, a.Read(ctx, make([]int, 4), shape, got))
	require.Equal(t, vol, got)
}

func TestPlaneWriterErrors(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "e.zarr")
	w, err := Create(path, ArrayOptions{Shape: []int{20, 8, 8}, Chunks: []int{4, 8, 8}, DType: Uint8})
	require.NoError(t, err)
	pw, err := NewPlaneWriter(ctx, w, 1)
	require.NoError(t, err)
	plane := make([]byte, 64)
	// One plane in each of three layers: more incomplete layers than the
	// writer holds.
	require.NoError(t, pw.WritePlane(ctx, 0, plane))
	require.NoError(t, pw.WritePlane(ctx, 4, plane))
	require.ErrorContains(t, pw.WritePlane(ctx, 8, plane), "in order")
	require.Error(t, pw.WritePlane(ctx, 20, plane))
	require.Error(t, pw.WritePlane(ctx, 1, plane[:10]))
	require.ErrorContains(t, pw.Close(), "not written")
	// Nothing was committed: the array does not exist for readers.
	_, err = Open(path)
	require.ErrorContains(t, err, "still being written")
	require.NoError(t, w.Abort())
	_, err = os.Stat(path)
	require.True(t, os.IsNotExist(err))
}

func TestCacheServesPartlyUsedChunks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	shape := []int{8, 64, 64}
	rng := rand.New(rand.NewPCG(13, 14))
	vol := randomElems(rng, Uint16, product(shape))
	path := filepath.Join(t.TempDir(), "deep.zarr")
	writeArray(t, path, ArrayOptions{Shape: shape, Chunks: []int{8, 32, 32}, DType: Uint16, Codec: BloscLZ4(3)}, vol)
	a, err := Open(path)
	require.NoError(t, err)
	p, err := a.Planes()
	require.NoError(t, err)
	plane := make([]uint16, 64*64)
	require.NoError(t, ReadPlane(ctx, p, 0, plane))
	// Plane 0 decoded the four chunks; the other planes come from the
	// cache even with the files gone.
	require.NoError(t, os.RemoveAll(filepath.Join(path, "0")))
	var wg sync.WaitGroup
	for z := 1; z < 8; z++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got := make([]uint16, 64*64)
			require.NoError(t, ReadPlane(ctx, p, z, got))
			require.Equal(t, vol[z*8192:(z+1)*8192], asBytes(got))
		}()
	}
	wg.Wait()
	// Without a cache the missing files read as the fill value.
	b, err := Open(path, WithCacheBytes(0))
	require.NoError(t, err)
	pb, err := b.Planes()
	require.NoError(t, err)
	require.NoError(t, ReadPlane(ctx, pb, 3, plane))
	require.Equal(t, make([]uint16, len(plane)), plane)
}

func TestOpenWriterJoinsAnArrayBeingWritten(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shared.zarr")
	for _, v := range []int{2, 3} {
		w, err := Create(path, ArrayOptions{ZarrFormat: v, Shape: []int{4, 4}, Chunks: []int{2, 4}, DType: Uint16,
			Codec: BloscLZ4(5), Attributes: map[string]any{"job": "x"}})
		require.NoError(t, err)
		other, err := OpenWriter(path) // as another process would
		require.NoError(t, err)
		require.Equal(t, w.Shape(), other.Shape())
		row := func(v uint16) []byte {
			s := make([]uint16, 8)
			for i := range s {
				s[i] = v
			}
			return asBytes(s)
		}
		require.NoError(t, w.WriteChunk(ctx, []int{0, 0}, row(1)))
		require.NoError(t, other.WriteChunk(ctx, []int{1, 0}, row(2)))
		require.NoError(t, w.Commit())
		_, err = OpenWriter(path)
		require.Error(t, err, "a committed array takes no more writers")
		a, err := Open(path)
		require.NoError(t, err)
		got := make([]uint16, 16)
		require.NoError(t, a.Read(ctx, []int{0, 0}, []int{4, 4}, asBytes(got)))
		require.Equal(t, []uint16{1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2}, got)
		var attrs map[string]string
		require.NoError(t, a.Attributes(&attrs))
		require.Equal(t, "x", attrs["job"])
	}
}
