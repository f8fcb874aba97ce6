package kernels

// The Gaussian's kernel maths and plans: scipy's radius and weights
// (Kernel1D), the per-axis plans with their boundary mapping, and the
// whole filter's plan that the 2-D band path (gaussian2d.go) and the 3-D
// group path (gaussian3d.go) run.

import (
	"fmt"
	"math"

	"github.com/segstack/segstack/stack"
)

// maxRadius bounds a kernel's half-width; wider kernels are refused rather
// than allocated.
const maxRadius = 1 << 16

// sigmaEpsilon is the sigma at or below which an axis is skipped, as
// scipy.ndimage.gaussian_filter skips it.
const sigmaEpsilon = 1e-15

// DefaultTruncate is scipy.ndimage.gaussian_filter's default kernel
// half-width in sigmas, used wherever a truncate of 0 is given.
const DefaultTruncate = 4.0

// truncateOr returns truncate, or DefaultTruncate for 0.
func truncateOr(truncate float64) float64 {
	if truncate == 0 {
		return DefaultTruncate
	}
	return truncate
}

// Radius is scipy's Gaussian kernel half-width, int(truncate*sigma + 0.5).
func Radius(sigma, truncate float64) int {
	return int(truncate*sigma + 0.5)
}

// Kernel1D returns scipy.ndimage's normalised Gaussian kernel for sigma and
// truncate (0 means DefaultTruncate): 2r+1 weights for offsets -r..r with
// r = Radius(sigma, truncate), computed in float64 as
// exp(-0.5/sigma² · x²) divided by its sum. It returns nil for an invalid
// sigma (negative, NaN or too wide) and [1] for sigma ≈ 0.
func Kernel1D(sigma, truncate float64) []float64 {
	truncate = truncateOr(truncate)
	if !(sigma >= 0) || math.IsInf(sigma, 0) || !(truncate >= 0) || math.IsInf(truncate, 0) {
		return nil
	}
	if sigma <= sigmaEpsilon {
		return []float64{1}
	}
	r := Radius(sigma, truncate)
	if r > maxRadius {
		return nil
	}
	s2 := sigma * sigma
	phi := make([]float64, 2*r+1)
	for i := range phi {
		x := float64(i - r)
		phi[i] = math.Exp(-0.5 / s2 * (x * x))
	}
	total := pairwiseSum(phi)
	for i := range phi {
		phi[i] /= total
	}
	return phi
}

// pairwiseSum adds x in numpy's order (8 interleaved partial sums in blocks
// of up to 128, halves above that), so weights match scipy's to the bit.
func pairwiseSum(x []float64) float64 {
	n := len(x)
	switch {
	case n < 8:
		s := 0.0
		for _, v := range x {
			s += v
		}
		return s
	case n <= 128:
		var r [8]float64
		copy(r[:], x[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			for j := range 8 {
				r[j] += x[i+j]
			}
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += x[i]
		}
		return s
	default:
		n2 := n / 2
		n2 -= n2 % 8
		return pairwiseSum(x[:n2]) + pairwiseSum(x[n2:])
	}
}

// axisPlan is one axis of a separable filter.
type axisPlan struct {
	n   int
	r   int
	w   []float32 // taps for offsets 0..r; nil when the axis is skipped
	idx []int     // idx[i+r]: source index of position i in [-r, n+r); -1 means cval
}

func (a *axisPlan) active() bool { return a.w != nil }

// at maps position i in [-r, n+r) to a source index or -1.
func (a *axisPlan) at(i int) int { return a.idx[i+a.r] }

func newAxisPlan(n int, sigma, truncate float64, mode stack.Mode) (axisPlan, error) {
	a := axisPlan{n: n}
	if !(sigma >= 0) || math.IsInf(sigma, 0) {
		return a, fmt.Errorf("%w: sigma %v must be finite and not negative", ErrInvalid, sigma)
	}
	if sigma <= sigmaEpsilon {
		return a, nil
	}
	k := Kernel1D(sigma, truncate)
	if k == nil {
		return a, fmt.Errorf("%w: sigma %v with truncate %v gives a kernel wider than %d", ErrInvalid, sigma, truncate, 2*maxRadius+1)
	}
	a.r = len(k) / 2
	a.w = make([]float32, a.r+1)
	for i := range a.w {
		a.w[i] = float32(k[a.r+i])
	}
	a.idx = make([]int, n+2*a.r)
	for i := range a.idx {
		j, ok := mode.MapIndex(i-a.r, n)
		if !ok {
			j = -1
		}
		a.idx[i] = j
	}
	return a, nil
}

// gaussPlan is a whole filter: axes Z, Y, X in scipy's order.
type gaussPlan struct {
	shape stack.Shape
	ax    [3]axisPlan
	cval  float32
	// stream: the output is too large to stay in cache, so the X pass
	// writes it with non-temporal stores, fenced once per work item
	// rather than once per row.
	stream bool
	// haloIn: every X-halo sample maps to a sample of the row (no cval).
	haloIn bool
}

// streamBytes is the output size from which the X pass streams its stores
// past the caches (twice the L2 of the two cores this was tuned on).
const streamBytes = 8 << 20

// checkGaussian validates a filter of opt over a volume of shape s and
// returns its truncate (DefaultTruncate for 0).
func checkGaussian(s stack.Shape, opt GaussianOptions) (float64, error) {
	if err := s.Validate(); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if opt.Mode < stack.Reflect || opt.Mode > stack.Wrap {
		return 0, fmt.Errorf("%w: unknown boundary mode %v", ErrInvalid, opt.Mode)
	}
	tr := truncateOr(opt.Truncate)
	if !(tr > 0) || math.IsInf(tr, 0) {
		return 0, fmt.Errorf("%w: truncate %v must be positive and finite", ErrInvalid, opt.Truncate)
	}
	return tr, nil
}

func newGaussPlan(s stack.Shape, opt GaussianOptions) (*gaussPlan, error) {
	tr, err := checkGaussian(s, opt)
	if err != nil {
		return nil, err
	}
	p := &gaussPlan{shape: s, cval: float32(opt.Cval), stream: 4*s.Len() >= streamBytes}
	dims := s.Dims()
	for a := range 3 {
		var err error
		if p.ax[a], err = newAxisPlan(dims[a], opt.Sigma[a], tr, opt.Mode); err != nil {
			return nil, err
		}
	}
	ax := &p.ax[2]
	p.haloIn = true
	for i := 0; i < ax.r; i++ {
		if ax.idx[i] < 0 || ax.idx[ax.r+ax.n+i] < 0 {
			p.haloIn = false
		}
	}
	return p, nil
}

// Depth is the halo a tile needs on each axis for the filter opt: the
// kernel radius of each active axis. Use it with stack.ExtractTile.
func Depth(opt GaussianOptions) [3]int {
	tr := truncateOr(opt.Truncate)
	var d [3]int
	for a, s := range opt.Sigma {
		if s > sigmaEpsilon {
			d[a] = Radius(s, tr)
		}
	}
	return d
}
