package segment

import (
	"context"
	"fmt"
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
