//go:build !noasm

#include "textflag.h"

// AVX2+FMA kernels. Lengths are multiples of 8 (32 for greaterMaskAVX2 and
// sumAVX2); the Go wrappers finish any tail. Y8 holds running maxima, Y14
// the centre tap and Y15 the current tap, broadcast.

DATA negInf2<>+0(SB)/4, $0xff800000
GLOBL negInf2<>(SB), RODATA|NOPTR, $4

DATA posInf2<>+0(SB)/4, $0x7f800000
GLOBL posInf2<>(SB), RODATA|NOPTR, $4

// Dword order that undoes the lane interleaving of VPACKSSDW/VPACKSSWB.
DATA packPerm<>+0(SB)/4, $0
DATA packPerm<>+4(SB)/4, $4
DATA packPerm<>+8(SB)/4, $1
DATA packPerm<>+12(SB)/4, $5
DATA packPerm<>+16(SB)/4, $2
DATA packPerm<>+20(SB)/4, $6
DATA packPerm<>+24(SB)/4, $3
DATA packPerm<>+28(SB)/4, $7
GLOBL packPerm<>(SB), RODATA|NOPTR, $32

#define REDUCE_MAX2 \
	VEXTRACTF128 $1, Y8, X9; \
	VMAXPS       X9, X8, X8; \
	VPSHUFD      $0x4e, X8, X9; \
	VMAXPS       X9, X8, X8; \
	VPSHUFD      $0x01, X8, X9; \
	VMAXSS       X9, X8, X8

#define REDUCE_MIN2 \
	VEXTRACTF128 $1, Y8, X9; \
	VMINPS       X9, X8, X8; \
	VPSHUFD      $0x4e, X8, X9; \
	VMINPS       X9, X8, X8; \
	VPSHUFD      $0x01, X8, X9; \
	VMINSS       X9, X8, X8

// func convRowAVX2(dst *float32, n int, src *float32, w *float32, r int) float32
TEXT ·convRowAVX2(SB), NOSPLIT, $0-44
	MOVQ dst+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ src+16(FP), SI
	MOVQ w+24(FP), DX
	MOVQ r+32(FP), R8
	LEAQ (SI)(R8*4), SI
	VBROADCASTSS (DX), Y14
	VBROADCASTSS negInf2<>(SB), Y8
	MOVQ CX, BX
	SHRQ $5, BX
	JZ   row8

row32:
	VMULPS (SI), Y14, Y0
	VMULPS 32(SI), Y14, Y1
	VMULPS 64(SI), Y14, Y2
	VMULPS 96(SI), Y14, Y3
	MOVQ   SI, R9
	MOVQ   SI, R10
	MOVQ   DX, R11
	MOVQ   R8, R12
	TESTQ  R12, R12
	JZ     row32store

row32tap:
	SUBQ         $4, R9
	ADDQ         $4, R10
	ADDQ         $4, R11
	VBROADCASTSS (R11), Y15
	VMOVUPS      (R9), Y4
	VMOVUPS      32(R9), Y5
	VMOVUPS      64(R9), Y6
	VMOVUPS      96(R9), Y7
	VADDPS       (R10), Y4, Y4
	VADDPS       32(R10), Y5, Y5
	VADDPS       64(R10), Y6, Y6
	VADDPS       96(R10), Y7, Y7
	VFMADD231PS  Y4, Y15, Y0
	VFMADD231PS  Y5, Y15, Y1
	VFMADD231PS  Y6, Y15, Y2
	VFMADD231PS  Y7, Y15, Y3
	DECQ         R12
	JNZ          row32tap

row32store:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMAXPS  Y0, Y8, Y8
	VMAXPS  Y1, Y8, Y8
	VMAXPS  Y2, Y8, Y8
	VMAXPS  Y3, Y8, Y8
	ADDQ    $128, SI
	ADDQ    $128, DI
	DECQ    BX
	JNZ     row32

row8:
	ANDQ $31, CX
	SHRQ $3, CX
	JZ   rowdone

row8loop:
	VMULPS (SI), Y14, Y0
	MOVQ   SI, R9
	MOVQ   SI, R10
	MOVQ   DX, R11
	MOVQ   R8, R12
	TESTQ  R12, R12
	JZ     row8store

row8tap:
	SUBQ         $4, R9
	ADDQ         $4, R10
	ADDQ         $4, R11
	VBROADCASTSS (R11), Y15
	VMOVUPS      (R9), Y4
	VADDPS       (R10), Y4, Y4
	VFMADD231PS  Y4, Y15, Y0
	DECQ         R12
	JNZ          row8tap

row8store:
	VMOVUPS Y0, (DI)
	VMAXPS  Y0, Y8, Y8
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     row8loop

rowdone:
	REDUCE_MAX2
	VMOVSS X8, ret+40(FP)
	VZEROUPPER
	RET

