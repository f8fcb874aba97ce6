package zarr

import (
	"encoding/binary"
	"math/bits"
	"sync"
	"unsafe"
)

// LZ4 block format limits (from the format's description): a match is at
// least lz4MinMatch bytes long, the last lz4LastLiterals bytes of a block
// are literals, and no match starts in the last lz4MFLimit bytes.
const (
	lz4MinMatch     = 4
	lz4LastLiterals = 5
	lz4MFLimit      = 12
)

// lz4RunsBound is the room lz4Runs needs in dst for n bytes of src, as
// for any LZ4 block: the literals and their length bytes, and slack for
// the word-wide stores of short literals.
func lz4RunsBound(n int) int { return n + n/255 + 32 }

// lz4Runs decides from the first lz4SampleBytes bytes of a stream of at
// least four times that whether to look for runs in the rest: not when
// fewer than one byte in lz4SampleRepeats there repeats the byte period
// before it, which in noise happens for one in 256. (Each byte a match
// saves is such a byte, so a sample with fewer of them cannot shrink by
// more than 1/lz4SampleRepeats.)
const (
	lz4SampleBytes   = 2048
	lz4SampleRepeats = 64
)

// diffBitsPool holds the bit maps lz4Runs marks the runs in.
var diffBitsPool sync.Pool

// lz4Runs compresses src into dst as one LZ4 block whose only matches are
// runs: bytes equal to the bytes period positions before them. That is
// what label planes (runs of one label, period the element size) and the
// high bytes of shuffled images (period 1) are mostly made of. Runs are
// found in a bit map of the bytes that differ from the byte period before
// them, made in one pass (diffBits, 32 bytes a step with AVX2), where a
// general LZ4 encoder hashes and looks up every position: the parse then
// crosses up to 57 bytes of a run, or of data without runs, a step.
// dst must hold lz4RunsBound(len(src)) bytes. lz4Runs returns the length
// of the block, or 0 when it would not be smaller than src (the caller
// then stores src as it is).
func lz4Runs(dst, src []byte, period int) int {
	n := len(src)
	if n <= lz4MFLimit || period < 1 || period > 8 || len(dst) < lz4RunsBound(n) {
		return 0
	}
	need := n>>3 + 16
	bp, _ := diffBitsPool.Get().(*[]byte)
	if bp == nil || cap(*bp) < need {
		b := make([]byte, need)
		bp = &b
	}
	bm := (*bp)[:need]
	defer diffBitsPool.Put(bp)
	if n >= 4*lz4SampleBytes+8 {
		// A sample first: where fewer than one byte in
		// lz4SampleRepeats repeats the one before it (noise, as the
		// low bytes of an image are), the stream is stored raw without
		// mapping the rest.
		// (8 more bytes for the first byte of the map, which the vector
		// pass leaves out.)
		const sample = lz4SampleBytes + 8
		diffBits(bm, src[:sample], period, 0)
		if zeroBits(bm, sample)*lz4SampleRepeats < sample {
			return 0
		}
		diffBits(bm, src, period, sample)
	} else {
		diffBits(bm, src, period, 0)
	}

	// The map's words are read without bounds checks: every read is of
	// bytes p>>3 to p>>3+7 with p at most len(src)+56, inside the map's
	// len(src)/8+16 bytes (the long-run loop stops at the set bits past
	// the end of src).
	mp := unsafe.Pointer(&bm[0])
	dp, sp := unsafe.Pointer(&dst[0]), unsafe.Pointer(&src[0])
	limit := n - lz4MFLimit // a match starts before limit
	matchEnd := n - lz4LastLiterals
	di, anchor := 0, 0
	p := period
	for p < limit {
		// Bit k of w: byte p+k differs from the byte period before it;
		// bits 0 to 56 are valid.
		w := mapWord(mp, p>>3) >> (p & 7)
		z := ^w
		// The starts of four equal bytes in a row.
		z4 := z & (z >> 1) & (z >> 2) & (z >> 3) & (1<<54 - 1)
		if z4 == 0 {
			p += 54
			continue
		}
		k := bits.TrailingZeros64(z4)
		s := p + k
		if s >= limit {
			break
		}
		// The run goes on to the next byte that differs: in w already
		// for most runs (the bits shifted into w are zero, so a set bit
		// is a byte that differs), else further on in the map.
		e := s + lz4MinMatch
		if r := w >> (k + lz4MinMatch); r != 0 {
			e += bits.TrailingZeros64(r)
		} else if w := mapWord(mp, e>>3) >> (e & 7); w != 0 {
			// The bits shifted in are zero: a set bit is a byte that differs.
			e += bits.TrailingZeros64(w)
		} else {
			// A long run: whole words of the map at a time, stopped at the
			// latest by the set bits past the end of src.
			j := e>>3 + 8
			for mapWord(mp, j) == 0 {
				j += 8
			}
			e = j<<3 + bits.TrailingZeros64(mapWord(mp, j))
		}
		e = min(e, matchEnd)
		// Output at least as long as the input is refused; short of that,
		// the sequence's bytes and the 16-byte store fit the bound.
		lit := s - anchor
		if di+lit >= n {
			return 0
		}
		if ml := e - s - lz4MinMatch; lit < 15 && ml < 15+255 && anchor+16 <= n {
			// The common sequence, inline and without branches on its
			// lengths: a token, a 16-byte store of the literals, then
			// the offset and a byte for the match length past 15 in one
			// 4-byte store, that byte kept only where there is one. The
			// stores are unchecked: di+lit < n was checked above, and
			// dst holds n+32 bytes; the literals lie within src.
			d := unsafe.Add(dp, di)
			*(*byte)(d) = byte(lit<<4 | min(ml, 15))
			*(*[16]byte)(unsafe.Add(d, 1)) = *(*[16]byte)(unsafe.Add(sp, anchor))
			ext := 0
			if ml >= 15 {
				ext = 1
			}
			binary.LittleEndian.PutUint32((*[4]byte)(unsafe.Add(d, 1+lit))[:], uint32(period)|uint32(byte(ml-15))<<16)
			di += 3 + lit + ext
		} else {
			di = lz4Sequence(dst, di, src, anchor, s, period, e-s)
		}
		anchor, p = e, e
	}
	// The last literals.
	lit := n - anchor
	if di+1+lit+lit/255+1 >= n {
		return 0
	}
	di = lz4Token(dst, di, lit, 0)
	di += copy(dst[di:], src[anchor:])
	return di
}

