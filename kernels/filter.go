package kernels

// Shared machinery of the scipy.ndimage filters (filter_linear.go,
// filter_rank.go, filter_gaussderiv.go): options and their checks, the
// axes a filter runs over, the boundary tables, the line engine that runs
// a 1-D filter over every line of an axis in float64 as scipy's
// NI_*Filter1D functions do, and the C casts scipy stores results with.

import (
	"context"
	"fmt"
	"math"

	"github.com/segstack/segstack/stack"
)

// maxFilterSize bounds a window's extent on one axis; larger windows are
// refused rather than allocated.
const maxFilterSize = 1 << 12

// FilterOptions are the window, boundary and placement of the
// scipy.ndimage filters. Axes are (Z, Y, X).
//
// A volume with one plane (Z == 1), or any volume when PerPlane is set, is
// filtered as scipy filters each 2-D plane on its own: the Z entries of
// Size and Origin are ignored and nothing mixes planes. Otherwise the
// volume is filtered as one 3-D array.
type FilterOptions struct {
	// Size is the window extent on each axis, scipy's size; 0 and 1 both
	// leave an axis unfiltered. Used by the uniform, minimum, maximum and
	// median filters when Footprint is nil.
	Size [3]int
	// Footprint, when not nil, is the neighbourhood of the minimum,
	// maximum and median filters, scipy's footprint; it replaces Size.
	Footprint *Footprint
	// Mode is how values beyond the edges are made up; Cval is the value
	// outside for stack.Constant.
	Mode stack.Mode
	Cval float64
	// Origin shifts the window on each axis as scipy's origin does:
	// output i reads the window centred on i - Origin (0 centres it).
	// For a window of extent n, -(n/2) <= Origin <= (n-1)/2.
	Origin [3]int
	// PerPlane filters each plane on its own as a 2-D image.
	PerPlane bool
}

// Footprint is a neighbourhood: the offsets where Mask is true, in a box
// of Shape (Z, Y, X) whose centre is at Shape/2 on each axis. For 2-D
// filtering (see FilterOptions) Shape.Z must be 1.
type Footprint struct {
	Shape stack.Shape
	Mask  []bool
}

// Box returns the footprint of a full box of the given extents.
func Box(z, y, x int) *Footprint {
	s := stack.Shape{Z: z, Y: y, X: x}
	m := make([]bool, max(0, z*y*x))
	for i := range m {
		m[i] = true
	}
	return &Footprint{Shape: s, Mask: m}
}

// Weights is an N-D correlation kernel: W holds Shape.Len() weights in
// row-major (Z, Y, X) order. For 2-D filtering Shape.Z must be 1.
type Weights struct {
	Shape stack.Shape
	W     []float64
}

// filterAxes returns the axes a filter of opt runs over for a volume of
// shape s: (Y, X) for planes, (Z, Y, X) otherwise.
func filterAxes(s stack.Shape, perPlane bool) []int {
	if perPlane || s.Z == 1 {
		return []int{1, 2}
	}
	return []int{0, 1, 2}
}

// checkPair validates a filter's volumes: both present, of one shape,
// with data of that length.
func checkPair[T, U stack.Elem](what string, dst *stack.Volume[U], src *stack.Volume[T]) error {
	if dst == nil || src == nil {
		return fmt.Errorf("%w: %s: nil volume", ErrInvalid, what)
	}
	if err := src.Shape.Validate(); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrInvalid, what, err)
	}
	if dst.Shape != src.Shape || len(dst.Data) != src.Shape.Len() || len(src.Data) != src.Shape.Len() {
		return fmt.Errorf("%w: %s of %v into %v", ErrInvalid, what, src.Shape, dst.Shape)
	}
	return nil
}

// checkMode validates a boundary mode and cval.
func checkMode(what string, m stack.Mode, cval float64) error {
	if m < stack.Reflect || m > stack.Wrap {
		return fmt.Errorf("%w: %s: unknown boundary mode %v", ErrInvalid, what, m)
	}
	if m == stack.Constant && math.IsNaN(cval) {
		return fmt.Errorf("%w: %s: cval is NaN", ErrInvalid, what)
	}
	return nil
}

// checkOrigin validates scipy's bound on the origin of a window of extent
// n: -(n/2) <= origin <= (n-1)/2.
func checkOrigin(what string, axis, n, origin int) error {
	if origin < -(n/2) || origin > (n-1)/2 {
		return fmt.Errorf("%w: %s: origin %d on axis %d is outside [%d, %d] for a window of %d", ErrInvalid, what, origin, axis, -(n / 2), (n-1)/2, n)
	}
	return nil
}

// extTable maps the positions [-before, n+after) of an axis of length n to
// source indices under mode m; -1 stands for cval.
func extTable(n, before, after int, m stack.Mode) []int {
	t := make([]int, before+n+after)
	for i := range t {
		j, ok := m.MapIndex(i-before, n)
		if !ok {
			j = -1
		}
		t[i] = j
	}
	return t
}

// castKind says how a float64 result is stored into an element type, as
// scipy's C cast (type)value stores it on x86-64: floats round, 8-, 16-
// and signed 32-bit integers truncate through a 32-bit conversion
// (cvttsd2si, 0x80000000 when out of range) and keep the low bits, uint32
// through a 64-bit one.
type castKind uint8

const (
	castFloat castKind = iota
	castInt32
	castInt64
)

