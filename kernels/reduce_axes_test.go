package kernels

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

// axesExtents are the block extents the reductions are swept over: one,
// a few, and more than a vector step of uint8 past a multiple of it.
var axesExtents = []int{1, 2, 3, 7, 17}

// everyAxes lists the eight subsets of the three axes.
func everyAxes() [][3]bool {
	var out [][3]bool
	for m := range 8 {
		out = append(out, [3]bool{m&4 != 0, m&2 != 0, m&1 != 0})
	}
	return out
}

// groupsOf lists, for each output of a block of shape reduced over axes,
// the block's elements that fold into it, in raster order, by their
// coordinates alone.
func groupsOf[T stack.Number](src []T, shape [3]int, axes [3]bool) [][]T {
	var out [3]int
	for a := range 3 {
		out[a] = shape[a]
		if axes[a] {
			out[a] = 1
		}
	}
	groups := make([][]T, out[0]*out[1]*out[2])
	for z := range shape[0] {
		for y := range shape[1] {
			for x := range shape[2] {
				c := [3]int{z, y, x}
				for a := range 3 {
					if axes[a] {
						c[a] = 0
					}
				}
				o := (c[0]*out[1]+c[1])*out[2] + c[2]
				groups[o] = append(groups[o], src[(z*shape[1]+y)*shape[2]+x])
			}
		}
	}
	return groups
}

// sweepAxes calls f for every block shape from axesExtents and every
// subset of axes, with random elements of T.
func sweepAxes[T stack.Number](t *testing.T, seed uint64, f func(t *testing.T, src []T, shape [3]int, axes [3]bool)) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	for _, z := range axesExtents {
		for _, y := range axesExtents {
			for _, x := range axesExtents {
				shape := [3]int{z, y, x}
				src := drawNumbers[T](r, z*y*x)
				for _, axes := range everyAxes() {
					f(t, src, shape, axes)
				}
			}
		}
	}
}

// checkSumAxes holds SumAxes to the sum of each output's group. The sums
// are exact (integers wrap, and float elements are small integers), so the
// order of the additions does not matter here; TestSumAxesOrder pins it.
func checkSumAxes[A Accumulator, T stack.Number](t *testing.T) {
	t.Helper()
	r := rand.New(rand.NewPCG(11, 12))
	sweepAxes(t, 13, func(t *testing.T, src []T, shape [3]int, axes [3]bool) {
		if isFloat[T]() {
			for i := range src {
				src[i] = T(r.IntN(2001) - 1000)
			}
		}
		groups := groupsOf(src, shape, axes)
		want := make([]A, len(groups))
		for o, g := range groups {
			want[o] = 5 // SumAxes adds to what dst holds
			for _, v := range g {
				want[o] += A(v)
			}
		}
		dst, intact := guarded(len(groups), 1, A(0x5a))
		for i := range dst {
			dst[i] = 5
		}
		require.NoError(t, SumAxes(dst, src, shape, axes))
		require.Equal(t, want, dst, "shape %v axes %v", shape, axes)
		intact(t, "SumAxes")
	})
}

func TestSumAxes(t *testing.T) {
	t.Parallel()
	// numpy's accumulators: unsigned in uint64, signed in int64, floats
	// and every mean in float64.
	t.Run("uint8", checkSumAxes[uint64, uint8])
	t.Run("uint16", checkSumAxes[uint64, uint16])
	t.Run("uint32", checkSumAxes[uint64, uint32])
	t.Run("uint64", checkSumAxes[uint64, uint64])
	t.Run("int16", checkSumAxes[int64, int16])
	t.Run("int32", checkSumAxes[int64, int32])
	t.Run("int64", checkSumAxes[int64, int64])
	t.Run("float32", checkSumAxes[float64, float32])
	t.Run("float64", checkSumAxes[float64, float64])
	t.Run("uint16-in-float64", checkSumAxes[float64, uint16])
	t.Run("int32-in-float64", checkSumAxes[float64, int32])
}

