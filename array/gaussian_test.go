package array

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/delayed"
	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

func gaussianBlock(opt kernels.GaussianOptions) BlockFunc[float32, float32] {
	return func(ctx context.Context, v *stack.Volume[float32]) (*stack.Volume[float32], error) {
		out := stack.New[float32](v.Shape)
		if _, err := kernels.Gaussian(ctx, out, v, opt); err != nil {
			return nil, err
		}
		return out, nil
	}
}

// TestMapOverlapGaussianEqualsWhole runs kernels.Gaussian chunk by chunk
// with a halo of its radius and requires the result to equal the filter
// run on the whole array, and scipy's gaussian_filter to 1e-6.
func TestMapOverlapGaussianEqualsWhole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := loadFixtures(t)
	opt := kernels.GaussianOptions{Sigma: [3]float64{0, 1.5, 1.5}}
	d := kernels.Depth(opt)
	src := Random([]int{3, 20, 30}, nil, 11).Astype(stack.Float32)
	whole, err := ToVolume[float32](compute(t, src))
	require.NoError(t, err)
	want := stack.New[float32](whole.Shape)
	_, err = kernels.Gaussian(ctx, want, whole, opt)
	require.NoError(t, err)
	for _, chunk := range [][]int{{1, 7, 9}, {2, 5, 30}, {3, 20, 4}, {1, 3, 3}} {
		g := MapOverlap(src.Rechunk(chunk), OverlapOptions{Depth: d[:]}, gaussianBlock(opt))
		got, err := g.Compute(ctx, delayed.Serial())
		require.NoError(t, err)
		gd, err := Data[float32](got)
		require.NoError(t, err)
		require.Equal(t, want.Data, gd, "chunks %v: chunk-wise Gaussian equals the whole-array one", chunk)
		for i, w := range f.Gaussian.Data {
			require.InDelta(t, w, float64(gd[i]), 1e-6*math.Max(1, math.Abs(w)), "scipy, element %d", i)
		}
	}
}
