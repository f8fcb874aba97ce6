//go:build amd64 && !noasm

#include "textflag.h"

// Within each 16-byte lane: the even bytes, then the odd ones.
DATA evenOdd<>+0(SB)/8, $0x0e0c0a0806040200
DATA evenOdd<>+8(SB)/8, $0x0f0d0b0907050301
DATA evenOdd<>+16(SB)/8, $0x0e0c0a0806040200
DATA evenOdd<>+24(SB)/8, $0x0f0d0b0907050301
GLOBL evenOdd<>(SB), RODATA|NOPTR, $32

// func shuffle2AVX2(d0, d1, src *byte, n int)
// n is the number of 64-byte groups of src; each gives 32 bytes of d0
// (the even bytes) and 32 of d1 (the odd ones).
TEXT ·shuffle2AVX2(SB), NOSPLIT, $0-32
	MOVQ d0+0(FP), DI
	MOVQ d1+8(FP), SI
	MOVQ src+16(FP), AX
	MOVQ n+24(FP), CX
	VMOVDQU evenOdd<>(SB), Y15
	TESTQ CX, CX
	JZ   shufDone

shufLoop:
	VMOVDQU (AX), Y0
	VMOVDQU 32(AX), Y1
	VPSHUFB Y15, Y0, Y0
	VPSHUFB Y15, Y1, Y1
	VPERMQ  $0xD8, Y0, Y0       // evens 0-15 | odds 0-15
	VPERMQ  $0xD8, Y1, Y1       // evens 16-31 | odds 16-31
	VPERM2I128 $0x20, Y1, Y0, Y2
	VPERM2I128 $0x31, Y1, Y0, Y3
	VMOVDQU Y2, (DI)
	VMOVDQU Y3, (SI)
	ADDQ $64, AX
	ADDQ $32, DI
	ADDQ $32, SI
	DECQ CX
	JNZ  shufLoop

shufDone:
	VZEROUPPER
	RET

// func rangeU16AVX2(p *uint16, n int) (lo, hi uint16)
// n is a positive multiple of 16.
TEXT ·rangeU16AVX2(SB), NOSPLIT, $0-20
	MOVQ p+0(FP), AX
	MOVQ n+8(FP), CX
	VMOVDQU (AX), Y0
	VMOVDQU Y0, Y1
	VMOVDQU Y0, Y2
	VMOVDQU Y0, Y3
	ADDQ $32, AX
	SUBQ $16, CX

rangeLoop32:
	CMPQ CX, $32
	JB   rangeLoop16
	VMOVDQU (AX), Y4
	VMOVDQU 32(AX), Y5
	VPMINUW Y4, Y0, Y0
	VPMAXUW Y4, Y1, Y1
	VPMINUW Y5, Y2, Y2
	VPMAXUW Y5, Y3, Y3
	ADDQ $64, AX
	SUBQ $32, CX
	JMP  rangeLoop32

rangeLoop16:
	CMPQ CX, $16
	JB   rangeReduce
	VMOVDQU (AX), Y4
	VPMINUW Y4, Y0, Y0
	VPMAXUW Y4, Y1, Y1
	ADDQ $32, AX
	SUBQ $16, CX
	JMP  rangeLoop16

rangeReduce:
	VPMINUW Y2, Y0, Y0
	VPMAXUW Y3, Y1, Y1
	VEXTRACTI128 $1, Y0, X2
	VPMINUW X2, X0, X0
	VEXTRACTI128 $1, Y1, X3
	VPMAXUW X3, X1, X1
	VPHMINPOSUW X0, X0
	VMOVD X0, DX
	MOVW DX, lo+16(FP)
	VPCMPEQW X4, X4, X4
	VPXOR X4, X1, X1            // the largest is the least of the complements
	VPHMINPOSUW X1, X1
	VMOVD X1, DX
	NOTL DX
	MOVW DX, hi+18(FP)
	VZEROUPPER
	RET

