//go:build amd64 && !noasm

package simd

import (
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
}

var avx2Impl = &impl{
	name: PathAVX2,
	convRow: func(dst, src, w []float32) float32 {
		return convRowAsm(dst, src, w, block2, convRowAVX2)
	},
	convRowAhead: func(dst, src, w []float32, _ int, _ streamMode, pf []float32) float32 {
		Prefetch(pf)
		return convRowAsm(dst, src, w, block2, convRowAVX2)
	},
	convRowsIn: func(dst, bufs [][]float32, off int, w []float32, _ streamMode) float32 {
		m := negInf
		for i, d := range dst {
			m = maxOf(m, convRowAsm(d, bufs[i][off:], w, block2, convRowAVX2))
		}
		return m
	},
	convCols: func(dst []float32, rows [][]float32, w []float32) float32 {
		return convColsAsm(dst, rows, w, false)
	},
	convColsN: convColsNAVX2,
	max:       func(x []float32) float32 { return reduceAsm(x, block2, maxAVX2, maxGo, maxOf) },
	min:       func(x []float32) float32 { return reduceAsm(x, block2, minAVX2, minGo, minOf) },
	sum:       func(x []float32) float64 { return sumAsm(x, sumAVX2) },
	copyMax: func(dst, src []float32) float32 {
		return copyMaxAsm(dst, src, block2, copyMaxAVX2)
	},
	greaterMask: func(dst []uint8, src []float32, t float32) {
		greaterMaskAsm(dst, src, t, block2, greaterMaskAVX2)
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
