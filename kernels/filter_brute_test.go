package kernels

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/segstack/segstack/kernels/simd"
	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

// The brute-force references below visit every window position of every
// output directly, mapping each coordinate through stack.Mode.MapIndex,
// with none of the kernels' machinery (no line buffers, padding, running
// sums or networks).

// bruteAt returns the value at (z, y, x) (possibly outside) and whether it
// is inside after mapping; outside means cval.
func bruteAt[T stack.Elem](v *stack.Volume[T], m stack.Mode, z, y, x int) (T, bool) {
	zz, ok1 := m.MapIndex(z, v.Shape.Z)
	yy, ok2 := m.MapIndex(y, v.Shape.Y)
	xx, ok3 := m.MapIndex(x, v.Shape.X)
	if !ok1 || !ok2 || !ok3 {
		var zero T
		return zero, false
	}
	return v.At(zz, yy, xx), true
}

// bruteWindow lists the values of the footprint fs/mask around (z, y, x)
// with origins org, cval cast to T outside.
func bruteWindow[T stack.Elem](v *stack.Volume[T], fs [3]int, mask []bool, org [3]int, m stack.Mode, cv T, z, y, x int) []T {
	var vals []T
	i := 0
	for a := range fs[0] {
		for b := range fs[1] {
			for c := range fs[2] {
				if mask[i] {
					val, ok := bruteAt(v, m, z+a-(fs[0]/2+org[0]), y+b-(fs[1]/2+org[1]), x+c-(fs[2]/2+org[2]))
					if !ok {
						val = cv
					}
					vals = append(vals, val)
				}
				i++
			}
		}
	}
	return vals
}

func randFilterVolume[T stack.Elem](r *rand.Rand, s stack.Shape, hi int) *stack.Volume[T] {
	v := stack.New[T](s)
	var z T
	_, isF := any(z).(float32)
	for i := range v.Data {
		if isF {
			v.Data[i] = T(float32(r.NormFloat64()*50) + 10)
		} else {
			v.Data[i] = T(r.IntN(hi))
		}
	}
	return v
}

func randOptions(r *rand.Rand, s stack.Shape) FilterOptions {
	// Half-integer cvals send integer volumes through the float64 line
	// paths; whole ones through the element-type paths.
	opt := FilterOptions{Mode: stack.Mode(r.IntN(5)), Cval: float64(r.IntN(9)) + 0.5*float64(r.IntN(2)), PerPlane: s.Z > 1 && r.IntN(3) == 0}
	for a := range 3 {
		opt.Size[a] = r.IntN(6)
		k := max(opt.Size[a], 1)
		opt.Origin[a] = r.IntN(k) - k/2
	}
	if opt.PerPlane || s.Z == 1 {
		opt.Size[0], opt.Origin[0] = 1, 0
	}
	return opt
}

func randShape(r *rand.Rand) stack.Shape {
	if r.IntN(2) == 0 {
		return stack.Shape{Z: 1, Y: 1 + r.IntN(9), X: 1 + r.IntN(40)}
	}
	return stack.Shape{Z: 2 + r.IntN(4), Y: 1 + r.IntN(6), X: 1 + r.IntN(7)}
}

func TestRankFiltersBrute(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for it := range 3000 {
		s := randShape(r)
		switch it % 4 {
		case 0:
			bruteRankCase(t, r, randFilterVolume[uint8](r, s, 256), it)
		case 1:
			bruteRankCase(t, r, randFilterVolume[uint16](r, s, 20), it)
		case 2:
			bruteRankCase(t, r, randFilterVolume[float32](r, s, 0), it)
		default:
			bruteRankCase(t, r, randFilterVolume[int16](r, s, 300), it)
		}
	}
}

