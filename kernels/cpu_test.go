package kernels

import (
	"context"
	"strings"
	"testing"

	"github.com/segstack/segstack/kernels/simd"
	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

func TestCPUBackend(t *testing.T) {
	b := CPU()
	require.Equal(t, "cpu/"+simd.Path(), b.Name())
	require.True(t, strings.HasPrefix(b.Name(), "cpu/"))
	ctx := context.Background()
	src := stack.New[float32](stack.Shape{Z: 1, Y: 8, X: 8})
	src.Set(0, 4, 4, 100)
	dst := stack.New[float32](src.Shape)
	m, err := b.Gaussian(ctx, dst, src, GaussianOptions{Sigma: [3]float64{0, 1, 1}})
	require.NoError(t, err)
	require.Equal(t, dst.At(0, 4, 4), m)
	require.InDelta(t, 100*0.3989434694*0.3989434694, float64(m), 1e-3)
	mx, err := b.Max(ctx, dst)
	require.NoError(t, err)
	require.Equal(t, m, mx)
	mask := stack.New[uint8](src.Shape)
	require.NoError(t, b.Threshold(ctx, mask, dst, 0.33*m))
	n := 0
	for _, v := range mask.Data {
		n += int(v)
	}
	require.Equal(t, 9, n) // the 3x3 around the centre: corners weigh 0.37 of it
	require.NoError(t, b.Close())
}
