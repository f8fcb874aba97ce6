package simd

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every path of Span3 and Rows3 against a plain loop, on lengths around
// the vector width, unaligned starts, and guard bytes on both sides of the
// output.
func TestMorphRowsPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	const guard = 0xA5
	eachPath(t, func(path string) {
		for n := 0; n < 140; n++ {
			for _, off := range []int{0, 1, 7} {
				for _, erode := range []bool{true, false} {
					src := make([]uint8, n+off)[off:]
					a, b, c := make([]uint8, n), make([]uint8, n), make([]uint8, n)
					for i := range src {
						src[i] = uint8(rng.IntN(4)) * uint8(rng.IntN(2))
						a[i], b[i], c[i] = uint8(rng.IntN(3)), uint8(rng.IntN(200)), uint8(rng.IntN(2))
					}
					buf := make([]uint8, n+2+off)
					for i := range buf {
						buf[i] = guard
					}
					dst := buf[1+off : 1+off+n]
					Span3(dst, src, erode)
					for i := range n {
						want := uint8(guard)
						if i > 0 && i < n-1 {
							if erode {
								want = min(src[i-1], src[i], src[i+1])
							} else {
								want = max(src[i-1], src[i], src[i+1])
							}
						}
						require.Equal(t, want, dst[i], "%s span3 n=%d i=%d erode=%v", path, n, i, erode)
					}
					require.Equal(t, uint8(guard), buf[off], path)
					require.Equal(t, uint8(guard), buf[1+off+n], path)

					Rows3(dst, a, b, c, erode)
					for i := range n {
						v := max(a[i], b[i], c[i])
						if erode {
							v = min(a[i], b[i], c[i])
						}
						require.Equal(t, min(v, 1), dst[i], "%s rows3 n=%d i=%d", path, n, i)
					}
					require.Equal(t, uint8(guard), buf[off], path)
					require.Equal(t, uint8(guard), buf[1+off+n], path)
					if n >= 1 {
						buf[off], buf[1+off+n] = guard, guard
						dst[0], dst[n-1] = guard, guard
					}
					Cross3(dst, a, b, c, erode)
					for i := range n {
						want := uint8(guard)
						if i > 0 && i < n-1 {
							if erode {
								want = min(1, a[i], b[i-1], b[i], b[i+1], c[i])
							} else {
								want = min(1, max(a[i], b[i-1], b[i], b[i+1], c[i]))
							}
						}
						require.Equal(t, want, dst[i], "%s cross3 n=%d i=%d erode=%v", path, n, i, erode)
					}
					require.Equal(t, uint8(guard), buf[off], path)
					require.Equal(t, uint8(guard), buf[1+off+n], path)

					// In place: dst is a.
					Rows3(dst, a, b, c, erode)
					want := append([]uint8(nil), dst...)
					cp := append([]uint8(nil), a...)
					Rows3(cp, cp, b, c, erode)
					require.Equal(t, want, cp, "%s rows3 in place", path)
				}
			}
		}
	})
}
