package main

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMedianAndPairRatio(t *testing.T) {
	require.True(t, math.IsNaN(median(nil)))
	require.Equal(t, 2.0, median([]float64{3, 1, 2}))
	require.Equal(t, 2.5, median([]float64{4, 1, 3, 2}))
	// Round 2 was slow for both: the paired ratio ignores it, a ratio of
	// medians would not.
	a := []float64{10, 100, 10}
	b := []float64{1, 50, 1}
	require.Equal(t, 10.0, pairRatio(a, b))
	require.Equal(t, 100.0, maxOf([]float64{3, 100, 7}))
}
