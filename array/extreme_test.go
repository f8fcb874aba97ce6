package array

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/segstack/segstack/kernels/simd"
	"github.com/stretchr/testify/require"
)

// checkExtremes holds maxInto and minInto to an element-by-element loop
// for lengths around the vector steps and at unaligned starts.
func checkExtremes[T Number](t *testing.T, gen func(r *rand.Rand) T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 8, 9, 63, 64, 65, 127, 128, 129, 255, 256, 300, 1000, 4099} {
		for _, off := range []int{0, 1, 3} {
			a := make([]T, n+off)
			b := make([]T, n+off+5) // longer source: only len(dst) is used
			for i := range a {
				a[i] = gen(r)
			}
			for i := range b {
				b[i] = gen(r)
			}
			for _, isMax := range []bool{true, false} {
				got := append([]T(nil), a[off:]...)
				want := append([]T(nil), a[off:]...)
				src := b[off:]
				for i := range want {
					if isMax {
						want[i] = max(want[i], src[i])
					} else {
						want[i] = min(want[i], src[i])
					}
				}
				if isMax {
					maxInto(got, src)
				} else {
					minInto(got, src)
				}
				require.Equal(t, want, got, "n=%d off=%d max=%v", n, off, isMax)
			}
		}
	}
}

func TestExtremeLoops(t *testing.T) {
	defer func(path string) { _, _ = simd.Use(path) }(simd.Path())
	for _, name := range simd.Paths() {
		_, err := simd.Use(name)
		require.NoError(t, err)
		t.Run(name, func(t *testing.T) {
			checkExtremes(t, func(r *rand.Rand) uint16 { return uint16(r.Uint32()) })
			// Values on both sides of the sign bit, which an unsigned
			// comparison must order as unsigned.
			checkExtremes(t, func(r *rand.Rand) uint16 { return 0x7ff0 + uint16(r.IntN(32)) })
			checkExtremes(t, func(r *rand.Rand) uint8 { return uint8(r.Uint32()) })
			checkExtremes(t, func(r *rand.Rand) uint8 { return 0x78 + uint8(r.IntN(16)) })
			checkExtremes(t, func(r *rand.Rand) int16 { return int16(r.Uint32()) })
			checkExtremes(t, func(r *rand.Rand) float32 { return float32(r.NormFloat64()) })
			checkExtremes(t, func(r *rand.Rand) float64 { return r.NormFloat64() })
		})
	}
}

// A NaN in either operand survives, as with numpy's maximum and minimum.
func TestExtremeLoopsNaN(t *testing.T) {
	nan := float32(math.NaN())
	for _, f := range []func(dst, src []float32){maxInto[float32], minInto[float32]} {
		dst := []float32{nan, 1, 2, 3, 4, 5, 6, 7, 8, 1}
		src := []float32{1, nan, 2, 3, 4, 5, 6, 7, 8, nan}
		f(dst, src)
		require.True(t, math.IsNaN(float64(dst[0])))
		require.True(t, math.IsNaN(float64(dst[1])))
		require.True(t, math.IsNaN(float64(dst[9])))
		require.Equal(t, float32(2), dst[2])
	}
}

func BenchmarkExtremeLoops(b *testing.B) {
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
				maxInto(dst, src)
			}
		})
	}
	f, g := make([]float32, n), make([]float32, n)
	b.Run("float32/go", func(b *testing.B) {
		b.SetBytes(4 * n)
		for b.Loop() {
			maxInto(f, g)
		}
	})
}
