package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/segstack/segstack/kernels/simd"
	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

// extremaLengths straddle the vector steps (64 uint16 or 128 uint8 per
// AVX2 iteration) and are mostly not multiples of them.
var extremaLengths = []int{0, 1, 2, 7, 8, 9, 15, 31, 33, 63, 64, 65, 100, 127, 128, 129, 191, 255, 256, 257, 300, 1000, 4099}

// bruteFold is the reference for MaxInto and MinInto: one comparison per
// element, a NaN of either operand propagating (x != x only for NaN).
func bruteFold[T stack.Number](dst, src []T, isMax bool) []T {
	out := make([]T, len(dst))
	copy(out, dst)
	for i := range out {
		d, s := out[i], src[i]
		switch {
		case d != d:
		case s != s:
			out[i] = s
		case isMax && s > d, !isMax && s < d:
			out[i] = s
		}
	}
	return out
}

// checkExtrema holds MaxInto and MinInto to bruteFold for every length in
// extremaLengths, at unaligned starts, with guard elements on both sides
// of dst and past the end of src: lo and hi are values such that
// max(lo, hi) = hi and min(hi, lo) = lo, so a kernel that reads or writes
// one element too far changes a guard.
func checkExtrema[T stack.Number](t *testing.T, lo, hi T, gen func(r *rand.Rand) T) {
	t.Helper()
	const guard = 16
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range extremaLengths {
		for _, off := range []int{0, 1, 3} {
			for _, isMax := range []bool{true, false} {
				dg, sg := lo, hi // dst's guards, and src's past its end
				if !isMax {
					dg, sg = hi, lo
				}
				dbuf := make([]T, off+n+2*guard)
				sbuf := make([]T, off+n+guard)
				for i := range dbuf {
					dbuf[i] = dg
				}
				for i := range sbuf {
					sbuf[i] = sg
				}
				dst := dbuf[guard+off : guard+off+n]
				src := sbuf[off : off+n]
				for i := range dst {
					dst[i], src[i] = gen(r), gen(r)
				}
				want := bruteFold(dst, src, isMax)
				if isMax {
					MaxInto(dst, src)
				} else {
					MinInto(dst, src)
				}
				require.Equal(t, want, dst, "n=%d off=%d max=%v", n, off, isMax)
				for i, v := range dbuf {
					if i < guard+off || i >= guard+off+n {
						require.Equal(t, dg, v, "n=%d off=%d max=%v: guard %d of dst changed", n, off, isMax, i)
					}
				}
			}
		}
	}
}

func TestExtremaEveryPath(t *testing.T) {
	forEachPath(t, func(t *testing.T, _ string) {
		t.Run("uint16", func(t *testing.T) {
			checkExtrema(t, 0, math.MaxUint16, func(r *rand.Rand) uint16 { return uint16(r.Uint32()) })
			// Values on both sides of the sign bit, which an unsigned
			// comparison must order as unsigned.
			checkExtrema(t, 0, math.MaxUint16, func(r *rand.Rand) uint16 { return 0x7ff0 + uint16(r.IntN(32)) })
		})
		t.Run("uint8", func(t *testing.T) {
			checkExtrema(t, 0, math.MaxUint8, func(r *rand.Rand) uint8 { return uint8(r.Uint32()) })
			checkExtrema(t, 0, math.MaxUint8, func(r *rand.Rand) uint8 { return 0x78 + uint8(r.IntN(16)) })
		})
		t.Run("uint32", func(t *testing.T) {
			checkExtrema(t, 0, math.MaxUint32, func(r *rand.Rand) uint32 { return r.Uint32() })
		})
		t.Run("int16", func(t *testing.T) {
			checkExtrema(t, math.MinInt16, math.MaxInt16, func(r *rand.Rand) int16 { return int16(r.Uint32()) })
		})
		t.Run("int32", func(t *testing.T) {
			checkExtrema(t, math.MinInt32, math.MaxInt32, func(r *rand.Rand) int32 { return int32(r.Uint32()) })
		})
		t.Run("uint64", func(t *testing.T) {
			checkExtrema(t, 0, math.MaxUint64, func(r *rand.Rand) uint64 { return r.Uint64() })
		})
		t.Run("int64", func(t *testing.T) {
			checkExtrema(t, math.MinInt64, math.MaxInt64, func(r *rand.Rand) int64 { return int64(r.Uint64()) })
		})
		t.Run("float32", func(t *testing.T) {
			checkExtrema(t, float32(math.Inf(-1)), float32(math.Inf(1)), func(r *rand.Rand) float32 { return float32(r.NormFloat64()) })
		})
		t.Run("float64", func(t *testing.T) {
			checkExtrema(t, math.Inf(-1), math.Inf(1), func(r *rand.Rand) float64 { return r.NormFloat64() })
		})
	})
}

