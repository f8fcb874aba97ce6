package simd

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every path of PackBits and UnpackBits against a plain loop, on lengths
// around the word and vector widths, unaligned starts, any non-zero byte
// as true, and guards around every output.
func TestBitsPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	const guardW = 0xA5A5A5A5A5A5A5A5
	const guardB = 0xA5
	eachPath(t, func(path string) {
		for n := 0; n < 600; n += 1 + n/40 {
			for _, off := range []int{0, 1, 7, 33} {
				src := make([]uint8, n+off)[off:]
				dens := rng.IntN(5)
				for i := range src {
					if rng.IntN(4) < dens {
						src[i] = uint8(1 + rng.IntN(255))
					}
				}
				nw := (n + 63) / 64
				wbuf := make([]uint64, nw+2)
				for i := range wbuf {
					wbuf[i] = guardW
				}
				words := wbuf[1 : 1+nw]
				PackBits(words, src)
				for i := range n {
					require.Equal(t, src[i] != 0, words[i/64]>>(i%64)&1 == 1, "%s pack n=%d off=%d i=%d", path, n, off, i)
				}
				if n%64 != 0 {
					require.Zero(t, words[nw-1]>>(n%64), "%s pack n=%d: bits past the end", path, n)
				}
				require.Equal(t, uint64(guardW), wbuf[0], path)
				require.Equal(t, uint64(guardW), wbuf[nw+1], path)

				// Unpack random words (bits past n set too).
				for i := range words {
					words[i] = rng.Uint64()
				}
				bbuf := make([]uint8, n+2*off+2)
				for i := range bbuf {
					bbuf[i] = guardB
				}
				dst := bbuf[1+off : 1+off+n]
				UnpackBits(dst, words)
				for i := range n {
					require.Equal(t, uint8(words[i/64]>>(i%64)&1), dst[i], "%s unpack n=%d off=%d i=%d", path, n, off, i)
				}
				require.Equal(t, uint8(guardB), bbuf[off], path)
				require.Equal(t, uint8(guardB), bbuf[1+off+n], path)
			}
		}
	})
}

func TestBitsShortBuffers(t *testing.T) {
	require.Panics(t, func() { PackBits(make([]uint64, 1), make([]uint8, 65)) })
	require.Panics(t, func() { UnpackBits(make([]uint8, 129), make([]uint64, 2)) })
}

// Every path of SpanBits, CrossBits and CombineBits against bit-by-bit
// loops, with guards around the output.
func TestBitOpsPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	const guard = 0xA5A5A5A5A5A5A5A5
	bit := func(w []uint64, i int) uint64 { return w[i/64] >> (i % 64) & 1 }
	eachPath(t, func(path string) {
		for n := 0; n < 40; n++ {
			for _, erode := range []bool{true, false} {
				stride := 1 + rng.IntN(6)
				src := make([]uint64, n+2*stride+3)
				for i := range src {
					switch rng.IntN(3) {
					case 0:
						src[i] = rng.Uint64()
					case 1:
						src[i] = ^uint64(0) ^ 1<<rng.IntN(64)
					default:
						src[i] = 1 << rng.IntN(64)
					}
				}
				buf := make([]uint64, n+2)
				reset := func() {
					for i := range buf {
						buf[i] = guard
					}
				}
				dst := buf[1 : 1+n]
				op := func(vs ...uint64) uint64 {
					acc := vs[0]
					for _, v := range vs[1:] {
						if erode {
							acc &= v
						} else {
							acc |= v
						}
					}
					return acc
				}
				// span: bit k of dst[i] from bits 64(i+1)+k-1 .. +1 of src.
				reset()
				SpanBits(dst, src[:n+2], erode)
				for i := range n * 64 {
					c := 64 + i
					require.Equal(t, op(bit(src, c-1), bit(src, c), bit(src, c+1)), bit(dst, i), "%s span n=%d bit %d erode=%v", path, n, i, erode)
				}
				require.Equal(t, uint64(guard), buf[0], path)
				require.Equal(t, uint64(guard), buf[n+1], path)

				reset()
				CrossBits(dst, src[:n+2*stride], stride, erode)
				for i := range n * 64 {
					c := 64*stride + i
					want := op(bit(src, c-1), bit(src, c), bit(src, c+1), bit(src, c-64*stride), bit(src, c+64*stride))
					require.Equal(t, want, bit(dst, i), "%s cross n=%d stride=%d bit %d erode=%v", path, n, stride, i, erode)
				}
				require.Equal(t, uint64(guard), buf[0], path)
				require.Equal(t, uint64(guard), buf[n+1], path)

				reset()
				a, b, c := src[:n], src[1:n+1], src[3:n+3]
				CombineBits(dst, a, b, c, erode)
				for i := range n {
					require.Equal(t, op(a[i], b[i], c[i]), dst[i], "%s combine n=%d", path, n)
				}
				require.Equal(t, uint64(guard), buf[0], path)
				require.Equal(t, uint64(guard), buf[n+1], path)
				// In place: dst is a.
				want := append([]uint64(nil), dst...)
				cp := append([]uint64(nil), a...)
				CombineBits(cp, cp, b, c, erode)
				require.Equal(t, want, cp, "%s combine in place", path)
			}
		}
	})
	require.Panics(t, func() { SpanBits(make([]uint64, 4), make([]uint64, 5), true) })
	require.Panics(t, func() { CrossBits(make([]uint64, 4), make([]uint64, 9), 3, true) })
	require.Panics(t, func() { CrossBits(make([]uint64, 4), make([]uint64, 9), 0, true) })
}

