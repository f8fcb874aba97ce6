//go:build !noasm

#include "textflag.h"

// keyPairs kernels (KeyPairs): n is a multiple of 16 (AVX-512) or 8 (AVX2);
// mask may be nil.

// FOLD_Y0 folds the eight lanes of Y0 with op into X0's low lane.
#define FOLD_Y0(op) \
	VEXTRACTI128 $1, Y0, X1; \
	op           X1, X0, X0; \
	VPSHUFD      $0x4e, X0, X1; \
	op           X1, X0, X0; \
	VPSHUFD      $0xb1, X0, X1; \
	op           X1, X0, X0

// BAD_RESULT sets the result bad from AX, the largest bits of a value
// without its sign (NaN above the infinity's), and BX, the largest label
// (the reserved one is 0xffffffff).
#define BAD_RESULT \
	XORL  R9, R9; \
	CMPL  AX, $0x7f800000; \
	SETHI R9B; \
	XORL  R10, R10; \
	CMPL  BX, $0xffffffff; \
	SETEQ R10B; \
	ORL   R10, R9; \
	MOVL  R9, bad+64(FP)

// The dword indices that interleave labels (0..15) and keys (16..31) into
// the pairs of the first and the last eight elements of a block of 16.
DATA pairsLo<>+0(SB)/4, $0
DATA pairsLo<>+4(SB)/4, $16
DATA pairsLo<>+8(SB)/4, $1
DATA pairsLo<>+12(SB)/4, $17
DATA pairsLo<>+16(SB)/4, $2
DATA pairsLo<>+20(SB)/4, $18
DATA pairsLo<>+24(SB)/4, $3
DATA pairsLo<>+28(SB)/4, $19
DATA pairsLo<>+32(SB)/4, $4
DATA pairsLo<>+36(SB)/4, $20
DATA pairsLo<>+40(SB)/4, $5
DATA pairsLo<>+44(SB)/4, $21
DATA pairsLo<>+48(SB)/4, $6
DATA pairsLo<>+52(SB)/4, $22
DATA pairsLo<>+56(SB)/4, $7
DATA pairsLo<>+60(SB)/4, $23
GLOBL pairsLo<>(SB), RODATA|NOPTR, $64

DATA pairsHi<>+0(SB)/4, $8
DATA pairsHi<>+4(SB)/4, $24
DATA pairsHi<>+8(SB)/4, $9
DATA pairsHi<>+12(SB)/4, $25
DATA pairsHi<>+16(SB)/4, $10
DATA pairsHi<>+20(SB)/4, $26
DATA pairsHi<>+24(SB)/4, $11
DATA pairsHi<>+28(SB)/4, $27
DATA pairsHi<>+32(SB)/4, $12
DATA pairsHi<>+36(SB)/4, $28
DATA pairsHi<>+40(SB)/4, $13
DATA pairsHi<>+44(SB)/4, $29
DATA pairsHi<>+48(SB)/4, $14
DATA pairsHi<>+52(SB)/4, $30
DATA pairsHi<>+56(SB)/4, $15
DATA pairsHi<>+60(SB)/4, $31
GLOBL pairsHi<>(SB), RODATA|NOPTR, $64

// func keyPairsAVX512(dst *uint32, src *float32, labels *uint32, mask *uint8, n int, flip uint32, marks *uint64) (or, and, bad uint32)
TEXT ·keyPairsAVX512(SB), NOSPLIT, $0-68
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         labels+16(FP), DX
	MOVQ         mask+24(FP), R9
	MOVQ         n+32(FP), CX
	MOVL         flip+40(FP), AX
	MOVQ         marks+48(FP), R8
	VPBROADCASTD AX, Z20
	MOVL         $0x80000000, AX
	VPBROADCASTD AX, Z21
	MOVL         $0x7fffffff, AX
	VPBROADCASTD AX, Z22
	MOVL         $0xfffffffe, AX
	VPBROADCASTD AX, Z30
	VPXORD       Z23, Z23, Z23                // OR of the keys
	VPTERNLOGD   $0xff, Z24, Z24, Z24         // AND of the keys
	VPXORD       Z25, Z25, Z25                // largest bits without the sign
	VPXORD       Z26, Z26, Z26                // largest label
	VPTERNLOGD   $0xff, Z27, Z27, Z27         // -1
	VMOVDQU64    pairsLo<>(SB), Z28
	VMOVDQU64    pairsHi<>(SB), Z29
	SHRQ         $4, CX
	JZ           kp512done

kp512loop:
	KXNORW     K3, K3, K3                     // inside the mask
	TESTQ      R9, R9
	JZ         kp512in
	VPMOVZXBD  (R9), Z7
	VPTESTMD   Z7, Z7, K3
	ADDQ       $16, R9

kp512in:
	VPXORD     (SI), Z20, Z0
	VPANDD     Z22, Z0, Z1
	VPMAXUD    Z1, Z25, Z25
	VMOVDQU32  (DX), Z2
	VPMAXUD    Z2, Z26, K3, Z26
	VPBLENDMD  Z2, Z27, K3, Z2                // outside: 0xffffffff
	VPCMPEQD   Z21, Z0, K1
	VPXORD     Z0, Z0, K1, Z0                 // -0 is +0
	VPSRAD     $31, Z0, Z3
	VPORD      Z21, Z3, Z3
	VPXORD     Z0, Z3, Z3                     // the keys
	VPORD      Z3, Z23, K3, Z23
	VPANDD     Z3, Z24, K3, Z24
	VPADDD     Z27, Z2, Z4
	VPCMPUD    $1, Z30, Z4, K2                // label-1 < 0xfffffffe
	KMOVW      K2, (R8)
	VMOVDQA64  Z28, Z5
	VPERMI2D   Z3, Z2, Z5
	VMOVDQA64  Z29, Z6
	VPERMI2D   Z3, Z2, Z6
	VMOVDQU32  Z5, (DI)
	VMOVDQU32  Z6, 64(DI)
	ADDQ       $64, SI
	ADDQ       $64, DX
	ADDQ       $128, DI
	ADDQ       $2, R8
	DECQ       CX
	JNZ        kp512loop

