package kernels_test

import (
	"context"
	"fmt"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// twoBlobs is a 7x11 image of two touching bright blobs.
func twoBlobs() *stack.Volume[float32] {
	rows := []string{
		"...........",
		".###...###.",
		"#####.#####",
		"###########",
		"#####.#####",
		".###...###.",
		"...........",
	}
	img := stack.New[float32](stack.Shape{Z: 1, Y: 7, X: 11})
	for y, r := range rows {
		for x, c := range r {
			if c == '#' {
				// brighter towards each blob's centre (columns 2 and 8)
				d := min(abs(x-2), abs(x-8)) + abs(y-3)
				img.Set(0, y, x, float32(10-d))
			}
		}
	}
	return img
}

func abs(a int) int {
	if a < 0 {
		return -a
	}
	return a
}

// Seeds at the local maxima, as skimage.feature.peak_local_max finds them.
func ExamplePeakLocalMax() {
	peaks, err := kernels.PeakLocalMax(context.Background(), twoBlobs(), kernels.PeakOptions{MinDistance: 2})
	if err != nil {
		panic(err)
	}
	fmt.Println(peaks)
	// Output:
	// [[0 3 2] [0 3 8]]
}

// The marker image of the peaks: 1..N at the peaks, 0 elsewhere.
func ExampleMarkers() {
	m := stack.New[uint32](stack.Shape{Z: 1, Y: 2, X: 3})
	if err := kernels.Markers(m, [][3]int{{0, 1, 2}, {0, 0, 0}}); err != nil {
		panic(err)
	}
	fmt.Println(m.Data)
	// Output:
	// [2 0 0 0 0 1]
}

// Split the two touching blobs: flood the inverted image from the peaks
// within the blobs' mask, as skimage.segmentation.watershed(-img, markers,
// mask=img > 0) does.
func ExampleWatershed() {
	ctx := context.Background()
	img := twoBlobs()
	peaks, _ := kernels.PeakLocalMax(ctx, img, kernels.PeakOptions{MinDistance: 2})
	markers := stack.New[uint32](img.Shape)
	_ = kernels.Markers(markers, peaks)
	inv := stack.New[float32](img.Shape)
	mask := stack.New[uint8](img.Shape)
	for i, v := range img.Data {
		inv.Data[i] = -v
		if v > 0 {
			mask.Data[i] = 1
		}
	}
	labels := stack.New[uint32](img.Shape)
	if err := kernels.Watershed(ctx, labels, inv, markers, mask, kernels.Conn4); err != nil {
		panic(err)
	}
	for y := range 7 {
		fmt.Println(labels.Row(0, y))
	}
	// Output:
	// [0 0 0 0 0 0 0 0 0 0 0]
	// [0 1 1 1 0 0 0 2 2 2 0]
	// [1 1 1 1 1 0 2 2 2 2 2]
	// [1 1 1 1 1 1 2 2 2 2 2]
	// [1 1 1 1 1 0 2 2 2 2 2]
	// [0 1 1 1 0 0 0 2 2 2 0]
	// [0 0 0 0 0 0 0 0 0 0 0]
}

// Every plane of a stack flooded on its own, on several goroutines. In the
// second plane the plateau is shared as scikit-image shares it: the first
// marker queued reaches the middle first.
func ExampleWatershedPlanes() {
	ctx := context.Background()
	s := stack.Shape{Z: 2, Y: 1, X: 5}
	img, _ := stack.FromSlice(s, []float32{0, 1, 2, 1, 0, 0, 1, 1, 1, 0})
	markers, _ := stack.FromSlice(s, []uint32{1, 0, 0, 0, 2, 3, 0, 0, 0, 4})
	labels := stack.New[uint32](s)
	if err := kernels.WatershedPlanes(ctx, labels, img, markers, nil, kernels.Conn4, 0); err != nil {
		panic(err)
	}
	fmt.Println(labels.Data)
	// Output:
	// [1 1 1 2 2 3 3 3 4 4]
}

// The same split in one call, straight from the peaks: the flood is
// bounded by img > 0 without a mask image, and objects of fewer than 22
// pixels are dropped (the right blob has 21), the others numbered in
// raster order, as Markers, WatershedNegated and FilterBySize would give.
func ExampleWatershedSplit() {
	ctx := context.Background()
	img := twoBlobs()
	peaks, _ := kernels.PeakLocalMax(ctx, img, kernels.PeakOptions{MinDistance: 2})
	labels := stack.New[uint32](img.Shape)
	n, err := kernels.WatershedSplit(ctx, labels, img, peaks, nil, kernels.Conn4,
		kernels.WatershedSplitOptions{Negate: true, MaskAbove: true, Above: 0, MinSize: 22})
	if err != nil {
		panic(err)
	}
	fmt.Println(n)
	for y := range 7 {
		fmt.Println(labels.Row(0, y))
	}
	// Output:
	// 1
	// [0 0 0 0 0 0 0 0 0 0 0]
	// [0 1 1 1 0 0 0 0 0 0 0]
	// [1 1 1 1 1 0 0 0 0 0 0]
	// [1 1 1 1 1 1 0 0 0 0 0]
	// [1 1 1 1 1 0 0 0 0 0 0]
	// [0 1 1 1 0 0 0 0 0 0 0]
	// [0 0 0 0 0 0 0 0 0 0 0]
}