func castKindOf[U stack.Elem]() castKind {
	switch stack.DTypeOf[U]() {
	case stack.Float32:
		return castFloat
	case stack.Uint32:
		return castInt64
	}
	return castInt32
}

// castC converts x to U as scipy's C cast does (see castKind).
func castC[U stack.Elem](x float64, k castKind) U {
	switch k {
	case castFloat:
		return U(x)
	case castInt64:
		v := int64(math.MinInt64)
		if x > -9223372036854775809 && x < 9223372036854775808 {
			v = int64(x)
		}
		return U(v)
	}
	v := int32(math.MinInt32)
	if x > -2147483649 && x < 2147483648 {
		v = int32(x)
	}
	return U(v)
}

// lineGeom is where the lines of one axis lie in a volume's data: line l
// starts at base(l) and steps by stride, n samples long.
type lineGeom struct {
	n, stride, lines int
	s                stack.Shape
	axis             int
}

func geomOf(s stack.Shape, axis int) lineGeom {
	g := lineGeom{s: s, axis: axis}
	switch axis {
	case 0:
		g.n, g.stride, g.lines = s.Z, s.Y*s.X, s.Y*s.X
	case 1:
		g.n, g.stride, g.lines = s.Y, s.X, s.Z*s.X
	default:
		g.n, g.stride, g.lines = s.X, 1, s.Z*s.Y
	}
	return g
}

func (g lineGeom) base(l int) int {
	switch g.axis {
	case 0:
		return l
	case 1:
		return (l/g.s.X)*g.s.Y*g.s.X + l%g.s.X
	}
	return l * g.s.X
}

// lineFn filters one extended line in (before+n+after samples, the line
// at in[before:before+n]) into out (n samples); scratch holds 2*len(in)
// samples the function may use.
type lineFn func(out, in, scratch []float64)

// lineBatch is how many lines a worker gathers at once: along Z and Y the
// lines of a batch lie side by side in memory, so each position of the
// batch is one contiguous run of the volume.
const lineBatch = 16

// applyLines runs fn over every line of axis, reading src extended by
// before and after samples per mode and cval, and stores the results into
// dst with scipy's cast. dst may be src: each batch of lines is read whole
// before it is written.
func applyLines[T, U stack.Elem](ctx context.Context, dst *stack.Volume[U], src *stack.Volume[T], axis, before, after int, mode stack.Mode, cval float64, fn lineFn) error {
	g := geomOf(src.Shape, axis)
	tab := extTable(g.n, before, after, mode)
	kind := castKindOf[U]()
	// run is how many lines sit side by side (the batch may not cross it).
	run := 1
	switch axis {
	case 0:
		run = g.lines
	case 1:
		run = src.Shape.X
	}
	perRun := (run + lineBatch - 1) / lineBatch
	if axis == 2 {
		perRun = 1
	}
	runs := g.lines / run
	items := runs * perRun
	if axis == 2 {
		items = (g.lines + lineBatch - 1) / lineBatch
	}
	workers := workersFor(src.Shape.Len(), items)
	type buf struct {
		in, out [lineBatch][]float64
		scratch []float64
	}
	bufs := make([]buf, workers)
	for i := range bufs {
		for b := range lineBatch {
			bufs[i].in[b] = make([]float64, len(tab))
			bufs[i].out[b] = make([]float64, g.n)
		}
		bufs[i].scratch = make([]float64, 2*len(tab))
	}
	return forEachItem(ctx, workers, items, func(w, item int) error {
		b := &bufs[w]
		if axis == 2 {
			for l := item * lineBatch; l < min(g.lines, (item+1)*lineBatch); l++ {
				o := l * g.n
				in, out := b.in[0], b.out[0]
				row := src.Data[o : o+g.n]
				for i, j := range tab {
					if j < 0 {
						in[i] = cval
					} else {
						in[i] = float64(row[j])
					}
				}
				fn(out, in, b.scratch)
				storeLine(dst.Data[o:o+g.n], out, kind)
			}
			return nil
		}
		r, k := item/perRun, item%perRun
		l0 := r*run + k*lineBatch
		nb := min(lineBatch, run-k*lineBatch)
		o := g.base(l0)
		for i, j := range tab {
			if j < 0 {
				for q := range nb {
					b.in[q][i] = cval
				}
				continue
			}
			row := src.Data[o+j*g.stride : o+j*g.stride+nb]
			for q, v := range row {
				b.in[q][i] = float64(v)
			}
		}
		for q := range nb {
			fn(b.out[q], b.in[q], b.scratch)
		}
		for i := range g.n {
			row := dst.Data[o+i*g.stride : o+i*g.stride+nb]
			for q := range row {
				row[q] = castC[U](b.out[q][i], kind)
			}
		}
		return nil
	})
}

// storeLine stores out into dst with scipy's cast.
func storeLine[U stack.Elem](dst []U, out []float64, kind castKind) {
	dst = dst[:len(out)]
	if kind == castFloat {
		for i, v := range out {
			dst[i] = U(v)
		}
		return
	}
	for i, v := range out {
		dst[i] = castC[U](v, kind)
	}
}

// copyCast stores src into dst with scipy's cast (an unfiltered pass).
func copyCast[T, U stack.Elem](dst *stack.Volume[U], src *stack.Volume[T]) {
	kind := castKindOf[U]()
	for i, v := range src.Data {
		dst.Data[i] = castC[U](float64(v), kind)
	}
}
