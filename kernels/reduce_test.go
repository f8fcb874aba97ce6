package kernels

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

func TestReductionsFloat32(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 5))
	for _, s := range []stack.Shape{{Z: 1, Y: 1, X: 1}, {Z: 1, Y: 3, X: 5}, {Z: 3, Y: 70, X: 33}, {Z: 5, Y: 130, X: 127}} {
		v := randVolume(rng, s)
		v.Data[rng.IntN(len(v.Data))] = -3 // a negative minimum somewhere
		forEachPath(t, func(t *testing.T, _ string) {
			mx, mn, sum := float32(math.Inf(-1)), float32(math.Inf(1)), 0.0
			for _, x := range v.Data {
				mx, mn, sum = max(mx, x), min(mn, x), sum+float64(x)
			}
			got, err := Max(ctx, v)
			require.NoError(t, err)
			require.Equal(t, mx, got)
			gotMin, err := Min(ctx, v)
			require.NoError(t, err)
			require.Equal(t, mn, gotMin)
			gotSum, err := Sum(ctx, v)
			require.NoError(t, err)
			require.InDelta(t, sum, gotSum, 1e-9*math.Abs(sum))
			mean, err := Mean(ctx, v)
			require.NoError(t, err)
			require.InDelta(t, sum/float64(len(v.Data)), mean, 1e-9*math.Abs(sum))

			pm, err := MaxPerPlane(ctx, v)
			require.NoError(t, err)
			pn, err := MinPerPlane(ctx, v)
			require.NoError(t, err)
			ps, err := SumPerPlane(ctx, v)
			require.NoError(t, err)
			pa, err := MeanPerPlane(ctx, v)
			require.NoError(t, err)
			for z := range s.Z {
				p := v.PlaneVolume(z)
				m, _ := Max(ctx, p)
				n, _ := Min(ctx, p)
				su, _ := Sum(ctx, p)
				require.Equal(t, m, pm[z])
				require.Equal(t, n, pn[z])
				require.Equal(t, su, ps[z])
				require.InDelta(t, su/float64(s.PlaneLen()), pa[z], 1e-12*math.Abs(su))
			}
		})
	}
}

// Sums do not depend on the number of workers.
func TestSumIndependentOfWorkers(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	v := randVolume(rng, stack.Shape{Z: 4, Y: 300, X: 301})
	old := runtime.GOMAXPROCS(1)
	a, err := Sum(context.Background(), v)
	require.NoError(t, err)
	runtime.GOMAXPROCS(5)
	b, err := Sum(context.Background(), v)
	runtime.GOMAXPROCS(old)
	require.NoError(t, err)
	require.Equal(t, a, b)
}

func TestReductionsGeneric(t *testing.T) {
	ctx := context.Background()
	v := stack.New[uint16](stack.Shape{Z: 2, Y: 2, X: 3})
	copy(v.Data, []uint16{5, 1, 9, 2, 2, 2, 7, 65535, 0, 3, 3, 3})
	m, err := Max(ctx, v)
	require.NoError(t, err)
	require.Equal(t, uint16(65535), m)
	n, err := Min(ctx, v)
	require.NoError(t, err)
	require.Equal(t, uint16(0), n)
	s, err := Sum(ctx, v)
	require.NoError(t, err)
	require.Equal(t, float64(5+1+9+2+2+2+7+65535+0+3+3+3), s)
	pm, err := MaxPerPlane(ctx, v)
	require.NoError(t, err)
	require.Equal(t, []uint16{9, 65535}, pm)
	i := stack.New[int16](stack.Shape{Z: 1, Y: 1, X: 3})
	copy(i.Data, []int16{-4, 3, -7})
	im, err := Min(ctx, i)
	require.NoError(t, err)
	require.Equal(t, int16(-7), im)
}

func TestAxisReductions(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 7))
	s := stack.Shape{Z: 3, Y: 4, X: 5}
	v := randVolume(rng, s)
	for axis := range 3 {
		mx, err := MaxAxis(ctx, v, axis)
		require.NoError(t, err)
		mn, err := MinAxis(ctx, v, axis)
		require.NoError(t, err)
		su, err := SumAxis(ctx, v, axis)
		require.NoError(t, err)
		me, err := MeanAxis(ctx, v, axis)
		require.NoError(t, err)
		d := s.Dims()
		n := d[axis]
		d[axis] = 1
		require.Equal(t, stack.ShapeOf(d), mx.Shape)
		for z := range d[0] {
			for y := range d[1] {
				for x := range d[2] {
					bm, bn, bs := float32(math.Inf(-1)), float32(math.Inf(1)), 0.0
					for k := range n {
						p := [3]int{z, y, x}
						p[axis] = k
						e := v.At(p[0], p[1], p[2])
						bm, bn, bs = max(bm, e), min(bn, e), bs+float64(e)
					}
					require.Equal(t, bm, mx.At(z, y, x))
					require.Equal(t, bn, mn.At(z, y, x))
					require.Equal(t, float32(bs), su.At(z, y, x))
					require.Equal(t, float32(bs/float64(n)), me.At(z, y, x))
				}
			}
		}
	}
	_, err := MaxAxis(ctx, v, 3)
	require.ErrorIs(t, err, ErrInvalid)
	u := stack.New[uint8](stack.Shape{Z: 2, Y: 1, X: 2})
	copy(u.Data, []uint8{1, 200, 7, 3})
	um, err := MaxAxis(ctx, u, 0)
	require.NoError(t, err)
	require.Equal(t, []uint8{7, 200}, um.Data)
}

func TestReductionErrors(t *testing.T) {
	_, err := Max[float32](context.Background(), nil)
	require.ErrorIs(t, err, ErrInvalid)
	bad := &stack.Volume[float32]{Shape: stack.Shape{Z: 1, Y: 2, X: 2}, Data: make([]float32, 3)}
	_, err = Sum(context.Background(), bad)
	require.ErrorIs(t, err, ErrInvalid)
}
