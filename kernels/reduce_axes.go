package kernels

import (
	"fmt"
	"math"

	"github.com/segstack/segstack/stack"
)

// Reductions of one row-major block (Z, Y, X) over any subset of its axes,
// the per-chunk summaries and combine steps of a lazy array's Sum, Mean,
// Std, Min and Max (numpy's keepdims=True layout: dst holds the block with
// the reduced axes collapsed to extent 1). Unlike MaxAxis and friends they
// keep the input's element type and numpy's accumulator types, and they fix
// the order in which elements are added, so that a float sum is the same
// number on every CPU: rows are visited in raster order, and where X is
// kept, row element k folds into output k of its row.

// Accumulator is the set of types SumAxes adds in: numpy sums a signed
// integer array in int64, an unsigned one in uint64 and a float one (and
// takes any mean) in float64.
type Accumulator interface {
	~int64 | ~uint64 | ~float64
}

// axesLayout checks a block of shape holding nsrc elements, reduced over
// axes into ndst outputs, and returns the output strides, 0 along a reduced
// axis, and the number of elements folded into each output.
func axesLayout(shape [3]int, axes [3]bool, nsrc, ndst int) (ostr [3]int, count float64, err error) {
	if shape[0] < 0 || shape[1] < 0 || shape[2] < 0 {
		return ostr, 0, fmt.Errorf("%w: block shape %v", ErrInvalid, shape)
	}
	var out [3]int
	count = 1
	for a := range 3 {
		out[a] = shape[a]
		if axes[a] {
			out[a] = 1
			count *= float64(shape[a])
		}
	}
	if n := shape[0] * shape[1] * shape[2]; nsrc != n {
		return ostr, 0, fmt.Errorf("%w: %d elements for a block of shape %v", ErrInvalid, nsrc, shape)
	}
	if m := out[0] * out[1] * out[2]; ndst != m {
		return ostr, 0, fmt.Errorf("%w: %d outputs for a block of shape %v reduced to %v", ErrInvalid, ndst, shape, out)
	}
	ostr = [3]int{out[1] * out[2], out[2], 1}
	for a := range 3 {
		if axes[a] {
			ostr[a] = 0
		}
	}
	return ostr, count, nil
}

// forRows calls f once per row of a block of shape, in raster order, with
// the row's first element in the block (i), the output of that element (o)
// and whether the row is the first to fold into its outputs (its reduced
// coordinates are all 0). Where X is kept, element k of the row goes to
// output o+k; where it is reduced, the whole row goes to output o.
func forRows(shape [3]int, axes [3]bool, ostr [3]int, f func(o, i int, first bool)) {
	i := 0
	for z := range shape[0] {
		fz := !axes[0] || z == 0
		for y := range shape[1] {
			f(z*ostr[0]+y*ostr[1], i, fz && (!axes[1] || y == 0))
			i += shape[2]
		}
	}
}

// SumAxes adds the sums of src, a block of shape, over the axes marked in
// axes into dst, each element converted to A first. Where X is kept each
// element is added to its output in turn; where X is reduced each row is
// summed from zero and its sum added to the output. It returns an error
// wrapping ErrInvalid when len(src) is not shape's product or len(dst) not
// that of the reduced shape.
func SumAxes[A Accumulator, T stack.Number](dst []A, src []T, shape [3]int, axes [3]bool) error {
	ostr, _, err := axesLayout(shape, axes, len(src), len(dst))
	if err != nil {
		return err
	}
	X := shape[2]
	if !axes[2] {
		forRows(shape, axes, ostr, func(o, i int, _ bool) {
			out, row := dst[o:o+X], src[i:i+X]
			for k, x := range row {
				out[k] += A(x)
			}
		})
		return nil
	}
	forRows(shape, axes, ostr, func(o, i int, _ bool) {
		var s A
		for _, x := range src[i : i+X] {
			s += A(x)
		}
		dst[o] += s
	})
	return nil
}

