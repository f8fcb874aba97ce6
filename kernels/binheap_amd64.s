//go:build !noasm

#include "textflag.h"

// MOVE_TO_HOLE moves the entry at index R11, whose key is in R12, into the
// hole at index DX, and makes its place the hole.
#define MOVE_TO_HOLE \
	MOVQ R12, (DI)(DX*8); \
	MOVL (SI)(R11*4), R10; \
	MOVL R10, (SI)(DX*4); \
	MOVQ R11, DX

// func binHeapPop(keys *uint64, pix *uint32, n int) (key uint64, p uint32)
//
// Floyd's order, as popGo: the hole goes from the root down the path of
// smaller children (the left one on equal keys) to a leaf, then the last
// entry climbs back while its parent is not smaller.
TEXT ·binHeapPop(SB), NOSPLIT, $0-36
	MOVQ keys+0(FP), DI
	MOVQ pix+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ 8(DI), AX
	MOVQ AX, key+24(FP)
	MOVL 4(SI), AX
	MOVL AX, p+32(FP)
	MOVQ (DI)(CX*8), R8          // the last entry's key
	MOVL (SI)(CX*4), R9          // and pixel
	MOVQ $-1, AX
	MOVQ AX, (DI)(CX*8)          // its place holds the sentinel
	DECQ CX
	JZ   bhdone
	MOVQ $1, DX                  // the hole

bhdown:
	LEAQ (DX)(DX*1), R11         // its left child
	CMPQ R11, CX
	JHI  bhup
	// The line of the keys two levels below the hole's children
	// (8i..8i+7), which the step after next compares. Asking also for
	// the pixels' lines, or for the keys a level further down, measured
	// slower (BenchmarkWatershedHeap).
	MOVQ       DX, R12
	SHLQ       $6, R12
	PREFETCHT0 (DI)(R12*1)
	MOVQ       (DI)(R11*8), R12  // the left child's key
	MOVQ       8(DI)(R11*8), R13 // the right one's (the sentinel past n)
	CMPQ       CX, $0x40000      // heapStepMax
	JHS        bhbranch
	LEAQ       1(R11), R10
	CMPQ       R13, R12
	CMOVQCS    R13, R12          // the right one if strictly smaller
	CMOVQCS    R10, R11
	JMP        bhmove

	// A heap too large for the core's caches chooses with a branch:
	// running ahead down the predicted path asks for the lines below
	// sooner than waiting for each comparison (as popGo's plain loop).
bhbranch:
	CMPQ       R13, R12
	JCC        bhmove
	MOVQ       R13, R12
	INCQ       R11

bhmove:
	MOVE_TO_HOLE
	JMP        bhdown

bhup:
	CMPQ DX, $1
	JLS  bhplace
	MOVQ DX, R11
	SHRQ $1, R11
	MOVQ (DI)(R11*8), R12        // the parent's key
	CMPQ R12, R8
	JCS  bhplace                 // smaller than the last entry: stop
	MOVE_TO_HOLE
	JMP  bhup

bhplace:
	MOVQ R8, (DI)(DX*8)
	MOVL R9, (SI)(DX*4)

bhdone:
	RET
