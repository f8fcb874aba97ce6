package kernels

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/stack"
)

// wideRandomVolume fills a volume with values of a wide range, some
// repeated, so that rounding differences between two filters would show.
func wideRandomVolume(s stack.Shape, seed uint64) *stack.Volume[float32] {
	v := stack.New[float32](s)
	rng := rand.New(rand.NewPCG(seed, 3))
	for i := range v.Data {
		switch rng.IntN(4) {
		case 0:
			v.Data[i] = float32(rng.IntN(65536))
		case 1:
			v.Data[i] = float32(rng.NormFloat64() * 1e3)
		default:
			v.Data[i] = rng.Float32()
		}
	}
	return v
}

// zStreamRun smooths planes [z0, z1) of src through one ZStream (and, when
// the filter has Y or X sigmas, Gaussian on each Z-smoothed plane) into
// dst, group planes per call, and returns how many raw planes it read and
// the most it held.
func zStreamRun(t *testing.T, dst, src *stack.Volume[float32], opt GaussianOptions, z0, z1, group int) (reads, held int) {
	t.Helper()
	s := src.Shape
	pool := stack.NewPool[float32](s.PlaneLen())
	read := func(_ context.Context, z int, buf []float32) error {
		reads++
		copy(buf, src.Plane(z))
		return nil
	}
	zs, err := NewZStream(opt, s, pool, read)
	require.NoError(t, err)
	defer zs.Close()
	zw := zs.(*zWindow)
	plane := stack.Shape{Z: 1, Y: s.Y, X: s.X}
	yx := opt
	yx.Sigma[0] = 0
	out := make([][]float32, group)
	for i := range out {
		out[i] = make([]float32, s.PlaneLen())
	}
	for g0 := z0; g0 < z1; g0 += group {
		n := min(group, z1-g0)
		require.NoError(t, zs.Planes(context.Background(), g0, out[:n]))
		held = max(held, len(zw.have))
		for i := range n {
			in := &stack.Volume[float32]{Shape: plane, Data: out[i]}
			o := &stack.Volume[float32]{Shape: plane, Data: dst.Plane(g0 + i)}
			_, err := Gaussian(context.Background(), o, in, yx)
			require.NoError(t, err)
		}
	}
	return reads, held
}

// Streaming the Z pass through a window of planes gives Gaussian's
// whole-volume result bit for bit, for every boundary mode at both ends of
// Z (stacks thinner than the kernel included), one output plane at a time
// or several, with the window never above 2r planes more than the outputs
// made at once and each plane of a run read once.
func TestZStreamMatchesGaussian(t *testing.T) {
	t.Parallel()
	modes := []stack.Mode{stack.Reflect, stack.Nearest, stack.Mirror, stack.Constant, stack.Wrap}
	sigmas := [][3]float64{{1, 0, 0}, {1, 1, 1}, {2.2, 0.7, 1.5}, {0.1, 1, 1}, {0, 1, 2}}
	for _, nz := range []int{1, 2, 3, 6, 13} {
		// 530 columns: not a multiple of any vector width.
		src := wideRandomVolume(stack.Shape{Z: nz, Y: 5, X: 530}, uint64(nz))
		for _, mode := range modes {
			for _, sigma := range sigmas {
				name := fmt.Sprintf("z%d/%v/%v", nz, mode, sigma)
				opt := GaussianOptions{Sigma: sigma, Mode: mode, Cval: 7.5}
				want := stack.New[float32](src.Shape)
				_, err := Gaussian(context.Background(), want, src, opt)
				require.NoError(t, err, name)
				r := Depth(opt)[0]

				for _, group := range []int{1, 2, 3, 9} {
					got := stack.New[float32](src.Shape)
					reads, held := zStreamRun(t, got, src, opt, 0, nz, group)
					for i := range want.Data {
						if math.Float32bits(want.Data[i]) != math.Float32bits(got.Data[i]) {
							require.Failf(t, "smoothed values differ", "%s group %d: voxel %d: stream %v, whole volume %v", name, group, i, got.Data[i], want.Data[i])
						}
					}
					require.LessOrEqual(t, held, 2*r+group, name)
					if mode != stack.Wrap {
						// Each plane once; wrap reads the far end's
						// planes again at the start.
						require.LessOrEqual(t, reads, nz, name)
					}
				}

				// A run from the middle to the end, as one task of the
				// pipeline makes it: the same planes, reading at most the
				// run and the 2r planes around it.
				if nz > 2 {
					part := stack.New[float32](src.Shape)
					z0 := nz / 2
					reads, _ := zStreamRun(t, part, src, opt, z0, nz, 2)
					require.Equal(t, want.Data[z0*src.Shape.PlaneLen():], part.Data[z0*src.Shape.PlaneLen():], name)
					require.LessOrEqual(t, reads, nz-z0+2*r, name)
				}
			}
		}
	}
}

