package kernels_test

import (
	"context"
	"fmt"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// filterPlane is a 1×4×5 uint8 image (a single plane is filtered in 2-D).
func filterPlane() *stack.Volume[uint8] {
	v, _ := stack.FromSlice(stack.Shape{Z: 1, Y: 4, X: 5}, []uint8{
		10, 200, 30, 40, 50,
		60, 70, 80, 90, 0,
		110, 120, 255, 140, 150,
		5, 170, 180, 190, 200,
	})
	return v
}

func show[T stack.Elem](v *stack.Volume[T]) {
	for y := range v.Shape.Y {
		fmt.Println(v.Row(0, y))
	}
}

// scipy.ndimage.median_filter(a, size=3): salt-and-pepper noise removed,
// the type kept.
func ExampleMedianFilter() {
	src, dst := filterPlane(), stack.New[uint8](stack.Shape{Z: 1, Y: 4, X: 5})
	if err := kernels.MedianFilter(context.Background(), dst, src, kernels.FilterOptions{Size: [3]int{1, 3, 3}}); err != nil {
		panic(err)
	}
	show(dst)
	// Output:
	// [60 60 70 40 50]
	// [70 80 90 80 50]
	// [70 110 140 150 150]
	// [110 170 180 190 190]
}

// scipy.ndimage.minimum_filter(a, footprint=cross, mode="constant",
// cval=255): a footprint instead of a box.
func ExampleMinimumFilter() {
	src, dst := filterPlane(), stack.New[uint8](stack.Shape{Z: 1, Y: 4, X: 5})
	cross := &kernels.Footprint{Shape: stack.Shape{Z: 1, Y: 3, X: 3}, Mask: []bool{false, true, false, true, true, true, false, true, false}}
	opt := kernels.FilterOptions{Footprint: cross, Mode: stack.Constant, Cval: 255}
	if err := kernels.MinimumFilter(context.Background(), dst, src, opt); err != nil {
		panic(err)
	}
	show(dst)
	// Output:
	// [10 10 30 30 0]
	// [10 60 30 0 0]
	// [5 70 80 90 0]
	// [5 5 170 140 150]
}

// scipy.ndimage.maximum_filter(a, size=(1, 2), mode="nearest"): an even
// window, placed by scipy's rule (the extra sample on the left).
func ExampleMaximumFilter() {
	src, dst := filterPlane(), stack.New[uint8](stack.Shape{Z: 1, Y: 4, X: 5})
	if err := kernels.MaximumFilter(context.Background(), dst, src, kernels.FilterOptions{Size: [3]int{1, 1, 2}, Mode: stack.Nearest}); err != nil {
		panic(err)
	}
	show(dst)
	// Output:
	// [10 200 200 40 50]
	// [60 70 80 90 90]
	// [110 120 255 255 150]
	// [5 170 180 190 200]
}

// scipy.ndimage.uniform_filter(a, size=3) on uint8: float64 running means
// truncated into uint8 after each axis, as scipy stores them.
func ExampleUniformFilter() {
	src, dst := filterPlane(), stack.New[uint8](stack.Shape{Z: 1, Y: 4, X: 5})
	if err := kernels.UniformFilter(context.Background(), dst, src, kernels.FilterOptions{Size: [3]int{1, 3, 3}}); err != nil {
		panic(err)
	}
	show(dst)
	// Output:
	// [69 76 86 45 40]
	// [83 103 113 92 74]
	// [78 116 143 142 124]
	// [77 132 177 187 179]
}

// scipy.ndimage.sobel(a.astype(np.float32), axis=-1): the X derivative.
func ExampleSobel() {
	src := stack.Convert[float32](filterPlane())
	dst := stack.New[float32](src.Shape)
	if err := kernels.Sobel(context.Background(), dst, src, 2, kernels.FilterOptions{}); err != nil {
		panic(err)
	}
	show(dst)
	// Output:
	// [580 80 -460 -20 -60]
	// [220 205 -100 -245 -160]
	// [195 485 80 -270 -60]
	// [505 670 80 -45 40]
}

// scipy.ndimage.prewitt(a.astype(np.float32), axis=0): the Y derivative.
func ExamplePrewitt() {
	src := stack.Convert[float32](filterPlane())
	dst := stack.New[float32](src.Shape)
	if err := kernels.Prewitt(context.Background(), dst, src, 1, kernels.FilterOptions{}); err != nil {
		panic(err)
	}
	show(dst)
	// Output:
	// [-30 -30 -30 50 -50]
	// [120 245 245 425 300]
	// [-10 145 300 400 500]
	// [-160 -130 25 25 150]
}

// scipy.ndimage.laplace(a.astype(np.float32), mode="wrap").
func ExampleLaplace() {
	src := stack.Convert[float32](filterPlane())
	dst := stack.New[float32](src.Shape)
	if err := kernels.Laplace(context.Background(), dst, src, kernels.FilterOptions{Mode: stack.Wrap}); err != nil {
		panic(err)
	}
	show(dst)
	// Output:
	// [275 -520 380 200 50]
	// [-50 180 125 -100 350]
	// [-105 125 -500 125 -150]
	// [470 -175 -75 -200 -405]
}

// scipy.ndimage.correlate1d(a, [1, -1], axis=-1, output=np.float32) and
// convolve1d, which reverses the weights and mirrors the origin.
func ExampleCorrelate1D() {
	src := filterPlane()
	ctx := context.Background()
	c, v := stack.New[float32](src.Shape), stack.New[float32](src.Shape)
	if err := kernels.Correlate1D(ctx, c, src, []float64{1, -1}, 2, kernels.FilterOptions{}); err != nil {
		panic(err)
	}
	if err := kernels.Convolve1D(ctx, v, src, []float64{1, -1}, 2, kernels.FilterOptions{}); err != nil {
		panic(err)
	}
	fmt.Println(c.Row(0, 0), v.Row(0, 0))
	// Output:
	// [0 -190 170 -10 -10] [190 -170 10 10 0]
}

// scipy.ndimage.correlate(a, w, output=np.float32) with a 3×3 kernel, and
// convolve, its mirror image.
func ExampleCorrelate() {
	src := filterPlane()
	w := &kernels.Weights{Shape: stack.Shape{Z: 1, Y: 3, X: 3}, W: []float64{0, 0, 0, 0, 1, 2, 0, 0, 0}}
	ctx := context.Background()
	c, v := stack.New[float32](src.Shape), stack.New[float32](src.Shape)
	if err := kernels.Correlate(ctx, c, src, w, kernels.FilterOptions{Mode: stack.Constant}); err != nil {
		panic(err)
	}
	if err := kernels.Convolve(ctx, v, src, w, kernels.FilterOptions{Mode: stack.Constant}); err != nil {
		panic(err)
	}
	fmt.Println(c.Row(0, 0), v.Row(0, 0))
	// Output:
	// [410 260 110 140 50] [10 220 430 100 130]
}

// scipy.ndimage.gaussian_laplace(a, sigma=1, output=np.float32): a blob
// detector's response, negative on bright spots.
func ExampleGaussianLaplace() {
	src := stack.New[uint8](stack.Shape{Z: 1, Y: 5, X: 5})
	src.Set(0, 2, 2, 100)
	dst := stack.New[float32](src.Shape)
	if err := kernels.GaussianLaplace(context.Background(), dst, src, kernels.GaussDerivOptions{Sigma: [3]float64{0, 1, 1}}); err != nil {
		panic(err)
	}
	fmt.Printf("centre %.4f, corner %.4f\n", dst.At(0, 2, 2), dst.At(0, 0, 0))
	// Output:
	// centre -31.8312, corner 2.3069
}

// scipy.ndimage.gaussian_gradient_magnitude(a, sigma=1,
// output=np.float32): edge strength, zero at the centre of a symmetric
// spot.
func ExampleGaussianGradientMagnitude() {
	src := stack.New[uint8](stack.Shape{Z: 1, Y: 5, X: 5})
	src.Set(0, 2, 2, 100)
	dst := stack.New[float32](src.Shape)
	if err := kernels.GaussianGradientMagnitude(context.Background(), dst, src, kernels.GaussDerivOptions{Sigma: [3]float64{0, 1, 1}}); err != nil {
		panic(err)
	}
	fmt.Printf("centre %.4f, next %.4f\n", dst.At(0, 2, 2), dst.At(0, 2, 3))
	// Output:
	// centre 0.0000, next 9.6319
}

// The weights scipy's gaussian_filter1d correlates with for a first
// derivative (sigma 1, truncate 2): _gaussian_kernel1d(1, 1, 2)[::-1].
func ExampleGaussianKernel1D() {
	for _, w := range kernels.GaussianKernel1D(1, 1, 2) {
		fmt.Printf("%.5f ", w)
	}
	fmt.Println()
	// Output:
	// -0.10898 -0.24420 0.00000 0.24420 0.10898
}

// scipy.ndimage.convolve1d(a, [1, 2, 3], axis=0, mode="constant",
// output=np.float32): the weights reversed, along Y.
func ExampleConvolve1D() {
	src := filterPlane()
	dst := stack.New[float32](src.Shape)
	if err := kernels.Convolve1D(context.Background(), dst, src, []float64{1, 2, 3}, 1, kernels.FilterOptions{Mode: stack.Constant}); err != nil {
		panic(err)
	}
	fmt.Println(dst.Row(0, 0))
	// Output:
	// [80 470 140 170 100]
}

// scipy.ndimage.convolve(a, w, mode="nearest", output=np.float32) with a
// 2x2 kernel: an even extent, whose origin scipy shifts.
func ExampleConvolve() {
	src := filterPlane()
	w := &kernels.Weights{Shape: stack.Shape{Z: 1, Y: 2, X: 2}, W: []float64{1, 0, 0, -1}}
	dst := stack.New[float32](src.Shape)
	if err := kernels.Convolve(context.Background(), dst, src, w, kernels.FilterOptions{Mode: stack.Nearest}); err != nil {
		panic(err)
	}
	fmt.Println(dst.Row(0, 0))
	// Output:
	// [60 -120 60 -40 -50]
}

// Box is a full footprint; with it the rank filters take their separable
// path, as scipy does for an all-true footprint.
func ExampleBox() {
	src, dst := filterPlane(), stack.New[uint8](stack.Shape{Z: 1, Y: 4, X: 5})
	if err := kernels.MaximumFilter(context.Background(), dst, src, kernels.FilterOptions{Footprint: kernels.Box(1, 3, 1)}); err != nil {
		panic(err)
	}
	fmt.Println(dst.Row(0, 0))
	// Output:
	// [60 200 80 90 50]
}
