package kernels

// Rank filters with scipy.ndimage's semantics: minimum_filter and
// maximum_filter (separable passes for box windows: vector row folds, or
// van Herk / Gil-Werman running extrema, three comparisons per sample
// whatever the size; a direct scan of the footprint otherwise) and
// median_filter (a min/max network for 3x3 planes, vectorised in
// kernels/simd; Huang's sliding histogram for uint8 boxes; selection over
// the footprint otherwise). Results keep the input's type and equal scipy's
// exactly; NaN inputs give unspecified results.

import (
	"context"
	"fmt"

	"github.com/segstack/segstack/kernels/simd"
	"github.com/segstack/segstack/stack"
)

// rankPlan is a resolved window: a footprint of extents fs and mask, with
// count true positions, and whether it is a full box.
type rankPlan struct {
	fs    [3]int
	mask  []bool
	count int
	box   bool
}

// rankWindow resolves opt's footprint (or its Size box) for a volume of
// shape s and checks the origins.
func rankWindow(what string, s stack.Shape, opt FilterOptions) (rankPlan, error) {
	var p rankPlan
	if err := checkMode(what, opt.Mode, opt.Cval); err != nil {
		return p, err
	}
	axes := filterAxes(s, opt.PerPlane)
	if fp := opt.Footprint; fp != nil {
		if err := fp.Shape.Validate(); err != nil {
			return p, fmt.Errorf("%w: %s: footprint: %w", ErrInvalid, what, err)
		}
		if len(fp.Mask) != fp.Shape.Len() {
			return p, fmt.Errorf("%w: %s: footprint mask of %d does not fill shape %v", ErrInvalid, what, len(fp.Mask), fp.Shape)
		}
		if len(axes) == 2 && fp.Shape.Z != 1 {
			return p, fmt.Errorf("%w: %s: footprint of shape %v for a 2-D filter (want Z = 1)", ErrInvalid, what, fp.Shape)
		}
		p.fs = fp.Shape.Dims()
		p.mask = fp.Mask
	} else {
		p.fs = [3]int{1, 1, 1}
		for _, a := range axes {
			k := opt.Size[a]
			if k < 0 {
				return p, fmt.Errorf("%w: %s: size %d on axis %d", ErrInvalid, what, k, a)
			}
			p.fs[a] = max(k, 1)
		}
		p.mask = nil
	}
	for a := range 3 {
		if p.fs[a] > maxFilterSize {
			return p, fmt.Errorf("%w: %s: window of %v is wider than %d", ErrInvalid, what, p.fs, maxFilterSize)
		}
	}
	if p.mask == nil {
		p.mask = make([]bool, p.fs[0]*p.fs[1]*p.fs[2])
		for i := range p.mask {
			p.mask[i] = true
		}
	}
	p.box = true
	for _, m := range p.mask {
		if m {
			p.count++
		} else {
			p.box = false
		}
	}
	if p.count == 0 {
		return p, fmt.Errorf("%w: %s: footprint has no true position", ErrInvalid, what)
	}
	for _, a := range axes {
		if err := checkOrigin(what, a, p.fs[a], opt.Origin[a]); err != nil {
			return p, err
		}
	}
	return p, nil
}

// MinimumFilter writes scipy.ndimage.minimum_filter(src, size or
// footprint, output=dst, mode, cval, origin) into dst (src's shape; may be
// src). Box windows run as separable passes, as scipy's minimum_filter1d
// does: in the element type with vector row folds (filter_extrema.go), or,
// for a cval that is not a value of T, in float64 lines with cval as is;
// other footprints scan the footprint with cval converted to T by C's
// cast, as scipy's N-D filter does.
func MinimumFilter[T stack.Elem](ctx context.Context, dst, src *stack.Volume[T], opt FilterOptions) error {
	return minMaxFilter(ctx, "MinimumFilter", dst, src, opt, true)
}

// MaximumFilter writes scipy.ndimage.maximum_filter; see MinimumFilter.
func MaximumFilter[T stack.Elem](ctx context.Context, dst, src *stack.Volume[T], opt FilterOptions) error {
	return minMaxFilter(ctx, "MaximumFilter", dst, src, opt, false)
}

