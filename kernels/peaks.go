package kernels

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/segstack/segstack/kernels/simd"
	"github.com/segstack/segstack/stack"
)

// PeakOptions are the parameters of PeakLocalMax, named after
// skimage.feature.peak_local_max's.
type PeakOptions struct {
	// MinDistance is min_distance: peaks are the maxima of a
	// (2*MinDistance+1)-wide cube, and peaks closer than MinDistance
	// (Chebyshev distance) to a stronger one are dropped. scikit-image's
	// default is 1. 0 takes every pixel above the threshold.
	MinDistance int
	// ThresholdAbs is threshold_abs, used when HasThresholdAbs is set;
	// otherwise the threshold is the image's minimum (threshold_abs=None).
	ThresholdAbs    float64
	HasThresholdAbs bool
	// ThresholdRel is threshold_rel: the threshold is raised to
	// ThresholdRel times the image's maximum. 0 means None. (scikit-image's
	// threshold_rel=0 raises the threshold to 0: pass that as ThresholdAbs.)
	ThresholdRel float64
	// ExcludeBorder is exclude_border as a width in pixels on every axis
	// of the image: -1 means True (MinDistance), 0 means False.
	// scikit-image's default is True.
	ExcludeBorder int
	// NumPeaks is num_peaks; 0 means all (scikit-image's inf).
	NumPeaks int
	// Labels, if not nil, is labels=: peaks are found in each label's
	// region on its own, as scikit-image does (num_peaks_per_label=inf).
	Labels *stack.Volume[uint32]
	// Spacing, when set, is the size of a voxel along Z, Y and X (Z unused
	// for a 2-D image), and distances are physical: MinDistance counts X
	// spacings, D = MinDistance·Spacing[2]. The footprint then reaches
	// floor(D/Spacing[a]) voxels along axis a instead of MinDistance, a
	// weaker peak is dropped when it lies closer than D to a kept one on
	// every axis (|d_a|·Spacing[a] < D), and exclude_border=True excludes
	// the footprint's reach. Thinning still needs MinDistance > 1, as in
	// scikit-image. The zero value is scikit-image's isotropic pixels (it
	// has no spacing argument); Spacing {1, 1, 1} gives the same peaks.
	Spacing [3]float64
}

// peakReach is MinDistance along each axis of an image (Z, Y, X or Y, X).
type peakReach struct {
	r      []int // the footprint's half-width
	t      []int // a weaker peak closer than t on every axis is dropped
	spaced bool  // thin at all: MinDistance > 1, as in scikit-image
}

func reachOf(opt PeakOptions, nd int) (peakReach, error) {
	md := opt.MinDistance
	pr := peakReach{r: make([]int, nd), t: make([]int, nd), spaced: md > 1}
	sp := opt.Spacing
	if sp == ([3]float64{}) {
		for a := range nd {
			pr.r[a], pr.t[a] = md, md
		}
		return pr, nil
	}
	for a := 3 - nd; a < 3; a++ {
		if !(sp[a] > 0) || math.IsInf(sp[a], 0) {
			return pr, fmt.Errorf("%w: spacing %v is not positive and finite", ErrPeakInput, sp)
		}
	}
	d := float64(md) * sp[2]
	for a := range nd {
		q := d / sp[3-nd+a]
		if q > 1<<30 {
			return pr, fmt.Errorf("%w: min_distance %d at spacing %v reaches too far", ErrPeakInput, md, sp)
		}
		// Spacings such as 0.3 make q a hair off an integer.
		pr.r[a] = int(math.Floor(q + 1e-9))
		pr.t[a] = int(math.Ceil(q - 1e-9))
	}
	return pr, nil
}

func (pr peakReach) zero() bool {
	for _, r := range pr.r {
		if r != 0 {
			return false
		}
	}
	return true
}

// ErrPeakInput is returned (wrapped) for options or images that
// PeakLocalMax refuses.
var ErrPeakInput = errors.New("kernels: peak_local_max: unsupported input")

