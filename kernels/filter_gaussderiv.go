package kernels

// Gaussian derivative filters: scipy.ndimage.gaussian_laplace and
// gaussian_gradient_magnitude, built as scipy builds them from
// gaussian_filter with derivative orders, each 1-D pass a correlate1d in
// float64 (filter_linear.go) stored into the float32 output.

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/segstack/segstack/stack"
)

// GaussDerivOptions are the parameters of the Gaussian derivative
// filters, with the meanings of GaussianOptions; PerPlane (and a volume of
// one plane) filters each plane as a 2-D image, as FilterOptions does.
type GaussDerivOptions struct {
	// Sigma is the standard deviation per axis (Z, Y, X); an axis whose
	// sigma is 0 is not smoothed, as in scipy, but its derivative term
	// still counts.
	Sigma    [3]float64
	Truncate float64
	Mode     stack.Mode
	Cval     float64
	PerPlane bool
}

// GaussianKernel1D returns the weights scipy's gaussian_filter1d correlates
// with for sigma, derivative order (0, 1 or 2) and truncate (0 means
// DefaultTruncate): _gaussian_kernel1d(sigma, order, radius) reversed, of
// 2r+1 taps with r = Radius(sigma, truncate). The order-0 weights are
// Kernel1D's (equal to scipy's bit for bit); the derivatives multiply them
// by scipy's polynomials, -x/σ² and (x² - σ²)/σ⁴, in scipy's order of
// operations. It returns nil for an invalid sigma, order or truncate.
func GaussianKernel1D(sigma float64, order int, truncate float64) []float64 {
	if order < 0 || order > 2 || !(sigma > sigmaEpsilon) {
		return nil
	}
	phi := Kernel1D(sigma, truncate)
	if phi == nil {
		return nil
	}
	r := len(phi) / 2
	a := 1 / -(sigma * sigma)
	w := make([]float64, len(phi))
	for i, p := range phi {
		x := float64(i - r)
		switch order {
		case 0:
			w[i] = p
		case 1:
			// scipy's polynomial has a 0 constant term: 0 + x·a, which
			// makes the centre tap +0.
			w[i] = float64(0+float64(x*a)) * p
		case 2:
			w[i] = float64(a+float64(x*x)*float64(a*a)) * p
		}
	}
	slices.Reverse(w)
	return w
}

func checkGaussDeriv[T stack.Elem](what string, dst *stack.Volume[float32], src *stack.Volume[T], opt GaussDerivOptions) error {
	if err := checkPair(what, dst, src); err != nil {
		return err
	}
	if err := checkMode(what, opt.Mode, opt.Cval); err != nil {
		return err
	}
	tr := truncateOr(opt.Truncate)
	if !(tr > 0) || math.IsInf(tr, 0) {
		return fmt.Errorf("%w: %s: truncate %v must be positive and finite", ErrInvalid, what, opt.Truncate)
	}
	for _, a := range filterAxes(src.Shape, opt.PerPlane) {
		s := opt.Sigma[a]
		if !(s >= 0) || math.IsInf(s, 0) {
			return fmt.Errorf("%w: %s: sigma %v on axis %d must be finite and not negative", ErrInvalid, what, s, a)
		}
		if s > sigmaEpsilon && Radius(s, tr) > maxRadius {
			return fmt.Errorf("%w: %s: sigma %v with truncate %v gives a kernel wider than %d", ErrInvalid, what, s, tr, 2*maxRadius+1)
		}
	}
	return nil
}

// gaussOrders is scipy's gaussian_filter(src, sigma, order) into dst: a
// correlate1d along every filtered axis whose sigma is above 1e-15, in
// axis order, each stored into float32 before the next reads it.
func gaussOrders[T stack.Elem](ctx context.Context, dst *stack.Volume[float32], src *stack.Volume[T], order [3]int, opt GaussDerivOptions) error {
	first := true
	for _, a := range filterAxes(src.Shape, opt.PerPlane) {
		if opt.Sigma[a] <= sigmaEpsilon {
			continue
		}
		w := GaussianKernel1D(opt.Sigma[a], order[a], opt.Truncate)
		var err error
		if first {
			err = correlate1d(ctx, dst, src, w, a, 0, opt.Mode, opt.Cval)
		} else {
			err = correlate1d(ctx, dst, dst, w, a, 0, opt.Mode, opt.Cval)
		}
		if err != nil {
			return err
		}
		first = false
	}
	if first {
		copyCast(dst, src)
	}
	return nil
}

// GaussianLaplace writes scipy.ndimage.gaussian_laplace(src, sigma,
// output=np.float32, mode, cval, truncate) into dst (src's shape): for
// each filtered axis, the Gaussian filter with a second derivative along
// that axis, the first into dst and the others added to it in float32, as
// scipy's generic_laplace does. For float32 input this is scipy's default
// output. Each 1-D pass is summed in float64 in scipy's order; the weights
// of the derivative may differ from scipy's in their last bit (scipy
// evaluates the polynomial with a BLAS product), so results match scipy's
// to float32 rounding rather than bit for bit.
func GaussianLaplace[T stack.Elem](ctx context.Context, dst *stack.Volume[float32], src *stack.Volume[T], opt GaussDerivOptions) error {
	const what = "GaussianLaplace"
	if err := checkGaussDeriv(what, dst, src, opt); err != nil {
		return err
	}
	if aliases(dst, src) {
		src = src.Clone()
	}
	return sumOverAxes(ctx, dst, src.Shape, opt.PerPlane, false, func(d *stack.Volume[float32], a int) error {
		var order [3]int
		order[a] = 2
		return gaussOrders(ctx, d, src, order, opt)
	})
}

// GaussianGradientMagnitude writes
// scipy.ndimage.gaussian_gradient_magnitude(src, sigma,
// output=np.float32, mode, cval, truncate) into dst (src's shape): the
// square root of the sum over the filtered axes of the squared Gaussian
// first derivative along each, squares and sums in float32 as scipy's
// generic_gradient_magnitude computes them. Precision as GaussianLaplace.
func GaussianGradientMagnitude[T stack.Elem](ctx context.Context, dst *stack.Volume[float32], src *stack.Volume[T], opt GaussDerivOptions) error {
	const what = "GaussianGradientMagnitude"
	if err := checkGaussDeriv(what, dst, src, opt); err != nil {
		return err
	}
	if aliases(dst, src) {
		src = src.Clone()
	}
	err := sumOverAxes(ctx, dst, src.Shape, opt.PerPlane, true, func(d *stack.Volume[float32], a int) error {
		var order [3]int
		order[a] = 1
		return gaussOrders(ctx, d, src, order, opt)
	})
	if err != nil {
		return err
	}
	for i, v := range dst.Data {
		dst.Data[i] = float32(math.Sqrt(float64(v)))
	}
	return nil
}