func minMaxFilter[T stack.Elem](ctx context.Context, what string, dst, src *stack.Volume[T], opt FilterOptions, isMin bool) error {
	if err := checkPair(what, dst, src); err != nil {
		return err
	}
	p, err := rankWindow(what, src.Shape, opt)
	if err != nil {
		return err
	}
	if !p.box {
		return footprintSelect(ctx, dst, src, p, opt, func(buf []T) T {
			m := buf[0]
			for _, v := range buf[1:] {
				if (isMin && v < m) || (!isMin && v > m) {
					m = v
				}
			}
			return m
		})
	}
	if axes := filterAxes(src.Shape, opt.PerPlane); extremaInType[T](opt, p.fs, axes) {
		return extremaTyped(ctx, dst, src, p.fs, axes, opt, isMin)
	}
	first := true
	for _, a := range filterAxes(src.Shape, opt.PerPlane) {
		k := p.fs[a]
		if k <= 1 {
			continue
		}
		o := opt.Origin[a]
		in := src
		if !first {
			in = dst
		}
		if err := applyLines(ctx, dst, in, a, k/2+o, k-k/2-1-o, opt.Mode, opt.Cval, extremaLine(k, isMin)); err != nil {
			return err
		}
		first = false
	}
	if first {
		copy(dst.Data, src.Data)
	}
	return nil
}

// extremaLine is van Herk / Gil-Werman's running minimum (or maximum) of
// k samples: in blocks of k, prefix extrema g from each block's start and
// suffix extrema h from its end, so that the window [i, i+k) is
// min(h[i], g[i+k-1]).
func extremaLine(k int, isMin bool) lineFn {
	if isMin {
		return func(out, in, scratch []float64) { runningExtrema(out, in, scratch, k, true) }
	}
	return func(out, in, scratch []float64) { runningExtrema(out, in, scratch, k, false) }
}

// runningExtrema is extremaLine's work. The builtin min and max are
// branch free (random data mispredicted every comparison); they differ
// from scipy's comparisons only for NaN and in the sign of a zero.
func runningExtrema(out, in, scratch []float64, k int, isMin bool) {
	n := len(in)
	g, h := scratch[:n:n], scratch[n:2*n:2*n]
	if isMin {
		for s := 0; s < n; s += k {
			e := min(n, s+k)
			m := in[s]
			for i := s; i < e; i++ {
				m = min(m, in[i])
				g[i] = m
			}
			m = in[e-1]
			for i := e - 1; i >= s; i-- {
				m = min(m, in[i])
				h[i] = m
			}
		}
		g = g[k-1:]
		for i := range out {
			out[i] = min(h[i], g[i])
		}
		return
	}
	for s := 0; s < n; s += k {
		e := min(n, s+k)
		m := in[s]
		for i := s; i < e; i++ {
			m = max(m, in[i])
			g[i] = m
		}
		m = in[e-1]
		for i := e - 1; i >= s; i-- {
			m = max(m, in[i])
			h[i] = m
		}
	}
	g = g[k-1:]
	for i := range out {
		out[i] = max(h[i], g[i])
	}
}

// MedianFilter writes scipy.ndimage.median_filter(src, size or footprint,
// output=dst, mode, cval, origin) into dst (src's shape; may be src): the
// element of rank count/2 (the upper median for an even count) of the
// window's values, cval converted to T by C's cast as scipy's rank filter
// converts it. A 3x3 window on planes (Size {_, 3, 3} per plane, or a
// full 1x3x3 footprint, origin 0) runs a min/max network, vectorised for
// uint8 and float32.
func MedianFilter[T stack.Elem](ctx context.Context, dst, src *stack.Volume[T], opt FilterOptions) error {
	const what = "MedianFilter"
	if err := checkPair(what, dst, src); err != nil {
		return err
	}
	p, err := rankWindow(what, src.Shape, opt)
	if err != nil {
		return err
	}
	if aliases(dst, src) {
		src = src.Clone()
	}
	if p.box && p.fs == [3]int{1, 3, 3} && opt.Origin[1] == 0 && opt.Origin[2] == 0 {
		return median3x3(ctx, dst, src, opt)
	}
	rank := p.count / 2
	if u8, ok := any(src).(*stack.Volume[uint8]); ok && p.box {
		return medianHistU8(ctx, any(dst).(*stack.Volume[uint8]), u8, p, opt)
	}
	return footprintSelect(ctx, dst, src, p, opt, func(buf []T) T { return selectRank(buf, rank) })
}