// PeakLocalMax finds the local maxima of img as
// skimage.feature.peak_local_max(img, min_distance, threshold_abs,
// threshold_rel, exclude_border, num_peaks, labels=labels) does in
// scikit-image 0.26 (p_norm=inf, no footprint), and returns their
// coordinates (Z, Y, X) in scikit-image's order: without labels, by
// decreasing value and, among equal values, in raster order; with labels,
// label by label in increasing order, unless there are more than NumPeaks,
// when they are ordered as without labels.
//
// A volume with one plane (Z == 1) is a 2-D image, as scikit-image's 2-D
// array (Z is then 0 in the coordinates and the border is excluded in Y and X
// only); a volume of several planes is a 3-D image. The threshold is
// compared with the float32 values in float32, as NumPy 2 does for a float32
// image: pixels must be strictly greater than float32(ThresholdAbs) (or the
// minimum) and than float32(ThresholdRel) times the maximum, computed in
// float32. Images holding NaN are refused.
func PeakLocalMax(ctx context.Context, img *stack.Volume[float32], opt PeakOptions) ([][3]int, error) {
	if img == nil {
		return nil, fmt.Errorf("%w: nil image", ErrPeakInput)
	}
	s := img.Shape
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("kernels: peak_local_max: %w", err)
	}
	if len(img.Data) != s.Len() {
		return nil, fmt.Errorf("%w: image holds %d elements, shape %v needs %d", ErrPeakInput, len(img.Data), s, s.Len())
	}
	if opt.MinDistance < 0 {
		return nil, fmt.Errorf("%w: min_distance %d is negative", ErrPeakInput, opt.MinDistance)
	}
	if opt.ExcludeBorder < -1 {
		return nil, fmt.Errorf("%w: exclude_border %d is negative", ErrPeakInput, opt.ExcludeBorder)
	}
	if opt.NumPeaks < 0 {
		return nil, fmt.Errorf("%w: num_peaks %d is negative", ErrPeakInput, opt.NumPeaks)
	}
	if opt.Labels != nil && (opt.Labels.Shape != s || len(opt.Labels.Data) != s.Len()) {
		return nil, fmt.Errorf("%w: labels shape %v does not match image %v", ErrPeakInput, opt.Labels.Shape, s)
	}
	dims := []int{s.Y, s.X}
	if s.Z > 1 {
		dims = []int{s.Z, s.Y, s.X}
	}
	pr, err := reachOf(opt, len(dims))
	if err != nil {
		return nil, err
	}
	border := borderOf(opt, pr)
	var boxes *labelBoxes
	lo, hi, err := rangeOf(img.Data)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	thr := lo
	if opt.HasThresholdAbs {
		thr = float32(opt.ThresholdAbs)
	}
	if opt.ThresholdRel != 0 {
		thr = max(thr, float32(opt.ThresholdRel)*hi)
	}
	if opt.Labels != nil && slices.Max(border) == 0 {
		if opt.NumPeaks == 0 {
			out, ok, err := peaksPerLabel2D(ctx, img.Data, opt.Labels.Data, dims, pr, thr, lo)
			if err != nil || ok {
				return out, err
			}
		}
		boxes = boxesOf(opt.Labels.Data, dims)
	}
	g := peakGrid{dims: dims}
	if opt.Labels == nil {
		mask := peakMask(img.Data, dims, pr, thr, nil, nil)
		excludeBorder(mask, dims, border)
		idx := highPeaks(img.Data, mask, dims, opt.NumPeaks, pr)
		return g.coords(idx), nil
	}
	return peaksPerLabel(ctx, img.Data, opt.Labels.Data, dims, opt, pr, thr, border, boxes)
}

// labelBoxes are the bounding boxes of labels numbered densely, indexed by
// label (box.hi[2] == 0 for a label not present).
type labelBoxes struct{ table []peakBox }

type peakBox struct{ lo, hi [3]int }

// rangeOf returns the minimum and maximum of v, or an error naming the
// first NaN. The vector sum is NaN only when v holds a NaN or both
// infinities; only then is v searched element by element.
func rangeOf(v []float32) (lo, hi float32, err error) {
	if s := simd.Sum(v); s != s {
		lo, hi = float32(math.Inf(1)), float32(math.Inf(-1))
		for i, x := range v {
			if x != x {
				return 0, 0, fmt.Errorf("%w: the image holds NaN at index %d", ErrPeakInput, i)
			}
			lo, hi = min(lo, x), max(hi, x)
		}
		return lo, hi, nil
	}
	return simd.Min(v), simd.Max(v), nil
}

