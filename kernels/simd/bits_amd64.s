//go:build amd64 && !noasm

#include "textflag.h"

// unpackShuf picks, for byte i of a 32-byte vector, byte i/8 of the
// broadcast 32-bit word (VPSHUFB works within each 16-byte half, and each
// half holds a copy of the word); unpackBit is 1 << (i%8).
DATA unpackShuf<>+0(SB)/8, $0x0000000000000000
DATA unpackShuf<>+8(SB)/8, $0x0101010101010101
DATA unpackShuf<>+16(SB)/8, $0x0202020202020202
DATA unpackShuf<>+24(SB)/8, $0x0303030303030303
GLOBL unpackShuf<>(SB), RODATA|NOPTR, $32

DATA unpackBit<>+0(SB)/8, $0x8040201008040201
DATA unpackBit<>+8(SB)/8, $0x8040201008040201
DATA unpackBit<>+16(SB)/8, $0x8040201008040201
DATA unpackBit<>+24(SB)/8, $0x8040201008040201
GLOBL unpackBit<>(SB), RODATA|NOPTR, $32

// PACK2(off): the word of the 64 bytes at off(SI) into off/8(DI).
#define PACK2(off, doff) \
	VPCMPEQB  off(SI), Y6, Y0; \
	VPCMPEQB  off+32(SI), Y6, Y1; \
	VPMOVMSKB Y0, AX; \
	VPMOVMSKB Y1, BX; \
	SHLQ      $32, BX; \
	ORQ       BX, AX; \
	NOTQ      AX; \
	MOVQ      AX, doff(DI)

// UNPACK32(soff, doff): the 32 bits at soff(SI) into 32 bytes at doff(DI).
#define UNPACK32(soff, doff, r) \
	VPBROADCASTD soff(SI), r; \
	VPSHUFB      Y5, r, r; \
	VPAND        Y4, r, r; \
	VPCMPEQB     Y4, r, r; \
	VPABSB       r, r; \
	VMOVDQU      r, doff(DI)

// SPANW(op, src, out): out = op(w, w<<1 | p>>63, w>>1 | q<<63) for the
// four words w at (src), p the words one before and q one after. Y8..Y10
// are scratch.
#define SPANW(op, src, out) \
	VMOVDQU (src), out; \
	VMOVDQU -8(src), Y8; \
	VMOVDQU 8(src), Y9; \
	VPSLLQ  $1, out, Y10; \
	VPSRLQ  $63, Y8, Y8; \
	VPOR    Y8, Y10, Y10; \
	VPSRLQ  $1, out, Y8; \
	VPSLLQ  $63, Y9, Y9; \
	VPOR    Y9, Y8, Y8; \
	op      Y10, out, out; \
	op      Y8, out, out

// SPANBITS(op): func f(dst, src *uint64, n int), n a positive multiple
// of 4, src the centre of dst[0] (src[-1] and src[n] are read).
#define SPANBITS(op) \
	MOVQ dst+0(FP), DI; \
	MOVQ src+8(FP), SI; \
	MOVQ n+16(FP), CX; \
	SHRQ $2, CX; \
	JZ   sbdone; \
sbloop: \
	SPANW(op, SI, Y0); \
	VMOVDQU Y0, (DI); \
	ADDQ    $32, SI; \
	ADDQ    $32, DI; \
	DECQ    CX; \
	JNZ     sbloop; \
sbdone: \
	VZEROUPPER; \
	RET

// CROSSBITS(op): func f(dst, src *uint64, n, stride int), n a positive
// multiple of 4, src the centre of dst[0]: dst[i] = op(src[i-stride],
// src[i+stride], span at src[i]).
#define CROSSBITS(op) \
	MOVQ dst+0(FP), DI; \
	MOVQ src+8(FP), SI; \
	MOVQ n+16(FP), CX; \
	MOVQ stride+24(FP), DX; \
	SHLQ $3, DX; \
	MOVQ SI, R8; \
	SUBQ DX, R8; \
	MOVQ SI, R9; \
	ADDQ DX, R9; \
	SHRQ $2, CX; \
	JZ   cbdone; \