// medianHistU8 is the median of uint8 box windows by Huang's sliding
// histogram: along each output row the window's histogram loses one
// column of samples and gains one, and the median moves from its last
// value by the counts it passes, so the cost per output is about two
// columns of the window whatever its width.
func medianHistU8(ctx context.Context, dst, src *stack.Volume[uint8], p rankPlan, opt FilterOptions) error {
	if err := checkWindow("MedianFilter", src.Shape, p.fs, p.count); err != nil {
		return err
	}
	cv := castC[uint8](opt.Cval, castKindOf[uint8]())
	pv := padVolume(src, p.fs, opt.Origin, opt.PerPlane, opt.Mode, func(v uint8) uint8 { return v }, cv)
	// Row offsets (from a window corner) of the window's kz*ky rows.
	var rowOffs []int
	for z := range p.fs[0] {
		for y := range p.fs[1] {
			rowOffs = append(rowOffs, (z*pv.shape.Y+y)*pv.shape.X)
		}
	}
	kx := p.fs[2]
	rank := p.count / 2
	s := src.Shape
	workers := workersFor(s.Len(), s.Z*s.Y)
	return forEachItem(ctx, workers, s.Z*s.Y, func(_, r int) error {
		var hist [256]int32
		z, y := r/s.Y, r%s.Y
		base := (z*pv.shape.Y + y) * pv.shape.X
		out := dst.Data[r*s.X : (r+1)*s.X]
		for _, ro := range rowOffs {
			for _, v := range pv.data[base+ro : base+ro+kx] {
				hist[v]++
			}
		}
		// m is the median, lt the number of samples below it.
		m, lt := 0, 0
		for lt+int(hist[m]) <= rank {
			lt += int(hist[m])
			m++
		}
		out[0] = uint8(m)
		for x := 1; x < len(out); x++ {
			for _, ro := range rowOffs {
				row := pv.data[base+ro+x-1 : base+ro+x+kx]
				old, nw := int(row[0]), int(row[kx])
				hist[old]--
				hist[nw]++
				if old < m {
					lt--
				}
				if nw < m {
					lt++
				}
			}
			for lt > rank {
				m--
				lt -= int(hist[m])
			}
			for lt+int(hist[m]) <= rank {
				lt += int(hist[m])
				m++
			}
			out[x] = uint8(m)
		}
		return nil
	})
}

// footprintSelect gathers each output's window values (cval by C's cast
// outside) and stores pick of them.
func footprintSelect[T stack.Elem](ctx context.Context, dst, src *stack.Volume[T], p rankPlan, opt FilterOptions, pick func([]T) T) error {
	if err := checkWindow("rank filter", src.Shape, p.fs, p.count); err != nil {
		return err
	}
	if aliases(dst, src) {
		src = src.Clone()
	}
	cv := castC[T](opt.Cval, castKindOf[T]())
	pv := padVolume(src, p.fs, opt.Origin, opt.PerPlane, opt.Mode, func(v T) T { return v }, cv)
	offs := pv.offsets(p.fs, p.mask)
	workers := workersFor(src.Shape.Len(), src.Shape.Z*src.Shape.Y)
	bufs := make([][]T, max(workers, 1))
	for i := range bufs {
		bufs[i] = make([]T, len(offs))
	}
	s := src.Shape
	return forEachItem(ctx, workers, s.Z*s.Y, func(w, r int) error {
		buf := bufs[w]
		z, y := r/s.Y, r%s.Y
		base := (z*pv.shape.Y + y) * pv.shape.X
		out := dst.Data[r*s.X : (r+1)*s.X]
		for x := range out {
			for i, o := range offs {
				buf[i] = pv.data[base+x+o]
			}
			out[x] = pick(buf)
		}
		return nil
	})
}

