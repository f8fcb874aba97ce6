//go:build !amd64 || noasm

package simd

func vecMedian3x3U8(out, a, b, c []uint8) int    { return 0 }
func vecMedian3x3F32(out, a, b, c []float32) int { return 0 }

func vecFoldF32(dst, src []float32, isMin bool) int { return 0 }
