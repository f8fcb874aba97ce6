//go:build amd64 && !noasm

package simd

import (
	"math"
	"unsafe"

	"github.com/klauspost/cpuid/v2"
)

// Assembly kernels. Each processes only whole vector blocks (the length it
// is given is a multiple of 16 for AVX-512 and 8 for AVX2); the wrappers
// below finish the tail with the Go twins, which compute the same values.

//go:noescape
func convRowAVX512(dst *float32, n int, src *float32, w *float32, r int) float32

//go:noescape
func convRowAlignAVX512(dst *float32, n int, c *float32, w *float32, r int, nt int, pf *float32) float32

//go:noescape
func convRowsAlignAVX512(dst *unsafe.Pointer, c *unsafe.Pointer, rows int, n int, w *float32, r int, nt int) float32

//go:noescape
func convColsAVX512(dst *float32, n int, rows *unsafe.Pointer, w *float32, r int) float32

//go:noescape
func convColsNAVX512(dst *unsafe.Pointer, m int, n int, rows *unsafe.Pointer, w *float32, r int, pf int) float32

//go:noescape
func prefetchL2(x *float32, n int)

//go:noescape
func prefetchOffsets(base unsafe.Pointer, offs *int, n int)

func storeFence()

// StoreFence waits until this goroutine's non-temporal stores (from
// ConvRowInStreamDeferred) are visible to every core, as an SFENCE does.
func StoreFence() { storeFence() }

//go:noescape
func maxAVX512(x *float32, n int) float32

//go:noescape
func minAVX512(x *float32, n int) float32

//go:noescape
func sumAVX512(x *float32, n int, acc *[sumLanes]float64)

//go:noescape
func copyMaxAVX512(dst, src *float32, n int) float32

//go:noescape
func greaterMaskAVX512(dst *uint8, src *float32, n int, t float32)

//go:noescape
func u8ToF32AVX512(dst *float32, src *uint8, n int)

//go:noescape
func u16ToF32AVX512(dst *float32, src *uint16, n int)

//go:noescape
func convRowAVX2(dst *float32, n int, src *float32, w *float32, r int) float32

//go:noescape
func convColsAVX2(dst *float32, n int, rows *unsafe.Pointer, w *float32, r int) float32

//go:noescape
func maxAVX2(x *float32, n int) float32

//go:noescape
func minAVX2(x *float32, n int) float32

//go:noescape
func sumAVX2(x *float32, n int, acc *[sumLanes]float64)

//go:noescape
func copyMaxAVX2(dst, src *float32, n int) float32

//go:noescape
func greaterMaskAVX2(dst *uint8, src *float32, n int, t float32)

//go:noescape
func u8ToF32AVX2(dst *float32, src *uint8, n int)

//go:noescape
func u16ToF32AVX2(dst *float32, src *uint16, n int)

//go:noescape
func keyPairsAVX512(dst *uint32, src *float32, labels *uint32, mask *uint8, n int, flip uint32, marks *uint64) (or, and, bad uint32)

//go:noescape
func keyPairsAVX2(dst *uint32, src *float32, labels *uint32, mask *uint8, n int, flip uint32, marks *uint64) (or, and, bad uint32)

var (
	hasAVX512 = cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VL)
	hasAVX2   = cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3)
)

func asmImpls() []*impl {
	var l []*impl
	if hasAVX512 {
		l = append(l, avx512Impl)
	}
	if hasAVX2 {
		l = append(l, avx2Impl)
	}
	return l
}

// Block sizes: the assembly handles lengths rounded down to these.
const (
	block512 = 16
	block2   = 8
)

