package stack_test

import (
	"fmt"

	"github.com/segstack/segstack/stack"
)

// A volume is Z planes of Y rows of X samples, stored in one slice; planes
// and rows are views into it.
func ExampleNew() {
	v := stack.New[uint16](stack.Shape{Z: 2, Y: 3, X: 4})
	v.Set(1, 2, 3, 500)
	fmt.Println(v.Shape, v.DType(), len(v.Data))
	fmt.Println(v.Plane(1)[2*4+3], v.Row(1, 2))
	// Output:
	// 2x3x4 uint16 24
	// 500 [0 0 0 500]
}

// A grid cuts a volume into chunks, like dask's chunks=(1, 256, 256); the
// chunks at the far edges are smaller.
func ExampleNewGrid() {
	g, err := stack.NewGrid(stack.Shape{Z: 2, Y: 5, X: 5}, stack.Shape{Z: 1, Y: 4, X: 4})
	if err != nil {
		panic(err)
	}
	fmt.Println(g.Counts(), g.Len())
	for i, b := range g.Boxes() {
		if i < 4 {
			fmt.Println(b, b.Shape())
		}
	}
	// Output:
	// [2 2 2] 8
	// [0:1, 0:4, 0:4] 1x4x4
	// [0:1, 0:4, 4:5] 1x4x1
	// [0:1, 4:5, 0:4] 1x1x4
	// [0:1, 4:5, 4:5] 1x1x1
}

// Boundary modes map an index outside [0, n) back inside, as
// scipy.ndimage's modes do; constant has no sample there.
func ExampleMode_MapIndex() {
	for _, m := range []stack.Mode{stack.Reflect, stack.Mirror, stack.Nearest, stack.Wrap, stack.Constant} {
		j, ok := m.MapIndex(-2, 5)
		fmt.Println(m, j, ok)
	}
	// Output:
	// reflect 1 true
	// mirror 2 true
	// nearest 0 true
	// wrap 3 true
	// constant 0 false
}

// A tile with a halo of 1 sample on Y and X, filled by the reflect mode at
// the volume's edges, is what a filter of radius 1 reads to make the tile.
func ExampleExtractTile() {
	v := stack.New[int32](stack.Shape{Z: 1, Y: 3, X: 3})
	for i := range v.Data {
		v.Data[i] = int32(i)
	}
	b := stack.Box{Lo: [3]int{0, 0, 0}, Hi: [3]int{1, 2, 2}}
	tile, err := stack.ExtractTile(v, b, [3]int{0, 1, 1}, stack.Reflect, 0, nil)
	if err != nil {
		panic(err)
	}
	for y := range tile.Shape.Y {
		fmt.Println(tile.Row(0, y))
	}
	// Output:
	// [0 0 1 2]
	// [0 0 1 2]
	// [3 3 4 5]
	// [6 6 7 8]
}