kp512done:
	VEXTRACTI64X4 $1, Z23, Y0
	VPORD         Y0, Y23, Y0
	FOLD_Y0(VPOR)
	VMOVD         X0, R11
	MOVL          R11, or+56(FP)
	VEXTRACTI64X4 $1, Z24, Y0
	VPANDD        Y0, Y24, Y0
	FOLD_Y0(VPAND)
	VMOVD         X0, R11
	MOVL          R11, and+60(FP)
	VEXTRACTI64X4 $1, Z25, Y0
	VPMAXUD       Y0, Y25, Y0
	FOLD_Y0(VPMAXUD)
	VMOVD         X0, AX
	VEXTRACTI64X4 $1, Z26, Y0
	VPMAXUD       Y0, Y26, Y0
	FOLD_Y0(VPMAXUD)
	VMOVD         X0, BX
	BAD_RESULT
	VZEROUPPER
	RET

// func keyPairsAVX2(dst *uint32, src *float32, labels *uint32, mask *uint8, n int, flip uint32, marks *uint64) (or, and, bad uint32)
TEXT ·keyPairsAVX2(SB), NOSPLIT, $0-68
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         labels+16(FP), DX
	MOVQ         mask+24(FP), R9
	MOVQ         n+32(FP), CX
	MOVQ         marks+48(FP), R8
	MOVL         flip+40(FP), AX
	MOVL         AX, X10
	VPBROADCASTD X10, Y10
	MOVL         $0x80000000, AX
	MOVL         AX, X11
	VPBROADCASTD X11, Y11
	MOVL         $0x7fffffff, AX
	MOVL         AX, X12
	VPBROADCASTD X12, Y12
	VPXOR        Y13, Y13, Y13                // OR of the keys
	VPCMPEQD     Y14, Y14, Y14                // AND of the keys
	VPXOR        Y15, Y15, Y15                // largest bits without the sign
	VPXOR        Y9, Y9, Y9                   // largest label
	VPXOR        Y8, Y8, Y8                   // 0
	SHRQ         $3, CX
	JZ           kp2done

kp2loop:
	VPXOR       Y7, Y7, Y7                    // outside the mask: none
	TESTQ       R9, R9
	JZ          kp2in
	VPMOVZXBD   (R9), Y7
	VPCMPEQD    Y8, Y7, Y7                    // outside: mask byte 0
	ADDQ        $8, R9

kp2in:
	VPXOR       (SI), Y10, Y0
	VPAND       Y12, Y0, Y1
	VPMAXUD     Y1, Y15, Y15
	VMOVDQU     (DX), Y2
	VPANDN      Y2, Y7, Y6                    // the labels inside
	VPMAXUD     Y6, Y9, Y9
	VPOR        Y7, Y2, Y2                    // outside: 0xffffffff
	VPCMPEQD    Y11, Y0, Y3
	VPANDN      Y0, Y3, Y0                    // -0 is +0
	VPSRAD      $31, Y0, Y4
	VPOR        Y11, Y4, Y4
	VPXOR       Y0, Y4, Y4                    // the keys
	VPANDN      Y4, Y7, Y6
	VPOR        Y6, Y13, Y13                  // the keys inside
	VPOR        Y4, Y7, Y6
	VPAND       Y6, Y14, Y14
	VPCMPEQD    Y8, Y2, Y5                    // label 0
	VPCMPEQD    Y2, Y2, Y6
	VPCMPEQD    Y6, Y2, Y6                    // label 0xffffffff
	VPOR        Y6, Y5, Y5
	VMOVMSKPS   Y5, AX
	XORL        $0xff, AX
	MOVB        AX, (R8)
	VPUNPCKLDQ  Y4, Y2, Y5
	VPUNPCKHDQ  Y4, Y2, Y6
	VPERM2I128  $0x20, Y6, Y5, Y7
	VPERM2I128  $0x31, Y6, Y5, Y3
	VMOVDQU     Y7, (DI)
	VMOVDQU     Y3, 32(DI)
	ADDQ        $32, SI
	ADDQ        $32, DX
	ADDQ        $64, DI
	INCQ        R8
	DECQ        CX
	JNZ         kp2loop

kp2done:
	VMOVDQU      Y13, Y0
	FOLD_Y0(VPOR)
	VMOVD        X0, R11
	MOVL         R11, or+56(FP)
	VMOVDQU      Y14, Y0
	FOLD_Y0(VPAND)
	VMOVD        X0, R11
	MOVL         R11, and+60(FP)
	VMOVDQU      Y15, Y0
	FOLD_Y0(VPMAXUD)
	VMOVD        X0, AX
	VMOVDQU      Y9, Y0
	FOLD_Y0(VPMAXUD)
	VMOVD        X0, BX
	BAD_RESULT
	VZEROUPPER
	RET
