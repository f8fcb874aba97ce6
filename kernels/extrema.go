package kernels

import (
	"github.com/segstack/segstack/kernels/simd"
	"github.com/segstack/segstack/stack"
)

// Element-wise running maximum and minimum: the inner loops of a maximum-
// or minimum-intensity projection, and of the per-chunk summaries and
// combine steps of a lazy array's Max and Min. They run once per element
// of every plane folded, so uint8 and uint16 use vector instructions where
// the CPU has them, and the other types an unrolled loop free of bounds
// checks.

// MaxInto sets dst[i] = max(dst[i], src[i]) for every i below
// min(len(dst), len(src)); elements of dst past len(src) are left alone.
// Like numpy's maximum, a NaN in either operand gives NaN.
func MaxInto[T stack.Number](dst, src []T) {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	switch d := any(dst).(type) {
	case []uint16:
		simd.MaxUint16(d, any(src).([]uint16))
	case []uint8:
		simd.MaxUint8(d, any(src).([]uint8))
	default:
		maxIntoGo(dst, src)
	}
}

// MinInto sets dst[i] = min(dst[i], src[i]) for every i below
// min(len(dst), len(src)); elements of dst past len(src) are left alone.
// Like numpy's minimum, a NaN in either operand gives NaN.
func MinInto[T stack.Number](dst, src []T) {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	switch d := any(dst).(type) {
	case []uint16:
		simd.MinUint16(d, any(src).([]uint16))
	case []uint8:
		simd.MinUint8(d, any(src).([]uint8))
	default:
		minIntoGo(dst, src)
	}
}

// maxIntoGo is MaxInto in plain Go, eight elements a step; len(src) must
// equal len(dst). Go's max keeps a NaN of either operand.
func maxIntoGo[T stack.Number](dst, src []T) {
	src = src[:len(dst)]
	for len(dst) >= 8 {
		d, s := dst[:8:8], src[:8:8]
		d[0] = max(d[0], s[0])
		d[1] = max(d[1], s[1])
		d[2] = max(d[2], s[2])
		d[3] = max(d[3], s[3])
		d[4] = max(d[4], s[4])
		d[5] = max(d[5], s[5])
		d[6] = max(d[6], s[6])
		d[7] = max(d[7], s[7])
		dst, src = dst[8:], src[8:]
	}
	for i := range dst {
		dst[i] = max(dst[i], src[i])
	}
}

// minIntoGo is MinInto in plain Go; len(src) must equal len(dst).
func minIntoGo[T stack.Number](dst, src []T) {
	src = src[:len(dst)]
	for len(dst) >= 8 {
		d, s := dst[:8:8], src[:8:8]
		d[0] = min(d[0], s[0])
		d[1] = min(d[1], s[1])
		d[2] = min(d[2], s[2])
		d[3] = min(d[3], s[3])
		d[4] = min(d[4], s[4])
		d[5] = min(d[5], s[5])
		d[6] = min(d[6], s[6])
		d[7] = min(d[7], s[7])
		dst, src = dst[8:], src[8:]
	}
	for i := range dst {
		dst[i] = min(dst[i], src[i])
	}
}
