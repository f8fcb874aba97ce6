package array

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/segstack/segstack/delayed"
	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

func measureVolumes(seed uint64, s stack.Shape) (*stack.Volume[uint16], *stack.Volume[uint16]) {
	r := rand.New(rand.NewPCG(seed, 1))
	labels := stack.New[uint16](s)
	img := stack.New[uint16](s)
	for i := range labels.Data {
		if i > 0 && r.IntN(4) > 0 {
			labels.Data[i] = labels.Data[i-1]
		} else {
			labels.Data[i] = uint16(r.IntN(9))
		}
		img.Data[i] = uint16(r.IntN(5000))
	}
	return labels, img
}

func TestMeasureMatchesKernels(t *testing.T) {
	ctx := context.Background()
	s := stack.Shape{Z: 5, Y: 23, X: 31}
	lab16, img := measureVolumes(3, s)
	lab := stack.Convert[uint32](lab16)
	index := []uint32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 3}
	want, err := kernels.Measure(ctx, lab, img, index, kernels.MeasureAll)
	require.NoError(t, err)
	wantBoxes, err := kernels.FindObjects(ctx, lab, 0)
	require.NoError(t, err)
	for _, chunk := range [][]int{{1, 23, 31}, {2, 7, 10}, {5, 23, 31}, {3, 5, 31}} {
		for _, exec := range []delayed.Executor{delayed.Serial(), nil} {
			la, ia := FromVolume(lab16, chunk), FromVolume(img, chunk)
			got, err := Measure(ctx, exec, la, ia, index, kernels.MeasureAll)
			require.NoError(t, err, chunk)
			require.Equal(t, want.Count, got.Count)
			// uint16 sums are exact in any order; the centred ones are not.
			require.Equal(t, want.Sum, got.Sum)
			require.Equal(t, want.Minimum, got.Minimum)
			require.Equal(t, want.Maximum, got.Maximum)
			require.Equal(t, want.Median, got.Median)
			require.Equal(t, want.MinimumPosition, got.MinimumPosition)
			require.Equal(t, want.MaximumPosition, got.MaximumPosition)
			for i := range index {
				if math.IsNaN(want.Mean[i]) {
					require.True(t, math.IsNaN(got.Mean[i]) && math.IsNaN(got.Variance[i]))
					continue
				}
				require.Equal(t, want.Mean[i], got.Mean[i])
				require.InDelta(t, want.Variance[i], got.Variance[i], 1e-12*want.Variance[i])
				for d := range 3 {
					require.InDelta(t, want.CenterOfMass[i][d], got.CenterOfMass[i][d], 1e-12*math.Max(1, want.CenterOfMass[i][d]))
				}
			}
			boxes, err := FindObjects(ctx, exec, la, 0)
			require.NoError(t, err)
			require.Equal(t, wantBoxes, boxes)
			boxes, err = FindObjects(ctx, exec, la, 12)
			require.NoError(t, err)
			require.Equal(t, append(wantBoxes[:len(wantBoxes):len(wantBoxes)], make([]stack.Box, 12-len(wantBoxes))...), boxes)
		}
	}
	wantHist, err := kernels.HistogramLabels(ctx, lab, img, 100, 4000, 9, index)
	require.NoError(t, err)
	for _, chunk := range [][]int{{1, 23, 31}, {2, 7, 10}} {
		h, err := HistogramLabels(ctx, delayed.Serial(), FromVolume(lab16, chunk), FromVolume(img, chunk), 100, 4000, 9, index)
		require.NoError(t, err)
		require.Equal(t, wantHist, h)
	}
	// The values in raster order, whatever the chunks.
	copyVals := func(v []uint16) []uint16 { return slices.Clone(v) }
	wantVals, err := kernels.LabeledComprehension(ctx, lab, img, index, copyVals, nil)
	require.NoError(t, err)
	for _, chunk := range [][]int{{1, 23, 31}, {2, 7, 10}, {3, 5, 4}} {
		vals, err := LabeledComprehension(ctx, delayed.Serial(), FromVolume(lab16, chunk), FromVolume(img, chunk), index, copyVals, nil)
		require.NoError(t, err)
		require.Equal(t, wantVals, vals)
	}
	_, err = LabeledComprehension(ctx, delayed.Serial(), FromVolume(lab16, []int{1, 8, 8}), FromVolume(img, []int{1, 8, 8}), index,
		func(v []float32) int { return len(v) }, 0)
	require.ErrorIs(t, err, kernels.ErrMeasure, "intensity is not float32")
	// nil index: every label 1..max.
	got, err := Measure(ctx, delayed.Serial(), FromVolume(lab16, []int{2, 8, 8}), FromVolume(img, []int{2, 8, 8}), nil, kernels.MeasureMean)
	require.NoError(t, err)
	require.Equal(t, []uint32{1, 2, 3, 4, 5, 6, 7, 8}, got.Index)
}

func TestMeasureArrayErrors(t *testing.T) {
	ctx := context.Background()
	lab, img := measureVolumes(1, stack.Shape{Z: 2, Y: 4, X: 4})
	_, err := Measure(ctx, delayed.Serial(), FromVolume(lab, []int{1, 4, 4}), FromVolume(img, []int{2, 2, 2}), nil, kernels.MeasureSum)
	require.ErrorIs(t, err, ErrShape)
	_, err = Measure(ctx, delayed.Serial(), FromVolume(lab, []int{1, 4, 4}), FromVolume(img, []int{1, 4, 4}).Astype(stack.Float64), nil, kernels.MeasureSum)
	require.ErrorIs(t, err, kernels.ErrMeasure)
	_, err = Measure(ctx, delayed.Serial(), FromVolume(img, []int{1, 4, 4}).Astype(stack.Float32), FromVolume(img, []int{1, 4, 4}), nil, kernels.MeasureSum)
	require.ErrorIs(t, err, kernels.ErrMeasure)
	_, err = HistogramLabels(ctx, delayed.Serial(), FromVolume(lab, []int{1, 4, 4}), FromVolume(img, []int{1, 4, 4}), 3, 1, 2, nil)
	require.ErrorIs(t, err, kernels.ErrMeasure)
	_, err = FindObjects(ctx, delayed.Serial(), FromVolume(lab, []int{1, 4, 4}), -1)
	require.ErrorIs(t, err, kernels.ErrMeasure)
}
