package array

// The filters of dask_image.ndfilters on lazy arrays: each filter is a
// chain of passes, every pass a MapOverlap whose halo is exactly the
// pass's reach, so each pass sees its input extended by the boundary mode
// as scipy's does and the result equals the kernel's (and scipy's) on the
// whole array, whatever the chunks, in every mode. Options use the
// kernels' (Z, Y, X) order; for arrays of rank 2 the Z entries are
// ignored, for rank 1 the Z and Y entries.

import (
	"context"
	"fmt"
	"math"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// stepKind is what one pass computes.
type stepKind int

const (
	stepUniform stepKind = iota
	stepMin
	stepMax
	stepMedian
	stepCorrelate1D
	stepCorrelate
	stepLaplace
)

// filterStep is one pass: kernel kind with its options, and the halo it
// needs on each axis.
type filterStep struct {
	kind  stepKind
	opt   kernels.FilterOptions
	axis  int
	w1    []float64
	wn    *kernels.Weights
	depth [3]int
}

// runStep applies the pass to one tile.
func runStep[T stack.Elem](ctx context.Context, st filterStep, in *stack.Volume[T]) (*stack.Volume[T], error) {
	out := stack.New[T](in.Shape)
	var err error
	switch st.kind {
	case stepUniform:
		err = kernels.UniformFilter(ctx, out, in, st.opt)
	case stepMin:
		err = kernels.MinimumFilter(ctx, out, in, st.opt)
	case stepMax:
		err = kernels.MaximumFilter(ctx, out, in, st.opt)
	case stepMedian:
		err = kernels.MedianFilter(ctx, out, in, st.opt)
	case stepCorrelate1D:
		err = kernels.Correlate1D(ctx, out, in, st.w1, st.axis, st.opt)
	case stepCorrelate:
		err = kernels.Correlate(ctx, out, in, st.wn, st.opt)
	case stepLaplace:
		err = kernels.Laplace(ctx, out, in, st.opt)
	}
	return out, err
}

func mapStep[T stack.Elem](a *Array, st filterStep) *Array {
	depth := st.depth[3-a.rank:]
	return MapOverlap(a, OverlapOptions{Depth: depth, Mode: st.opt.Mode, Cval: st.opt.Cval},
		func(ctx context.Context, in *stack.Volume[T]) (*stack.Volume[T], error) {
			return runStep(ctx, st, in)
		})
}

// representable reports whether v survives a round trip through dt.
func representable(v float64, dt stack.DType) bool {
	switch dt {
	case stack.Uint8:
		return v >= 0 && v <= math.MaxUint8 && v == math.Trunc(v)
	case stack.Uint16:
		return v >= 0 && v <= math.MaxUint16 && v == math.Trunc(v)
	case stack.Uint32:
		return v >= 0 && v <= math.MaxUint32 && v == math.Trunc(v)
	case stack.Int16:
		return v >= math.MinInt16 && v <= math.MaxInt16 && v == math.Trunc(v)
	case stack.Int32:
		return v >= math.MinInt32 && v <= math.MaxInt32 && v == math.Trunc(v)
	case stack.Float32:
		return float64(float32(v)) == v
	}
	return false
}

// applyStep runs one pass on a, keeping its element type. Halos carry
// values in a's type, so a constant mode's cval must be one of them.
func applyStep(a *Array, st filterStep) *Array {
	if a.err != nil {
		return a
	}
	if st.opt.Mode == stack.Constant && !representable(st.opt.Cval, a.dt) {
		return errArray(fmt.Errorf("%w: cval %v is not a %s value; the halos of a chunked filter hold the array's type (convert the array with Astype first)", kernels.ErrInvalid, st.opt.Cval, a.dt))
	}
	switch a.dt {
	case stack.Uint8:
		return mapStep[uint8](a, st)
	case stack.Uint16:
		return mapStep[uint16](a, st)
	case stack.Uint32:
		return mapStep[uint32](a, st)
	case stack.Int16:
		return mapStep[int16](a, st)
	case stack.Int32:
		return mapStep[int32](a, st)
	case stack.Float32:
		return mapStep[float32](a, st)
	}
	return errArray(fmt.Errorf("array: filters take uint8, uint16, uint32, int16, int32 or float32 arrays, not %s", a.dt))
}

// filterAxes are the kernel axes (0 Z, 1 Y, 2 X) an array of a's rank
// filters over: its own axes, or Y and X per plane.
func filterAxes(a *Array, perPlane bool) []int {
	switch {
	case a.rank == 1:
		return []int{2}
	case a.rank == 2 || perPlane || a.shape[0] == 1:
		return []int{1, 2}
	}
	return []int{0, 1, 2}
}

// reach is the halo of a window of extent k with origin o.
func reach(k, o int) int { return max(k/2+o, k-1-k/2-o, 0) }

// planeOpt returns opt for the kernels: per plane for rank 2 (the
// kernels' rule for one plane), and, for rank 1, a row of X alone.
func planeOpt(a *Array, opt kernels.FilterOptions) kernels.FilterOptions {
	if a.rank <= 2 {
		opt.Size[0], opt.Origin[0] = 1, 0
	}
	if a.rank == 1 {
		opt.Size[1], opt.Origin[1] = 1, 0
	}
	return opt
}

// separable runs kind as one pass per axis whose size is above 1.
func separable(a *Array, kind stepKind, opt kernels.FilterOptions) *Array {
	if a.err != nil {
		return a
	}
	opt = planeOpt(a, opt)
	out := a
	for _, ax := range filterAxes(a, opt.PerPlane) {
		k := opt.Size[ax]
		if k <= 1 {
			continue
		}
		o := opt
		o.Size = [3]int{1, 1, 1}
		o.Size[ax] = k
		o.Origin = [3]int{}
		o.Origin[ax] = opt.Origin[ax]
		o.Footprint = nil
		var d [3]int
		d[ax] = reach(k, opt.Origin[ax])
		out = applyStep(out, filterStep{kind: kind, opt: o, depth: d})
	}
	if out == a {
		// No pass: scipy copies the input; so does a pass of size 1.
		out = applyStep(a, filterStep{kind: kind, opt: opt})
	}
	return out
}

// windowDepth is the halo of opt's footprint or Size box.
func windowDepth(a *Array, opt kernels.FilterOptions) [3]int {
	fs := opt.Size
	if opt.Footprint != nil {
		fs = opt.Footprint.Shape.Dims()
	}
	var d [3]int
	for _, ax := range filterAxes(a, opt.PerPlane) {
		d[ax] = reach(max(fs[ax], 1), opt.Origin[ax])
	}
	return d
}

// UniformFilter is kernels.UniformFilter on a lazy array: scipy's
// uniform_filter, one running-mean pass per axis, each stored in a's type.
func UniformFilter(a *Array, opt kernels.FilterOptions) *Array {
	return separable(a, stepUniform, opt)
}

// MinimumFilter is kernels.MinimumFilter on a lazy array (separable passes
// for a box, one pass over opt.Footprint otherwise).
func MinimumFilter(a *Array, opt kernels.FilterOptions) *Array {
	if opt.Footprint != nil {
		opt = planeOpt(a, opt)
		return applyStep(a, filterStep{kind: stepMin, opt: opt, depth: windowDepth(a, opt)})
	}
	return separable(a, stepMin, opt)
}

// MaximumFilter is kernels.MaximumFilter on a lazy array.
func MaximumFilter(a *Array, opt kernels.FilterOptions) *Array {
	if opt.Footprint != nil {
		opt = planeOpt(a, opt)
		return applyStep(a, filterStep{kind: stepMax, opt: opt, depth: windowDepth(a, opt)})
	}
	return separable(a, stepMax, opt)
}

// MedianFilter is kernels.MedianFilter on a lazy array: scipy's
// median_filter over opt.Size or opt.Footprint, in a's type.
func MedianFilter(a *Array, opt kernels.FilterOptions) *Array {
	if a.err != nil {
		return a
	}
	opt = planeOpt(a, opt)
	return applyStep(a, filterStep{kind: stepMedian, opt: opt, depth: windowDepth(a, opt)})
}

// Correlate1D is kernels.Correlate1D on a lazy array; axis is a kernel
// axis (0 Z, 1 Y, 2 X) and the origin is opt.Origin[axis].
func Correlate1D(a *Array, weights []float64, axis int, opt kernels.FilterOptions) *Array {
	if a.err != nil {
		return a
	}
	if axis < 0 || axis > 2 || len(weights) == 0 {
		return errArray(fmt.Errorf("array: Correlate1D: axis %d with %d weights", axis, len(weights)))
	}
	var d [3]int
	d[axis] = reach(len(weights), opt.Origin[axis])
	return applyStep(a, filterStep{kind: stepCorrelate1D, opt: opt, axis: axis, w1: weights, depth: d})
}

// Convolve1D is kernels.Convolve1D on a lazy array.
func Convolve1D(a *Array, weights []float64, axis int, opt kernels.FilterOptions) *Array {
	if axis < 0 || axis > 2 || len(weights) == 0 {
		return errArray(fmt.Errorf("array: Convolve1D: axis %d with %d weights", axis, len(weights)))
	}
	w := make([]float64, len(weights))
	for i, v := range weights {
		w[len(w)-1-i] = v
	}
	opt.Origin[axis] = -opt.Origin[axis]
	if len(w)%2 == 0 {
		opt.Origin[axis]--
	}
	return Correlate1D(a, w, axis, opt)
}

// Correlate is kernels.Correlate on a lazy array: scipy's correlate with
// N-D weights (Shape.Z 1 for rank-2 arrays), in a's type.
func Correlate(a *Array, weights *kernels.Weights, opt kernels.FilterOptions) *Array {
	if a.err != nil {
		return a
	}
	if weights == nil || weights.Shape.Validate() != nil || len(weights.W) != weights.Shape.Len() {
		return errArray(fmt.Errorf("array: Correlate: invalid weights"))
	}
	opt = planeOpt(a, opt)
	var d [3]int
	fs := weights.Shape.Dims()
	for _, ax := range filterAxes(a, opt.PerPlane) {
		d[ax] = reach(fs[ax], opt.Origin[ax])
	}
	return applyStep(a, filterStep{kind: stepCorrelate, opt: opt, wn: weights, depth: d})
}

// Convolve is kernels.Convolve on a lazy array.
func Convolve(a *Array, weights *kernels.Weights, opt kernels.FilterOptions) *Array {
	if weights == nil || weights.Shape.Validate() != nil || len(weights.W) != weights.Shape.Len() {
		return errArray(fmt.Errorf("array: Convolve: invalid weights"))
	}
	w := &kernels.Weights{Shape: weights.Shape, W: make([]float64, len(weights.W))}
	for i, v := range weights.W {
		w.W[len(w.W)-1-i] = v
	}
	fs := w.Shape.Dims()
	for ax := range 3 {
		opt.Origin[ax] = -opt.Origin[ax]
		if fs[ax]%2 == 0 {
			opt.Origin[ax]--
		}
	}
	return Correlate(a, w, opt)
}

// derivSmooth is sobel or prewitt: the derivative along axis, then the
// smoothing along each other axis, each its own pass.
func derivSmooth(a *Array, axis int, opt kernels.FilterOptions, smooth []float64) *Array {
	if a.err != nil {
		return a
	}
	axes := filterAxes(a, opt.PerPlane)
	found := false
	for _, ax := range axes {
		found = found || ax == axis
	}
	if !found {
		return errArray(fmt.Errorf("array: axis %d is not one of the filtered axes %v", axis, axes))
	}
	o := opt
	o.Origin = [3]int{}
	out := Correlate1D(a, []float64{-1, 0, 1}, axis, o)
	for _, ax := range axes {
		if ax != axis {
			out = Correlate1D(out, smooth, ax, o)
		}
	}
	return out
}

// Sobel is kernels.Sobel on a lazy array (axis 0 Z, 1 Y, 2 X).
func Sobel(a *Array, axis int, opt kernels.FilterOptions) *Array {
	return derivSmooth(a, axis, opt, []float64{1, 2, 1})
}

// Prewitt is kernels.Prewitt on a lazy array.
func Prewitt(a *Array, axis int, opt kernels.FilterOptions) *Array {
	return derivSmooth(a, axis, opt, []float64{1, 1, 1})
}

// Laplace is kernels.Laplace on a lazy array: one pass with a halo of 1,
// exact because each term reads along its own axis only.
func Laplace(a *Array, opt kernels.FilterOptions) *Array {
	if a.err != nil {
		return a
	}
	opt = planeOpt(a, opt)
	var d [3]int
	for _, ax := range filterAxes(a, opt.PerPlane) {
		d[ax] = 1
	}
	return applyStep(a, filterStep{kind: stepLaplace, opt: opt, depth: d})
}

// gaussOrder is scipy's gaussian_filter(a, sigma, order) as float32
// passes, one per axis whose sigma is above 1e-15.
func gaussOrder(a *Array, opt kernels.GaussDerivOptions, order [3]int) *Array {
	out := a
	fo := kernels.FilterOptions{Mode: opt.Mode, Cval: opt.Cval}
	for _, ax := range filterAxes(a, opt.PerPlane) {
		if opt.Sigma[ax] <= 1e-15 {
			continue
		}
		w := kernels.GaussianKernel1D(opt.Sigma[ax], order[ax], opt.Truncate)
		if w == nil {
			return errArray(fmt.Errorf("array: invalid sigma %v or truncate %v", opt.Sigma[ax], opt.Truncate))
		}
		out = Correlate1D(out, w, ax, fo)
	}
	return out
}

// gaussDeriv sums (or sums the squares of) the derivative of the given
// order along each axis, as scipy's generic_laplace and
// generic_gradient_magnitude do, in float32.
func gaussDeriv(a *Array, opt kernels.GaussDerivOptions, order int, square bool) *Array {
	if a.err != nil {
		return a
	}
	if a.dt != stack.Float32 {
		a = a.Astype(stack.Float32)
	}
	var sum *Array
	for _, ax := range filterAxes(a, opt.PerPlane) {
		var ord [3]int
		ord[ax] = order
		t := gaussOrder(a, opt, ord)
		if square {
			t = t.Mul(t)
		}
		if sum == nil {
			sum = t
		} else {
			sum = sum.Add(t)
		}
	}
	return sum
}

// GaussianLaplace is kernels.GaussianLaplace on a lazy array: float32
// output, every 1-D pass its own MapOverlap with the Gaussian's radius as
// halo.
func GaussianLaplace(a *Array, opt kernels.GaussDerivOptions) *Array {
	return gaussDeriv(a, opt, 2, false)
}

// GaussianGradientMagnitude is kernels.GaussianGradientMagnitude on a lazy
// array (float32 output).
func GaussianGradientMagnitude(a *Array, opt kernels.GaussDerivOptions) *Array {
	s := gaussDeriv(a, opt, 1, true)
	return MapBlocks(s, func(_ context.Context, v *stack.Volume[float32]) (*stack.Volume[float32], error) {
		for i, x := range v.Data {
			v.Data[i] = float32(math.Sqrt(float64(x)))
		}
		return v, nil
	})
}