func bruteRankCase[T stack.Elem](t *testing.T, r *rand.Rand, src *stack.Volume[T], it int) {
	s := src.Shape
	opt := randOptions(r, s)
	fs := [3]int{max(opt.Size[0], 1), max(opt.Size[1], 1), max(opt.Size[2], 1)}
	if opt.PerPlane || s.Z == 1 {
		fs[0] = 1
	}
	if it%8 < 2 {
		// The 3x3 plane median's network.
		fs, opt.Size, opt.Origin = [3]int{1, 3, 3}, [3]int{1, 3, 3}, [3]int{}
		opt.PerPlane = true
	}
	mask := make([]bool, fs[0]*fs[1]*fs[2])
	for i := range mask {
		mask[i] = it%3 != 0 || r.IntN(3) > 0
	}
	mask[r.IntN(len(mask))] = true
	if it%3 == 0 {
		opt.Footprint = &Footprint{Shape: stack.Shape{Z: fs[0], Y: fs[1], X: fs[2]}, Mask: mask}
	}
	cv := T(opt.Cval)
	ctx := context.Background()
	for _, f := range []struct {
		name string
		run  func(ctx context.Context, dst, src *stack.Volume[T], opt FilterOptions) error
		pick func([]T) T
	}{
		{"min", MinimumFilter[T], func(v []T) T { return slices.Min(v) }},
		{"max", MaximumFilter[T], func(v []T) T { return slices.Max(v) }},
		{"median", MedianFilter[T], func(v []T) T { slices.Sort(v); return v[len(v)/2] }},
	} {
		dst := stack.New[T](s)
		require.NoError(t, f.run(ctx, dst, src, opt))
		for z := range s.Z {
			for y := range s.Y {
				for x := range s.X {
					want := f.pick(bruteWindow(src, fs, mask, opt.Origin, opt.Mode, cv, z, y, x))
					require.Equal(t, want, dst.At(z, y, x), "%d %s %v %+v at %d,%d,%d", it, f.name, s, opt, z, y, x)
				}
			}
		}
	}
}

func TestLinearFiltersBrute(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	ctx := context.Background()
	for it := range 2000 {
		s := randShape(r)
		src := randFilterVolume[uint16](r, s, 1000)
		opt := randOptions(r, s)
		// Uniform: per axis, the window mean of the previous pass's
		// (truncated) output. Integer sums are exact in float64, so the
		// running sum and the direct sum agree bit for bit.
		got := stack.New[uint16](s)
		require.NoError(t, UniformFilter(ctx, got, src, opt))
		cur := src.Clone()
		for _, a := range filterAxes(s, opt.PerPlane) {
			k := opt.Size[a]
			if k <= 1 {
				continue
			}
			next := stack.New[uint16](s)
			for z := range s.Z {
				for y := range s.Y {
					for x := range s.X {
						sum := 0.0
						for j := range k {
							p := [3]int{z, y, x}
							p[a] += j - (k/2 + opt.Origin[a])
							v, ok := bruteAt(cur, opt.Mode, p[0], p[1], p[2])
							if ok {
								sum += float64(v)
							} else {
								sum += opt.Cval
							}
						}
						next.Set(z, y, x, uint16(sum/float64(k)))
					}
				}
			}
			cur = next
		}
		require.Equal(t, cur.Data, got.Data, "uniform %d %v %+v", it, s, opt)
		inPlace := src.Clone()
		require.NoError(t, UniformFilter(ctx, inPlace, inPlace, opt))
		require.Equal(t, got.Data, inPlace.Data, "uniform in place %d %v %+v", it, s, opt)
		for _, f := range []func(ctx context.Context, dst, src *stack.Volume[uint16], opt FilterOptions) error{MinimumFilter[uint16], MaximumFilter[uint16], MedianFilter[uint16]} {
			want, in := stack.New[uint16](s), src.Clone()
			require.NoError(t, f(ctx, want, src, opt))
			require.NoError(t, f(ctx, in, in, opt))
			require.Equal(t, want.Data, in.Data, "rank filter in place %d %v %+v", it, s, opt)
		}

		// Correlate with small integer weights: exact sums, so any order
		// agrees; weights of 0 are skipped as scipy skips them.
		ws := stack.Shape{Z: 1, Y: 1 + r.IntN(3), X: 1 + r.IntN(4)}
		if !(opt.PerPlane || s.Z == 1) {
			ws.Z = 1 + r.IntN(3)
		}
		w := &Weights{Shape: ws, W: make([]float64, ws.Len())}
		for i := range w.W {
			w.W[i] = float64(r.IntN(7) - 3)
		}
		fs := ws.Dims()
		org := [3]int{}
		for a := range 3 {
			org[a] = r.IntN(fs[a]) - fs[a]/2
		}
		o2 := opt
		o2.Origin = org
		gotF := stack.New[float32](s)
		require.NoError(t, Correlate(ctx, gotF, src, w, o2))
		gotC := stack.New[float32](s)
		require.NoError(t, Convolve(ctx, gotC, src, w, o2))
		for z := range s.Z {
			for y := range s.Y {
				for x := range s.X {
					sum, conv := 0.0, 0.0
					i := 0
					for a := range fs[0] {
						for b := range fs[1] {
							for c := range fs[2] {
								v, ok := bruteAt(src, o2.Mode, z+a-(fs[0]/2+org[0]), y+b-(fs[1]/2+org[1]), x+c-(fs[2]/2+org[2]))
								val := o2.Cval
								if ok {
									val = float64(v)
								}
								sum += w.W[i] * val
								// convolve: out[i] = sum_k w[k] in[i - (k - c) + ...]
								vc, okc := bruteAt(src, o2.Mode, z-(a-(fs[0]-1)/2)+convShift(fs[0], org[0]), y-(b-(fs[1]-1)/2)+convShift(fs[1], org[1]), x-(c-(fs[2]-1)/2)+convShift(fs[2], org[2]))
								valc := o2.Cval
								if okc {
									valc = float64(vc)
								}
								conv += w.W[i] * valc
								i++
							}
						}
					}
					require.Equal(t, float32(sum), gotF.At(z, y, x), "correlate %d %v %+v w %v", it, s, o2, w)
					require.Equal(t, float32(conv), gotC.At(z, y, x), "convolve %d %v %+v w %v", it, s, o2, w)
				}
			}
		}
	}
}

