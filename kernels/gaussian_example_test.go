package kernels_test

import (
	"context"
	"fmt"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// The reference workload on one plane: smooth, take 0.33 of the maximum
// (returned by the filter itself) and threshold.
func ExampleGaussian() {
	ctx := context.Background()
	src := stack.New[float32](stack.Shape{Z: 1, Y: 5, X: 5})
	src.Set(0, 2, 2, 100)
	smooth := stack.New[float32](src.Shape)
	max, err := kernels.Gaussian(ctx, smooth, src, kernels.GaussianOptions{Sigma: [3]float64{0, 1, 1}})
	if err != nil {
		panic(err)
	}
	spec, _ := kernels.ParseThreshold("0.33max")
	mask := stack.New[uint8](src.Shape)
	if err := kernels.Threshold(ctx, mask, smooth, spec.Resolve(smooth.Data, max)); err != nil {
		panic(err)
	}
	fmt.Printf("max %.3f\n", max)
	for y := range 5 {
		fmt.Println(mask.Row(0, y))
	}
	// Output:
	// max 15.916
	// [0 0 0 0 0]
	// [0 1 1 1 0]
	// [0 1 1 1 0]
	// [0 1 1 1 0]
	// [0 0 0 0 0]
}

// Kernel1D gives scipy's weights, centre in the middle.
func ExampleKernel1D() {
	k := kernels.Kernel1D(1, 4)
	fmt.Println(len(k), kernels.Radius(1, 4))
	fmt.Printf("%.6f %.6f\n", k[4], k[3])
	// Output:
	// 9 4
	// 0.398943 0.241971
}
