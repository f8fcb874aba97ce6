package segment

// otsuHist is a 256-bin histogram over [lo, hi] binned exactly as
// numpy.histogram(a, bins=256) bins float32 data whose minimum and maximum
// are lo and hi, which is what skimage.filters.threshold_otsu counts. Partial
// histograms of disjoint parts of the data add up.
type otsuHist struct {
	lo, hi float32
	edges  [257]float32
	norm   float32
	counts [256]int64
}

func newOtsuHist(lo, hi float32) *otsuHist {
	h := &otsuHist{lo: lo, hi: hi}
	// numpy.linspace in float64, cast to float32, last edge exact.
	step := (float64(hi) - float64(lo)) / 256
	for i := range 256 {
		h.edges[i] = float32(float64(float64(i)*step) + float64(lo)) // no fused multiply-add, as numpy
	}
	h.edges[256] = hi
	h.norm = float32(256 / float64(hi-lo))
	return h
}

// add counts the values of v, all of which lie in [lo, hi].
func (h *otsuHist) add(v []float32) {
	if h.hi == h.lo {
		h.counts[0] += int64(len(v))
		return
	}
	for _, x := range v {
		i := int((x - h.lo) * h.norm)
		if i >= 256 {
			i = 255
		}
		if i < 0 {
			i = 0
		}
		if x < h.edges[i] && i > 0 {
			i--
		}
		if i != 255 && x >= h.edges[i+1] {
			i++
		}
		h.counts[i]++
	}
}

func (h *otsuHist) merge(o *otsuHist) {
	for i := range h.counts {
		h.counts[i] += o.counts[i]
	}
}

// threshold is skimage.filters.threshold_otsu's answer for the counted data:
// the bin centre that maximises the between-class variance.
func (h *otsuHist) threshold() float32 {
	if h.hi == h.lo {
		return h.lo
	}
	var centers [256]float64
	for i := range centers {
		centers[i] = float64((h.edges[i] + h.edges[i+1]) / 2)
	}
	var w1, m1 [256]float64
	var s float64
	var w float64
	for i := range 256 {
		w += float64(h.counts[i])
		s += float64(h.counts[i]) * centers[i]
		w1[i] = w
		m1[i] = s / w
	}
	var w2, m2 [256]float64
	w, s = 0, 0
	for i := 255; i >= 0; i-- {
		w += float64(h.counts[i])
		s += float64(h.counts[i]) * centers[i]
		w2[i] = w
		m2[i] = s / w
	}
	best, bestV := 0, -1.0
	for i := range 255 {
		d := m1[i] - m2[i+1]
		v := w1[i] * w2[i+1] * d * d
		// numpy.argmax: the first maximum; a NaN wins.
		if v > bestV || (v != v && bestV == bestV) {
			best, bestV = i, v
		}
	}
	return float32(centers[best])
}

func minMax(v []float32) (lo, hi float32) {
	if len(v) == 0 {
		return 0, 0
	}
	lo, hi = v[0], v[0]
	for _, x := range v[1:] {
		lo = min(lo, x)
		hi = max(hi, x)
	}
	return lo, hi
}
