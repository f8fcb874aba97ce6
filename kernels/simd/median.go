package simd

import "fmt"

// Median3x3U8 sets out[x] to the median of the nine samples a, b and c
// hold at x, x+1 and x+2: the 3x3 median of the rows above, at and below
// an output row, each extended by one sample on both sides. a, b and c
// must hold at least len(out)+2 samples.
func Median3x3U8(out, a, b, c []uint8) {
	checkMedian(len(out), len(a), len(b), len(c))
	n := vecMedian3x3U8(out, a, b, c)
	median3x3Go(out[n:], a[n:], b[n:], c[n:])
}

// Median3x3F32 is Median3x3U8 for float32 samples. NaN samples give
// unspecified results (the paths may differ).
func Median3x3F32(out, a, b, c []float32) {
	checkMedian(len(out), len(a), len(b), len(c))
	n := vecMedian3x3F32(out, a, b, c)
	median3x3Go(out[n:], a[n:], b[n:], c[n:])
}

func checkMedian(n, a, b, c int) {
	if min(a, b, c) < n+2 {
		panic(fmt.Sprintf("simd.Median3x3: %d outputs need rows of %d samples, have %d, %d, %d", n, n+2, a, b, c))
	}
}

// median3x3Go is the pure-Go network: the vector kernels' operations on
// one sample at a time. Each column's three samples are ordered (low,
// middle, high); the median of nine is the median of the largest low, the
// middle of the middles and the smallest high of three adjacent columns.
func median3x3Go[T uint8 | float32](out, a, b, c []T) {
	for x := range out {
		var lo, mid, hi [3]T
		for d := range 3 {
			p, q, r := a[x+d], b[x+d], c[x+d]
			mn, mx := min(p, q), max(p, q)
			lo[d] = min(mn, r)
			hi[d] = max(mx, r)
			mid[d] = max(mn, min(mx, r))
		}
		l := max(max(lo[0], lo[1]), lo[2])
		h := min(min(hi[0], hi[1]), hi[2])
		m := med3(mid[0], mid[1], mid[2])
		out[x] = med3(l, m, h)
	}
}

func med3[T uint8 | float32](p, q, r T) T {
	return max(min(p, q), min(max(p, q), r))
}

// MaxFloat32 sets dst[i] = max(dst[i], src[i]) for every i < len(dst);
// len(src) must be at least len(dst). NaN samples give unspecified
// results (the paths may differ), and so does the sign of a zero when
// both samples are zeros.
func MaxFloat32(dst, src []float32) {
	src = src[:len(dst)]
	n := vecFoldF32(dst, src, false)
	for i := n; i < len(dst); i++ {
		dst[i] = max(dst[i], src[i])
	}
}

// MinFloat32 is MaxFloat32 for the minimum.
func MinFloat32(dst, src []float32) {
	src = src[:len(dst)]
	n := vecFoldF32(dst, src, true)
	for i := n; i < len(dst); i++ {
		dst[i] = min(dst[i], src[i])
	}
}
