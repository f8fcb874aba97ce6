package array_test

import (
	"context"
	"fmt"

	"github.com/segstack/segstack/array"
	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// filtersInput is a 2-D uint8 array in 16 chunks of 16×16.
func filtersInput() *array.Array {
	return array.Random([]int{64, 64}, []int{16, 16}, 3).Mul(255).Astype(stack.Uint8)
}

// sameAsWhole computes a chunked result and the same filter on one chunk,
// and says whether they agree everywhere.
func sameAsWhole(chunked, whole *array.Array) bool {
	r, err := chunked.Eq(whole).Min().Compute(context.Background(), nil)
	if err != nil {
		fmt.Println(err)
		return false
	}
	v, _ := r.Scalar()
	return v == 1
}

// dask_image.ndfilters.median_filter(x, size=3): halos of one sample, and
// the same result as on the whole array.
func ExampleMedianFilter() {
	x := filtersInput()
	opt := kernels.FilterOptions{Size: [3]int{1, 3, 3}}
	m := array.MedianFilter(x, opt)
	fmt.Println(m.DType(), m.NumChunks(), "chunks, same as whole:", sameAsWhole(m, array.MedianFilter(x.Rechunk([]int{64, 64}), opt)))
	// Output:
	// uint8 16 chunks, same as whole: true
}

// uniform_filter(x, size=5, mode="constant", cval=7): one pass per axis,
// each with its own halo.
func ExampleUniformFilter() {
	x := filtersInput()
	opt := kernels.FilterOptions{Size: [3]int{1, 5, 5}, Mode: stack.Constant, Cval: 7}
	u := array.UniformFilter(x, opt)
	fmt.Println(u.DType(), "same as whole:", sameAsWhole(u, array.UniformFilter(x.Rechunk([]int{64, 64}), opt)))
	// Output:
	// uint8 same as whole: true
}

// minimum_filter with a footprint, and maximum_filter with a box.
func ExampleMinimumFilter() {
	x := filtersInput()
	cross := &kernels.Footprint{Shape: stack.Shape{Z: 1, Y: 3, X: 3}, Mask: []bool{false, true, false, true, true, true, false, true, false}}
	lo := array.MinimumFilter(x, kernels.FilterOptions{Footprint: cross})
	hi := array.MaximumFilter(x, kernels.FilterOptions{Size: [3]int{1, 3, 3}})
	r, _ := hi.Sub(lo).Min().Compute(context.Background(), nil)
	v, _ := r.Scalar()
	fmt.Println("max - min >= 0 everywhere:", v >= 0)
	// Output:
	// max - min >= 0 everywhere: true
}

// MaximumFilter is scipy's maximum_filter; here over a 3-D array chunked
// by planes, whose Z halo comes from the neighbouring planes.
func ExampleMaximumFilter() {
	x := array.Random([]int{6, 20, 20}, []int{1, 10, 10}, 1).Astype(stack.Float32)
	opt := kernels.FilterOptions{Size: [3]int{3, 3, 3}, Mode: stack.Nearest}
	m := array.MaximumFilter(x, opt)
	fmt.Println(m.Shape(), "same as whole:", sameAsWhole(m, array.MaximumFilter(x.Rechunk([]int{6, 20, 20}), opt)))
	// Output:
	// [6 20 20] same as whole: true
}

// sobel and prewitt along X, and laplace, of a float32 array.
func ExampleSobel() {
	x := filtersInput().Astype(stack.Float32)
	whole := x.Rechunk([]int{64, 64})
	opt := kernels.FilterOptions{Mode: stack.Reflect}
	fmt.Println("sobel:", sameAsWhole(array.Sobel(x, 2, opt), array.Sobel(whole, 2, opt)))
	fmt.Println("prewitt:", sameAsWhole(array.Prewitt(x, 2, opt), array.Prewitt(whole, 2, opt)))
	fmt.Println("laplace:", sameAsWhole(array.Laplace(x, opt), array.Laplace(whole, opt)))
	// Output:
	// sobel: true
	// prewitt: true
	// laplace: true
}

// Prewitt is scipy's prewitt; with a per-plane filter of a 3-D array, only
// Y and X are filtered.
func ExamplePrewitt() {
	x := array.Random([]int{4, 32, 32}, []int{1, 16, 16}, 2).Astype(stack.Float32)
	opt := kernels.FilterOptions{PerPlane: true}
	p := array.Prewitt(x, 1, opt)
	fmt.Println("same as whole:", sameAsWhole(p, array.Prewitt(x.Rechunk([]int{4, 32, 32}), 1, opt)))
	// Output:
	// same as whole: true
}

// Laplace is scipy's laplace, one pass with a halo of 1.
func ExampleLaplace() {
	x := filtersInput().Astype(stack.Float32)
	l := array.Laplace(x, kernels.FilterOptions{Mode: stack.Wrap})
	fmt.Println("same as whole:", sameAsWhole(l, array.Laplace(x.Rechunk([]int{64, 64}), kernels.FilterOptions{Mode: stack.Wrap})))
	// Output:
	// same as whole: true
}

// correlate and convolve with a 3×3 kernel, correlate1d and convolve1d
// with a 1-D one.
func ExampleCorrelate() {
	x := filtersInput().Astype(stack.Float32)
	whole := x.Rechunk([]int{64, 64})
	w := &kernels.Weights{Shape: stack.Shape{Z: 1, Y: 3, X: 3}, W: []float64{0, 1, 0, 1, -4, 1, 0, 1, 2}}
	opt := kernels.FilterOptions{Mode: stack.Mirror}
	fmt.Println("correlate:", sameAsWhole(array.Correlate(x, w, opt), array.Correlate(whole, w, opt)))
	fmt.Println("convolve:", sameAsWhole(array.Convolve(x, w, opt), array.Convolve(whole, w, opt)))
	fmt.Println("correlate1d:", sameAsWhole(array.Correlate1D(x, []float64{1, 2, 3, 4}, 1, opt), array.Correlate1D(whole, []float64{1, 2, 3, 4}, 1, opt)))
	fmt.Println("convolve1d:", sameAsWhole(array.Convolve1D(x, []float64{1, 2, 3, 4}, 2, opt), array.Convolve1D(whole, []float64{1, 2, 3, 4}, 2, opt)))
	// Output:
	// correlate: true
	// convolve: true
	// correlate1d: true
	// convolve1d: true
}

// Convolve is scipy's convolve: the weights mirrored.
func ExampleConvolve() {
	x := array.FromSlice([]float32{0, 0, 1, 0, 0}, []int{5}, []int{2})
	w := &kernels.Weights{Shape: stack.Shape{Z: 1, Y: 1, X: 3}, W: []float64{1, 2, 3}}
	r, _ := array.Convolve(x, w, kernels.FilterOptions{}).Compute(context.Background(), nil)
	fmt.Println(r.Float64s())
	// Output:
	// [0 1 2 3 0]
}

// Correlate1D is scipy's correlate1d along one axis.
func ExampleCorrelate1D() {
	x := array.FromSlice([]float32{0, 0, 1, 0, 0}, []int{5}, []int{2})
	r, _ := array.Correlate1D(x, []float64{1, 2, 3}, 2, kernels.FilterOptions{}).Compute(context.Background(), nil)
	fmt.Println(r.Float64s())
	// Output:
	// [0 3 2 1 0]
}

// Convolve1D is scipy's convolve1d.
func ExampleConvolve1D() {
	x := array.FromSlice([]float32{0, 0, 1, 0, 0}, []int{5}, []int{2})
	r, _ := array.Convolve1D(x, []float64{1, 2, 3}, 2, kernels.FilterOptions{}).Compute(context.Background(), nil)
	fmt.Println(r.Float64s())
	// Output:
	// [0 1 2 3 0]
}

// gaussian_laplace and gaussian_gradient_magnitude, float32 results, each
// 1-D pass with the Gaussian's radius as halo.
func ExampleGaussianLaplace() {
	x := filtersInput()
	opt := kernels.GaussDerivOptions{Sigma: [3]float64{0, 2, 2}}
	g := array.GaussianLaplace(x, opt)
	fmt.Println(g.DType(), "same as whole:", sameAsWhole(g, array.GaussianLaplace(x.Rechunk([]int{64, 64}), opt)))
	// Output:
	// float32 same as whole: true
}

// GaussianGradientMagnitude is scipy's gaussian_gradient_magnitude.
func ExampleGaussianGradientMagnitude() {
	x := filtersInput()
	opt := kernels.GaussDerivOptions{Sigma: [3]float64{0, 1.5, 1.5}, Mode: stack.Nearest}
	g := array.GaussianGradientMagnitude(x, opt)
	fmt.Println(g.DType(), "same as whole:", sameAsWhole(g, array.GaussianGradientMagnitude(x.Rechunk([]int{64, 64}), opt)))
	// Output:
	// float32 same as whole: true
}
