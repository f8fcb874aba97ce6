package kernels

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/stack"
)

// TestWatershedParallelEqualsWhole floods random volumes whose masks fall
// into many components, with seeds of distinct values (flooded component by
// component) and with tied seeds (flooded whole), and holds every result
// to Watershed's on the whole volume, for several worker counts.
func TestWatershedParallelEqualsWhole(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 19))
	perComponent := 0
	for i := range 400 {
		s := stack.Shape{Z: 1 + r.IntN(6), Y: 5 + r.IntN(30), X: 5 + r.IntN(30)}
		img := stack.New[float32](s)
		levels := []int{3, 30, 1 << 20}[r.IntN(3)]
		for j := range img.Data {
			img.Data[j] = float32(r.IntN(levels))
		}
		// A mask of blobs: random boxes, so components of many shapes.
		mask := stack.New[uint8](s)
		for range 1 + r.IntN(12) {
			z0, y0, x0 := r.IntN(s.Z), r.IntN(s.Y), r.IntN(s.X)
			dz, dy, dx := 1+r.IntN(3), 1+r.IntN(8), 1+r.IntN(8)
			for z := z0; z < min(s.Z, z0+dz); z++ {
				for y := y0; y < min(s.Y, y0+dy); y++ {
					for x := x0; x < min(s.X, x0+dx); x++ {
						if r.IntN(10) != 0 {
							mask.Data[(z*s.Y+y)*s.X+x] = 1
						}
					}
				}
			}
		}
		mk := stack.New[uint32](s)
		for range 1 + r.IntN(20) {
			mk.Data[r.IntN(s.Len())] = uint32(1 + r.IntN(9))
		}
		conns := []Connectivity{Conn4, Conn8}
		if s.Z > 1 {
			conns = []Connectivity{Conn6, Conn18, Conn26}
		}
		conn := conns[r.IntN(len(conns))]
		negate := r.IntN(2) == 0
		want := stack.New[uint32](s)
		if negate {
			require.NoError(t, WatershedNegated(ctx, want, img, mk, mask, conn))
		} else {
			require.NoError(t, Watershed(ctx, want, img, mk, mask, conn))
		}
		before := wsByComponent.Load()
		for _, w := range []int{1, 3} {
			got := stack.New[uint32](s)
			require.NoError(t, WatershedParallel(ctx, got, img, mk, mask, conn, negate, w))
			require.Equal(t, want.Data, got.Data, "case %d shape %v conn %d negate %v workers %d", i, s, conn, negate, w)
		}
		// The labels may overwrite the markers.
		alias := &stack.Volume[uint32]{Shape: s, Data: append([]uint32(nil), mk.Data...)}
		require.NoError(t, WatershedParallel(ctx, alias, img, alias, mask, conn, negate, 2))
		require.Equal(t, want.Data, alias.Data, "aliased case %d", i)
		if wsByComponent.Load() > before {
			perComponent++
		}
	}
	require.Greater(t, perComponent, 50, "too few cases flooded component by component")
}
