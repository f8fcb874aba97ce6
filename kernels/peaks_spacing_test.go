package kernels

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/stack"
)

// bruteSpacedPeaks is PeakLocalMax without labels and with a voxel spacing,
// straight from its definition: a candidate is the maximum of the box of
// voxels d with |d_a|·sp[a] <= D (D = md·sp[X]) clipped to the image, none
// when every voxel is one; above the threshold, off the border (exclude
// width: the box's reach), by decreasing value then raster order, each kept
// unless a kept one lies within |d_a|·sp[a] < D on every axis (md > 1).
func bruteSpacedPeaks(img *stack.Volume[float32], md int, sp [3]float64, thr float32, excl bool) [][3]int {
	s := img.Shape
	D := float64(md) * sp[2]
	near := func(d [3]int, strict bool) bool {
		for a := range 3 {
			if s.Z == 1 && a == 0 {
				continue
			}
			x := math.Abs(float64(d[a])) * sp[a]
			if strict && !(x < D-1e-9) || !strict && !(x <= D+1e-9) {
				return false
			}
		}
		return true
	}
	at := func(z, y, x int) float32 { return img.Data[(z*s.Y+y)*s.X+x] }
	type pk struct {
		c [3]int
		v float32
		i int
	}
	var cands []pk
	others := 0
	reach := [3]int{}
	for a := range 3 {
		for near([3]int{boolInt(a == 0) * (reach[0] + 1), boolInt(a == 1) * (reach[1] + 1), boolInt(a == 2) * (reach[2] + 1)}, false) && !(s.Z == 1 && a == 0) {
			reach[a]++
		}
	}
	for z := range s.Z {
		for y := range s.Y {
			for x := range s.X {
				v := at(z, y, x)
				isMax := true
				for zz := range s.Z {
					for yy := range s.Y {
						for xx := range s.X {
							if near([3]int{zz - z, yy - y, xx - x}, false) && at(zz, yy, xx) > v {
								isMax = false
							}
						}
					}
				}
				if !isMax {
					others++
					continue
				}
				c := [3]int{z, y, x}
				in := true
				for a, n := range []int{s.Z, s.Y, s.X} {
					if excl && (c[a] < reach[a] || c[a] >= n-reach[a]) {
						in = false
					}
				}
				if v > thr && in {
					cands = append(cands, pk{c, v, (z*s.Y+y)*s.X + x})
				}
			}
		}
	}
	if others == 0 && md > 0 && s.Len() > 1 {
		return [][3]int{}
	}
	slices.SortFunc(cands, func(a, b pk) int {
		if a.v != b.v {
			return cmp.Compare(b.v, a.v)
		}
		return cmp.Compare(a.i, b.i)
	})
	out := [][3]int{}
	for _, p := range cands {
		keep := true
		if md > 1 {
			for _, q := range out {
				if near([3]int{p.c[0] - q[0], p.c[1] - q[1], p.c[2] - q[2]}, true) {
					keep = false
					break
				}
			}
		}
		if keep {
			out = append(out, p.c)
		}
	}
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestPeakLocalMaxSpacing holds PeakLocalMax with a voxel spacing to the
// brute-force definition on random volumes, and Spacing {1, 1, 1} to the
// isotropic (scikit-image) peaks.
func TestPeakLocalMaxSpacing(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 19))
	for trial := range 300 {
		s := stack.Shape{Z: 1 + rng.IntN(6), Y: 3 + rng.IntN(9), X: 3 + rng.IntN(9)}
		img := stack.New[float32](s)
		levels := []int{3, 50, 1 << 20}[rng.IntN(3)]
		for i := range img.Data {
			img.Data[i] = float32(rng.IntN(levels))
		}
		md := rng.IntN(5)
		sp := [3]float64{[]float64{0.3, 0.5, 1, 1.5, 2, 3.5}[rng.IntN(6)], 1, 1}
		if rng.IntN(3) == 0 {
			sp = [3]float64{sp[0] * 0.25, 0.25, 0.25}
		}
		excl := rng.IntN(2) == 0
		opt := PeakOptions{MinDistance: md, Spacing: sp}
		if excl {
			opt.ExcludeBorder = -1
		}
		got, err := PeakLocalMax(ctx, img, opt)
		require.NoError(t, err)
		lo := slices.Min(img.Data)
		require.Equal(t, bruteSpacedPeaks(img, md, sp, lo, excl), got, "trial %d: %v md %d spacing %v exclude %v", trial, s, md, sp, excl)

		opt.Spacing = [3]float64{1, 1, 1}
		iso, err := PeakLocalMax(ctx, img, opt)
		require.NoError(t, err)
		opt.Spacing = [3]float64{}
		want, err := PeakLocalMax(ctx, img, opt)
		require.NoError(t, err)
		require.Equal(t, want, iso)
	}
	_, err := PeakLocalMax(ctx, stack.New[float32](stack.Shape{Z: 2, Y: 3, X: 3}), PeakOptions{MinDistance: 1, Spacing: [3]float64{0, 1, 1}})
	require.ErrorIs(t, err, ErrPeakInput)
}