// func convColsAVX2(dst *float32, n int, rows *unsafe.Pointer, w *float32, r int) float32
TEXT ·convColsAVX2(SB), NOSPLIT, $0-44
	MOVQ dst+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ rows+16(FP), SI
	MOVQ w+24(FP), DX
	MOVQ r+32(FP), R8
	VBROADCASTSS (DX), Y14
	VBROADCASTSS negInf2<>(SB), Y8
	XORQ AX, AX
	MOVQ CX, BX
	SHRQ $5, BX
	JZ   col8

col32:
	MOVQ   (SI), R9
	VMULPS (R9)(AX*1), Y14, Y0
	VMULPS 32(R9)(AX*1), Y14, Y1
	VMULPS 64(R9)(AX*1), Y14, Y2
	VMULPS 96(R9)(AX*1), Y14, Y3
	LEAQ   8(SI), R10
	MOVQ   DX, R11
	MOVQ   R8, R12
	TESTQ  R12, R12
	JZ     col32store

col32tap:
	ADDQ         $4, R11
	VBROADCASTSS (R11), Y15
	MOVQ         (R10), R9
	MOVQ         8(R10), R13
	VMOVUPS      (R9)(AX*1), Y4
	VMOVUPS      32(R9)(AX*1), Y5
	VMOVUPS      64(R9)(AX*1), Y6
	VMOVUPS      96(R9)(AX*1), Y7
	VADDPS       (R13)(AX*1), Y4, Y4
	VADDPS       32(R13)(AX*1), Y5, Y5
	VADDPS       64(R13)(AX*1), Y6, Y6
	VADDPS       96(R13)(AX*1), Y7, Y7
	VFMADD231PS  Y4, Y15, Y0
	VFMADD231PS  Y5, Y15, Y1
	VFMADD231PS  Y6, Y15, Y2
	VFMADD231PS  Y7, Y15, Y3
	ADDQ         $16, R10
	DECQ         R12
	JNZ          col32tap

col32store:
	VMOVUPS Y0, (DI)(AX*1)
	VMOVUPS Y1, 32(DI)(AX*1)
	VMOVUPS Y2, 64(DI)(AX*1)
	VMOVUPS Y3, 96(DI)(AX*1)
	VMAXPS  Y0, Y8, Y8
	VMAXPS  Y1, Y8, Y8
	VMAXPS  Y2, Y8, Y8
	VMAXPS  Y3, Y8, Y8
	ADDQ    $128, AX
	DECQ    BX
	JNZ     col32

col8:
	ANDQ $31, CX
	SHRQ $3, CX
	JZ   coldone

col8loop:
	MOVQ   (SI), R9
	VMULPS (R9)(AX*1), Y14, Y0
	LEAQ   8(SI), R10
	MOVQ   DX, R11
	MOVQ   R8, R12
	TESTQ  R12, R12
	JZ     col8store

col8tap:
	ADDQ         $4, R11
	VBROADCASTSS (R11), Y15
	MOVQ         (R10), R9
	MOVQ         8(R10), R13
	VMOVUPS      (R9)(AX*1), Y4
	VADDPS       (R13)(AX*1), Y4, Y4
	VFMADD231PS  Y4, Y15, Y0
	ADDQ         $16, R10
	DECQ         R12
	JNZ          col8tap

col8store:
	VMOVUPS Y0, (DI)(AX*1)
	VMAXPS  Y0, Y8, Y8
	ADDQ    $32, AX
	DECQ    CX
	JNZ     col8loop

coldone:
	REDUCE_MAX2
	VMOVSS X8, ret+40(FP)
	VZEROUPPER
	RET