// boxesOf returns the bounding boxes of the labels lab, in a table by
// label, or nil when the labels are too sparse for a table.
func boxesOf(lab []uint32, dims []int) *labelBoxes {
	full := [3]int{1, dims[0], dims[len(dims)-1]}
	if len(dims) == 3 {
		full = [3]int{dims[0], dims[1], dims[2]}
	}
	table := make([]peakBox, 0, 256)
	limit := int64(len(lab)) + 1
	for z := range full[0] {
		for y := range full[1] {
			row := (z*full[1] + y) * full[2]
			for x, l := range lab[row : row+full[2]] {
				if l == 0 {
					continue
				}
				if int(l) >= len(table) {
					if int64(l) > limit {
						return nil
					}
					table = append(table, make([]peakBox, int(l)+1-len(table))...)
				}
				b := &table[l]
				if b.hi[2] == 0 {
					b.lo, b.hi = [3]int{z, y, x}, [3]int{z + 1, y + 1, x + 1}
					continue
				}
				// Rows come in order: only X can shrink the box below.
				if x < b.lo[2] {
					b.lo[2] = x
				}
				if x >= b.hi[2] {
					b.hi[2] = x + 1
				}
				b.hi[0] = z + 1
				if y >= b.hi[1] {
					b.hi[1] = y + 1
				}
				if y < b.lo[1] {
					b.lo[1] = y
				}
			}
		}
	}
	return &labelBoxes{table: table}
}

// borderOf is the width of the excluded border along each axis.
func borderOf(opt PeakOptions, pr peakReach) []int {
	w := make([]int, len(pr.r))
	for a := range w {
		w[a] = opt.ExcludeBorder
		if w[a] == -1 {
			w[a] = pr.r[a]
		}
	}
	return w
}

// peakGrid converts flat indices of a 2-D or 3-D image to coordinates.
type peakGrid struct{ dims []int }

func (g peakGrid) coords(idx []int) [][3]int {
	out := make([][3]int, len(idx))
	for i, p := range idx {
		out[i] = g.coord(p)
	}
	return out
}

func (g peakGrid) coord(p int) [3]int {
	d := g.dims
	if len(d) == 2 {
		return [3]int{0, p / d[1], p % d[1]}
	}
	return [3]int{p / (d[1] * d[2]), p / d[2] % d[1], p % d[2]}
}

// peakMask is scikit-image's _get_peak_mask with a cube footprint of side
// 2*md+1: the pixels equal to the maximum of their neighbourhood (mode
// 'nearest'), none if every pixel (of lmask, when given) is, then the
// isolated pixels of lmask; and greater than thr.
func peakMask(v []float32, dims []int, pr peakReach, thr float32, lmask []bool, sc *peakScratch) []bool {
	if sc == nil {
		sc = new(peakScratch)
	}
	sc.out = grow(sc.out, len(v))
	out := sc.out
	if pr.zero() || len(v) == 1 {
		for i, x := range v {
			out[i] = x > thr
		}
		return out
	}
	mx := maxFilterNearest(v, dims, pr.r, sc)
	trivial := true
	for i, x := range v {
		out[i] = x == mx[i]
		if !out[i] && (lmask == nil || lmask[i]) {
			trivial = false
		}
	}
	if trivial {
		clear(out)
		if lmask != nil {
			open := binaryOpening(lmask, dims)
			for i, m := range lmask {
				if m && !open[i] {
					out[i] = true
				}
			}
		}
	}
	for i, x := range v {
		out[i] = out[i] && x > thr
	}
	return out
}

// maxFilterNearest is scipy.ndimage.maximum_filter(v, size=2r+1,
// mode='nearest') with r[a] along axis a: with 'nearest', the maximum over
// the window clipped to the image, taken axis by axis.
func maxFilterNearest(v []float32, dims []int, radii []int, sc *peakScratch) []float32 {
	if sc == nil {
		sc = new(peakScratch)
	}
	sc.cur = append(sc.cur[:0], v...)
	cur := sc.cur
	stride := 1
	for a := len(dims) - 1; a >= 0; a-- {
		n, r := dims[a], radii[a]
		if n > 1 && r > 0 {
			// Lines padded with r values of -Inf at each end: the
			// maximum over a clipped window is that over the padded one.
			sc.tmp = grow(sc.tmp, (n+2*r)*stride)
			f := sc.tmp
			lead, tail := f[:r*stride], f[(n+r)*stride:]
			blk := n * stride
			for o := 0; o < len(v); o += blk {
				// The doubling below overwrites the padding too.
				for i := range lead {
					lead[i], tail[i] = float32(math.Inf(-1)), float32(math.Inf(-1))
				}
				copy(f[r*stride:(n+r)*stride], cur[o:o+blk])
				maxWindow(cur[o:o+blk], f, n, stride, r)
			}
		}
		stride *= n
	}
	return cur
}

