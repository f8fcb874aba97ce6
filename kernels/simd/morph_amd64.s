//go:build amd64 && !noasm

#include "textflag.h"

// SPAN3(op): func f(dst, src *uint8, n int), n a positive multiple of 32:
// dst[i] = op(src[i-1], src[i], src[i+1]) for i < n.
#define SPAN3(op) \
	MOVQ dst+0(FP), DI; \
	MOVQ src+8(FP), SI; \
	MOVQ n+16(FP), CX; \
	SHRQ $5, CX; \
	JZ   done; \
	TESTQ $1, CX; \
	JZ   pairs; \
	VMOVDQU -1(SI), Y0; \
	VMOVDQU 1(SI), Y1; \
	op      0(SI), Y0, Y0; \
	op      Y1, Y0, Y0; \
	VMOVDQU Y0, 0(DI); \
	ADDQ    $32, SI; \
	ADDQ    $32, DI; \
pairs: \
	SHRQ $1, CX; \
	JZ   done; \
loop: \
	VMOVDQU 31(SI), Y2; \
	VMOVDQU 33(SI), Y3; \
	op      32(SI), Y2, Y2; \
	op      Y3, Y2, Y2; \
	VMOVDQU Y2, 32(DI); \
	VMOVDQU -1(SI), Y0; \
	VMOVDQU 1(SI), Y1; \
	op      0(SI), Y0, Y0; \
	op      Y1, Y0, Y0; \
	VMOVDQU Y0, 0(DI); \
	ADDQ    $64, SI; \
	ADDQ    $64, DI; \
	DECQ    CX; \
	JNZ     loop; \
done: \
	VZEROUPPER; \
	RET

// ROWS3(op): func f(dst, a, b, c *uint8, n int), n a positive multiple of
// 32: dst[i] = min(1, op(a[i], b[i], c[i])) for i < n.
#define ROWS3(op) \
	MOVQ dst+0(FP), DI; \
	MOVQ a+8(FP), SI; \
	MOVQ b+16(FP), R8; \
	MOVQ c+24(FP), R9; \
	MOVQ n+32(FP), CX; \
	MOVL $0x01010101, AX; \
	MOVQ AX, X7; \
	VPBROADCASTD X7, Y7; \
	XORQ DX, DX; \
	SHRQ $5, CX; \
	JZ   done; \
	TESTQ $1, CX; \
	JZ   pairs; \
	VMOVDQU (SI), Y0; \
	op      (R8), Y0, Y0; \
	op      (R9), Y0, Y0; \
	VPMINUB Y7, Y0, Y0; \
	VMOVDQU Y0, (DI); \
	MOVQ    $32, DX; \
pairs: \
	SHRQ $1, CX; \
	JZ   done; \
loop: \
	VMOVDQU 32(SI)(DX*1), Y1; \
	op      32(R8)(DX*1), Y1, Y1; \
	op      32(R9)(DX*1), Y1, Y1; \
	VPMINUB Y7, Y1, Y1; \
	VMOVDQU Y1, 32(DI)(DX*1); \
	VMOVDQU (SI)(DX*1), Y0; \
	op      (R8)(DX*1), Y0, Y0; \
	op      (R9)(DX*1), Y0, Y0; \
	VPMINUB Y7, Y0, Y0; \
	VMOVDQU Y0, (DI)(DX*1); \
	ADDQ    $64, DX; \
	DECQ    CX; \
	JNZ     loop; \
done: \
	VZEROUPPER; \
	RET

// func span3MinAVX2(dst, src *uint8, n int)
TEXT ·span3MinAVX2(SB), NOSPLIT, $0-24
	SPAN3(VPMINUB)

// func span3MaxAVX2(dst, src *uint8, n int)
TEXT ·span3MaxAVX2(SB), NOSPLIT, $0-24
	SPAN3(VPMAXUB)

// func rows3MinAVX2(dst, a, b, c *uint8, n int)
TEXT ·rows3MinAVX2(SB), NOSPLIT, $0-40
	ROWS3(VPMINUB)

// func rows3MaxAVX2(dst, a, b, c *uint8, n int)
TEXT ·rows3MaxAVX2(SB), NOSPLIT, $0-40
	ROWS3(VPMAXUB)

// CROSS3(op): func f(dst, a, b, c *uint8, n int), n a positive multiple of
// 32: dst[i] = min(1, op(a[i], b[i-1], b[i], b[i+1], c[i])) for i < n.
#define CROSS3(op) \
	MOVQ dst+0(FP), DI; \
	MOVQ a+8(FP), SI; \
	MOVQ b+16(FP), R8; \
	MOVQ c+24(FP), R9; \
	MOVQ n+32(FP), CX; \
	MOVL $0x01010101, AX; \
	MOVQ AX, X7; \
	VPBROADCASTD X7, Y7; \
	XORQ DX, DX; \
	SHRQ $5, CX; \
	JZ   done; \
loop: \
	VMOVDQU -1(R8)(DX*1), Y0; \
	VMOVDQU 1(R8)(DX*1), Y1; \
	op      (R8)(DX*1), Y0, Y0; \
	op      (SI)(DX*1), Y1, Y1; \
	op      (R9)(DX*1), Y0, Y0; \
	op      Y1, Y0, Y0; \
	VPMINUB Y7, Y0, Y0; \
	VMOVDQU Y0, (DI)(DX*1); \
	ADDQ    $32, DX; \
	DECQ    CX; \
	JNZ     loop; \
done: \
	VZEROUPPER; \
	RET

// func cross3MinAVX2(dst, a, b, c *uint8, n int)
TEXT ·cross3MinAVX2(SB), NOSPLIT, $0-40
	CROSS3(VPMINUB)

// func cross3MaxAVX2(dst, a, b, c *uint8, n int)
TEXT ·cross3MaxAVX2(SB), NOSPLIT, $0-40
	CROSS3(VPMAXUB)