// convShift is the shift scipy's convolve applies for an origin: with the
// weights reversed and the origin mirrored, tap k of an extent-n kernel
// reads in[i - (k - (n-1)/2) - origin'] where origin' accounts for the
// centre of an even extent.
func convShift(n, origin int) int {
	// Mirrored origin: -origin, one less for even n; the reversed kernel's
	// tap n-1-k sits at offset (n-1-k) - (n/2 + o') from i.
	o := -origin
	if n%2 == 0 {
		o--
	}
	// offset of original tap k = (n-1-k) - n/2 - o = -(k - (n-1)/2) + ((n-1) - (n-1)/2 - n/2 - o)
	return (n - 1) - (n-1)/2 - n/2 - o
}

// TestMedian3x3Paths holds the vector 3x3 median to the pure-Go network
// on rows of every length up to a few vectors, at unaligned offsets.
func TestMedian3x3Paths(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, path := range simd.Paths() {
		prev, err := simd.Use(path)
		require.NoError(t, err)
		for n := 0; n < 150; n++ {
			for off := range 3 {
				a8, b8, c8 := make([]uint8, n+2+off), make([]uint8, n+2+off), make([]uint8, n+2+off)
				af, bf, cf := make([]float32, n+2+off), make([]float32, n+2+off), make([]float32, n+2+off)
				for i := range a8 {
					a8[i], b8[i], c8[i] = uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256))
					af[i], bf[i], cf[i] = float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.IntN(3))
				}
				got8 := make([]uint8, n+1)
				got8[n] = 77 // guard
				simd.Median3x3U8(got8[:n], a8[off:], b8[off:], c8[off:])
				gotf := make([]float32, n+1)
				gotf[n] = 77
				simd.Median3x3F32(gotf[:n], af[off:], bf[off:], cf[off:])
				for x := range n {
					w8 := []uint8{a8[off+x], a8[off+x+1], a8[off+x+2], b8[off+x], b8[off+x+1], b8[off+x+2], c8[off+x], c8[off+x+1], c8[off+x+2]}
					slices.Sort(w8)
					require.Equal(t, w8[4], got8[x], fmt.Sprintf("%s u8 n=%d off=%d x=%d", path, n, off, x))
					wf := []float32{af[off+x], af[off+x+1], af[off+x+2], bf[off+x], bf[off+x+1], bf[off+x+2], cf[off+x], cf[off+x+1], cf[off+x+2]}
					slices.Sort(wf)
					require.Equal(t, wf[4], gotf[x], fmt.Sprintf("%s f32 n=%d off=%d x=%d", path, n, off, x))
				}
				require.Equal(t, uint8(77), got8[n])
				require.Equal(t, float32(77), gotf[n])
			}
		}
		_, err = simd.Use(prev)
		require.NoError(t, err)
	}
}

