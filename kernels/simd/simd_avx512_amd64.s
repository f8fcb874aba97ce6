//go:build !noasm

#include "textflag.h"

// AVX-512 kernels (F, BW, VL). Lengths are multiples of 16; the Go
// wrappers finish any tail. Z8 holds running maxima, Z31 the centre tap and
// Z30 the current tap, broadcast.

DATA negInf512<>+0(SB)/4, $0xff800000
GLOBL negInf512<>(SB), RODATA|NOPTR, $4

DATA posInf512<>+0(SB)/4, $0x7f800000
GLOBL posInf512<>(SB), RODATA|NOPTR, $4

// REDUCE_MAX leaves the maximum of the 16 lanes of Z8 in X8's low lane.
#define REDUCE_MAX \
	VEXTRACTF64X4 $1, Z8, Y9; \
	VMAXPS        Y9, Y8, Y8; \
	VEXTRACTF128  $1, Y8, X9; \
	VMAXPS        X9, X8, X8; \
	VPSHUFD       $0x4e, X8, X9; \
	VMAXPS        X9, X8, X8; \
	VPSHUFD       $0x01, X8, X9; \
	VMAXSS        X9, X8, X8

#define REDUCE_MIN \
	VEXTRACTF64X4 $1, Z8, Y9; \
	VMINPS        Y9, Y8, Y8; \
	VEXTRACTF128  $1, Y8, X9; \
	VMINPS        X9, X8, X8; \
	VPSHUFD       $0x4e, X8, X9; \
	VMINPS        X9, X8, X8; \
	VPSHUFD       $0x01, X8, X9; \
	VMINSS        X9, X8, X8

// func convRowAVX512(dst *float32, n int, src *float32, w *float32, r int) float32
TEXT ·convRowAVX512(SB), NOSPLIT, $0-44
	MOVQ dst+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ src+16(FP), SI
	MOVQ w+24(FP), DX
	MOVQ r+32(FP), R8
	LEAQ (SI)(R8*4), SI            // SI: centre sample of output 0
	VBROADCASTSS (DX), Z31
	VBROADCASTSS negInf512<>(SB), Z8
	MOVQ CX, BX
	SHRQ $6, BX
	JZ   row16

row64:
	VMULPS (SI), Z31, Z0
	VMULPS 64(SI), Z31, Z1
	VMULPS 128(SI), Z31, Z2
	VMULPS 192(SI), Z31, Z3
	MOVQ   SI, R9
	MOVQ   SI, R10
	MOVQ   DX, R11
	MOVQ   R8, R12
	TESTQ  R12, R12
	JZ     row64store

row64tap:
	SUBQ         $4, R9
	ADDQ         $4, R10
	ADDQ         $4, R11
	VBROADCASTSS (R11), Z30
	VMOVUPS      (R9), Z4
	VMOVUPS      64(R9), Z5
	VMOVUPS      128(R9), Z6
	VMOVUPS      192(R9), Z7
	VADDPS       (R10), Z4, Z4
	VADDPS       64(R10), Z5, Z5
	VADDPS       128(R10), Z6, Z6
	VADDPS       192(R10), Z7, Z7
	VFMADD231PS  Z4, Z30, Z0
	VFMADD231PS  Z5, Z30, Z1
	VFMADD231PS  Z6, Z30, Z2
	VFMADD231PS  Z7, Z30, Z3
	DECQ         R12
	JNZ          row64tap

row64store:
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	VMAXPS  Z0, Z8, Z8
	VMAXPS  Z1, Z8, Z8
	VMAXPS  Z2, Z8, Z8
	VMAXPS  Z3, Z8, Z8
	ADDQ    $256, SI
	ADDQ    $256, DI
	DECQ    BX
	JNZ     row64

row16:
	ANDQ $63, CX
	SHRQ $4, CX
	JZ   rowdone

row16loop:
	VMULPS (SI), Z31, Z0
	MOVQ   SI, R9
	MOVQ   SI, R10
	MOVQ   DX, R11
	MOVQ   R8, R12
	TESTQ  R12, R12
	JZ     row16store

row16tap:
	SUBQ         $4, R9
	ADDQ         $4, R10
	ADDQ         $4, R11
	VBROADCASTSS (R11), Z30
	VMOVUPS      (R9), Z4
	VADDPS       (R10), Z4, Z4
	VFMADD231PS  Z4, Z30, Z0
	DECQ         R12
	JNZ          row16tap

