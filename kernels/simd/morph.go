package simd

// Span3 writes, for 0 < i < len(src)-1, dst[i] = min(src[i-1], src[i],
// src[i+1]) when erode is set and the maximum otherwise: one row of a
// binary erosion or dilation along X (with non-zero as true, min is AND
// and max is OR). dst[0] and dst[len-1] are left to the caller, which
// knows the border. len(dst) must equal len(src); dst must not overlap
// src.
func Span3(dst, src []uint8, erode bool) {
	n := len(src)
	if n < 3 {
		return
	}
	dst = dst[:n]
	done := vecSpan3(dst[1:n-1], src, erode)
	for i := 1 + done; i < n-1; i++ {
		a, b, c := src[i-1], src[i], src[i+1]
		if erode {
			dst[i] = min(a, b, c)
		} else {
			dst[i] = max(a, b, c)
		}
	}
}

// Rows3 writes dst[i] = min(1, min(a[i], b[i], c[i])) when erode is set,
// and min(1, max(a[i], b[i], c[i])) otherwise: the rows of a binary
// erosion or dilation combined, as a 0/1 mask. dst may be a, b or c.
func Rows3(dst, a, b, c []uint8, erode bool) {
	n := len(dst)
	a, b, c = a[:n], b[:n], c[:n]
	done := vecRows3(dst, a, b, c, erode)
	for i := done; i < n; i++ {
		var v uint8
		if erode {
			v = min(a[i], b[i], c[i])
		} else {
			v = max(a[i], b[i], c[i])
		}
		dst[i] = min(v, 1)
	}
}

// Cross3 writes, for 0 < i < len(dst)-1, dst[i] = min(1, op(a[i], b[i-1],
// b[i], b[i+1], c[i])) with op min when erode is set and max otherwise:
// one output row of a binary erosion or dilation with the 2-D cross, from
// the rows above (a), at (b) and below (c). dst[0] and dst[len-1] are left
// to the caller, which knows the border. The rows must have dst's length;
// dst must not overlap them.
func Cross3(dst, a, b, c []uint8, erode bool) {
	n := len(dst)
	if n < 3 {
		return
	}
	a, b, c = a[:n], b[:n], c[:n]
	done := vecCross3(dst, a, b, c, erode)
	for i := 1 + done; i < n-1; i++ {
		var v uint8
		if erode {
			v = min(a[i], b[i-1], b[i], b[i+1], c[i])
		} else {
			v = max(a[i], b[i-1], b[i], b[i+1], c[i])
		}
		dst[i] = min(v, 1)
	}
}