// maxWindow writes to block j of out (n blocks of s contiguous values) the
// elementwise maximum of blocks j .. j+2r of f, which holds n+2r blocks:
// the line padded by r blocks at each end. f is overwritten: its runs
// double in place, block j becoming the maximum of blocks j .. j+q-1,
// until q is the largest power of two p not above 2r+1; two runs of p,
// at j and j+2r+1-p, then cover the window.
func maxWindow(out, f []float32, n, s, r int) {
	w := 2*r + 1
	p := 1
	for 2*p <= w {
		p *= 2
	}
	m := n + 2*r
	if s == 1 {
		for q := 1; q < p; q *= 2 {
			g := f[:m]
			for j := 0; j+q < m; j++ {
				if g[j+q] > g[j] {
					g[j] = g[j+q]
				}
			}
		}
		d := w - p
		g := f[d : d+n]
		for j, x := range f[:n] {
			if y := g[j]; y > x {
				x = y
			}
			out[j] = x
		}
		return
	}
	for q := 1; q < p; q *= 2 {
		for j := 0; j+q < m; j++ {
			dst := f[j*s : (j+1)*s]
			src := f[(j+q)*s : (j+q+1)*s]
			for i, x := range src {
				if x > dst[i] {
					dst[i] = x
				}
			}
		}
	}
	d := w - p
	for j := range n {
		o := out[j*s : (j+1)*s]
		a := f[j*s : (j+1)*s]
		b := f[(j+d)*s : (j+d+1)*s]
		for i, x := range a {
			if y := b[i]; y > x {
				x = y
			}
			o[i] = x
		}
	}
}

// peakScratch keeps the buffers of peak finding from one label's box to
// the next.
type peakScratch struct {
	obj      []float32
	lm, out  []bool
	cur, tmp []float32
}

// binaryOpening is scipy.ndimage.binary_opening(m) with the cross-shaped
// structure of the image's rank and a border of 0.
func binaryOpening(m []bool, dims []int) []bool {
	strides := make([]int, len(dims))
	st := 1
	for a := len(dims) - 1; a >= 0; a-- {
		strides[a] = st
		st *= dims[a]
	}
	pos := func(p, a int) int { return p / strides[a] % dims[a] }
	ero := make([]bool, len(m))
	for p, on := range m {
		if !on {
			continue
		}
		ok := true
		for a := range dims {
			c := pos(p, a)
			if c == 0 || c == dims[a]-1 || !m[p-strides[a]] || !m[p+strides[a]] {
				ok = false
				break
			}
		}
		ero[p] = ok
	}
	out := make([]bool, len(m))
	for p, on := range ero {
		if !on {
			continue
		}
		out[p] = true
		for a := range dims {
			c := pos(p, a)
			if c > 0 {
				out[p-strides[a]] = true
			}
			if c < dims[a]-1 {
				out[p+strides[a]] = true
			}
		}
	}
	return out
}

// excludeBorder clears the w[a] outermost pixels of every axis a.
func excludeBorder(mask []bool, dims []int, w []int) {
	if slices.Max(w) <= 0 {
		return
	}
	strides := make([]int, len(dims))
	st := 1
	for a := len(dims) - 1; a >= 0; a-- {
		strides[a] = st
		st *= dims[a]
	}
	for p := range mask {
		for a := range dims {
			c := p / strides[a] % dims[a]
			if c < w[a] || c >= dims[a]-w[a] {
				mask[p] = false
				break
			}
		}
	}
}

