package simd

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func randSlice(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64()*100 + 20)
	}
	return x
}

// kernel returns a normalised Gaussian-like symmetric kernel of radius r.
func kernel(r int) []float32 {
	w := make([]float32, r+1)
	s := 0.0
	for k := range w {
		v := math.Exp(-0.5 * float64(k*k) / float64((r+1)*(r+1)) * 4)
		w[k] = float32(v)
		if k == 0 {
			s += v
		} else {
			s += 2 * v
		}
	}
	for k := range w {
		w[k] /= float32(s)
	}
	return w
}

func bitsEqual(t *testing.T, want, got []float32, msg string, args ...any) {
	t.Helper()
	require.Equal(t, len(want), len(got))
	for i := range want {
		if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
			require.Failf(t, "values differ", "at %d: want %v got %v; "+msg, append([]any{i, want[i], got[i]}, args...)...)
		}
	}
}

// Lengths 0..70 and sub-slices starting at offsets 0..3 so vector loads are
// unaligned and tails of every length occur.
func TestConvRowPathsMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range underTest(t, false) {
		for _, r := range []int{0, 1, 2, 4, 7, 12, 16, 17, 20} {
			w := kernel(r)
			for n := 0; n <= 300; n++ {
				if n > 70 && n%7 != 0 && n != 256 {
					continue
				}
				for off := 0; off < 4; off++ {
					src := randSlice(rng, n+2*r+off)[off:]
					want := make([]float32, n+off)[off:]
					g := guardF32(n, off)
					got := g.data()
					mw := convRowGo(want, src, w)
					mg := p.convRow(got, src, w)
					bitsEqual(t, want, got, "path %s r=%d n=%d off=%d", p.name, r, n, off)
					g.check(t, "path %s r=%d n=%d off=%d", p.name, r, n, off)
					require.Equal(t, mw, mg, "max, path %s r=%d n=%d", p.name, r, n)
				}
			}
		}
	}
}

func TestConvColsPathsMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, p := range underTest(t, false) {
		for _, r := range []int{0, 1, 3, 4, 9, 40} {
			w := kernel(r)
			for n := 0; n <= 70; n++ {
				off := n % 4
				rows := make([][]float32, 2*r+1)
				for i := range rows {
					rows[i] = randSlice(rng, n+off+1)[off:]
				}
				want := make([]float32, n+1)[1:]
				g := guardF32(n, 1)
				got := g.data()
				mw := convColsGo(want, rows, w, 0)
				mg := p.convCols(got, rows, w)
				bitsEqual(t, want, got, "path %s r=%d n=%d", p.name, r, n)
				g.check(t, "path %s r=%d n=%d", p.name, r, n)
				require.Equal(t, mw, mg)
			}
		}
	}
}

// ConvRowIn, which may read the samples before the row, gives ConvRow's
// values on every path for rows at every small offset into their buffer.
func TestConvRowInPathsMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	next := make([]float32, 1600) // hinted into cache by some calls
	for _, p := range underTest(t, true) {
		for _, r := range []int{1, 3, 4, 12, 16, 17} {
			w := kernel(r)
			for _, n := range []int{0, 5, 16, 17, 63, 64, 79, 80, 81, 143, 144, 200, 512} {
				for _, off := range []int{0, 1, 5, 15, 16, 20} {
					buf := randSlice(rng, off+n+2*r)
					want := make([]float32, n)
					g := guardF32(n, off%3)
					got := g.data()
					mw := convRowGo(want, buf[off:], w)
					mg := p.convRowAhead(got, buf[off:], w, off, cached, nil)
					bitsEqual(t, want, got, "path %s r=%d n=%d off=%d", p.name, r, n, off)
					g.check(t, "path %s r=%d n=%d off=%d", p.name, r, n, off)
					require.Equal(t, mw, mg, "max, path %s r=%d n=%d off=%d", p.name, r, n, off)
					// Streaming stores, fenced or not, to aligned and
					// unaligned outputs.
					for _, mode := range []streamMode{streamed, streamedNoFence} {
						for _, lag := range []int{0, 1, 16} {
							g := guardF32(n, lag)
							out := g.data()
							ms := p.convRowAhead(out, buf[off:], w, off, mode, next[:lag*100])
							StoreFence()
							bitsEqual(t, want, out, "stream %d, path %s r=%d n=%d off=%d lag=%d", mode, p.name, r, n, off, lag)
							g.check(t, "stream %d, path %s r=%d n=%d off=%d lag=%d", mode, p.name, r, n, off, lag)
							require.Equal(t, mw, ms)
						}
					}
				}
			}
		}
	}
	require.Panics(t, func() { ConvRowIn(make([]float32, 4), make([]float32, 8), 9, kernel(1)) })
	require.Panics(t, func() { ConvRowIn(make([]float32, 4), make([]float32, 8), 3, kernel(1)) })
}