// A ZStream refuses what cannot work, and hands the reader's error back.
func TestZStreamErrors(t *testing.T) {
	t.Parallel()
	s := stack.Shape{Z: 4, Y: 3, X: 5}
	pool := stack.NewPool[float32](s.PlaneLen())
	boom := errors.New("boom")
	read := func(_ context.Context, z int, buf []float32) error {
		if z == 3 {
			return boom
		}
		return nil
	}
	opt := GaussianOptions{Sigma: [3]float64{1, 1, 1}}
	for name, f := range map[string]func() error{
		"pool": func() error {
			_, err := NewZStream(opt, s, stack.NewPool[float32](7), read)
			return err
		},
		"sigma": func() error {
			_, err := NewZStream(GaussianOptions{Sigma: [3]float64{-1, 0, 0}}, s, pool, read)
			return err
		},
		"truncate": func() error {
			_, err := NewZStream(GaussianOptions{Sigma: [3]float64{1, 0, 0}, Truncate: -1}, s, pool, read)
			return err
		},
		"mode": func() error {
			_, err := NewZStream(GaussianOptions{Sigma: [3]float64{1, 0, 0}, Mode: 99}, s, pool, read)
			return err
		},
		"shape": func() error {
			_, err := NewZStream(opt, stack.Shape{Z: 0, Y: 3, X: 5}, pool, read)
			return err
		},
		"range": func() error {
			zs, err := NewZStream(opt, s, pool, read)
			require.NoError(t, err)
			defer zs.Close()
			return zs.Planes(context.Background(), 3, make([][]float32, 2))
		},
		"short": func() error {
			zs, err := NewZStream(opt, s, pool, read)
			require.NoError(t, err)
			defer zs.Close()
			return zs.Planes(context.Background(), 0, [][]float32{make([]float32, 14)})
		},
	} {
		require.ErrorIs(t, f(), ErrInvalid, name)
	}
	zs, err := NewZStream(opt, s, pool, read)
	require.NoError(t, err)
	defer zs.Close()
	require.ErrorIs(t, zs.Planes(context.Background(), 2, [][]float32{make([]float32, s.PlaneLen())}), boom)
}

// BenchmarkZStream streams the Z pass (sigma 1) of 24 planes of 1024×1024,
// one output at a time or several.
func BenchmarkZStream(b *testing.B) {
	s := stack.Shape{Z: 24, Y: 1024, X: 1024}
	src := wideRandomVolume(s, 1)
	opt := GaussianOptions{Sigma: [3]float64{1, 0, 0}}
	for _, group := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("group=%d", group), func(b *testing.B) {
			pool := stack.NewPool[float32](s.PlaneLen())
			read := func(_ context.Context, z int, buf []float32) error {
				copy(buf, src.Plane(z))
				return nil
			}
			dst := make([][]float32, group)
			for i := range dst {
				dst[i] = make([]float32, s.PlaneLen())
			}
			b.SetBytes(int64(s.Len()) * 4)
			for b.Loop() {
				zs, err := NewZStream(opt, s, pool, read)
				require.NoError(b, err)
				for z := 0; z < s.Z; z += group {
					require.NoError(b, zs.Planes(context.Background(), z, dst[:min(group, s.Z-z)]))
				}
				zs.Close()
			}
			b.ReportMetric(float64(s.Len())/1e6*float64(b.N)/b.Elapsed().Seconds(), "Mpix/s")
		})
	}
}
