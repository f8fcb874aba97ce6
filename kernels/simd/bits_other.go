//go:build !amd64 || noasm

package simd

func vecPackBits(dst []uint64, src []uint8) int   { return 0 }
func vecUnpackBits(dst []uint8, src []uint64) int { return 0 }

func vecSpanBits(dst, src []uint64, erode bool) int              { return 0 }
func vecCrossBits(dst, src []uint64, stride int, erode bool) int { return 0 }
func vecCombineBits(dst, a, b, c []uint64, erode bool) int       { return 0 }

func vecPackRow() func(dst *uint64, src *uint8, words int)   { return nil }
func vecUnpackRow() func(dst *uint8, src *uint64, words int) { return nil }

func vecPackRows(dst []uint64, stride int, src []uint8, n, rows int) bool   { return false }
func vecUnpackRows(dst []uint8, n, rows int, src []uint64, stride int) bool { return false }

func vecStepUnpackRows(dst []uint8, n, rows, stride int, srcs []*uint64, span *uint64, erode bool) bool {
	return false
}
