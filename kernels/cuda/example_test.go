package cuda_test

import (
	"errors"
	"fmt"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/cuda"
)

// Importing the package registers the "cuda" family. A binary without CUDA
// support says so with an error that matches kernels.ErrNoDevice, and
// Select("auto") then runs on the CPU.
func Example() {
	_, err := kernels.Select("cuda")
	if !cuda.Compiled {
		fmt.Println(errors.Is(err, kernels.ErrNoDevice))
	} else {
		fmt.Println(err == nil || errors.Is(err, kernels.ErrNoDevice))
	}
	b, err := kernels.Select("auto")
	fmt.Println(err, b != nil)
	// Output:
	// true
	// <nil> true
}