// Bad arguments give ErrInvalid, never a panic or an absurd allocation.
func TestFilterErrors(t *testing.T) {
	ctx := context.Background()
	s := stack.Shape{Z: 2, Y: 8, X: 8}
	src, dst := stack.New[uint8](s), stack.New[uint8](s)
	other := stack.New[uint8](stack.Shape{Z: 1, Y: 8, X: 8})
	f32 := stack.New[float32](s)
	for name, err := range map[string]error{
		"shape":           MedianFilter(ctx, other, src, FilterOptions{Size: [3]int{1, 3, 3}}),
		"nil":             UniformFilter[uint8, uint8](ctx, nil, src, FilterOptions{}),
		"mode":            MinimumFilter(ctx, dst, src, FilterOptions{Mode: stack.Mode(9)}),
		"origin":          UniformFilter(ctx, dst, src, FilterOptions{Size: [3]int{1, 3, 3}, Origin: [3]int{0, 2, 0}}),
		"negative size":   MaximumFilter(ctx, dst, src, FilterOptions{Size: [3]int{1, -3, 3}}),
		"huge size":       UniformFilter(ctx, dst, src, FilterOptions{Size: [3]int{1, 1 << 20, 3}}),
		"huge footprint":  MedianFilter(ctx, dst, src, FilterOptions{Footprint: Box(1, 2000, 2000)}),
		"empty footprint": MedianFilter(ctx, dst, src, FilterOptions{Footprint: &Footprint{Shape: stack.Shape{Z: 1, Y: 1, X: 2}, Mask: []bool{false, false}}}),
		"footprint 3-D":   MedianFilter(ctx, dst, src, FilterOptions{Footprint: Box(2, 3, 3), PerPlane: true}),
		"axis":            Sobel(ctx, dst, src, 0, FilterOptions{PerPlane: true}),
		"weights":         Correlate1D(ctx, dst, src, nil, 2, FilterOptions{}),
		"nan weight":      Correlate1D(ctx, dst, src, []float64{math.NaN()}, 2, FilterOptions{}),
		"weights shape":   Correlate(ctx, dst, src, &Weights{Shape: stack.Shape{Z: 1, Y: 2, X: 2}, W: []float64{1}}, FilterOptions{}),
		"sigma":           GaussianLaplace(ctx, f32, src, GaussDerivOptions{Sigma: [3]float64{-1, 1, 1}}),
		"huge sigma":      GaussianGradientMagnitude(ctx, f32, src, GaussDerivOptions{Sigma: [3]float64{0, 1e9, 1}}),
		"nan cval":        UniformFilter(ctx, dst, src, FilterOptions{Mode: stack.Constant, Cval: math.NaN()}),
	} {
		require.ErrorIs(t, err, ErrInvalid, name)
	}
}

// The filters split big volumes over workers; the result is the one of a
// serial run (and -race finds no sharing between workers).
func TestFiltersParallelMatchSerial(t *testing.T) {
	ctx := context.Background()
	s := stack.Shape{Z: 4, Y: 130, X: 170}
	r := rand.New(rand.NewPCG(11, 12))
	u8 := randFilterVolume[uint8](r, s, 256)
	f32 := randFilterVolume[float32](r, s, 0)
	opt := FilterOptions{Size: [3]int{3, 5, 3}, Mode: stack.Reflect}
	fp := FilterOptions{Footprint: &Footprint{Shape: stack.Shape{Z: 1, Y: 3, X: 3}, Mask: []bool{true, false, true, false, true, false, true, false, true}}, Mode: stack.Mirror}
	w := &Weights{Shape: stack.Shape{Z: 1, Y: 2, X: 3}, W: []float64{1, 2, 3, -1, 0.5, 2}}
	runs := map[string]func() []float32{
		"uniform": func() []float32 {
			d := stack.New[float32](s)
			require.NoError(t, UniformFilter(ctx, d, f32, opt))
			return d.Data
		},
		"median": func() []float32 {
			d := stack.New[float32](s)
			require.NoError(t, MedianFilter(ctx, d, f32, FilterOptions{Size: [3]int{1, 3, 3}, PerPlane: true}))
			return d.Data
		},
		"median-u8": func() []float32 {
			d := stack.New[uint8](s)
			require.NoError(t, MedianFilter(ctx, d, u8, opt))
			return stack.Convert[float32](d).Data
		},
		"max": func() []float32 {
			d := stack.New[float32](s)
			require.NoError(t, MaximumFilter(ctx, d, f32, opt))
			return d.Data
		},
		"min-fp": func() []float32 {
			d := stack.New[float32](s)
			require.NoError(t, MinimumFilter(ctx, d, f32, fp))
			return d.Data
		},
		"correlate": func() []float32 {
			d := stack.New[float32](s)
			require.NoError(t, Correlate(ctx, d, u8, w, FilterOptions{}))
			return d.Data
		},
		"sobel": func() []float32 {
			d := stack.New[float32](s)
			require.NoError(t, Sobel(ctx, d, u8, 1, opt))
			return d.Data
		},
		"gl": func() []float32 {
			d := stack.New[float32](s)
			require.NoError(t, GaussianLaplace(ctx, d, f32, GaussDerivOptions{Sigma: [3]float64{1, 2, 1}}))
			return d.Data
		},
	}
	for name, run := range runs {
		prev := runtime.GOMAXPROCS(1)
		serial := run()
		runtime.GOMAXPROCS(4)
		par := run()
		runtime.GOMAXPROCS(prev)
		require.Equal(t, serial, par, name)
	}
}
