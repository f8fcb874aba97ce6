package kernels_test

import (
	"context"
	"fmt"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// Two separate pairs of touching blobs: the mask has two components,
// flooded as two tasks, with the result Watershed gives on the whole image.
func ExampleWatershedParallel() {
	ctx := context.Background()
	one := twoBlobs()
	s := stack.Shape{Z: 1, Y: 2*one.Shape.Y + 1, X: one.Shape.X}
	img := stack.New[float32](s)
	copy(img.Data, one.Data)
	copy(img.Data[(one.Shape.Y+1)*s.X:], one.Data)
	mask := stack.New[uint8](s)
	markers := stack.New[uint32](s)
	for i, v := range img.Data {
		if v > 0 {
			mask.Data[i] = 1
		}
		if v == 10 { // the blobs' centres, seeds of distinct labels
			markers.Data[i] = uint32(len(markers.Data) - i)
			if i%s.X > s.X/2 {
				// Seeds of one component at one value would leave the
				// queue in the binary heap's order, which only a flood
				// of the whole image gives.
				img.Data[i] = 10.5
			}
		}
	}
	// Seeds at the peaks: flood the negated image.
	par := stack.New[uint32](s)
	if err := kernels.WatershedParallel(ctx, par, img, markers, mask, kernels.Conn4, true, 2); err != nil {
		fmt.Println(err)
		return
	}
	whole := stack.New[uint32](s)
	if err := kernels.WatershedNegated(ctx, whole, img, markers, mask, kernels.Conn4); err != nil {
		fmt.Println(err)
		return
	}
	same := true
	for i := range par.Data {
		same = same && par.Data[i] == whole.Data[i]
	}
	labels := map[uint32]bool{}
	for _, l := range par.Data {
		if l != 0 {
			labels[l] = true
		}
	}
	fmt.Println("objects:", len(labels), "equal to the whole-image flood:", same)
	// Output:
	// objects: 4 equal to the whole-image flood: true
}
