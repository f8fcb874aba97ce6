package kernels

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/stack"
)

// refPeaks is a direct, slow reading of scikit-image's peak_local_max on
// coordinates: the window maximum pixel by pixel, the spacing by comparing
// with every kept peak.
func refPeaks(img *stack.Volume[float32], opt PeakOptions) [][3]int {
	s := img.Shape
	d3 := s.Z > 1
	at := func(z, y, x int) int { return (z*s.Y+y)*s.X + x }
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for _, v := range img.Data {
		lo, hi = min(lo, v), max(hi, v)
	}
	thr := lo
	if opt.HasThresholdAbs {
		thr = float32(opt.ThresholdAbs)
	}
	if opt.ThresholdRel != 0 {
		if r := float32(opt.ThresholdRel) * hi; r > thr {
			thr = r
		}
	}
	bw := opt.ExcludeBorder
	if bw < 0 {
		bw = opt.MinDistance
	}
	md := opt.MinDistance
	inBorder := func(c [3]int) bool {
		if d3 && (c[0] < bw || c[0] >= s.Z-bw) {
			return true
		}
		return c[1] < bw || c[1] >= s.Y-bw || c[2] < bw || c[2] >= s.X-bw
	}
	// mask over a box [lo, hi) with values val(p) and label mask in(p).
	type box struct{ lo, hi [3]int }
	peakMask := func(b box, val func(c [3]int) float32, in func(c [3]int) bool, labelled bool) map[[3]int]bool {
		out := map[[3]int]bool{}
		var cs [][3]int
		for z := b.lo[0]; z < b.hi[0]; z++ {
			for y := b.lo[1]; y < b.hi[1]; y++ {
				for x := b.lo[2]; x < b.hi[2]; x++ {
					cs = append(cs, [3]int{z, y, x})
				}
			}
		}
		if md == 0 || len(cs) == 1 {
			for _, c := range cs {
				out[c] = val(c) > thr
			}
			return out
		}
		trivial := true
		for _, c := range cs {
			m := float32(math.Inf(-1))
			for z := c[0] - md; z <= c[0]+md; z++ {
				for y := c[1] - md; y <= c[1]+md; y++ {
					for x := c[2] - md; x <= c[2]+md; x++ {
						q := [3]int{z, y, x}
						if z >= b.lo[0] && z < b.hi[0] && y >= b.lo[1] && y < b.hi[1] && x >= b.lo[2] && x < b.hi[2] {
							m = max(m, val(q))
						}
					}
				}
			}
			out[c] = val(c) == m
			if !out[c] && (!labelled || in(c)) {
				trivial = false
			}
		}
		if trivial {
			for _, c := range cs {
				out[c] = false
			}
			if labelled {
				inb := func(c [3]int) bool {
					return c[0] >= b.lo[0] && c[0] < b.hi[0] && c[1] >= b.lo[1] && c[1] < b.hi[1] && c[2] >= b.lo[2] && c[2] < b.hi[2] && in(c)
				}
				nb := neighbourOffsets(map[bool]Connectivity{true: Conn6, false: Conn4}[d3])
				eroded := func(c [3]int) bool {
					if !inb(c) {
						return false
					}
					for _, o := range nb {
						if !inb([3]int{c[0] + o[0], c[1] + o[1], c[2] + o[2]}) {
							return false
						}
					}
					return true
				}
				for _, c := range cs {
					if !in(c) {
						continue
					}
					opened := eroded(c)
					for _, o := range nb {
						opened = opened || eroded([3]int{c[0] + o[0], c[1] + o[1], c[2] + o[2]})
					}
					if !opened {
						out[c] = true
					}
				}
			}
		}
		for _, c := range cs {
			out[c] = out[c] && val(c) > thr
		}
		return out
	}
	high := func(b box, out map[[3]int]bool, val func(c [3]int) float32, num int) [][3]int {
		var cs [][3]int
		for z := b.lo[0]; z < b.hi[0]; z++ {
			for y := b.lo[1]; y < b.hi[1]; y++ {
				for x := b.lo[2]; x < b.hi[2]; x++ {
					if c := [3]int{z, y, x}; out[c] {
						cs = append(cs, c)
					}
				}
			}
		}
		// insertion sort, stable, by decreasing value
		for i := 1; i < len(cs); i++ {
			for j := i; j > 0 && val(cs[j]) > val(cs[j-1]); j-- {
				cs[j], cs[j-1] = cs[j-1], cs[j]
			}
		}
		if md > 1 {
			var kept [][3]int
			for _, c := range cs {
				ok := true
				for _, k := range kept {
					if max(abs(c[0]-k[0]), abs(c[1]-k[1]), abs(c[2]-k[2])) < md {
						ok = false
					}
				}
				if ok {
					kept = append(kept, c)
					if num > 0 && len(kept) >= num {
						break
					}
				}
			}
			cs = kept
		}
		if num > 0 && len(cs) > num {
			cs = cs[:num]
		}
		return cs
	}
	whole := box{hi: [3]int{s.Z, s.Y, s.X}}
	val := func(c [3]int) float32 { return img.Data[at(c[0], c[1], c[2])] }
	if opt.Labels == nil {
		out := peakMask(whole, val, nil, false)
		for c := range out {
			if inBorder(c) {
				out[c] = false
			}
		}
		return high(whole, out, val, opt.NumPeaks)
	}
	var all [][3]int
	var maxL uint32
	for _, l := range opt.Labels.Data {
		maxL = max(maxL, l)
	}
	for k := uint32(1); k <= maxL; k++ {
		b := box{lo: [3]int{s.Z, s.Y, s.X}}
		found := false
		for z := range s.Z {
			for y := range s.Y {
				for x := range s.X {
					c := [3]int{z, y, x}
					if opt.Labels.Data[at(z, y, x)] != k || inBorder(c) {
						continue
					}
					found = true
					for a := range 3 {
						b.lo[a] = min(b.lo[a], c[a])
						b.hi[a] = max(b.hi[a], c[a]+1)
					}
				}
			}
		}
		if !found {
			continue
		}
		in := func(c [3]int) bool { return opt.Labels.Data[at(c[0], c[1], c[2])] == k }
		lv := func(c [3]int) float32 {
			if in(c) {
				return val(c)
			}
			return -math.MaxFloat32
		}
		all = append(all, high(b, peakMask(b, lv, in, true), lv, 0)...)
	}
	if opt.NumPeaks > 0 && len(all) > opt.NumPeaks {
		out := map[[3]int]bool{}
		for _, c := range all {
			out[c] = true
		}
		return high(whole, out, val, opt.NumPeaks)
	}
	return all
}

