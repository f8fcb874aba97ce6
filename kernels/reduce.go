package kernels

import (
	"context"
	"fmt"
	"math"

	"github.com/segstack/segstack/kernels/simd"
	"github.com/segstack/segstack/stack"
)

// reduceChunk is the fixed span each worker reduces at a time. Partial
// results are combined in chunk order, so sums do not depend on how many
// workers ran.
const reduceChunk = 1 << 16

func checkVolume[T stack.Elem](v *stack.Volume[T]) error {
	if v == nil {
		return fmt.Errorf("%w: nil volume", ErrInvalid)
	}
	if err := v.Shape.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if len(v.Data) != v.Shape.Len() {
		return fmt.Errorf("%w: %d elements do not fill shape %v", ErrInvalid, len(v.Data), v.Shape)
	}
	return nil
}

// chunked applies f to each reduceChunk-long piece of data, in parallel for
// large inputs, and returns the per-chunk results in order.
func chunked[T stack.Elem, R any](ctx context.Context, data []T, f func([]T) R) ([]R, error) {
	n := (len(data) + reduceChunk - 1) / reduceChunk
	out := make([]R, n)
	err := forEachItem(ctx, workersFor(len(data), n), n, func(_, i int) error {
		out[i] = f(data[i*reduceChunk : min(len(data), (i+1)*reduceChunk)])
		return nil
	})
	return out, err
}

// maxSlice and friends reduce one slice; float32 goes to the vector code.
func maxSlice[T stack.Elem](x []T) T {
	if f, ok := any(x).([]float32); ok {
		return T(simd.Max(f))
	}
	m := x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	return m
}

func minSlice[T stack.Elem](x []T) T {
	if f, ok := any(x).([]float32); ok {
		return T(simd.Min(f))
	}
	m := x[0]
	for _, v := range x[1:] {
		m = min(m, v)
	}
	return m
}

func sumSlice[T stack.Elem](x []T) float64 {
	if f, ok := any(x).([]float32); ok {
		return simd.Sum(f)
	}
	s := 0.0
	for _, v := range x {
		s += float64(v)
	}
	return s
}

// Max returns the largest element of v. NaNs are not supported.
func Max[T stack.Elem](ctx context.Context, v *stack.Volume[T]) (T, error) {
	if err := checkVolume(v); err != nil {
		return 0, err
	}
	parts, err := chunked(ctx, v.Data, maxSlice[T])
	if err != nil {
		return 0, err
	}
	return maxSlice(parts), nil
}

// Min returns the smallest element of v.
func Min[T stack.Elem](ctx context.Context, v *stack.Volume[T]) (T, error) {
	if err := checkVolume(v); err != nil {
		return 0, err
	}
	parts, err := chunked(ctx, v.Data, minSlice[T])
	if err != nil {
		return 0, err
	}
	return minSlice(parts), nil
}

// Sum returns the sum of v's elements, accumulated in float64.
func Sum[T stack.Elem](ctx context.Context, v *stack.Volume[T]) (float64, error) {
	if err := checkVolume(v); err != nil {
		return 0, err
	}
	parts, err := chunked(ctx, v.Data, sumSlice[T])
	if err != nil {
		return 0, err
	}
	s := 0.0
	for _, p := range parts {
		s += p
	}
	return s, nil
}

// Mean returns the mean of v's elements, computed in float64.
func Mean[T stack.Elem](ctx context.Context, v *stack.Volume[T]) (float64, error) {
	s, err := Sum(ctx, v)
	if err != nil {
		return 0, err
	}
	return s / float64(len(v.Data)), nil
}

