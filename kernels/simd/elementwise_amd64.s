//go:build amd64 && !noasm

#include "textflag.h"

// FOLD_AVX2(op, shift) is the body of func f(dst, src *T, n int):
// dst[i] = op(dst[i], src[i]) for i < n, n a positive multiple of 128 bytes'
// worth of elements (1<<shift of them).
#define FOLD_AVX2(op, shift) \
	MOVQ dst+0(FP), DI; \
	MOVQ src+8(FP), SI; \
	MOVQ n+16(FP), CX; \
	SHRQ $shift, CX; \
	JZ   done; \
loop: \
	VMOVDQU 0(SI), Y0; \
	VMOVDQU 32(SI), Y1; \
	VMOVDQU 64(SI), Y2; \
	VMOVDQU 96(SI), Y3; \
	op      0(DI), Y0, Y0; \
	op      32(DI), Y1, Y1; \
	op      64(DI), Y2, Y2; \
	op      96(DI), Y3, Y3; \
	VMOVDQU Y0, 0(DI); \
	VMOVDQU Y1, 32(DI); \
	VMOVDQU Y2, 64(DI); \
	VMOVDQU Y3, 96(DI); \
	ADDQ    $128, SI; \
	ADDQ    $128, DI; \
	DECQ    CX; \
	JNZ     loop; \
done: \
	VZEROUPPER; \
	RET

// func maxU16AVX2(dst, src *T, n int): dst[i] = VPMAXUW(dst[i], src[i]).
TEXT ·maxU16AVX2(SB), NOSPLIT, $0-24
	FOLD_AVX2(VPMAXUW, 6)

// func minU16AVX2(dst, src *T, n int): dst[i] = VPMINUW(dst[i], src[i]).
TEXT ·minU16AVX2(SB), NOSPLIT, $0-24
	FOLD_AVX2(VPMINUW, 6)

// func maxU8AVX2(dst, src *T, n int): dst[i] = VPMAXUB(dst[i], src[i]).
TEXT ·maxU8AVX2(SB), NOSPLIT, $0-24
	FOLD_AVX2(VPMAXUB, 7)

// func minU8AVX2(dst, src *T, n int): dst[i] = VPMINUB(dst[i], src[i]).
TEXT ·minU8AVX2(SB), NOSPLIT, $0-24
	FOLD_AVX2(VPMINUB, 7)

// func narrowU32AVX2(dst *uint16, src *uint32, n int): dst[i] =
// min(src[i], 65535) for i < n, n a positive multiple of 32. VPMINUD clamps
// (VPACKUSDW alone would read dwords as signed and turn those from 2^31
// up into 0); VPACKUSDW then packs each 128-bit lane's dwords to words and
// VPERMQ puts the lanes' halves back in order.
TEXT ·narrowU32AVX2(SB), NOSPLIT, $0-24
	MOVQ    dst+0(FP), DI
	MOVQ    src+8(FP), SI
	MOVQ    n+16(FP), CX
	VPCMPEQD Y7, Y7, Y7
	VPSRLD  $16, Y7, Y7 // 65535 in every dword
	SHRQ    $5, CX
	JZ      done_narrowU32AVX2
loop_narrowU32AVX2:
	VPMINUD   0(SI), Y7, Y0
	VPMINUD   32(SI), Y7, Y1
	VPMINUD   64(SI), Y7, Y2
	VPMINUD   96(SI), Y7, Y3
	VPACKUSDW Y1, Y0, Y0
	VPACKUSDW Y3, Y2, Y2
	VPERMQ    $0xD8, Y0, Y0
	VPERMQ    $0xD8, Y2, Y2
	VMOVDQU   Y0, 0(DI)
	VMOVDQU   Y2, 32(DI)
	ADDQ      $128, SI
	ADDQ      $64, DI
	DECQ      CX
	JNZ       loop_narrowU32AVX2
done_narrowU32AVX2:
	VZEROUPPER
	RET

// func greaterBitsAVX512(dst *uint64, src *float32, words int, t float32):
// per 64 samples, four ordered t < x compares into mask registers, joined
// into one 64-bit word (words > 0).
TEXT ·greaterBitsAVX512(SB), NOSPLIT, $0-28
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         words+16(FP), CX
	VBROADCASTSS t+24(FP), Z0
loop_greaterBitsAVX512:
	VCMPPS    $0x11, 0(SI), Z0, K1 // t < x, ordered: NaN gives 0
	VCMPPS    $0x11, 64(SI), Z0, K2
	VCMPPS    $0x11, 128(SI), Z0, K3
	VCMPPS    $0x11, 192(SI), Z0, K4
	KUNPCKWD  K1, K2, K5 // K2:K1, samples 0-31
	KUNPCKWD  K3, K4, K6 // K4:K3, samples 32-63
	KUNPCKDQ  K5, K6, K7
	KMOVQ     K7, (DI)
	ADDQ      $256, SI
	ADDQ      $8, DI
	DECQ      CX
	JNZ       loop_greaterBitsAVX512
	VZEROUPPER
	RET

// func greaterBitsAVX2(dst *uint64, src *float32, words int, t float32):
// per 64 samples, eight ordered t < x compares, their sign masks shifted
// into one word (words > 0).
TEXT ·greaterBitsAVX2(SB), NOSPLIT, $0-28
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         words+16(FP), CX
	VBROADCASTSS t+24(FP), Y0
loop_greaterBitsAVX2:
	VCMPPS    $0x11, 224(SI), Y0, Y1
	VMOVMSKPS Y1, AX
	VCMPPS    $0x11, 192(SI), Y0, Y1
	VMOVMSKPS Y1, BX
	SHLQ      $8, AX
	ORQ       BX, AX
	VCMPPS    $0x11, 160(SI), Y0, Y1
	VMOVMSKPS Y1, BX
	SHLQ      $8, AX
	ORQ       BX, AX
	VCMPPS    $0x11, 128(SI), Y0, Y1
	VMOVMSKPS Y1, BX
	SHLQ      $8, AX
	ORQ       BX, AX
	VCMPPS    $0x11, 96(SI), Y0, Y1
	VMOVMSKPS Y1, BX
	SHLQ      $8, AX
	ORQ       BX, AX
	VCMPPS    $0x11, 64(SI), Y0, Y1
	VMOVMSKPS Y1, BX
	SHLQ      $8, AX
	ORQ       BX, AX
	VCMPPS    $0x11, 32(SI), Y0, Y1
	VMOVMSKPS Y1, BX
	SHLQ      $8, AX
	ORQ       BX, AX
	VCMPPS    $0x11, 0(SI), Y0, Y1
	VMOVMSKPS Y1, BX
	SHLQ      $8, AX
	ORQ       BX, AX
	MOVQ      AX, (DI)
	ADDQ      $256, SI
	ADDQ      $8, DI
	DECQ      CX
	JNZ       loop_greaterBitsAVX2
	VZEROUPPER
	RET
