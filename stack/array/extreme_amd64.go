//go:build amd64 && !noasm

package array

import "github.com/klauspost/cpuid/v2"

// useAVX2 selects the AVX2 loops; tests turn it off to check the Go ones
// against them.
var useAVX2 = cpuid.CPU.Supports(cpuid.AVX2)

// The assembly loops handle n elements, n a multiple of their step (64
// uint16 or 128 uint8, four vector registers); the callers below finish the
// rest in Go.

//go:noescape
func maxU16AVX2(dst, src *uint16, n int)

//go:noescape
func minU16AVX2(dst, src *uint16, n int)

//go:noescape
func maxU8AVX2(dst, src *uint8, n int)

//go:noescape
func minU8AVX2(dst, src *uint8, n int)

// vecMaxU16 folds a prefix of src into dst with vector instructions and
// returns its length (0 when the CPU lacks them). len(src) == len(dst).
func vecMaxU16(dst, src []uint16) int {
	n := len(dst) &^ 63
	if !useAVX2 || n == 0 {
		return 0
	}
	maxU16AVX2(&dst[0], &src[0], n)
	return n
}

func vecMinU16(dst, src []uint16) int {
	n := len(dst) &^ 63
	if !useAVX2 || n == 0 {
		return 0
	}
	minU16AVX2(&dst[0], &src[0], n)
	return n
}

func vecMaxU8(dst, src []uint8) int {
	n := len(dst) &^ 127
	if !useAVX2 || n == 0 {
		return 0
	}
	maxU8AVX2(&dst[0], &src[0], n)
	return n
}

func vecMinU8(dst, src []uint8) int {
	n := len(dst) &^ 127
	if !useAVX2 || n == 0 {
		return 0
	}
	minU8AVX2(&dst[0], &src[0], n)
	return n
}
