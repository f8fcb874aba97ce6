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