// TestSumAxesOrder pins the documented order of the float additions with
// values where it shows: 2⁵³ + 1 rounds to 2⁵³, while 2⁵³ + 2 is exact.
func TestSumAxesOrder(t *testing.T) {
	t.Parallel()
	const big = 1 << 53
	all := [3]bool{true, true, true}
	// X reduced: rows (2⁵³, 0) and (1, 1) sum to 2⁵³ and 2 on their own
	// first, so the total is 2⁵³ + 2; element after element gives 2⁵³.
	dst := []float64{0}
	require.NoError(t, SumAxes(dst, []float64{big, 0, 1, 1}, [3]int{2, 1, 2}, all))
	require.Equal(t, []float64{big + 2}, dst)
	// X kept: each output adds its elements one after another.
	two := []float64{0, 0}
	require.NoError(t, SumAxes(two, []float64{big, 0, 1, 5, 1, 7}, [3]int{3, 1, 2}, [3]bool{true, false, false}))
	require.Equal(t, []float64{big, 12}, two)
	// MomentsAxes adds element after element even where X is reduced.
	mean, m2 := []float64{0}, []float64{0}
	require.NoError(t, MomentsAxes(mean, m2, []float64{big, 0, 1, 1}, [3]int{2, 1, 2}, all))
	require.Equal(t, []float64{big / 4}, mean)
}

// TestMomentsAxes holds MomentsAxes to each output's group, added in
// raster order: the mean as the sum over the count, M2 as the sum of
// squared deviations from that mean.
func TestMomentsAxes(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, src []float32, shape [3]int, axes [3]bool) {
		groups := groupsOf(src, shape, axes)
		wantMean, wantM2 := make([]float64, len(groups)), make([]float64, len(groups))
		for o, g := range groups {
			s := 0.0
			for _, v := range g {
				s += float64(v)
			}
			wantMean[o] = s / float64(len(g))
			for _, v := range g {
				d := float64(v) - wantMean[o]
				wantM2[o] += d * d
			}
		}
		mean, intactMean := guarded(len(groups), 0, 7.0)
		m2, intactM2 := guarded(len(groups), 3, 7.0)
		for i := range mean {
			mean[i], m2[i] = 99, 99 // overwritten, not added to
		}
		require.NoError(t, MomentsAxes(mean, m2, src, shape, axes))
		msg := fmt.Sprintf("shape %v axes %v", shape, axes)
		requireSameNumbers(t, wantMean, mean, "mean: %s", msg)
		requireSameNumbers(t, wantM2, m2, "m2: %s", msg)
		intactMean(t, msg)
		intactM2(t, msg)
	}
	sweepAxes(t, 14, check)
	// Integers in float64, as a mean or std of an integer array takes them.
	sweepAxes(t, 15, func(t *testing.T, src []int16, shape [3]int, axes [3]bool) {
		f := make([]float32, len(src))
		for i, v := range src {
			f[i] = float32(v)
		}
		check(t, f, shape, axes)
	})
}

// TestMergeMoments checks Chan's update: the merged moments of two groups
// are those of all their elements, exactly for a small case and to
// rounding for random groups.
func TestMergeMoments(t *testing.T) {
	t.Parallel()
	// {1, 3}: mean 2, M2 2; {5}: mean 5, M2 0; {1, 3, 5}: mean 3, M2 8.
	mean, m2 := []float64{2}, []float64{2}
	MergeMoments(mean, m2, 2, []float64{5}, []float64{0}, 1)
	require.Equal(t, []float64{3}, mean)
	require.Equal(t, []float64{8}, m2)

	r := rand.New(rand.NewPCG(16, 17))
	for range 50 {
		na, nb := 1+r.IntN(40), 1+r.IntN(40)
		all := make([]float64, na+nb)
		for i := range all {
			all[i] = r.NormFloat64()*10 + 3
		}
		moments := func(v []float64) (float64, float64) {
			mu, m := []float64{0}, []float64{0}
			require.NoError(t, MomentsAxes(mu, m, v, [3]int{1, 1, len(v)}, [3]bool{true, true, true}))
			return mu[0], m[0]
		}
		ma, m2a := moments(all[:na])
		mb, m2b := moments(all[na:])
		mw, m2w := moments(all)
		mean, m2 := []float64{ma}, []float64{m2a}
		MergeMoments(mean, m2, float64(na), []float64{mb}, []float64{m2b}, float64(nb))
		require.InDelta(t, mw, mean[0], 1e-12*math.Max(1, math.Abs(mw)))
		require.InEpsilon(t, m2w, m2[0], 1e-12)
	}
}

