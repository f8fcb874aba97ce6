package array

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/stack"
)

// boxSum returns, for a volume with a halo of r on each side, the sum of the
// (2r+1)-wide window around every voxel (windows clipped to the volume;
// the clipped ones lie in the halo and are cropped away).
func boxSum(r [3]int) BlockFunc[float32, float32] {
	return func(_ context.Context, v *stack.Volume[float32]) (*stack.Volume[float32], error) {
		out := stack.New[float32](v.Shape)
		s := v.Shape
		for z := range s.Z {
			for y := range s.Y {
				for x := range s.X {
					var acc float32
					for dz := -r[0]; dz <= r[0]; dz++ {
						for dy := -r[1]; dy <= r[1]; dy++ {
							for dx := -r[2]; dx <= r[2]; dx++ {
								zz, yy, xx := z+dz, y+dy, x+dx
								if zz >= 0 && zz < s.Z && yy >= 0 && yy < s.Y && xx >= 0 && xx < s.X {
									acc += v.At(zz, yy, xx)
								}
							}
						}
					}
					out.Set(z, y, x, acc)
				}
			}
		}
		return out, nil
	}
}

// TestMapOverlapMatchesWholeArray applies a box filter chunk-wise with halos
// and compares it with the filter's definition on the whole array under
// each boundary mode, for random shapes, chunks and halos wider than chunks
// (and than the array).
func TestMapOverlapMatchesWholeArray(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	for iter := range 120 {
		shape := []int{1 + rng.IntN(5), 1 + rng.IntN(8), 1 + rng.IntN(8)}
		chunk := []int{1 + rng.IntN(shape[0]), 1 + rng.IntN(shape[1]), 1 + rng.IntN(shape[2])}
		r := [3]int{rng.IntN(2), rng.IntN(4), rng.IntN(10)}
		mode := stack.Mode(rng.IntN(5))
		cval := float64(rng.IntN(5))
		// Small integers, so every sum is exact.
		src := Random(shape, chunk, uint64(iter)).Mul(10).Astype(stack.Uint8)
		got := MapOverlap(src, OverlapOptions{Depth: r[:], Mode: mode, Cval: cval}, boxSum(r))
		require.NoError(t, got.Err())
		require.Equal(t, src.Chunks(), got.Chunks())
		in := compute(t, src).Float64s()
		out := compute(t, got).Float64s()
		at := func(z, y, x int) float64 {
			zz, okz := mode.MapIndex(z, shape[0])
			yy, oky := mode.MapIndex(y, shape[1])
			xx, okx := mode.MapIndex(x, shape[2])
			if !okz || !oky || !okx {
				return cval
			}
			return in[(zz*shape[1]+yy)*shape[2]+xx]
		}
		i := 0
		for z := range shape[0] {
			for y := range shape[1] {
				for x := range shape[2] {
					want := 0.0
					for dz := -r[0]; dz <= r[0]; dz++ {
						for dy := -r[1]; dy <= r[1]; dy++ {
							for dx := -r[2]; dx <= r[2]; dx++ {
								want += at(z+dz, y+dy, x+dx)
							}
						}
					}
					require.Equal(t, want, out[i], "iter %d mode %v shape %v chunks %v r %v at %d,%d,%d", iter, mode, shape, chunk, r, z, y, x)
					i++
				}
			}
		}
	}
}

func TestHaloSegments(t *testing.T) {
	t.Parallel()
	// Extent 6 in chunks of 2; tile of chunk 1 ([2, 4)) with halo 3 under
	// reflect: positions -1..6 map to 0 0 1 2 3 4 5 5.
	starts := []int{0, 2, 4, 6}
	segs := haloSegments(starts, 6, 2, 4, 3, stack.Reflect)
	require.Equal(t, []segment{
		{off: 0, chunk: 0, start: 0, step: 1, count: 1},
		{off: 1, chunk: 0, start: 0, step: 1, count: 2},
		{off: 3, chunk: 1, start: 0, step: 1, count: 2},
		{off: 5, chunk: 2, start: 0, step: 1, count: 2},
		{off: 7, chunk: 2, start: 1, step: 1, count: 1},
	}, segs)
	segs = haloSegments(starts, 6, 0, 2, 2, stack.Constant)
	require.Equal(t, -1, segs[0].chunk)
	require.Equal(t, 2, segs[0].count)
}
