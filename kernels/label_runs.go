package kernels

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// run is a horizontal stretch [s, e) of foreground voxels in one row.
type run struct{ s, e uint32 }

// runFunc appends the foreground runs of flat row r (r = z*Y + y) to out.
// tmp is scratch space of one row's length, owned by the calling strip.
type runFunc func(r int, out []run, tmp []uint8) []run

const (
	lo7  = 0x7f7f7f7f7f7f7f7f
	hi1  = 0x8080808080808080
	gath = 0x0102040810204080
)

// nonzeroBits8 returns one bit per byte of w (bit k for byte k), set where
// the byte is non-zero. The high-bit test avoids a carry between bytes, and
// the multiply gathers the eight high bits into the top byte.
func nonzeroBits8(w uint64) uint64 {
	t := ((w & lo7) + lo7) | w
	t &= hi1
	return ((t >> 7) * gath) >> 56
}

// maskWord packs 64 mask bytes into a word, bit i set where b[i] != 0.
func maskWord(b []uint8) uint64 {
	_ = b[63]
	w := nonzeroBits8(binary.LittleEndian.Uint64(b[0:]))
	w |= nonzeroBits8(binary.LittleEndian.Uint64(b[8:])) << 8
	w |= nonzeroBits8(binary.LittleEndian.Uint64(b[16:])) << 16
	w |= nonzeroBits8(binary.LittleEndian.Uint64(b[24:])) << 24
	w |= nonzeroBits8(binary.LittleEndian.Uint64(b[32:])) << 32
	w |= nonzeroBits8(binary.LittleEndian.Uint64(b[40:])) << 40
	w |= nonzeroBits8(binary.LittleEndian.Uint64(b[48:])) << 48
	w |= nonzeroBits8(binary.LittleEndian.Uint64(b[56:])) << 56
	return w
}

// aboveWord packs 64 comparisons v[i] > t into a word.
func aboveWord(v []float32, t float32) uint64 {
	_ = v[63]
	var w uint64
	for i := 0; i < 64; i += 4 {
		w |= b2u(v[i] > t)<<i | b2u(v[i+1] > t)<<(i+1) | b2u(v[i+2] > t)<<(i+2) | b2u(v[i+3] > t)<<(i+3)
	}
	return w
}

func b2u(b bool) uint64 {
	// Compiles to a SETcc, so the comparisons above do not branch.
	return uint64(*(*uint8)(unsafe.Pointer(&b)))
}

// edges appends the runs of a row given as 64-bit words of foreground bits
// (bits past the row's end are zero). Bit changes are found for a whole
// word at once, w ^ (w<<1 | carry), and written out in pairs (start, end)
// straight into the run slice's storage, so a run costs a few instructions
// and no data-dependent branch besides the loop over a word's changes.
type edges struct {
	pos  []uint32 // the run slice's storage seen as uint32s
	k    int      // entries of pos used
	prev uint64   // the previous word's last bit
}

// startEdges makes room in out for the runs of n more columns and returns
// out's full-capacity storage and the edge writer over it.
func startEdges(out []run, n int) ([]run, edges) {
	if need := len(out) + n/2 + 1; cap(out) < need {
		grown := make([]run, len(out), max(need, 2*cap(out)))
		copy(grown, out)
		out = grown
	}
	k := 2 * len(out)
	full := out[:cap(out)]
	return full, edges{pos: unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(full))), 2*len(full)), k: k}
}

// word consumes the bits of the 64 columns starting at base.
func (e *edges) word(w uint64, base uint32) {
	t := w ^ (w<<1 | e.prev)
	e.prev = w >> 63
	for t != 0 {
		e.pos[e.k] = base + uint32(bits.TrailingZeros64(t))
		e.k++
		t &= t - 1
	}
}

// finish closes a run still open at the row's end n and returns the runs.
func (e *edges) finish(full []run, n uint32) []run {
	if e.prev != 0 {
		e.pos[e.k] = n
		e.k++
	}
	return full[:e.k/2]
}

