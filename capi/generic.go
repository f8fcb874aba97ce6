//go:build cgo

package main

/*
#include <stddef.h>
#include <stdint.h>

// segstack_array describes one C-contiguous buffer of segstack_op: data,
// numpy's dtype name, and 1 to 3 extents (unused ones ignored).
typedef struct {
	void *data;
	const char *dtype;
	int ndim;
	int64_t shape[3];
} segstack_array;
*/
import "C"

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"unsafe"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// opParams are the scalar parameters of segstack_op, a JSON object whose
// keys are scipy's / scikit-image's parameter names.
type opParams struct {
	Sigma         []float64 `json:"sigma"`
	Truncate      float64   `json:"truncate"`
	Mode          string    `json:"mode"`
	Cval          float64   `json:"cval"`
	Size          []int     `json:"size"`
	Origin        []int     `json:"origin"`
	Axis          int       `json:"axis"`
	Conn          int       `json:"conn"`
	Iterations    int       `json:"iterations"`
	BorderValue   int       `json:"border_value"`
	Sampling      []float64 `json:"sampling"`
	MinSize       int       `json:"min_size"`
	MinDistance   int       `json:"min_distance"`
	ThresholdAbs  *float64  `json:"threshold_abs"`
	ThresholdRel  *float64  `json:"threshold_rel"`
	ExcludeBorder int       `json:"exclude_border"`
	NumPeaks      int       `json:"num_peaks"`
	MaxLabel      int       `json:"max_label"`
	What          string    `json:"what"`
	Min           float64   `json:"min"`
	Max           float64   `json:"max"`
	Bins          int       `json:"bins"`
}

// segstack_op runs the operation op on the n arrays of arrays with the
// parameters params (a JSON object; NULL or "" for none). Each operation
// fixes the role of each array (see runOp); outputs of a known shape are
// arrays the caller allocated, results of a variable size (peaks, tables
// of measurements) are stored as a result handle in *res (free it with
// segstack_free). The operations are scipy.ndimage's and scikit-image's
// functions that the kernels package implements:
//
//	gaussian_filter  [input, output]            sigma, truncate, mode, cval: scipy's passes, exact for every output type
//	uniform_filter, median_filter, minimum_filter, maximum_filter
//	                 [input, output, footprint?] size, origin, mode, cval
//	correlate, convolve [input, output, weights(float64)] origin, mode, cval
//	correlate1d, convolve1d [input, output, weights(float64, 1-D)] axis, origin, mode, cval
//	sobel, prewitt   [input, output]            axis, mode, cval
//	laplace          [input, output]            mode, cval
//	gaussian_laplace, gaussian_gradient_magnitude [input, output(float32)] sigma, truncate, mode, cval
//	distance_transform_edt [input, output(float32)] sampling
//	binary_erosion, binary_dilation, binary_opening, binary_closing
//	                 [input, output(uint8)]     conn, iterations, border_value
//	binary_fill_holes [input, output(uint8)]    conn
//	remove_small_objects, remove_small_holes [input, output(uint8)] min_size, conn
//	peak_local_max   [image, labels?]           min_distance, threshold_abs, threshold_rel, exclude_border, num_peaks → table z, y, x
//	watershed        [image, markers, output(uint32), mask?] conn
//	measure          [labels, input?, index?(uint32, 1-D)] what → table (see measureTable)
//	find_objects     [labels]                   max_label → table present, lo-0..2, hi-0..2
//	histogram        [labels, input, index?]    min, max, bins → table present, bin-0..
//
// Axes, sizes, origins, sigmas and samplings are given in the array's axis
// order (ndim values).
//
//export segstack_op
func segstack_op(tok C.int64_t, op *C.char, params *C.char, arrays *C.segstack_array, n C.int,
	res *C.int64_t, errbuf *C.char, errlen C.size_t) (rc C.int) {
	defer guard(&rc, errbuf, errlen)
	return fail(runOpC(tok, op, params, arrays, n, res), errbuf, errlen)
}