// MomentsAxes sets mean and m2 to the mean of src, a block of shape, over
// the axes marked in axes and the sum of squared deviations from it (M2),
// in float64 and in two passes: each output's elements are added one by
// one in raster order and the sum divided by their count, then their
// squared deviations are added in the same order. The standard deviation
// is StdFromM2 of m2; MergeMoments combines the moments of two blocks. The
// errors are SumAxes's.
func MomentsAxes[T stack.Number](mean, m2 []float64, src []T, shape [3]int, axes [3]bool) error {
	ostr, count, err := axesLayout(shape, axes, len(src), len(mean))
	if err != nil {
		return err
	}
	if len(m2) != len(mean) {
		return fmt.Errorf("%w: %d sums of squares for %d means", ErrInvalid, len(m2), len(mean))
	}
	clear(mean)
	clear(m2)
	X := shape[2]
	keepX := !axes[2]
	forRows(shape, axes, ostr, func(o, i int, _ bool) {
		row := src[i : i+X]
		if keepX {
			out := mean[o : o+X]
			for k, x := range row {
				out[k] += float64(x)
			}
			return
		}
		for _, x := range row {
			mean[o] += float64(x)
		}
	})
	for o := range mean {
		mean[o] /= count
	}
	forRows(shape, axes, ostr, func(o, i int, _ bool) {
		row := src[i : i+X]
		if keepX {
			mu, out := mean[o:o+X], m2[o:o+X]
			for k, x := range row {
				d := float64(x) - mu[k]
				out[k] += d * d
			}
			return
		}
		for _, x := range row {
			d := float64(x) - mean[o]
			m2[o] += d * d
		}
	})
	return nil
}

// MergeMoments folds the moments of a second group of nb elements per
// output (meanB, m2B) into those of a first group of na (mean, m2), with
// Chan, Golub and LeVeque's pairwise update, so that mean and m2 become
// the moments of all na+nb elements. It works on the first n outputs, n
// the shortest of the four slices.
func MergeMoments(mean, m2 []float64, na float64, meanB, m2B []float64, nb float64) {
	k := min(len(mean), len(m2), len(meanB), len(m2B))
	mean, m2, meanB, m2B = mean[:k], m2[:k], meanB[:k], m2B[:k]
	n := na + nb
	for i := range mean {
		d := meanB[i] - mean[i]
		mean[i] += d * nb / n
		m2[i] += m2B[i] + d*d*na*nb/n
	}
}

// StdFromM2 sets dst[i] to the standard deviation √(m2[i] / (n − ddof)) of
// n elements whose sum of squared deviations is m2[i]: ddof 0 gives the
// population's (numpy's default), 1 the sample's. It works on the first
// min(len(dst), len(m2)) elements.
func StdFromM2(dst, m2 []float64, n, ddof float64) {
	k := min(len(dst), len(m2))
	dst, m2 = dst[:k], m2[:k]
	div := n - ddof
	for i, s := range m2 {
		dst[i] = math.Sqrt(s / div)
	}
}

// MaxAxes sets dst to the maxima of src, a block of shape, over the axes
// marked in axes; a NaN among an output's elements makes it NaN, as with
// numpy's max. dst's previous contents are not read. It returns an error
// wrapping ErrInvalid for the length mismatches SumAxes refuses and for a
// reduced axis of extent 0, which leaves outputs with no elements.
func MaxAxes[T stack.Number](dst, src []T, shape [3]int, axes [3]bool) error {
	return extremaAxes(dst, src, shape, axes, true)
}

// MinAxes sets dst to the minima of src over axes, as MaxAxes does the
// maxima.
func MinAxes[T stack.Number](dst, src []T, shape [3]int, axes [3]bool) error {
	return extremaAxes(dst, src, shape, axes, false)
}

func extremaAxes[T stack.Number](dst, src []T, shape [3]int, axes [3]bool, isMax bool) error {
	ostr, count, err := axesLayout(shape, axes, len(src), len(dst))
	if err != nil {
		return err
	}
	if count == 0 && len(dst) > 0 {
		return fmt.Errorf("%w: extreme of no elements (block shape %v)", ErrInvalid, shape)
	}
	X := shape[2]
	if !axes[2] {
		// Each output is written by its first row before any other
		// folds into it.
		forRows(shape, axes, ostr, func(o, i int, first bool) {
			out, row := dst[o:o+X], src[i:i+X]
			switch {
			case first:
				copy(out, row)
			case isMax:
				MaxInto(out, row)
			default:
				MinInto(out, row)
			}
		})
		return nil
	}
	forRows(shape, axes, ostr, func(o, i int, first bool) {
		row := src[i : i+X]
		acc := row[0]
		if !first {
			acc = dst[o]
		}
		if isMax {
			for _, x := range row {
				acc = max(acc, x)
			}
		} else {
			for _, x := range row {
				acc = min(acc, x)
			}
		}
		dst[o] = acc
	})
	return nil
}
