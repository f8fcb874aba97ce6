package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// checkExtremes holds MaxInto and MinInto to an element-by-element loop
// for lengths around the vector steps and at unaligned starts.
func checkExtremes[T ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~int16 | ~int32 | ~int64 | ~float32 | ~float64](t *testing.T, gen func(r *rand.Rand) T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 127, 128, 129, 255, 256, 300, 1000, 4099} {
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
					MaxInto(got, src)
				} else {
					MinInto(got, src)
				}
				require.Equal(t, want, got, "n=%d off=%d max=%v", n, off, isMax)
			}
		}
	}
}

func TestExtremeLoops(t *testing.T) {
	forEachPath(t, func(t *testing.T, _ string) {
		checkExtremes(t, func(r *rand.Rand) uint16 { return uint16(r.Uint32()) })
		// Values on both sides of the sign bit, which an unsigned
		// comparison must order as unsigned.
		checkExtremes(t, func(r *rand.Rand) uint16 { return 0x7ff0 + uint16(r.IntN(32)) })
		checkExtremes(t, func(r *rand.Rand) uint8 { return uint8(r.Uint32()) })
		checkExtremes(t, func(r *rand.Rand) uint8 { return 0x78 + uint8(r.IntN(16)) })
		checkExtremes(t, func(r *rand.Rand) int16 { return int16(r.Uint32()) })
		checkExtremes(t, func(r *rand.Rand) uint64 { return r.Uint64() })
		checkExtremes(t, func(r *rand.Rand) float32 { return float32(r.NormFloat64()) })
		checkExtremes(t, func(r *rand.Rand) float64 { return r.NormFloat64() })
	})
}

// A NaN in either operand survives, as with numpy's maximum and minimum.
func TestExtremeLoopsNaN(t *testing.T) {
	t.Parallel()
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
