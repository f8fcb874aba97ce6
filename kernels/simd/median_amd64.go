//go:build amd64 && !noasm

package simd

//go:noescape
func median3x3U8AVX2(out, a, b, c *uint8, n int)

//go:noescape
func median3x3F32AVX2(out, a, b, c *float32, n int)

// vecMedian3x3U8 runs the vector network over a prefix of out (a multiple
// of 32 samples) and returns its length (0 on the Go path).
func vecMedian3x3U8(out, a, b, c []uint8) int {
	n := len(out) &^ 31
	if n == 0 || !vectorPath() {
		return 0
	}
	median3x3U8AVX2(&out[0], &a[0], &b[0], &c[0], n)
	return n
}

// vecMedian3x3F32 is vecMedian3x3U8 for float32 (multiples of 8).
func vecMedian3x3F32(out, a, b, c []float32) int {
	n := len(out) &^ 7
	if n == 0 || !vectorPath() {
		return 0
	}
	median3x3F32AVX2(&out[0], &a[0], &b[0], &c[0], n)
	return n
}
