package kernels_test

import (
	"fmt"

	"github.com/segstack/segstack/kernels"
)

// The summaries of a sum, mean and standard deviation over Z of a block of
// 3 planes of 1×2 pixels, kept as one plane (numpy's keepdims).
func ExampleMomentsAxes() {
	block := []uint16{
		1, 10, // z = 0
		3, 10, // z = 1
		5, 40, // z = 2
	}
	shape, overZ := [3]int{3, 1, 2}, [3]bool{true, false, false}
	sum := make([]uint64, 2)
	if err := kernels.SumAxes(sum, block, shape, overZ); err != nil {
		fmt.Println(err)
		return
	}
	mean, m2, std := make([]float64, 2), make([]float64, 2), make([]float64, 2)
	if err := kernels.MomentsAxes(mean, m2, block, shape, overZ); err != nil {
		fmt.Println(err)
		return
	}
	kernels.StdFromM2(std, m2, 3, 0)
	fmt.Println("sum", sum, "mean", mean, "M2", m2)
	fmt.Printf("std [%.4f %.4f]\n", std[0], std[1])
	// Output:
	// sum [9 60] mean [3 20] M2 [8 600]
	// std [1.6330 14.1421]
}
