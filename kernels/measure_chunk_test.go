package kernels

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

// subVolume copies box b of v.
func subVolume[T stack.Elem](v *stack.Volume[T], b stack.Box) *stack.Volume[T] {
	out := stack.New[T](b.Shape())
	for z := b.Lo[0]; z < b.Hi[0]; z++ {
		for y := b.Lo[1]; y < b.Hi[1]; y++ {
			copy(out.Row(z-b.Lo[0], y-b.Lo[1]), v.Row(z, y)[b.Lo[2]:b.Hi[2]])
		}
	}
	return out
}

func TestMeasureChunksMatchWhole(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(11, 12))
	for range 300 {
		labels, img, index := randomMeasureInput[uint16](r)
		s := labels.Shape
		grid, err := stack.NewGrid(s, stack.Shape{Z: 1 + r.IntN(s.Z), Y: 1 + r.IntN(s.Y), X: 1 + r.IntN(s.X)})
		require.NoError(t, err)
		plan, err := NewMeasurePlan(s, index, MeasureAll)
		require.NoError(t, err)
		var sums, centred *MeasurePartial
		for _, b := range grid.Boxes() {
			p, err := MeasureChunk(ctx, plan, subVolume(labels, b), subVolume(img, b), b.Lo)
			require.NoError(t, err)
			if sums == nil {
				sums = p
			} else {
				require.NoError(t, sums.Merge(p))
			}
		}
		for _, b := range grid.Boxes() {
			p, err := MeasureChunkCentred(ctx, plan, sums, subVolume(labels, b), subVolume(img, b), b.Lo)
			require.NoError(t, err)
			if centred == nil {
				centred = p
			} else {
				require.NoError(t, centred.Merge(p))
			}
		}
		got, err := plan.Finish(sums, centred)
		require.NoError(t, err)
		want, err := Measure(ctx, labels, img, index, MeasureAll)
		require.NoError(t, err)
		// Integer sums are exact in any order; the centred sums are not.
		require.Equal(t, want.Count, got.Count)
		require.Equal(t, measureBitsOf(want.Sum, want.Mean, want.Minimum, want.Maximum, want.Median),
			measureBitsOf(got.Sum, got.Mean, got.Minimum, got.Maximum, got.Median))
		require.Equal(t, want.MinimumPosition, got.MinimumPosition)
		require.Equal(t, want.MaximumPosition, got.MaximumPosition)
		for i := range index {
			for _, pair := range [][2]float64{{want.Variance[i], got.Variance[i]}, {want.CenterOfMass[i][0], got.CenterOfMass[i][0]},
				{want.CenterOfMass[i][1], got.CenterOfMass[i][1]}, {want.CenterOfMass[i][2], got.CenterOfMass[i][2]}} {
				if math.IsNaN(pair[0]) {
					require.True(t, math.IsNaN(pair[1]))
				} else {
					require.InDelta(t, pair[0], pair[1], 1e-12*math.Max(1, math.Abs(pair[0])))
				}
			}
		}
	}
}

func measureBitsOf(fs ...[]float64) []uint64 {
	var out []uint64
	for _, f := range fs {
		for _, v := range f {
			out = append(out, math.Float64bits(v))
		}
	}
	return out
}

func TestMeasurePlanErrors(t *testing.T) {
	ctx := context.Background()
	s := stack.Shape{Z: 1, Y: 4, X: 4}
	_, err := NewMeasurePlan(s, nil, MeasureSum)
	require.ErrorIs(t, err, ErrMeasure)
	plan, err := NewMeasurePlan(s, []uint32{1}, MeasureVariance)
	require.NoError(t, err)
	lab, img := stack.New[uint32](stack.Shape{Z: 1, Y: 2, X: 2}), stack.New[uint8](stack.Shape{Z: 1, Y: 2, X: 2})
	_, err = MeasureChunk(ctx, plan, lab, img, [3]int{0, 3, 0})
	require.ErrorIs(t, err, ErrMeasure, "chunk outside the volume")
	p, err := MeasureChunk(ctx, plan, lab, img, [3]int{0, 2, 2})
	require.NoError(t, err)
	_, err = plan.Finish(p, nil)
	require.ErrorIs(t, err, ErrMeasure, "variance without the second round")
	other, err := NewMeasurePlan(s, []uint32{1}, MeasureVariance)
	require.NoError(t, err)
	q, err := MeasureChunk(ctx, other, lab, img, [3]int{0, 0, 0})
	require.NoError(t, err)
	require.ErrorIs(t, p.Merge(q), ErrMeasure)
}
