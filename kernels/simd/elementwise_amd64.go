//go:build amd64 && !noasm

package simd

// The assembly loops handle n elements, n a multiple of their step (64
// uint16 or 128 uint8, four AVX2 registers); the callers finish the rest in
// Go. Both vector paths use them; SEGSTACK_SIMD=go turns them off.

//go:noescape
func maxU16AVX2(dst, src *uint16, n int)

//go:noescape
func minU16AVX2(dst, src *uint16, n int)

//go:noescape
func maxU8AVX2(dst, src *uint8, n int)

//go:noescape
func minU8AVX2(dst, src *uint8, n int)

func vectorPath() bool { return cur.Load().name != PathGo }

// vecMaxU16 folds a prefix of src into dst with vector instructions and
// returns its length (0 on the Go path). len(src) == len(dst).
func vecMaxU16(dst, src []uint16) int {
	n := len(dst) &^ 63
	if n == 0 || !vectorPath() {
		return 0
	}
	maxU16AVX2(&dst[0], &src[0], n)
	return n
}

func vecMinU16(dst, src []uint16) int {
	n := len(dst) &^ 63
	if n == 0 || !vectorPath() {
		return 0
	}
	minU16AVX2(&dst[0], &src[0], n)
	return n
}

func vecMaxU8(dst, src []uint8) int {
	n := len(dst) &^ 127
	if n == 0 || !vectorPath() {
		return 0
	}
	maxU8AVX2(&dst[0], &src[0], n)
	return n
}

func vecMinU8(dst, src []uint8) int {
	n := len(dst) &^ 127
	if n == 0 || !vectorPath() {
		return 0
	}
	minU8AVX2(&dst[0], &src[0], n)
	return n
}

//go:noescape
func narrowU32AVX2(dst *uint16, src *uint32, n int)

// vecNarrowU32 narrows a prefix of src (a multiple of 32 elements) into
// dst and returns its length (0 on the Go path).
func vecNarrowU32(dst []uint16, src []uint32) int {
	n := len(src) &^ 31
	if n == 0 || !vectorPath() {
		return 0
	}
	narrowU32AVX2(&dst[0], &src[0], n)
	return n
}

//go:noescape
func greaterBitsAVX512(dst *uint64, src *float32, words int, t float32)

//go:noescape
func greaterBitsAVX2(dst *uint64, src *float32, words int, t float32)

// vecGreaterBits makes the words of GreaterBits for the whole 64-sample
// blocks of src and returns how many (0 on the Go path).
func vecGreaterBits(dst []uint64, src []float32, t float32) int {
	words := len(src) / 64
	if words == 0 || !vectorPath() {
		return 0
	}
	if hasAVX512 && Path() == PathAVX512 {
		greaterBitsAVX512(&dst[0], &src[0], words, t)
	} else {
		greaterBitsAVX2(&dst[0], &src[0], words, t)
	}
	return words
}
