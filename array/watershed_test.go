package array_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/array"
	"github.com/segstack/segstack/delayed"
	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

func TestWatershedArray(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 9))
	s := stack.Shape{Z: 6, Y: 19, X: 23}
	img := stack.New[float32](s)
	for i := range img.Data {
		img.Data[i] = float32(r.IntN(5))
	}
	mk := stack.New[uint16](s)
	for k := range 30 {
		mk.Data[r.IntN(s.Len())] = uint16(k + 1)
	}
	m := stack.New[uint8](s)
	for i := range m.Data {
		if r.IntN(7) != 0 {
			m.Data[i] = 3
		}
	}
	mk32 := stack.Convert[uint32](mk)
	for _, conn := range []kernels.Connectivity{kernels.Conn4, kernels.Conn8, kernels.Conn6, kernels.Conn26} {
		want := stack.New[uint32](s)
		if conn == kernels.Conn4 || conn == kernels.Conn8 {
			require.NoError(t, kernels.WatershedPlanes(ctx, want, img, mk32, m, conn, 1))
		} else {
			require.NoError(t, kernels.Watershed(ctx, want, img, mk32, m, conn))
		}
		for _, chunk := range [][]int{{2, 19, 23}, {4, 7, 9}, {6, 19, 23}} {
			a := array.Watershed(array.FromVolume(img, chunk), array.FromVolume(mk, []int{3, 10, 10}), array.FromVolume(m, chunk), conn)
			require.NoError(t, a.Err())
			require.Equal(t, stack.Uint32, a.DType())
			res, err := a.Compute(ctx, delayed.Parallel(2))
			require.NoError(t, err)
			got, err := array.ToVolume[uint32](res)
			require.NoError(t, err)
			require.Equal(t, want.Data, got.Data, "conn %d chunks %v", conn, chunk)
		}
	}
	// 2-D arrays, no mask.
	p := stack.Shape{Z: 1, Y: s.Y, X: s.X}
	pi := &stack.Volume[float32]{Shape: p, Data: img.Plane(0)}
	pm := &stack.Volume[uint32]{Shape: p, Data: mk32.Plane(0)}
	want := stack.New[uint32](p)
	require.NoError(t, kernels.Watershed(ctx, want, pi, pm, nil, kernels.Conn8))
	a := array.Watershed(array.FromSlice(pi.Data, []int{s.Y, s.X}, []int{5, 5}), array.FromSlice(pm.Data, []int{s.Y, s.X}, nil), nil, kernels.Conn8)
	res, err := a.Compute(ctx, delayed.Serial())
	require.NoError(t, err)
	got, err := array.ToVolume[uint32](res)
	require.NoError(t, err)
	require.Equal(t, want.Data, got.Data)

	// Errors.
	require.Error(t, array.Watershed(array.FromVolume(img, nil), array.FromVolume(pm, nil), nil, kernels.Conn4).Err())
	require.ErrorIs(t, array.Watershed(array.FromSlice(pi.Data, []int{s.Y, s.X}, nil), array.FromSlice(pm.Data, []int{s.Y, s.X}, nil), nil, kernels.Conn26).Err(), kernels.ErrConnectivity)
}
