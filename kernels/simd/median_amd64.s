//go:build amd64 && !noasm

#include "textflag.h"

// FOLDF(op) is the body of func f(dst, src *float32, n int): dst[i] =
// op(src[i], dst[i]) for i < n, n a positive multiple of 32.
#define FOLDF(op) \
	MOVQ dst+0(FP), DI; \
	MOVQ src+8(FP), SI; \
	MOVQ n+16(FP), CX; \
	SHRQ $5, CX; \
	JZ   donef; \
loopf: \
	VMOVUPS 0(SI), Y0; \
	VMOVUPS 32(SI), Y1; \
	VMOVUPS 64(SI), Y2; \
	VMOVUPS 96(SI), Y3; \
	op      0(DI), Y0, Y0; \
	op      32(DI), Y1, Y1; \
	op      64(DI), Y2, Y2; \
	op      96(DI), Y3, Y3; \
	VMOVUPS Y0, 0(DI); \
	VMOVUPS Y1, 32(DI); \
	VMOVUPS Y2, 64(DI); \
	VMOVUPS Y3, 96(DI); \
	ADDQ    $128, SI; \
	ADDQ    $128, DI; \
	DECQ    CX; \
	JNZ     loopf; \
donef: \
	VZEROUPPER; \
	RET

// The kernels below compute, for each output lane x, with a, b, c the
// rows at x, x+1, x+2 (three columns):
//   column order    lo_d, mid_d, hi_d of (a[x+d], b[x+d], c[x+d])
//   lo  = max(lo_0, lo_1, lo_2)
//   hi  = min(hi_0, hi_1, hi_2)
//   mid = med3(mid_0, mid_1, mid_2)
//   out = med3(lo, mid, hi)
// with med3(p, q, r) = max(min(p, q), min(max(p, q), r)), the operations
// of median3x3Go in the same order.

// MED3(MIN, MAX, p, q, r, t): p = med3(p, q, r), clobbers q and t.
#define MED3(MIN, MAX, p, q, r, t) \
	MIN p, q, t; \
	MAX p, q, q; \
	MIN q, r, q; \
	MAX t, q, p

// SORT3(MIN, MAX, p, q, r, lo, mid, hi, t): lo, mid, hi of p, q, r as
// median3x3Go computes them (mn = min(p,q), mx = max(p,q), lo = min(mn,r),
// hi = max(mx,r), mid = max(mn, min(mx,r))).
#define SORT3(MIN, MAX, p, q, r, lo, mid, hi, t) \
	MIN q, p, t; \
	MAX q, p, hi; \
	MIN r, t, lo; \
	MIN r, hi, mid; \
	MAX r, hi, hi; \
	MAX mid, t, mid

#define MEDIAN_BODY(MIN, MAX, LOAD, w, w2, step) \
	MOVQ out+0(FP), DI; \
	MOVQ a+8(FP), AX; \
	MOVQ b+16(FP), BX; \
	MOVQ c+24(FP), CX; \
	MOVQ n+32(FP), DX; \
	SHRQ $step, DX; \
	JZ   done; \
loop: \
	LOAD 0(AX), Y0; \
	LOAD 0(BX), Y1; \
	LOAD 0(CX), Y2; \
	SORT3(MIN, MAX, Y0, Y1, Y2, Y3, Y4, Y5, Y15); \
	LOAD w(AX), Y0; \
	LOAD w(BX), Y1; \
	LOAD w(CX), Y2; \
	SORT3(MIN, MAX, Y0, Y1, Y2, Y6, Y7, Y8, Y15); \
	LOAD w2(AX), Y0; \
	LOAD w2(BX), Y1; \
	LOAD w2(CX), Y2; \
	SORT3(MIN, MAX, Y0, Y1, Y2, Y9, Y10, Y11, Y15); \
	MAX  Y6, Y3, Y3; \
	MAX  Y9, Y3, Y3; \
	MIN  Y8, Y5, Y5; \
	MIN  Y11, Y5, Y5; \
	MED3(MIN, MAX, Y4, Y7, Y10, Y15); \
	MED3(MIN, MAX, Y3, Y4, Y5, Y15); \
	LOAD Y3, 0(DI); \
	ADDQ $32, AX; \
	ADDQ $32, BX; \
	ADDQ $32, CX; \
	ADDQ $32, DI; \
	DECQ DX; \
	JNZ  loop; \