// highPeaks is scikit-image's _get_high_intensity_peaks: the indices of mask
// by decreasing value (stable, so raster order among equal values), thinned
// greedily so that no two kept peaks are closer than md (Chebyshev; pr.t
// along each axis) when md > 1, and cut to num when num > 0.
func highPeaks(v []float32, mask []bool, dims []int, num int, pr peakReach) []int {
	var idx []int
	for i, m := range mask {
		if m {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case v[a] > v[b]:
			return -1
		case v[a] < v[b]:
			return 1
		}
		return 0
	})
	if pr.spaced && len(idx) > 0 {
		idx = ensureSpacing(idx, dims, pr.t, num)
	}
	if num > 0 && len(idx) > num {
		idx = idx[:num]
	}
	return idx
}

// ensureSpacing keeps, in order, each point that no point kept before it is
// closer to than t[a] on every axis a (Chebyshev distance below md when
// every t[a] is md: scikit-image's ensure_spacing with p_norm=inf),
// stopping after max points when max > 0. Kept points are found through a
// grid of cells of side t[a], so only the 3^rank cells around a point are
// searched.
func ensureSpacing(idx []int, dims []int, t []int, maxOut int) []int {
	g := peakGrid{dims: dims}
	nd := len(dims)
	off := 3 - nd
	var cells, side [3]int
	cells[0], side[0] = 1, 1
	for a, n := range dims {
		side[a+off] = t[a]
		cells[a+off] = (n + t[a] - 1) / t[a]
	}
	kept := make(map[int][][3]int)
	var out []int
	for _, p := range idx {
		c := g.coord(p)
		var k, lo, hi [3]int
		for a := range 3 {
			k[a] = c[a] / side[a]
			lo[a], hi[a] = max(0, k[a]-1), min(cells[a]-1, k[a]+1)
		}
		ok := true
	search:
		for cz := lo[0]; cz <= hi[0]; cz++ {
			for cy := lo[1]; cy <= hi[1]; cy++ {
				for cx := lo[2]; cx <= hi[2]; cx++ {
					for _, q := range kept[(cz*cells[1]+cy)*cells[2]+cx] {
						if absDiff(q[0], c[0]) < side[0] && absDiff(q[1], c[1]) < side[1] && absDiff(q[2], c[2]) < side[2] {
							ok = false
							break search
						}
					}
				}
			}
		}
		if !ok {
			continue
		}
		key := (k[0]*cells[1]+k[1])*cells[2] + k[2]
		kept[key] = append(kept[key], c)
		out = append(out, p)
		if maxOut > 0 && len(out) >= maxOut {
			break
		}
	}
	return out
}