// PackRows and UnpackRows against PackBits and UnpackBits row by row, with
// the words between rows (past each row's words) left alone.
func TestBitRowsPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	const guard = 0xA5A5A5A5A5A5A5A5
	eachPath(t, func(path string) {
		for _, n := range []int{1, 63, 64, 65, 128, 130, 200, 256, 320, 449, 1024} {
			for _, rows := range []int{1, 2, 5} {
				nw := (n + 63) / 64
				stride := nw + rng.IntN(3)
				src := make([]uint8, rows*n)
				for i := range src {
					if rng.IntN(2) == 0 {
						src[i] = uint8(1 + rng.IntN(255))
					}
				}
				dst := make([]uint64, rows*stride)
				for i := range dst {
					dst[i] = guard
				}
				PackRows(dst, stride, src, n, rows)
				back := make([]uint8, rows*n)
				for r := range rows {
					want := make([]uint64, nw)
					PackBits(want, src[r*n:(r+1)*n])
					require.Equal(t, want, dst[r*stride:r*stride+nw], "%s pack n=%d row %d", path, n, r)
					for _, g := range dst[r*stride+nw : (r+1)*stride] {
						require.Equal(t, uint64(guard), g, "%s pack n=%d row %d wrote past the row", path, n, r)
					}
					UnpackBits(back[r*n:(r+1)*n], want)
				}
				got := make([]uint8, rows*n+64)
				for i := range got[rows*n:] {
					got[rows*n+i] = 0xA5
				}
				UnpackRows(got[:rows*n], n, rows, dst, stride)
				require.Equal(t, back, got[:rows*n], "%s unpack n=%d rows=%d", path, n, rows)
				for _, g := range got[rows*n:] {
					require.Equal(t, uint8(0xA5), g, "%s unpack n=%d rows=%d wrote past the rows", path, n, rows)
				}
			}
		}
	})
	require.Panics(t, func() { PackRows(make([]uint64, 2), 2, make([]uint8, 128), 64, 2) })
	require.Panics(t, func() { UnpackRows(make([]uint8, 128), 64, 2, make([]uint64, 2), 2) })
}

// StepUnpackRows against the formula word by word, with every number of
// sources, with and without a span, rows of 1 to 16 words (a partial
// last word left alone) and bytes past the rows left alone; paths without
// the loop say so.
func TestStepUnpackRowsPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(37, 38))
	eachPath(t, func(path string) {
		for _, n := range []int{64, 100, 320, 512, 704, 1024, 1030} {
			for _, rows := range []int{1, 3} {
				for k := range 5 {
					for _, withSpan := range []bool{false, true} {
						if k == 0 && !withSpan {
							continue
						}
						for _, erode := range []bool{true, false} {
							words := n / 64
							stride := (n+63)/64 + 1 + rng.IntN(2)
							size := (rows+1)*stride + 2
							rnd := func() []uint64 {
								b := make([]uint64, size)
								for i := range b {
									b[i] = rng.Uint64()
								}
								return b
							}
							srcs := make([][]uint64, k)
							for j := range srcs {
								srcs[j] = rnd()
							}
							var span []uint64
							if withSpan {
								span = rnd()
							}
							dst := make([]uint8, rows*n+64)
							for i := range dst {
								dst[i] = 7
							}
							ran := StepUnpackRows(dst[:rows*n], n, rows, stride, srcs, span, erode)
							require.Equal(t, path == PathAVX512 || path == PathAVX2, ran, "%s", path)
							if !ran {
								continue
							}
							for r := range rows {
								for i := range words {
									o := r*stride + i
									acc := ^uint64(0)
									if !erode {
										acc = 0
									}
									op := func(v uint64) {
										if erode {
											acc &= v
										} else {
											acc |= v
										}
									}
									for _, s := range srcs {
										op(s[o])
									}
									if withSpan {
										s, p, q := span[1+o], span[o], span[2+o]
										op(s)
										op(s<<1 | p>>63)
										op(s>>1 | q<<63)
									}
									for b := range 64 {
										require.Equal(t, uint8(acc>>b&1), dst[r*n+64*i+b], "%s n=%d rows=%d k=%d span=%v erode=%v row %d word %d bit %d", path, n, rows, k, withSpan, erode, r, i, b)
									}
								}
								for b := words * 64; b < n; b++ {
									require.Equal(t, uint8(7), dst[r*n+b], "%s partial word written", path)
								}
							}
							for _, b := range dst[rows*n:] {
								require.Equal(t, uint8(7), b, "%s wrote past the rows", path)
							}
						}
					}
				}
			}
		}
	})
	require.Panics(t, func() { StepUnpackRows(make([]uint8, 128), 64, 2, 2, [][]uint64{make([]uint64, 2)}, nil, true) })
	require.Panics(t, func() { StepUnpackRows(make([]uint8, 128), 64, 2, 2, nil, make([]uint64, 4), true) })
}
