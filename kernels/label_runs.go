package kernels

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// run is a horizontal stretch [s, e) of foreground voxels in one row.
type run struct{ s, e uint32 }

// runFunc appends the foreground runs of flat row r (r = z*Y + y) to out.
type runFunc func(r int, out []run) []run

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

// runScanner turns a row's 64-bit words of foreground bits into runs. It
// carries the open run across words.
type runScanner struct {
	open  bool
	start uint32
}

// word consumes the bits of the 64 columns starting at base.
func (sc *runScanner) word(w uint64, base uint32, out []run) []run {
	if sc.open {
		w = ^w
	}
	for w != 0 {
		tz := uint32(bits.TrailingZeros64(w))
		if sc.open {
			out = append(out, run{sc.start, base + tz})
		} else {
			sc.start = base + tz
		}
		sc.open = !sc.open
		w = ^w & (^uint64(0) << tz)
	}
	return out
}

// end closes a run left open at the row's end, n.
func (sc *runScanner) end(n uint32, out []run) []run {
	if sc.open {
		out = append(out, run{sc.start, n})
		sc.open = false
	}
	return out
}

// maskRuns appends the runs of non-zero bytes in row.
func maskRuns(row []uint8, out []run) []run {
	var sc runScanner
	n := len(row)
	i := 0
	for ; i+64 <= n; i += 64 {
		w := maskWord(row[i : i+64])
		if w == 0 && !sc.open || w == ^uint64(0) && sc.open {
			continue
		}
		out = sc.word(w, uint32(i), out)
	}
	if i < n {
		var w uint64
		for j, b := range row[i:] {
			if b != 0 {
				w |= 1 << j
			}
		}
		out = sc.word(w, uint32(i), out)
	}
	return sc.end(uint32(n), out)
}

// aboveRuns appends the runs of elements of row that are > t.
func aboveRuns(row []float32, t float32, out []run) []run {
	var sc runScanner
	n := len(row)
	i := 0
	for ; i+64 <= n; i += 64 {
		w := aboveWord(row[i:i+64], t)
		if w == 0 && !sc.open || w == ^uint64(0) && sc.open {
			continue
		}
		out = sc.word(w, uint32(i), out)
	}
	if i < n {
		var w uint64
		for j, v := range row[i:] {
			w |= b2u(v > t) << j
		}
		out = sc.word(w, uint32(i), out)
	}
	return sc.end(uint32(n), out)
}

// fill sets every element of s to v.
func fill(s []uint32, v uint32) {
	if v == 0 {
		clear(s)
		return
	}
	// Two labels per 64-bit store halve the store count on long runs.
	for len(s) > 0 && uintptr(unsafe.Pointer(&s[0]))&7 != 0 {
		s[0] = v
		s = s[1:]
	}
	if n := len(s) / 2; n > 0 {
		w := unsafe.Slice((*uint64)(unsafe.Pointer(&s[0])), n)
		vv := uint64(v) | uint64(v)<<32
		for i := range w {
			w[i] = vv
		}
		s = s[2*n:]
	}
	for i := range s {
		s[i] = v
	}
}
