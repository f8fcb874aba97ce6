package simd

import (
	"encoding/binary"
	"fmt"
)

// Bit-packed masks: bit i%64 of word i/64 holds element i, so that a row
// of a binary mask becomes a few words and a binary erosion or dilation
// becomes word shifts, ANDs and ORs.

// PackBits sets bit i%64 of dst[i/64] when src[i] is non-zero and clears
// it otherwise, for every i < len(src); the bits of the last word past
// len(src) are cleared. dst must hold at least (len(src)+63)/64 words and
// must not overlap src; words past those are left alone.
func PackBits(dst []uint64, src []uint8) {
	nw := (len(src) + 63) / 64
	if len(dst) < nw {
		panic(fmt.Sprintf("simd.PackBits: %d elements need %d words, have %d", len(src), nw, len(dst)))
	}
	done := vecPackBits(dst[:len(src)/64], src)
	packBitsGo(dst[done:nw], src[done*64:])
}

// UnpackBits writes dst[i] = 1 when bit i%64 of src[i/64] is set and 0
// otherwise, for every i < len(dst). src must hold at least
// (len(dst)+63)/64 words; dst must not overlap src.
func UnpackBits(dst []uint8, src []uint64) {
	nw := (len(dst) + 63) / 64
	if len(src) < nw {
		panic(fmt.Sprintf("simd.UnpackBits: %d elements need %d words, have %d", len(dst), nw, len(src)))
	}
	done := vecUnpackBits(dst, src[:len(dst)/64])
	unpackBitsGo(dst[done*64:], src[done:nw])
}

const (
	bytesLow7 = 0x7f7f7f7f7f7f7f7f
	bytesHigh = 0x8080808080808080
	bytesOne  = 0x0101010101010101
	// gather8 moves bit 8k of a word to bit 56+k when multiplied by it:
	// the partial products never meet, so nothing carries.
	gather8 = 0x0102040810204080
)

// packByte8 returns the 8 bits "byte k of v is non-zero", bit k for byte k.
func packByte8(v uint64) uint64 {
	// The high bit of each byte is set when the byte is non-zero; the
	// addition cannot carry across bytes since each low part is <= 0x7f.
	h := (((v & bytesLow7) + bytesLow7) | v) & bytesHigh
	return ((h >> 7) * gather8) >> 56
}

// packBitsGo is PackBits without vectors: whole groups of eight bytes
// through packByte8, then the remaining bytes one by one.
func packBitsGo(dst []uint64, src []uint8) {
	for w := range dst {
		s := src[min(w*64, len(src)):min(w*64+64, len(src))]
		var word uint64
		if len(s) == 64 {
			for k := range 8 {
				word |= packByte8(binary.LittleEndian.Uint64(s[k*8:])) << (8 * k)
			}
		} else {
			for i, v := range s {
				if v != 0 {
					word |= 1 << i
				}
			}
		}
		dst[w] = word
	}
}

// spread8 maps 8 bits to 8 bytes of 0 or 1, byte k from bit k.
var spread8 = func() (t [256]uint64) {
	for b := range t {
		for k := range 8 {
			if b>>k&1 != 0 {
				t[b] |= 1 << (8 * k)
			}
		}
	}
	return t
}()

// unpackBitsGo is UnpackBits without vectors.
func unpackBitsGo(dst []uint8, src []uint64) {
	for w, word := range src {
		d := dst[w*64 : min(w*64+64, len(dst))]
		if len(d) == 64 {
			for k := range 8 {
				binary.LittleEndian.PutUint64(d[k*8:], spread8[uint8(word>>(8*k))])
			}
			continue
		}
		for i := range d {
			d[i] = uint8(word >> i & 1)
		}
	}
}

// PackRows is PackBits of each of rows rows of n bytes, src[r*n:(r+1)*n]
// into dst[r*stride:], for rows laid out with stride words apart (stride
// at least (n+63)/64). It saves a call per row on the vector paths.
func PackRows(dst []uint64, stride int, src []uint8, n, rows int) {
	nw := (n + 63) / 64
	if rows <= 0 || n <= 0 {
		return
	}
	if stride < nw || len(src) < rows*n || len(dst) < (rows-1)*stride+nw {
		panic(fmt.Sprintf("simd.PackRows: %d rows of %d bytes at stride %d need %d source bytes and %d words, have %d and %d", rows, n, stride, rows*n, (rows-1)*stride+nw, len(src), len(dst)))
	}
	if vecPackRows(dst, stride, src, n, rows) {
		if n%64 != 0 {
			packTails(dst, stride, src, n, rows)
		}
		return
	}
	full := n / 64
	vec := vecPackRow()
	for r := range rows {
		d, s := dst[r*stride:r*stride+nw], src[r*n:(r+1)*n]
		done := 0
		if vec != nil && full > 0 {
			vec(&d[0], &s[0], full)
			done = full
		}
		packBitsGo(d[done:], s[done*64:])
	}
}