// peaksPerLabel is peak_local_max's labels= branch.
func peaksPerLabel(ctx context.Context, v []float32, lab []uint32, dims []int, opt PeakOptions, pr peakReach, thr float32, border []int, pre *labelBoxes) ([][3]int, error) {
	nd := len(dims)
	var full [3]int
	if nd == 2 {
		full = [3]int{1, dims[0], dims[1]}
	} else {
		full = [3]int{dims[0], dims[1], dims[2]}
	}
	// Bounding boxes of the labels, the border left out: a table by
	// label when the labels are dense (as Label numbers them), else a map.
	type box = peakBox
	var table []box
	var sparse map[uint32]*box
	dense := true
	if pre != nil {
		table = pre.table
	} else {
		var top uint32
		for _, l := range lab {
			top = max(top, l)
		}
		dense = int64(top) <= int64(len(lab))+1
		if dense {
			table = make([]box, int(top)+1)
		} else {
			sparse = make(map[uint32]*box)
		}
		var lo, hi [3]int
		for a := range 3 {
			lo[a], hi[a] = 0, full[a]
			if a >= 3-nd {
				lo[a], hi[a] = border[a-(3-nd)], full[a]-border[a-(3-nd)]
			}
		}
		for z := lo[0]; z < hi[0]; z++ {
			for y := lo[1]; y < hi[1]; y++ {
				row := (z*full[1] + y) * full[2]
				for x := lo[2]; x < hi[2]; x++ {
					l := lab[row+x]
					if l == 0 {
						continue
					}
					var b *box
					if dense {
						b = &table[l]
					} else if b = sparse[l]; b == nil {
						b = &box{}
						sparse[l] = b
					}
					if b.hi[2] == 0 {
						b.lo, b.hi = [3]int{z, y, x}, [3]int{z + 1, y + 1, x + 1}
						continue
					}
					// Rows come in order: only X can shrink the box below.
					b.lo[1] = min(b.lo[1], y)
					b.lo[2] = min(b.lo[2], x)
					b.hi[0], b.hi[1] = z+1, max(b.hi[1], y+1)
					b.hi[2] = max(b.hi[2], x+1)
				}
			}
		}
	}
	var keys []uint32
	if dense {
		for l := 1; l < len(table); l++ {
			if table[l].hi[2] > 0 {
				keys = append(keys, uint32(l))
			}
		}
	} else {
		for k := range sparse {
			keys = append(keys, k)
		}
		slices.Sort(keys)
	}
	boxOf := func(k uint32) *box {
		if dense {
			return &table[k]
		}
		return sparse[k]
	}
	g := peakGrid{dims: dims}
	var sc peakScratch
	var all [][3]int
	for n, k := range keys {
		if n%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		b := boxOf(k)
		sub := [3]int{b.hi[0] - b.lo[0], b.hi[1] - b.lo[1], b.hi[2] - b.lo[2]}
		sc.obj = grow(sc.obj, sub[0]*sub[1]*sub[2])
		sc.lm = grow(sc.lm, len(sc.obj))
		obj, lm := sc.obj, sc.lm
		j := 0
		for z := b.lo[0]; z < b.hi[0]; z++ {
			for y := b.lo[1]; y < b.hi[1]; y++ {
				for x := b.lo[2]; x < b.hi[2]; x++ {
					p := (z*full[1]+y)*full[2] + x
					if lab[p] == k {
						obj[j], lm[j] = v[p], true
					} else {
						obj[j], lm[j] = -math.MaxFloat32, false
					}
					j++
				}
			}
		}
		sdims := sub[3-nd:]
		mask := peakMask(obj, sdims, pr, thr, lm, &sc)
		sg := peakGrid{dims: sdims}
		for _, p := range highPeaks(obj, mask, sdims, 0, pr) {
			c := sg.coord(p)
			all = append(all, [3]int{c[0] + b.lo[0], c[1] + b.lo[1], c[2] + b.lo[2]})
		}
	}
	if opt.NumPeaks > 0 && len(all) > opt.NumPeaks {
		mask := make([]bool, len(v))
		for _, c := range all {
			mask[(c[0]*full[1]+c[1])*full[2]+c[2]] = true
		}
		return g.coords(highPeaks(v, mask, dims, opt.NumPeaks, pr)), nil
	}
	if all == nil {
		all = [][3]int{}
	}
	return all, nil
}

// Markers writes the marker image of peaks to dst: zero everywhere, and
// i+1 at peaks[i] (scikit-image's markers[tuple(coords.T)] = arange(1, n+1);
// a coordinate given twice keeps the later number).
func Markers(dst *stack.Volume[uint32], peaks [][3]int) error {
	if dst == nil {
		return errors.New("kernels: markers: nil destination")
	}
	s := dst.Shape
	if err := s.Validate(); err != nil {
		return fmt.Errorf("kernels: markers: %w", err)
	}
	if len(dst.Data) != s.Len() {
		return fmt.Errorf("kernels: markers: destination holds %d elements, shape %v needs %d", len(dst.Data), s, s.Len())
	}
	if uint64(len(peaks)) >= math.MaxUint32 {
		return fmt.Errorf("kernels: markers: %d peaks do not fit uint32 labels", len(peaks))
	}
	for i, c := range peaks {
		if c[0] < 0 || c[1] < 0 || c[2] < 0 || c[0] >= s.Z || c[1] >= s.Y || c[2] >= s.X {
			return fmt.Errorf("kernels: markers: peak %d at %v lies outside %v", i, c, s)
		}
	}
	clear(dst.Data)
	for i, c := range peaks {
		dst.Data[(c[0]*s.Y+c[1])*s.X+c[2]] = uint32(i + 1)
	}
	return nil
}

func absDiff(a, b int) int {
	if a < b {
		return b - a
	}
	return a - b
}

