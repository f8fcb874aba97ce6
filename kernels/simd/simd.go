// Package simd holds segstack's vector primitives: separable convolution
// along and across rows, reductions, a threshold mask and integer-to-float
// conversions. Each primitive has an AVX-512 and an AVX2+FMA implementation
// in Go assembly and a pure-Go twin that computes the same thing in the
// same order, so every path gives bit-identical results.
//
// The widest path the CPU supports is chosen once at start (AVX-512F+BW+VL,
// then AVX2+FMA, then Go). The environment variable SEGSTACK_SIMD=avx512,
// avx2 or go forces a path; a forced path the CPU lacks falls back to the
// best one present and Note says so. The build tag noasm leaves the assembly
// out altogether.
//
// Floating-point order: a convolution output is w0*c, then for each tap k
// in turn acc = fma(wk, left_k+right_k, acc), with one rounding per fused
// multiply-add; the Go twins use an exactly rounded float32 FMA so they
// match the vector units bit for bit.
package simd

//go:generate go run gen_slide.go
//go:generate go run gen_avx2.go

import (
	"fmt"
	"math"
	"os"
	"strings"
	"sync/atomic"
)

// Path names.
const (
	PathAVX512 = "avx512"
	PathAVX2   = "avx2"
	PathGo     = "go"
)

// impl is one code path: every primitive over whole slices.
type impl struct {
	name    string
	convRow func(dst, src, w []float32) float32
	// convRowAhead may read ahead samples before src and, with stream,
	// write dst with non-temporal stores.
	convRowAhead func(dst, src, w []float32, ahead int, stream streamMode, pf []float32) float32
	convCols     func(dst []float32, rows [][]float32, w []float32) float32
	// convRowsIn is convRowAhead (without pf) of every dst[i] from
	// bufs[i][off:].
	convRowsIn func(dst, bufs [][]float32, off int, w []float32, stream streamMode) float32
	// convColsN may, with colsPrefetch, hint its input rows into L1
	// ahead of use.
	convColsN   func(dst, rows [][]float32, w []float32, mode colsMode) float32
	max         func(x []float32) float32
	min         func(x []float32) float32
	sum         func(x []float32) float64
	copyMax     func(dst, src []float32) float32
	greaterMask func(dst []uint8, src []float32, t float32)
	u8ToF32     func(dst []float32, src []uint8)
	u16ToF32    func(dst []float32, src []uint16)
	keyPairs    func(dst []uint32, src []float32, labels []uint32, mask []uint8, flip uint32, marks []uint64) (or, and uint32, bad bool)

	// convColsNNoMax is convColsN for a caller that does not use the
	// maximum, which the path may then skip.
	convColsNNoMax func(dst, rows [][]float32, w []float32, mode colsMode)
}

var goImpl = &impl{
	name:    PathGo,
	convRow: convRowGo,
	convRowAhead: func(dst, src, w []float32, _ int, _ streamMode, pf []float32) float32 {
		Prefetch(pf)
		return convRowGo(dst, src, w)
	},
	convCols: func(dst []float32, rows [][]float32, w []float32) float32 { return convColsGo(dst, rows, w, 0) },
	convRowsIn: func(dst, bufs [][]float32, off int, w []float32, _ streamMode) float32 {
		m := negInf
		for i, d := range dst {
			m = maxOf(m, convRowGo(d, bufs[i][off:], w))
		}
		return m
	},
	convColsN:   convColsNGo,
	max:         maxGo,
	min:         minGo,
	sum:         sumGo,
	copyMax:     copyMaxGo,
	greaterMask: greaterMaskGo,
	u8ToF32:     u8ToF32Go,
	keyPairs:    keyPairsGo,
	u16ToF32:    u16ToF32Go,

	convColsNNoMax: func(dst, rows [][]float32, w []float32, mode colsMode) { convColsNGo(dst, rows, w, mode) },
}

// impls lists the paths this CPU and build can run, widest first; asmImpls
// is filled by the amd64 assembly build.
func impls() []*impl {
	return append(asmImpls(), goImpl)
}

var (
	// cur is the path in use; atomic so that Use in a test cannot race
	// with kernels running elsewhere.
	cur  atomic.Pointer[impl]
	note string
)

func init() {
	p, n := choose(os.Getenv("SEGSTACK_SIMD"))
	cur.Store(p)
	note = n
}