cbloop: \
	SPANW(op, SI, Y0); \
	op      (R8), Y0, Y0; \
	op      (R9), Y0, Y0; \
	VMOVDQU Y0, (DI); \
	ADDQ    $32, SI; \
	ADDQ    $32, R8; \
	ADDQ    $32, R9; \
	ADDQ    $32, DI; \
	DECQ    CX; \
	JNZ     cbloop; \
cbdone: \
	VZEROUPPER; \
	RET

// COMBINEBITS(op): func f(dst, a, b, c *uint64, n int), n a positive
// multiple of 4: dst[i] = op(a[i], b[i], c[i]).
#define COMBINEBITS(op) \
	MOVQ dst+0(FP), DI; \
	MOVQ a+8(FP), SI; \
	MOVQ b+16(FP), R8; \
	MOVQ c+24(FP), R9; \
	MOVQ n+32(FP), CX; \
	XORQ DX, DX; \
	SHRQ $2, CX; \
	JZ   cmdone; \
cmloop: \
	VMOVDQU (SI)(DX*1), Y0; \
	op      (R8)(DX*1), Y0, Y0; \
	op      (R9)(DX*1), Y0, Y0; \
	VMOVDQU Y0, (DI)(DX*1); \
	ADDQ    $32, DX; \
	DECQ    CX; \
	JNZ     cmloop; \
cmdone: \
	VZEROUPPER; \
	RET

// PREFETCHW4K is PREFETCHW of the 512 bytes 4 KiB past R13 (the result
// a step-and-unpack block is about to write), in bytes: the assembler
// does not know the instruction.
#define PREFETCHW4K \
	BYTE $0x41; BYTE $0x0F; BYTE $0x0D; BYTE $0x8D; BYTE $0x00; BYTE $0x10; BYTE $0x00; BYTE $0x00; \
	BYTE $0x41; BYTE $0x0F; BYTE $0x0D; BYTE $0x8D; BYTE $0x40; BYTE $0x10; BYTE $0x00; BYTE $0x00; \
	BYTE $0x41; BYTE $0x0F; BYTE $0x0D; BYTE $0x8D; BYTE $0x80; BYTE $0x10; BYTE $0x00; BYTE $0x00; \
	BYTE $0x41; BYTE $0x0F; BYTE $0x0D; BYTE $0x8D; BYTE $0xc0; BYTE $0x10; BYTE $0x00; BYTE $0x00; \
	BYTE $0x41; BYTE $0x0F; BYTE $0x0D; BYTE $0x8D; BYTE $0x00; BYTE $0x11; BYTE $0x00; BYTE $0x00; \
	BYTE $0x41; BYTE $0x0F; BYTE $0x0D; BYTE $0x8D; BYTE $0x40; BYTE $0x11; BYTE $0x00; BYTE $0x00; \
	BYTE $0x41; BYTE $0x0F; BYTE $0x0D; BYTE $0x8D; BYTE $0x80; BYTE $0x11; BYTE $0x00; BYTE $0x00; \
	BYTE $0x41; BYTE $0x0F; BYTE $0x0D; BYTE $0x8D; BYTE $0xc0; BYTE $0x11; BYTE $0x00; BYTE $0x00

// STEPWORD computes one packed word of a step into AX with the scalar
// op gop: the span of row span+32(FP) (when not nil) combined with the k
// sources srcs+16(FP), each at byte offset R14. nospanL, srcsL and expL
// are the labels it uses, distinct in each expansion.
#define STEPWORD(gop, nospanL, srcsL, expL) \
	MOVQ  span+32(FP), SI; \
	TESTQ SI, SI; \
	JZ    nospanL; \
	ADDQ  R14, SI; \
	MOVQ  (SI), AX; \
	MOVQ  -8(SI), DX; \
	SHRQ  $63, DX; \
	MOVQ  AX, R8; \
	SHLQ  $1, R8; \
	ORQ   DX, R8; \
	MOVQ  8(SI), DX; \
	SHLQ  $63, DX; \
	MOVQ  AX, R9; \
	SHRQ  $1, R9; \
	ORQ   DX, R9; \
	gop   R8, AX; \
	gop   R9, AX; \
	XORQ  R9, R9; \
	JMP   srcsL; \
