package segment

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/sched"
	"github.com/segstack/segstack/stack"
)

// randomVolume fills a volume with values of a wide range, some repeated,
// so that rounding differences between two filters would show.
func randomVolume(s stack.Shape, seed uint64) *stack.Volume[float32] {
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

// zStreamRun smooths planes [z0, z1) of src through one zWindow (and, when
// the filter has Y or X sigmas, kernels.Gaussian on each Z-smoothed plane)
// into dst, and returns how many raw planes it read and the most it held.
func zStreamRun(t *testing.T, dst, src *stack.Volume[float32], opt kernels.GaussianOptions, z0, z1, group int) (reads, held int) {
	t.Helper()
	s := src.Shape
	pool := stack.NewPool[float32](s.PlaneLen())
	read := func(_ context.Context, z int, buf []float32) error {
		reads++
		copy(buf, src.Plane(z))
		return nil
	}
	zw, err := newZWindow(opt, s.Z, s.Y, s.X, pool, read)
	require.NoError(t, err)
	defer zw.release()
	plane := stack.Shape{Z: 1, Y: s.Y, X: s.X}
	yx := opt
	yx.Sigma[0] = 0
	zs := make([][]float32, group)
	for i := range zs {
		zs[i] = make([]float32, s.PlaneLen())
	}
	for g0 := z0; g0 < z1; g0 += group {
		n := min(group, z1-g0)
		if n == 1 {
			require.NoError(t, zw.plane(context.Background(), g0, zs[0]))
		} else {
			require.NoError(t, zw.planes(context.Background(), g0, zs[:n]))
		}
		held = max(held, len(zw.have))
		for i := range n {
			in := &stack.Volume[float32]{Shape: plane, Data: zs[i]}
			out := &stack.Volume[float32]{Shape: plane, Data: dst.Plane(g0 + i)}
			_, err := kernels.Gaussian(context.Background(), out, in, yx)
			require.NoError(t, err)
		}
	}
	return reads, held
}

// Streaming the Z pass through a window of planes gives kernels.Gaussian's
// whole-volume result bit for bit, for every boundary mode at both ends of
// Z (stacks thinner than the kernel included), one output plane at a time
// or several, with the window never above 2r planes more than the outputs
// made at once and each plane of a run read once.
func TestZWindowMatchesGaussian(t *testing.T) {
	t.Parallel()
	modes := []stack.Mode{stack.Reflect, stack.Nearest, stack.Mirror, stack.Constant, stack.Wrap}
	sigmas := [][3]float64{{1, 0, 0}, {1, 1, 1}, {2.2, 0.7, 1.5}, {0.1, 1, 1}, {0, 1, 2}}
	for _, nz := range []int{1, 2, 3, 6, 13} {
		// 530 columns: two column pieces, neither a multiple of a vector.
		src := randomVolume(stack.Shape{Z: nz, Y: 5, X: 530}, uint64(nz))
		for _, mode := range modes {
			for _, sigma := range sigmas {
				name := fmt.Sprintf("z%d/%v/%v", nz, mode, sigma)
				opt := kernels.GaussianOptions{Sigma: sigma, Mode: mode, Cval: 7.5}
				want := stack.New[float32](src.Shape)
				_, err := kernels.Gaussian(context.Background(), want, src, opt)
				require.NoError(t, err, name)
				r := kernels.Depth(opt)[0]

				for _, group := range []int{1, 2, 3} {
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

// smooth3D, with its plane runs spread over the workers and each plane's Y
// and X passes tiled by the chunks, writes kernels.Gaussian's whole-volume
// result (reflect at every edge) to its scratch file bit for bit, and finds
// the volume's extremes.
func TestSmooth3DMatchesWholeVolumeGaussian(t *testing.T) {
	t.Parallel()
	src := randomVolume(stack.Shape{Z: 11, Y: 23, X: 37}, 5)
	for _, sigma := range [][3]float64{{1, 1, 1}, {2, 1, 0.5}, {0, 1, 1}} {
		want := stack.New[float32](src.Shape)
		_, err := kernels.Gaussian(context.Background(), want, src, kernels.GaussianOptions{Sigma: sigma, Mode: stack.Reflect})
		require.NoError(t, err)
		wantLo, wantHi := minMax(want.Data)
		for _, workers := range []int{1, 2, 3} {
			for _, chunks := range []stack.Shape{{}, {Y: 7, X: 9}} {
				name := fmt.Sprintf("sigma %v workers %d chunks %v", sigma, workers, chunks)
				cl, err := sched.NewLocalCluster(sched.Options{Workers: workers})
				require.NoError(t, err)
				r := &run{
					opt:     Options{Sigma: sigma, Chunks: chunks},
					src:     VolumeSource(src),
					shape:   src.Shape,
					backend: kernels.CPU(),
					cluster: cl,
					workers: workers,
					rep:     &Report{},
				}
				f, err := os.CreateTemp(t.TempDir(), "smooth")
				require.NoError(t, err)
				planes := 0
				lo, hi, err := r.smooth3D(context.Background(), f, stack.NewPool[float32](src.Shape.PlaneLen()), func(n int) { planes += n })
				require.NoError(t, cl.Shutdown())
				require.NoError(t, err, name)
				require.Equal(t, src.Shape.Z, planes, name)
				got := make([]float32, src.Shape.Len())
				require.NoError(t, readScratch(f, got, 0))
				require.NoError(t, f.Close())
				require.Equal(t, want.Data, got, name)
				require.Equal(t, wantLo, lo, name)
				require.Equal(t, wantHi, hi, name)
			}
		}
	}
}

// mergeFace, which skips repeated pairs, joins exactly the provisional
// labels that a plain scan of every pair of touching voxels joins.
func TestMergeFaceMatchesBruteForce(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(8, 1))
	const ny, nx = 9, 13
	for trial := range 200 {
		a := make([]uint32, ny*nx)
		b := make([]uint32, ny*nx)
		// Sparse faces with many labels, so that most pairs touch at one
		// place only and a missed neighbour changes the result; runs of
		// one label in b, as a labeller makes them.
		na, nb := 1+rng.IntN(60), 1+rng.IntN(60)
		density := 2 + rng.IntN(6)
		for i := range a {
			if rng.IntN(density) == 0 {
				a[i] = 1 + uint32(rng.IntN(na))
			}
			switch {
			case i%nx > 0 && b[i-1] != 0 && rng.IntN(2) == 0:
				b[i] = b[i-1]
			case rng.IntN(density) == 0:
				b[i] = 1 + uint32(rng.IntN(nb))
			}
		}
		for _, conn := range []kernels.Connectivity{kernels.Conn6, kernels.Conn18, kernels.Conn26} {
			got := unionFind{parent: []uint32{0}}
			got.grow(na + nb)
			mergeFace(&got, a, 0, b, uint32(na), ny, nx, conn)

			want := unionFind{parent: []uint32{0}}
			want.grow(na + nb)
			for y := range ny {
				for x := range nx {
					for dy := -1; dy <= 1; dy++ {
						for dx := -1; dx <= 1; dx++ {
							yy, xx := y+dy, x+dx
							off := faceDist(dy) + faceDist(dx)
							if yy < 0 || yy >= ny || xx < 0 || xx >= nx ||
								(conn == kernels.Conn6 && off > 0) || (conn == kernels.Conn18 && off > 1) {
								continue
							}
							if la, lb := a[yy*nx+xx], b[y*nx+x]; la != 0 && lb != 0 {
								want.union(la, uint32(na)+lb)
							}
						}
					}
				}
			}
			for id := range uint32(na + nb + 1) {
				require.Equal(t, want.find(id), got.find(id), "trial %d conn %d label %d", trial, conn, id)
			}
		}
	}
}

func faceDist(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// BenchmarkZWindow streams the Z pass (sigma 1) of 24 planes of 1024×1024,
// one output at a time or several.
func BenchmarkZWindow(b *testing.B) {
	s := stack.Shape{Z: 24, Y: 1024, X: 1024}
	src := randomVolume(s, 1)
	opt := kernels.GaussianOptions{Sigma: [3]float64{1, 0, 0}}
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
				zw, err := newZWindow(opt, s.Z, s.Y, s.X, pool, read)
				require.NoError(b, err)
				for z := 0; z < s.Z; z += group {
					require.NoError(b, zw.planes(context.Background(), z, dst[:min(group, s.Z-z)]))
				}
				zw.release()
			}
			b.ReportMetric(float64(s.Len())/1e6*float64(b.N)/b.Elapsed().Seconds(), "Mpix/s")
		})
	}
}
