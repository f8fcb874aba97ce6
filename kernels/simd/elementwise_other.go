//go:build !amd64 || noasm

package simd

// Without assembly the element-wise loops run wholly in Go.

func vecMaxU16(dst, src []uint16) int { return 0 }
func vecMinU16(dst, src []uint16) int { return 0 }
func vecMaxU8(dst, src []uint8) int   { return 0 }
func vecMinU8(dst, src []uint8) int   { return 0 }

func vecNarrowU32(dst []uint16, src []uint32) int { return 0 }

func vecGreaterBits(dst []uint64, src []float32, t float32) int { return 0 }
