package stack

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMapIndexKnownPads(t *testing.T) {
	t.Parallel()
	// Expected extensions of "0 1 2 3" by 6 on each side, written out by hand
	// from the definitions scipy.ndimage documents for its filter modes
	// (numpy.pad's symmetric, edge, reflect and wrap).
	tests := []struct {
		mode Mode
		want []int
	}{
		{Reflect, []int{2, 3, 3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0, 1}},
		{Nearest, []int{0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3, 3, 3, 3}},
		{Mirror, []int{0, 1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1, 2, 3}},
		{Wrap, []int{2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.mode.String(), func(t *testing.T) {
			got := make([]int, 0, 16)
			for i := -6; i < 10; i++ {
				j, ok := tc.mode.MapIndex(i, 4)
				require.True(t, ok)
				got = append(got, j)
			}
			require.Equal(t, tc.want, got)
		})
	}
	_, ok := Constant.MapIndex(-1, 4)
	require.False(t, ok)
	for _, m := range []Mode{Reflect, Nearest, Mirror, Wrap} {
		for i := -5; i < 5; i++ {
			j, ok := m.MapIndex(i, 1)
			require.True(t, ok)
			require.Zero(t, j, "mode %v i %d", m, i)
		}
	}
}

func TestShapeValidate(t *testing.T) {
	t.Parallel()
	require.NoError(t, Shape{1, 2, 3}.Validate())
	require.Error(t, Shape{0, 2, 3}.Validate())
	require.Error(t, Shape{-1, 2, 3}.Validate())
	require.Error(t, Shape{1 << 30, 1 << 30, 1 << 30}.Validate())
	s, err := ParseShape("4,5,6")
	require.NoError(t, err)
	require.Equal(t, Shape{4, 5, 6}, s)
	s, err = ParseShape("5,6")
	require.NoError(t, err)
	require.Equal(t, Shape{1, 5, 6}, s)
	for _, bad := range []string{"", "1", "a,b,c", "1,2,3,4", "0,2,2", "-1,2,2"} {
		_, err := ParseShape(bad)
		require.Error(t, err, bad)
	}
}

func TestDType(t *testing.T) {
	t.Parallel()
	require.Equal(t, Uint8, DTypeOf[uint8]())
	require.Equal(t, Uint16, DTypeOf[uint16]())
	require.Equal(t, Uint32, DTypeOf[uint32]())
	require.Equal(t, Int16, DTypeOf[int16]())
	require.Equal(t, Int32, DTypeOf[int32]())
	require.Equal(t, Float32, DTypeOf[float32]())
	type gray uint16
	require.Equal(t, Uint16, DTypeOf[gray]())
	for d := Uint8; d <= Float64; d++ {
		p, err := ParseDType(d.String())
		require.NoError(t, err)
		require.Equal(t, d, p)
	}
	_, err := ParseDType("complex64")
	require.Error(t, err)
	_, err = ParseDType("invalid")
	require.Error(t, err)
}

// TestDTypeProperties checks each type's size, kind and whether volumes
// hold it against the Go type it names.
func TestDTypeProperties(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		d                    DType
		size                 int
		float, signed, isElm bool
	}{
		{Uint8, 1, false, false, true},
		{Uint16, 2, false, false, true},
		{Uint32, 4, false, false, true},
		{Int16, 2, false, true, true},
		{Int32, 4, false, true, true},
		{Float32, 4, true, true, true},
		{Uint64, 8, false, false, false},
		{Int64, 8, false, true, false},
		{Float64, 8, true, true, false},
		{Invalid, 0, false, false, false},
		{DType(99), 0, false, false, false},
	} {
		require.Equal(t, c.size, c.d.Size(), "%v", c.d)
		require.Equal(t, c.float, c.d.IsFloat(), "%v", c.d)
		require.Equal(t, c.signed, c.d.IsSigned(), "%v", c.d)
		require.Equal(t, c.isElm, c.d.IsElem(), "%v", c.d)
	}
	require.Equal(t, "DType(99)", DType(99).String())
	// The Elem types are the first six, in the order their values have
	// always had.
	for _, d := range []DType{DTypeOf[uint8](), DTypeOf[uint16](), DTypeOf[uint32](), DTypeOf[int16](), DTypeOf[int32](), DTypeOf[float32]()} {
		require.True(t, d.IsElem(), "%v", d)
	}
	require.Equal(t, DType(6), Float32)
}