// func diffBitsAVX2(bm, prev, cur *byte, n int)
// n is the number of 64-byte groups of cur; each gives 8 bytes of bm, a
// bit per byte of cur, set where it differs from the byte of prev.
TEXT ·diffBitsAVX2(SB), NOSPLIT, $0-32
	MOVQ bm+0(FP), DI
	MOVQ prev+8(FP), SI
	MOVQ cur+16(FP), AX
	MOVQ n+24(FP), CX
	TESTQ CX, CX
	JZ   diffDone

diffLoop:
	VMOVDQU (AX), Y0
	VMOVDQU 32(AX), Y1
	VPCMPEQB (SI), Y0, Y0
	VPCMPEQB 32(SI), Y1, Y1
	VPMOVMSKB Y0, BX
	VPMOVMSKB Y1, DX
	SHLQ $32, DX
	ORQ  BX, DX
	NOTQ DX
	MOVQ DX, (DI)
	ADDQ $64, AX
	ADDQ $64, SI
	ADDQ $8, DI
	DECQ CX
	JNZ  diffLoop

diffDone:
	VZEROUPPER
	RET

// func diffBitsAVX512(bm, prev, cur *byte, n int)
// diffBitsAVX2 with 64-byte vectors: n 64-byte groups, a mask register
// of the bytes that differ stored whole for each.
TEXT ·diffBitsAVX512(SB), NOSPLIT, $0-32
	MOVQ bm+0(FP), DI
	MOVQ prev+8(FP), SI
	MOVQ cur+16(FP), AX
	MOVQ n+24(FP), CX
	TESTQ CX, CX
	JZ   diff5Done

diff5Loop:
	VMOVDQU64 (AX), Z0
	VPXORQ    (SI), Z0, Z0
	VPTESTMB  Z0, Z0, K1
	KMOVQ     K1, (DI)
	ADDQ      $64, AX
	ADDQ      $64, SI
	ADDQ      $8, DI
	DECQ      CX
	JNZ       diff5Loop

diff5Done:
	VZEROUPPER
	RET

// func shuffle2RangeAVX2(d0, d1, src *byte, n int) (lo, hi uint16)
// shuffle2AVX2 that also returns the least and greatest of the n*32
// little-endian uint16 elements of src; n is at least 1.
TEXT ·shuffle2RangeAVX2(SB), NOSPLIT, $0-36
	MOVQ d0+0(FP), DI
	MOVQ d1+8(FP), SI
	MOVQ src+16(FP), AX
	MOVQ n+24(FP), CX
	VMOVDQU evenOdd<>(SB), Y15
	VMOVDQU (AX), Y10           // min and max start at the first elements
	VMOVDQU Y10, Y11
	VMOVDQU Y10, Y12
	VMOVDQU Y10, Y13

shufRangeLoop:
	VMOVDQU (AX), Y0
	VMOVDQU 32(AX), Y1
	VPMINUW Y0, Y10, Y10
	VPMAXUW Y0, Y11, Y11
	VPMINUW Y1, Y12, Y12
	VPMAXUW Y1, Y13, Y13
	VPSHUFB Y15, Y0, Y0
	VPSHUFB Y15, Y1, Y1
	VPERMQ  $0xD8, Y0, Y0
	VPERMQ  $0xD8, Y1, Y1
	VPERM2I128 $0x20, Y1, Y0, Y2
	VPERM2I128 $0x31, Y1, Y0, Y3
	VMOVDQU Y2, (DI)
	VMOVDQU Y3, (SI)
	ADDQ $64, AX
	ADDQ $32, DI
	ADDQ $32, SI
	DECQ CX
	JNZ  shufRangeLoop

	VPMINUW Y12, Y10, Y0
	VPMAXUW Y13, Y11, Y1
	VEXTRACTI128 $1, Y0, X2
	VPMINUW X2, X0, X0
	VEXTRACTI128 $1, Y1, X3
	VPMAXUW X3, X1, X1
	VPHMINPOSUW X0, X0
	VMOVD X0, DX
	MOVW DX, lo+32(FP)
	VPCMPEQW X4, X4, X4
	VPXOR X4, X1, X1            // the largest is the least of the complements
	VPHMINPOSUW X1, X1
	VMOVD X1, DX
	NOTL DX
	MOVW DX, hi+34(FP)
	VZEROUPPER
	RET
