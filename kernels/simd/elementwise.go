package simd

// Element-wise running maximum and minimum of integer samples: the inner
// loops of a maximum- or minimum-intensity projection, which fold every
// plane of a stack into one.

// MaxUint16 sets dst[i] = max(dst[i], src[i]) for every i < len(dst);
// len(src) must be at least len(dst).
func MaxUint16(dst, src []uint16) {
	src = src[:len(dst)]
	n := vecMaxU16(dst, src)
	maxTail(dst[n:], src[n:])
}

// MinUint16 sets dst[i] = min(dst[i], src[i]) for every i < len(dst);
// len(src) must be at least len(dst).
func MinUint16(dst, src []uint16) {
	src = src[:len(dst)]
	n := vecMinU16(dst, src)
	minTail(dst[n:], src[n:])
}

// MaxUint8 is MaxUint16 for bytes.
func MaxUint8(dst, src []uint8) {
	src = src[:len(dst)]
	n := vecMaxU8(dst, src)
	maxTail(dst[n:], src[n:])
}

// MinUint8 is MinUint16 for bytes.
func MinUint8(dst, src []uint8) {
	src = src[:len(dst)]
	n := vecMinU8(dst, src)
	minTail(dst[n:], src[n:])
}

func maxTail[T uint8 | uint16](dst, src []T) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] = max(dst[i], src[i])
	}
}

func minTail[T uint8 | uint16](dst, src []T) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] = min(dst[i], src[i])
	}
}

// NarrowUint32 sets dst[i] = min(src[i], 65535) for every i < len(src):
// label planes whose labels fit 16 bits, stored as uint16. len(dst) must
// be at least len(src).
func NarrowUint32(dst []uint16, src []uint32) {
	dst = dst[:len(src)]
	n := vecNarrowU32(dst, src)
	for i, v := range src[n:] {
		dst[n+i] = uint16(min(v, 0xffff))
	}
}

// GreaterBits sets bit j of dst[k] to src[64k+j] > t (NaN compares false)
// for every element of src; bits past len(src) in the last word are 0.
// len(dst) must be at least (len(src)+63)/64. It is the mask of a row as
// the labeller's run scan reads it, 64 samples to a word.
func GreaterBits(dst []uint64, src []float32, t float32) {
	words := (len(src) + 63) / 64
	dst = dst[:words]
	k := vecGreaterBits(dst, src, t)
	for ; k < words; k++ {
		var w uint64
		for j, v := range src[64*k : min(len(src), 64*k+64)] {
			if v > t {
				w |= 1 << j
			}
		}
		dst[k] = w
	}
}
