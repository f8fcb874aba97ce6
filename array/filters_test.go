package array_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/segstack/segstack/array"
	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

// Every filter on a chunked array equals the kernel on the whole volume,
// bit for bit, in every mode (constant with an awkward cval included),
// for several chunkings, 2-D and 3-D arrays and per-plane filtering.
func TestFiltersMatchKernels(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(9, 9))
	s := stack.Shape{Z: 5, Y: 13, X: 11}
	u8 := stack.New[uint8](s)
	f32 := stack.New[float32](s)
	for i := range u8.Data {
		u8.Data[i] = uint8(r.IntN(256))
		f32.Data[i] = float32(r.NormFloat64() * 30)
	}
	type filt struct {
		name   string
		arr    func(a *array.Array, opt kernels.FilterOptions) *array.Array
		kernU8 func(d, s *stack.Volume[uint8], opt kernels.FilterOptions) error
		kernF  func(d, s *stack.Volume[float32], opt kernels.FilterOptions) error
	}
	w3 := &kernels.Weights{Shape: stack.Shape{Z: 2, Y: 3, X: 2}, W: []float64{1, -2, 0.5, 3, 0, 1, -1, 2, 0.25, 1, 1, -3}}
	w2 := &kernels.Weights{Shape: stack.Shape{Z: 1, Y: 3, X: 2}, W: []float64{1, -2, 0.5, 3, 0, 1}}
	fp := &kernels.Footprint{Shape: stack.Shape{Z: 1, Y: 3, X: 3}, Mask: []bool{false, true, false, true, true, true, false, true, true}}
	gopt := func(o kernels.FilterOptions) kernels.GaussDerivOptions {
		return kernels.GaussDerivOptions{Sigma: [3]float64{1, 0.8, 1.5}, Mode: o.Mode, Cval: o.Cval, PerPlane: o.PerPlane}
	}
	filters := []filt{
		{"uniform", array.UniformFilter,
			func(d, s *stack.Volume[uint8], o kernels.FilterOptions) error {
				return kernels.UniformFilter(ctx, d, s, o)
			},
			func(d, s *stack.Volume[float32], o kernels.FilterOptions) error {
				return kernels.UniformFilter(ctx, d, s, o)
			}},
		{"median", array.MedianFilter,
			func(d, s *stack.Volume[uint8], o kernels.FilterOptions) error {
				return kernels.MedianFilter(ctx, d, s, o)
			},
			func(d, s *stack.Volume[float32], o kernels.FilterOptions) error {
				return kernels.MedianFilter(ctx, d, s, o)
			}},
		{"minimum", array.MinimumFilter,
			func(d, s *stack.Volume[uint8], o kernels.FilterOptions) error {
				return kernels.MinimumFilter(ctx, d, s, o)
			},
			func(d, s *stack.Volume[float32], o kernels.FilterOptions) error {
				return kernels.MinimumFilter(ctx, d, s, o)
			}},
		{"maximum-footprint", func(a *array.Array, o kernels.FilterOptions) *array.Array {
			o.Footprint = fp
			return array.MaximumFilter(a, o)
		},
			func(d, s *stack.Volume[uint8], o kernels.FilterOptions) error {
				o.Footprint = fp
				return kernels.MaximumFilter(ctx, d, s, o)
			},
			func(d, s *stack.Volume[float32], o kernels.FilterOptions) error {
				o.Footprint = fp
				return kernels.MaximumFilter(ctx, d, s, o)
			}},
		{"sobel", func(a *array.Array, o kernels.FilterOptions) *array.Array { return array.Sobel(a, 2, o) },
			func(d, s *stack.Volume[uint8], o kernels.FilterOptions) error { return kernels.Sobel(ctx, d, s, 2, o) },
			func(d, s *stack.Volume[float32], o kernels.FilterOptions) error {
				return kernels.Sobel(ctx, d, s, 2, o)
			}},
		{"prewitt", func(a *array.Array, o kernels.FilterOptions) *array.Array { return array.Prewitt(a, 1, o) },
			func(d, s *stack.Volume[uint8], o kernels.FilterOptions) error {
				return kernels.Prewitt(ctx, d, s, 1, o)
			},
			func(d, s *stack.Volume[float32], o kernels.FilterOptions) error {
				return kernels.Prewitt(ctx, d, s, 1, o)
			}},
		{"laplace", array.Laplace,
			func(d, s *stack.Volume[uint8], o kernels.FilterOptions) error { return kernels.Laplace(ctx, d, s, o) },
			func(d, s *stack.Volume[float32], o kernels.FilterOptions) error { return kernels.Laplace(ctx, d, s, o) }},
		{"convolve1d", func(a *array.Array, o kernels.FilterOptions) *array.Array {
			return array.Convolve1D(a, []float64{1, 3, -2, 0.5}, 1, o)
		},
			func(d, s *stack.Volume[uint8], o kernels.FilterOptions) error {
				return kernels.Convolve1D(ctx, d, s, []float64{1, 3, -2, 0.5}, 1, o)
			},
			func(d, s *stack.Volume[float32], o kernels.FilterOptions) error {
				return kernels.Convolve1D(ctx, d, s, []float64{1, 3, -2, 0.5}, 1, o)
			}},
		{"convolve", func(a *array.Array, o kernels.FilterOptions) *array.Array {
			if o.PerPlane {
				return array.Convolve(a, w2, o)
			}
			return array.Convolve(a, w3, o)
		},
			func(d, s *stack.Volume[uint8], o kernels.FilterOptions) error {
				if o.PerPlane {
					return kernels.Convolve(ctx, d, s, w2, o)
				}
				return kernels.Convolve(ctx, d, s, w3, o)
			},
			func(d, s *stack.Volume[float32], o kernels.FilterOptions) error {
				if o.PerPlane {
					return kernels.Convolve(ctx, d, s, w2, o)
				}
				return kernels.Convolve(ctx, d, s, w3, o)
			}},
		{"gaussian-laplace", func(a *array.Array, o kernels.FilterOptions) *array.Array { return array.GaussianLaplace(a, gopt(o)) },
			nil,
			func(d, s *stack.Volume[float32], o kernels.FilterOptions) error {
				return kernels.GaussianLaplace(ctx, d, s, gopt(o))
			}},
		{"gaussian-gradient-magnitude", func(a *array.Array, o kernels.FilterOptions) *array.Array {
			return array.GaussianGradientMagnitude(a, gopt(o))
		},
			nil,
			func(d, s *stack.Volume[float32], o kernels.FilterOptions) error {
				return kernels.GaussianGradientMagnitude(ctx, d, s, gopt(o))
			}},
	}
	chunkings := [][]int{{5, 13, 11}, {2, 4, 3}, {1, 7, 5}}
	for mode := stack.Reflect; mode <= stack.Wrap; mode++ {
		for _, perPlane := range []bool{false, true} {
			opt := kernels.FilterOptions{Size: [3]int{2, 3, 4}, Origin: [3]int{0, 1, -1}, Mode: mode, Cval: 0.1, PerPlane: perPlane}
			if mode == stack.Constant {
				opt.Cval = 3 // a value of every type here (see TestFilterCval)
			}
			for _, f := range filters {
				name := fmt.Sprintf("%s/%s/perplane=%v", f.name, mode, perPlane)
				if f.kernU8 != nil {
					want := stack.New[uint8](s)
					require.NoError(t, f.kernU8(want, u8, opt), name)
					for _, ch := range chunkings {
						got := computeVolume[uint8](t, f.arr(array.FromVolume(u8, ch), opt))
						require.Equal(t, want.Data, got.Data, "%s uint8 chunks %v", name, ch)
					}
				}
				want := stack.New[float32](s)
				require.NoError(t, f.kernF(want, f32, opt), name)
				for _, ch := range chunkings {
					got := computeVolume[float32](t, f.arr(array.FromVolume(f32, ch), opt))
					require.Equal(t, want.Data, got.Data, "%s float32 chunks %v", name, ch)
				}
			}
		}
	}
}

