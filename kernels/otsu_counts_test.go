package kernels

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// Counts carried over and added with AddCounts give the threshold of the
// whole data, as Merge and Otsu over all of it do; bad counts are refused.
func TestOtsuHistogramCounts(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	data := make([]float32, 10000)
	for i := range data {
		data[i] = float32(rng.NormFloat64()*3 + 10*float64(i%2))
	}
	lo, hi := data[0], data[0]
	for _, v := range data {
		lo, hi = min(lo, v), max(hi, v)
	}
	h := NewOtsuHistogram(lo, hi)
	h.Add(data[:3333])
	part := NewOtsuHistogram(lo, hi)
	part.Add(data[3333:])
	require.NoError(t, h.AddCounts(part.Counts()))
	require.Equal(t, Otsu(data), h.Threshold())
	var n int64
	for _, c := range h.Counts() {
		n += c
	}
	require.Equal(t, int64(len(data)), n)

	before := h.Counts()
	require.True(t, errors.Is(h.AddCounts(make([]int64, 255)), ErrInvalid))
	bad := make([]int64, 256)
	bad[7] = -1
	require.True(t, errors.Is(h.AddCounts(bad), ErrInvalid))
	require.Equal(t, before, h.Counts(), "refused counts leave the histogram as it was")
}