// ConvColsN on every path gives, output by output, what the Go ConvCols
// twin gives for that output's rows: widths with every tail length, rows
// at unaligned offsets, 1..20 outputs (beyond the stack tables too) and
// radii up to past the stack limit, in every mode. Radii 1..6 with up to
// 8 outputs (fewer for r > 4) take the AVX-512 kernels that hold the whole
// window in registers (with and without L1 hints) in the prefetch and
// scratch modes; the others the blocked kernel.
func TestConvColsNPathsMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, p := range underTest(t, true) {
		for _, r := range []int{0, 1, 2, 3, 4, 5, 6, 7, 12, 30} {
			w := kernel(r)
			for _, m := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 17} {
				for _, n := range []int{1, 15, 16, 17, 63, 64, 65, 130, 200, 256} {
					off := (n + m) % 4
					rows := make([][]float32, m+2*r)
					for i := range rows {
						rows[i] = randSlice(rng, n+off+i%3)[off:]
					}
					mw := negInf
					want := make([][]float32, m)
					guards, got := guardRowsF32(m, n, 1)
					for j := range want {
						want[j] = make([]float32, n)
						mw = maxOf(mw, convColsGo(want[j], rows[j:j+2*r+1], w, 0))
					}
					for _, mode := range []colsMode{colsInPlace, colsPrefetch, colsScratch} {
						for j := range got {
							clear(got[j])
						}
						mg := p.convColsN(got, rows, w, mode)
						for j := range want {
							bitsEqual(t, want[j], got[j], "path %s r=%d m=%d n=%d mode=%d output %d", p.name, r, m, n, mode, j)
							guards[j].check(t, "path %s r=%d m=%d n=%d mode=%d output %d", p.name, r, m, n, mode, j)
						}
						require.Equal(t, mw, mg, "max, path %s r=%d m=%d n=%d mode=%d", p.name, r, m, n, mode)
					}
				}
			}
		}
	}
}