var avx512Impl = &impl{
	name:         PathAVX512,
	convRow:      func(dst, src, w []float32) float32 { return convRowAVX512Full(dst, src, w, 0, cached, nil) },
	convRowAhead: convRowAVX512Full,
	convRowsIn:   convRowsInAVX512,
	convCols: func(dst []float32, rows [][]float32, w []float32) float32 {
		return convColsAsm(dst, rows, w, true)
	},
	convColsN: convColsNAVX512Full,
	max:       func(x []float32) float32 { return reduceAsm(x, block512, maxAVX512, maxGo, maxOf) },
	min:       func(x []float32) float32 { return reduceAsm(x, block512, minAVX512, minGo, minOf) },
	sum:       func(x []float32) float64 { return sumAsm(x, sumAVX512) },
	copyMax: func(dst, src []float32) float32 {
		return copyMaxAsm(dst, src, block512, copyMaxAVX512)
	},
	keyPairs: func(dst []uint32, src []float32, labels []uint32, mask []uint8, flip uint32, marks []uint64) (uint32, uint32, bool) {
		return keyPairsAsm(dst, src, labels, mask, flip, marks, block512, keyPairsAVX512)
	},
	greaterMask: func(dst []uint8, src []float32, t float32) {
		greaterMaskAsm(dst, src, t, block512, greaterMaskAVX512)
	},
	u8ToF32: func(dst []float32, src []uint8) {
		n := len(src) &^ (block512 - 1)
		if n > 0 {
			u8ToF32AVX512(&dst[0], &src[0], n)
		}
		u8ToF32Go(dst[n:], src[n:])
	},
	u16ToF32: func(dst []float32, src []uint16) {
		n := len(src) &^ (block512 - 1)
		if n > 0 {
			u16ToF32AVX512(&dst[0], &src[0], n)
		}
		u16ToF32Go(dst[n:], src[n:])
	},

	convColsNNoMax: func(dst, rows [][]float32, w []float32, mode colsMode) {
		convColsNAVX512Full(dst, rows, w, mode)
	},
}

var avx2Impl = &impl{
	name:         PathAVX2,
	convRow:      func(dst, src, w []float32) float32 { return convRowAVX2Full(dst, src, w, 0, cached, nil) },
	convRowAhead: convRowAVX2Full,
	convRowsIn:   convRowsInAVX2,
	convCols: func(dst []float32, rows [][]float32, w []float32) float32 {
		if m, ok := convColsAVX2Unrolled(dst, rows, w); ok {
			return m
		}
		return convColsAsm(dst, rows, w, false)
	},
	convColsN: convColsNAVX2Max,
	max:       func(x []float32) float32 { return reduceAsm(x, block2, maxAVX2, maxGo, maxOf) },
	min:       func(x []float32) float32 { return reduceAsm(x, block2, minAVX2, minGo, minOf) },
	sum:       func(x []float32) float64 { return sumAsm(x, sumAVX2) },
	copyMax: func(dst, src []float32) float32 {
		return copyMaxAsm(dst, src, block2, copyMaxAVX2)
	},
	greaterMask: func(dst []uint8, src []float32, t float32) {
		greaterMaskAsm(dst, src, t, block2, greaterMaskAVX2)
	},
	keyPairs: func(dst []uint32, src []float32, labels []uint32, mask []uint8, flip uint32, marks []uint64) (uint32, uint32, bool) {
		return keyPairsAsm(dst, src, labels, mask, flip, marks, block2, keyPairsAVX2)
	},
	u8ToF32: func(dst []float32, src []uint8) {
		n := len(src) &^ (block2 - 1)
		if n > 0 {
			u8ToF32AVX2(&dst[0], &src[0], n)
		}
		u8ToF32Go(dst[n:], src[n:])
	},
	u16ToF32: func(dst []float32, src []uint16) {
		n := len(src) &^ (block2 - 1)
		if n > 0 {
			u16ToF32AVX2(&dst[0], &src[0], n)
		}
		u16ToF32Go(dst[n:], src[n:])
	},

	convColsNNoMax: func(dst, rows [][]float32, w []float32, mode colsMode) {
		convColsNAVX2Full(dst, rows, w, mode, true)
	},
}

func convRowAsm(dst, src, w []float32, block int, f func(*float32, int, *float32, *float32, int) float32) float32 {
	r := len(w) - 1
	n := len(dst) &^ (block - 1)
	m := negInf
	if n > 0 {
		m = f(&dst[0], n, &src[0], &w[0], r)
	}
	return maxOf(m, convRowGo(dst[n:], src[n:], w))
}