func TestPeakLocalMaxBruteForce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(19, 4))
	for i := range 3000 {
		s := stack.Shape{Z: 1, Y: 1 + r.IntN(12), X: 1 + r.IntN(12)}
		if i%3 == 0 {
			s = stack.Shape{Z: 2 + r.IntN(5), Y: 1 + r.IntN(7), X: 1 + r.IntN(7)}
		}
		img := stack.New[float32](s)
		levels := 1 + r.IntN(6)
		for j := range img.Data {
			img.Data[j] = float32(r.IntN(levels)) / 2
		}
		opt := PeakOptions{MinDistance: r.IntN(4), ExcludeBorder: r.IntN(4) - 1, NumPeaks: r.IntN(4)}
		if r.IntN(3) == 0 {
			opt.ThresholdAbs, opt.HasThresholdAbs = float64(r.IntN(levels))/2-0.25, true
		}
		if r.IntN(3) == 0 {
			opt.ThresholdRel = 0.1 + 0.8*r.Float64()
		}
		if r.IntN(2) == 0 {
			opt.Labels = stack.New[uint32](s)
			for j := range opt.Labels.Data {
				if r.IntN(3) != 0 {
					opt.Labels.Data[j] = uint32(1 + r.IntN(3))
				}
			}
		}
		want := refPeaks(img, opt)
		got, err := PeakLocalMax(ctx, img, opt)
		require.NoError(t, err)
		if want == nil {
			want = [][3]int{}
		}
		if got == nil {
			got = [][3]int{}
		}
		require.Equal(t, want, got, "case %d shape %v opt %+v img %v labels %v", i, s, opt, img.Data, opt.Labels)
	}
}

func TestMarkers(t *testing.T) {
	t.Parallel()
	s := stack.Shape{Z: 2, Y: 3, X: 4}
	dst := stack.New[uint32](s)
	dst.Data[0] = 9
	require.NoError(t, Markers(dst, [][3]int{{1, 2, 3}, {0, 1, 1}, {1, 2, 3}}))
	want := make([]uint32, s.Len())
	want[(1*3+2)*4+3] = 3
	want[1*4+1] = 2
	require.Equal(t, want, dst.Data)
	require.Error(t, Markers(dst, [][3]int{{2, 0, 0}}))
	require.Error(t, Markers(dst, [][3]int{{0, -1, 0}}))
	require.Error(t, Markers(nil, nil))
}

func TestPeakLocalMaxErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := stack.Shape{Z: 1, Y: 4, X: 4}
	img := stack.New[float32](s)
	_, err := PeakLocalMax(ctx, nil, PeakOptions{})
	require.ErrorIs(t, err, ErrPeakInput)
	_, err = PeakLocalMax(ctx, img, PeakOptions{MinDistance: -1})
	require.ErrorIs(t, err, ErrPeakInput)
	_, err = PeakLocalMax(ctx, img, PeakOptions{ExcludeBorder: -2})
	require.ErrorIs(t, err, ErrPeakInput)
	_, err = PeakLocalMax(ctx, img, PeakOptions{NumPeaks: -1})
	require.ErrorIs(t, err, ErrPeakInput)
	_, err = PeakLocalMax(ctx, img, PeakOptions{Labels: stack.New[uint32](stack.Shape{Z: 1, Y: 4, X: 5})})
	require.ErrorIs(t, err, ErrPeakInput)
	img.Data[3] = float32(math.NaN())
	_, err = PeakLocalMax(ctx, img, PeakOptions{})
	require.ErrorIs(t, err, ErrPeakInput)
	_, err = PeakLocalMax(ctx, &stack.Volume[float32]{Shape: s, Data: make([]float32, 3)}, PeakOptions{})
	require.ErrorIs(t, err, ErrPeakInput)
}

// TestPeakLocalMaxLarge checks the spacing grid on an image with many
// candidate peaks against the reference.
func TestPeakLocalMaxLarge(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 5))
	s := stack.Shape{Z: 1, Y: 70, X: 90}
	img := stack.New[float32](s)
	for j := range img.Data {
		img.Data[j] = float32(r.IntN(50))
	}
	for _, md := range []int{2, 3, 7} {
		opt := PeakOptions{MinDistance: md, ExcludeBorder: -1}
		got, err := PeakLocalMax(context.Background(), img, opt)
		require.NoError(t, err)
		require.Equal(t, refPeaks(img, opt), got)
		require.True(t, slices.IsSortedFunc(got, func(a, b [3]int) int {
			va, vb := img.Data[a[1]*s.X+a[2]], img.Data[b[1]*s.X+b[2]]
			switch {
			case va > vb:
				return -1
			case va < vb:
				return 1
			}
			return 0
		}))
	}
}
