package array

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

func randomLabels(rng *rand.Rand, s stack.Shape, p float64) *stack.Volume[uint16] {
	v := stack.New[uint16](s)
	for i := range v.Data {
		if rng.Float64() < p {
			v.Data[i] = uint16(1 + rng.IntN(300))
		}
	}
	return v
}

func maskOf(v *stack.Volume[uint16]) *stack.Volume[uint8] {
	m := stack.New[uint8](v.Shape)
	for i, x := range v.Data {
		if x != 0 {
			m.Data[i] = 1
		}
	}
	return m
}

func computeF64(t *testing.T, a *Array) []float64 {
	t.Helper()
	r, err := a.Compute(context.Background(), nil)
	require.NoError(t, err)
	return r.Float64s()
}

func toF64[T stack.Elem](d []T) []float64 {
	out := make([]float64, len(d))
	for i, v := range d {
		out[i] = float64(v)
	}
	return out
}

// Chunked morphology (halo = reach × iterations, border value beyond the
// edges) equals the kernel on the whole volume.
func TestMorphologyChunkedEqualsWhole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(11, 12))
	s := stack.Shape{Z: 6, Y: 23, X: 29}
	ops := map[string]struct {
		arr func(*Array, kernels.MorphOptions) *Array
		k   func(context.Context, *stack.Volume[uint8], *stack.Volume[uint8], kernels.MorphOptions) error
	}{
		"erode":  {BinaryErosion, kernels.BinaryErosion},
		"dilate": {BinaryDilation, kernels.BinaryDilation},
		"open":   {BinaryOpening, kernels.BinaryOpening},
		"close":  {BinaryClosing, kernels.BinaryClosing},
	}
	for name, op := range ops {
		for _, conn := range []kernels.Connectivity{kernels.Conn4, kernels.Conn8, kernels.Conn6, kernels.Conn18, kernels.Conn26} {
			for _, it := range []int{1, 2, -1} {
				for _, bv := range []uint8{0, 1} {
					v := randomLabels(rng, s, 0.6)
					m := maskOf(v)
					opt := kernels.MorphOptions{Conn: conn, Iterations: it, BorderValue: bv}
					want := stack.New[uint8](s)
					if conn == kernels.Conn4 || conn == kernels.Conn8 {
						for z := range s.Z {
							require.NoError(t, op.k(ctx, want.PlaneVolume(z), m.PlaneVolume(z), opt))
						}
					} else {
						require.NoError(t, op.k(ctx, want, m, opt))
					}
					a := FromVolume(v, []int{4, 7, 8})
					got := computeF64(t, op.arr(a, opt))
					require.Equal(t, toF64(want.Data), got, fmt.Sprintf("%s conn %d it %d bv %d", name, conn, it, bv))
				}
			}
		}
	}
	// A rank-2 array.
	v := randomLabels(rng, stack.Shape{Z: 1, Y: 31, X: 17}, 0.7)
	m := maskOf(v)
	want := stack.New[uint8](v.Shape)
	opt := kernels.MorphOptions{Conn: kernels.Conn8, Iterations: 3}
	require.NoError(t, kernels.BinaryClosing(ctx, want, m, opt))
	a := FromSlice(v.Data, []int{31, 17}, []int{5, 6})
	require.Equal(t, toF64(want.Data), computeF64(t, BinaryClosing(a, opt)))
	require.ErrorIs(t, BinaryErosion(a, kernels.MorphOptions{Conn: kernels.Conn6}).Err(), kernels.ErrConnectivity)
	require.ErrorIs(t, BinaryDilation(a, kernels.MorphOptions{Mask: m}).Err(), ErrShape)
}

func TestWholeOpsOnArrays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(13, 14))
	s := stack.Shape{Z: 5, Y: 21, X: 19}
	v := randomLabels(rng, s, 0.7)
	m := maskOf(v)
	a := FromVolume(v, []int{2, 8, 8})

	// EDT, 3-D anisotropic and per plane.
	want := stack.New[float32](s)
	require.NoError(t, kernels.EDT(ctx, want, m, [3]float64{2, 1, 0.5}))
	require.Equal(t, toF64(want.Data), computeF64(t, EDT(a, []float64{2, 1, 0.5}, false)))
	for z := range s.Z {
		require.NoError(t, kernels.EDT(ctx, want.PlaneVolume(z), m.PlaneVolume(z), [3]float64{0, 1, 0.5}))
	}
	require.Equal(t, toF64(want.Data), computeF64(t, EDT(a, []float64{2, 1, 0.5}, true)))
	require.Error(t, EDT(a, []float64{1, 1}, false).Err())

	// Fill holes and small objects / holes.
	for _, conn := range []kernels.Connectivity{kernels.Conn8, kernels.Conn6} {
		wm := stack.New[uint8](s)
		run := func(k func(dst, src *stack.Volume[uint8]) error) []float64 {
			if conn == kernels.Conn8 {
				for z := range s.Z {
					require.NoError(t, k(wm.PlaneVolume(z), m.PlaneVolume(z)))
				}
			} else {
				require.NoError(t, k(wm, m))
			}
			return toF64(wm.Data)
		}
		require.Equal(t, run(func(d, s *stack.Volume[uint8]) error { return kernels.FillHoles(ctx, d, s, conn) }),
			computeF64(t, FillHoles(a, conn)))
		require.Equal(t, run(func(d, s *stack.Volume[uint8]) error { return kernels.RemoveSmallObjects(ctx, d, s, 4, conn) }),
			computeF64(t, RemoveSmallObjects(a, 4, conn)))
		require.Equal(t, run(func(d, s *stack.Volume[uint8]) error { return kernels.RemoveSmallHoles(ctx, d, s, 4, conn) }),
			computeF64(t, RemoveSmallHoles(a, 4, conn)))
	}
}
