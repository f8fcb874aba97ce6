package kernels

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/segstack/segstack/kernels/simd"
	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

// forEachPath runs f once per SIMD path present, switching the package-wide
// path, so one test run covers AVX-512, AVX2 and Go where the CPU has them.
func forEachPath(t *testing.T, f func(t *testing.T, path string)) {
	for _, p := range simd.Paths() {
		prev, err := simd.Use(p)
		require.NoError(t, err)
		t.Run(p, func(t *testing.T) { f(t, p) })
		_, err = simd.Use(prev)
		require.NoError(t, err)
	}
}

// requireClose checks got against scipy's want within 1e-5 relative, with
// an absolute floor of 1e-5 of the largest magnitude (near-zero outputs
// carry the rounding of much larger terms).
func requireClose(t *testing.T, want, got []float32, msg string) {
	t.Helper()
	require.Len(t, got, len(want))
	scale := 0.0
	for _, v := range want {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	for i := range want {
		d := math.Abs(float64(want[i]) - float64(got[i]))
		tol := 1e-5*math.Abs(float64(want[i])) + 1e-6*scale
		if d > tol {
			require.Failf(t, "mismatch", "%s: element %d: scipy %v, got %v (diff %g > %g)", msg, i, want[i], got[i], d, tol)
		}
	}
}

func caseOptions(t *testing.T, c gaussCase) GaussianOptions {
	m, err := stack.ParseMode(c.Mode)
	require.NoError(t, err)
	return GaussianOptions{Sigma: c.Sigma, Truncate: c.Truncate, Mode: m, Cval: c.Cval}
}

func runCase(t *testing.T, c gaussCase, blob []byte) (*stack.Volume[float32], float32) {
	s := stack.ShapeOf(c.Shape)
	dst := stack.New[float32](s)
	opt := caseOptions(t, c)
	ctx := context.Background()
	var m float32
	var err error
	switch c.DType {
	case "float32":
		src, _ := stack.FromSlice(s, f32s(blob, c.Input, s.Len()))
		m, err = Gaussian(ctx, dst, src, opt)
	case "uint8":
		src, _ := stack.FromSlice(s, append([]uint8(nil), blob[c.Input:c.Input+s.Len()]...))
		m, err = GaussianOf(ctx, dst, src, opt)
	case "uint16":
		src, _ := stack.FromSlice(s, u16s(blob, c.Input, s.Len()))
		m, err = GaussianOf(ctx, dst, src, opt)
	default:
		t.Fatalf("dtype %s", c.DType)
	}
	require.NoError(t, err, c.Name)
	return dst, m
}

func TestGaussianMatchesScipy(t *testing.T) {
	cases, blob := loadFixture[gaussCase](t, "gaussian")
	forEachPath(t, func(t *testing.T, path string) {
		for _, c := range cases {
			dst, m := runCase(t, c, blob)
			want := f32s(blob, c.Output, len(dst.Data))
			requireClose(t, want, dst.Data, c.Name)
			require.Equal(t, simdMaxRef(dst.Data), m, "%s: returned max", c.Name)
		}
	})
}

func simdMaxRef(x []float32) float32 {
	m := float32(math.Inf(-1))
	for _, v := range x {
		m = max(m, v)
	}
	return m
}

// Every path gives the same bits as the pure-Go path.
func TestGaussianPathsBitIdentical(t *testing.T) {
	cases, blob := loadFixture[gaussCase](t, "gaussian")
	ref := map[string][]float32{}
	prev, err := simd.Use(simd.PathGo)
	require.NoError(t, err)
	for _, c := range cases {
		d, _ := runCase(t, c, blob)
		ref[c.Name] = d.Data
	}
	_, err = simd.Use(prev)
	require.NoError(t, err)
	forEachPath(t, func(t *testing.T, path string) {
		for _, c := range cases {
			d, _ := runCase(t, c, blob)
			require.Equal(t, ref[c.Name], d.Data, c.Name)
		}
	})
}

func randVolume(rng *rand.Rand, s stack.Shape) *stack.Volume[float32] {
	v := stack.New[float32](s)
	for i := range v.Data {
		v.Data[i] = float32(rng.ExpFloat64() * 50)
	}
	return v
}

// Parallel runs (row bands and planes on several workers) equal a serial run.
func TestGaussianParallelEqualsSerial(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, s := range []stack.Shape{{Z: 1, Y: 300, X: 257}, {Z: 3, Y: 130, X: 200}, {Z: 17, Y: 40, X: 101}} {
		src := randVolume(rng, s)
		for _, opt := range []GaussianOptions{
			{Sigma: [3]float64{0, 1, 1}},
			{Sigma: [3]float64{1, 2, 1}, Mode: stack.Wrap},
			{Sigma: [3]float64{2, 0, 3}, Mode: stack.Constant, Cval: 9},
		} {
			old := runtime.GOMAXPROCS(1)
			serial := stack.New[float32](s)
			m1, err := Gaussian(context.Background(), serial, src, opt)
			require.NoError(t, err)
			runtime.GOMAXPROCS(7)
			par := stack.New[float32](s)
			m2, err := Gaussian(context.Background(), par, src, opt)
			runtime.GOMAXPROCS(old)
			require.NoError(t, err)
			require.Equal(t, serial.Data, par.Data, "%v %+v", s, opt)
			require.Equal(t, m1, m2)
		}
	}
}

// Filtering chunk tiles with halos and cropping their cores gives the
// whole-volume result: exactly for every mode but constant, where the
// halo outside the volume holds filtered cval instead of cval.
func TestGaussianTilesEqualWhole(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	s := stack.Shape{Z: 9, Y: 37, X: 41}
	src := randVolume(rng, s)
	for _, mode := range []stack.Mode{stack.Reflect, stack.Nearest, stack.Mirror, stack.Wrap, stack.Constant} {
		opt := GaussianOptions{Sigma: [3]float64{1, 1.5, 0.8}, Mode: mode, Cval: 2}
		whole := stack.New[float32](s)
		_, err := Gaussian(context.Background(), whole, src, opt)
		require.NoError(t, err)
		depth := Depth(opt)
		require.Equal(t, [3]int{4, 6, 3}, depth)
		out := stack.New[float32](s)
		for z0 := 0; z0 < s.Z; z0 += 4 {
			for y0 := 0; y0 < s.Y; y0 += 16 {
				for x0 := 0; x0 < s.X; x0 += 16 {
					b := stack.Box{Lo: [3]int{z0, y0, x0}, Hi: [3]int{min(s.Z, z0+4), min(s.Y, y0+16), min(s.X, x0+16)}}
					tile, err := stack.ExtractTile(src, b, depth, mode, float32(opt.Cval), nil)
					require.NoError(t, err)
					ft := stack.New[float32](tile.Shape)
					_, err = Gaussian(context.Background(), ft, tile, opt)
					require.NoError(t, err)
					require.NoError(t, stack.WriteCore(out, ft, b, depth))
				}
			}
		}
		if mode == stack.Constant {
			requireClose(t, whole.Data, out.Data, "tiles, constant")
		} else {
			require.Equal(t, whole.Data, out.Data, "tiles, mode %v", mode)
		}
	}
}

// A brute-force separable correlation in float64, applied axis by axis with
// float32 rounding between passes, as scipy does.
func bruteGaussian(src *stack.Volume[float32], opt GaussianOptions) []float32 {
	s := src.Shape
	cur := append([]float32(nil), src.Data...)
	dims := s.Dims()
	for a := range 3 {
		k := Kernel1D(opt.Sigma[a], opt.Truncate)
		if len(k) == 1 {
			continue
		}
		r := len(k) / 2
		next := make([]float32, len(cur))
		for z := range s.Z {
			for y := range s.Y {
				for x := range s.X {
					p := [3]int{z, y, x}
					acc := 0.0
					for o := -r; o <= r; o++ {
						q := p
						j, ok := opt.Mode.MapIndex(p[a]+o, dims[a])
						v := opt.Cval
						if ok {
							q[a] = j
							v = float64(cur[(q[0]*s.Y+q[1])*s.X+q[2]])
						}
						acc += k[o+r] * v
					}
					next[(z*s.Y+y)*s.X+x] = float32(acc)
				}
			}
		}
		cur = next
	}
	return cur
}

func TestGaussianAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for i := range 30 {
		s := stack.Shape{Z: 1 + rng.IntN(6), Y: 1 + rng.IntN(20), X: 1 + rng.IntN(40)}
		opt := GaussianOptions{
			Sigma:    [3]float64{rng.Float64() * 2.5, rng.Float64() * 3, rng.Float64() * 4},
			Truncate: []float64{0, 2, 3.5}[rng.IntN(3)],
			Mode:     stack.Mode(rng.IntN(5)),
			Cval:     rng.Float64() * 10,
		}
		if i%4 == 0 {
			opt.Sigma[rng.IntN(3)] = 0
		}
		src := randVolume(rng, s)
		dst := stack.New[float32](s)
		_, err := Gaussian(context.Background(), dst, src, opt)
		require.NoError(t, err)
		requireClose(t, bruteGaussian(src, opt), dst.Data, fmt.Sprintf("%v %+v", s, opt))
	}
}