func TestStdFromM2(t *testing.T) {
	t.Parallel()
	dst := make([]float64, 3)
	StdFromM2(dst, []float64{8, 0, 2}, 3, 0)
	require.Equal(t, []float64{math.Sqrt(8.0 / 3), 0, math.Sqrt(2.0 / 3)}, dst)
	StdFromM2(dst[:2], []float64{8, 0, 2}, 3, 1)
	require.Equal(t, []float64{2, 0, math.Sqrt(2.0 / 3)}, dst)
}

// refExtreme is the maximum (or minimum) of g by comparisons, NaN if any
// element is NaN; of zeros, max prefers +0 and min −0.
func refExtreme[T stack.Number](g []T, isMax bool) T {
	op := OpMin
	if isMax {
		op = OpMax
	}
	acc := g[0]
	for _, v := range g[1:] {
		acc = refArith(op, acc, v)
	}
	return acc
}

func checkExtremaAxes[T stack.Number](t *testing.T) {
	t.Helper()
	sweepAxes(t, 18, func(t *testing.T, src []T, shape [3]int, axes [3]bool) {
		groups := groupsOf(src, shape, axes)
		for _, isMax := range []bool{true, false} {
			want := make([]T, len(groups))
			for o, g := range groups {
				want[o] = refExtreme(g, isMax)
			}
			g := T(0x5a)
			if isFloat[T]() {
				g = T(math.NaN())
			}
			dst, intact := guarded(len(groups), 1, g)
			for i := range dst {
				dst[i] = 0x55 // not read
			}
			f := MinAxes[T]
			if isMax {
				f = MaxAxes[T]
			}
			require.NoError(t, f(dst, src, shape, axes))
			requireSameNumbers(t, want, dst, "shape %v axes %v max=%v", shape, axes, isMax)
			intact(t, "extrema")
		}
	})
}

func TestExtremaAxes(t *testing.T) {
	t.Parallel()
	t.Run("uint32", checkExtremaAxes[uint32])
	t.Run("uint64", checkExtremaAxes[uint64])
	t.Run("int16", checkExtremaAxes[int16])
	t.Run("int32", checkExtremaAxes[int32])
	t.Run("int64", checkExtremaAxes[int64])
	t.Run("float32", checkExtremaAxes[float32])
	t.Run("float64", checkExtremaAxes[float64])
}

// TestExtremaAxesEveryPath runs the types that fold rows with vector
// instructions on every SIMD path.
func TestExtremaAxesEveryPath(t *testing.T) {
	forEachPath(t, func(t *testing.T, _ string) {
		t.Run("uint8", checkExtremaAxes[uint8])
		t.Run("uint16", checkExtremaAxes[uint16])
	})
}

func TestReduceAxesInvalid(t *testing.T) {
	t.Parallel()
	all := [3]bool{true, true, true}
	src := make([]float32, 24)
	shape := [3]int{2, 3, 4}
	for name, err := range map[string]error{
		"short src":       SumAxes(make([]float64, 1), src[:23], shape, all),
		"long dst":        SumAxes(make([]float64, 2), src, shape, all),
		"dst for kept X":  SumAxes(make([]float64, 3), src, shape, [3]bool{true, true, false}),
		"negative extent": SumAxes(make([]float64, 1), src[:0], [3]int{-1, 1, 0}, all),
		"m2 length":       MomentsAxes(make([]float64, 1), make([]float64, 2), src, shape, all),
		"moments src":     MomentsAxes(make([]float64, 1), make([]float64, 1), src[:5], shape, all),
		"max dst":         MaxAxes(make([]float32, 2), src, shape, all),
		"min src":         MinAxes(make([]float32, 1), src[:1], shape, all),
		"max of nothing":  MaxAxes(make([]float32, 4), nil, [3]int{0, 1, 4}, [3]bool{true, false, false}),
		"min of nothing":  MinAxes(make([]float32, 1), nil, [3]int{1, 1, 0}, all),
	} {
		require.True(t, errors.Is(err, ErrInvalid), "%s: %v", name, err)
	}
	// An empty block with no outputs, or reduced to zero elements per
	// output, is no error for a sum.
	require.NoError(t, MaxAxes(nil, []float32{}, [3]int{0, 2, 2}, [3]bool{false, true, true}))
	dst := []float64{3}
	require.NoError(t, SumAxes(dst, []uint8{}, [3]int{0, 1, 1}, all))
	require.Equal(t, []float64{3}, dst)
}
