package simd_test

import (
	"fmt"

	"github.com/segstack/segstack/kernels/simd"
)

// ConvRow correlates a row with a symmetric kernel given as its taps for
// offsets 0..r (here r = 1: weights 0.25, 0.5, 0.25); src carries r
// samples of halo on each side. It returns the maximum of what it wrote.
// Every path (AVX-512, AVX2, Go) gives the same bits.
func ExampleConvRow() {
	src := []float32{0, 0, 4, 8, 4, 0, 0}
	dst := make([]float32, len(src)-2)
	m := simd.ConvRow(dst, src, []float32{0.5, 0.25})
	fmt.Println(dst, m)
	// Output:
	// [1 4 6 4 1] 6
}

// Paths lists the code paths this CPU can run, widest first, ending with
// the pure-Go one; Use switches between them (tests compare every path).
func ExamplePaths() {
	paths := simd.Paths()
	fmt.Println(paths[len(paths)-1])
	prev, err := simd.Use(simd.PathGo)
	fmt.Println(simd.Path(), err)
	simd.Use(prev)
	// Output:
	// go
	// go <nil>
}