row16store:
	VMOVUPS Z0, (DI)
	VMAXPS  Z0, Z8, Z8
	ADDQ    $64, SI
	ADDQ    $64, DI
	DECQ    CX
	JNZ     row16loop

rowdone:
	REDUCE_MAX
	VMOVSS X8, ret+40(FP)
	VZEROUPPER
	RET

// func convColsAVX512(dst *float32, n int, rows *unsafe.Pointer, w *float32, r int) float32
// rows: centre, then (above, below) for taps 1..r.
TEXT ·convColsAVX512(SB), NOSPLIT, $0-44
	MOVQ dst+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ rows+16(FP), SI
	MOVQ w+24(FP), DX
	MOVQ r+32(FP), R8
	VBROADCASTSS (DX), Z31
	VBROADCASTSS negInf512<>(SB), Z8
	XORQ AX, AX                    // byte offset of the current block
	MOVQ CX, BX
	SHRQ $6, BX
	JZ   col16

col64:
	MOVQ   (SI), R9
	VMULPS (R9)(AX*1), Z31, Z0
	VMULPS 64(R9)(AX*1), Z31, Z1
	VMULPS 128(R9)(AX*1), Z31, Z2
	VMULPS 192(R9)(AX*1), Z31, Z3
	LEAQ   8(SI), R10
	MOVQ   DX, R11
	MOVQ   R8, R12
	TESTQ  R12, R12
	JZ     col64store

col64tap:
	ADDQ         $4, R11
	VBROADCASTSS (R11), Z30
	MOVQ         (R10), R9
	MOVQ         8(R10), R13
	VMOVUPS      (R9)(AX*1), Z4
	VMOVUPS      64(R9)(AX*1), Z5
	VMOVUPS      128(R9)(AX*1), Z6
	VMOVUPS      192(R9)(AX*1), Z7
	VADDPS       (R13)(AX*1), Z4, Z4
	VADDPS       64(R13)(AX*1), Z5, Z5
	VADDPS       128(R13)(AX*1), Z6, Z6
	VADDPS       192(R13)(AX*1), Z7, Z7
	VFMADD231PS  Z4, Z30, Z0
	VFMADD231PS  Z5, Z30, Z1
	VFMADD231PS  Z6, Z30, Z2
	VFMADD231PS  Z7, Z30, Z3
	ADDQ         $16, R10
	DECQ         R12
	JNZ          col64tap

col64store:
	VMOVUPS Z0, (DI)(AX*1)
	VMOVUPS Z1, 64(DI)(AX*1)
	VMOVUPS Z2, 128(DI)(AX*1)
	VMOVUPS Z3, 192(DI)(AX*1)
	VMAXPS  Z0, Z8, Z8
	VMAXPS  Z1, Z8, Z8
	VMAXPS  Z2, Z8, Z8
	VMAXPS  Z3, Z8, Z8
	ADDQ    $256, AX
	DECQ    BX
	JNZ     col64

col16:
	ANDQ $63, CX
	SHRQ $4, CX
	JZ   coldone

col16loop:
	MOVQ   (SI), R9
	VMULPS (R9)(AX*1), Z31, Z0
	LEAQ   8(SI), R10
	MOVQ   DX, R11
	MOVQ   R8, R12
	TESTQ  R12, R12
	JZ     col16store

col16tap:
	ADDQ         $4, R11
	VBROADCASTSS (R11), Z30
	MOVQ         (R10), R9
	MOVQ         8(R10), R13
	VMOVUPS      (R9)(AX*1), Z4
	VADDPS       (R13)(AX*1), Z4, Z4
	VFMADD231PS  Z4, Z30, Z0
	ADDQ         $16, R10
	DECQ         R12
	JNZ          col16tap

col16store:
	VMOVUPS Z0, (DI)(AX*1)
	VMAXPS  Z0, Z8, Z8
	ADDQ    $64, AX
	DECQ    CX
	JNZ     col16loop

coldone:
	REDUCE_MAX
	VMOVSS X8, ret+40(FP)
	VZEROUPPER
	RET

