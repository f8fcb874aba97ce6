package zarr

import (
	"encoding/binary"
	"math/bits"
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

// lz4Runs compresses src into dst as one LZ4 block whose only matches are
// runs: bytes equal to the bytes period positions before them. That is
// what label planes (runs of one label, period the element size) and the
// high bytes of shuffled images (period 1) are mostly made of, and runs
// are found by comparing words where a general LZ4 encoder hashes and
// looks up every position. dst must hold lz4RunsBound(len(src)) bytes.
// lz4Runs returns the length of the block, or 0 when it would not be
// smaller than src (the caller then stores src as it is).
func lz4Runs(dst, src []byte, period int) int {
	n := len(src)
	if n <= lz4MFLimit || period < 1 || period > 8 || len(dst) < lz4RunsBound(n) {
		return 0
	}
	limit := n - lz4MFLimit // a match starts before limit, so 8 bytes can be read there
	matchEnd := n - lz4LastLiterals
	di, anchor := 0, 0
	p := period
	miss := 0
	for p < limit {
		// x has a zero byte where src[i] == src[i-period].
		x := le64(src, p) ^ le64(src, p-period)
		// m has bit 7 of each byte set where x's byte is zero.
		m := ^(((x & 0x7f7f7f7f7f7f7f7f) + 0x7f7f7f7f7f7f7f7f) | x) & 0x8080808080808080
		// The starts of four equal bytes in a row among the first five.
		m4 := m & (m >> 8) & (m >> 16) & (m >> 24)
		if m4 == 0 {
			// Skip faster through data without runs, as LZ4 encoders
			// do through incompressible data.
			miss++
			p += 5 + miss>>5
			continue
		}
		miss = 0
		s := p + bits.TrailingZeros64(m4)>>3
		if s >= limit {
			break
		}
		// Extend the run backwards into the literals.
		for s > anchor && s > period && src[s-1] == src[s-1-period] {
			s--
		}
		e := runEnd(src, s+lz4MinMatch, matchEnd, period)
		if di+(s-anchor)+(s-anchor)/255+(e-s)/255+32 > len(dst) || di+s-anchor >= n {
			return 0
		}
		di = lz4Sequence(dst, di, src, anchor, s, period, e-s)
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

// runEnd is where the run that holds at least up to e stops: the first
// i >= e with src[i] != src[i-period], or end.
func runEnd(src []byte, e, end, period int) int {
	for e+32 <= end {
		w := src[e : e+32 : e+32]
		v := src[e-period : e-period+32 : e-period+32]
		a := binary.LittleEndian.Uint64(w[0:]) ^ binary.LittleEndian.Uint64(v[0:])
		b := binary.LittleEndian.Uint64(w[8:]) ^ binary.LittleEndian.Uint64(v[8:])
		c := binary.LittleEndian.Uint64(w[16:]) ^ binary.LittleEndian.Uint64(v[16:])
		d := binary.LittleEndian.Uint64(w[24:]) ^ binary.LittleEndian.Uint64(v[24:])
		if a|b|c|d != 0 {
			switch {
			case a != 0:
				return e + bits.TrailingZeros64(a)>>3
			case b != 0:
				return e + 8 + bits.TrailingZeros64(b)>>3
			case c != 0:
				return e + 16 + bits.TrailingZeros64(c)>>3
			}
			return e + 24 + bits.TrailingZeros64(d)>>3
		}
		e += 32
	}
	for e+8 <= end {
		if y := le64(src, e) ^ le64(src, e-period); y != 0 {
			return e + bits.TrailingZeros64(y)>>3
		}
		e += 8
	}
	for e < end && src[e] == src[e-period] {
		e++
	}
	return e
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
