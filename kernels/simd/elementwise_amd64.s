//go:build amd64 && !noasm

#include "textflag.h"

// func maxU16AVX2(dst, src *T, n int): dst[i] = VPMAXUW(dst[i], src[i]) for i < n;
// n is a positive multiple of 128 bytes' worth of elements.
TEXT ·maxU16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $6, CX
	JZ   done_maxU16AVX2
loop_maxU16AVX2:
	VMOVDQU 0(SI), Y0
	VMOVDQU 32(SI), Y1
	VMOVDQU 64(SI), Y2
	VMOVDQU 96(SI), Y3
	VPMAXUW 0(DI), Y0, Y0
	VPMAXUW 32(DI), Y1, Y1
	VPMAXUW 64(DI), Y2, Y2
	VPMAXUW 96(DI), Y3, Y3
	VMOVDQU Y0, 0(DI)
	VMOVDQU Y1, 32(DI)
	VMOVDQU Y2, 64(DI)
	VMOVDQU Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  loop_maxU16AVX2
done_maxU16AVX2:
	VZEROUPPER
	RET

// func minU16AVX2(dst, src *T, n int): dst[i] = VPMINUW(dst[i], src[i]) for i < n;
// n is a positive multiple of 128 bytes' worth of elements.
TEXT ·minU16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $6, CX
	JZ   done_minU16AVX2
loop_minU16AVX2:
	VMOVDQU 0(SI), Y0
	VMOVDQU 32(SI), Y1
	VMOVDQU 64(SI), Y2
	VMOVDQU 96(SI), Y3
	VPMINUW 0(DI), Y0, Y0
	VPMINUW 32(DI), Y1, Y1
	VPMINUW 64(DI), Y2, Y2
	VPMINUW 96(DI), Y3, Y3
	VMOVDQU Y0, 0(DI)
	VMOVDQU Y1, 32(DI)
	VMOVDQU Y2, 64(DI)
	VMOVDQU Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  loop_minU16AVX2
done_minU16AVX2:
	VZEROUPPER
	RET

// func maxU8AVX2(dst, src *T, n int): dst[i] = VPMAXUB(dst[i], src[i]) for i < n;
// n is a positive multiple of 128 bytes' worth of elements.
TEXT ·maxU8AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $7, CX
	JZ   done_maxU8AVX2
loop_maxU8AVX2:
	VMOVDQU 0(SI), Y0
	VMOVDQU 32(SI), Y1
	VMOVDQU 64(SI), Y2
	VMOVDQU 96(SI), Y3
	VPMAXUB 0(DI), Y0, Y0
	VPMAXUB 32(DI), Y1, Y1
	VPMAXUB 64(DI), Y2, Y2
	VPMAXUB 96(DI), Y3, Y3
	VMOVDQU Y0, 0(DI)
	VMOVDQU Y1, 32(DI)
	VMOVDQU Y2, 64(DI)
	VMOVDQU Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  loop_maxU8AVX2
done_maxU8AVX2:
	VZEROUPPER
	RET

// func minU8AVX2(dst, src *T, n int): dst[i] = VPMINUB(dst[i], src[i]) for i < n;
// n is a positive multiple of 128 bytes' worth of elements.
TEXT ·minU8AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $7, CX
	JZ   done_minU8AVX2
loop_minU8AVX2:
	VMOVDQU 0(SI), Y0
	VMOVDQU 32(SI), Y1
	VMOVDQU 64(SI), Y2
	VMOVDQU 96(SI), Y3
	VPMINUB 0(DI), Y0, Y0
	VPMINUB 32(DI), Y1, Y1
	VPMINUB 64(DI), Y2, Y2
	VPMINUB 96(DI), Y3, Y3
	VMOVDQU Y0, 0(DI)
	VMOVDQU Y1, 32(DI)
	VMOVDQU Y2, 64(DI)
	VMOVDQU Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  loop_minU8AVX2
done_minU8AVX2:
	VZEROUPPER
	RET

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