// choose picks the path named by want ("" for the best present).
func choose(want string) (*impl, string) {
	all := impls()
	want = strings.ToLower(strings.TrimSpace(want))
	if want == "" || want == "auto" {
		return all[0], ""
	}
	for _, p := range all {
		if p.name == want {
			return p, ""
		}
	}
	switch want {
	case PathAVX512, PathAVX2, PathGo:
		return all[0], fmt.Sprintf("SEGSTACK_SIMD=%s is not supported by this CPU or build; using %s", want, all[0].name)
	}
	return all[0], fmt.Sprintf("SEGSTACK_SIMD=%q is not a path (want avx512, avx2 or go); using %s", want, all[0].name)
}

// Path names the code path in use: "avx512", "avx2" or "go".
func Path() string { return cur.Load().name }

// Note explains why the path in use differs from the one SEGSTACK_SIMD
// asked for; it is empty when nothing was overridden.
func Note() string { return note }

// Paths lists the paths available on this CPU and build, widest first.
func Paths() []string {
	var names []string
	for _, p := range impls() {
		names = append(names, p.name)
	}
	return names
}

// Use switches to the named path and returns the previous one. It is meant
// for tests and benchmarks and must not run while primitives are in use.
func Use(path string) (prev string, err error) {
	for _, p := range impls() {
		if p.name == path {
			return cur.Swap(p).name, nil
		}
	}
	return cur.Load().name, fmt.Errorf("simd: path %q is not available (have %v)", path, Paths())
}

// ConvRow correlates src with the symmetric kernel whose taps are w[0]
// (centre) and w[k] = w[-k] for k = 1..r, r = len(w)-1:
//
//	dst[i] = w[0]*src[i+r] + sum_k w[k]*(src[i+r-k] + src[i+r+k])
//
// src holds the row with r samples of halo on each side, so len(src) must be
// at least len(dst)+2r. It returns the maximum of dst (-Inf when empty).
func ConvRow(dst, src, w []float32) float32 {
	if len(w) == 0 || len(src) < len(dst)+2*(len(w)-1) {
		panic(fmt.Sprintf("simd.ConvRow: %d taps need %d source samples for %d outputs, have %d", len(w), len(dst)+2*(len(w)-1), len(dst), len(src)))
	}
	return cur.Load().convRow(dst, src, w)
}

// ConvRowIn is ConvRow(dst, buf[off:], w) for a row that sits at offset off
// of buf: the vector paths may read (never write) the samples of buf before
// off, which lets them use their fastest kernel from the first output on
// when off is at least 16 (AVX2: 8, when the first output's centre is
// 64-byte aligned and buf holds 8 samples past the last output's centre).
func ConvRowIn(dst, buf []float32, off int, w []float32) float32 {
	return convRowIn(dst, buf, off, w, cached, nil)
}

// streamMode is how a row kernel stores its output.
type streamMode int

// The values are the assembly kernel's nt argument.
const (
	cached          streamMode = 0 // ordinary stores
	streamed        streamMode = 1 // non-temporal stores, then a store fence
	streamedNoFence streamMode = 2 // non-temporal stores; the caller fences
)

// ConvRowInStreamDeferred is ConvRowInPrefetch with stream, except that
// it does not wait at the end for its non-temporal stores to reach memory
// (an SFENCE per row costs about as long as filtering a 512-sample row).
// Before dst is read by another goroutine, or handed to code that may
// pass it on, the caller must run StoreFence; the goroutine that wrote dst
// reads its own values as usual. Values are the same as ConvRowIn's.
func ConvRowInStreamDeferred(dst, buf []float32, off int, w []float32, next []float32) float32 {
	return convRowIn(dst, buf, off, w, streamedNoFence, next)
}

// ConvRowInPrefetch is ConvRowIn that also hints next into L2 while it
// works, spread over the row rather than all at once, so that reading the
// caller's next input overlaps the filtering. With stream, the vector paths
// write dst with non-temporal stores, which go around the caches (for an
// output not read again soon), and fence before returning. Values are the
// same as ConvRowIn's.
func ConvRowInPrefetch(dst, buf []float32, off int, w []float32, stream bool, next []float32) float32 {
	mode := cached
	if stream {
		mode = streamed
	}
	return convRowIn(dst, buf, off, w, mode, next)
}

// ConvRowsIn is ConvRowIn(dst[i], bufs[i], off, w) for every row i
// (len(bufs) must be len(dst)) in one call, and returns the maximum of all
// the rows (-Inf when there are none). The vector paths filter rows of
// equal length with one kernel call per 16 rows.
func ConvRowsIn(dst, bufs [][]float32, off int, w []float32) float32 {
	return convRowsIn(dst, bufs, off, w, cached)
}