nospanL: \
	MOVQ srcs+16(FP), R8; \
	MOVQ (R8), SI; \
	MOVQ (SI)(R14*1), AX; \
	MOVQ $1, R9; \
srcsL: \
	CMPQ R9, R15; \
	JGE  expL; \
	MOVQ srcs+16(FP), R8; \
	MOVQ (R8)(R9*8), SI; \
	gop  (SI)(R14*1), AX; \
	INCQ R9; \
	JMP  srcsL; \
expL:

// STEPUNPACK(vop, gop): func f(dst *uint8, n int, srcs **uint64, k int,
// span *uint64, stride, words, rows int). For each of rows rows (the
// sources stride words apart, dst n bytes apart) and each of its first
// words words i: acc = op over the k sources' word i and, when span is
// not nil, span's word i with its shifts by one bit either way (the bits
// shifted in from the words before and after); acc is then expanded to
// 64 bytes of 0 or 1 at dst+64i. Eight words a step, then one by one.
// 0(SP)..56(SP) hold a step's eight words on their way to the masks.
// Each step first asks for the 512 bytes 4 KiB ahead of its stores with
// PREFETCHW (41 0F 0D /1 with a 32-bit displacement from R13, spelled in
// bytes: the Go assembler lacks the instruction), so that the page walk
// and the ownership of the next page's lines overlap this page's work:
// the hardware prefetchers stop at 4 KiB pages. It never faults.
//
#define STEPUNPACK(vop, gop) \
	MOVQ         dst+0(FP), DI; \
	MOVQ         k+24(FP), R15; \
	MOVQ         stride+40(FP), R10; \
	SHLQ         $3, R10; \
	MOVQ         rows+56(FP), R12; \
	XORQ         R11, R11; \
	MOVQ         $0x0101010101010101, AX; \
	VPBROADCASTQ AX, Z7; \
	TESTQ        R12, R12; \
	JZ           sudone; \
surow: \
	MOVQ  words+48(FP), CX; \
	MOVQ  CX, BX; \
	SHRQ  $3, CX; \
	ANDQ  $7, BX; \
	MOVQ  DI, R13; \
	MOVQ  R11, R14; \
	TESTQ CX, CX; \
	JZ    surem; \
sublk: \
	MOVQ      span+32(FP), SI; \
	TESTQ     SI, SI; \
	JZ        sunospan; \
	ADDQ      R14, SI; \
	VMOVDQU64 (SI), Z0; \
	VMOVDQU64 -8(SI), Z1; \
	VMOVDQU64 8(SI), Z2; \
	VPSLLQ    $1, Z0, Z3; \
	VPSRLQ    $63, Z1, Z1; \
	VPORQ     Z1, Z3, Z3; \
	VPSRLQ    $1, Z0, Z4; \
	VPSLLQ    $63, Z2, Z2; \
	VPORQ     Z2, Z4, Z4; \
	vop       Z3, Z0, Z0; \
	vop       Z4, Z0, Z0; \
	XORQ      R9, R9; \
	JMP       susrcs; \
sunospan: \
	MOVQ      srcs+16(FP), R8; \
	MOVQ      (R8), SI; \
	VMOVDQU64 (SI)(R14*1), Z0; \
	MOVQ      $1, R9; \
susrcs: \
	CMPQ R9, R15; \
	JGE  suexp; \
	MOVQ srcs+16(FP), R8; \
	MOVQ (R8)(R9*8), SI; \
	vop  (SI)(R14*1), Z0, Z0; \
	INCQ R9; \
	JMP  susrcs; \
