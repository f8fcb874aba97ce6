package array

import "github.com/segstack/segstack/kernels/simd"

// Element-wise running maximum and minimum, the inner loops of Max and Min
// (per-chunk summaries and the combine steps of the reduction tree). They
// run once per element of every input plane, so they are unrolled and free
// of bounds checks, and the uint8 and uint16 cases use vector instructions
// where the CPU has them (kernels/simd).

// maxInto sets dst[i] = max(dst[i], src[i]) for every i < len(dst);
// len(src) must be at least len(dst).
func maxInto[T Number](dst, src []T) {
	src = src[:len(dst)]
	switch d := any(dst).(type) {
	case []uint16:
		simd.MaxUint16(d, any(src).([]uint16))
	case []uint8:
		simd.MaxUint8(d, any(src).([]uint8))
	default:
		maxGo(dst, src)
	}
}

// minInto sets dst[i] = min(dst[i], src[i]) for every i < len(dst);
// len(src) must be at least len(dst).
func minInto[T Number](dst, src []T) {
	src = src[:len(dst)]
	switch d := any(dst).(type) {
	case []uint16:
		simd.MinUint16(d, any(src).([]uint16))
	case []uint8:
		simd.MinUint8(d, any(src).([]uint8))
	default:
		minGo(dst, src)
	}
}

// maxGo is maxInto in plain Go, eight elements a step. Go's max keeps a
// NaN of either operand, as numpy's maximum does.
func maxGo[T Number](dst, src []T) {
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

// minGo is minInto in plain Go.
func minGo[T Number](dst, src []T) {
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