// perPlane applies f to every Z plane of v, planes in parallel.
func perPlane[T stack.Elem, R any](ctx context.Context, v *stack.Volume[T], f func([]T) R) ([]R, error) {
	if err := checkVolume(v); err != nil {
		return nil, err
	}
	out := make([]R, v.Shape.Z)
	err := forEachItem(ctx, workersFor(len(v.Data), v.Shape.Z), v.Shape.Z, func(_, z int) error {
		out[z] = f(v.Plane(z))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// MaxPerPlane returns the maximum of each Z plane of v.
func MaxPerPlane[T stack.Elem](ctx context.Context, v *stack.Volume[T]) ([]T, error) {
	return perPlane(ctx, v, maxSlice[T])
}

// MinPerPlane returns the minimum of each Z plane of v.
func MinPerPlane[T stack.Elem](ctx context.Context, v *stack.Volume[T]) ([]T, error) {
	return perPlane(ctx, v, minSlice[T])
}

// SumPerPlane returns the float64 sum of each Z plane of v.
func SumPerPlane[T stack.Elem](ctx context.Context, v *stack.Volume[T]) ([]float64, error) {
	return perPlane(ctx, v, sumSlice[T])
}

// MeanPerPlane returns the mean of each Z plane of v.
func MeanPerPlane[T stack.Elem](ctx context.Context, v *stack.Volume[T]) ([]float64, error) {
	n := float64(v.Shape.PlaneLen())
	return perPlane(ctx, v, func(p []T) float64 { return sumSlice(p) / n })
}

// axisReduce reduces v along axis with a float64 accumulator: init is the
// starting value, step folds one element in and fin turns the accumulator
// into the output. The result keeps three axes, the reduced one of extent 1.
func axisReduce[T stack.Elem, U stack.Elem](ctx context.Context, v *stack.Volume[T], axis int, init float64, step func(acc, x float64) float64, fin func(acc float64, n int) U) (*stack.Volume[U], error) {
	if err := checkVolume(v); err != nil {
		return nil, err
	}
	if axis < 0 || axis > 2 {
		return nil, fmt.Errorf("%w: axis %d (want 0, 1 or 2 for Z, Y, X)", ErrInvalid, axis)
	}
	d := v.Shape.Dims()
	n := d[axis]
	d[axis] = 1
	out := stack.New[U](stack.ShapeOf(d))
	// One item per output row (z, y) of the result.
	rows := out.Shape.Z * out.Shape.Y
	acc := make([][]float64, workersFor(len(v.Data), rows))
	for i := range acc {
		acc[i] = make([]float64, out.Shape.X)
	}
	err := forEachItem(ctx, len(acc), rows, func(w, item int) error {
		oz, oy := item/out.Shape.Y, item%out.Shape.Y
		a := acc[w]
		o := out.Row(oz, oy)
		switch axis {
		case 0, 1:
			for i := range a {
				a[i] = init
			}
			for k := range n {
				z, y := oz, oy
				if axis == 0 {
					z = k
				} else {
					y = k
				}
				for i, x := range v.Row(z, y) {
					a[i] = step(a[i], float64(x))
				}
			}
			for i := range o {
				o[i] = fin(a[i], n)
			}
		default:
			r := v.Row(oz, oy)
			t := init
			for _, x := range r {
				t = step(t, float64(x))
			}
			o[0] = fin(t, n)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func stepMax(a, x float64) float64 { return math.Max(a, x) }
func stepMin(a, x float64) float64 { return math.Min(a, x) }
func stepSum(a, x float64) float64 { return a + x }

// MaxAxis returns the maximum of v along axis (0, 1, 2 for Z, Y, X); the
// result has extent 1 along that axis (numpy's keepdims=True).
func MaxAxis[T stack.Elem](ctx context.Context, v *stack.Volume[T], axis int) (*stack.Volume[T], error) {
	return axisReduce(ctx, v, axis, math.Inf(-1), stepMax, func(a float64, _ int) T { return T(a) })
}

// MinAxis returns the minimum of v along axis, keeping that axis with extent 1.
func MinAxis[T stack.Elem](ctx context.Context, v *stack.Volume[T], axis int) (*stack.Volume[T], error) {
	return axisReduce(ctx, v, axis, math.Inf(1), stepMin, func(a float64, _ int) T { return T(a) })
}

// SumAxis returns the sum of v along axis, accumulated in float64 and
// rounded to float32, keeping that axis with extent 1.
func SumAxis[T stack.Elem](ctx context.Context, v *stack.Volume[T], axis int) (*stack.Volume[float32], error) {
	return axisReduce(ctx, v, axis, 0, stepSum, func(a float64, _ int) float32 { return float32(a) })
}

// MeanAxis returns the mean of v along axis, computed in float64 and
// rounded to float32, keeping that axis with extent 1.
func MeanAxis[T stack.Elem](ctx context.Context, v *stack.Volume[T], axis int) (*stack.Volume[float32], error) {
	return axisReduce(ctx, v, axis, 0, stepSum, func(a float64, n int) float32 { return float32(a / float64(n)) })
}
