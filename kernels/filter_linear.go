package kernels

// Linear filters with scipy.ndimage's arithmetic: correlate1d and
// convolve1d (NI_Correlate1D), uniform_filter (NI_UniformFilter1D's running
// mean), correlate and convolve with N-D weights (NI_Correlate), and
// sobel, prewitt and laplace built from correlate1d as scipy builds them.
// Every pass accumulates in float64 in scipy's order and stores its result
// into the output type with scipy's C cast, so results equal scipy's
// bit for bit, integer outputs included.

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/segstack/segstack/stack"
)

// dblEpsilon is C's DBL_EPSILON, scipy's tolerance for symmetric weights
// and for weights it treats as zero.
const dblEpsilon = 2.220446049250313e-16

// correlateLine returns the line function of scipy's NI_Correlate1D for
// weights w (already reversed for a convolution): symmetric and
// antisymmetric odd kernels fold their taps as scipy does. The input line
// starts len(w)/2 samples before the window of output 0.
func correlateLine(w []float64) lineFn {
	n := len(w)
	size1 := n / 2
	sym := 0
	if n&1 == 1 {
		sym = 1
		for i := 1; i <= size1; i++ {
			if math.Abs(w[size1+i]-w[size1-i]) > dblEpsilon {
				sym = 0
				break
			}
		}
		if sym == 0 {
			sym = -1
			for i := 1; i <= size1; i++ {
				if math.Abs(w[size1+i]+w[size1-i]) > dblEpsilon {
					sym = 0
					break
				}
			}
		}
	}
	fw := slices.Clone(w)
	switch sym {
	case 1:
		return func(out, in, _ []float64) {
			for l := range out {
				c := in[l+size1:]
				t := float64(c[0] * fw[size1])
				for j := -size1; j < 0; j++ {
					t += float64((in[l+size1+j] + c[-j]) * fw[size1+j])
				}
				out[l] = t
			}
		}
	case -1:
		return func(out, in, _ []float64) {
			for l := range out {
				c := in[l+size1:]
				t := float64(c[0] * fw[size1])
				for j := -size1; j < 0; j++ {
					t += float64((in[l+size1+j] - c[-j]) * fw[size1+j])
				}
				out[l] = t
			}
		}
	}
	return func(out, in, _ []float64) {
		for l := range out {
			win := in[l : l+n]
			t := float64(win[n-1] * fw[n-1])
			for k := 0; k < n-1; k++ {
				t += float64(win[k] * fw[k])
			}
			out[l] = t
		}
	}
}

// correlate1d runs weights w (len(w) >= 1) along axis with the given
// origin from src into dst.
func correlate1d[T, U stack.Elem](ctx context.Context, dst *stack.Volume[U], src *stack.Volume[T], w []float64, axis, origin int, mode stack.Mode, cval float64) error {
	size1 := len(w) / 2
	size2 := len(w) - size1 - 1
	return applyLines(ctx, dst, src, axis, size1+origin, size2-origin, mode, cval, correlateLine(w))
}

func checkAxis(what string, s stack.Shape, perPlane bool, axis int) error {
	if !slices.Contains(filterAxes(s, perPlane), axis) {
		return fmt.Errorf("%w: %s: axis %d is not one of the filtered axes %v (0 is Z, 1 Y, 2 X; a single plane or a per-plane filter has only Y and X)", ErrInvalid, what, axis, filterAxes(s, perPlane))
	}
	return nil
}

func checkWeights1D(what string, w []float64) error {
	if len(w) == 0 || len(w) > maxFilterSize {
		return fmt.Errorf("%w: %s: %d weights (want 1 to %d)", ErrInvalid, what, len(w), maxFilterSize)
	}
	for _, v := range w {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: %s: weight %v is not finite", ErrInvalid, what, v)
		}
	}
	return nil
}

