package kernels

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

// sweepDims are the extents swept on each axis: 1, small odd sizes, and
// each side of the SIMD widths and of 64, so that every tail, stride and
// tiny-plane path runs.
var sweepDims = []int{1, 2, 3, 7, 8, 15, 16, 17, 63, 64, 65}

// TestKernelShapeSweep runs the Gaussian (every pattern of active axes),
// LabelAbove into uint32 and uint16 (every connectivity of the shape) and
// Max on every Z in {1, 2, 3, 5} and Y, X of sweepDims, on every SIMD path,
// against brute-force references.
func TestKernelShapeSweep(t *testing.T) {
	ctx := context.Background()
	forEachPath(t, func(t *testing.T, path string) {
		rng := rand.New(rand.NewPCG(1, 2))
		sigmas := [][3]float64{{0, 1, 1}, {1, 1, 1}, {1, 0, 1}, {1, 1, 0}, {0, 0, 1}, {0, 1, 0}, {1, 0, 0}, {0, 2.5, 0.7}}
		for _, z := range []int{1, 2, 3, 5} {
			for _, y := range sweepDims {
				for _, x := range sweepDims {
					s := stack.Shape{Z: z, Y: y, X: x}
					src := randVolume(rng, s)
					sig := sigmas[rng.IntN(len(sigmas))]
					opt := GaussianOptions{Sigma: sig, Mode: stack.Mode(rng.IntN(5)), Cval: 3}
					dst := stack.New[float32](s)
					m, err := Gaussian(ctx, dst, src, opt)
					require.NoError(t, err)
					want := bruteGaussian(src, opt)
					requireClose(t, want, dst.Data, path+" "+s.String())
					require.Equal(t, simdMaxRef(dst.Data), m, "%s %v: max", path, s)

					th := float32(35) // about the median of randVolume's values
					mask := stack.New[uint8](s)
					for i, v := range src.Data {
						if v > th {
							mask.Data[i] = 1
						}
					}
					for _, conn := range connsFor(s) {
						wl, wn := floodLabel(fgOf(mask), s, conn)
						l32 := stack.New[uint32](s)
						n, err := LabelAbove(ctx, l32, src, th, conn)
						require.NoError(t, err)
						require.Equal(t, wn, n, "%s %v conn %d", path, s, conn)
						require.Equal(t, wl, l32.Data, "%s %v conn %d", path, s, conn)
						l16 := stack.New[uint16](s)
						n, err = LabelAbove16(ctx, l16, src, th, conn)
						require.NoError(t, err)
						require.Equal(t, wn, n)
						for i, l := range wl {
							require.Equal(t, uint16(l), l16.Data[i], "%s %v conn %d uint16 voxel %d", path, s, conn, i)
						}
					}
				}
			}
		}
	})
}
