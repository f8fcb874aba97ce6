package simd

import (
	"fmt"
	"math"
)

// KeyPairs lays out a row of a flood's padded image: for each i it writes
// dst[2i] = labels[i] and dst[2i+1] = the ordered key of the float32 whose
// bits are bits(src[i]) ^ flip (OrderedKey), and sets bit i of marks (bit
// i%64 of marks[i/64]) where labels[i] is neither 0 nor 0xFFFFFFFF,
// clearing it elsewhere (and past len(src) in the last word). With a mask
// (nil, or at least len(src) long), an element whose mask byte is 0 lies
// outside: its label is written as 0xFFFFFFFF, and neither its label nor
// its key counts below. It returns the OR and the AND of the keys inside,
// and bad: whether some src[i] ^ flip (inside or not) is NaN or some label
// inside is 0xFFFFFFFF. len(dst) must be at least 2*len(src), len(labels)
// at least len(src) and len(marks) at least (len(src)+63)/64.
func KeyPairs(dst []uint32, src []float32, labels []uint32, mask []uint8, flip uint32, marks []uint64) (or, and uint32, bad bool) {
	n := len(src)
	if len(dst) < 2*n || len(labels) < n || len(marks) < (n+63)/64 || (mask != nil && len(mask) < n) {
		panic(fmt.Sprintf("simd.KeyPairs: %d values need 2x as many destination elements (have %d), as many labels (have %d) and mask bytes (have %d, or none), and %d mark words (have %d)", n, len(dst), len(labels), len(mask), (n+63)/64, len(marks)))
	}
	if mask != nil {
		mask = mask[:n]
	}
	return cur.Load().keyPairs(dst[:2*n], src, labels[:n], mask, flip, marks[:(n+63)/64])
}

// OrderedKey maps the float32 with bits b to a uint32 whose unsigned order
// is the order of the values (-0 and +0 to one key, 0x80000000); NaN bits
// map above +Inf or below -Inf.
func OrderedKey(b uint32) uint32 {
	if b == 1<<31 {
		b = 0 // -0 is +0
	}
	return b ^ (uint32(int32(b)>>31) | 1<<31)
}

func keyPairsGo(dst []uint32, src []float32, labels []uint32, mask []uint8, flip uint32, marks []uint64) (or, and uint32, bad bool) {
	return keyPairsFrom(dst, src, labels, mask, flip, marks, 0, 0, math.MaxUint32, false)
}

// keyPairsFrom is KeyPairs's work on the elements from i0 on, starting
// from the OR, AND and bad of the elements before.
func keyPairsFrom(dst []uint32, src []float32, labels []uint32, mask []uint8, flip uint32, marks []uint64, i0 int, or, and uint32, bad bool) (uint32, uint32, bool) {
	var b32 uint32
	labels = labels[:len(src)]
	dst = dst[:2*len(src)]
	for i := i0; i < len(src); i++ {
		b := math.Float32bits(src[i]) ^ flip
		l := labels[i]
		k := OrderedKey(b)
		// NaN: the bits without the sign above the infinity's.
		b32 |= (0x7f800000 - b&0x7fffffff) >> 31
		if mask != nil && mask[i] == 0 {
			l = math.MaxUint32
		} else {
			// The reserved label: ^l is 0 only for it.
			b32 |= uint32((uint64(^l) - 1) >> 63)
			or |= k
			and &= k
		}
		dst[2*i], dst[2*i+1] = l, k
		w, bit := i>>6, uint64(1)<<(i&63)
		if l-1 < math.MaxUint32-1 {
			marks[w] |= bit
		} else {
			marks[w] &^= bit
		}
	}
	if r := len(src) & 63; r != 0 {
		marks[len(src)>>6] &= 1<<r - 1 // the bits past the last element
	}
	return or, and, bad || b32 != 0
}