// Correlate1D writes scipy.ndimage.correlate1d(src, weights, axis,
// output=dst, mode, cval, origin=opt.Origin[axis]) into dst, which must
// have src's shape and may be src. axis is 0 (Z), 1 (Y) or 2 (X). Sums are
// float64 in scipy's order and stored as scipy casts them (float32 by
// rounding, integers by C truncation), so results equal scipy's exactly.
func Correlate1D[T, U stack.Elem](ctx context.Context, dst *stack.Volume[U], src *stack.Volume[T], weights []float64, axis int, opt FilterOptions) error {
	const what = "Correlate1D"
	if err := checkPair(what, dst, src); err != nil {
		return err
	}
	if err := checkMode(what, opt.Mode, opt.Cval); err != nil {
		return err
	}
	if err := checkAxis(what, src.Shape, opt.PerPlane, axis); err != nil {
		return err
	}
	if err := checkWeights1D(what, weights); err != nil {
		return err
	}
	if err := checkOrigin(what, axis, len(weights), opt.Origin[axis]); err != nil {
		return err
	}
	return correlate1d(ctx, dst, src, weights, axis, opt.Origin[axis], opt.Mode, opt.Cval)
}

// Convolve1D writes scipy.ndimage.convolve1d: Correlate1D with the weights
// reversed and the origin mirrored (-origin, and one less for an even
// number of weights), as scipy does.
func Convolve1D[T, U stack.Elem](ctx context.Context, dst *stack.Volume[U], src *stack.Volume[T], weights []float64, axis int, opt FilterOptions) error {
	const what = "Convolve1D"
	if err := checkWeights1D(what, weights); err != nil {
		return err
	}
	w := slices.Clone(weights)
	slices.Reverse(w)
	o := opt
	o.Origin[axis] = -o.Origin[axis]
	if len(w)&1 == 0 {
		o.Origin[axis]--
	}
	return Correlate1D(ctx, dst, src, w, axis, o)
}