// ConvRowsInStreamDeferred is ConvRowsIn with the stores of
// ConvRowInStreamDeferred: the caller must run StoreFence before the rows
// are read by another goroutine.
func ConvRowsInStreamDeferred(dst, bufs [][]float32, off int, w []float32) float32 {
	return convRowsIn(dst, bufs, off, w, streamedNoFence)
}

func convRowsIn(dst, bufs [][]float32, off int, w []float32, stream streamMode) float32 {
	if len(bufs) != len(dst) {
		panic(fmt.Sprintf("simd.ConvRowsIn: %d outputs with %d buffers", len(dst), len(bufs)))
	}
	for i, d := range dst {
		checkRowIn(d, bufs[i], off, w)
	}
	return cur.Load().convRowsIn(dst, bufs, off, w, stream)
}

// checkRowIn panics unless ConvRowIn's arguments are consistent.
func checkRowIn(dst, buf []float32, off int, w []float32) {
	if off < 0 || off > len(buf) {
		panic(fmt.Sprintf("simd.ConvRowIn: offset %d outside a buffer of %d", off, len(buf)))
	}
	if len(w) == 0 || len(buf)-off < len(dst)+2*(len(w)-1) {
		panic(fmt.Sprintf("simd.ConvRowIn: %d taps need %d source samples for %d outputs, have %d", len(w), len(dst)+2*(len(w)-1), len(dst), len(buf)-off))
	}
}

func convRowIn(dst, buf []float32, off int, w []float32, stream streamMode, pf []float32) float32 {
	if off < 0 || off > len(buf) {
		panic(fmt.Sprintf("simd.ConvRowIn: offset %d outside a buffer of %d", off, len(buf)))
	}
	src := buf[off:]
	if len(w) == 0 || len(src) < len(dst)+2*(len(w)-1) {
		panic(fmt.Sprintf("simd.ConvRowIn: %d taps need %d source samples for %d outputs, have %d", len(w), len(dst)+2*(len(w)-1), len(dst), len(src)))
	}
	return cur.Load().convRowAhead(dst, src, w, off, stream, pf)
}

// ConvCols combines 2r+1 rows into one with the same symmetric kernel as
// ConvRow, r = len(w)-1; rows[r] is the centre row, rows[r-k] and rows[r+k]
// the pair weighted by w[k]:
//
//	dst[i] = w[0]*rows[r][i] + sum_k w[k]*(rows[r-k][i] + rows[r+k][i])
//
// Every row must be at least len(dst) long. It returns the maximum of dst.
func ConvCols(dst []float32, rows [][]float32, w []float32) float32 {
	if len(w) == 0 || len(rows) != 2*len(w)-1 {
		panic(fmt.Sprintf("simd.ConvCols: %d taps need %d rows, have %d", len(w), 2*len(w)-1, len(rows)))
	}
	for _, r := range rows {
		if len(r) < len(dst) {
			panic(fmt.Sprintf("simd.ConvCols: row of %d samples is shorter than the output (%d)", len(r), len(dst)))
		}
	}
	return cur.Load().convCols(dst, rows, w)
}

// ConvColsN makes len(dst) outputs of ConvCols at once from consecutive
// rows: dst[j] combines rows[j .. j+2r] (centre rows[j+r]), r = len(w)-1,
// with the same values ConvCols would give. len(rows) must be
// len(dst)+2r, every dst row as long as dst[0] and every input row at least
// that long. Vector paths walk the columns in blocks and make every output
// for a block before the next, so the input rows are read from cache once
// per block rather than once per output. It returns the maximum of all
// outputs (-Inf when there are none).
func ConvColsN(dst, rows [][]float32, w []float32) float32 {
	return convColsN(dst, rows, w, colsInPlace)
}

// ConvColsNPrefetch is ConvColsN for input rows that are not in L1 (rows
// of a large volume, or scratch rows last written long ago): the vector
// paths also hint each row's next column blocks into L1 while they work,
// since the hardware follows that many interleaved streams poorly, and,
// for radii up to 6 and up to 8 outputs (AVX-512: 4 for radius 6), load
// each input block into registers once for all outputs. Values are the
// same as ConvColsN's; rows already in L1 are faster without it.
func ConvColsNPrefetch(dst, rows [][]float32, w []float32) float32 {
	return convColsN(dst, rows, w, colsPrefetch)
}

