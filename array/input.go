package array

import (
	"context"
	"fmt"

	"github.com/segstack/segstack/stack"
)

// FromSlice wraps data, of the given shape in row-major order, as an array
// with the given chunk shape (nil for one chunk). The data is not copied
// now; each chunk task copies its part when it runs, so data must not change
// until the array has been computed or persisted.
func FromSlice[T stack.Number](data []T, shape, chunk []int) *Array {
	a, err := newArray("array", dtypeOfT[T](), shape, chunk)
	if err != nil {
		return errArray(err)
	}
	if len(data) != a.Size() {
		return errArray(fmt.Errorf("%w: %d elements do not fill shape %v", ErrShape, len(data), shape))
	}
	src := vec[T](data)
	starts := a.chunks.starts()
	layer := newLayer("array")
	for i := range a.blocks {
		idx := a.chunks.coords(i)
		lo := [3]int{starts[0][idx[0]], starts[1][idx[1]], starts[2][idx[2]]}
		n := a.chunks.shapeOf(idx)
		s := a.shape
		a.blocks[i] = &node{layer: layer, fn: func(context.Context, []any) (any, error) {
			out := make(vec[T], n[0]*n[1]*n[2])
			src.copyTo(out, n, [3]int{}, s, lo, [3]int{1, 1, 1}, n)
			return out, nil
		}}
	}
	return a
}

// FromVolume wraps a stack volume as a 3-D array (Z, Y, X) with chunks of
// at most chunk = {cz, cy, cx} elements (nil for one chunk). Like FromSlice
// it does not copy v until the chunk tasks run.
func FromVolume[T stack.Elem](v *stack.Volume[T], chunk []int) *Array {
	if v == nil {
		return errArray(fmt.Errorf("array: nil volume"))
	}
	d := v.Shape.Dims()
	return FromSlice(v.Data, d[:], chunk)
}
