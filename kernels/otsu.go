package kernels

import (
	"math"

	"github.com/segstack/segstack/kernels/simd"
)

// otsuBins is the histogram size of skimage's threshold_otsu default.
const otsuBins = 256

// Otsu returns skimage.filters.threshold_otsu(data, nbins=256) as
// scikit-image 0.19 with numpy computes it for float32 data, to the bit:
// a 256-bin histogram over [min, max] binned as numpy.histogram bins it
// (float32 bin edges from a float64 linspace, the float32 index formula and
// its one-ulp corrections), float32 bin centres, then float64 cumulative
// class weights and means and the first bin that maximises the
// between-class variance. When every sample is equal it returns that
// value. It returns NaN for empty data or data holding NaN or ±Inf.
func Otsu(data []float32) float32 {
	if len(data) == 0 {
		return float32(math.NaN())
	}
	lo, hi := simd.Min(data), simd.Max(data)
	if math.IsNaN(float64(lo)) || math.IsInf(float64(lo), 0) || math.IsInf(float64(hi), 0) || hasNaN(data) {
		return float32(math.NaN())
	}
	if lo == hi {
		return data[0]
	}
	counts, centers := otsuHistogram(data, lo, hi)
	return otsuFromHistogram(counts[:], centers[:])
}

func hasNaN(x []float32) bool {
	for _, v := range x {
		if v != v {
			return true
		}
	}
	return false
}

// otsuHistogram bins data (all within [lo, hi], lo < hi) as numpy 1.24's
// histogram(data, bins=256) does and returns the counts and float32 bin
// centres.
func otsuHistogram(data []float32, lo, hi float32) (counts [otsuBins]int64, centers [otsuBins]float32) {
	// np.linspace(lo, hi, 257, dtype=float32): computed in float64, last
	// edge set to hi, then rounded to float32.
	var edges [otsuBins + 1]float32
	delta := float64(hi) - float64(lo)
	step := delta / otsuBins
	for i := range otsuBins {
		edges[i] = float32(float64(float64(i)*step) + float64(lo))
	}
	edges[otsuBins] = hi
	// norm = 256 / (hi - lo): the difference is a float32 operation, the
	// quotient float64, then numpy rounds it to float32 to scale a float32
	// array.
	norm := float32(otsuBins / float64(hi-lo))
	for _, v := range data {
		idx := int(float32(v-lo) * norm)
		if idx == otsuBins {
			idx--
		}
		if v < edges[idx] {
			idx--
		}
		if v >= edges[idx+1] && idx != otsuBins-1 {
			idx++
		}
		counts[idx]++
	}
	for i := range centers {
		centers[i] = (edges[i] + edges[i+1]) / 2
	}
	return counts, centers
}

// otsuFromHistogram is threshold_otsu's search over a histogram.
func otsuFromHistogram(counts []int64, centers []float32) float32 {
	n := len(counts)
	w1 := make([]int64, n)
	w2 := make([]int64, n)
	m1 := make([]float64, n)
	m2 := make([]float64, n)
	var cw int64
	cs := 0.0
	for i := range n {
		cw += counts[i]
		cs += float64(float64(counts[i]) * float64(centers[i]))
		w1[i] = cw
		m1[i] = cs / float64(cw)
	}
	cw, cs = 0, 0
	for i := n - 1; i >= 0; i-- {
		cw += counts[i]
		cs += float64(float64(counts[i]) * float64(centers[i]))
		w2[i] = cw
		m2[i] = cs / float64(cw)
	}
	// numpy's argmax: the first maximum, or the first NaN if there is one
	// (an empty leading bin makes its class mean 0/0).
	best, idx := math.Inf(-1), 0
	for i := 0; i < n-1; i++ {
		d := m1[i] - m2[i+1]
		v := float64(w1[i]*w2[i+1]) * (d * d)
		if math.IsNaN(v) {
			return centers[i]
		}
		if i == 0 || v > best {
			best, idx = v, i
		}
	}
	return centers[idx]
}
