//go:build amd64 && !noasm

package simd

//go:noescape
func median3x3U8AVX2(out, a, b, c *uint8, n int)

//go:noescape
func median3x3F32AVX2(out, a, b, c *float32, n int)

//go:noescape
func median3x3U8AVX512(out, a, b, c *uint8, n int)

//go:noescape
func median3x3F32AVX512(out, a, b, c *float32, n int)

// vecMedian3x3U8 runs the vector network over out and returns how many
// samples it did: all of them from 64 on with AVX-512 (32 with AVX2) (the last, partial vector is
// redone as the 32 samples ending at len(out)), 0 for shorter rows and on
// the Go path.
func vecMedian3x3U8(out, a, b, c []uint8) int {
	n := len(out)
	if n >= 64 && Path() == PathAVX512 {
		median3x3U8AVX512(&out[0], &a[0], &b[0], &c[0], n&^63)
		if r := n - 64; n&63 != 0 {
			median3x3U8AVX512(&out[r], &a[r], &b[r], &c[r], 64)
		}
		return n
	}
	if n < 32 || !vectorPath() {
		return 0
	}
	median3x3U8AVX2(&out[0], &a[0], &b[0], &c[0], n&^31)
	if r := n - 32; n&31 != 0 {
		median3x3U8AVX2(&out[r], &a[r], &b[r], &c[r], 32)
	}
	return n
}

// vecMedian3x3F32 is vecMedian3x3U8 for float32 (vectors of 8).
func vecMedian3x3F32(out, a, b, c []float32) int {
	n := len(out)
	if n >= 16 && Path() == PathAVX512 {
		median3x3F32AVX512(&out[0], &a[0], &b[0], &c[0], n&^15)
		if r := n - 16; n&15 != 0 {
			median3x3F32AVX512(&out[r], &a[r], &b[r], &c[r], 16)
		}
		return n
	}
	if n < 8 || !vectorPath() {
		return 0
	}
	median3x3F32AVX2(&out[0], &a[0], &b[0], &c[0], n&^7)
	if r := n - 8; n&7 != 0 {
		median3x3F32AVX2(&out[r], &a[r], &b[r], &c[r], 8)
	}
	return n
}

//go:noescape
func maxF32AVX2(dst, src *float32, n int)

//go:noescape
func minF32AVX2(dst, src *float32, n int)

// vecFoldF32 folds a prefix of src into dst (a multiple of 32 samples)
// and returns its length (0 on the Go path).
func vecFoldF32(dst, src []float32, isMin bool) int {
	n := len(dst) &^ 31
	if n == 0 || !vectorPath() {
		return 0
	}
	if isMin {
		minF32AVX2(&dst[0], &src[0], n)
	} else {
		maxF32AVX2(&dst[0], &src[0], n)
	}
	return n
}
