//go:build amd64 && !noasm

package simd

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// avx2Path returns the AVX2 path, or skips the test (saying why) on a CPU
// without AVX2 and FMA.
func avx2Path(t *testing.T) *impl {
	t.Helper()
	if !hasAVX2 {
		t.Skip("the CPU lacks AVX2 or FMA: the AVX2 kernels are not tested here")
	}
	return avx2Impl
}

// guard is how many NaN sentinels surround every output in these tests.
const guard = 16

// guarded returns n floats with guard NaN sentinels on each side; the
// first output sits lag floats past a 64-byte boundary.
func guardedNaN(n, lag int) (out, all []float32) {
	all = alignedSlice(n + 2*guard + lag)
	for i := range all {
		all[i] = float32(math.NaN())
	}
	return all[guard+lag : guard+lag+n : guard+lag+n], all
}

// requireGuards fails unless the sentinels around out (inside all) are
// untouched.
func requireGuards(t *testing.T, out, all []float32, msg string, args ...any) {
	t.Helper()
	start := int((uintptr(unsafe.Pointer(unsafe.SliceData(out))) - uintptr(unsafe.Pointer(&all[0]))) / 4)
	nan := math.Float32bits(float32(math.NaN()))
	for i, v := range all {
		if i >= start && i < start+len(out) {
			continue
		}
		if math.Float32bits(v) != nan {
			require.Failf(t, "guard overwritten", "sentinel %d (output at %d..%d) is %v; "+msg, append([]any{i, start, start + len(out), v}, args...)...)
		}
	}
}

// alignedSlice returns n floats starting at a 64-byte boundary.
func alignedSlice(n int) []float32 {
	b := make([]float32, n+16)
	k := 0
	for uintptr(unsafe.Pointer(&b[k]))&63 != 0 {
		k++
	}
	return b[k : k+n : k+n]
}

// alignedRow returns a buffer whose sample ahead is 64-byte aligned, with
// ahead samples before it and n+r+after after it, filled at random.
func alignedRow(rng *rand.Rand, ahead, n, r, after int) []float32 {
	b := alignedSlice(ahead + n + r + after + 16)
	k := (16 - ahead%16) % 16
	b = b[k : k+ahead+n+r+after]
	for i := range b {
		b[i] = float32(rng.NormFloat64()*100 + 20)
	}
	return b
}

// Every unrolled AVX2 row kernel (radius 1..16, and 17 for the generic
// loop), in its plain and its aligned form, at every width 0..300, against
// the Go twin: grouped rows through convRowsIn with centres 64-byte
// aligned (aligned kernel), with too little slack after the row or an
// unaligned centre (plain kernel), single rows through convRowAhead and
// convRow, ordinary and non-temporal stores, aligned and unaligned
// outputs, with NaN guard bands around every output.
func TestAVX2RowKernelsEveryWidth(t *testing.T) {
	p := avx2Path(t)
	rng := rand.New(rand.NewPCG(21, 22))
	for r := 1; r <= unrolledMaxR2+1; r++ {
		w := kernel(r)
		for n := 0; n <= 300; n++ {
			// Layouts: the centre aligned with 16 samples either side
			// (aligned kernel), aligned with only r after (plain but for
			// r >= 8), and 4 samples off alignment (plain).
			for layout := 0; layout < 3; layout++ {
				const rows = 3
				ahead, after := 16, 16
				if layout == 1 {
					after = 0
				}
				bufs := make([][]float32, rows)
				want := make([][]float32, rows)
				mw := negInf
				for i := range bufs {
					b := alignedRow(rng, ahead+r, n, r, after)
					if layout == 2 {
						b = b[4:]
					}
					bufs[i] = b
					want[i] = make([]float32, n)
					mw = maxOf(mw, convRowGo(want[i], b[ahead:], w))
				}
				for _, mode := range []streamMode{cached, streamedNoFence} {
					for _, lag := range []int{0, 3} {
						got := make([][]float32, rows)
						alls := make([][]float32, rows)
						for i := range got {
							got[i], alls[i] = guardedNaN(n, lag)
						}
						mg := p.convRowsIn(got, bufs, ahead, w, mode)
						StoreFence()
						for i := range got {
							bitsEqual(t, want[i], got[i], "rows: r=%d n=%d layout=%d mode=%d lag=%d row %d", r, n, layout, mode, lag, i)
							requireGuards(t, got[i], alls[i], "rows: r=%d n=%d layout=%d", r, n, layout)
						}
						require.Equal(t, mw, mg, "rows max: r=%d n=%d layout=%d", r, n, layout)
					}
				}
				one, all := guardedNaN(n, 0)
				off := ahead
				m1 := p.convRowAhead(one, bufs[0][off:], w, off, streamed, bufs[1])
				bitsEqual(t, want[0], one, "row ahead: r=%d n=%d layout=%d", r, n, layout)
				requireGuards(t, one, all, "row ahead: r=%d n=%d layout=%d", r, n, layout)
				require.Equal(t, convRowGo(make([]float32, n), bufs[0][off:], w), m1)
				src := bufs[0][off : off+n+2*r]
				one, all = guardedNaN(n, 1)
				m1 = p.convRow(one, src, w)
				bitsEqual(t, want[0], one, "row: r=%d n=%d layout=%d", r, n, layout)
				requireGuards(t, one, all, "row: r=%d n=%d layout=%d", r, n, layout)
				require.Equal(t, convRowGo(make([]float32, n), src, w), m1)
			}
		}
	}
}

