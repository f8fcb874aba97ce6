package kernels

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOtsuMatchesSkimage(t *testing.T) {
	cases, blob := loadFixture[otsuCase](t, "otsu")
	for _, c := range cases {
		data := f32s(blob, c.Offset, c.N)
		got := Otsu(data)
		require.Equal(t, math.Float32frombits(c.ThresholdBits), got, c.Name)
	}
}

func TestOtsuEdgeCases(t *testing.T) {
	require.True(t, math.IsNaN(float64(Otsu(nil))))
	require.True(t, math.IsNaN(float64(Otsu([]float32{1, float32(math.NaN())}))))
	require.Equal(t, float32(5), Otsu([]float32{5, 5, 5}))
	// Two well-separated clusters: the threshold lies between them.
	d := []float32{}
	for i := range 100 {
		d = append(d, float32(i%5), 100+float32(i%7))
	}
	th := Otsu(d)
	require.Greater(t, th, float32(3))
	require.Less(t, th, float32(100))
}

// Histograms of the parts of each fixture, merged in any grouping, give
// skimage's threshold of the whole, to the bit.
func TestOtsuHistogramMergedPartsMatchSkimage(t *testing.T) {
	cases, blob := loadFixture[otsuCase](t, "otsu")
	for _, c := range cases {
		data := f32s(blob, c.Offset, c.N)
		lo, hi := data[0], data[0]
		for _, v := range data {
			lo, hi = min(lo, v), max(hi, v)
		}
		want := math.Float32frombits(c.ThresholdBits)
		for _, parts := range []int{1, 2, 3, 7} {
			whole := NewOtsuHistogram(lo, hi)
			for p := range parts {
				part := NewOtsuHistogram(lo, hi)
				part.Add(data[p*len(data)/parts : (p+1)*len(data)/parts])
				require.NoError(t, whole.Merge(part))
			}
			require.Equal(t, want, whole.Threshold(), "%s in %d parts", c.Name, parts)
		}
	}
}

func TestOtsuHistogramEdgeCases(t *testing.T) {
	a, b := NewOtsuHistogram(0, 1), NewOtsuHistogram(0, 2)
	b.Add([]float32{0, 2})
	require.ErrorIs(t, a.Merge(b), ErrInvalid)
	require.NoError(t, a.Merge(nil))
	// The failed merge left a empty: its threshold is the first bin's
	// centre, as skimage's argmax over an all-NaN variance gives.
	require.Equal(t, float32(0.5/256), a.Threshold())

	flat := NewOtsuHistogram(3, 3)
	flat.Add([]float32{3, 3})
	require.Equal(t, float32(3), flat.Threshold())

	for _, h := range []*OtsuHistogram{
		NewOtsuHistogram(1, 0),
		NewOtsuHistogram(float32(math.NaN()), 1),
		NewOtsuHistogram(0, float32(math.Inf(1))),
	} {
		h.Add([]float32{0, 1})
		require.True(t, math.IsNaN(float64(h.Threshold())))
	}

	// Out-of-range values land in the end bins rather than panicking.
	out := NewOtsuHistogram(0, 1)
	out.Add([]float32{-5, 0, 1, 9, float32(math.NaN())})
	require.False(t, math.IsNaN(float64(out.Threshold())))
}