// maskRuns appends the runs of non-zero bytes in row.
func maskRuns(row []uint8, out []run) []run {
	n := len(row)
	full, e := startEdges(out, n)
	i := 0
	for ; i+64 <= n; i += 64 {
		e.word(maskWord(row[i:i+64]), uint32(i))
	}
	if i < n {
		var w uint64
		for j, b := range row[i:] {
			if b != 0 {
				w |= 1 << j
			}
		}
		e.word(w, uint32(i))
	}
	return e.finish(full, uint32(n))
}

// bitRuns appends the runs of set bits among the first n bits of words
// (bit j of words[k] is element 64k+j; bits from n on must be 0).
func bitRuns(words []uint64, n int, out []run) []run {
	full, e := startEdges(out, n)
	for k, w := range words {
		e.word(w, uint32(64*k))
	}
	return e.finish(full, uint32(n))
}

// aboveRuns appends the runs of elements of row that are > t.
func aboveRuns(row []float32, t float32, out []run) []run {
	n := len(row)
	full, e := startEdges(out, n)
	i := 0
	for ; i+64 <= n; i += 64 {
		e.word(aboveWord(row[i:i+64], t), uint32(i))
	}
	if i < n {
		var w uint64
		for j, v := range row[i:] {
			w |= b2u(v > t) << j
		}
		e.word(w, uint32(i))
	}
	return e.finish(full, uint32(n))
}

// labelElem is the element type of a label plane: uint32, or uint16 when
// every label fits.
type labelElem interface{ ~uint16 | ~uint32 }

// splat repeats label v over the uint64 that store16 and rowWriter.seg
// store: two uint32 labels or four uint16 ones.
func splat[L labelElem](v uint32) uint64 {
	if unsafe.Sizeof(L(0)) == 2 {
		return uint64(uint16(v)) * 0x0001000100010001
	}
	return uint64(v) | uint64(v)<<32
}

// store16 stores the repeated label vv (see splat) over 16 elements from
// element i of p.
func store16[L labelElem](p unsafe.Pointer, i uintptr, vv uint64) {
	es := unsafe.Sizeof(L(0))
	q := unsafe.Add(p, i*es)
	*(*uint64)(q) = vv
	*(*uint64)(unsafe.Add(q, 8)) = vv
	*(*uint64)(unsafe.Add(q, 16)) = vv
	*(*uint64)(unsafe.Add(q, 24)) = vv
	if es == 4 {
		*(*uint64)(unsafe.Add(q, 32)) = vv
		*(*uint64)(unsafe.Add(q, 40)) = vv
		*(*uint64)(unsafe.Add(q, 48)) = vv
		*(*uint64)(unsafe.Add(q, 56)) = vv
	}
}

// rowWriter writes a row of n labels at p as consecutive segments. A
// segment may spill up to 16 elements past its end, as long as it stays in
// the row: the next segment, which starts where this one ends, overwrites
// the spill. Most runs and gaps are short, so most segments cost one
// unconditional block of stores and no unpredictable loop exit.
type rowWriter[L labelElem] struct {
	p unsafe.Pointer
	n uintptr
}

func newRowWriter[L labelElem](row []L) rowWriter[L] {
	return rowWriter[L]{unsafe.Pointer(unsafe.SliceData(row)), uintptr(len(row))}
}

// seg writes the repeated label vv (see splat) over [s, e); s < e <= n.
func (w rowWriter[L]) seg(s, e uintptr, vv uint64) {
	es := unsafe.Sizeof(L(0))
	per := 8 / es // labels per uint64
	for s+16 <= w.n {
		store16[L](w.p, s, vv)
		s += 16
		if s >= e {
			return
		}
	}
	for ; s+per <= e; s += per {
		*(*uint64)(unsafe.Add(w.p, s*es)) = vv
	}
	for ; s < e; s++ {
		*(*L)(unsafe.Add(w.p, s*es)) = L(vv)
	}
}
