//go:build !amd64 || noasm

package array

// useAVX2 is always false without the assembly loops.
var useAVX2 = false

func vecMaxU16(dst, src []uint16) int { return 0 }
func vecMinU16(dst, src []uint16) int { return 0 }
func vecMaxU8(dst, src []uint8) int   { return 0 }
func vecMinU8(dst, src []uint8) int   { return 0 }