// convRowAVX512Full runs the unrolled kernel on the 16-sample blocks whose
// centres have 16 readable samples before them (from output lead on, where
// the caller vouches for ahead samples before src) and the plain kernel on
// the rest; both compute the same values. With stream (streamed or
// streamedNoFence), whole blocks of an aligned dst are written around the
// cache. pf is hinted into L2 along the
// way.
func convRowAVX512Full(dst, src, w []float32, ahead int, stream streamMode, pf []float32) float32 {
	r := len(w) - 1
	if r < 1 || r > 16 {
		Prefetch(pf)
		return convRowAsm(dst, src, w, block512, convRowAVX512)
	}
	lead := 0
	if ahead+r < 16 {
		lead = 16
	}
	nb := max(0, len(dst)-lead) &^ (block512 - 1)
	if nb == 0 {
		Prefetch(pf)
		return convRowAsm(dst, src, w, block512, convRowAVX512)
	}
	m := negInf
	if lead > 0 {
		m = convRowAsm(dst[:lead], src, w, block512, convRowAVX512)
	}
	nt := 0
	if stream != cached && uintptr(unsafe.Pointer(&dst[lead]))&63 == 0 {
		nt = int(stream)
	}
	// The kernel hints nb*4 bytes from pf; what it does not cover is
	// hinted here.
	var pfp *float32
	if len(pf) > 0 {
		pfp = &pf[0]
		Prefetch(pf[min(len(pf), nb):])
	}
	m = maxOf(m, convRowAlignAVX512(&dst[lead], nb, &src[lead+r], &w[0], r, nt, pfp))
	k := lead + nb
	return maxOf(m, convRowGo(dst[k:], src[k:], w))
}

// maxStackRows is how many row pointers convColsAsm keeps on the stack.
const maxStackRows = 65

// convColsAsm calls the kernels directly, not through a func value, so that
// the pointer table stays on the stack.
func convColsAsm(dst []float32, rows [][]float32, w []float32, avx512 bool) float32 {
	r := len(w) - 1
	block := block2
	if avx512 {
		block = block512
	}
	n := len(dst) &^ (block - 1)
	m := negInf
	if n > 0 {
		// Row pointers in the order the kernel folds them: centre, then
		// each pair (above, below) from the nearest out.
		var buf [maxStackRows]unsafe.Pointer
		ptrs := buf[:0]
		if len(rows) > maxStackRows {
			ptrs = make([]unsafe.Pointer, 0, len(rows))
		}
		ptrs = append(ptrs, unsafe.Pointer(&rows[r][0]))
		for k := 1; k <= r; k++ {
			ptrs = append(ptrs, unsafe.Pointer(&rows[r-k][0]), unsafe.Pointer(&rows[r+k][0]))
		}
		if avx512 {
			m = convColsAVX512(&dst[0], n, &ptrs[0], &w[0], r)
		} else {
			m = convColsAVX2(&dst[0], n, &ptrs[0], &w[0], r)
		}
	}
	return maxOf(m, convColsGo(dst, rows, w, n))
}

func reduceAsm(x []float32, block int, f func(*float32, int) float32, g func([]float32) float32, pick func(a, b float32) float32) float32 {
	n := len(x) &^ (block - 1)
	t := g(x[n:])
	if n == 0 {
		return t
	}
	return pick(f(&x[0], n), t)
}

func sumAsm(x []float32, f func(*float32, int, *[sumLanes]float64)) float64 {
	var acc [sumLanes]float64
	n := len(x) &^ (sumLanes - 1)
	if n > 0 {
		f(&x[0], n, &acc)
	}
	return sumFinish(&acc, x[n:])
}

func copyMaxAsm(dst, src []float32, block int, f func(*float32, *float32, int) float32) float32 {
	n := len(src) &^ (block - 1)
	m := negInf
	if n > 0 {
		m = f(&dst[0], &src[0], n)
	}
	return maxOf(m, copyMaxGo(dst[n:], src[n:]))
}

func keyPairsAsm(dst []uint32, src []float32, labels []uint32, mask []uint8, flip uint32, marks []uint64, block int, f func(*uint32, *float32, *uint32, *uint8, int, uint32, *uint64) (uint32, uint32, uint32)) (uint32, uint32, bool) {
	n := len(src) &^ (block - 1)
	or, and, bad := uint32(0), uint32(math.MaxUint32), uint32(0)
	if n > 0 {
		var m *uint8
		if mask != nil {
			m = &mask[0]
		}
		or, and, bad = f(&dst[0], &src[0], &labels[0], m, n, flip, &marks[0])
	}
	return keyPairsFrom(dst, src, labels, mask, flip, marks, n, or, and, bad != 0)
}

func greaterMaskAsm(dst []uint8, src []float32, t float32, block int, f func(*uint8, *float32, int, float32)) {
	// The AVX2 kernel packs 32 results at a time.
	if block == block2 {
		block = 32
	}
	n := len(src) &^ (block - 1)
	if n > 0 {
		f(&dst[0], &src[0], n, t)
	}
	greaterMaskGo(dst[n:], src[n:], t)
}

// Pointer tables convColsNAVX512Full keeps on the stack; larger calls go
// output by output.
const (
	maxStackOuts  = 16
	maxStackNRows = 64
)