func runOpC(tok C.int64_t, op *C.char, params *C.char, arrays *C.segstack_array, n C.int, res *C.int64_t) error {
	ctx, err := contextOf(tok)
	if err != nil {
		return err
	}
	if op == nil {
		return fmt.Errorf("%w: op: NULL operation name", errInvalid)
	}
	name := C.GoString(op)
	var p opParams
	if params != nil {
		if s := C.GoString(params); s != "" {
			dec := json.NewDecoder(bytes.NewReader([]byte(s)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&p); err != nil {
				return fmt.Errorf("%w: %s: parameters: %v", errInvalid, name, err)
			}
		}
	}
	if n < 0 || n > 8 || (n > 0 && arrays == nil) {
		return fmt.Errorf("%w: %s: %d arrays", errInvalid, name, int(n))
	}
	var arrs []array
	if n > 0 {
		descs := unsafe.Slice(arrays, int(n))
		for i := range descs {
			d := &descs[i]
			if d.data == nil && d.dtype == nil {
				arrs = append(arrs, array{}) // an optional array left out
				continue
			}
			a, err := parseArray(fmt.Sprintf("%s argument %d", name, i), d.data, d.dtype, d.ndim, &d.shape[0])
			if err != nil {
				return err
			}
			a.isBool = C.GoString(d.dtype) == "bool"
			arrs = append(arrs, a)
		}
	}
	r, err := runOp(ctx, name, &p, arrs)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if r != nil {
		if res == nil {
			return fmt.Errorf("%w: %s: NULL result", errInvalid, name)
		}
		*res = C.int64_t(storeResult(r))
	}
	return nil
}

// present reports whether the optional array i was given.
func present(arrs []array, i int) bool { return i < len(arrs) && arrs[i].ptr != nil }

// need checks that arrays 0..k-1 are given and share the first one's shape.
func need(arrs []array, k int, same ...int) error {
	if len(arrs) < k {
		return fmt.Errorf("%w: %d arrays given, %d needed", errInvalid, len(arrs), k)
	}
	for i := range k {
		if arrs[i].ptr == nil {
			return fmt.Errorf("%w: argument %d is missing", errInvalid, i)
		}
	}
	for _, i := range same {
		if present(arrs, i) && (arrs[i].shape != arrs[0].shape || arrs[i].ndim != arrs[0].ndim) {
			return fmt.Errorf("%w: argument %d has shape %v, the input %v", errInvalid, i, dimsOf(arrs[i]), dimsOf(arrs[0]))
		}
	}
	return nil
}

// dimsOf is an array's shape in its own axis order.
func dimsOf(a array) []int {
	d := a.shape.Dims()
	return d[3-a.ndim:]
}

// axes3 places one value per array axis into (Z, Y, X), fill elsewhere.
func axes3[T any](what string, vals []T, ndim int, fill T) ([3]T, error) {
	out := [3]T{fill, fill, fill}
	if vals == nil {
		return out, nil
	}
	if len(vals) != ndim {
		return out, fmt.Errorf("%w: %s has %d values for a %d-D input", errInvalid, what, len(vals), ndim)
	}
	for i, v := range vals {
		out[3-ndim+i] = v
	}
	return out, nil
}

// axis3 maps an array axis (negative counts from the end) to Z, Y, X.
func axis3(axis, ndim int) (int, error) {
	if axis < 0 {
		axis += ndim
	}
	if axis < 0 || axis >= ndim {
		return 0, fmt.Errorf("%w: axis %d is out of range for a %d-D input", errInvalid, axis, ndim)
	}
	return 3 - ndim + axis, nil
}

func filterOptions(p *opParams, ndim int) (kernels.FilterOptions, error) {
	var o kernels.FilterOptions
	var err error
	if o.Mode, err = parseModeOr(p.Mode); err != nil {
		return o, err
	}
	if !finite(p.Cval) {
		return o, fmt.Errorf("%w: cval %v must be finite", errInvalid, p.Cval)
	}
	o.Cval = p.Cval
	if o.Size, err = axes3("size", p.Size, ndim, 1); err != nil {
		return o, err
	}
	for i, s := range o.Size {
		if s < 1 {
			return o, fmt.Errorf("%w: size %d on axis %d must be at least 1", errInvalid, s, i-(3-ndim))
		}
	}
	o.Origin, err = axes3("origin", p.Origin, ndim, 0)
	return o, err
}

func parseModeOr(s string) (stack.Mode, error) {
	if s == "" {
		return stack.Reflect, nil
	}
	m, err := stack.ParseMode(s)
	if err != nil {
		return m, fmt.Errorf("%w: %w", errInvalid, err)
	}
	return m, nil
}

// maskOf returns a's non-zero elements as 0/1 bytes: a's own buffer when it
// holds bools, else a new one.
func maskOf(a array) ([]uint8, error) {
	if a.isBool {
		return sliceOf[uint8](a), nil
	}
	mask := make([]uint8, a.shape.Len())
	var err error
	switch a.dtype {
	case stack.Uint8:
		err = kernels.CompareScalar(kernels.CmpNe, mask, sliceOf[uint8](a), 0)
	case stack.Uint16:
		err = kernels.CompareScalar(kernels.CmpNe, mask, sliceOf[uint16](a), 0)
	case stack.Uint32:
		err = kernels.CompareScalar(kernels.CmpNe, mask, sliceOf[uint32](a), 0)
	case stack.Int16:
		err = kernels.CompareScalar(kernels.CmpNe, mask, sliceOf[int16](a), 0)
	case stack.Int32:
		err = kernels.CompareScalar(kernels.CmpNe, mask, sliceOf[int32](a), 0)
	case stack.Float32:
		err = kernels.CompareScalar(kernels.CmpNe, mask, sliceOf[float32](a), 0)
	case stack.Uint64:
		err = kernels.CompareScalar(kernels.CmpNe, mask, sliceOf[uint64](a), 0)
	case stack.Int64:
		err = kernels.CompareScalar(kernels.CmpNe, mask, sliceOf[int64](a), 0)
	case stack.Float64:
		err = kernels.CompareScalar(kernels.CmpNe, mask, sliceOf[float64](a), 0)
	default:
		err = fmt.Errorf("%w: %v", errDType, a.dtype)
	}
	return mask, err
}

func maskVolume(a array) (*stack.Volume[uint8], error) {
	m, err := maskOf(a)
	if err != nil {
		return nil, err
	}
	return &stack.Volume[uint8]{Shape: a.shape, Data: m}, nil
}

func outVolume[T stack.Elem](a array, want stack.DType) (*stack.Volume[T], error) {
	if a.dtype != want {
		return nil, fmt.Errorf("%w: the output is %v, want %v", errDType, a.dtype, want)
	}
	return volumeOf[T](a), nil
}

func float32Volume(a array) (*stack.Volume[float32], error) {
	f, err := float32Of(a)
	if err != nil {
		return nil, err
	}
	return &stack.Volume[float32]{Shape: a.shape, Data: f}, nil
}

func labelVolume(a array) (*stack.Volume[uint32], error) {
	l, err := labelsOf(a)
	if err != nil {
		return nil, err
	}
	return &stack.Volume[uint32]{Shape: a.shape, Data: l}, nil
}

func conn(p *opParams) kernels.Connectivity { return kernels.Connectivity(p.Conn) }

// runOp runs one operation; see segstack_op for the roles of the arrays.
func runOp(ctx context.Context, name string, p *opParams, arrs []array) (*result, error) {
	switch name {
	case "gaussian_filter", "uniform_filter", "median_filter", "minimum_filter", "maximum_filter",
		"correlate", "convolve", "correlate1d", "convolve1d", "sobel", "prewitt", "laplace",
		"gaussian_laplace", "gaussian_gradient_magnitude":
		if err := need(arrs, 2, 1); err != nil {
			return nil, err
		}
		return nil, dispatchIn(ctx, name, p, arrs)
	case "distance_transform_edt":
		if err := need(arrs, 2, 1); err != nil {
			return nil, err
		}
		m, err := maskVolume(arrs[0])
		if err != nil {
			return nil, err
		}
		dst, err := outVolume[float32](arrs[1], stack.Float32)
		if err != nil {
			return nil, err
		}
		samp, err := axes3("sampling", p.Sampling, arrs[0].ndim, 1.0)
		if err != nil {
			return nil, err
		}
		for i, s := range samp {
			if !finite(s) || s <= 0 {
				return nil, fmt.Errorf("%w: sampling %v on axis %d must be a finite number > 0", errInvalid, s, i-(3-arrs[0].ndim))
			}
		}
		return nil, kernels.EDT(ctx, dst, m, samp)
	case "binary_erosion", "binary_dilation", "binary_opening", "binary_closing", "binary_fill_holes",
		"remove_small_objects", "remove_small_holes":
		if err := need(arrs, 2, 1); err != nil {
			return nil, err
		}
		src, err := maskVolume(arrs[0])
		if err != nil {
			return nil, err
		}
		if arrs[1].dtype != stack.Uint8 {
			return nil, fmt.Errorf("%w: the output is %v, want bool or uint8", errDType, arrs[1].dtype)
		}
		dst := volumeOf[uint8](arrs[1])
		mo := kernels.MorphOptions{Conn: conn(p), Iterations: p.Iterations, BorderValue: uint8(min(max(p.BorderValue, 0), 1))}
		switch name {
		case "binary_erosion":
			return nil, kernels.BinaryErosion(ctx, dst, src, mo)
		case "binary_dilation":
			return nil, kernels.BinaryDilation(ctx, dst, src, mo)
		case "binary_opening":
			return nil, kernels.BinaryOpening(ctx, dst, src, mo)
		case "binary_closing":
			return nil, kernels.BinaryClosing(ctx, dst, src, mo)
		case "binary_fill_holes":
			return nil, kernels.FillHoles(ctx, dst, src, conn(p))
		case "remove_small_objects":
			return nil, kernels.RemoveSmallObjects(ctx, dst, src, p.MinSize, conn(p))
		}
		return nil, kernels.RemoveSmallHoles(ctx, dst, src, p.MinSize, conn(p))
	case "peak_local_max":
		if err := need(arrs, 1, 1); err != nil {
			return nil, err
		}
		img, err := float32Volume(arrs[0])
		if err != nil {
			return nil, err
		}
		po := kernels.PeakOptions{MinDistance: p.MinDistance, ExcludeBorder: p.ExcludeBorder, NumPeaks: p.NumPeaks}
		if p.ThresholdAbs != nil {
			po.ThresholdAbs, po.HasThresholdAbs = *p.ThresholdAbs, true
		}
		if p.ThresholdRel != nil {
			po.ThresholdRel = *p.ThresholdRel
		}
		if present(arrs, 1) {
			if po.Labels, err = labelVolume(arrs[1]); err != nil {
				return nil, err
			}
		}
		peaks, err := kernels.PeakLocalMax(ctx, img, po)
		if err != nil {
			return nil, err
		}
		t := newTable([]string{"z", "y", "x"}, len(peaks))
		for i, pk := range peaks {
			t.setRow(i, []float64{float64(pk[0]), float64(pk[1]), float64(pk[2])})
		}
		return &result{table: t}, nil
	case "watershed":
		if err := need(arrs, 3, 1, 2, 3); err != nil {
			return nil, err
		}
		img, err := float32Volume(arrs[0])
		if err != nil {
			return nil, err
		}
		markers, err := labelVolume(arrs[1])
		if err != nil {
			return nil, err
		}
		if arrs[2].dtype != stack.Uint32 && arrs[2].dtype != stack.Int32 {
			return nil, fmt.Errorf("%w: the output is %v, want int32 or uint32", errDType, arrs[2].dtype)
		}
		dst := &stack.Volume[uint32]{Shape: arrs[2].shape, Data: unsafe.Slice((*uint32)(arrs[2].ptr), arrs[2].shape.Len())}
		var mask *stack.Volume[uint8]
		if present(arrs, 3) {
			if mask, err = maskVolume(arrs[3]); err != nil {
				return nil, err
			}
		}
		return nil, kernels.Watershed(ctx, dst, img, markers, mask, conn(p))
	case "measure", "histogram":
		if err := need(arrs, 2, 1); err != nil {
			return nil, err
		}
		labels, err := labelVolume(arrs[0])
		if err != nil {
			return nil, err
		}
		var index []uint32
		if present(arrs, 2) {
			if arrs[2].dtype != stack.Uint32 {
				return nil, fmt.Errorf("%w: index is %v, want uint32", errDType, arrs[2].dtype)
			}
			index = sliceOf[uint32](arrs[2])
		}
		return dispatchMeasureArray(ctx, name, p, labels, arrs[1], index)
	case "find_objects":
		if err := need(arrs, 1); err != nil {
			return nil, err
		}
		labels, err := labelVolume(arrs[0])
		if err != nil {
			return nil, err
		}
		if p.MaxLabel < 0 {
			return nil, fmt.Errorf("%w: max_label %d must be >= 0", errInvalid, p.MaxLabel)
		}
		boxes, err := kernels.FindObjects(ctx, labels, p.MaxLabel)
		if err != nil {
			return nil, err
		}
		t := newTable([]string{"present", "lo-0", "lo-1", "lo-2", "hi-0", "hi-1", "hi-2"}, len(boxes))
		for i, b := range boxes {
			if b == (stack.Box{}) {
				continue
			}
			t.setRow(i, []float64{1, float64(b.Lo[0]), float64(b.Lo[1]), float64(b.Lo[2]),
				float64(b.Hi[0]), float64(b.Hi[1]), float64(b.Hi[2])})
		}
		return &result{table: t}, nil
	}
	return nil, fmt.Errorf("%w: unknown operation %q", errInvalid, name)
}

// dispatchIn picks the input type of a filter.
func dispatchIn(ctx context.Context, name string, p *opParams, arrs []array) error {
	switch arrs[0].dtype {
	case stack.Uint8:
		return dispatchOut(ctx, name, p, volumeOf[uint8](arrs[0]), arrs)
	case stack.Uint16:
		return dispatchOut(ctx, name, p, volumeOf[uint16](arrs[0]), arrs)
	case stack.Uint32:
		return dispatchOut(ctx, name, p, volumeOf[uint32](arrs[0]), arrs)
	case stack.Int16:
		return dispatchOut(ctx, name, p, volumeOf[int16](arrs[0]), arrs)
	case stack.Int32:
		return dispatchOut(ctx, name, p, volumeOf[int32](arrs[0]), arrs)
	case stack.Float32:
		return dispatchOut(ctx, name, p, volumeOf[float32](arrs[0]), arrs)
	}
	return fmt.Errorf("%w: input of %v (want bool, uint8, uint16, uint32, int16, int32 or float32)", errDType, arrs[0].dtype)
}

// dispatchOut picks the output type of a filter.
func dispatchOut[T stack.Elem](ctx context.Context, name string, p *opParams, src *stack.Volume[T], arrs []array) error {
	o := arrs[1]
	switch o.dtype {
	case stack.Uint8:
		return runFilter(ctx, name, p, src, volumeOf[uint8](o), arrs)
	case stack.Uint16:
		return runFilter(ctx, name, p, src, volumeOf[uint16](o), arrs)
	case stack.Uint32:
		return runFilter(ctx, name, p, src, volumeOf[uint32](o), arrs)
	case stack.Int16:
		return runFilter(ctx, name, p, src, volumeOf[int16](o), arrs)
	case stack.Int32:
		return runFilter(ctx, name, p, src, volumeOf[int32](o), arrs)
	case stack.Float32:
		return runFilter(ctx, name, p, src, volumeOf[float32](o), arrs)
	}
	return fmt.Errorf("%w: output of %v (want uint8, uint16, uint32, int16, int32 or float32)", errDType, o.dtype)
}

// weightsOf reads a float64 weights array.
func weightsOf(arrs []array, i int) (array, []float64, error) {
	if !present(arrs, i) {
		return array{}, nil, fmt.Errorf("%w: no weights", errInvalid)
	}
	w := arrs[i]
	if w.dtype != stack.Float64 {
		return w, nil, fmt.Errorf("%w: weights of %v, want float64", errDType, w.dtype)
	}
	return w, sliceOf[float64](w), nil
}

// runFilter runs the filter name from src into dst.
func runFilter[T, U stack.Elem](ctx context.Context, name string, p *opParams, src *stack.Volume[T], dst *stack.Volume[U], arrs []array) error {
	ndim := arrs[0].ndim
	origin := p.Origin
	if name == "correlate1d" || name == "convolve1d" {
		// One origin, for the filtered axis (set below).
		q := *p
		q.Origin = nil
		p = &q
	}
	fo, err := filterOptions(p, ndim)
	if err != nil {
		return err
	}
	same := func() (*stack.Volume[T], error) {
		d, ok := any(dst).(*stack.Volume[T])
		if !ok {
			return nil, fmt.Errorf("%w: the output is %v; %s writes the input's type, %v", errDType, arrs[1].dtype, name, arrs[0].dtype)
		}
		return d, nil
	}
	f32 := func() (*stack.Volume[float32], error) {
		d, ok := any(dst).(*stack.Volume[float32])
		if !ok {
			return nil, fmt.Errorf("%w: the output is %v; %s writes float32", errDType, arrs[1].dtype, name)
		}
		return d, nil
	}
	sigmas := func() ([3]float64, error) {
		s, err := axes3("sigma", p.Sigma, ndim, 0)
		if err != nil {
			return s, err
		}
		if p.Sigma == nil {
			return s, fmt.Errorf("%w: no sigma", errInvalid)
		}
		for i, v := range s {
			if !finite(v) || v < 0 {
				return s, fmt.Errorf("%w: sigma %v on axis %d must be a finite number >= 0", errInvalid, v, i-(3-ndim))
			}
		}
		if !finite(p.Truncate) || p.Truncate < 0 {
			return s, fmt.Errorf("%w: truncate %v must be a finite number >= 0", errInvalid, p.Truncate)
		}
		return s, nil
	}
	footprint := func() (*kernels.Footprint, error) {
		if !present(arrs, 2) {
			return nil, nil
		}
		f := arrs[2]
		if f.ndim != ndim {
			return nil, fmt.Errorf("%w: footprint of %d dimensions for a %d-D input", errInvalid, f.ndim, ndim)
		}
		m, err := maskOf(f)
		if err != nil {
			return nil, err
		}
		fp := &kernels.Footprint{Shape: f.shape, Mask: make([]bool, len(m))}
		for i, v := range m {
			fp.Mask[i] = v != 0
		}
		return fp, nil
	}
	switch name {
	case "gaussian_filter":
		sig, err := sigmas()
		if err != nil {
			return err
		}
		// scipy.ndimage.gaussian_filter: one gaussian_filter1d per axis
		// whose sigma exceeds 1e-15, in axis order, each stored into the
		// output's type; no axis at all copies the input.
		first := true
		for ax := 3 - ndim; ax < 3; ax++ {
			if sig[ax] <= 1e-15 {
				continue
			}
			w := kernels.GaussianKernel1D(sig[ax], 0, p.Truncate)
			if w == nil {
				return fmt.Errorf("%w: sigma %v, truncate %v", errInvalid, sig[ax], p.Truncate)
			}
			if first {
				err = kernels.Correlate1D(ctx, dst, src, w, ax, fo)
				first = false
			} else {
				err = kernels.Correlate1D(ctx, dst, dst, w, ax, fo)
			}
			if err != nil {
				return err
			}
		}
		if first {
			return kernels.Correlate1D(ctx, dst, src, []float64{1}, 2, fo)
		}
		return nil
	case "uniform_filter":
		return kernels.UniformFilter(ctx, dst, src, fo)
	case "median_filter", "minimum_filter", "maximum_filter":
		d, err := same()
		if err != nil {
			return err
		}
		if fo.Footprint, err = footprint(); err != nil {
			return err
		}
		switch name {
		case "median_filter":
			return kernels.MedianFilter(ctx, d, src, fo)
		case "minimum_filter":
			return kernels.MinimumFilter(ctx, d, src, fo)
		}
		return kernels.MaximumFilter(ctx, d, src, fo)
	case "correlate", "convolve":
		wa, w, err := weightsOf(arrs, 2)
		if err != nil {
			return err
		}
		if wa.ndim != ndim {
			return fmt.Errorf("%w: weights of %d dimensions for a %d-D input", errInvalid, wa.ndim, ndim)
		}
		weights := &kernels.Weights{Shape: wa.shape, W: w}
		if name == "correlate" {
			return kernels.Correlate(ctx, dst, src, weights, fo)
		}
		return kernels.Convolve(ctx, dst, src, weights, fo)
	case "correlate1d", "convolve1d":
		_, w, err := weightsOf(arrs, 2)
		if err != nil {
			return err
		}
		ax, err := axis3(p.Axis, ndim)
		if err != nil {
			return err
		}
		switch len(origin) {
		case 0:
		case 1:
			fo.Origin[ax] = origin[0]
		default:
			return fmt.Errorf("%w: %d origins for one axis", errInvalid, len(origin))
		}
		if name == "correlate1d" {
			return kernels.Correlate1D(ctx, dst, src, w, ax, fo)
		}
		return kernels.Convolve1D(ctx, dst, src, w, ax, fo)
	case "sobel", "prewitt":
		ax, err := axis3(p.Axis, ndim)
		if err != nil {
			return err
		}
		if name == "sobel" {
			return kernels.Sobel(ctx, dst, src, ax, fo)
		}
		return kernels.Prewitt(ctx, dst, src, ax, fo)
	case "laplace":
		return kernels.Laplace(ctx, dst, src, fo)
	case "gaussian_laplace", "gaussian_gradient_magnitude":
		d, err := f32()
		if err != nil {
			return err
		}
		sig, err := sigmas()
		if err != nil {
			return err
		}
		gd := kernels.GaussDerivOptions{Sigma: sig, Truncate: p.Truncate, Mode: fo.Mode, Cval: fo.Cval}
		if name == "gaussian_laplace" {
			return kernels.GaussianLaplace(ctx, d, src, gd)
		}
		return kernels.GaussianGradientMagnitude(ctx, d, src, gd)
	}
	return fmt.Errorf("%w: unknown filter %q", errInvalid, name)
}

// dispatchMeasureArray picks the intensity type of a measurement.
func dispatchMeasureArray(ctx context.Context, name string, p *opParams, labels *stack.Volume[uint32], a array, index []uint32) (*result, error) {
	if a.shape != labels.Shape {
		return nil, fmt.Errorf("%w: input of shape %v, labels %v", errInvalid, a.shape, labels.Shape)
	}
	switch a.dtype {
	case stack.Uint8:
		return dispatchMeasure(ctx, name, p, labels, volumeOf[uint8](a), index)
	case stack.Uint16:
		return dispatchMeasure(ctx, name, p, labels, volumeOf[uint16](a), index)
	case stack.Uint32:
		return dispatchMeasure(ctx, name, p, labels, volumeOf[uint32](a), index)
	case stack.Int16:
		return dispatchMeasure(ctx, name, p, labels, volumeOf[int16](a), index)
	case stack.Int32:
		return dispatchMeasure(ctx, name, p, labels, volumeOf[int32](a), index)
	case stack.Float32:
		return dispatchMeasure(ctx, name, p, labels, volumeOf[float32](a), index)
	}
	return nil, fmt.Errorf("%w: input of %v (want bool, uint8, uint16, uint32, int16, int32 or float32)", errDType, a.dtype)
}

// dispatchMeasure measures intensity over labels: a table with one row per
// label of index (1..max label without one) and the columns index, count,
// then those of p.What (sum, mean, variance, standard_deviation, minimum,
// maximum, median, minimum_position-0..2, maximum_position-0..2,
// center_of_mass-0..2, positions ordered Z, Y, X), or for a histogram the
// columns present and bin-0..bins-1.
func dispatchMeasure[T stack.Elem](ctx context.Context, name string, p *opParams, labels *stack.Volume[uint32], intensity *stack.Volume[T], index []uint32) (*result, error) {
	if name == "histogram" {
		if p.Bins < 1 || !finite(p.Min) || !finite(p.Max) {
			return nil, fmt.Errorf("%w: bins %d must be >= 1 and min, max finite", errInvalid, p.Bins)
		}
		h, err := kernels.HistogramLabels(ctx, labels, intensity, p.Min, p.Max, p.Bins, index)
		if err != nil {
			return nil, err
		}
		cols := []string{"present"}
		for i := range p.Bins {
			cols = append(cols, fmt.Sprintf("bin-%d", i))
		}
		t := newTable(cols, len(h))
		for r, row := range h {
			if row == nil {
				continue
			}
			vals := make([]float64, 0, len(cols))
			vals = append(vals, 1)
			for _, c := range row {
				vals = append(vals, float64(c))
			}
			t.setRow(r, vals)
		}
		return &result{table: t}, nil
	}
	what, err := kernels.ParseMeasureSet(p.What)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errInvalid, err)
	}
	m, err := kernels.Measure(ctx, labels, intensity, index, what)
	if err != nil {
		return nil, err
	}
	cols := []string{"index", "count"}
	var get []func(i int) float64
	get = append(get, func(i int) float64 { return float64(m.Index[i]) }, func(i int) float64 { return float64(m.Count[i]) })
	add := func(nm string, v []float64) {
		if v != nil {
			cols = append(cols, nm)
			get = append(get, func(i int) float64 { return v[i] })
		}
	}
	add("sum", m.Sum)
	add("mean", m.Mean)
	add("variance", m.Variance)
	add("standard_deviation", m.StandardDeviation)
	add("minimum", m.Minimum)
	add("maximum", m.Maximum)
	add("median", m.Median)
	addPos := func(nm string, v [][3]int) {
		if v != nil {
			for k := range 3 {
				cols = append(cols, fmt.Sprintf("%s-%d", nm, k))
				get = append(get, func(i int) float64 { return float64(v[i][k]) })
			}
		}
	}
	addPos("minimum_position", m.MinimumPosition)
	addPos("maximum_position", m.MaximumPosition)
	if m.CenterOfMass != nil {
		for k := range 3 {
			cols = append(cols, fmt.Sprintf("center_of_mass-%d", k))
			get = append(get, func(i int) float64 { return m.CenterOfMass[i][k] })
		}
	}
	t := newTable(cols, len(m.Index))
	row := make([]float64, len(cols))
	for i := range m.Index {
		for c, g := range get {
			row[c] = g(i)
		}
		t.setRow(i, row)
	}
	return &result{table: t}, nil
}
