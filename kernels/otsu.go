package kernels

import (
	"fmt"
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
	h := NewOtsuHistogram(lo, hi)
	h.Add(data)
	return h.Threshold()
}

func hasNaN(x []float32) bool {
	for _, v := range x {
		if v != v {
			return true
		}
	}
	return false
}

// OtsuHistogram is the histogram Otsu counts: 256 bins over [lo, hi],
// binned exactly as numpy.histogram(a, bins=256) bins float32 data whose
// minimum and maximum are lo and hi. Histograms of disjoint parts of the
// data, each made with the same lo and hi, merge into the histogram of the
// whole, so Otsu's threshold of data too large to hold at once (a volume
// read slab by slab) is found in one pass once its range is known. The
// zero value is not usable; make one with NewOtsuHistogram.
type OtsuHistogram struct {
	lo, hi float32
	edges  [otsuBins + 1]float32
	norm   float32
	counts [otsuBins]int64
}

// NewOtsuHistogram returns an empty histogram over [lo, hi], which should be
// the minimum and maximum of all the data that will be added (finite, with
// lo <= hi) for Threshold to be skimage's answer.
func NewOtsuHistogram(lo, hi float32) *OtsuHistogram {
	h := &OtsuHistogram{lo: lo, hi: hi}
	// np.linspace(lo, hi, 257, dtype=float32): computed in float64, last
	// edge set to hi, then rounded to float32.
	step := (float64(hi) - float64(lo)) / otsuBins
	for i := range otsuBins {
		h.edges[i] = float32(float64(float64(i)*step) + float64(lo)) // no fused multiply-add, as numpy
	}
	h.edges[otsuBins] = hi
	// norm = 256 / (hi - lo): the difference is a float32 operation, the
	// quotient float64, then numpy rounds it to float32 to scale a float32
	// array.
	h.norm = float32(otsuBins / float64(hi-lo))
	return h
}

// Add counts the values of data. Values are expected within [lo, hi]; one
// outside (or NaN) is counted in the nearest end bin (NaN in the first)
// rather than rejected, so check data first where that matters.
func (h *OtsuHistogram) Add(data []float32) {
	if h.hi == h.lo {
		h.counts[0] += int64(len(data))
		return
	}
	for _, v := range data {
		idx := int(float32(v-h.lo) * h.norm)
		if idx >= otsuBins {
			idx = otsuBins - 1
		}
		if idx < 0 {
			idx = 0
		}
		if v < h.edges[idx] && idx > 0 {
			idx--
		}
		if idx != otsuBins-1 && v >= h.edges[idx+1] {
			idx++
		}
		h.counts[idx]++
	}
}

// Merge adds o's counts to h's. Both must have been made with the same lo
// and hi; otherwise Merge returns an error wrapping ErrInvalid and leaves h
// as it was.
func (h *OtsuHistogram) Merge(o *OtsuHistogram) error {
	if o == nil {
		return nil
	}
	if math.Float32bits(o.lo) != math.Float32bits(h.lo) || math.Float32bits(o.hi) != math.Float32bits(h.hi) {
		return fmt.Errorf("%w: merging an Otsu histogram over [%g, %g] into one over [%g, %g]", ErrInvalid, o.lo, o.hi, h.lo, h.hi)
	}
	for i := range h.counts {
		h.counts[i] += o.counts[i]
	}
	return nil
}

// Threshold is skimage.filters.threshold_otsu's answer for the counted
// data: the centre of the first bin that maximises the between-class
// variance, computed as numpy computes it (float32 bin centres, float64
// cumulative class weights and means). When lo == hi it is lo; when lo or
// hi is NaN or infinite, or lo > hi, it is NaN.
func (h *OtsuHistogram) Threshold() float32 {
	lo, hi := float64(h.lo), float64(h.hi)
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || lo > hi {
		return float32(math.NaN())
	}
	if h.hi == h.lo {
		return h.lo
	}
	var centers [otsuBins]float32
	for i := range centers {
		centers[i] = (h.edges[i] + h.edges[i+1]) / 2
	}
	var w1, w2 [otsuBins]int64
	var m1, m2 [otsuBins]float64
	var cw int64
	cs := 0.0
	for i := range otsuBins {
		cw += h.counts[i]
		cs += float64(float64(h.counts[i]) * float64(centers[i]))
		w1[i] = cw
		m1[i] = cs / float64(cw)
	}
	cw, cs = 0, 0
	for i := otsuBins - 1; i >= 0; i-- {
		cw += h.counts[i]
		cs += float64(float64(h.counts[i]) * float64(centers[i]))
		w2[i] = cw
		m2[i] = cs / float64(cw)
	}
	// numpy's argmax: the first maximum, or the first NaN if there is one
	// (an empty leading bin makes its class mean 0/0). The weight product
	// is numpy's int64 product rounded once to float64; forming it from two
	// exact float64 factors rounds the same value the same way and does not
	// wrap past 2^63.
	best, idx := math.Inf(-1), 0
	for i := range otsuBins - 1 {
		d := m1[i] - m2[i+1]
		v := float64(float64(w1[i])*float64(w2[i+1])) * (d * d)
		if math.IsNaN(v) {
			return centers[i]
		}
		if i == 0 || v > best {
			best, idx = v, i
		}
	}
	return centers[idx]
}