suexp: \
	PREFETCHW4K; \
	VMOVDQU64  Z0, 0(SP); \
	KMOVQ      0(SP), K1; \
	KMOVQ      8(SP), K2; \
	KMOVQ      16(SP), K3; \
	KMOVQ      24(SP), K4; \
	VMOVDQU8.Z Z7, K1, Z1; \
	VMOVDQU8.Z Z7, K2, Z2; \
	VMOVDQU8.Z Z7, K3, Z3; \
	VMOVDQU8.Z Z7, K4, Z4; \
	VMOVDQU64  Z1, (R13); \
	VMOVDQU64  Z2, 64(R13); \
	VMOVDQU64  Z3, 128(R13); \
	VMOVDQU64  Z4, 192(R13); \
	KMOVQ      32(SP), K1; \
	KMOVQ      40(SP), K2; \
	KMOVQ      48(SP), K3; \
	KMOVQ      56(SP), K4; \
	VMOVDQU8.Z Z7, K1, Z1; \
	VMOVDQU8.Z Z7, K2, Z2; \
	VMOVDQU8.Z Z7, K3, Z3; \
	VMOVDQU8.Z Z7, K4, Z4; \
	VMOVDQU64  Z1, 256(R13); \
	VMOVDQU64  Z2, 320(R13); \
	VMOVDQU64  Z3, 384(R13); \
	VMOVDQU64  Z4, 448(R13); \
	ADDQ       $64, R14; \
	ADDQ       $512, R13; \
	DECQ       CX; \
	JNZ        sublk; \
surem: \
	TESTQ BX, BX; \
	JZ    sunext; \
suword: \
	STEPWORD(gop, sunospan1, susrcs1, suexp1); \
	KMOVQ      AX, K1; \
	VMOVDQU8.Z Z7, K1, Z1; \
	VMOVDQU64  Z1, (R13); \
	ADDQ       $8, R14; \
	ADDQ       $64, R13; \
	DECQ       BX; \
	JNZ        suword; \
sunext: \
	ADDQ n+8(FP), DI; \
	ADDQ R10, R11; \
	DECQ R12; \
	JNZ  surow; \
sudone: \
	VZEROUPPER; \
	RET

// func packBitsAVX512(dst *uint64, src *uint8, words int)
// dst[w] bit k = src[64w+k] != 0, for w < words.
TEXT ·packBitsAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ words+16(FP), CX
	MOVQ CX, DX
	ANDQ $3, DX
	JZ   pk4
pk1:
	VMOVDQU64 (SI), Z0
	VPTESTMB  Z0, Z0, K1
	KMOVQ     K1, (DI)
	ADDQ      $64, SI
	ADDQ      $8, DI
	DECQ      DX
	JNZ       pk1
pk4:
	SHRQ $2, CX
	JZ   pkdone
pkloop:
	VMOVDQU64 (SI), Z0
	VMOVDQU64 64(SI), Z1
	VMOVDQU64 128(SI), Z2
	VMOVDQU64 192(SI), Z3
	VPTESTMB  Z0, Z0, K1
	VPTESTMB  Z1, Z1, K2
	VPTESTMB  Z2, Z2, K3
	VPTESTMB  Z3, Z3, K4
	KMOVQ     K1, (DI)
	KMOVQ     K2, 8(DI)
	KMOVQ     K3, 16(DI)
	KMOVQ     K4, 24(DI)
	ADDQ      $256, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       pkloop
pkdone:
	VZEROUPPER
	RET

// func unpackBitsAVX512(dst *uint8, src *uint64, words int)
// dst[64w+k] = bit k of src[w], for w < words.
TEXT ·unpackBitsAVX512(SB), NOSPLIT, $0-24
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         words+16(FP), CX
	MOVQ         $0x0101010101010101, AX
	VPBROADCASTQ AX, Z7
	MOVQ         CX, DX
	ANDQ         $3, DX
	JZ           up4
up1:
	KMOVQ      (SI), K1
	VMOVDQU8.Z Z7, K1, Z0
	VMOVDQU64  Z0, (DI)
	ADDQ       $8, SI
	ADDQ       $64, DI
	DECQ       DX
	JNZ        up1
up4:
	SHRQ $2, CX
	JZ   updone
uploop:
	KMOVQ      (SI), K1
	KMOVQ      8(SI), K2
	KMOVQ      16(SI), K3
	KMOVQ      24(SI), K4
	VMOVDQU8.Z Z7, K1, Z0
	VMOVDQU8.Z Z7, K2, Z1
	VMOVDQU8.Z Z7, K3, Z2
	VMOVDQU8.Z Z7, K4, Z3
	VMOVDQU64  Z0, (DI)
	VMOVDQU64  Z1, 64(DI)
	VMOVDQU64  Z2, 128(DI)
	VMOVDQU64  Z3, 192(DI)
	ADDQ       $32, SI
	ADDQ       $256, DI
	DECQ       CX
	JNZ        uploop
