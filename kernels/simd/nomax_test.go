package simd

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// ConvColsNScratchNoMax writes, on every path, the values of the Go
// ConvCols twin (widths with every tail, radii with and without the window
// and group kernels), nothing past the outputs, and checks its arguments
// as ConvColsN does.
func TestConvColsNScratchNoMaxMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	prev := Path()
	defer func() {
		_, err := Use(prev)
		require.NoError(t, err)
	}()
	for _, path := range Paths() {
		_, err := Use(path)
		require.NoError(t, err)
		for _, r := range []int{0, 1, 4, 6, 7, 12, 17} {
			w := kernel(r)
			for _, m := range []int{0, 1, 4, 8, 9} {
				for _, n := range []int{0, 1, 7, 8, 33, 64, 200} {
					rows := make([][]float32, m+2*r)
					for i := range rows {
						rows[i] = randSlice(rng, n+i%2)
					}
					want := make([][]float32, m)
					for j := range want {
						want[j] = make([]float32, n)
						convColsGo(want[j], rows[j:j+2*r+1], w, 0)
					}
					got := make([][]float32, m)
					buf := make([]float32, m*(n+2))
					for i := range buf {
						buf[i] = -1
					}
					for j := range got {
						got[j] = buf[j*(n+2)+1 : j*(n+2)+1+n : j*(n+2)+1+n]
					}
					ConvColsNScratchNoMax(got, rows, w)
					for j := range want {
						bitsEqual(t, want[j], got[j], "path %s r=%d m=%d n=%d output %d", path, r, m, n, j)
						require.Equal(t, float32(-1), buf[j*(n+2)], "before output %d", j)
						require.Equal(t, float32(-1), buf[j*(n+2)+n+1], "after output %d", j)
					}
				}
			}
		}
	}
	require.Panics(t, func() { ConvColsNScratchNoMax(make([][]float32, 2), make([][]float32, 3), kernel(1)) })
	require.Panics(t, func() {
		ConvColsNScratchNoMax([][]float32{make([]float32, 5)}, [][]float32{make([]float32, 5), make([]float32, 4), make([]float32, 5)}, kernel(1))
	})
}
