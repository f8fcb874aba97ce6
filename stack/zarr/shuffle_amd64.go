//go:build amd64 && !noasm

package zarr

import "github.com/klauspost/cpuid/v2"

// hasAVX2 selects the AVX2 versions of the byte shuffle and the uint16
// range below, and hasAVX512 the AVX-512 version of diffBitsFast.
var (
	hasAVX2   = cpuid.CPU.Supports(cpuid.AVX2)
	hasAVX512 = cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW)
)

//go:noescape
func shuffle2AVX2(d0, d1, src *byte, n int)

//go:noescape
func rangeU16AVX2(p *uint16, n int) (lo, hi uint16)

//go:noescape
func shuffle2RangeAVX2(d0, d1, src *byte, n int) (lo, hi uint16)

// shuffle2Fast shuffles the largest multiple of 64 bytes of src it can
// with AVX2 into d0 (even bytes) and d1 (odd bytes), and returns how many
// elements it did: 0 without AVX2.
func shuffle2Fast(d0, d1, src []byte) int {
	n := min(len(src)/64, len(d0)/32, len(d1)/32)
	if !hasAVX2 || n == 0 {
		return 0
	}
	shuffle2AVX2(&d0[0], &d1[0], &src[0], n)
	return 32 * n
}

// shuffle2RangeFast is shuffle2Fast that also returns the least and
// greatest of the little-endian uint16 elements it shuffled.
func shuffle2RangeFast(d0, d1, src []byte) (lo, hi uint16, n int) {
	g := min(len(src)/64, len(d0)/32, len(d1)/32)
	if !hasAVX2 || g == 0 {
		return 0, 0, 0
	}
	lo, hi = shuffle2RangeAVX2(&d0[0], &d1[0], &src[0], g)
	return lo, hi, 32 * g
}

// rangeU16Fast returns the least and greatest of the largest multiple of
// 16 elements of s, and how many it looked at: 0 without AVX2.
func rangeU16Fast(s []uint16) (lo, hi uint16, n int) {
	n = len(s) &^ 15
	if !hasAVX2 || n == 0 {
		return 0, 0, 0
	}
	lo, hi = rangeU16AVX2(&s[0], n)
	return lo, hi, n
}

//go:noescape
func diffBitsAVX2(bm, prev, cur *byte, n int)

//go:noescape
func diffBitsAVX512(bm, prev, cur *byte, n int)

// diffBitsFast writes the bit map of diffBits for the largest multiple of
// 64 bytes of cur it can into bm, 8 bytes of cur a byte of bm, bit j set
// where cur[j] != prev[j]; it returns how many bytes of cur it did: 0
// without AVX2.
func diffBitsFast(bm, prev, cur []byte) int {
	n := min(len(cur), len(prev), 8*len(bm)) / 64
	switch {
	case !hasAVX2 || n == 0:
		return 0
	case hasAVX512:
		diffBitsAVX512(&bm[0], &prev[0], &cur[0], n)
	default:
		diffBitsAVX2(&bm[0], &prev[0], &cur[0], n)
	}
	return 64 * n
}