// mapWord reads the eight bytes of a bit map at byte i of it, first byte
// lowest, unchecked: i+8 must be within the map.
func mapWord(m unsafe.Pointer, i int) uint64 {
	return binary.LittleEndian.Uint64((*[8]byte)(unsafe.Add(m, i))[:])
}

// diffBits sets bit i of bm (bit i&7 of byte i>>3) where i < period or
// src[i] != src[i-period], for i from `from` on, and every bit from
// len(src) on for 16 bytes of bm; from is 0 or a multiple of 8 not past
// len(src) whose bits before it are set already. bm holds at least
// len(src)/8+16 bytes.
func diffBits(bm, src []byte, period, from int) {
	n := len(src)
	done := from
	if done == 0 && n >= 8 {
		// The first eight bytes have bytes before them only in part.
		var b byte = 1<<period - 1
		for k := period; k < 8; k++ {
			if src[k] != src[k-period] {
				b |= 1 << k
			}
		}
		bm[0] = b
		done = 8
	}
	if done >= 8 && n-done >= 64 {
		done += diffBitsFast(bm[done>>3:], src[done-period:], src[done:])
	}
	tail := n &^ 7
	for i := done; i < tail; i += 8 {
		bm[i>>3] = nonzeroBytes(le64(src, i) ^ le64(src, i-period))
	}
	for j := tail >> 3; j < min(len(bm), tail>>3+16); j++ {
		bm[j] = 0xff
	}
	if tail < n {
		var b byte
		for i := tail; i < n; i++ {
			if i < period || src[i] != src[i-period] {
				b |= 1 << (i - tail)
			}
		}
		bm[tail>>3] = b | byte(0xff<<(n-tail))
	}
}

// zeroBits counts the bits of bm[:n/8] that are not set: the bytes that
// repeat the byte period before them, among the first n (a multiple of 8).
func zeroBits(bm []byte, n int) int {
	ones := 0
	i := 0
	for ; i+8 <= n>>3; i += 8 {
		ones += bits.OnesCount64(binary.LittleEndian.Uint64(bm[i:]))
	}
	for ; i < n>>3; i++ {
		ones += bits.OnesCount8(bm[i])
	}
	return n - ones
}

// nonzeroBytes gathers one bit per byte of x, set where the byte is not
// zero, byte 0 into bit 0.
func nonzeroBytes(x uint64) byte {
	t := ((x & 0x7f7f7f7f7f7f7f7f) + 0x7f7f7f7f7f7f7f7f) | x
	t = (t >> 7) & 0x0101010101010101
	return byte((t * 0x0102040810204080) >> 56)
}

func le64(b []byte, i int) uint64 { return binary.LittleEndian.Uint64(b[i : i+8 : i+8]) }

// lz4Sequence appends one sequence to dst[:di]: the literals
// src[from:to], then a match of mlen bytes at offset off. dst must have
// room for the literals and 32 bytes more. It returns the new length.
func lz4Sequence(dst []byte, di int, src []byte, from, to, off, mlen int) int {
	ml := mlen - lz4MinMatch
	lit := to - from
	di = lz4Token(dst, di, lit, ml)
	if lit <= 16 && from+16 <= len(src) {
		// One 16-byte copy, past the literals into the room checked for;
		// what lies past them is overwritten next.
		copy(dst[di:di+16], src[from:from+16])
	} else {
		copy(dst[di:], src[from:to])
	}
	di += lit
	dst[di], dst[di+1] = byte(off), byte(off>>8)
	di += 2
	if ml >= 15 {
		ml -= 15
		for ; ml >= 255; ml -= 255 {
			dst[di] = 255
			di++
		}
		dst[di] = byte(ml)
		di++
	}
	return di
}

// lz4Token appends a token for lit literals and the match length code ml
// (the match length less four), and the literal length's extra bytes.
func lz4Token(dst []byte, di, lit, ml int) int {
	tok := byte(min(ml, 15))
	if lit < 15 {
		dst[di] = tok | byte(lit)<<4
		return di + 1
	}
	dst[di] = tok | 0xf0
	di++
	for l := lit - 15; ; l -= 255 {
		if l < 255 {
			dst[di] = byte(l)
			return di + 1
		}
		dst[di] = 255
		di++
	}
}