// UnpackRows is UnpackBits of each of rows rows of n bytes, dst[r*n:(r+1)*n]
// from src[r*stride:].
func UnpackRows(dst []uint8, n, rows int, src []uint64, stride int) {
	nw := (n + 63) / 64
	if rows <= 0 || n <= 0 {
		return
	}
	if stride < nw || len(dst) < rows*n || len(src) < (rows-1)*stride+nw {
		panic(fmt.Sprintf("simd.UnpackRows: %d rows of %d bytes at stride %d need %d bytes and %d source words, have %d and %d", rows, n, stride, rows*n, (rows-1)*stride+nw, len(dst), len(src)))
	}
	if vecUnpackRows(dst, n, rows, src, stride) {
		if n%64 != 0 {
			unpackTails(dst, n, rows, src, stride)
		}
		return
	}
	full := n / 64
	vec := vecUnpackRow()
	for r := range rows {
		d, s := dst[r*n:(r+1)*n], src[r*stride:r*stride+nw]
		done := 0
		if vec != nil && full > 0 {
			vec(&d[0], &s[0], full)
			done = full
		}
		unpackBitsGo(d[done*64:], s[done:])
	}
}

// packTails packs the last, partial word of each row (n%64 != 0).
func packTails(dst []uint64, stride int, src []uint8, n, rows int) {
	w := n / 64
	for r := range rows {
		packBitsGo(dst[r*stride+w:r*stride+w+1], src[r*n+w*64:(r+1)*n])
	}
}

// unpackTails unpacks the last, partial word of each row (n%64 != 0).
func unpackTails(dst []uint8, n, rows int, src []uint64, stride int) {
	w := n / 64
	for r := range rows {
		unpackBitsGo(dst[r*n+w*64:(r+1)*n], src[r*stride+w:r*stride+w+1])
	}
}

// StepUnpackRows is a binary erosion (erode) or dilation step on packed
// rows fused with their unpacking, where the path has such a loop
// (AVX-512, AVX2; it reports whether it ran). For each of rows rows r and each
// of the first n/64 words i of a row, with o = r*stride+i, the word
//
//	op(srcs[0][o], …, srcs[k-1][o], s, s<<1 | p>>63, s>>1 | q<<63)
//
// (op AND to erode, OR to dilate; the last three only when span is not
// nil, s = span[1+o], p = span[o], q = span[2+o]) is unpacked into the 64
// bytes dst[r*n+64i:]. The last, partial word of a row of n%64 != 0 bytes
// is left to the caller. It takes up to 9 sources and needs a source or
// a span.
func StepUnpackRows(dst []uint8, n, rows, stride int, srcs [][]uint64, span []uint64, erode bool) bool {
	words := n / 64
	if rows <= 0 || words == 0 {
		return true
	}
	need := (rows-1)*stride + words
	if stride < words || len(dst) < (rows-1)*n+words*64 || len(srcs) > 9 || (len(srcs) == 0 && span == nil) ||
		(span != nil && len(span) < need+2) {
		panic(fmt.Sprintf("simd.StepUnpackRows: %d rows of %d bytes at stride %d: %d bytes, %d sources, span of %d words",
			rows, n, stride, len(dst), len(srcs), len(span)))
	}
	var ptrs [9]*uint64
	for j, s := range srcs {
		if len(s) < need {
			panic(fmt.Sprintf("simd.StepUnpackRows: source %d holds %d words, %d rows at stride %d need %d", j, len(s), rows, stride, need))
		}
		ptrs[j] = &s[0]
	}
	var sp *uint64
	if span != nil {
		sp = &span[1]
	}
	return vecStepUnpackRows(dst, n, rows, stride, ptrs[:len(srcs)], sp, erode)
}