// selectRank returns the element of rank k of buf (reordering buf), by
// quickselect with median-of-three pivots.
func selectRank[T stack.Elem](buf []T, k int) T {
	lo, hi := 0, len(buf)-1
	for hi > lo {
		if hi-lo < 16 {
			// Insertion sort the rest.
			for i := lo + 1; i <= hi; i++ {
				v := buf[i]
				j := i
				for j > lo && v < buf[j-1] {
					buf[j] = buf[j-1]
					j--
				}
				buf[j] = v
			}
			return buf[k]
		}
		mid := lo + (hi-lo)/2
		if buf[mid] < buf[lo] {
			buf[mid], buf[lo] = buf[lo], buf[mid]
		}
		if buf[hi] < buf[lo] {
			buf[hi], buf[lo] = buf[lo], buf[hi]
		}
		if buf[hi] < buf[mid] {
			buf[hi], buf[mid] = buf[mid], buf[hi]
		}
		pivot := buf[mid]
		i, j := lo, hi
		for i <= j {
			for buf[i] < pivot {
				i++
			}
			for pivot < buf[j] {
				j--
			}
			if i <= j {
				buf[i], buf[j] = buf[j], buf[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return buf[k]
		}
	}
	return buf[k]
}

// median3x3 is the 3x3 median of every plane. Interior outputs read the
// source rows in place (rows beyond the edges mapped per the mode, or a
// row of cval) through simd's min/max network; the first and last output
// of each row are made from their mapped 3x3 windows.
func median3x3[T stack.Elem](ctx context.Context, dst, src *stack.Volume[T], opt FilterOptions) error {
	s := src.Shape
	tx := extTable(s.X, 1, 1, opt.Mode)
	ty := extTable(s.Y, 1, 1, opt.Mode)
	cv := castC[T](opt.Cval, castKindOf[T]())
	cvRow := make([]T, s.X)
	for i := range cvRow {
		cvRow[i] = cv
	}
	rows := s.Z * s.Y
	const band = 32
	items := (rows + band - 1) / band
	workers := workersFor(s.Len(), items)
	// Rows of at least edgeW+2 samples make their first and last edgeW
	// outputs from short extended copies of the rows' ends, so that the
	// edges also run through the network.
	const edgeW = 32
	return forEachItem(ctx, workers, items, func(_, item int) error {
		var win [9]T
		var eb [3][edgeW + 2]T
		for r := item * band; r < min(rows, (item+1)*band); r++ {
			z, y := r/s.Y, r%s.Y
			var in [3][]T
			for k := range in {
				if j := ty[y+k]; j < 0 {
					in[k] = cvRow
				} else {
					in[k] = src.Row(z, j)
				}
			}
			out := dst.Row(z, y)
			if s.X > 2 {
				median3x3Row(out[1:s.X-1], in[0], in[1], in[2])
			}
			if s.X >= edgeW+2 {
				ext := func(k, x int) T {
					if j := tx[x+1]; j >= 0 {
						return in[k][j]
					}
					return cv
				}
				for k := range in {
					eb[k][0] = ext(k, -1)
					copy(eb[k][1:], in[k][:edgeW+1])
				}
				median3x3Row(out[:edgeW], eb[0][:], eb[1][:], eb[2][:])
				for k := range in {
					copy(eb[k][:], in[k][s.X-edgeW-1:])
					eb[k][edgeW+1] = ext(k, s.X)
				}
				median3x3Row(out[s.X-edgeW:], eb[0][:], eb[1][:], eb[2][:])
				continue
			}
			for _, x := range [2]int{0, s.X - 1} {
				for k := range in {
					for d := range 3 {
						if j := tx[x+d]; j < 0 || ty[y+k] < 0 {
							win[3*k+d] = cv
						} else {
							win[3*k+d] = in[k][j]
						}
					}
				}
				out[x] = median9(&win)
			}
		}
		return nil
	})
}

// median9 is the median of the 3x3 window w (rows of three) by the column
// network of median3x3Generic.
func median9[T stack.Elem](w *[9]T) T {
	var lo, mid, hi [3]T
	for d := range 3 {
		p, q, r := w[d], w[3+d], w[6+d]
		mn, mx := min(p, q), max(p, q)
		lo[d], hi[d], mid[d] = min(mn, r), max(mx, r), max(mn, min(mx, r))
	}
	l, h := max(lo[0], lo[1], lo[2]), min(hi[0], hi[1], hi[2])
	m := max(min(mid[0], mid[1]), min(max(mid[0], mid[1]), mid[2]))
	return max(min(l, m), min(max(l, m), h))
}

// median3x3Generic sorts each column of three once and takes, for each
// output, the median of the largest low, the median middle and the
// smallest high of its three columns: the median of the nine.
func median3x3Generic[T stack.Elem](out, a, b, c []T) {
	n := len(out)
	if n == 0 {
		return
	}
	sort3 := func(x, y, z T) (T, T, T) {
		if y < x {
			x, y = y, x
		}
		if z < y {
			y, z = z, y
			if y < x {
				x, y = y, x
			}
		}
		return x, y, z
	}
	l0, m0, h0 := sort3(a[0], b[0], c[0])
	l1, m1, h1 := sort3(a[1], b[1], c[1])
	for x := range n {
		l2, m2, h2 := sort3(a[x+2], b[x+2], c[x+2])
		lo := max(l0, l1, l2)
		hi := min(h0, h1, h2)
		_, mid, _ := sort3(m0, m1, m2)
		_, v, _ := sort3(lo, mid, hi)
		out[x] = v
		l0, m0, h0 = l1, m1, h1
		l1, m1, h1 = l2, m2, h2
	}
}

// median3x3Row is out[x] = median of a, b and c at x, x+1 and x+2.
func median3x3Row[T stack.Elem](out, a, b, c []T) {
	switch o := any(out).(type) {
	case []uint8:
		simd.Median3x3U8(o, any(a).([]uint8), any(b).([]uint8), any(c).([]uint8))
		return
	case []float32:
		simd.Median3x3F32(o, any(a).([]float32), any(b).([]float32), any(c).([]float32))
		return
	}
	median3x3Generic(out, a, b, c)
}