func TestKernel1D(t *testing.T) {
	k := Kernel1D(1, 4)
	require.Len(t, k, 9)
	sum := 0.0
	for i, v := range k {
		require.Equal(t, k[len(k)-1-i], v)
		sum += v
	}
	require.InDelta(t, 1, sum, 1e-15)
	// scipy.ndimage._filters._gaussian_kernel1d values, to the bit.
	require.Equal(t, 0.39894346935609776, k[4])
	require.Equal(t, 0.00013383062461474175, k[0])
	k3 := Kernel1D(3, 0)
	require.Len(t, k3, 25)
	require.Equal(t, 0.1329845385507837, k3[12])
	require.Equal(t, 0.008740878047691292, k3[5])
	require.Len(t, Kernel1D(1.5, 2.5), 9) // int(2.5*1.5+0.5) = 4
	require.Equal(t, []float64{1}, Kernel1D(0, 4))
	require.Nil(t, Kernel1D(-1, 4))
	require.Nil(t, Kernel1D(math.NaN(), 4))
}

func TestGaussianErrors(t *testing.T) {
	ctx := context.Background()
	a := stack.New[float32](stack.Shape{Z: 1, Y: 4, X: 4})
	b := stack.New[float32](stack.Shape{Z: 1, Y: 4, X: 5})
	_, err := Gaussian(ctx, b, a, GaussianOptions{Sigma: [3]float64{0, 1, 1}})
	require.ErrorIs(t, err, ErrInvalid)
	_, err = Gaussian(ctx, a, a.Clone(), GaussianOptions{Sigma: [3]float64{0, -1, 1}})
	require.ErrorIs(t, err, ErrInvalid)
	_, err = Gaussian(ctx, a, a.Clone(), GaussianOptions{Sigma: [3]float64{0, 1, 1}, Mode: stack.Mode(9)})
	require.ErrorIs(t, err, ErrInvalid)
	_, err = Gaussian(ctx, a, a.Clone(), GaussianOptions{Sigma: [3]float64{0, 1e9, 1}})
	require.ErrorIs(t, err, ErrInvalid)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Gaussian(cctx, a, a.Clone(), GaussianOptions{Sigma: [3]float64{0, 1, 1}})
	require.ErrorIs(t, err, context.Canceled)
}

