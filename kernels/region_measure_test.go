package kernels

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/stack"
)

// MeasureRegions on labels gives what the labelling pass measures, and a
// brute force over the voxels, on many random volumes.
func TestMeasureRegionsMatchesLabelWithStats(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(19, 6))
	for i := range 300 {
		s := stack.Shape{Z: 1 + rng.IntN(3), Y: 1 + rng.IntN(17), X: 1 + rng.IntN(23)}
		mask := randomMask(rng, s, 0.5, i%2 == 0)
		in := stack.New[float32](s)
		for j := range in.Data {
			in.Data[j] = float32(rng.IntN(1000))
		}
		lab := stack.New[uint32](s)
		n, want, err := LabelWithStats(ctx, lab, mask, in, Conn6)
		require.NoError(t, err)
		got, err := MeasureRegions(ctx, lab, n, in)
		require.NoError(t, err)
		require.Len(t, got, n)
		for k := range want {
			w, g := want[k], got[k]
			require.Equal(t, w.Label, g.Label)
			require.Equal(t, w.Area, g.Area)
			require.Equal(t, w.BBox, g.BBox)
			require.Equal(t, w.MinIntensity, g.MinIntensity)
			require.Equal(t, w.MaxIntensity, g.MaxIntensity)
			for a := range 3 {
				require.InDelta(t, w.Centroid[a], g.Centroid[a], 1e-12)
			}
			require.InDelta(t, w.MeanIntensity, g.MeanIntensity, 1e-9*math.Max(1, w.MeanIntensity))
		}
		// Brute force: area and sums voxel by voxel.
		area := make([]int, n+1)
		var sum = make([]float64, n+1)
		for j, l := range lab.Data {
			area[l]++
			sum[l] += float64(in.Data[j])
		}
		for k := 1; k <= n; k++ {
			require.Equal(t, area[k], got[k-1].Area)
			require.InDelta(t, sum[k]/float64(area[k]), got[k-1].MeanIntensity, 1e-9*math.Max(1, sum[k]))
		}
	}
}

func TestMeasureRegionsGapsAndErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	lab := &stack.Volume[uint32]{Shape: stack.Shape{Z: 1, Y: 2, X: 3}, Data: []uint32{3, 3, 0, 0, 1, 1}}
	got, err := MeasureRegions(ctx, lab, 3, nil)
	require.NoError(t, err)
	require.Len(t, got, 3)
	require.Equal(t, 2, got[0].Area)
	require.Equal(t, [3]float64{0, 1, 1.5}, got[0].Centroid)
	require.Equal(t, 0, got[1].Area, "label 2 does not occur")
	require.Equal(t, uint32(2), got[1].Label)
	require.Equal(t, stack.Box{Lo: [3]int{0, 0, 0}, Hi: [3]int{1, 1, 2}}, got[2].BBox)
	require.Zero(t, got[2].MeanIntensity)

	_, err = MeasureRegions(ctx, lab, 2, nil)
	require.ErrorContains(t, err, "label 3")
	_, err = MeasureRegions(ctx, nil, 0, nil)
	require.Error(t, err)
	_, err = MeasureRegions(ctx, lab, -1, nil)
	require.Error(t, err)
	_, err = MeasureRegions(ctx, &stack.Volume[uint32]{Shape: lab.Shape, Data: lab.Data[:4]}, 3, nil)
	require.Error(t, err)
	_, err = MeasureRegions(ctx, lab, 3, stack.New[float32](stack.Shape{Z: 1, Y: 3, X: 2}))
	require.Error(t, err)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = MeasureRegions(cctx, lab, 3, nil)
	require.ErrorIs(t, err, context.Canceled)
}