updone:
	VZEROUPPER
	RET

// func packBitsAVX2(dst *uint64, src *uint8, words int)
TEXT ·packBitsAVX2(SB), NOSPLIT, $0-24
	MOVQ  dst+0(FP), DI
	MOVQ  src+8(FP), SI
	MOVQ  words+16(FP), CX
	VPXOR Y6, Y6, Y6
	TESTQ $1, CX
	JZ    p2
	PACK2(0, 0)
	ADDQ  $64, SI
	ADDQ  $8, DI
p2:
	SHRQ $1, CX
	JZ   p2done
p2loop:
	PACK2(0, 0)
	PACK2(64, 8)
	ADDQ $128, SI
	ADDQ $16, DI
	DECQ CX
	JNZ  p2loop
p2done:
	VZEROUPPER
	RET

// func unpackBitsAVX2(dst *uint8, src *uint64, words int)
TEXT ·unpackBitsAVX2(SB), NOSPLIT, $0-24
	MOVQ    dst+0(FP), DI
	MOVQ    src+8(FP), SI
	MOVQ    words+16(FP), CX
	VMOVDQU unpackShuf<>(SB), Y5
	VMOVDQU unpackBit<>(SB), Y4
	TESTQ   $1, CX
	JZ      u2
	UNPACK32(0, 0, Y0)
	UNPACK32(4, 32, Y1)
	ADDQ    $8, SI
	ADDQ    $64, DI
u2:
	SHRQ $1, CX
	JZ   u2done
u2loop:
	UNPACK32(0, 0, Y0)
	UNPACK32(4, 32, Y1)
	UNPACK32(8, 64, Y2)
	UNPACK32(12, 96, Y3)
	ADDQ $16, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  u2loop
u2done:
	VZEROUPPER
	RET

// func spanBitsAndAVX2(dst, src *uint64, n int)
TEXT ·spanBitsAndAVX2(SB), NOSPLIT, $0-24
	SPANBITS(VPAND)

// func spanBitsOrAVX2(dst, src *uint64, n int)
TEXT ·spanBitsOrAVX2(SB), NOSPLIT, $0-24
	SPANBITS(VPOR)

// func crossBitsAndAVX2(dst, src *uint64, n, stride int)
TEXT ·crossBitsAndAVX2(SB), NOSPLIT, $0-32
	CROSSBITS(VPAND)

// func crossBitsOrAVX2(dst, src *uint64, n, stride int)
TEXT ·crossBitsOrAVX2(SB), NOSPLIT, $0-32
	CROSSBITS(VPOR)

// func combineBitsAndAVX2(dst, a, b, c *uint64, n int)
TEXT ·combineBitsAndAVX2(SB), NOSPLIT, $0-40
	COMBINEBITS(VPAND)

// func combineBitsOrAVX2(dst, a, b, c *uint64, n int)
TEXT ·combineBitsOrAVX2(SB), NOSPLIT, $0-40
	COMBINEBITS(VPOR)

// The row loops below take rows of n bytes laid out one after another and
// packed rows stride words apart, and do the first words (n/64) words of
// each row; the caller finishes the last word of a row of n%64 != 0 bytes.

// func packRowsAVX512(dst *uint64, stride int, src *uint8, n, words, rows int)
// The four-word step prefetches the source 4 KiB ahead (see STEPUNPACK).
TEXT ·packRowsAVX512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ stride+8(FP), R10
	SHLQ $3, R10
	MOVQ src+16(FP), SI
	MOVQ n+24(FP), R11
	MOVQ rows+40(FP), R12
	TESTQ R12, R12
	JZ   prdone
prrow:
	MOVQ DI, R13
	MOVQ SI, R14
	MOVQ words+32(FP), DX
	MOVQ DX, CX
	ANDQ $3, DX
	JZ   pr4
pr1:
	VMOVDQU64 (R14), Z0
	VPTESTMB  Z0, Z0, K1
	KMOVQ     K1, (R13)
	ADDQ      $64, R14
	ADDQ      $8, R13
	DECQ      DX
	JNZ       pr1
pr4:
	SHRQ $2, CX
	JZ   prnext