// In place (dst == src) gives the same result as into a fresh volume.
func TestGaussianInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	src := randVolume(rng, stack.Shape{Z: 2, Y: 30, X: 33})
	want := stack.New[float32](src.Shape)
	opt := GaussianOptions{Sigma: [3]float64{1, 1, 1}}
	m1, err := Gaussian(context.Background(), want, src, opt)
	require.NoError(t, err)
	m2, err := Gaussian(context.Background(), src, src, opt)
	require.NoError(t, err)
	require.Equal(t, want.Data, src.Data)
	require.Equal(t, m1, m2)
}

// GaussianOf converts any element type first; signed and 32-bit types
// included.
func TestGaussianOfConverts(t *testing.T) {
	ctx := context.Background()
	s := stack.Shape{Z: 2, Y: 9, X: 21}
	i16 := stack.New[int16](s)
	u32 := stack.New[uint32](s)
	for i := range i16.Data {
		i16.Data[i] = int16(i*37%200 - 100)
		u32.Data[i] = uint32(i * 1009 % 70000)
	}
	opt := GaussianOptions{Sigma: [3]float64{0.7, 1, 2}, Mode: stack.Mirror}
	for _, c := range []struct {
		name string
		run  func(dst *stack.Volume[float32]) (float32, error)
		f32  *stack.Volume[float32]
	}{
		{"int16", func(d *stack.Volume[float32]) (float32, error) { return GaussianOf(ctx, d, i16, opt) }, stack.Convert[float32](i16)},
		{"uint32", func(d *stack.Volume[float32]) (float32, error) { return GaussianOf(ctx, d, u32, opt) }, stack.Convert[float32](u32)},
	} {
		got := stack.New[float32](s)
		m1, err := c.run(got)
		require.NoError(t, err, c.name)
		want := stack.New[float32](s)
		m2, err := Gaussian(ctx, want, c.f32, opt)
		require.NoError(t, err)
		require.Equal(t, want.Data, got.Data, c.name)
		require.Equal(t, m2, m1)
	}
	_, err := GaussianOf(ctx, stack.New[float32](stack.Shape{Z: 1, Y: 1, X: 1}), i16, opt)
	require.ErrorIs(t, err, ErrInvalid)
}