// ConvRowsIn and ConvRowsInStreamDeferred give, on every path, ConvRow's
// values for every row and the maximum over all rows: 0..33 rows (more
// than one kernel call), equal and unequal lengths with every tail, radii
// with and without the register-tap kernels (1..8) and the unrolled one
// (up to 16), offsets with and without 16
// readable samples before the centre, aligned and unaligned outputs.
func TestConvRowsInPathsMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, p := range underTest(t, true) {
		for _, r := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17} {
			w := kernel(r)
			for _, rows := range []int{0, 1, 3, 17, 33} {
				for _, n := range []int{1, 16, 17, 79, 200} {
					for _, off := range []int{0, 3, 16, 20} {
						for _, unequal := range []bool{false, true} {
							bufs := make([][]float32, rows)
							want := make([][]float32, rows)
							mw := negInf
							for i := range bufs {
								ni := n
								if unequal && i == rows-1 {
									ni = n + 1
								}
								bufs[i] = randSlice(rng, off+ni+2*r+i%2)
								want[i] = make([]float32, ni)
								mw = maxOf(mw, convRowGo(want[i], bufs[i][off:], w))
							}
							for _, mode := range []streamMode{cached, streamedNoFence} {
								for _, lag := range []int{0, 5} {
									got := make([][]float32, rows)
									guards := make([]*guarded[float32], rows)
									for i := range got {
										guards[i] = guardF32(len(want[i]), lag)
										got[i] = guards[i].data()
									}
									mg := p.convRowsIn(got, bufs, off, w, mode)
									StoreFence()
									for i := range want {
										bitsEqual(t, want[i], got[i], "path %s r=%d rows=%d n=%d off=%d mode=%d lag=%d row %d", p.name, r, rows, n, off, mode, lag, i)
										guards[i].check(t, "path %s r=%d rows=%d n=%d off=%d mode=%d lag=%d row %d", p.name, r, rows, n, off, mode, lag, i)
									}
									require.Equal(t, mw, mg, "max, path %s r=%d rows=%d n=%d off=%d", p.name, r, rows, n, off)
								}
							}
						}
					}
				}
			}
		}
	}
	require.Panics(t, func() { ConvRowsIn(make([][]float32, 1), nil, 0, kernel(1)) })
	require.Panics(t, func() {
		ConvRowsIn([][]float32{make([]float32, 4)}, [][]float32{make([]float32, 5)}, 0, kernel(1))
	})
	require.Equal(t, negInf, ConvRowsInStreamDeferred(nil, nil, 0, kernel(1)))
}

// Every width 0..300 (all tails and block counts), at unaligned offsets,
// through the register-window column kernels (ConvColsNPrefetch and
// ConvColsNScratch) and the grouped row kernels (ConvRowsIn), for a few
// radius and output-count pairs, on every path, against the Go twins.
func TestWindowKernelsEveryWidth(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, p := range underTest(t, true) {
		for _, c := range [][2]int{{1, 1}, {4, 8}, {6, 4}, {3, 5}} {
			r, m := c[0], c[1]
			w := kernel(r)
			for n := 0; n <= 300; n++ {
				off := n % 4
				rows := make([][]float32, m+2*r)
				for i := range rows {
					rows[i] = randSlice(rng, n+off)[off:]
				}
				mw := negInf
				want := make([][]float32, m)
				for j := range want {
					want[j] = make([]float32, n)
					mw = maxOf(mw, convColsGo(want[j], rows[j:j+2*r+1], w, 0))
				}
				for _, mode := range []colsMode{colsPrefetch, colsScratch} {
					guards, got := guardRowsF32(m, n, 3)
					var mg float32
					if n == 0 {
						mg = negInf
					} else {
						mg = p.convColsN(got, rows, w, mode)
					}
					for j := range want {
						bitsEqual(t, want[j], got[j], "columns, path %s r=%d m=%d n=%d mode=%d output %d", p.name, r, m, n, mode, j)
						guards[j].check(t, "columns, path %s r=%d m=%d n=%d mode=%d output %d", p.name, r, m, n, mode, j)
					}
					require.Equal(t, mw, mg, "max, path %s r=%d m=%d n=%d mode=%d", p.name, r, m, n, mode)
				}
				bufs := make([][]float32, m)
				xwant := make([][]float32, m)
				xm := negInf
				for i := range bufs {
					bufs[i] = randSlice(rng, 16+n+2*r+off)[off:]
					xwant[i] = make([]float32, n)
					xm = maxOf(xm, convRowGo(xwant[i], bufs[i][16:], w))
				}
				xguards, xgot := guardRowsF32(m, n, 0)
				mg := p.convRowsIn(xgot, bufs, 16, w, streamedNoFence)
				StoreFence()
				for i := range xwant {
					bitsEqual(t, xwant[i], xgot[i], "rows, path %s r=%d rows=%d n=%d row %d", p.name, r, m, n, i)
					xguards[i].check(t, "rows, path %s r=%d rows=%d n=%d row %d", p.name, r, m, n, i)
				}
				require.Equal(t, xm, mg, "rows max, path %s r=%d rows=%d n=%d", p.name, r, m, n)
			}
		}
	}
}

