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
	// Reads src[0 .. n+1], within src since len(src) = len(dst)+2. A
	// ragged end is done again as one vector over the last 32 elements,
	// overlapping the loop's; dst does not overlap src, so that rewrites
	// the same values.
	f := span3MaxAVX2
	if erode {
		f = span3MinAVX2
	}
	f(&dst[0], &src[1], n)
	if m := len(dst); m > n {
		f(&dst[m-32], &src[m-31], 32)
	}
	return len(dst)
}

func vecRows3(dst, a, b, c []uint8, erode bool) int {
	n := len(dst) &^ 31
	if n == 0 || !vectorPath() {
		return 0
	}
	f := rows3MaxAVX2
	if erode {
		f = rows3MinAVX2
	}
	f(&dst[0], &a[0], &b[0], &c[0], n)
	// A ragged end is done again as one vector over the last 32 elements.
	// Even with dst = a that rewrites the same values: min(1, op(v, b, c))
	// is unchanged when v is replaced by min(1, op(v, b, c)).
	if m := len(dst); m > n {
		f(&dst[m-32], &a[m-32], &b[m-32], &c[m-32], 32)
	}
	return len(dst)
}

//go:noescape
func cross3MinAVX2(dst, a, b, c *uint8, n int)

//go:noescape
func cross3MaxAVX2(dst, a, b, c *uint8, n int)

// vecCross3 computes Cross3's interior elements 1 .. k of dst and returns
// k; all of them unless the row is shorter than a vector.
func vecCross3(dst, a, b, c []uint8, erode bool) int {
	m := len(dst) - 2 // interior elements
	n := m &^ 31
	if n == 0 || !vectorPath() {
		return 0
	}
	f := cross3MaxAVX2
	if erode {
		f = cross3MinAVX2
	}
	f(&dst[1], &a[1], &b[1], &c[1], n)
	if m > n {
		o := 1 + m - 32
		f(&dst[o], &a[o], &b[o], &c[o], 32)
	}
	return m
}