// UniformFilter writes scipy.ndimage.uniform_filter(src, size, output=dst,
// mode, cval, origin) into dst (src's shape; may be src): a running mean
// of opt.Size samples along each axis whose size is above 1, in scipy's
// axis order (Z, Y, X), each pass accumulated in float64 exactly as
// scipy's uniform_filter1d does and stored into U with scipy's cast (so
// uint8 and uint16 passes truncate, as scipy's do).
func UniformFilter[T, U stack.Elem](ctx context.Context, dst *stack.Volume[U], src *stack.Volume[T], opt FilterOptions) error {
	const what = "UniformFilter"
	if err := checkPair(what, dst, src); err != nil {
		return err
	}
	if err := checkMode(what, opt.Mode, opt.Cval); err != nil {
		return err
	}
	axes, err := sizeAxes(what, src.Shape, opt)
	if err != nil {
		return err
	}
	if len(axes) == 0 {
		copyCast(dst, src)
		return nil
	}
	if aliases(dst, src) {
		src = src.Clone()
	}
	// Passes alternate between dst and a scratch volume so that the last
	// writes dst and none reads the volume it writes (Z and Y passes read
	// rows around the one they write).
	var tmp *stack.Volume[U]
	if len(axes) > 1 {
		tmp = &stack.Volume[U]{Shape: dst.Shape, Data: make([]U, len(dst.Data))}
	}
	target := func(i int) *stack.Volume[U] {
		if (len(axes)-1-i)%2 == 0 {
			return dst
		}
		return tmp
	}
	for i, a := range axes {
		k, o := opt.Size[a], opt.Origin[a]
		before, after := k/2+o, k-k/2-1-o
		if i == 0 {
			err = uniformPass(ctx, target(i), src, a, k, before, after, opt.Mode, opt.Cval)
		} else {
			err = uniformPass(ctx, target(i), target(i-1), a, k, before, after, opt.Mode, opt.Cval)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// sizeAxes returns the axes with opt.Size above 1 that the filter runs
// over, after checking sizes and origins.
func sizeAxes(what string, s stack.Shape, opt FilterOptions) ([]int, error) {
	var axes []int
	for _, a := range filterAxes(s, opt.PerPlane) {
		k := opt.Size[a]
		if k < 0 || k > maxFilterSize {
			return nil, fmt.Errorf("%w: %s: size %d on axis %d (want 0 to %d)", ErrInvalid, what, k, a, maxFilterSize)
		}
		if err := checkOrigin(what, a, max(k, 1), opt.Origin[a]); err != nil {
			return nil, err
		}
		if k > 1 {
			axes = append(axes, a)
		}
	}
	return axes, nil
}

// Sobel writes scipy.ndimage.sobel(src, axis, output=dst, mode, cval):
// the derivative [-1, 0, 1] along axis, then the smoothing [1, 2, 1] along
// every other filtered axis in order, each pass stored into U (negative
// values wrap in unsigned outputs, as scipy's do).
func Sobel[T, U stack.Elem](ctx context.Context, dst *stack.Volume[U], src *stack.Volume[T], axis int, opt FilterOptions) error {
	return derivSmooth(ctx, "Sobel", dst, src, axis, opt, []float64{1, 2, 1})
}

// Prewitt writes scipy.ndimage.prewitt(src, axis, output=dst, mode, cval):
// Sobel with the smoothing [1, 1, 1].
func Prewitt[T, U stack.Elem](ctx context.Context, dst *stack.Volume[U], src *stack.Volume[T], axis int, opt FilterOptions) error {
	return derivSmooth(ctx, "Prewitt", dst, src, axis, opt, []float64{1, 1, 1})
}

func derivSmooth[T, U stack.Elem](ctx context.Context, what string, dst *stack.Volume[U], src *stack.Volume[T], axis int, opt FilterOptions, smooth []float64) error {
	if err := checkPair(what, dst, src); err != nil {
		return err
	}
	if err := checkMode(what, opt.Mode, opt.Cval); err != nil {
		return err
	}
	if err := checkAxis(what, src.Shape, opt.PerPlane, axis); err != nil {
		return err
	}
	if err := correlate1d(ctx, dst, src, []float64{-1, 0, 1}, axis, 0, opt.Mode, opt.Cval); err != nil {
		return err
	}
	for _, a := range filterAxes(src.Shape, opt.PerPlane) {
		if a == axis {
			continue
		}
		if err := correlate1d(ctx, dst, dst, smooth, a, 0, opt.Mode, opt.Cval); err != nil {
			return err
		}
	}
	return nil
}

// Laplace writes scipy.ndimage.laplace(src, output=dst, mode, cval): the
// second difference [1, -2, 1] along the first filtered axis into dst,
// then that of every other axis computed into U and added in U's
// arithmetic (wrapping for integers), as scipy's generic_laplace does.
func Laplace[T, U stack.Elem](ctx context.Context, dst *stack.Volume[U], src *stack.Volume[T], opt FilterOptions) error {
	const what = "Laplace"
	if err := checkPair(what, dst, src); err != nil {
		return err
	}
	if err := checkMode(what, opt.Mode, opt.Cval); err != nil {
		return err
	}
	if aliases(dst, src) {
		src = src.Clone()
	}
	w := []float64{1, -2, 1}
	return sumOverAxes(ctx, dst, src.Shape, opt.PerPlane, false, func(d *stack.Volume[U], a int) error {
		return correlate1d(ctx, d, src, w, a, 0, opt.Mode, opt.Cval)
	})
}

// sumOverAxes computes pass(a) for every filtered axis a and adds them up
// in U (squared first when square is set): the first into dst, the others
// into a scratch volume added to dst, as scipy's generic_laplace and
// generic_gradient_magnitude do.
func sumOverAxes[U stack.Elem](ctx context.Context, dst *stack.Volume[U], s stack.Shape, perPlane, square bool, pass func(d *stack.Volume[U], a int) error) error {
	axes := filterAxes(s, perPlane)
	if err := pass(dst, axes[0]); err != nil {
		return err
	}
	if square {
		for i, v := range dst.Data {
			dst.Data[i] = v * v
		}
	}
	tmp := &stack.Volume[U]{Shape: s, Data: make([]U, len(dst.Data))}
	for _, a := range axes[1:] {
		if err := pass(tmp, a); err != nil {
			return err
		}
		if square {
			for i, v := range tmp.Data {
				dst.Data[i] += v * v
			}
		} else {
			for i, v := range tmp.Data {
				dst.Data[i] += v
			}
		}
	}
	return nil
}

// aliases reports whether two volumes share their first element.
func aliases[T, U stack.Elem](a *stack.Volume[U], b *stack.Volume[T]) bool {
	if len(a.Data) == 0 || len(b.Data) == 0 {
		return false
	}
	pa, pb := any(&a.Data[0]), any(&b.Data[0])
	return pa == pb
}

// checkWeightsND validates N-D weights for a volume of shape s.
func checkWeightsND(what string, s stack.Shape, perPlane bool, w *Weights) error {
	if w == nil {
		return fmt.Errorf("%w: %s: nil weights", ErrInvalid, what)
	}
	if err := w.Shape.Validate(); err != nil {
		return fmt.Errorf("%w: %s: weights: %w", ErrInvalid, what, err)
	}
	if len(w.W) != w.Shape.Len() {
		return fmt.Errorf("%w: %s: %d weights do not fill shape %v", ErrInvalid, what, len(w.W), w.Shape)
	}
	if (perPlane || s.Z == 1) && w.Shape.Z != 1 {
		return fmt.Errorf("%w: %s: weights of shape %v for a 2-D filter (want Z = 1)", ErrInvalid, what, w.Shape)
	}
	if max(w.Shape.Z, w.Shape.Y, w.Shape.X) > maxFilterSize {
		return fmt.Errorf("%w: %s: weights of shape %v are wider than %d", ErrInvalid, what, w.Shape, maxFilterSize)
	}
	for _, v := range w.W {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: %s: weight %v is not finite", ErrInvalid, what, v)
		}
	}
	return nil
}

// Correlate writes scipy.ndimage.correlate(src, weights, output=dst, mode,
// cval, origin) into dst (src's shape; may be src): every output is the
// float64 sum, in the weights' raster order, of weight times sample over
// the weights scipy keeps (|w| > DBL_EPSILON), stored with scipy's cast.
func Correlate[T, U stack.Elem](ctx context.Context, dst *stack.Volume[U], src *stack.Volume[T], weights *Weights, opt FilterOptions) error {
	const what = "Correlate"
	if err := checkPair(what, dst, src); err != nil {
		return err
	}
	if err := checkMode(what, opt.Mode, opt.Cval); err != nil {
		return err
	}
	if err := checkWeightsND(what, src.Shape, opt.PerPlane, weights); err != nil {
		return err
	}
	fs := weights.Shape.Dims()
	for _, a := range filterAxes(src.Shape, opt.PerPlane) {
		if err := checkOrigin(what, a, fs[a], opt.Origin[a]); err != nil {
			return err
		}
	}
	var mask []bool
	var ws []float64
	for _, v := range weights.W {
		keep := math.Abs(v) > dblEpsilon
		mask = append(mask, keep)
		if keep {
			ws = append(ws, v)
		}
	}
	if err := checkWindow(what, src.Shape, fs, len(ws)); err != nil {
		return err
	}
	pv := padVolume(src, fs, opt.Origin, opt.PerPlane, opt.Mode, func(v T) float64 { return float64(v) }, opt.Cval)
	offs := pv.offsets(fs, mask)
	kind := castKindOf[U]()
	return pv.each(ctx, func(out, base int) {
		t := 0.0
		for i, o := range offs {
			t += float64(ws[i] * pv.data[base+o])
		}
		dst.Data[out] = castC[U](t, kind)
	})
}

// Convolve writes scipy.ndimage.convolve: Correlate with the weights
// reversed on every axis and each origin mirrored (-origin, and one less
// on an axis of even extent), as scipy does.
func Convolve[T, U stack.Elem](ctx context.Context, dst *stack.Volume[U], src *stack.Volume[T], weights *Weights, opt FilterOptions) error {
	if weights == nil || len(weights.W) != weights.Shape.Len() || weights.Shape.Validate() != nil {
		return Correlate(ctx, dst, src, weights, opt)
	}
	w := &Weights{Shape: weights.Shape, W: slices.Clone(weights.W)}
	slices.Reverse(w.W)
	o := opt
	fs := w.Shape.Dims()
	for a := range 3 {
		o.Origin[a] = -o.Origin[a]
		if fs[a]&1 == 0 {
			o.Origin[a]--
		}
	}
	return Correlate(ctx, dst, src, w, o)
}

// maxWindowTaps bounds the positions of an N-D footprint or kernel, each
// visited for every output.
const maxWindowTaps = 1 << 20

// checkWindow refuses N-D windows whose positions (taps) or padded copy of
// the volume would be unreasonable: more than maxWindowTaps positions, or a
// padded volume larger than four times the volume plus 16 Mi elements.
func checkWindow(what string, s stack.Shape, fs [3]int, taps int) error {
	if taps > maxWindowTaps {
		return fmt.Errorf("%w: %s: a window of %d positions (at most %d)", ErrInvalid, what, taps, maxWindowTaps)
	}
	padded := int64(s.Z+fs[0]) * int64(s.Y+fs[1]) * int64(s.X+fs[2])
	if padded > 4*int64(s.Len())+1<<24 {
		return fmt.Errorf("%w: %s: a window of %dx%dx%d is too large for a volume of %v", ErrInvalid, what, fs[0], fs[1], fs[2], s)
	}
	return nil
}

// padded is a volume copied into a larger one with the halo a footprint
// needs on each side, made up per the boundary mode.
type padded[E any] struct {
	data   []E
	shape  stack.Shape // padded shape
	src    stack.Shape
	before [3]int
}

// padVolume copies src into a padded volume for a footprint of extents fs
// with origins org: before = fs/2+origin samples ahead on each filtered
// axis, fs-1-before after, values made up per mode (cv outside for
// stack.Constant). conv converts an element.
func padVolume[T stack.Elem, E any](src *stack.Volume[T], fs [3]int, org [3]int, perPlane bool, mode stack.Mode, conv func(T) E, cv E) *padded[E] {
	s := src.Shape
	dims := s.Dims()
	var before, after [3]int
	for _, a := range filterAxes(s, perPlane) {
		before[a] = fs[a]/2 + org[a]
		after[a] = fs[a] - 1 - before[a]
	}
	var tabs [3][]int
	var pd [3]int
	for a := range 3 {
		tabs[a] = extTable(dims[a], before[a], after[a], mode)
		pd[a] = len(tabs[a])
	}
	ps := stack.Shape{Z: pd[0], Y: pd[1], X: pd[2]}
	p := &padded[E]{data: make([]E, ps.Len()), shape: ps, src: s, before: before}
	i := 0
	for _, z := range tabs[0] {
		for _, y := range tabs[1] {
			row := -1
			if z >= 0 && y >= 0 {
				row = (z*s.Y + y) * s.X
			}
			for _, x := range tabs[2] {
				if row < 0 || x < 0 {
					p.data[i] = cv
				} else {
					p.data[i] = conv(src.Data[row+x])
				}
				i++
			}
		}
	}
	return p
}

// offsets lists the offsets in p.data, from the window corner of an
// output, of the footprint's true positions in raster order.
func (p *padded[E]) offsets(fs [3]int, mask []bool) []int {
	var offs []int
	i := 0
	for z := range fs[0] {
		for y := range fs[1] {
			for x := range fs[2] {
				if mask[i] {
					offs = append(offs, (z*p.shape.Y+y)*p.shape.X+x)
				}
				i++
			}
		}
	}
	return offs
}

// each calls fn(out, base) for every output position, out its index in
// the source volume and base that of its window corner in p.data, split
// by rows over workers.
func (p *padded[E]) each(ctx context.Context, fn func(out, base int)) error {
	s := p.src
	rows := s.Z * s.Y
	workers := workersFor(s.Len(), rows)
	return forEachItem(ctx, workers, rows, func(_, r int) error {
		z, y := r/s.Y, r%s.Y
		out := r * s.X
		base := (z*p.shape.Y + y) * p.shape.X
		for x := range s.X {
			fn(out+x, base+x)
		}
		return nil
	})
}