// Every unrolled AVX2 column kernel at every width 0..300 against the Go
// twin, rows at unaligned offsets, NaN guard bands around every output:
// the register-window kernels (radius 1..6, 1..8 outputs, with and
// without L1 hints), the four-output group kernels (radius 7..16: 8
// outputs, with and without hints, 6 and 17 with a remainder for the
// blocked kernel) and the blocked ones (radius 1..16, and 17 for the
// generic loop; 1 and 3 outputs, and 17, more than one call's table);
// each with and without the maximum.
func TestAVX2ColumnKernelsEveryWidth(t *testing.T) {
	p := avx2Path(t)
	rng := rand.New(rand.NewPCG(23, 24))
	check := func(r, m, n int, mode colsMode) {
		t.Helper()
		w := kernel(r)
		off := (n + m + r) % 4
		rows := make([][]float32, m+2*r)
		for i := range rows {
			rows[i] = randSlice(rng, n+off+i%3)[off:]
		}
		mw := negInf
		want := make([][]float32, m)
		got := make([][]float32, m)
		alls := make([][]float32, m)
		for j := range want {
			want[j] = make([]float32, n)
			mw = maxOf(mw, convColsGo(want[j], rows[j:j+2*r+1], w, 0))
			got[j], alls[j] = guardedNaN(n, j%3)
		}
		mg := negInf
		if n > 0 {
			mg = p.convColsN(got, rows, w, mode)
		}
		for j := range want {
			bitsEqual(t, want[j], got[j], "columns: r=%d m=%d n=%d mode=%d output %d", r, m, n, mode, j)
			requireGuards(t, got[j], alls[j], "columns: r=%d m=%d n=%d mode=%d output %d", r, m, n, mode, j)
		}
		require.Equal(t, mw, mg, "columns max: r=%d m=%d n=%d mode=%d", r, m, n, mode)
		// Without the maximum (the window kernel's third body).
		for j := range got {
			got[j], alls[j] = guardedNaN(n, (j+1)%3)
		}
		if n > 0 {
			p.convColsNNoMax(got, rows, w, mode)
		}
		for j := range want {
			bitsEqual(t, want[j], got[j], "columns, no max: r=%d m=%d n=%d mode=%d output %d", r, m, n, mode, j)
			requireGuards(t, got[j], alls[j], "columns, no max: r=%d m=%d n=%d mode=%d output %d", r, m, n, mode, j)
		}
		if m == 1 {
			one, all := guardedNaN(n, 1)
			require.Equal(t, mw, p.convCols(one, rows, w))
			bitsEqual(t, want[0], one, "ConvCols: r=%d n=%d", r, n)
			requireGuards(t, one, all, "ConvCols: r=%d n=%d", r, n)
		}
	}
	for n := 0; n <= 300; n++ {
		for r := 1; r <= slideMaxR2; r++ {
			for m := 1; m <= slideMaxM2; m++ {
				check(r, m, n, colsScratch)
			}
			check(r, 3, n, colsPrefetch)
		}
		for r := 1; r <= unrolledMaxR2+1; r++ {
			for _, m := range []int{1, 3, 6, 8, 17} {
				check(r, m, n, colsInPlace)
			}
			if r > slideMaxR2 {
				check(r, 8, n, colsPrefetch)
			}
		}
	}
}