// convColsNAVX512Full runs a multi-output kernel on the whole 16-column
// blocks (the register-window one, except for colsInPlace, where there is
// one for r and len(dst)) and the Go twin on the tail columns.
func convColsNAVX512Full(dst, rows [][]float32, w []float32, mode colsMode) float32 {
	r := len(w) - 1
	if len(dst) > maxStackOuts || len(rows) > maxStackNRows {
		return convColsNEach(dst, rows, w, func(d []float32, rs [][]float32) float32 {
			return convColsAsm(d, rs, w, true)
		})
	}
	cols := len(dst[0])
	n := cols &^ (block512 - 1)
	m := negInf
	if n > 0 {
		var db [maxStackOuts]unsafe.Pointer
		var rb [maxStackNRows]unsafe.Pointer
		for j, d := range dst {
			db[j] = unsafe.Pointer(&d[0])
		}
		for i, row := range rows {
			rb[i] = unsafe.Pointer(&row[0])
		}
		flag := 0
		if mode == colsPrefetch {
			flag = 1
		}
		// Small windows fit in registers: each input block is loaded
		// once for all outputs.
		ok := false
		if mode != colsInPlace {
			m, ok = convSlide(r, len(dst), &db[0], n, &rb[0], &w[0], flag)
		}
		if !ok {
			m = convColsNAVX512(&db[0], len(dst), n, &rb[0], &w[0], r, flag)
		}
	}
	if n < cols {
		for j, d := range dst {
			m = maxOf(m, convColsGo(d, rows[j:j+2*r+1], w, n))
		}
	}
	return m
}

// PrefetchOffsets hints into L1 the cache lines at base + offs[i] bytes,
// for scattered data about to be read; it changes no values. base and
// every base + offs[i] must point into one live allocation.
func PrefetchOffsets(base unsafe.Pointer, offs []int) {
	if len(offs) > 0 {
		prefetchOffsets(base, &offs[0], len(offs))
	}
}

// Prefetch hints the cache lines of x into L2, for data about to be
// read; it changes no values.
func Prefetch(x []float32) {
	if len(x) > 0 {
		prefetchL2(&x[0], (len(x)*4+63)&^63)
	}
}

// convColsNAVX2 makes the outputs one at a time over column chunks of
// chunkN2, so that a chunk of the input rows stays in L1 for all outputs.
func convColsNAVX2(dst, rows [][]float32, w []float32, _ colsMode) float32 {
	const chunkN2 = 256
	if len(rows) > maxStackNRows {
		return convColsNEach(dst, rows, w, func(d []float32, rs [][]float32) float32 {
			return convColsAsm(d, rs, w, false)
		})
	}
	var buf [maxStackNRows][]float32
	k := 2*len(w) - 1
	n := len(dst[0])
	m := negInf
	for c0 := 0; c0 < n; c0 += chunkN2 {
		c1 := min(n, c0+chunkN2)
		cut := buf[:len(rows)]
		for i, row := range rows {
			cut[i] = row[c0:c1]
		}
		for j, d := range dst {
			m = maxOf(m, convColsAsm(d[c0:c1], cut[j:j+k], w, false))
		}
	}
	return m
}

// alignAVX2 reports whether the aligned AVX2 row kernel may filter nb
// samples (a multiple of 32) from the centre pointer c: c is 64-byte
// aligned, and before samples before it and after samples after c[nb]
// are readable.
func alignAVX2(c unsafe.Pointer, before, after int) bool {
	return uintptr(c)&63 == 0 && before >= 8 && after >= 8
}

// convRowAVX2Full runs the unrolled AVX2 row kernel (radius 1 to
// unrolledMaxR2) on the whole 8-sample blocks and the Go twin on the
// tail; other radii take the generic kernel. Where the centre of the
// first output is 64-byte aligned and the caller vouches for ahead
// samples before src, the aligned kernel runs. With stream (streamed or
// streamedNoFence), the 32-sample blocks of a 32-byte aligned dst are
// written around the cache. pf is hinted into L2 along the way.
func convRowAVX2Full(dst, src, w []float32, ahead int, stream streamMode, pf []float32) float32 {
	r := len(w) - 1
	nb := len(dst) &^ (block2 - 1)
	if r < 1 || r > unrolledMaxR2 || nb == 0 {
		Prefetch(pf)
		return convRowAsm(dst, src, w, block2, convRowAVX2)
	}
	nt := 0
	if stream != cached && uintptr(unsafe.Pointer(&dst[0]))&31 == 0 {
		nt = int(stream)
	}
	// The kernel hints 4 bytes of pf per sample of its 32-sample blocks;
	// what it does not cover is hinted here.
	var pfp *float32
	if len(pf) > 0 {
		pfp = &pf[0]
		Prefetch(pf[min(len(pf), nb&^31):])
	}
	d := unsafe.Pointer(&dst[0])
	c := unsafe.Pointer(&src[r])
	align := alignAVX2(c, ahead+r, len(src)-r-nb&^31)
	m, _ := convRowsR2(r, align, &d, &c, 1, nb, &w[0], nt, pfp)
	return maxOf(m, convRowGo(dst[nb:], src[nb:], w))
}

