//go:build !amd64 || noasm

package simd

func vecSpan3(dst, src []uint8, erode bool) int     { return 0 }
func vecRows3(dst, a, b, c []uint8, erode bool) int { return 0 }

func vecCross3(dst, a, b, c []uint8, erode bool) int { return 0 }