func computeVolume[T stack.Elem](t *testing.T, a *array.Array) *stack.Volume[T] {
	t.Helper()
	require.NoError(t, a.Err())
	res, err := a.Compute(context.Background(), nil)
	require.NoError(t, err)
	v, err := array.ToVolume[T](res)
	require.NoError(t, err)
	return v
}

// A 2-D array (rank 2) is filtered as scipy filters a 2-D array.
func TestFilters2DArray(t *testing.T) {
	t.Parallel()
	s := stack.Shape{Z: 1, Y: 20, X: 30}
	v := stack.New[uint16](s)
	r := rand.New(rand.NewPCG(2, 3))
	for i := range v.Data {
		v.Data[i] = uint16(r.IntN(5000))
	}
	opt := kernels.FilterOptions{Size: [3]int{0, 3, 5}, Mode: stack.Mirror}
	want := stack.New[uint16](s)
	require.NoError(t, kernels.MedianFilter(context.Background(), want, v, opt))
	a := array.FromSlice(v.Data, []int{20, 30}, []int{7, 8})
	got := computeVolume[uint16](t, array.MedianFilter(a, opt))
	require.Equal(t, want.Data, got.Data)
}

// A constant mode's cval must be a value of the array's type: the halos
// hold it in that type.
func TestFilterCval(t *testing.T) {
	t.Parallel()
	a := array.FromVolume(stack.New[uint8](stack.Shape{Z: 1, Y: 8, X: 8}), []int{1, 4, 4})
	opt := kernels.FilterOptions{Size: [3]int{1, 3, 3}, Mode: stack.Constant, Cval: 3.3}
	require.ErrorContains(t, array.UniformFilter(a, opt).Err(), "cval 3.3 is not a uint8 value")
	opt.Cval = 1.5
	require.NoError(t, array.UniformFilter(a.Astype(stack.Float32), opt).Err())
}
