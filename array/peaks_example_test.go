package array_test

import (
	"context"
	"fmt"

	"github.com/segstack/segstack/array"
	"github.com/segstack/segstack/kernels"
)

// Two bright spots in an 8×8 image held in 4×4 chunks, one of them on a
// chunk corner: the peaks are those of kernels.PeakLocalMax on the whole
// image, strongest first.
func ExamplePeakLocalMax() {
	img := make([]float32, 64)
	img[2*8+2] = 5 // (2, 2)
	img[4*8+4] = 9 // (4, 4), the first pixel of the last chunk
	img[4*8+5] = 8 // within min_distance of (4, 4): not a peak
	a := array.FromSlice(img, []int{8, 8}, []int{4, 4})
	peaks, err := array.PeakLocalMax(context.Background(), nil, a, kernels.PeakOptions{MinDistance: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range peaks {
		fmt.Println(p[1:])
	}
	// Output:
	// [4 4]
	// [2 2]
}