// Larger planes exercise the full-width vector blocks and the column
// chunks of the Z pass on every path.
func TestGaussianLargePathsBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	src := randVolume(rng, stack.Shape{Z: 6, Y: 21, X: 1100})
	opt := GaussianOptions{Sigma: [3]float64{1, 2, 3}, Mode: stack.Nearest}
	var ref []float32
	forEachPath(t, func(t *testing.T, path string) {
		dst := stack.New[float32](src.Shape)
		_, err := Gaussian(context.Background(), dst, src, opt)
		require.NoError(t, err)
		if ref == nil {
			ref = dst.Data
			requireClose(t, bruteGaussian(src, opt), dst.Data, "large")
			return
		}
		require.Equal(t, ref, dst.Data, path)
	})
}

// Outputs large enough for streaming stores hold the same bits as the
// same filter written through the cache, on every path, and the returned
// maximum agrees.
func TestGaussianStreamingStoresBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	s := stack.Shape{Z: 1, Y: streamBytes / 4 / 1040, X: 1040}
	s.Y++
	src := randVolume(rng, s)
	ctx := context.Background()
	for _, sigma := range [][3]float64{{0, 1, 1}, {0, 3, 2}} {
		p, err := newGaussPlan(s, GaussianOptions{Sigma: sigma})
		require.NoError(t, err)
		require.True(t, p.stream)
		forEachPath(t, func(t *testing.T, path string) {
			streamed := stack.New[float32](s)
			ms, err := p.run(ctx, streamed, src)
			require.NoError(t, err)
			p.stream = false
			cached := stack.New[float32](s)
			mc, err := p.run(ctx, cached, src)
			p.stream = true
			require.NoError(t, err)
			require.Equal(t, mc, ms)
			for i := range cached.Data {
				if math.Float32bits(cached.Data[i]) != math.Float32bits(streamed.Data[i]) {
					require.Failf(t, "streamed output differs", "at %d: %v vs %v, sigma %v path %s", i, cached.Data[i], streamed.Data[i], sigma, path)
				}
			}
			require.Equal(t, simd.Max(cached.Data), mc)
		})
	}
}

// 3-D filters whose Z and Y radii take the register-window column kernels
// (radius up to 6), on shapes whose plane count, row count and width leave
// partial plane groups, row steps and vector tails, in every mode: the Go
// path agrees with a brute-force float64 filter and every path gives its
// bits and maximum. The last shape is large enough for streaming stores.
func TestGaussian3DWindowKernelsPathsBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	cases := []struct {
		s     stack.Shape
		sigma [3]float64
		mode  stack.Mode
	}{
		{stack.Shape{Z: 13, Y: 37, X: 70}, [3]float64{1, 1, 1}, stack.Reflect},
		{stack.Shape{Z: 9, Y: 19, X: 33}, [3]float64{0.5, 1.5, 1}, stack.Constant},
		{stack.Shape{Z: 17, Y: 12, X: 48}, [3]float64{1.5, 0.3, 2}, stack.Wrap},
		{stack.Shape{Z: 8, Y: 41, X: 17}, [3]float64{0.75, 1.25, 0}, stack.Mirror},
		{stack.Shape{Z: 11, Y: 26, X: 64}, [3]float64{1, 1, 0.6}, stack.Nearest},
		{stack.Shape{Z: 35, Y: 23, X: 40}, [3]float64{1, 0.7, 1}, stack.Mirror},
		{stack.Shape{Z: 20, Y: 200, X: 528}, [3]float64{1, 1, 1}, stack.Reflect},
	}
	for _, c := range cases {
		src := randVolume(rng, c.s)
		opt := GaussianOptions{Sigma: c.sigma, Mode: c.mode, Cval: 3}
		var ref []float32
		var refMax float32
		forEachPath(t, func(t *testing.T, path string) {
			dst := stack.New[float32](c.s)
			m, err := Gaussian(context.Background(), dst, src, opt)
			require.NoError(t, err)
			require.Equal(t, simd.Max(dst.Data), m)
			if ref == nil {
				ref, refMax = dst.Data, m
				if c.s.Len() < 1<<16 {
					requireClose(t, bruteGaussian(src, opt), dst.Data, fmt.Sprint(c.s, c.sigma))
				}
				return
			}
			require.Equal(t, refMax, m)
			for i := range ref {
				if math.Float32bits(ref[i]) != math.Float32bits(dst.Data[i]) {
					require.Failf(t, "paths differ", "%v sigma %v mode %v, path %s: at %d %v vs %v", c.s, c.sigma, c.mode, path, i, ref[i], dst.Data[i])
				}
			}
		})
	}
}