// convRowsInAVX2 runs the unrolled AVX2 row kernel (the aligned one where
// every row allows it) on the whole 8-sample blocks of up to
// maxStackRowsIn rows per call when every row is as long as the first,
// and row by row otherwise; the tails go to the Go twin.
func convRowsInAVX2(dst, bufs [][]float32, off int, w []float32, stream streamMode) float32 {
	r := len(w) - 1
	m := negInf
	if len(dst) == 0 {
		return m
	}
	n := len(dst[0])
	nb := n &^ (block2 - 1)
	ok := r >= 1 && r <= unrolledMaxR2 && nb > 0
	for _, d := range dst {
		ok = ok && len(d) == n
	}
	if !ok {
		for i, d := range dst {
			m = maxOf(m, convRowAVX2Full(d, bufs[i][off:], w, off, stream, nil))
		}
		return m
	}
	var db, cb [maxStackRowsIn]unsafe.Pointer
	for i0 := 0; i0 < len(dst); i0 += maxStackRowsIn {
		rows := dst[i0:min(len(dst), i0+maxStackRowsIn)]
		// One fence at the end, not one per call.
		nt := int(streamedNoFence)
		if stream == cached {
			nt = 0
		}
		align := true
		for i, d := range rows {
			db[i] = unsafe.Pointer(&d[0])
			cb[i] = unsafe.Pointer(&bufs[i0+i][off+r])
			if uintptr(db[i])&31 != 0 {
				nt = 0
			}
			align = align && alignAVX2(cb[i], off+r, len(bufs[i0+i])-off-r-nb&^31)
		}
		mm, _ := convRowsR2(r, align, &db[0], &cb[0], len(rows), nb, &w[0], nt, nil)
		m = maxOf(m, mm)
		if nb < n {
			for i, d := range rows {
				m = maxOf(m, convRowGo(d[nb:], bufs[i0+i][off+nb:], w))
			}
		}
	}
	if stream == streamed {
		StoreFence()
	}
	return m
}

// convColsAVX2Unrolled is ConvCols through the unrolled AVX2 column
// kernel (one output) and reports whether the radius has one.
func convColsAVX2Unrolled(dst []float32, rows [][]float32, w []float32) (float32, bool) {
	r := len(w) - 1
	if r < 1 || r > unrolledMaxR2 {
		return 0, false
	}
	n := len(dst) &^ (block2 - 1)
	m := negInf
	if n > 0 {
		var rb [2*unrolledMaxR2 + 1]unsafe.Pointer
		for i, row := range rows {
			rb[i] = unsafe.Pointer(&row[0])
		}
		d := unsafe.Pointer(&dst[0])
		m, _ = convColsNR2(r, &d, 1, n, &rb[0], &w[0], 0)
	}
	return maxOf(m, convColsGo(dst, rows, w, n)), true
}

// convColsNAVX2Max is convColsNAVX2Full with the maximum.
func convColsNAVX2Max(dst, rows [][]float32, w []float32, mode colsMode) float32 {
	return convColsNAVX2Full(dst, rows, w, mode, false)
}

