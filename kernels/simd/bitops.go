package simd

import "fmt"

// Word-wise binary erosion and dilation of bit-packed rows (PackBits):
// with op AND for an erosion and OR for a dilation, the reduction of a
// row along X is op(w, w<<1 | carry from the word before, w>>1 | carry
// from the word after), for each word w. Callers lay rows out with a
// word of border bits between them, so the words before and after are
// always there.

// SpanBits writes dst[i] = op(w, w<<1 | p>>63, w>>1 | q<<63) with w =
// src[i+1], p = src[i], q = src[i+2], for i < len(dst): one word of halo
// on each side. len(src) must be at least len(dst)+2; dst must not
// overlap src.
func SpanBits(dst, src []uint64, erode bool) {
	n := len(dst)
	if len(src) < n+2 {
		panic(fmt.Sprintf("simd.SpanBits: %d words need %d source words, have %d", n, n+2, len(src)))
	}
	done := vecSpanBits(dst, src, erode)
	spanBitsGo(dst[done:], src[done:n+2], erode)
}

func spanBitsGo(dst, src []uint64, erode bool) {
	src = src[:len(dst)+2]
	if erode {
		for i := range dst {
			p, w, q := src[i], src[i+1], src[i+2]
			dst[i] = w & (w<<1 | p>>63) & (w>>1 | q<<63)
		}
		return
	}
	for i := range dst {
		p, w, q := src[i], src[i+1], src[i+2]
		dst[i] = w | w<<1 | p>>63 | w>>1 | q<<63
	}
}

// CrossBits is one pass of the 2-D cross over rows stride words apart:
// with c = stride+i, dst[i] = op(src[c-stride], src[c+stride], span of
// src at c), the span as in SpanBits. len(src) must be at least
// len(dst)+2*stride and stride at least 1; dst must not overlap src.
func CrossBits(dst, src []uint64, stride int, erode bool) {
	n := len(dst)
	if stride < 1 || len(src) < n+2*stride {
		panic(fmt.Sprintf("simd.CrossBits: %d words at stride %d need %d source words, have %d", n, stride, n+2*stride, len(src)))
	}
	done := vecCrossBits(dst, src, stride, erode)
	crossBitsGo(dst[done:], src[done:n+2*stride], stride, erode)
}

func crossBitsGo(dst, src []uint64, stride int, erode bool) {
	n := len(dst)
	up, mid, down := src[:n], src[stride-1:stride+n+1], src[2*stride:2*stride+n]
	if erode {
		for i := range dst {
			p, w, q := mid[i], mid[i+1], mid[i+2]
			dst[i] = up[i] & down[i] & w & (w<<1 | p>>63) & (w>>1 | q<<63)
		}
		return
	}
	for i := range dst {
		p, w, q := mid[i], mid[i+1], mid[i+2]
		dst[i] = up[i] | down[i] | w | w<<1 | p>>63 | w>>1 | q<<63
	}
}

// CombineBits writes dst[i] = op(a[i], b[i], c[i]). dst may be a, b or
// c; a, b and c must hold at least len(dst) words.
func CombineBits(dst, a, b, c []uint64, erode bool) {
	n := len(dst)
	a, b, c = a[:n], b[:n], c[:n]
	done := vecCombineBits(dst, a, b, c, erode)
	combineBitsGo(dst[done:], a[done:], b[done:], c[done:], erode)
}

func combineBitsGo(dst, a, b, c []uint64, erode bool) {
	n := len(dst)
	a, b, c = a[:n], b[:n], c[:n]
	if erode {
		for i := range dst {
			dst[i] = a[i] & b[i] & c[i]
		}
		return
	}
	for i := range dst {
		dst[i] = a[i] | b[i] | c[i]
	}
}