prloop:
	PREFETCHT0 4096(R14)
	VMOVDQU64 (R14), Z0
	VMOVDQU64 64(R14), Z1
	VMOVDQU64 128(R14), Z2
	VMOVDQU64 192(R14), Z3
	VPTESTMB  Z0, Z0, K1
	VPTESTMB  Z1, Z1, K2
	VPTESTMB  Z2, Z2, K3
	VPTESTMB  Z3, Z3, K4
	KMOVQ     K1, (R13)
	KMOVQ     K2, 8(R13)
	KMOVQ     K3, 16(R13)
	KMOVQ     K4, 24(R13)
	ADDQ      $256, R14
	ADDQ      $32, R13
	DECQ      CX
	JNZ       prloop
prnext:
	ADDQ R10, DI
	ADDQ R11, SI
	DECQ R12
	JNZ  prrow
prdone:
	VZEROUPPER
	RET

// func unpackRowsAVX512(dst *uint8, n int, src *uint64, stride, words, rows int)
TEXT ·unpackRowsAVX512(SB), NOSPLIT, $0-48
	MOVQ         dst+0(FP), DI
	MOVQ         n+8(FP), R11
	MOVQ         src+16(FP), SI
	MOVQ         stride+24(FP), R10
	SHLQ         $3, R10
	MOVQ         rows+40(FP), R12
	MOVQ         $0x0101010101010101, AX
	VPBROADCASTQ AX, Z7
	TESTQ        R12, R12
	JZ           urdone
urrow:
	MOVQ DI, R13
	MOVQ SI, R14
	MOVQ words+32(FP), DX
	MOVQ DX, CX
	ANDQ $3, DX
	JZ   ur4
ur1:
	KMOVQ      (R14), K1
	VMOVDQU8.Z Z7, K1, Z0
	VMOVDQU64  Z0, (R13)
	ADDQ       $8, R14
	ADDQ       $64, R13
	DECQ       DX
	JNZ        ur1
ur4:
	SHRQ $2, CX
	JZ   urnext
urloop:
	KMOVQ      (R14), K1
	KMOVQ      8(R14), K2
	KMOVQ      16(R14), K3
	KMOVQ      24(R14), K4
	VMOVDQU8.Z Z7, K1, Z0
	VMOVDQU8.Z Z7, K2, Z1
	VMOVDQU8.Z Z7, K3, Z2
	VMOVDQU8.Z Z7, K4, Z3
	VMOVDQU64  Z0, (R13)
	VMOVDQU64  Z1, 64(R13)
	VMOVDQU64  Z2, 128(R13)
	VMOVDQU64  Z3, 192(R13)
	ADDQ       $32, R14
	ADDQ       $256, R13
	DECQ       CX
	JNZ        urloop
urnext:
	ADDQ R11, DI
	ADDQ R10, SI
	DECQ R12
	JNZ  urrow
urdone:
	VZEROUPPER
	RET

// func stepUnpackAndAVX512(dst *uint8, n int, srcs **uint64, k int, span *uint64, stride, words, rows int)
TEXT ·stepUnpackAndAVX512(SB), NOSPLIT, $64-64
	STEPUNPACK(VPANDQ, ANDQ)

// func stepUnpackOrAVX512(dst *uint8, n int, srcs **uint64, k int, span *uint64, stride, words, rows int)
TEXT ·stepUnpackOrAVX512(SB), NOSPLIT, $64-64
	STEPUNPACK(VPORQ, ORQ)

// UNPACKSP(soff, doff, r): the 32 bits at soff(SP) into 32 bytes at
// doff(R13), as UNPACK32 (Y5 the shuffle, Y4 the bits).
#define UNPACKSP(soff, doff, r) \
	VPBROADCASTD soff(SP), r; \
	VPSHUFB      Y5, r, r; \
	VPAND        Y4, r, r; \
	VPCMPEQB     Y4, r, r; \
	VPABSB       r, r; \
	VMOVDQU      r, doff(R13)

