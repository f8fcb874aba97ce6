package kernels

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/stack"
)

// TestPeaksPerLabel2D holds the one-pass 2-D labels path to the reference
// and to the box by box path on random images where it applies (2-D, no
// excluded border, all peaks): few levels so that ties, flat labels
// (scikit-image's trivial images) and single pixels are common, labels
// touching each other, and anisotropic reaches.
func TestPeaksPerLabel2D(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(31, 7))
	taken := 0
	for i := range 4000 {
		s := stack.Shape{Z: 1, Y: 1 + r.IntN(14), X: 1 + r.IntN(14)}
		img := stack.New[float32](s)
		levels := 1 + r.IntN(5)
		for j := range img.Data {
			img.Data[j] = float32(r.IntN(levels))/2 - 0.5
		}
		labels := stack.New[uint32](s)
		nl := 1 + r.IntN(4)
		for j := range labels.Data {
			if r.IntN(4) != 0 {
				labels.Data[j] = uint32(1 + r.IntN(nl))
			}
			if j > 0 && r.IntN(2) == 0 {
				labels.Data[j] = labels.Data[j-1] // runs, so labels have area
			}
		}
		opt := PeakOptions{MinDistance: 1 + r.IntN(4), Labels: labels}
		if r.IntN(3) == 0 {
			opt.ThresholdAbs, opt.HasThresholdAbs = float64(r.IntN(levels))/2-0.75, true
		}
		if r.IntN(4) == 0 {
			opt.Spacing = [3]float64{1, 0.5 + float64(r.IntN(4))/2, 1}
		}
		want := refPeaks(img, opt)
		if opt.Spacing != ([3]float64{}) {
			// The reference has no spacing: compare with the box path.
			dims := []int{s.Y, s.X}
			pr, err := reachOf(opt, 2)
			require.NoError(t, err)
			lo, hi, err := rangeOf(img.Data)
			require.NoError(t, err)
			_ = hi
			thr := lo
			if opt.HasThresholdAbs {
				thr = float32(opt.ThresholdAbs)
			}
			want, err = peaksPerLabel(ctx, img.Data, labels.Data, dims, opt, pr, thr, []int{0, 0}, nil)
			require.NoError(t, err)
		}
		got, err := PeakLocalMax(ctx, img, opt)
		require.NoError(t, err)
		if want == nil {
			want = [][3]int{}
		}
		require.Equal(t, want, got, "case %d shape %v opt %+v\nimg %v\nlabels %v", i, s, opt, img.Data, labels.Data)
		pr, _ := reachOf(opt, 2)
		lo, _, _ := rangeOf(img.Data)
		thr := lo
		if opt.HasThresholdAbs {
			thr = float32(opt.ThresholdAbs)
		}
		if _, ok, _ := peaksPerLabel2D(ctx, img.Data, labels.Data, []int{s.Y, s.X}, pr, thr, lo); ok {
			taken++
		}
	}
	// The path must have run on nearly every case.
	require.Greater(t, taken, 3900)
	// Where it does not apply (an infinite value), the box path answers.
	img := stack.New[float32](stack.Shape{Z: 1, Y: 3, X: 3})
	img.Data[4] = float32(math.Inf(-1))
	labels := stack.New[uint32](img.Shape)
	for j := range labels.Data {
		labels.Data[j] = 1
	}
	opt := PeakOptions{MinDistance: 1, Labels: labels}
	got, err := PeakLocalMax(ctx, img, opt)
	require.NoError(t, err)
	require.Equal(t, refPeaks(img, opt), got)
}
