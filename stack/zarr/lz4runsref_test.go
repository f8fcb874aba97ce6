package zarr

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// lz4RunsRef is lz4Runs as it was before its parse was made faster: the
// blocks of the two must be byte for byte the same (a store written by
// one version of segstack and read or compared by another holds the same files).
func lz4RunsRef(dst, src []byte, period int) int {
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

	limit := n - lz4MFLimit // a match starts before limit
	matchEnd := n - lz4LastLiterals
	di, anchor := 0, 0
	p := period
	for p < limit {
		// Bit k of w: byte p+k differs from the byte period before it;
		// bits 0 to 56 are valid.
		w := binary.LittleEndian.Uint64(bm[p>>3:]) >> (p & 7)
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
		} else if w := binary.LittleEndian.Uint64(bm[e>>3:]) >> (e & 7); w != 0 {
			// The bits shifted in are zero: a set bit is a byte that differs.
			e += bits.TrailingZeros64(w)
		} else {
			// A long run: whole words of the map at a time, stopped at the
			// latest by the set bits past the end of src.
			j := e>>3 + 8
			for binary.LittleEndian.Uint64(bm[j:]) == 0 {
				j += 8
			}
			e = j<<3 + bits.TrailingZeros64(binary.LittleEndian.Uint64(bm[j:]))
		}
		e = min(e, matchEnd)
		// Output at least as long as the input is refused; short of that,
		// the sequence's bytes and the 16-byte store fit the bound.
		if di+s-anchor >= n {
			return 0
		}
		if lit := s - anchor; lit < 15 && anchor+16 <= n {
			// The common sequence, inline: a token, a 16-byte store of
			// the literals (the room checked for takes it), the offset.
			ml := e - s - lz4MinMatch
			dst[di] = byte(lit<<4 | min(ml, 15))
			*(*[16]byte)(dst[di+1:]) = *(*[16]byte)(src[anchor:])
			di += 1 + lit
			dst[di], dst[di+1] = byte(period), 0
			di += 2
			if ml >= 15 {
				for ml -= 15; ml >= 255; ml -= 255 {
					dst[di] = 255
					di++
				}
				dst[di] = byte(ml)
				di++
			}
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

// TestLZ4RunsSameBytes holds lz4Runs to the blocks lz4RunsRef writes, on
// label-like runs of every period, runs with long stretches (matches past
// 15+255 bytes and literals past 15), noise, and the high and low byte
// streams of an image-like stack, with and without the vector bit maps.
func TestLZ4RunsSameBytes(t *testing.T) { withVectors(t, testLZ4RunsSameBytes) }

func testLZ4RunsSameBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	var inputs [][]byte
	for _, n := range []int{13, 20, 64, 100, 1000, 4*lz4SampleBytes + 8, 32 << 10} {
		for range 6 {
			inputs = append(inputs, runsOf(rng, n, 1+rng.IntN(8)))
		}
		long := make([]byte, 0, n+600) // runs of 0-600 bytes and literals of 0-40
		for len(long) < n {
			v := byte(rng.IntN(3))
			for range rng.IntN(600) {
				long = append(long, v)
			}
			for range rng.IntN(40) {
				long = append(long, byte(rng.Uint32()))
			}
		}
		inputs = append(inputs, long[:n], make([]byte, n))
	}
	img := imageLike(Uint16, []int{4, 256, 256}, 3)
	for o := 0; o+64<<10 <= len(img); o += 64 << 10 {
		s0, s1 := make([]byte, 32<<10), make([]byte, 32<<10)
		shuffle2(s0, s1, img[o:o+64<<10])
		inputs = append(inputs, s0, s1, img[o:o+32<<10])
	}
	for i, src := range inputs {
		for period := 1; period <= 8; period++ {
			a, b := make([]byte, lz4RunsBound(len(src))), make([]byte, lz4RunsBound(len(src)))
			n, m := lz4Runs(a, src, period), lz4RunsRef(b, src, period)
			require.Equal(t, m, n, "input %d (%d bytes), period %d", i, len(src), period)
			require.Equal(t, b[:m], a[:n], "input %d (%d bytes), period %d", i, len(src), period)
		}
	}
}