// convColsNAVX2Full runs an unrolled AVX2 column kernel (radius 1 to
// unrolledMaxR2) on the whole 8-column blocks of up to maxStackOuts
// outputs per call and the Go twin on the tail columns; other radii take
// the generic kernel output by output. The register-window kernel runs
// where there is one for r and the outputs of a call (in every mode: for
// the 2-D sigma=1 benchmark's Y pass on image rows it was 9% faster than
// the blocked kernel in paired runs); wider radii take the group kernel
// four outputs at a time and the blocked kernel for the rest. With
// colsPrefetch the kernels hint their input rows into L1 ahead of use.
// With noMax the caller does not use the result, which the window kernel
// then does not compute.
func convColsNAVX2Full(dst, rows [][]float32, w []float32, mode colsMode, noMax bool) float32 {
	r := len(w) - 1
	if r < 1 || r > unrolledMaxR2 {
		return convColsNAVX2(dst, rows, w, mode)
	}
	cols := len(dst[0])
	n := cols &^ (block2 - 1)
	pf := 0
	if mode == colsPrefetch {
		pf = 1
	}
	// The window kernel keeps no maximum when the caller has no use for
	// it (except when hinting, where the loads, not the arithmetic, set
	// the pace).
	flags := pf * slidePrefetch2
	if noMax && pf == 0 {
		flags = slideNoMax2
	}
	m := negInf
	var db [maxStackOuts]unsafe.Pointer
	var rb [maxStackOuts + 2*unrolledMaxR2]unsafe.Pointer
	// Calls of at most slideMaxM2 outputs where the window kernel can
	// take them.
	chunk := maxStackOuts
	if r <= slideMaxR2 {
		chunk = slideMaxM2
	}
	for j0 := 0; j0 < len(dst); j0 += chunk {
		outs := dst[j0:min(len(dst), j0+chunk)]
		if n > 0 {
			for j, d := range outs {
				db[j] = unsafe.Pointer(&d[0])
			}
			for i, row := range rows[j0 : j0+len(outs)+2*r] {
				rb[i] = unsafe.Pointer(&row[0])
			}
			mm, ok := convSlide2(r, len(outs), &db[0], n, &rb[0], &w[0], flags)
			if !ok {
				// Four outputs at a time where the radius has a group
				// kernel, the rest by the blocked one.
				mm = negInf
				done := 0
				if g := len(outs) &^ (groupOuts2 - 1); g > 0 {
					if mg, okg := convGroupsR2(r, &db[0], g, n, &rb[0], &w[0], pf); okg {
						mm, done = mg, g
					}
				}
				if done < len(outs) {
					mb, _ := convColsNR2(r, &db[done], len(outs)-done, n, &rb[done], &w[0], pf)
					mm = maxOf(mm, mb)
				}
			}
			m = maxOf(m, mm)
		}
		if n < cols {
			for j, d := range outs {
				m = maxOf(m, convColsGo(d, rows[j0+j:j0+j+2*r+1], w, n))
			}
		}
	}
	return m
}

// maxStackRowsIn is how many rows convRowsInAVX512 passes to one kernel
// call.
const maxStackRowsIn = 16

// convRowsInAVX512 runs the unrolled row kernel on the whole 16-sample
// blocks of up to maxStackRowsIn rows per call when every row is as long
// as the first and the caller vouches for 16 samples before each centre,
// and row by row otherwise; the tails go to the Go twin.
func convRowsInAVX512(dst, bufs [][]float32, off int, w []float32, stream streamMode) float32 {
	r := len(w) - 1
	m := negInf
	if len(dst) == 0 {
		return m
	}
	n := len(dst[0])
	nb := n &^ (block512 - 1)
	ok := r >= 1 && r <= 16 && off+r >= 16 && nb > 0
	for _, d := range dst {
		ok = ok && len(d) == n
	}
	if !ok {
		for i, d := range dst {
			m = maxOf(m, convRowAVX512Full(d, bufs[i][off:], w, off, stream, nil))
		}
		return m
	}
	var db, cb [maxStackRowsIn]unsafe.Pointer
	for i0 := 0; i0 < len(dst); i0 += maxStackRowsIn {
		rows := dst[i0:min(len(dst), i0+maxStackRowsIn)]
		nt := int(stream)
		for i, d := range rows {
			db[i] = unsafe.Pointer(&d[0])
			cb[i] = unsafe.Pointer(&bufs[i0+i][off+r])
			if uintptr(db[i])&63 != 0 {
				nt = 0
			}
		}
		mm, ok := convRowsR(r, &db[0], &cb[0], len(rows), nb, &w[0], nt)
		if !ok {
			mm = convRowsAlignAVX512(&db[0], &cb[0], len(rows), nb, &w[0], r, nt)
		}
		m = maxOf(m, mm)
		if nb < n {
			for i, d := range rows {
				m = maxOf(m, convRowGo(d[nb:], bufs[i0+i][off+nb:], w))
			}
		}
	}
	if stream == streamed {
		StoreFence()
	}
	return m
}
