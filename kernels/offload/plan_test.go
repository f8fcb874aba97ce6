package offload

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/stack"
)

// TestPlanCoversAndFits checks on random volumes, halos and budgets that
// the tiles' cores cover every voxel exactly once, that every tile with its
// halo fits the budget, and that each tile's region holds its core plus the
// halo (clipped at the volume's edges unless wrapping).
func TestPlanCoversAndFits(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for it := range 300 {
		s := stack.Shape{Z: 1 + r.IntN(6), Y: 1 + r.IntN(40), X: 1 + r.IntN(40)}
		h := [3]int{r.IntN(3), r.IntN(5), r.IntN(5)}
		wrap := r.IntN(3) == 0
		maxElems := 1 + r.IntN(2*s.Len())
		chunk, err := planChunk(s, h, wrap, maxElems)
		one := 1
		for a := range 3 {
			n := s.Dims()[a]
			one *= min(extent(1, h[a], n, wrap), n)
		}
		if one > maxElems {
			require.ErrorIs(t, err, ErrOutOfMemory, "case %d", it)
			continue
		}
		require.NoError(t, err, "case %d: %v halo %v budget %d", it, s, h, maxElems)
		ts, err := tiles(s, chunk, h, wrap)
		require.NoError(t, err)
		seen := make([]int, s.Len())
		for _, tl := range ts {
			require.LessOrEqual(t, tl.shape().Len(), maxElems, "case %d tile %v", it, tl)
			for a := range 3 {
				lo, hi := tl.core.Lo[a]-h[a], tl.core.Hi[a]+h[a]
				n := s.Dims()[a]
				if !wrap || tl.core.Hi[a]-tl.core.Lo[a] == n {
					lo, hi = max(lo, 0), min(hi, n)
				}
				require.Equal(t, lo, tl.ext.Lo[a])
				require.Equal(t, hi, tl.ext.Hi[a])
			}
			c := tl.coreInTile()
			require.Equal(t, tl.core.Shape(), c.Shape())
			for z := tl.core.Lo[0]; z < tl.core.Hi[0]; z++ {
				for y := tl.core.Lo[1]; y < tl.core.Hi[1]; y++ {
					for x := tl.core.Lo[2]; x < tl.core.Hi[2]; x++ {
						seen[(z*s.Y+y)*s.X+x]++
					}
				}
			}
		}
		for i, n := range seen {
			require.Equal(t, 1, n, "case %d: voxel %d covered %d times", it, i, n)
		}
	}
}

func TestPlanPrefersWholeRows(t *testing.T) {
	// A budget of a few rows with halo keeps rows whole and splits Y.
	s := stack.Shape{Z: 3, Y: 100, X: 64}
	chunk, err := planChunk(s, [3]int{0, 4, 4}, false, 64*20)
	require.NoError(t, err)
	require.Equal(t, 1, chunk.Z)
	require.Equal(t, 64, chunk.X)
	require.LessOrEqual(t, chunk.Y+8, 20)
	// Chunks are evened out: 100 rows in equal parts, not 12+...+4.
	n := (100 + chunk.Y - 1) / chunk.Y
	require.Less(t, n*chunk.Y-100, n)

	// Everything fits: one tile.
	chunk, err = planChunk(s, [3]int{1, 1, 1}, false, s.Len())
	require.NoError(t, err)
	require.Equal(t, s, chunk)
}

func TestSizeClass(t *testing.T) {
	for n := 1; n < 1<<22; n = n*3/2 + 1 {
		c := sizeClass(n)
		require.GreaterOrEqual(t, c, n)
		if n > 4096 {
			require.LessOrEqual(t, c, n+n/4+1, "n=%d class=%d", n, c)
		}
		require.Equal(t, c, sizeClass(c), "classes are fixed points")
	}
}