// TestExtremaLengthMismatch checks that only the common prefix is folded
// when the slices differ in length.
func TestExtremaLengthMismatch(t *testing.T) {
	forEachPath(t, func(t *testing.T, _ string) {
		for _, n := range []int{0, 5, 64, 200} {
			for _, m := range []int{0, 3, 64, 130, 300} {
				dst := make([]uint16, n)
				src := make([]uint16, m)
				for i := range src {
					src[i] = uint16(i + 1)
				}
				MaxInto(dst, src)
				for i, v := range dst {
					want := uint16(0)
					if i < m {
						want = uint16(i + 1)
					}
					require.Equal(t, want, v, "n=%d m=%d at %d", n, m, i)
				}
				MinInto(dst, make([]uint16, m))
				for i, v := range dst {
					require.Zero(t, v, "n=%d m=%d at %d", n, m, i)
				}
			}
		}
	})
}

// A NaN in either operand survives, as with numpy's maximum and minimum.
func TestExtremaNaN(t *testing.T) {
	nan := float32(math.NaN())
	for _, f := range []func(dst, src []float32){MaxInto[float32], MinInto[float32]} {
		dst := []float32{nan, 1, 2, 3, 4, 5, 6, 7, 8, 1}
		src := []float32{1, nan, 2, 3, 4, 5, 6, 7, 8, nan}
		f(dst, src)
		require.True(t, math.IsNaN(float64(dst[0])))
		require.True(t, math.IsNaN(float64(dst[1])))
		require.True(t, math.IsNaN(float64(dst[9])))
		require.Equal(t, float32(2), dst[2])
	}
}

// TestExtremaNamedTypes checks that a named element type, which has no
// vector loop, takes the Go loop and gives the same answers.
func TestExtremaNamedTypes(t *testing.T) {
	type gray uint16
	r := rand.New(rand.NewPCG(3, 4))
	dst, src := make([]gray, 300), make([]gray, 300)
	for i := range dst {
		dst[i], src[i] = gray(r.Uint32()), gray(r.Uint32())
	}
	want := bruteFold(dst, src, true)
	MaxInto(dst, src)
	require.Equal(t, want, dst)
}

func BenchmarkMaxInto(b *testing.B) {
	const n = 1 << 20 // a 1024×1024 plane
	dst, src := make([]uint16, n), make([]uint16, n)
	for i := range src {
		src[i] = uint16(i * 7919)
	}
	defer func(path string) { _, _ = simd.Use(path) }(simd.Path())
	for _, path := range simd.Paths() {
		b.Run("uint16/"+path, func(b *testing.B) {
			_, err := simd.Use(path)
			require.NoError(b, err)
			b.SetBytes(2 * n)
			for b.Loop() {
				MaxInto(dst, src)
			}
		})
	}
	f, g := make([]float32, n), make([]float32, n)
	b.Run("float32/go", func(b *testing.B) {
		b.SetBytes(4 * n)
		for b.Loop() {
			MaxInto(f, g)
		}
	})
}