// ConvColsNScratch is ConvColsN for input rows in cache-resident scratch
// rows laid out so that they do not compete for the same L1 sets (see
// rowStride in package kernels): for radii up to 6 and up to 8 outputs (4
// for radius 6) the AVX-512 path loads each input block into registers
// once for all outputs instead of once per output. Values are the same as
// ConvColsN's. (On the AVX-512 path rows read in place from a large 2-D
// image were slower that way, hence a separate entry; the AVX2 path
// treats both alike.)
func ConvColsNScratch(dst, rows [][]float32, w []float32) float32 {
	return convColsN(dst, rows, w, colsScratch)
}

// colsMode is how ConvColsN's kernels treat their input rows.
type colsMode int

const (
	colsInPlace  colsMode = iota // blocked kernel, no hints
	colsPrefetch                 // register window where it fits, L1 hints
	colsScratch                  // register window where it fits, no hints
)

// ConvColsNScratchNoMax is ConvColsNScratch for a caller that does not
// use the maximum (a pass whose output the next pass filters again): the
// values are the same, and the AVX2 path skips finding the maximum.
func ConvColsNScratchNoMax(dst, rows [][]float32, w []float32) {
	if checkColsN(dst, rows, w) {
		cur.Load().convColsNNoMax(dst, rows, w, colsScratch)
	}
}

func convColsN(dst, rows [][]float32, w []float32, mode colsMode) float32 {
	if !checkColsN(dst, rows, w) {
		return negInf
	}
	return cur.Load().convColsN(dst, rows, w, mode)
}

// checkColsN panics unless ConvColsN's arguments are consistent and
// reports whether there are outputs to make.
func checkColsN(dst, rows [][]float32, w []float32) bool {
	if len(w) == 0 || len(rows) != len(dst)+2*(len(w)-1) {
		panic(fmt.Sprintf("simd.ConvColsN: %d outputs with %d taps need %d rows, have %d", len(dst), len(w), len(dst)+2*(len(w)-1), len(rows)))
	}
	if len(dst) == 0 {
		return false
	}
	n := len(dst[0])
	for _, d := range dst {
		if len(d) != n {
			panic(fmt.Sprintf("simd.ConvColsN: output rows of %d and %d samples", n, len(d)))
		}
	}
	for _, r := range rows {
		if len(r) < n {
			panic(fmt.Sprintf("simd.ConvColsN: row of %d samples is shorter than the output (%d)", len(r), n))
		}
	}
	return n > 0
}

// Max returns the largest element of x, or -Inf when x is empty. NaNs are
// not supported: where x holds one, the result is unspecified.
func Max(x []float32) float32 { return cur.Load().max(x) }

// Min returns the smallest element of x, or +Inf when x is empty.
func Min(x []float32) float32 { return cur.Load().min(x) }

// Sum returns the sum of x accumulated in float64 in 32 interleaved partial
// sums, which keeps it accurate and identical on every path.
func Sum(x []float32) float64 { return cur.Load().sum(x) }

// CopyMax copies src into dst (len(dst) >= len(src)) and returns the
// maximum of what it copied.
func CopyMax(dst, src []float32) float32 {
	if len(dst) < len(src) {
		panic(fmt.Sprintf("simd.CopyMax: destination of %d is shorter than source of %d", len(dst), len(src)))
	}
	return cur.Load().copyMax(dst[:len(src)], src)
}

// GreaterMask sets dst[i] to 1 where src[i] > t and to 0 elsewhere (NaN
// compares false). len(dst) must be at least len(src).
func GreaterMask(dst []uint8, src []float32, t float32) {
	if len(dst) < len(src) {
		panic(fmt.Sprintf("simd.GreaterMask: destination of %d is shorter than source of %d", len(dst), len(src)))
	}
	cur.Load().greaterMask(dst[:len(src)], src, t)
}

// Uint8ToFloat32 converts src into dst (len(dst) >= len(src)).
func Uint8ToFloat32(dst []float32, src []uint8) {
	if len(dst) < len(src) {
		panic(fmt.Sprintf("simd.Uint8ToFloat32: destination of %d is shorter than source of %d", len(dst), len(src)))
	}
	cur.Load().u8ToF32(dst[:len(src)], src)
}

// Uint16ToFloat32 converts src into dst (len(dst) >= len(src)).
func Uint16ToFloat32(dst []float32, src []uint16) {
	if len(dst) < len(src) {
		panic(fmt.Sprintf("simd.Uint16ToFloat32: destination of %d is shorter than source of %d", len(dst), len(src)))
	}
	cur.Load().u16ToF32(dst[:len(src)], src)
}

var negInf = float32(math.Inf(-1))
var posInf = float32(math.Inf(1))
