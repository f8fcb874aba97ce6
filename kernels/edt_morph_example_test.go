package kernels_test

import (
	"context"
	"fmt"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// plane makes a one-plane (2-D) uint8 volume from rows.
func plane(rows ...[]uint8) *stack.Volume[uint8] {
	v := stack.New[uint8](stack.Shape{Z: 1, Y: len(rows), X: len(rows[0])})
	for y, r := range rows {
		copy(v.Row(0, y), r)
	}
	return v
}

func printRows[T stack.Elem](v *stack.Volume[T]) {
	for y := range v.Shape.Y {
		fmt.Println(v.Row(0, y))
	}
}

// scipy.ndimage.distance_transform_edt(mask, sampling=(1, 2)).
func ExampleEDT() {
	m := plane(
		[]uint8{1, 1, 1, 1, 0},
		[]uint8{1, 1, 1, 1, 1},
		[]uint8{0, 1, 1, 1, 1},
	)
	d := stack.New[float32](m.Shape)
	if err := kernels.EDT(context.Background(), d, m, [3]float64{0, 1, 2}); err != nil {
		fmt.Println(err)
		return
	}
	printRows(d)
	// Output:
	// [2 2.828427 4 2 0]
	// [1 2.236068 4.1231055 2.236068 1]
	// [0 2 4 2.828427 2]
}

var blob = [][]uint8{
	{0, 0, 0, 0, 0, 0},
	{0, 1, 1, 1, 1, 0},
	{0, 1, 1, 1, 1, 1},
	{0, 1, 1, 1, 1, 0},
	{0, 0, 0, 0, 0, 0},
}

// scipy.ndimage.binary_erosion with the 3×3 box (connectivity 8).
func ExampleBinaryErosion() {
	m := plane(blob...)
	out := stack.New[uint8](m.Shape)
	_ = kernels.BinaryErosion(context.Background(), out, m, kernels.MorphOptions{Conn: kernels.Conn8, Iterations: 1})
	printRows(out)
	// Output:
	// [0 0 0 0 0 0]
	// [0 0 0 0 0 0]
	// [0 0 1 1 0 0]
	// [0 0 0 0 0 0]
	// [0 0 0 0 0 0]
}

// scipy.ndimage.binary_dilation with the cross (connectivity 4) and
// border_value=0.
func ExampleBinaryDilation() {
	m := plane([]uint8{0, 0, 0, 0}, []uint8{0, 1, 0, 0}, []uint8{0, 0, 0, 0})
	out := stack.New[uint8](m.Shape)
	_ = kernels.BinaryDilation(context.Background(), out, m, kernels.MorphOptions{Conn: kernels.Conn4, Iterations: 1})
	printRows(out)
	// Output:
	// [0 1 0 0]
	// [1 1 1 0]
	// [0 1 0 0]
}

// scipy.ndimage.binary_opening with the 3×3 box removes the spur at the
// right.
func ExampleBinaryOpening() {
	m := plane(blob...)
	out := stack.New[uint8](m.Shape)
	_ = kernels.BinaryOpening(context.Background(), out, m, kernels.MorphOptions{Conn: kernels.Conn8, Iterations: 1})
	printRows(out)
	// Output:
	// [0 0 0 0 0 0]
	// [0 1 1 1 1 0]
	// [0 1 1 1 1 0]
	// [0 1 1 1 1 0]
	// [0 0 0 0 0 0]
}

// scipy.ndimage.binary_closing with the 3×3 box bridges a one-voxel gap
// (border_value=0 erodes the voxels on the edge).
func ExampleBinaryClosing() {
	m := plane(
		[]uint8{0, 0, 0, 0, 0, 0, 0},
		[]uint8{0, 1, 1, 0, 1, 1, 0},
		[]uint8{0, 0, 0, 0, 0, 0, 0},
	)
	out := stack.New[uint8](m.Shape)
	_ = kernels.BinaryClosing(context.Background(), out, m, kernels.MorphOptions{Conn: kernels.Conn8, Iterations: 1})
	printRows(out)
	// Output:
	// [0 0 0 0 0 0 0]
	// [0 1 1 1 1 1 0]
	// [0 0 0 0 0 0 0]
}

// scipy.ndimage.binary_fill_holes: the enclosed zero is filled, the open
// one on the edge is not.
func ExampleFillHoles() {
	m := plane(
		[]uint8{1, 1, 1, 0, 1},
		[]uint8{1, 0, 1, 1, 0},
		[]uint8{1, 1, 1, 0, 1},
	)
	out := stack.New[uint8](m.Shape)
	_ = kernels.FillHoles(context.Background(), out, m, kernels.Conn4)
	printRows(out)
	// Output:
	// [1 1 1 0 1]
	// [1 1 1 1 0]
	// [1 1 1 0 1]
}

// skimage.morphology.remove_small_objects(mask, min_size=3): the pair goes;
// with connectivity 8 the diagonal triple stays.
func ExampleRemoveSmallObjects() {
	m := plane(
		[]uint8{1, 1, 0, 0, 1},
		[]uint8{0, 0, 0, 1, 0},
		[]uint8{0, 0, 1, 0, 0},
	)
	out := stack.New[uint8](m.Shape)
	_ = kernels.RemoveSmallObjects(context.Background(), out, m, 3, kernels.Conn8)
	printRows(out)
	// Output:
	// [0 0 0 0 1]
	// [0 0 0 1 0]
	// [0 0 1 0 0]
}

// skimage.morphology.remove_small_holes(mask, area_threshold=2): holes of
// one voxel fill, the larger one stays.
func ExampleRemoveSmallHoles() {
	m := plane(
		[]uint8{1, 1, 1, 1, 1, 1, 1},
		[]uint8{1, 0, 1, 0, 0, 0, 1},
		[]uint8{1, 1, 1, 1, 1, 1, 1},
	)
	out := stack.New[uint8](m.Shape)
	_ = kernels.RemoveSmallHoles(context.Background(), out, m, 2, kernels.Conn4)
	printRows(out)
	// Output:
	// [1 1 1 1 1 1 1]
	// [1 1 1 0 0 0 1]
	// [1 1 1 1 1 1 1]
}

// FilterBySize keeps objects of 2 to 3 voxels and renumbers them in raster
// order of their first voxel.
func ExampleFilterBySize() {
	v := stack.New[uint32](stack.Shape{Z: 1, Y: 2, X: 6})
	copy(v.Data, []uint32{
		9, 9, 0, 4, 0, 7,
		9, 9, 0, 4, 0, 0,
	})
	n, err := kernels.FilterBySize(context.Background(), v, 2, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n, v.Data)
	// Output:
	// 1 [0 0 0 1 0 0 0 0 0 1 0 0]
}
