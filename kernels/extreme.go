package kernels

import "github.com/segstack/segstack/kernels/simd"

// Element-wise running maximum and minimum: the inner loops of maximum- and
// minimum-intensity projections and of chunked Max and Min reductions,
// which fold many planes or chunks into one. They run once per element of
// every input, so they are unrolled and free of bounds checks, and the
// uint8 and uint16 cases use vector instructions where the CPU has them.

// MaxInto sets dst[i] = max(dst[i], src[i]) for every i < len(dst); len(src)
// must be at least len(dst). A NaN in either operand is kept, as numpy's
// maximum keeps it.
func MaxInto[T ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~int16 | ~int32 | ~int64 | ~float32 | ~float64](dst, src []T) {
	src = src[:len(dst)]
	switch d := any(dst).(type) {
	case []uint16:
		simd.MaxUint16(d, any(src).([]uint16))
	case []uint8:
		simd.MaxUint8(d, any(src).([]uint8))
	default:
		for len(dst) >= 8 {
			d, s := dst[:8:8], src[:8:8]
			d[0], d[1], d[2], d[3] = max(d[0], s[0]), max(d[1], s[1]), max(d[2], s[2]), max(d[3], s[3])
			d[4], d[5], d[6], d[7] = max(d[4], s[4]), max(d[5], s[5]), max(d[6], s[6]), max(d[7], s[7])
			dst, src = dst[8:], src[8:]
		}
		for i := range dst {
			dst[i] = max(dst[i], src[i])
		}
	}
}

// MinInto sets dst[i] = min(dst[i], src[i]) for every i < len(dst); len(src)
// must be at least len(dst). A NaN in either operand is kept.
func MinInto[T ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~int16 | ~int32 | ~int64 | ~float32 | ~float64](dst, src []T) {
	src = src[:len(dst)]
	switch d := any(dst).(type) {
	case []uint16:
		simd.MinUint16(d, any(src).([]uint16))
	case []uint8:
		simd.MinUint8(d, any(src).([]uint8))
	default:
		for len(dst) >= 8 {
			d, s := dst[:8:8], src[:8:8]
			d[0], d[1], d[2], d[3] = min(d[0], s[0]), min(d[1], s[1]), min(d[2], s[2]), min(d[3], s[3])
			d[4], d[5], d[6], d[7] = min(d[4], s[4]), min(d[5], s[5]), min(d[6], s[6]), min(d[7], s[7])
			dst, src = dst[8:], src[8:]
		}
		for i := range dst {
			dst[i] = min(dst[i], src[i])
		}
	}
}
