//go:build amd64 && !noasm

package simd

// The packing loops take 64 bytes (one word) a step; AVX-512 tests and
// expands through mask registers, AVX2 compares and moves byte masks.

//go:noescape
func packBitsAVX512(dst *uint64, src *uint8, words int)

//go:noescape
func unpackBitsAVX512(dst *uint8, src *uint64, words int)

//go:noescape
func packBitsAVX2(dst *uint64, src *uint8, words int)

//go:noescape
func unpackBitsAVX2(dst *uint8, src *uint64, words int)

// vecPackBits packs every word of dst from src (64 bytes each) and returns
// how many it did.
func vecPackBits(dst []uint64, src []uint8) int {
	n := len(dst)
	if n == 0 {
		return 0
	}
	_ = src[n*64-1]
	switch cur.Load().name {
	case PathAVX512:
		packBitsAVX512(&dst[0], &src[0], n)
	case PathAVX2:
		packBitsAVX2(&dst[0], &src[0], n)
	default:
		return 0
	}
	return n
}

// vecUnpackBits expands every word of src into 64 bytes of dst and returns
// how many words it did.
func vecUnpackBits(dst []uint8, src []uint64) int {
	n := len(src)
	if n == 0 {
		return 0
	}
	_ = dst[n*64-1]
	switch cur.Load().name {
	case PathAVX512:
		unpackBitsAVX512(&dst[0], &src[0], n)
	case PathAVX2:
		unpackBitsAVX2(&dst[0], &src[0], n)
	default:
		return 0
	}
	return n
}

// The word-wise morphology loops take four words (one AVX2 register) a
// step on both vector paths; the wrappers finish the rest in Go.

//go:noescape
func spanBitsAndAVX2(dst, src *uint64, n int)

//go:noescape
func spanBitsOrAVX2(dst, src *uint64, n int)

//go:noescape
func crossBitsAndAVX2(dst, src *uint64, n, stride int)

//go:noescape
func crossBitsOrAVX2(dst, src *uint64, n, stride int)

//go:noescape
func combineBitsAndAVX2(dst, a, b, c *uint64, n int)

//go:noescape
func combineBitsOrAVX2(dst, a, b, c *uint64, n int)

func vecSpanBits(dst, src []uint64, erode bool) int {
	n := len(dst) &^ 3
	if n == 0 || !vectorPath() {
		return 0
	}
	_ = src[n+1]
	if erode {
		spanBitsAndAVX2(&dst[0], &src[1], n)
	} else {
		spanBitsOrAVX2(&dst[0], &src[1], n)
	}
	return n
}

func vecCrossBits(dst, src []uint64, stride int, erode bool) int {
	n := len(dst) &^ 3
	if n == 0 || !vectorPath() {
		return 0
	}
	_ = src[n-1+2*stride]
	if erode {
		crossBitsAndAVX2(&dst[0], &src[stride], n, stride)
	} else {
		crossBitsOrAVX2(&dst[0], &src[stride], n, stride)
	}
	return n
}

func vecCombineBits(dst, a, b, c []uint64, erode bool) int {
	n := len(dst) &^ 3
	if n == 0 || !vectorPath() {
		return 0
	}
	if erode {
		combineBitsAndAVX2(&dst[0], &a[0], &b[0], &c[0], n)
	} else {
		combineBitsOrAVX2(&dst[0], &a[0], &b[0], &c[0], n)
	}
	return n
}

// vecPackRow is the packing loop of the path in use, nil for Go.
func vecPackRow() func(dst *uint64, src *uint8, words int) {
	switch cur.Load().name {
	case PathAVX512:
		return packBitsAVX512
	case PathAVX2:
		return packBitsAVX2
	}
	return nil
}

// vecUnpackRow is the unpacking loop of the path in use, nil for Go.
func vecUnpackRow() func(dst *uint8, src *uint64, words int) {
	switch cur.Load().name {
	case PathAVX512:
		return unpackBitsAVX512
	case PathAVX2:
		return unpackBitsAVX2
	}
	return nil
}

//go:noescape
func packRowsAVX512(dst *uint64, stride int, src *uint8, n, words, rows int)

//go:noescape
func unpackRowsAVX512(dst *uint8, n int, src *uint64, stride, words, rows int)

// The row loops do the n/64 whole words of each of rows rows (the caller
// has checked the bounds) where the path has them, AVX-512, and say
// whether they did.

func vecPackRows(dst []uint64, stride int, src []uint8, n, rows int) bool {
	if n < 64 || cur.Load().name != PathAVX512 {
		return false
	}
	packRowsAVX512(&dst[0], stride, &src[0], n, n/64, rows)
	return true
}

func vecUnpackRows(dst []uint8, n, rows int, src []uint64, stride int) bool {
	if n < 64 || cur.Load().name != PathAVX512 {
		return false
	}
	unpackRowsAVX512(&dst[0], n, &src[0], stride, n/64, rows)
	return true
}

//go:noescape
func stepUnpackAndAVX512(dst *uint8, n int, srcs **uint64, k int, span *uint64, stride, words, rows int)

//go:noescape
func stepUnpackOrAVX512(dst *uint8, n int, srcs **uint64, k int, span *uint64, stride, words, rows int)

//go:noescape
func stepUnpackAndAVX2(dst *uint8, n int, srcs **uint64, k int, span *uint64, stride, words, rows int)

//go:noescape
func stepUnpackOrAVX2(dst *uint8, n int, srcs **uint64, k int, span *uint64, stride, words, rows int)

// vecStepUnpackRows is StepUnpackRows's loop where the path has one
// (AVX-512, AVX2); the caller has checked the bounds.
func vecStepUnpackRows(dst []uint8, n, rows, stride int, srcs []*uint64, span *uint64, erode bool) bool {
	words := n / 64
	if words == 0 {
		return false
	}
	var s0 **uint64
	if len(srcs) > 0 {
		s0 = &srcs[0]
	}
	switch cur.Load().name {
	case PathAVX512:
		if erode {
			stepUnpackAndAVX512(&dst[0], n, s0, len(srcs), span, stride, words, rows)
		} else {
			stepUnpackOrAVX512(&dst[0], n, s0, len(srcs), span, stride, words, rows)
		}
	case PathAVX2:
		if erode {
			stepUnpackAndAVX2(&dst[0], n, s0, len(srcs), span, stride, words, rows)
		} else {
			stepUnpackOrAVX2(&dst[0], n, s0, len(srcs), span, stride, words, rows)
		}
	default:
		return false
	}
	return true
}