// func maxAVX2(x *float32, n int) float32
TEXT ·maxAVX2(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS negInf2<>(SB), Y8
	VMOVAPS      Y8, Y1
	VMOVAPS      Y8, Y2
	VMOVAPS      Y8, Y3
	MOVQ         CX, BX
	SHRQ         $5, BX
	JZ           max8

max32:
	VMAXPS (SI), Y8, Y8
	VMAXPS 32(SI), Y1, Y1
	VMAXPS 64(SI), Y2, Y2
	VMAXPS 96(SI), Y3, Y3
	ADDQ   $128, SI
	DECQ   BX
	JNZ    max32
	VMAXPS Y1, Y8, Y8
	VMAXPS Y3, Y2, Y2
	VMAXPS Y2, Y8, Y8

max8:
	ANDQ $31, CX
	SHRQ $3, CX
	JZ   maxdone

max8loop:
	VMAXPS (SI), Y8, Y8
	ADDQ   $32, SI
	DECQ   CX
	JNZ    max8loop

maxdone:
	REDUCE_MAX2
	VMOVSS X8, ret+16(FP)
	VZEROUPPER
	RET

// func minAVX2(x *float32, n int) float32
TEXT ·minAVX2(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS posInf2<>(SB), Y8
	VMOVAPS      Y8, Y1
	VMOVAPS      Y8, Y2
	VMOVAPS      Y8, Y3
	MOVQ         CX, BX
	SHRQ         $5, BX
	JZ           min8

min32:
	VMINPS (SI), Y8, Y8
	VMINPS 32(SI), Y1, Y1
	VMINPS 64(SI), Y2, Y2
	VMINPS 96(SI), Y3, Y3
	ADDQ   $128, SI
	DECQ   BX
	JNZ    min32
	VMINPS Y1, Y8, Y8
	VMINPS Y3, Y2, Y2
	VMINPS Y2, Y8, Y8

min8:
	ANDQ $31, CX
	SHRQ $3, CX
	JZ   mindone

min8loop:
	VMINPS (SI), Y8, Y8
	ADDQ   $32, SI
	DECQ   CX
	JNZ    min8loop

mindone:
	REDUCE_MIN2
	VMOVSS X8, ret+16(FP)
	VZEROUPPER
	RET

// func sumAVX2(x *float32, n int, acc *[32]float64)
TEXT ·sumAVX2(SB), NOSPLIT, $0-24
	MOVQ    x+0(FP), SI
	MOVQ    n+8(FP), CX
	MOVQ    acc+16(FP), DI
	VMOVUPD (DI), Y0
	VMOVUPD 32(DI), Y1
	VMOVUPD 64(DI), Y2
	VMOVUPD 96(DI), Y3
	VMOVUPD 128(DI), Y4
	VMOVUPD 160(DI), Y5
	VMOVUPD 192(DI), Y6
	VMOVUPD 224(DI), Y7
	SHRQ    $5, CX
	JZ      sumdone

sumloop:
	VCVTPS2PD (SI), Y8
	VCVTPS2PD 16(SI), Y9
	VCVTPS2PD 32(SI), Y10
	VCVTPS2PD 48(SI), Y11
	VADDPD    Y8, Y0, Y0
	VADDPD    Y9, Y1, Y1
	VADDPD    Y10, Y2, Y2
	VADDPD    Y11, Y3, Y3
	VCVTPS2PD 64(SI), Y8
	VCVTPS2PD 80(SI), Y9
	VCVTPS2PD 96(SI), Y10
	VCVTPS2PD 112(SI), Y11
	VADDPD    Y8, Y4, Y4
	VADDPD    Y9, Y5, Y5
	VADDPD    Y10, Y6, Y6
	VADDPD    Y11, Y7, Y7
	ADDQ      $128, SI
	DECQ      CX
	JNZ       sumloop

sumdone:
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	VMOVUPD Y4, 128(DI)
	VMOVUPD Y5, 160(DI)
	VMOVUPD Y6, 192(DI)
	VMOVUPD Y7, 224(DI)
	VZEROUPPER
	RET

// func copyMaxAVX2(dst, src *float32, n int) float32
TEXT ·copyMaxAVX2(SB), NOSPLIT, $0-28
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS negInf2<>(SB), Y8
	SHRQ         $3, CX
	JZ           cmdone

cmloop:
	VMOVUPS (SI), Y0
	VMOVUPS Y0, (DI)
	VMAXPS  Y0, Y8, Y8
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     cmloop

cmdone:
	REDUCE_MAX2
	VMOVSS X8, ret+24(FP)
	VZEROUPPER
	RET

// func greaterMaskAVX2(dst *uint8, src *float32, n int, t float32)
// n is a multiple of 32.
TEXT ·greaterMaskAVX2(SB), NOSPLIT, $0-28
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS t+24(FP), Y8
	MOVL         $0x01010101, AX
	MOVD         AX, X9
	VPBROADCASTD X9, Y9
	VMOVDQU      packPerm<>(SB), Y10
	SHRQ         $5, CX
	JZ           gmdone

gmloop:
	VCMPPS    $0x11, (SI), Y8, Y0 // t < x, ordered: NaN gives 0
	VCMPPS    $0x11, 32(SI), Y8, Y1
	VCMPPS    $0x11, 64(SI), Y8, Y2
	VCMPPS    $0x11, 96(SI), Y8, Y3
	VPACKSSDW Y1, Y0, Y0
	VPACKSSDW Y3, Y2, Y2
	VPACKSSWB Y2, Y0, Y0
	VPERMD    Y0, Y10, Y0
	VPAND     Y9, Y0, Y0
	VMOVDQU   Y0, (DI)
	ADDQ      $128, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       gmloop

gmdone:
	VZEROUPPER
	RET

// func u8ToF32AVX2(dst *float32, src *uint8, n int)
TEXT ·u8ToF32AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   u8done

u8loop:
	VPMOVZXBD (SI), Y0
	VCVTDQ2PS Y0, Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $8, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       u8loop

u8done:
	VZEROUPPER
	RET

// func u16ToF32AVX2(dst *float32, src *uint16, n int)
TEXT ·u16ToF32AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   u16done

u16loop:
	VPMOVZXWD (SI), Y0
	VCVTDQ2PS Y0, Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       u16loop

u16done:
	VZEROUPPER
	RET