// func maxAVX512(x *float32, n int) float32
TEXT ·maxAVX512(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS negInf512<>(SB), Z8
	VMOVAPS      Z8, Z1
	VMOVAPS      Z8, Z2
	VMOVAPS      Z8, Z3
	MOVQ         CX, BX
	SHRQ         $6, BX
	JZ           max16

max64:
	VMAXPS (SI), Z8, Z8
	VMAXPS 64(SI), Z1, Z1
	VMAXPS 128(SI), Z2, Z2
	VMAXPS 192(SI), Z3, Z3
	ADDQ   $256, SI
	DECQ   BX
	JNZ    max64
	VMAXPS Z1, Z8, Z8
	VMAXPS Z3, Z2, Z2
	VMAXPS Z2, Z8, Z8

max16:
	ANDQ $63, CX
	SHRQ $4, CX
	JZ   maxdone

max16loop:
	VMAXPS (SI), Z8, Z8
	ADDQ   $64, SI
	DECQ   CX
	JNZ    max16loop

maxdone:
	REDUCE_MAX
	VMOVSS X8, ret+16(FP)
	VZEROUPPER
	RET

// func minAVX512(x *float32, n int) float32
TEXT ·minAVX512(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS posInf512<>(SB), Z8
	VMOVAPS      Z8, Z1
	VMOVAPS      Z8, Z2
	VMOVAPS      Z8, Z3
	MOVQ         CX, BX
	SHRQ         $6, BX
	JZ           min16

min64:
	VMINPS (SI), Z8, Z8
	VMINPS 64(SI), Z1, Z1
	VMINPS 128(SI), Z2, Z2
	VMINPS 192(SI), Z3, Z3
	ADDQ   $256, SI
	DECQ   BX
	JNZ    min64
	VMINPS Z1, Z8, Z8
	VMINPS Z3, Z2, Z2
	VMINPS Z2, Z8, Z8

min16:
	ANDQ $63, CX
	SHRQ $4, CX
	JZ   mindone

min16loop:
	VMINPS (SI), Z8, Z8
	ADDQ   $64, SI
	DECQ   CX
	JNZ    min16loop

mindone:
	REDUCE_MIN
	VMOVSS X8, ret+16(FP)
	VZEROUPPER
	RET

// func sumAVX512(x *float32, n int, acc *[32]float64)
// n is a multiple of 32; lane j of each block of 32 goes to acc[j].
TEXT ·sumAVX512(SB), NOSPLIT, $0-24
	MOVQ    x+0(FP), SI
	MOVQ    n+8(FP), CX
	MOVQ    acc+16(FP), DI
	VMOVUPD (DI), Z0
	VMOVUPD 64(DI), Z1
	VMOVUPD 128(DI), Z2
	VMOVUPD 192(DI), Z3
	SHRQ    $5, CX
	JZ      sumdone

sumloop:
	VCVTPS2PD (SI), Z4
	VCVTPS2PD 32(SI), Z5
	VCVTPS2PD 64(SI), Z6
	VCVTPS2PD 96(SI), Z7
	VADDPD    Z4, Z0, Z0
	VADDPD    Z5, Z1, Z1
	VADDPD    Z6, Z2, Z2
	VADDPD    Z7, Z3, Z3
	ADDQ      $128, SI
	DECQ      CX
	JNZ       sumloop

sumdone:
	VMOVUPD Z0, (DI)
	VMOVUPD Z1, 64(DI)
	VMOVUPD Z2, 128(DI)
	VMOVUPD Z3, 192(DI)
	VZEROUPPER
	RET

// func copyMaxAVX512(dst, src *float32, n int) float32
TEXT ·copyMaxAVX512(SB), NOSPLIT, $0-28
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS negInf512<>(SB), Z8
	VMOVAPS      Z8, Z9
	MOVQ         CX, BX
	SHRQ         $5, BX
	JZ           cm16

cm32:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMAXPS  Z0, Z8, Z8
	VMAXPS  Z1, Z9, Z9
	ADDQ    $128, SI
	ADDQ    $128, DI
	DECQ    BX
	JNZ     cm32
	VMAXPS  Z9, Z8, Z8

cm16:
	ANDQ $31, CX
	SHRQ $4, CX
	JZ   cmdone
	VMOVUPS (SI), Z0
	VMOVUPS Z0, (DI)
	VMAXPS  Z0, Z8, Z8

cmdone:
	REDUCE_MAX
	VMOVSS X8, ret+24(FP)
	VZEROUPPER
	RET

// func greaterMaskAVX512(dst *uint8, src *float32, n int, t float32)
TEXT ·greaterMaskAVX512(SB), NOSPLIT, $0-28
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS t+24(FP), Z1
	MOVL         $0x01010101, AX
	VPBROADCASTD AX, X2
	SHRQ         $4, CX
	JZ           gmdone

gmloop:
	VCMPPS       $0x11, (SI), Z1, K1 // t < x, ordered: NaN gives 0
	VMOVDQU8.Z   X2, K1, X3
	VMOVDQU      X3, (DI)
	ADDQ         $64, SI
	ADDQ         $16, DI
	DECQ         CX
	JNZ          gmloop

gmdone:
	VZEROUPPER
	RET

// func u8ToF32AVX512(dst *float32, src *uint8, n int)
TEXT ·u8ToF32AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $4, CX
	JZ   u8done

u8loop:
	VPMOVZXBD  (SI), Z0
	VCVTDQ2PS  Z0, Z0
	VMOVUPS    Z0, (DI)
	ADDQ       $16, SI
	ADDQ       $64, DI
	DECQ       CX
	JNZ        u8loop

u8done:
	VZEROUPPER
	RET

// func u16ToF32AVX512(dst *float32, src *uint16, n int)
TEXT ·u16ToF32AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $4, CX
	JZ   u16done

u16loop:
	VPMOVZXWD  (SI), Z0
	VCVTDQ2PS  Z0, Z0
	VMOVUPS    Z0, (DI)
	ADDQ       $32, SI
	ADDQ       $64, DI
	DECQ       CX
	JNZ        u16loop

u16done:
	VZEROUPPER
	RET

// func convColsNAVX512(dst *unsafe.Pointer, m int, n int, rows *unsafe.Pointer, w *float32, r int, pf int) float32
// m outputs at once: output j combines rows j..j+2r of the table (centre
// row j+r, then the pairs from the nearest out) exactly as convColsAVX512
// does. Column blocks are the outer loop and outputs the inner one, so the
// blocks of the m+2r input rows stay in L1 while every output is made.
// With pf != 0, each 64-column block first prefetches the block 512 bytes
// further on in every input row (past a row's end this only hints unused
// lines).
TEXT ·convColsNAVX512(SB), NOSPLIT, $0-60
	MOVQ         dst+0(FP), DI
	MOVQ         n+16(FP), CX
	MOVQ         rows+24(FP), SI
	MOVQ         w+32(FP), DX
	MOVQ         r+40(FP), R8
	VBROADCASTSS (DX), Z31
	VBROADCASTSS negInf512<>(SB), Z8
	SHLQ         $2, CX             // bytes per row
	MOVQ         CX, BX
	ANDQ         $-256, BX          // bytes in 64-column blocks
	XORQ         AX, AX             // byte offset of the current block
	CMPQ         AX, BX
	JGE          ncol16

ncol64:
	// Hint the block two ahead of every input row into L1: the rows of a
	// call come from L2 (or memory) and are walked as m+2r interleaved
	// streams, which the hardware prefetchers follow poorly.
	CMPQ pf+48(FP), $0
	JEQ  npf64done
	MOVQ m+8(FP), R12
	LEAQ (R12)(R8*2), R12           // rows in the table
	MOVQ SI, R9

npf64:
	MOVQ       (R9), R13
	PREFETCHT0 512(R13)(AX*1)
	PREFETCHT0 576(R13)(AX*1)
	PREFETCHT0 640(R13)(AX*1)
	PREFETCHT0 704(R13)(AX*1)
	ADDQ       $8, R9
	DECQ       R12
	JNZ        npf64

npf64done:
	XORQ R14, R14

nout64:
	LEAQ   (SI)(R14*8), R9
	LEAQ   (R9)(R8*8), R9           // table slot of the centre row
	MOVQ   (R9), R13
	VMULPS (R13)(AX*1), Z31, Z0
	VMULPS 64(R13)(AX*1), Z31, Z1
	VMULPS 128(R13)(AX*1), Z31, Z2
	VMULPS 192(R13)(AX*1), Z31, Z3
	MOVQ   R9, R10
	MOVQ   DX, R11
	MOVQ   R8, R12
	TESTQ  R12, R12
	JZ     nstore64

ntap64:
	SUBQ         $8, R9
	ADDQ         $8, R10
	ADDQ         $4, R11
	VBROADCASTSS (R11), Z30
	MOVQ         (R9), R13
	VMOVUPS      (R13)(AX*1), Z4
	VMOVUPS      64(R13)(AX*1), Z5
	VMOVUPS      128(R13)(AX*1), Z6
	VMOVUPS      192(R13)(AX*1), Z7
	MOVQ         (R10), R13
	VADDPS       (R13)(AX*1), Z4, Z4
	VADDPS       64(R13)(AX*1), Z5, Z5
	VADDPS       128(R13)(AX*1), Z6, Z6
	VADDPS       192(R13)(AX*1), Z7, Z7
	VFMADD231PS  Z4, Z30, Z0
	VFMADD231PS  Z5, Z30, Z1
	VFMADD231PS  Z6, Z30, Z2
	VFMADD231PS  Z7, Z30, Z3
	DECQ         R12
	JNZ          ntap64

nstore64:
	MOVQ    (DI)(R14*8), R13
	VMOVUPS Z0, (R13)(AX*1)
	VMOVUPS Z1, 64(R13)(AX*1)
	VMOVUPS Z2, 128(R13)(AX*1)
	VMOVUPS Z3, 192(R13)(AX*1)
	VMAXPS  Z0, Z8, Z8
	VMAXPS  Z1, Z8, Z8
	VMAXPS  Z2, Z8, Z8
	VMAXPS  Z3, Z8, Z8
	INCQ    R14
	CMPQ    R14, m+8(FP)
	JLT     nout64
	ADDQ    $256, AX
	CMPQ    AX, BX
	JLT     ncol64

ncol16:
	CMPQ AX, CX
	JGE  ndone

ncol16loop:
	XORQ R14, R14

nout16:
	LEAQ   (SI)(R14*8), R9
	LEAQ   (R9)(R8*8), R9
	MOVQ   (R9), R13
	VMULPS (R13)(AX*1), Z31, Z0
	MOVQ   R9, R10
	MOVQ   DX, R11
	MOVQ   R8, R12
	TESTQ  R12, R12
	JZ     nstore16

ntap16:
	SUBQ         $8, R9
	ADDQ         $8, R10
	ADDQ         $4, R11
	VBROADCASTSS (R11), Z30
	MOVQ         (R9), R13
	VMOVUPS      (R13)(AX*1), Z4
	MOVQ         (R10), R13
	VADDPS       (R13)(AX*1), Z4, Z4
	VFMADD231PS  Z4, Z30, Z0
	DECQ         R12
	JNZ          ntap16

nstore16:
	MOVQ    (DI)(R14*8), R13
	VMOVUPS Z0, (R13)(AX*1)
	VMAXPS  Z0, Z8, Z8
	INCQ    R14
	CMPQ    R14, m+8(FP)
	JLT     nout16
	ADDQ    $64, AX
	CMPQ    AX, CX
	JLT     ncol16loop

ndone:
	REDUCE_MAX
	VMOVSS X8, ret+56(FP)
	VZEROUPPER
	RET

// ALIGN_TAP(k) folds tap k (skipped when k > r) into the four accumulators
// of convRowAlignAVX512: the left samples of the pair come out of the
// registers holding the block and the vector before it (VALIGND by 16-k,
// a shift that depends on k only), the right ones are loaded.
#define ALIGN_TAP(k) \
	CMPQ         R8, $k; \
	JLT          alignstore; \
	VBROADCASTSS (4*k)(DX), Z30; \
	VALIGND      $(16-k), Z9, Z10, Z4; \
	VALIGND      $(16-k), Z10, Z11, Z5; \
	VALIGND      $(16-k), Z11, Z12, Z6; \
	VALIGND      $(16-k), Z12, Z13, Z7; \
	VADDPS       (4*k)(SI), Z4, Z4; \
	VADDPS       (64+4*k)(SI), Z5, Z5; \
	VADDPS       (128+4*k)(SI), Z6, Z6; \
	VADDPS       (192+4*k)(SI), Z7, Z7; \
	VFMADD231PS  Z4, Z30, Z0; \
	VFMADD231PS  Z5, Z30, Z1; \
	VFMADD231PS  Z6, Z30, Z2; \
	VFMADD231PS  Z7, Z30, Z3

// ALIGN_TAP1(k) is ALIGN_TAP for one accumulator.
#define ALIGN_TAP1(k) \
	CMPQ         R8, $k; \
	JLT          align16store; \
	VBROADCASTSS (4*k)(DX), Z30; \
	VALIGND      $(16-k), Z9, Z10, Z4; \
	VADDPS       (4*k)(SI), Z4, Z4; \
	VFMADD231PS  Z4, Z30, Z0

// ALIGN_BLOCK64 filters one 64-sample block of a row for the align
// kernels: SI points at the centre of its first output, DI at its output,
// R8 is r, R9 the store mode (0: ordinary stores), Z31 the centre tap and Z8
// the running maximum; SI and DI move on by the block. The labels it
// defines are the targets of ALIGN_TAP.
#define ALIGN_BLOCK64 \
	VMOVUPS -64(SI), Z9; \
	VMOVUPS (SI), Z10; \
	VMOVUPS 64(SI), Z11; \
	VMOVUPS 128(SI), Z12; \
	VMOVUPS 192(SI), Z13; \
	VMULPS Z10, Z31, Z0; \
	VMULPS Z11, Z31, Z1; \
	VMULPS Z12, Z31, Z2; \
	VMULPS Z13, Z31, Z3; \
	ALIGN_TAP(1); \
	ALIGN_TAP(2); \
	ALIGN_TAP(3); \
	ALIGN_TAP(4); \
	ALIGN_TAP(5); \
	ALIGN_TAP(6); \
	ALIGN_TAP(7); \
	ALIGN_TAP(8); \
	ALIGN_TAP(9); \
	ALIGN_TAP(10); \
	ALIGN_TAP(11); \
	ALIGN_TAP(12); \
	ALIGN_TAP(13); \
	ALIGN_TAP(14); \
	ALIGN_TAP(15); \
	ALIGN_TAP(16); \
	alignstore:; \
	TESTQ R9, R9; \
	JNZ alignstorent; \
	VMOVUPS Z0, (DI); \
	VMOVUPS Z1, 64(DI); \
	VMOVUPS Z2, 128(DI); \
	VMOVUPS Z3, 192(DI); \
	JMP alignmax; \
	alignstorent:; \
	VMOVNTPS Z0, (DI); \
	VMOVNTPS Z1, 64(DI); \
	VMOVNTPS Z2, 128(DI); \
	VMOVNTPS Z3, 192(DI); \
	alignmax:; \
	VMAXPS Z0, Z8, Z8; \
	VMAXPS Z1, Z8, Z8; \
	VMAXPS Z2, Z8, Z8; \
	VMAXPS Z3, Z8, Z8; \
	ADDQ $256, SI; \
	ADDQ $256, DI

// ALIGN_BLOCK16 is ALIGN_BLOCK64 for one 16-sample block (ordinary stores).
#define ALIGN_BLOCK16 \
	VMOVUPS -64(SI), Z9; \
	VMOVUPS (SI), Z10; \
	VMULPS Z10, Z31, Z0; \
	ALIGN_TAP1(1); \
	ALIGN_TAP1(2); \
	ALIGN_TAP1(3); \
	ALIGN_TAP1(4); \
	ALIGN_TAP1(5); \
	ALIGN_TAP1(6); \
	ALIGN_TAP1(7); \
	ALIGN_TAP1(8); \
	ALIGN_TAP1(9); \
	ALIGN_TAP1(10); \
	ALIGN_TAP1(11); \
	ALIGN_TAP1(12); \
	ALIGN_TAP1(13); \
	ALIGN_TAP1(14); \
	ALIGN_TAP1(15); \
	ALIGN_TAP1(16); \
	align16store:; \
	VMOVUPS Z0, (DI); \
	VMAXPS Z0, Z8, Z8; \
	ADDQ $64, SI; \
	ADDQ $64, DI

// func convRowAlignAVX512(dst *float32, n int, c *float32, w *float32, r int, nt int, pf *float32) float32
// As convRowAVX512 for 1 <= r <= 16 and n a multiple of 16, with c pointing
// at the centre sample of output 0 and the 16 samples before it readable.
// Taps are unrolled so that each left operand is one VALIGND of registers
// loaded once per block, with no register copies. Same operations, same
// results. With nt != 0 (dst 64-byte aligned) the 64-sample blocks are
// written with non-temporal stores, followed by an SFENCE when nt == 1
// (nt == 2 leaves the fence to the caller). With pf != nil, each 64-sample block
// also hints the next 256 bytes from pf into L2, so that a caller's next
// input streams in while this row is filtered.
TEXT ·convRowAlignAVX512(SB), NOSPLIT, $0-60
	MOVQ         dst+0(FP), DI
	MOVQ         n+8(FP), BX
	MOVQ         c+16(FP), SI
	MOVQ         w+24(FP), DX
	MOVQ         r+32(FP), R8
	MOVQ         nt+40(FP), R9
	MOVQ         pf+48(FP), R10
	VBROADCASTSS (DX), Z31
	VBROADCASTSS negInf512<>(SB), Z8
	SHRQ         $6, BX
	JZ           align16

align64:
	TESTQ      R10, R10
	JZ         alignload
	PREFETCHT1 (R10)
	PREFETCHT1 64(R10)
	PREFETCHT1 128(R10)
	PREFETCHT1 192(R10)
	ADDQ       $256, R10

alignload:
	ALIGN_BLOCK64
	DECQ BX
	JNZ  align64

align16:
	MOVQ n+8(FP), BX
	ANDQ $63, BX
	SHRQ $4, BX
	JZ   aligndone

align16loop:
	ALIGN_BLOCK16
	DECQ BX
	JNZ  align16loop

aligndone:
	CMPQ R9, $1
	JNE  alignret
	SFENCE

alignret:
	REDUCE_MAX
	VMOVSS X8, ret+56(FP)
	VZEROUPPER
	RET

// func prefetchL2(x *float32, n int)
// Hints the n bytes from x (a multiple of 64) into L2.
TEXT ·prefetchL2(SB), NOSPLIT, $0-16
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	SHRQ $6, CX
	JZ   pfdone

pfloop:
	PREFETCHT1 (SI)
	ADDQ       $64, SI
	DECQ       CX
	JNZ        pfloop

pfdone:
	RET

// func storeFence()
TEXT ·storeFence(SB), NOSPLIT, $0-0
	SFENCE
	RET

// func convRowsAlignAVX512(dst *unsafe.Pointer, c *unsafe.Pointer, rows int, n int, w *float32, r int, nt int) float32
// convRowAlignAVX512 (without pf) for rows rows at once: row i is written
// to dst[i] from the centre pointer c[i], every row n (a multiple of 16)
// long. Values are the same; the call is made once per group of rows.
TEXT ·convRowsAlignAVX512(SB), NOSPLIT, $0-60
	MOVQ         dst+0(FP), R12
	MOVQ         c+8(FP), R13
	MOVQ         rows+16(FP), R14
	MOVQ         w+32(FP), DX
	MOVQ         r+40(FP), R8
	MOVQ         nt+48(FP), R9
	VBROADCASTSS (DX), Z31
	VBROADCASTSS negInf512<>(SB), Z8
	XORQ         R11, R11
	TESTQ        R14, R14
	JZ           rowsdone

rowloop:
	MOVQ (R12)(R11*8), DI
	MOVQ (R13)(R11*8), SI
	MOVQ n+24(FP), BX
	SHRQ $6, BX
	JZ   align16

align64:
	ALIGN_BLOCK64
	DECQ BX
	JNZ  align64

align16:
	MOVQ n+24(FP), BX
	ANDQ $63, BX
	SHRQ $4, BX
	JZ   rownext

align16loop:
	ALIGN_BLOCK16
	DECQ BX
	JNZ  align16loop

rownext:
	INCQ R11
	CMPQ R11, R14
	JLT  rowloop

rowsdone:
	REDUCE_MAX
	VMOVSS X8, ret+56(FP)
	VZEROUPPER
	RET

// func prefetchOffsets(base unsafe.Pointer, offs *int, n int)
// Hints into L1 the cache lines at base + offs[i] bytes, i < n.
TEXT ·prefetchOffsets(SB), NOSPLIT, $0-24
	MOVQ base+0(FP), SI
	MOVQ offs+8(FP), BX
	MOVQ n+16(FP), CX
	TESTQ CX, CX
	JZ   podone

poloop:
	MOVQ       (BX), DX
	PREFETCHT0 (SI)(DX*1)
	ADDQ       $8, BX
	DECQ       CX
	JNZ        poloop

podone:
	RET
