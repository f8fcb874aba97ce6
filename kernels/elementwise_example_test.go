package kernels_test

import (
	"fmt"

	"github.com/segstack/segstack/kernels"
)

// A lazy array's (a.astype(float32) * 0.5 > 100) on one chunk: convert,
// scale and compare, each a pass over the chunk.
func ExampleArith() {
	raw := []uint16{100, 250, 180, 40, 330}
	f := make([]float32, len(raw))
	kernels.Convert(f, raw)
	if err := kernels.ArithScalar(kernels.OpMul, f, f, 0.5); err != nil {
		fmt.Println(err)
		return
	}
	mask := make([]uint8, len(f))
	if err := kernels.CompareScalar(kernels.CmpGt, mask, f, 100); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f, mask)
	// Integers wrap, as in numpy.
	u8 := []uint8{250, 10}
	_ = kernels.Arith(kernels.OpAdd, u8, u8, []uint8{10, 10})
	fmt.Println(u8)
	// Output:
	// [50 125 90 20 165] [0 1 0 0 1]
	// [4 20]
}