func TestPlaneViewsShareStorage(t *testing.T) {
	t.Parallel()
	v := New[uint16](Shape{3, 4, 5})
	v.Plane(1)[7] = 42
	require.Equal(t, uint16(42), v.At(1, 1, 2))
	v.Row(2, 3)[4] = 9
	require.Equal(t, uint16(9), v.Data[len(v.Data)-1])
	require.Equal(t, uint16(42), v.PlaneVolume(1).At(0, 1, 2))
	require.Equal(t, uint16(42), v.Slab(1, 3).At(0, 1, 2))
	// Appending to a view must not overwrite the next plane.
	p := append(v.Plane(0), 1)
	_ = p
	require.Equal(t, uint16(0), v.At(1, 0, 0))
}

func TestGridRagged(t *testing.T) {
	t.Parallel()
	g, err := NewGrid(Shape{5, 7, 10}, Shape{2, 3, 4})
	require.NoError(t, err)
	require.Equal(t, [3]int{3, 3, 3}, g.Counts())
	seen := New[uint8](g.Shape)
	n := 0
	for i, b := range g.Boxes() {
		require.Equal(t, n, i)
		n++
		for z := b.Lo[0]; z < b.Hi[0]; z++ {
			for y := b.Lo[1]; y < b.Hi[1]; y++ {
				for x := b.Lo[2]; x < b.Hi[2]; x++ {
					seen.Data[seen.Index(z, y, x)]++
				}
			}
		}
	}
	require.Equal(t, 27, n)
	for _, c := range seen.Data {
		require.Equal(t, uint8(1), c, "every voxel is in exactly one chunk")
	}
	require.Equal(t, Box{Lo: [3]int{4, 6, 8}, Hi: [3]int{5, 7, 10}}, g.Box(26))
	_, err = NewGrid(Shape{5, 7, 10}, Shape{0, 3, 4})
	require.Error(t, err)
}

// TestExtractTileMatchesBruteForce compares tiles with the per-voxel
// definition: tile[t] = v[MapIndex(box.Lo - depth + t)] or cval.
func TestExtractTileMatchesBruteForce(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for iter := range 300 {
		s := Shape{1 + r.IntN(5), 1 + r.IntN(9), 1 + r.IntN(11)}
		v := New[float32](s)
		for i := range v.Data {
			v.Data[i] = float32(i + 1)
		}
		g, err := NewGrid(s, Shape{1 + r.IntN(4), 1 + r.IntN(6), 1 + r.IntN(7)})
		require.NoError(t, err)
		b := g.Box(r.IntN(g.Len()))
		depth := [3]int{r.IntN(4), r.IntN(12), r.IntN(15)}
		mode := Mode(r.IntN(5))
		tile, err := ExtractTile(v, b, depth, mode, -7, nil)
		require.NoError(t, err)
		hs := tile.Shape
		for tz := range hs.Z {
			for ty := range hs.Y {
				for tx := range hs.X {
					z, okz := mode.MapIndex(b.Lo[0]-depth[0]+tz, s.Z)
					y, oky := mode.MapIndex(b.Lo[1]-depth[1]+ty, s.Y)
					x, okx := mode.MapIndex(b.Lo[2]-depth[2]+tx, s.X)
					want := float32(-7)
					if okz && oky && okx {
						want = v.At(z, y, x)
					}
					require.Equal(t, want, tile.At(tz, ty, tx), "iter %d mode %v box %v depth %v at %d,%d,%d", iter, mode, b, depth, tz, ty, tx)
				}
			}
		}
		out := New[float32](s)
		for _, bb := range g.Boxes() {
			tl, err := ExtractTile(v, bb, depth, mode, 0, nil)
			require.NoError(t, err)
			require.NoError(t, WriteCore(out, tl, bb, depth))
		}
		require.Equal(t, v.Data, out.Data, "writing every core back rebuilds the volume")
	}
}

func TestPoolReuses(t *testing.T) {
	t.Parallel()
	p := NewPool[uint16](64)
	b := p.Get()
	require.Len(t, b, 64)
	p.Put(b)
	p.Put(make([]uint16, 3)) // wrong size: dropped
	for range 10 {
		require.Len(t, p.Get(), 64)
	}
	v := p.GetVolume(Shape{1, 8, 8})
	require.Equal(t, 64, len(v.Data))
	p.PutVolume(v)
}
