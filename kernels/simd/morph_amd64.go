//go:build amd64 && !noasm

package simd

// The binary-morphology loops take 32 bytes a step (one AVX2 register,
// two per loop iteration);
// the callers finish the rest in Go. Both vector paths use them;
// SEGSTACK_SIMD=go turns them off.

//go:noescape
func span3MinAVX2(dst, src *uint8, n int)

//go:noescape
func span3MaxAVX2(dst, src *uint8, n int)

//go:noescape
func rows3MinAVX2(dst, a, b, c *uint8, n int)

//go:noescape
func rows3MaxAVX2(dst, a, b, c *uint8, n int)

// vecSpan3 computes dst[j] = op(src[j], src[j+1], src[j+2]) for a prefix
// of dst (dst is the caller's row from index 1) and returns its length.
func vecSpan3(dst, src []uint8, erode bool) int {
	n := len(dst) &^ 31
	if n == 0 || !vectorPath() {
		return 0
	}
	// Reads src[0 .. n+1], within src since len(src) = len(dst)+2.
	if erode {
		span3MinAVX2(&dst[0], &src[1], n)
	} else {
		span3MaxAVX2(&dst[0], &src[1], n)
	}
	return n
}

func vecRows3(dst, a, b, c []uint8, erode bool) int {
	n := len(dst) &^ 31
	if n == 0 || !vectorPath() {
		return 0
	}
	if erode {
		rows3MinAVX2(&dst[0], &a[0], &b[0], &c[0], n)
	} else {
		rows3MaxAVX2(&dst[0], &a[0], &b[0], &c[0], n)
	}
	return n
}
