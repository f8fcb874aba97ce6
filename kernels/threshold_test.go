package kernels

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

func TestParseThreshold(t *testing.T) {
	for _, c := range []struct {
		in   string
		want ThresholdSpec
	}{
		{"0.33max", ThresholdSpec{ThresholdFractionOfMax, 0.33}},
		{" 0.5 MAX", ThresholdSpec{ThresholdFractionOfMax, 0.5}},
		{"otsu", ThresholdSpec{Kind: ThresholdOtsu}},
		{"Otsu", ThresholdSpec{Kind: ThresholdOtsu}},
		{"120.5", ThresholdSpec{ThresholdAbsolute, 120.5}},
		{"-3", ThresholdSpec{ThresholdAbsolute, -3}},
		{"1e3", ThresholdSpec{ThresholdAbsolute, 1000}},
	} {
		got, err := ParseThreshold(c.in)
		require.NoError(t, err, c.in)
		require.Equal(t, c.want, got, c.in)
		back, err := ParseThreshold(got.String())
		require.NoError(t, err)
		require.Equal(t, got, back)
	}
	for _, bad := range []string{"", "max", "abc", "0.3maxx", "nan", "NaNmax", "otsu2", "-0.5max", "-1e-9 max"} {
		_, err := ParseThreshold(bad)
		require.ErrorIs(t, err, ErrInvalid, bad)
	}
}

func TestResolve(t *testing.T) {
	img := []float32{0, 1, 2, 10, 11, 12}
	s, _ := ParseThreshold("0.33max")
	// numpy: float32 image > 0.33 * np.float32(12) compares in float32.
	require.Equal(t, float32(0.33*float64(float32(12))), s.Resolve(img, 12))
	s, _ = ParseThreshold("7.25")
	require.Equal(t, float32(7.25), s.Resolve(img, 12))
	s, _ = ParseThreshold("otsu")
	require.Equal(t, Otsu(img), s.Resolve(img, 12))

	// The zero spec is the reference workload's 0.33 of the maximum, and
	// says so.
	var zero ThresholdSpec
	require.Equal(t, float32(0.33*float64(float32(12))), zero.Resolve(img, 12))
	require.Equal(t, "0.33max", zero.String())
	// An explicit zero fraction is 0 × max, as numpy has it: NaN (nothing
	// above it) when the maximum is NaN.
	s, _ = ParseThreshold("0max")
	require.Equal(t, "0max", s.String())
	require.Equal(t, float32(0), s.Resolve(img, 12))
	require.True(t, math.IsNaN(float64(s.Resolve(img, float32(math.NaN())))))
}

func TestThreshold(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, sh := range []stack.Shape{{Z: 1, Y: 1, X: 1}, {Z: 2, Y: 33, X: 17}, {Z: 3, Y: 200, X: 150}} {
		src := randVolume(rng, sh)
		src.Data[0] = 25
		if len(src.Data) > 2 {
			src.Data[1] = float32(math.NaN())
		}
		forEachPath(t, func(t *testing.T, _ string) {
			dst := stack.New[uint8](sh)
			require.NoError(t, Threshold(context.Background(), dst, src, 25))
			for i, v := range src.Data {
				want := uint8(0)
				if v > 25 {
					want = 1
				}
				require.Equal(t, want, dst.Data[i], "element %d = %v", i, v)
			}
		})
	}
	err := Threshold(context.Background(), stack.New[uint8](stack.Shape{Z: 1, Y: 2, X: 2}), stack.New[float32](stack.Shape{Z: 1, Y: 2, X: 3}), 0)
	require.ErrorIs(t, err, ErrInvalid)
}