done: \
	VZEROUPPER; \
	RET

// MEDIAN_BODY512 is MEDIAN_BODY on 512-bit registers (64 bytes a step).
#define MEDIAN_BODY512(MIN, MAX, LOAD, w, w2, step) \
	MOVQ out+0(FP), DI; \
	MOVQ a+8(FP), AX; \
	MOVQ b+16(FP), BX; \
	MOVQ c+24(FP), CX; \
	MOVQ n+32(FP), DX; \
	SHRQ $step, DX; \
	JZ   done512; \
loop512: \
	LOAD 0(AX), Z0; \
	LOAD 0(BX), Z1; \
	LOAD 0(CX), Z2; \
	SORT3(MIN, MAX, Z0, Z1, Z2, Z3, Z4, Z5, Z15); \
	LOAD w(AX), Z0; \
	LOAD w(BX), Z1; \
	LOAD w(CX), Z2; \
	SORT3(MIN, MAX, Z0, Z1, Z2, Z6, Z7, Z8, Z15); \
	LOAD w2(AX), Z0; \
	LOAD w2(BX), Z1; \
	LOAD w2(CX), Z2; \
	SORT3(MIN, MAX, Z0, Z1, Z2, Z9, Z10, Z11, Z15); \
	MAX  Z6, Z3, Z3; \
	MAX  Z9, Z3, Z3; \
	MIN  Z8, Z5, Z5; \
	MIN  Z11, Z5, Z5; \
	MED3(MIN, MAX, Z4, Z7, Z10, Z15); \
	MED3(MIN, MAX, Z3, Z4, Z5, Z15); \
	LOAD Z3, 0(DI); \
	ADDQ $64, AX; \
	ADDQ $64, BX; \
	ADDQ $64, CX; \
	ADDQ $64, DI; \
	DECQ DX; \
	JNZ  loop512; \
done512: \
	VZEROUPPER; \
	RET

// func median3x3U8AVX2(out, a, b, c *uint8, n int), n a positive multiple
// of 32.
TEXT ·median3x3U8AVX2(SB), NOSPLIT, $0-40
	MEDIAN_BODY(VPMINUB, VPMAXUB, VMOVDQU, 1, 2, 5)

// func median3x3F32AVX2(out, a, b, c *float32, n int), n a positive
// multiple of 8.
TEXT ·median3x3F32AVX2(SB), NOSPLIT, $0-40
	MEDIAN_BODY(VMINPS, VMAXPS, VMOVUPS, 4, 8, 3)

// func median3x3U8AVX512(out, a, b, c *uint8, n int), n a positive
// multiple of 64 (AVX-512BW).
TEXT ·median3x3U8AVX512(SB), NOSPLIT, $0-40
	MEDIAN_BODY512(VPMINUB, VPMAXUB, VMOVDQU8, 1, 2, 6)

// func median3x3F32AVX512(out, a, b, c *float32, n int), n a positive
// multiple of 16.
TEXT ·median3x3F32AVX512(SB), NOSPLIT, $0-40
	MEDIAN_BODY512(VMINPS, VMAXPS, VMOVUPS, 4, 8, 4)

// func maxF32AVX2(dst, src *float32, n int)
TEXT ·maxF32AVX2(SB), NOSPLIT, $0-24
	FOLDF(VMAXPS)

// func minF32AVX2(dst, src *float32, n int)
TEXT ·minF32AVX2(SB), NOSPLIT, $0-24
	FOLDF(VMINPS)