// The Go twin is itself checked against a direct evaluation: the same
// operation order in exact arithmetic rounded once per step.
func TestConvRowGoIsTheDocumentedFormula(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	w := kernel(3)
	src := randSlice(rng, 40+6)
	dst := make([]float32, 40)
	convRowGo(dst, src, w)
	for i := range dst {
		acc := w[0] * src[i+3]
		for k := 1; k <= 3; k++ {
			acc = fmaBig(w[k], src[i+3-k]+src[i+3+k], acc)
		}
		require.Equal(t, acc, dst[i])
	}
}

// fmaBig is a slow, obviously correct x*y+z rounded once to float32.
func fmaBig(x, y, z float32) float32 {
	p := new(big.Float).SetPrec(200).SetFloat64(float64(x))
	p.Mul(p, new(big.Float).SetPrec(200).SetFloat64(float64(y)))
	p.Add(p, new(big.Float).SetPrec(200).SetFloat64(float64(z)))
	f, _ := p.Float32()
	return f
}

func TestFMA32IsCorrectlyRounded(t *testing.T) {
	// x*y = 2^-24 - 2^-70 and z = 1+2^-23: the float64 sum rounds onto a
	// float32 midpoint, where rounding twice would give 1+2^-22.
	x := float32(math.Ldexp(1+math.Ldexp(1, -23), -12))
	y := float32(math.Ldexp(1-math.Ldexp(1, -23), -12))
	z := float32(1 + math.Ldexp(1, -23))
	require.Equal(t, z, FMA32(x, y, z))
	require.Equal(t, z, fmaBig(x, y, z))
	require.NotEqual(t, z, float32(float64(x)*float64(y)+float64(z)))
	// A float32 subnormal result.
	require.Equal(t, fmaBig(1e-20, 1e-20, 3e-41), FMA32(1e-20, 1e-20, 3e-41))
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 200000 {
		var x, y, z float32
		switch i % 3 {
		case 0:
			x, y, z = float32(rng.NormFloat64()), float32(rng.NormFloat64()), float32(rng.NormFloat64())
		case 1: // z close to -x*y: heavy cancellation
			x, y = float32(rng.NormFloat64()), float32(rng.NormFloat64())
			z = -x * y * (1 + float32(rng.IntN(5)-2)*1e-7)
		default: // random bit patterns in a moderate exponent range
			x = math.Float32frombits(rng.Uint32()&0x807fffff | uint32(100+rng.IntN(50))<<23)
			y = math.Float32frombits(rng.Uint32()&0x807fffff | uint32(100+rng.IntN(50))<<23)
			z = math.Float32frombits(rng.Uint32()&0x807fffff | uint32(80+rng.IntN(90))<<23)
		}
		require.Equal(t, fmaBig(x, y, z), FMA32(x, y, z), "fma(%v,%v,%v)", x, y, z)
	}
}

func TestReductionsPathsMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, p := range underTest(t, false) {
		for n := 0; n <= 300; n++ {
			if n > 70 && n%17 != 0 {
				continue
			}
			off := n % 5
			x := randSlice(rng, n+off)[off:]
			require.Equal(t, maxGo(x), p.max(x), "max %s n=%d", p.name, n)
			require.Equal(t, minGo(x), p.min(x), "min %s n=%d", p.name, n)
			require.Equal(t, math.Float64bits(sumGo(x)), math.Float64bits(p.sum(x)), "sum %s n=%d", p.name, n)
			d1 := make([]float32, n)
			g := guardF32(n, off)
			require.Equal(t, copyMaxGo(d1, x), p.copyMax(g.data(), x))
			require.Equal(t, x, g.data())
			g.check(t, "copyMax %s n=%d", p.name, n)
		}
	}
}

func TestReductionsAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	type ref struct {
		x      []float32
		mx, mn float32
		sum    float64
	}
	var refs []ref
	for _, n := range []int{0, 1, 15, 16, 17, 1000, 4099} {
		x := randSlice(rng, n)
		mx, mn, s := float32(math.Inf(-1)), float32(math.Inf(1)), new(big.Float).SetPrec(300)
		for _, v := range x {
			mx = max(mx, v)
			mn = min(mn, v)
			s.Add(s, big.NewFloat(float64(v)))
		}
		exact, _ := s.Float64()
		refs = append(refs, ref{x, mx, mn, exact})
	}
	eachPath(t, func(path string) {
		for _, r := range refs {
			require.Equal(t, r.mx, Max(r.x), "%s n=%d", path, len(r.x))
			require.Equal(t, r.mn, Min(r.x), "%s n=%d", path, len(r.x))
			require.InDelta(t, r.sum, Sum(r.x), 1e-9*math.Max(1, math.Abs(r.sum)), "%s n=%d", path, len(r.x))
		}
	})
}

func TestGreaterMaskPathsMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, p := range underTest(t, false) {
		for n := 0; n <= 140; n++ {
			off := n % 3
			x := randSlice(rng, n+off)[off:]
			if n > 5 {
				x[1] = 20 // equal to the threshold: strictly greater gives 0
				x[2] = float32(math.NaN())
				x[3] = float32(math.Inf(1))
			}
			want := make([]uint8, n)
			g := newGuarded(n, off, sentinelU8, 7)
			got := g.data()
			greaterMaskGo(want, x, 20)
			p.greaterMask(got, x, 20)
			require.Equal(t, want, got, "path %s n=%d", p.name, n)
			g.check(t, "path %s n=%d", p.name, n)
			for i, v := range x {
				require.Equal(t, v > 20, want[i] == 1)
			}
		}
	}
}

func TestConversionsPathsMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, p := range underTest(t, false) {
		for n := 0; n <= 70; n++ {
			off := n % 3
			b := make([]uint8, n+off)
			h := make([]uint16, n+off)
			for i := range b {
				b[i] = uint8(rng.Uint32())
				h[i] = uint16(rng.Uint32())
			}
			b, h = b[off:], h[off:]
			w1, gb1 := make([]float32, n), guardF32(n, off)
			g1 := gb1.data()
			u8ToF32Go(w1, b)
			p.u8ToF32(g1, b)
			require.Equal(t, w1, g1)
			gb1.check(t, "u8ToF32 %s n=%d", p.name, n)
			w2, gb2 := make([]float32, n), guardF32(n, off)
			g2 := gb2.data()
			u16ToF32Go(w2, h)
			p.u16ToF32(g2, h)
			require.Equal(t, w2, g2)
			gb2.check(t, "u16ToF32 %s n=%d", p.name, n)
			for i := range b {
				require.Equal(t, float32(b[i]), g1[i])
				require.Equal(t, float32(h[i]), g2[i])
			}
		}
	}
}

func TestChoose(t *testing.T) {
	p, n := choose("go")
	require.Equal(t, PathGo, p.name)
	require.Empty(t, n)
	p, n = choose("")
	require.Equal(t, impls()[0].name, p.name)
	require.Empty(t, n)
	p, n = choose("sse9")
	require.Equal(t, impls()[0].name, p.name)
	require.Contains(t, n, "not a path")
	if !hasPath(PathAVX2) {
		p, n = choose("avx2")
		require.Equal(t, impls()[0].name, p.name)
		require.Contains(t, n, "not supported")
	}
	_, err := Use("nope")
	require.Error(t, err)
	require.Contains(t, Paths(), Path())
}

func hasPath(name string) bool {
	for _, p := range Paths() {
		if p == name {
			return true
		}
	}
	return false
}

func TestPublicWrappersCheckLengths(t *testing.T) {
	require.Panics(t, func() { ConvRow(make([]float32, 4), make([]float32, 5), []float32{1, 0}) })
	require.Panics(t, func() { ConvCols(make([]float32, 4), [][]float32{make([]float32, 4)}, []float32{1, 0}) })
	require.NotPanics(t, func() { ConvRow(make([]float32, 4), make([]float32, 6), []float32{1, 0}) })
}