// STEPUNPACK2(op, gop): STEPUNPACK on AVX2. Eight words a step in two
// registers, put on the stack (0(SP)..56(SP)) and expanded 32 bits at a
// time as unpackBitsAVX2 does; the remaining words one by one. Each step
// first asks for the 512 bytes 4 KiB ahead of its stores with PREFETCHW,
// spelled in bytes as in STEPUNPACK.
#define STEPUNPACK2(op, gop) \
	MOVQ    dst+0(FP), DI; \
	MOVQ    k+24(FP), R15; \
	MOVQ    stride+40(FP), R10; \
	SHLQ    $3, R10; \
	MOVQ    rows+56(FP), R12; \
	XORQ    R11, R11; \
	VMOVDQU unpackShuf<>(SB), Y5; \
	VMOVDQU unpackBit<>(SB), Y4; \
	TESTQ   R12, R12; \
	JZ      s2done; \
s2row: \
	MOVQ  words+48(FP), CX; \
	MOVQ  CX, BX; \
	SHRQ  $3, CX; \
	ANDQ  $7, BX; \
	MOVQ  DI, R13; \
	MOVQ  R11, R14; \
	TESTQ CX, CX; \
	JZ    s2rem; \
s2blk: \
	MOVQ  span+32(FP), SI; \
	TESTQ SI, SI; \
	JZ    s2nospan; \
	ADDQ  R14, SI; \
	SPANW(op, SI, Y0); \
	ADDQ  $32, SI; \
	SPANW(op, SI, Y1); \
	XORQ  R9, R9; \
	JMP   s2srcs; \
s2nospan: \
	MOVQ    srcs+16(FP), R8; \
	MOVQ    (R8), SI; \
	VMOVDQU (SI)(R14*1), Y0; \
	VMOVDQU 32(SI)(R14*1), Y1; \
	MOVQ    $1, R9; \
s2srcs: \
	CMPQ R9, R15; \
	JGE  s2exp; \
	MOVQ srcs+16(FP), R8; \
	MOVQ (R8)(R9*8), SI; \
	op   (SI)(R14*1), Y0, Y0; \
	op   32(SI)(R14*1), Y1, Y1; \
	INCQ R9; \
	JMP  s2srcs; \
s2exp: \
	PREFETCHW4K; \
	VMOVDQU Y0, 0(SP); \
	VMOVDQU Y1, 32(SP); \
	UNPACKSP(0, 0, Y0); \
	UNPACKSP(4, 32, Y1); \
	UNPACKSP(8, 64, Y2); \
	UNPACKSP(12, 96, Y3); \
	UNPACKSP(16, 128, Y0); \
	UNPACKSP(20, 160, Y1); \
	UNPACKSP(24, 192, Y2); \
	UNPACKSP(28, 224, Y3); \
	UNPACKSP(32, 256, Y0); \
	UNPACKSP(36, 288, Y1); \
	UNPACKSP(40, 320, Y2); \
	UNPACKSP(44, 352, Y3); \
	UNPACKSP(48, 384, Y0); \
	UNPACKSP(52, 416, Y1); \
	UNPACKSP(56, 448, Y2); \
	UNPACKSP(60, 480, Y3); \
	ADDQ $64, R14; \
	ADDQ $512, R13; \
	DECQ CX; \
	JNZ  s2blk; \
s2rem: \
	TESTQ BX, BX; \
	JZ    s2next; \
s2word: \
	STEPWORD(gop, s2nospan1, s2srcs1, s2exp1); \
	MOVQ AX, 0(SP); \
	UNPACKSP(0, 0, Y0); \
	UNPACKSP(4, 32, Y1); \
	ADDQ $8, R14; \
	ADDQ $64, R13; \
	DECQ BX; \
	JNZ  s2word; \
s2next: \
	ADDQ n+8(FP), DI; \
	ADDQ R10, R11; \
	DECQ R12; \
	JNZ  s2row; \
s2done: \
	VZEROUPPER; \
	RET

// func stepUnpackAndAVX2(dst *uint8, n int, srcs **uint64, k int, span *uint64, stride, words, rows int)
TEXT ·stepUnpackAndAVX2(SB), NOSPLIT, $64-64
	STEPUNPACK2(VPAND, ANDQ)

// func stepUnpackOrAVX2(dst *uint8, n int, srcs **uint64, k int, span *uint64, stride, words, rows int)
TEXT ·stepUnpackOrAVX2(SB), NOSPLIT, $64-64
	STEPUNPACK2(VPOR, ORQ)
