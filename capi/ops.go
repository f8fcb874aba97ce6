//go:build cgo

package main

/*
#include <stddef.h>
#include <stdint.h>
*/
import "C"

import (
	"context"
	"fmt"
	"math"
	"unsafe"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// segstack_gaussian writes scipy.ndimage.gaussian_filter(src, sigma,
// mode=mode, cval=cval, truncate=truncate) as float32 into dst (src's
// shape). sigma holds one value per axis (ndim of them); truncate 0 means 4.
//
//export segstack_gaussian
func segstack_gaussian(tok C.int64_t, src unsafe.Pointer, dtype *C.char, ndim C.int, shape *C.int64_t,
	sigma *C.double, truncate C.double, mode *C.char, cval C.double, dst *C.float, errbuf *C.char, errlen C.size_t) (rc C.int) {
	defer guard(&rc, errbuf, errlen)
	return fail(gaussian(tok, src, dtype, ndim, shape, sigma, truncate, mode, cval, dst), errbuf, errlen)
}

func gaussian(tok C.int64_t, src unsafe.Pointer, dtype *C.char, ndim C.int, shape *C.int64_t,
	sigma *C.double, truncate C.double, mode *C.char, cval C.double, dst *C.float) error {
	ctx, err := contextOf(tok)
	if err != nil {
		return err
	}
	a, err := parseArray("gaussian_filter", src, dtype, ndim, shape)
	if err != nil {
		return err
	}
	if dst == nil || sigma == nil || mode == nil {
		return fmt.Errorf("%w: gaussian_filter: NULL output, sigma or mode", errInvalid)
	}
	opt := kernels.GaussianOptions{Truncate: float64(truncate), Cval: float64(cval)}
	if !finite(opt.Truncate) || opt.Truncate < 0 {
		return fmt.Errorf("%w: gaussian_filter: truncate %v must be a finite number >= 0", errInvalid, opt.Truncate)
	}
	if !finite(opt.Cval) {
		return fmt.Errorf("%w: gaussian_filter: cval %v must be finite", errInvalid, opt.Cval)
	}
	sig := unsafe.Slice((*float64)(unsafe.Pointer(sigma)), a.ndim)
	for i, s := range sig {
		if !finite(s) || s < 0 {
			return fmt.Errorf("%w: gaussian_filter: sigma %v on axis %d must be a finite number >= 0", errInvalid, s, i)
		}
		opt.Sigma[3-a.ndim+i] = s
	}
	if opt.Mode, err = stack.ParseMode(C.GoString(mode)); err != nil {
		return fmt.Errorf("%w: gaussian_filter: %w", errInvalid, err)
	}
	out := &stack.Volume[float32]{Shape: a.shape, Data: unsafe.Slice((*float32)(unsafe.Pointer(dst)), a.shape.Len())}
	switch a.dtype {
	case stack.Uint8:
		_, err = kernels.GaussianOf(ctx, out, volumeOf[uint8](a), opt)
	case stack.Uint16:
		_, err = kernels.GaussianOf(ctx, out, volumeOf[uint16](a), opt)
	case stack.Float32:
		_, err = kernels.Gaussian(ctx, out, volumeOf[float32](a), opt)
	default:
		// The rest are converted into the output, then filtered in place.
		if err = toFloat32(out.Data, a); err == nil {
			_, err = kernels.Gaussian(ctx, out, out, opt)
		}
	}
	return err
}

// segstack_label labels the non-zero elements of src (any dtype) into dst
// (src's shape, uint32; an int32 buffer holds the same values) as
// scipy.ndimage.label does, and stores the number of objects in *n.
// conn is 0 (the rank's default), 4 or 8 in 2-D, 6, 18 or 26 in 3-D.
//
//export segstack_label
func segstack_label(tok C.int64_t, src unsafe.Pointer, dtype *C.char, ndim C.int, shape *C.int64_t,
	conn C.int, dst *C.uint32_t, n *C.int64_t, errbuf *C.char, errlen C.size_t) (rc C.int) {
	defer guard(&rc, errbuf, errlen)
	return fail(label(tok, src, dtype, ndim, shape, conn, dst, n), errbuf, errlen)
}

func label(tok C.int64_t, src unsafe.Pointer, dtype *C.char, ndim C.int, shape *C.int64_t,
	conn C.int, dst *C.uint32_t, n *C.int64_t) error {
	ctx, err := contextOf(tok)
	if err != nil {
		return err
	}
	a, err := parseArray("label", src, dtype, ndim, shape)
	if err != nil {
		return err
	}
	if dst == nil || n == nil {
		return fmt.Errorf("%w: label: NULL output", errInvalid)
	}
	c := kernels.Connectivity(conn)
	if a.ndim == 3 && a.shape.Z == 1 && (c == kernels.Conn4 || c == kernels.Conn8) {
		return fmt.Errorf("%w: label: %d is a 2-D connectivity; a 3-D array takes 6, 18 or 26", errInvalid, c)
	}
	if a.ndim < 3 && (c == kernels.Conn6 || c == kernels.Conn18 || c == kernels.Conn26) {
		return fmt.Errorf("%w: label: %d is a 3-D connectivity; a %d-D array takes 4 or 8", errInvalid, c, a.ndim)
	}
	// A uint8 array is its own mask (non-zero is foreground): no copy.
	mask := sliceOf[uint8](a)
	if a.dtype != stack.Uint8 {
		if mask, err = maskOf(a); err != nil {
			return fmt.Errorf("label: %w", err)
		}
	}
	out := &stack.Volume[uint32]{Shape: a.shape, Data: unsafe.Slice((*uint32)(unsafe.Pointer(dst)), a.shape.Len())}
	got, err := kernels.Label(ctx, out, &stack.Volume[uint8]{Shape: a.shape, Data: mask}, c)
	if err != nil {
		return fmt.Errorf("label: %w", err)
	}
	*n = C.int64_t(got)
	return nil
}

// Reductions of segstack_reduce.
const (
	reduceMax = iota
	reduceMin
	reduceSum
	reduceMean
)

// segstack_reduce stores the maximum (op 0), minimum (1), sum (2) or mean
// (3) of src's elements in *out; sums are accumulated in float64.
//
//export segstack_reduce
func segstack_reduce(tok C.int64_t, src unsafe.Pointer, dtype *C.char, ndim C.int, shape *C.int64_t,
	op C.int, out *C.double, errbuf *C.char, errlen C.size_t) (rc C.int) {
	defer guard(&rc, errbuf, errlen)
	return fail(reduce(tok, src, dtype, ndim, shape, int(op), out), errbuf, errlen)
}

func reduce(tok C.int64_t, src unsafe.Pointer, dtype *C.char, ndim C.int, shape *C.int64_t, op int, out *C.double) error {
	ctx, err := contextOf(tok)
	if err != nil {
		return err
	}
	a, err := parseArray("reduce", src, dtype, ndim, shape)
	if err != nil {
		return err
	}
	if out == nil || op < reduceMax || op > reduceMean {
		return fmt.Errorf("%w: reduce: NULL output or unknown operation %d", errInvalid, op)
	}
	var v float64
	switch a.dtype {
	case stack.Uint8:
		v, err = reduceElem(ctx, volumeOf[uint8](a), op)
	case stack.Uint16:
		v, err = reduceElem(ctx, volumeOf[uint16](a), op)
	case stack.Uint32:
		v, err = reduceElem(ctx, volumeOf[uint32](a), op)
	case stack.Int16:
		v, err = reduceElem(ctx, volumeOf[int16](a), op)
	case stack.Int32:
		v, err = reduceElem(ctx, volumeOf[int32](a), op)
	case stack.Float32:
		v, err = reduceElem(ctx, volumeOf[float32](a), op)
	case stack.Uint64:
		v, err = reduceWide(sliceOf[uint64](a), a.shape, op)
	case stack.Int64:
		v, err = reduceWide(sliceOf[int64](a), a.shape, op)
	case stack.Float64:
		v, err = reduceWide(sliceOf[float64](a), a.shape, op)
	default:
		err = fmt.Errorf("%w: reduce: %v", errDType, a.dtype)
	}
	if err != nil {
		return err
	}
	*out = C.double(v)
	return nil
}

func reduceElem[T stack.Elem](ctx context.Context, v *stack.Volume[T], op int) (float64, error) {
	switch op {
	case reduceMax:
		m, err := kernels.Max(ctx, v)
		return float64(m), err
	case reduceMin:
		m, err := kernels.Min(ctx, v)
		return float64(m), err
	case reduceSum:
		return kernels.Sum(ctx, v)
	}
	return kernels.Mean(ctx, v)
}

// reduceWide reduces the 64-bit types, which volumes do not hold.
func reduceWide[T uint64 | int64 | float64](data []T, s stack.Shape, op int) (float64, error) {
	dims, all := s.Dims(), [3]bool{true, true, true}
	switch op {
	case reduceMax, reduceMin:
		m := make([]T, 1)
		f := kernels.MaxAxes[T]
		if op == reduceMin {
			f = kernels.MinAxes[T]
		}
		err := f(m, data, dims, all)
		return float64(m[0]), err
	}
	sum := make([]float64, 1)
	if err := kernels.SumAxes(sum, data, dims, all); err != nil {
		return 0, err
	}
	if op == reduceMean {
		return sum[0] / float64(len(data)), nil
	}
	return sum[0], nil
}

// segstack_threshold_otsu stores skimage.filters.threshold_otsu(src) in
// *out: for floating-point data with 256 bins (float64 data is rounded to
// float32 first), for integer data with one bin per value from the
// image's minimum to its maximum, as scikit-image bins integer images.
//
//export segstack_threshold_otsu
func segstack_threshold_otsu(tok C.int64_t, src unsafe.Pointer, dtype *C.char, ndim C.int, shape *C.int64_t,
	out *C.double, errbuf *C.char, errlen C.size_t) (rc C.int) {
	defer guard(&rc, errbuf, errlen)
	return fail(otsu(tok, src, dtype, ndim, shape, out), errbuf, errlen)
}

func otsu(tok C.int64_t, src unsafe.Pointer, dtype *C.char, ndim C.int, shape *C.int64_t, out *C.double) error {
	if _, err := contextOf(tok); err != nil {
		return err
	}
	a, err := parseArray("threshold_otsu", src, dtype, ndim, shape)
	if err != nil {
		return err
	}
	if out == nil {
		return fmt.Errorf("%w: threshold_otsu: NULL output", errInvalid)
	}
	if !a.dtype.IsFloat() {
		t, err := otsuInt(a)
		if err != nil {
			return err
		}
		*out = C.double(t)
		return nil
	}
	f, err := float32Of(a)
	if err != nil {
		return err
	}
	t := kernels.Otsu(f)
	if math.IsNaN(float64(t)) {
		return fmt.Errorf("%w: threshold_otsu: the image holds NaN or infinite values", errInvalid)
	}
	*out = C.double(t)
	return nil
}

// labelsOf returns a label array as uint32: its own buffer for uint32 and
// int32 (negative labels refused), a converted copy for other integers.
func labelsOf(a array) ([]uint32, error) {
	check := func(neg bool) error {
		if neg {
			return fmt.Errorf("%w: regionprops: negative labels", errInvalid)
		}
		return nil
	}
	switch a.dtype {
	case stack.Uint32:
		return sliceOf[uint32](a), nil
	case stack.Int32:
		s := sliceOf[int32](a)
		for _, v := range s {
			if v < 0 {
				return nil, check(true)
			}
		}
		return unsafe.Slice((*uint32)(a.ptr), len(s)), nil
	}
	out := make([]uint32, a.shape.Len())
	conv := func(i int, v int64) error {
		if v < 0 || v > math.MaxUint32 {
			return fmt.Errorf("%w: regionprops: label %d out of range [0, %d]", errInvalid, v, uint32(math.MaxUint32))
		}
		out[i] = uint32(v)
		return nil
	}
	var err error
	switch a.dtype {
	case stack.Uint8:
		for i, v := range sliceOf[uint8](a) {
			out[i] = uint32(v)
		}
	case stack.Uint16:
		for i, v := range sliceOf[uint16](a) {
			out[i] = uint32(v)
		}
	case stack.Int16:
		for i, v := range sliceOf[int16](a) {
			if err = conv(i, int64(v)); err != nil {
				return nil, err
			}
		}
	case stack.Int64:
		for i, v := range sliceOf[int64](a) {
			if err = conv(i, v); err != nil {
				return nil, err
			}
		}
	case stack.Uint64:
		for i, v := range sliceOf[uint64](a) {
			if v > math.MaxUint32 {
				return nil, conv(i, -1)
			}
			out[i] = uint32(v)
		}
	default:
		return nil, fmt.Errorf("%w: regionprops: labels of %v (want an integer type)", errDType, a.dtype)
	}
	return out, nil
}

// regionColumns are the columns of a regionprops result, ordered Z, Y, X
// where an axis is involved.
var regionColumns = []string{"label", "area", "bbox-0", "bbox-1", "bbox-2", "bbox-3", "bbox-4", "bbox-5",
	"centroid-0", "centroid-1", "centroid-2", "intensity_mean", "intensity_max", "intensity_min"}

// segstack_regionprops measures the objects of the label image labels
// (any integer dtype) with the intensity image (NULL for none; its shape
// is labels' shape) as skimage.measure.regionprops does, and stores a
// result handle with one row per label, sorted, and the columns label,
// area, bbox-0..5 (Z, Y, X lower corner then upper), centroid-0..2 (Z, Y,
// X), intensity_mean, intensity_max, intensity_min. Free it with
// segstack_free.
//
//export segstack_regionprops
func segstack_regionprops(tok C.int64_t, labels unsafe.Pointer, ldtype *C.char, intensity unsafe.Pointer, idtype *C.char,
	ndim C.int, shape *C.int64_t, res *C.int64_t, errbuf *C.char, errlen C.size_t) (rc C.int) {
	defer guard(&rc, errbuf, errlen)
	return fail(regionprops(tok, labels, ldtype, intensity, idtype, ndim, shape, res), errbuf, errlen)
}

func regionprops(tok C.int64_t, labels unsafe.Pointer, ldtype *C.char, intensity unsafe.Pointer, idtype *C.char,
	ndim C.int, shape *C.int64_t, res *C.int64_t) error {
	ctx, err := contextOf(tok)
	if err != nil {
		return err
	}
	if res == nil {
		return fmt.Errorf("%w: regionprops: NULL result", errInvalid)
	}
	la, err := parseArray("regionprops labels", labels, ldtype, ndim, shape)
	if err != nil {
		return err
	}
	lv, err := labelsOf(la)
	if err != nil {
		return err
	}
	var iv *stack.Volume[float32]
	if intensity != nil {
		ia, err := parseArray("regionprops intensity", intensity, idtype, ndim, shape)
		if err != nil {
			return err
		}
		f, err := float32Of(ia)
		if err != nil {
			return err
		}
		iv = &stack.Volume[float32]{Shape: ia.shape, Data: f}
	}
	regions, err := kernels.RegionsOf(ctx, &stack.Volume[uint32]{Shape: la.shape, Data: lv}, iv)
	if err != nil {
		return fmt.Errorf("regionprops: %w", err)
	}
	t := newTable(regionColumns, len(regions))
	for i, r := range regions {
		row := []float64{float64(r.Label), float64(r.Area),
			float64(r.BBox.Lo[0]), float64(r.BBox.Lo[1]), float64(r.BBox.Lo[2]),
			float64(r.BBox.Hi[0]), float64(r.BBox.Hi[1]), float64(r.BBox.Hi[2]),
			r.Centroid[0], r.Centroid[1], r.Centroid[2], r.MeanIntensity, r.MaxIntensity, r.MinIntensity}
		t.setRow(i, row)
	}
	*res = C.int64_t(storeResult(&result{table: t}))
	return nil
}

// otsuInt is skimage.filters.threshold_otsu of an integer image: a
// histogram of one bin per value from the minimum to the maximum (numpy's
// bincount), then scikit-image's formula with its types: int64 cumulative
// weights and weighted sums, float64 class means and variances, the first
// maximum.
func otsuInt(a array) (float64, error) {
	vals := make([]int64, a.shape.Len())
	switch a.dtype {
	case stack.Uint8:
		kernels.Convert(vals, sliceOf[uint8](a))
	case stack.Uint16:
		kernels.Convert(vals, sliceOf[uint16](a))
	case stack.Uint32:
		kernels.Convert(vals, sliceOf[uint32](a))
	case stack.Int16:
		kernels.Convert(vals, sliceOf[int16](a))
	case stack.Int32:
		kernels.Convert(vals, sliceOf[int32](a))
	case stack.Int64:
		copy(vals, sliceOf[int64](a))
	case stack.Uint64:
		for i, v := range sliceOf[uint64](a) {
			if v > math.MaxInt64 {
				return 0, fmt.Errorf("%w: threshold_otsu: value %d exceeds int64", errInvalid, v)
			}
			vals[i] = int64(v)
		}
	default:
		return 0, fmt.Errorf("%w: threshold_otsu: %v", errDType, a.dtype)
	}
	lo, hi := vals[0], vals[0]
	for _, v := range vals {
		lo, hi = min(lo, v), max(hi, v)
	}
	if lo == hi {
		return float64(lo), nil
	}
	// The histogram spans hi-lo+1 values, as scikit-image's does; bound it
	// so that a wide int32 range gives an error rather than an allocation
	// beyond memory.
	if uint64(hi-lo) >= 1<<31 {
		return 0, fmt.Errorf("%w: threshold_otsu: the values span %d..%d, too wide for a histogram of one bin per value", errInvalid, lo, hi)
	}
	nb := int(hi-lo) + 1
	counts := make([]int64, nb)
	for _, v := range vals {
		counts[v-lo]++
	}
	w1 := make([]int64, nb)
	s1 := make([]int64, nb)
	var cw, cs int64
	for i, c := range counts {
		cw += c
		cs += c * (lo + int64(i))
		w1[i], s1[i] = cw, cs
	}
	w2 := make([]int64, nb)
	s2 := make([]int64, nb)
	cw, cs = 0, 0
	for i := nb - 1; i >= 0; i-- {
		cw += counts[i]
		cs += counts[i] * (lo + int64(i))
		w2[i], s2[i] = cw, cs
	}
	best, idx := math.Inf(-1), 0
	for i := 0; i < nb-1; i++ {
		m1 := float64(s1[i]) / float64(w1[i])
		m2 := float64(s2[i+1]) / float64(w2[i+1])
		d := m1 - m2
		v := float64(w1[i]*w2[i+1]) * (d * d)
		// numpy's argmax: the first maximum, NaN (0/0 of empty classes)
		// winning as numpy's does.
		if math.IsNaN(v) {
			if !math.IsNaN(best) {
				best, idx = v, i
			}
			break
		}
		if v > best {
			best, idx = v, i
		}
	}
	return float64(lo + int64(idx)), nil
}
