package kernels

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/stack"
)

// TestWatershedSplit holds WatershedSplit to the three calls it replaces
// (Markers, Watershed or WatershedNegated, FilterBySize) on random small
// images, tied and distinct values, with and without a mask, with seeds
// outside the mask and seeds given twice, in 2-D and 3-D.
func TestWatershedSplit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(23, 19))
	for i := range 4000 {
		planar := i%2 == 0
		img, _, mask := randWatershedCase(r, planar)
		s := img.Shape
		conns := []Connectivity{Conn4, Conn8}
		if !planar {
			conns = []Connectivity{Conn6, Conn18, Conn26}
		}
		conn := conns[r.IntN(len(conns))]
		peaks := make([][3]int, r.IntN(8))
		for k := range peaks {
			peaks[k] = [3]int{r.IntN(s.Z), r.IntN(s.Y), r.IntN(s.X)}
			if k > 0 && r.IntN(6) == 0 {
				peaks[k] = peaks[r.IntN(k)]
			}
		}
		opt := WatershedSplitOptions{Negate: r.IntN(2) == 0, MinSize: r.IntN(4)}
		if r.IntN(3) == 0 {
			opt.MaxSize = opt.MinSize + r.IntN(6)
		}
		mk := stack.New[uint32](s)
		require.NoError(t, Markers(mk, peaks))
		want := stack.New[uint32](s)
		if opt.Negate {
			require.NoError(t, WatershedNegated(ctx, want, img, mk, mask, conn))
		} else {
			require.NoError(t, Watershed(ctx, want, img, mk, mask, conn))
		}
		wantN, err := FilterBySize(ctx, want, opt.MinSize, opt.MaxSize)
		require.NoError(t, err)
		got := stack.New[uint32](s)
		for j := range got.Data {
			got.Data[j] = 7 // every element must be written
		}
		n, err := WatershedSplit(ctx, got, img, peaks, mask, conn, opt)
		require.NoError(t, err)
		require.Equal(t, wantN, n, "case %d", i)
		require.Equal(t, want.Data, got.Data, "case %d shape %v conn %d opt %+v peaks %v", i, s, conn, opt, peaks)
		if i%2 == 0 {
			// MaskAbove against the mask Threshold makes (and that mask
			// combined with the given one).
			t0 := float32(r.IntN(5)) - 1.5
			am := stack.New[uint8](s)
			require.NoError(t, Threshold(ctx, am, img, t0))
			if mask != nil {
				for j := range am.Data {
					if mask.Data[j] == 0 {
						am.Data[j] = 0
					}
				}
			}
			if opt.Negate {
				require.NoError(t, WatershedNegated(ctx, want, img, mk, am, conn))
			} else {
				require.NoError(t, Watershed(ctx, want, img, mk, am, conn))
			}
			wantN, err = FilterBySize(ctx, want, opt.MinSize, opt.MaxSize)
			require.NoError(t, err)
			opt.MaskAbove, opt.Above = true, t0
			n, err = WatershedSplit(ctx, got, img, peaks, mask, conn, opt)
			require.NoError(t, err)
			require.Equal(t, wantN, n, "above case %d", i)
			require.Equal(t, want.Data, got.Data, "above case %d", i)
		}
	}
}

// TestWatershedSplitLarge runs the bucket queue on larger images, with the
// scratch of a marker-image flood reused after a split flood and back.
func TestWatershedSplitLarge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(5, 23))
	for i := range 8 {
		s := stack.Shape{Z: 1, Y: 60 + r.IntN(40), X: 60 + r.IntN(40)}
		conn := []Connectivity{Conn4, Conn8}[i%2]
		if i >= 4 {
			s = stack.Shape{Z: 6 + r.IntN(6), Y: 20 + r.IntN(10), X: 20 + r.IntN(10)}
			conn = []Connectivity{Conn6, Conn26}[i%2]
		}
		img := stack.New[float32](s)
		mask := stack.New[uint8](s)
		for j := range img.Data {
			img.Data[j] = r.Float32()
			if i%2 == 1 {
				img.Data[j] = float32(r.IntN(9))
			}
			if r.IntN(4) != 0 {
				mask.Data[j] = 1
			}
		}
		peaks := make([][3]int, 40)
		for k := range peaks {
			peaks[k] = [3]int{r.IntN(s.Z), r.IntN(s.Y), r.IntN(s.X)}
		}
		mk := stack.New[uint32](s)
		require.NoError(t, Markers(mk, peaks))
		want := stack.New[uint32](s)
		require.NoError(t, WatershedNegated(ctx, want, img, mk, mask, conn))
		wantN, err := FilterBySize(ctx, want, 5, 0)
		require.NoError(t, err)
		got := stack.New[uint32](s)
		n, err := WatershedSplit(ctx, got, img, peaks, mask, conn, WatershedSplitOptions{Negate: true, MinSize: 5})
		require.NoError(t, err)
		require.Equal(t, wantN, n, "case %d", i)
		require.Equal(t, want.Data, got.Data, "case %d", i)
	}
}

func TestWatershedSplitErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := stack.Shape{Z: 1, Y: 4, X: 4}
	img, dst := stack.New[float32](s), stack.New[uint32](s)
	_, err := WatershedSplit(ctx, dst, img, [][3]int{{0, 4, 0}}, nil, Conn4, WatershedSplitOptions{})
	require.ErrorIs(t, err, ErrWatershedInput)
	_, err = WatershedSplit(ctx, dst, img, nil, nil, Conn4, WatershedSplitOptions{MinSize: -1})
	require.Error(t, err)
	_, err = WatershedSplit(ctx, nil, img, nil, nil, Conn4, WatershedSplitOptions{})
	require.Error(t, err)
	_, err = WatershedSplit(ctx, stack.New[uint32](stack.Shape{Z: 1, Y: 4, X: 5}), img, nil, nil, Conn4, WatershedSplitOptions{})
	require.Error(t, err)
	img.Data[5] = float32(math.NaN())
	_, err = WatershedSplit(ctx, dst, img, nil, nil, Conn4, WatershedSplitOptions{})
	require.ErrorIs(t, err, ErrWatershedInput)
}