// PeakCandidates writes to dst the candidates of PeakLocalMax without
// labels: 1 where img equals the maximum of the box around it that
// opt.MinDistance (and opt.Spacing) gives, 2*MinDistance+1 wide on every
// axis by default (scipy's maximum_filter, mode 'nearest'), 0 elsewhere;
// every pixel is a candidate when the box is one pixel. A volume with one
// plane is a 2-D image, as for PeakLocalMax. PeakReach gives the box's
// half-widths, so a chunk grown by that halo (mode 'nearest' beyond the
// image's edges) gives, in its core, the candidates of the whole image.
// PeakLocalMax is these candidates above its threshold, none when every
// pixel is one (a box of more than one pixel, an image of more than one),
// outside the excluded border, passed through SpacePeaks in order of
// decreasing value.
func PeakCandidates(ctx context.Context, dst *stack.Volume[uint8], img *stack.Volume[float32], opt PeakOptions) error {
	if dst == nil || img == nil {
		return fmt.Errorf("%w: nil volume", ErrPeakInput)
	}
	s := img.Shape
	if err := s.Validate(); err != nil {
		return fmt.Errorf("kernels: peak candidates: %w", err)
	}
	if len(img.Data) != s.Len() || dst.Shape != s || len(dst.Data) != s.Len() {
		return fmt.Errorf("%w: image %v (%d elements) and destination %v (%d elements) do not match", ErrPeakInput, s, len(img.Data), dst.Shape, len(dst.Data))
	}
	if opt.MinDistance < 0 {
		return fmt.Errorf("%w: min_distance %d is negative", ErrPeakInput, opt.MinDistance)
	}
	for i, v := range img.Data {
		if v != v {
			return fmt.Errorf("%w: the image holds NaN at index %d", ErrPeakInput, i)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dims := peakDims(s)
	pr, err := reachOf(opt, len(dims))
	if err != nil {
		return err
	}
	if pr.zero() || len(img.Data) == 1 {
		for i := range dst.Data {
			dst.Data[i] = 1
		}
		return nil
	}
	mx := maxFilterNearest(img.Data, dims, pr.r, nil)
	for i, v := range img.Data {
		dst.Data[i] = 0
		if v == mx[i] {
			dst.Data[i] = 1
		}
	}
	return nil
}

// PeakReach returns, for an image of shape s (2-D when s.Z == 1), the
// half-widths (Z, Y, X; Z is 0 for a 2-D image) of PeakLocalMax's footprint
// under opt, and the widths of its excluded border.
func PeakReach(s stack.Shape, opt PeakOptions) (reach, border [3]int, err error) {
	if opt.MinDistance < 0 {
		return reach, border, fmt.Errorf("%w: min_distance %d is negative", ErrPeakInput, opt.MinDistance)
	}
	if opt.ExcludeBorder < -1 {
		return reach, border, fmt.Errorf("%w: exclude_border %d is negative", ErrPeakInput, opt.ExcludeBorder)
	}
	dims := peakDims(s)
	pr, err := reachOf(opt, len(dims))
	if err != nil {
		return reach, border, err
	}
	off := 3 - len(dims)
	for a, w := range borderOf(opt, pr) {
		reach[a+off], border[a+off] = pr.r[a], w
	}
	return reach, border, nil
}

func peakDims(s stack.Shape) []int {
	if s.Z > 1 {
		return []int{s.Z, s.Y, s.X}
	}
	return []int{s.Y, s.X}
}

// SpacePeaks is the last step of PeakLocalMax without labels: idx holds the
// raster indices, in an image of shape s (2-D when s.Z == 1), of the peaks
// that passed the threshold and the border, ordered by decreasing value and
// in raster order among equal values. It keeps, in that order, each one that
// no kept one is closer to than opt.MinDistance (Chebyshev, or as
// opt.Spacing says; only when MinDistance > 1, as scikit-image), stops
// after opt.NumPeaks when that is positive, and returns their coordinates
// (Z, Y, X).
func SpacePeaks(s stack.Shape, idx []int, opt PeakOptions) ([][3]int, error) {
	dims := peakDims(s)
	pr, err := reachOf(opt, len(dims))
	if err != nil {
		return nil, err
	}
	if pr.spaced && len(idx) > 0 {
		idx = ensureSpacing(idx, dims, pr.t, opt.NumPeaks)
	}
	if opt.NumPeaks > 0 && len(idx) > opt.NumPeaks {
		idx = idx[:opt.NumPeaks]
	}
	return peakGrid{dims: dims}.coords(idx), nil
}
