package simd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestElementwiseExtremes holds every path's MaxUint16/MinUint16/MaxUint8/
// MinUint8 to a plain loop, on lengths around the vector steps, unaligned
// starts and values either side of the sign bit.
func TestElementwiseExtremes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	eachPath(t, func(path string) {
		for _, n := range []int{0, 1, 63, 64, 65, 127, 128, 129, 300, 4099} {
			for _, off := range []int{0, 1, 3} {
				a16, b16 := make([]uint16, n+off), make([]uint16, n+off)
				a8, b8 := make([]uint8, n+off), make([]uint8, n+off)
				for i := range a16 {
					a16[i], b16[i] = 0x7ff0+uint16(r.IntN(32)), uint16(r.Uint32())
					a8[i], b8[i] = 0x78+uint8(r.IntN(16)), uint8(r.Uint32())
				}
				for _, isMax := range []bool{true, false} {
					// dst is both input and output: guarded, at the
					// same misalignment as the source.
					g16, g8 := newGuarded(n, off, sentinelU16, 0), newGuarded(n, off, sentinelU8, 0)
					got16, want16 := g16.data(), make([]uint16, n)
					got8, want8 := g8.data(), make([]uint8, n)
					copy(got16, a16[off:])
					copy(want16, a16[off:])
					copy(got8, a8[off:])
					copy(want8, a8[off:])
					for i := range want16 {
						if isMax {
							want16[i], want8[i] = max(want16[i], b16[off+i]), max(want8[i], b8[off+i])
						} else {
							want16[i], want8[i] = min(want16[i], b16[off+i]), min(want8[i], b8[off+i])
						}
					}
					if isMax {
						MaxUint16(got16, b16[off:])
						MaxUint8(got8, b8[off:])
					} else {
						MinUint16(got16, b16[off:])
						MinUint8(got8, b8[off:])
					}
					require.Equal(t, want16, got16, "%s n=%d off=%d max=%v", path, n, off, isMax)
					require.Equal(t, want8, got8, "%s n=%d off=%d max=%v", path, n, off, isMax)
					g16.check(t, "uint16 %s n=%d off=%d max=%v", path, n, off, isMax)
					g8.check(t, "uint8 %s n=%d off=%d max=%v", path, n, off, isMax)
				}
			}
		}
	})
}

// TestNarrowUint32 holds every path's NarrowUint32 to a plain saturating
// loop, on lengths around the vector step and unaligned starts.
func TestNarrowUint32(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	eachPath(t, func(path string) {
		for _, n := range []int{0, 1, 31, 32, 33, 63, 64, 65, 300, 4099} {
			for _, off := range []int{0, 1, 3} {
				src := make([]uint32, n+off)
				for i := range src {
					switch r.IntN(3) {
					case 0:
						src[i] = uint32(r.IntN(1 << 16))
					case 1:
						src[i] = 0xfff0 + uint32(r.IntN(32)) // either side of the limit
					default:
						src[i] = r.Uint32()
					}
				}
				want := make([]uint16, n)
				for i, v := range src[off:] {
					want[i] = uint16(min(v, 65535))
				}
				// dst longer than src: nothing may be written past
				// len(src), inside dst or in the guard band after it.
				g := newGuarded(n+2, off, sentinelU16, 0)
				got := g.data()
				got[n], got[n+1] = 7, 9
				NarrowUint32(got, src[off:])
				require.Equal(t, want, got[:n], "%s n=%d off=%d", path, n, off)
				require.Equal(t, []uint16{7, 9}, got[n:], "%s: nothing written past len(src)", path)
				g.check(t, "%s n=%d off=%d", path, n, off)
			}
		}
	})
}

// TestGreaterBits holds every path's GreaterBits to a plain loop, on
// lengths around the 64-sample word, unaligned starts, values equal to the
// threshold and NaNs.
func TestGreaterBits(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	nan := float32(math.NaN())
	eachPath(t, func(path string) {
		for _, n := range []int{0, 1, 63, 64, 65, 127, 128, 129, 300, 1000} {
			for _, off := range []int{0, 1, 3} {
				src := make([]float32, n+off)
				for i := range src {
					switch r.IntN(8) {
					case 0:
						src[i] = 0.5 // the threshold itself
					case 1:
						src[i] = nan
					default:
						src[i] = r.Float32()
					}
				}
				words := (n + 63) / 64
				want := make([]uint64, words)
				for i, v := range src[off:] {
					if v > 0.5 {
						want[i/64] |= 1 << (i % 64)
					}
				}
				g := newGuarded(words+1, off, sentinelU64, 0xdeadbeef)
				got := g.data()
				GreaterBits(got, src[off:], 0.5)
				require.Equal(t, want, got[:words], "%s n=%d off=%d", path, n, off)
				require.Equal(t, uint64(0xdeadbeef), got[words], "%s: nothing written past the last word", path)
				g.check(t, "%s n=%d off=%d", path, n, off)
			}
		}
	})
}
