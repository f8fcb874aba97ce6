package kernels

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/stack"
)

// neighbourOffsets lists the (dz, dy, dx) offsets that conn (normalised)
// joins, straight from the definition of scipy's structuring elements.
func neighbourOffsets(conn Connectivity) [][3]int {
	var out [][3]int
	for dz := -1; dz <= 1; dz++ {
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				l1 := abs(dz) + abs(dy) + abs(dx)
				if l1 == 0 {
					continue
				}
				ok := false
				switch conn {
				case Conn4:
					ok = dz == 0 && l1 == 1
				case Conn8:
					ok = dz == 0
				case Conn6:
					ok = l1 == 1
				case Conn18:
					ok = l1 <= 2
				case Conn26:
					ok = true
				}
				if ok {
					out = append(out, [3]int{dz, dy, dx})
				}
			}
		}
	}
	return out
}

func abs(a int) int {
	if a < 0 {
		return -a
	}
	return a
}

// floodLabel is the brute-force reference: a breadth-first flood fill
// started from every unlabelled foreground voxel in raster order, so labels
// come out in raster order of each component's first voxel.
func floodLabel(fg []bool, s stack.Shape, conn Connectivity) ([]uint32, int) {
	offs := neighbourOffsets(conn)
	out := make([]uint32, len(fg))
	n := uint32(0)
	var queue [][3]int
	for z := range s.Z {
		for y := range s.Y {
			for x := range s.X {
				i := (z*s.Y+y)*s.X + x
				if !fg[i] || out[i] != 0 {
					continue
				}
				n++
				out[i] = n
				queue = append(queue[:0], [3]int{z, y, x})
				for len(queue) > 0 {
					p := queue[len(queue)-1]
					queue = queue[:len(queue)-1]
					for _, o := range offs {
						zz, yy, xx := p[0]+o[0], p[1]+o[1], p[2]+o[2]
						if zz < 0 || yy < 0 || xx < 0 || zz >= s.Z || yy >= s.Y || xx >= s.X {
							continue
						}
						j := (zz*s.Y+yy)*s.X + xx
						if fg[j] && out[j] == 0 {
							out[j] = n
							queue = append(queue, [3]int{zz, yy, xx})
						}
					}
				}
			}
		}
	}
	return out, int(n)
}

// randomMask makes a mask of the given density; blobby masks grow runs by
// copying the voxel to the left or above with probability 0.6.
func randomMask(rng *rand.Rand, s stack.Shape, density float64, blobby bool) *stack.Volume[uint8] {
	m := stack.New[uint8](s)
	for z := range s.Z {
		for y := range s.Y {
			for x := range s.X {
				var v uint8
				if rng.Float64() < density {
					v = uint8(1 + rng.IntN(255))
				}
				if blobby && rng.Float64() < 0.6 {
					switch {
					case x > 0 && rng.IntN(2) == 0:
						v = m.At(z, y, x-1)
					case y > 0:
						v = m.At(z, y-1, x)
					case z > 0:
						v = m.At(z-1, y, x)
					}
				}
				m.Set(z, y, x, v)
			}
		}
	}
	return m
}

func fgOf(m *stack.Volume[uint8]) []bool {
	fg := make([]bool, len(m.Data))
	for i, v := range m.Data {
		fg[i] = v != 0
	}
	return fg
}

func connsFor(s stack.Shape) []Connectivity {
	if s.Z == 1 {
		return []Connectivity{Conn4, Conn8}
	}
	return []Connectivity{Conn6, Conn18, Conn26}
}

func TestNonzeroBits8(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	vals := []uint8{0, 1, 2, 0x7f, 0x80, 0x81, 0xfe, 0xff}
	for range 20000 {
		var w, want uint64
		for k := range 8 {
			b := vals[rng.IntN(len(vals))]
			if rng.IntN(3) == 0 {
				b = uint8(rng.Uint32())
			}
			w |= uint64(b) << (8 * k)
			if b != 0 {
				want |= 1 << k
			}
		}
		require.Equal(t, want, nonzeroBits8(w), "word %#x", w)
	}
}

func TestRunsOfRows(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for range 3000 {
		n := 1 + rng.IntN(300)
		row := make([]uint8, n)
		frow := make([]float32, n)
		p := rng.Float64()
		for i := range row {
			if rng.Float64() < p {
				row[i] = uint8(1 + rng.IntN(255))
				frow[i] = 0.5 + rng.Float32()
			} else {
				frow[i] = -rng.Float32()
			}
			if rng.IntN(4) == 0 && i > 0 {
				row[i], frow[i] = row[i-1], frow[i-1]
			}
		}
		var want []run
		for i := 0; i < n; {
			if row[i] == 0 {
				i++
				continue
			}
			j := i
			for j < n && row[j] != 0 {
				j++
			}
			want = append(want, run{uint32(i), uint32(j)})
			i = j
		}
		// Appending to a non-empty slice keeps what was there.
		pre := []run{{1, 2}}
		require.Equal(t, append(pre, want...), maskRuns(row, pre[:1:1]))
		require.Equal(t, append(pre, want...), aboveRuns(frow, 0.25, pre[:1:1]))
		require.Equal(t, len(want), len(maskRuns(row, nil)))
	}
}

// TestRowWriter writes random rows as consecutive segments, of uint32 and
// of uint16 labels, and checks that every spill past a segment's end is
// overwritten and none leaves the row.
func TestRowWriter(t *testing.T) {
	t.Parallel()
	testRowWriter[uint32](t, 0xfeedface)
	testRowWriter[uint16](t, 0xface)
}

func testRowWriter[L labelElem](t *testing.T, guard L) {
	rng := rand.New(rand.NewPCG(21, 22))
	for range 3000 {
		n := 1 + rng.IntN(120)
		buf := make([]L, n+40)
		for i := range buf {
			buf[i] = guard
		}
		row := buf[:n]
		want := make([]L, n)
		w := newRowWriter(row)
		for s := 0; s < n; {
			e := min(n, s+1+rng.IntN(max(1, rng.IntN(40))))
			v := uint32(rng.IntN(3))
			if rng.IntN(4) == 0 {
				v = uint32(^L(0) - L(rng.IntN(16))) // high bits set
			}
			for i := s; i < e; i++ {
				want[i] = L(v)
			}
			w.seg(uintptr(s), uintptr(e), splat[L](v))
			s = e
		}
		require.Equal(t, want, row)
		for _, v := range buf[n:] {
			require.Equal(t, guard, v, "stored past the row")
		}
	}
}

// TestLabelMatchesFlood holds the labeller, on one and on many strips, to
// the flood-fill reference on thousands of random volumes.
func TestLabelMatchesFlood(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	cases := 3000
	if testing.Short() {
		cases = 500
	}
	ctx := context.Background()
	for c := range cases {
		var s stack.Shape
		if rng.IntN(2) == 0 {
			s = stack.Shape{Z: 1, Y: 1 + rng.IntN(24), X: 1 + rng.IntN(140)}
		} else {
			s = stack.Shape{Z: 1 + rng.IntN(6), Y: 1 + rng.IntN(10), X: 1 + rng.IntN(80)}
		}
		m := randomMask(rng, s, rng.Float64(), rng.IntN(2) == 0)
		fg := fgOf(m)
		conns := connsFor(s)
		conn := conns[rng.IntN(len(conns))]
		want, wn := floodLabel(fg, s, conn)
		strips := 1 + rng.IntN(7)
		dst := stack.New[uint32](s)
		for i := range dst.Data {
			dst.Data[i] = 0xdeadbeef
		}
		n, _, err := labelVolume(ctx, dst, s, len(m.Data), maskRunFunc(m), conn, nil, false, strips)
		require.NoError(t, err)
		require.Equal(t, wn, n, "case %d shape %v conn %d strips %d", c, s, conn, strips)
		require.Equal(t, want, dst.Data, "case %d shape %v conn %d strips %d", c, s, conn, strips)
	}
}

func TestLabelAboveMatchesLabel(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	ctx := context.Background()
	for range 300 {
		s := stack.Shape{Z: 1 + rng.IntN(4), Y: 1 + rng.IntN(30), X: 1 + rng.IntN(200)}
		src := stack.New[float32](s)
		for i := range src.Data {
			src.Data[i] = rng.Float32()
		}
		th := rng.Float32()
		m := stack.New[uint8](s)
		for i, v := range src.Data {
			if v > th {
				m.Data[i] = 1
			}
		}
		for _, conn := range connsFor(s) {
			want, wn := floodLabel(fgOf(m), s, conn)
			dst := stack.New[uint32](s)
			n, err := LabelAbove(ctx, dst, src, th, conn)
			require.NoError(t, err)
			require.Equal(t, wn, n)
			require.Equal(t, want, dst.Data)
		}
	}
}

// TestLabelStripsLarge checks the strip merge on volumes big enough that the
// default strip count applies, against the one-strip result.
func TestLabelStripsLarge(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(9, 10))
	ctx := context.Background()
	for _, s := range []stack.Shape{{Z: 1, Y: 300, X: 257}, {Z: 9, Y: 40, X: 70}, {Z: 3, Y: 130, X: 129}} {
		for _, d := range []float64{0.3, 0.55, 0.8} {
			m := randomMask(rng, s, d, true)
			for _, conn := range connsFor(s) {
				ref := stack.New[uint32](s)
				n1, _, err := labelVolume(ctx, ref, s, len(m.Data), maskRunFunc(m), conn, nil, false, 1)
				require.NoError(t, err)
				want, wn := floodLabel(fgOf(m), s, conn)
				require.Equal(t, wn, n1)
				require.Equal(t, want, ref.Data)
				for _, ns := range []int{2, 3, 5, 8, 16, 64} {
					dst := stack.New[uint32](s)
					n, _, err := labelVolume(ctx, dst, s, len(m.Data), maskRunFunc(m), conn, nil, false, ns)
					require.NoError(t, err)
					require.Equal(t, n1, n)
					require.Equal(t, ref.Data, dst.Data, "shape %v conn %d strips %d", s, conn, ns)
				}
			}
		}
	}
}

func TestLabelConnectivity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	plane := stack.Shape{Z: 1, Y: 3, X: 3}
	stk := stack.Shape{Z: 2, Y: 3, X: 3}
	// A diagonal pair: two objects at 4, one at 8 (and 6/18/26 on a plane).
	diag := stack.New[uint8](plane)
	diag.Set(0, 0, 0, 1)
	diag.Set(0, 1, 1, 1)
	for conn, want := range map[Connectivity]int{0: 2, Conn4: 2, Conn8: 1, Conn6: 2, Conn18: 1, Conn26: 1} {
		n, err := Label(ctx, stack.New[uint32](plane), diag, conn)
		require.NoError(t, err)
		require.Equal(t, want, n, "conn %d", conn)
	}
	// A body diagonal in 3-D: one object only at 26.
	body := stack.New[uint8](stk)
	body.Set(0, 0, 0, 1)
	body.Set(1, 1, 1, 1)
	for conn, want := range map[Connectivity]int{0: 2, Conn6: 2, Conn18: 2, Conn26: 1} {
		n, err := Label(ctx, stack.New[uint32](stk), body, conn)
		require.NoError(t, err)
		require.Equal(t, want, n, "conn %d", conn)
	}
	for _, bad := range []Connectivity{Conn4, Conn8} {
		_, err := Label(ctx, stack.New[uint32](stk), body, bad)
		require.ErrorIs(t, err, ErrConnectivity)
	}
	for _, bad := range []Connectivity{-1, 1, 5, 7, 27} {
		_, err := Label(ctx, stack.New[uint32](stk), body, bad)
		require.ErrorIs(t, err, ErrConnectivity, "conn %d", bad)
		_, err = Label(ctx, stack.New[uint32](plane), diag, bad)
		require.ErrorIs(t, err, ErrConnectivity, "conn %d", bad)
	}
}

func TestLabelErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := stack.Shape{Z: 1, Y: 4, X: 4}
	m := stack.New[uint8](s)
	_, err := Label(ctx, stack.New[uint32](stack.Shape{Z: 1, Y: 4, X: 5}), m, 0)
	require.Error(t, err)
	_, err = Label(ctx, nil, m, 0)
	require.Error(t, err)
	_, err = Label(ctx, stack.New[uint32](s), nil, 0)
	require.Error(t, err)
	_, err = Label(ctx, stack.New[uint32](s), &stack.Volume[uint8]{Shape: s, Data: make([]uint8, 3)}, 0)
	require.Error(t, err)
	_, _, err = LabelWithStats(ctx, stack.New[uint32](s), m, stack.New[float32](stack.Shape{Z: 1, Y: 2, X: 2}), 0)
	require.Error(t, err)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Label(cctx, stack.New[uint32](s), m, 0)
	require.True(t, errors.Is(err, context.Canceled))
}

// TestLabelPatterns checks shapes that are hard for run-based merging
// (spirals and U-shapes that join late, checkerboards) against the flood fill.
func TestLabelPatterns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, m := range patternMasks() {
		for _, conn := range connsFor(m.Shape) {
			want, wn := floodLabel(fgOf(m), m.Shape, conn)
			for _, ns := range []int{1, 2, 3, 7} {
				dst := stack.New[uint32](m.Shape)
				n, _, err := labelVolume(ctx, dst, m.Shape, len(m.Data), maskRunFunc(m), conn, nil, false, ns)
				require.NoError(t, err)
				require.Equal(t, wn, n, "%s conn %d", name, conn)
				require.Equal(t, want, dst.Data, "%s conn %d strips %d", name, conn, ns)
			}
		}
	}
}

// patternMasks returns named structured masks.
func patternMasks() map[string]*stack.Volume[uint8] {
	out := map[string]*stack.Volume[uint8]{}
	checker := stack.New[uint8](stack.Shape{Z: 1, Y: 33, X: 70})
	for y := range 33 {
		for x := range 70 {
			if (x+y)%2 == 0 {
				checker.Set(0, y, x, 1)
			}
		}
	}
	out["checker"] = checker
	checker3 := stack.New[uint8](stack.Shape{Z: 5, Y: 9, X: 11})
	for z := range 5 {
		for y := range 9 {
			for x := range 11 {
				if (x+y+z)%2 == 0 {
					checker3.Set(z, y, x, 1)
				}
			}
		}
	}
	out["checker3"] = checker3
	// Nested U-shapes, each joining only at its bottom row.
	u := stack.New[uint8](stack.Shape{Z: 1, Y: 40, X: 81})
	for k := 0; k < 10; k++ {
		l, r, b := 4*k, 80-4*k, 39-2*k
		for y := 0; y <= b; y++ {
			u.Set(0, y, l, 1)
			u.Set(0, y, r, 1)
		}
		for x := l; x <= r; x++ {
			u.Set(0, b, x, 1)
		}
	}
	out["nestedU"] = u
	// Square spiral.
	n := 41
	sp := stack.New[uint8](stack.Shape{Z: 1, Y: n, X: n})
	y, x, dy, dx := 0, 0, 0, 1
	lo, hi := [2]int{0, 0}, [2]int{n - 1, n - 1}
	for range 2 * n * n {
		sp.Set(0, y, x, 1)
		ny, nx := y+dy, x+dx
		if ny < lo[0] || ny > hi[0] || nx < lo[1] || nx > hi[1] {
			switch {
			case dx == 1:
				lo[0] += 2
				dy, dx = 1, 0
			case dy == 1:
				hi[1] -= 2
				dy, dx = 0, -1
			case dx == -1:
				hi[0] -= 2
				dy, dx = -1, 0
			default:
				lo[1] += 2
				dy, dx = 0, 1
			}
			ny, nx = y+dy, x+dx
			if ny < lo[0]-2 || lo[0] > hi[0] || lo[1] > hi[1] {
				break
			}
		}
		y, x = ny, nx
		if y < 0 || x < 0 || y >= n || x >= n {
			break
		}
	}
	out["spiral"] = sp
	diag := stack.New[uint8](stack.Shape{Z: 1, Y: 30, X: 30})
	for i := range 30 {
		diag.Set(0, i, i, 1)
		diag.Set(0, i, 29-i, 1)
	}
	out["diagonals"] = diag
	d3 := stack.New[uint8](stack.Shape{Z: 6, Y: 6, X: 6})
	for i := range 6 {
		d3.Set(i, i, i, 1)
		d3.Set(i, 5-i, i, 1)
		d3.Set(i, 0, 5-i, 1)
	}
	out["diag3"] = d3
	out["full"] = func() *stack.Volume[uint8] {
		v := stack.New[uint8](stack.Shape{Z: 3, Y: 7, X: 67})
		for i := range v.Data {
			v.Data[i] = 1
		}
		return v
	}()
	out["empty"] = stack.New[uint8](stack.Shape{Z: 2, Y: 7, X: 67})
	return out
}

func ExampleLabel() {
	mask, _ := stack.FromSlice(stack.Shape{Z: 1, Y: 3, X: 4}, []uint8{
		1, 1, 0, 1,
		0, 0, 0, 1,
		1, 0, 1, 0,
	})
	labels := stack.New[uint32](mask.Shape)
	n, _ := Label(context.Background(), labels, mask, Conn4)
	fmt.Println(n, labels.Data)
	// Output: 4 [1 1 0 2 0 0 0 2 3 0 4 0]
}

func TestSummarise(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(17, 18))
	for n := 1; n < 40; n++ {
		seg := make([]float32, n)
		for i := range seg {
			seg[i] = rng.Float32()*200 - 100
		}
		var want float64
		lo, hi := seg[0], seg[0]
		for _, v := range seg {
			want += float64(v)
			lo, hi = min(lo, v), max(hi, v)
		}
		s, l, h := summarise(seg)
		require.InEpsilon(t, want, s, 1e-12)
		require.Equal(t, lo, l)
		require.Equal(t, hi, h)
	}
}

// TestLabelAbove16 holds LabelAbove16 to LabelAbove on random planes and
// volumes (the same labels, as uint16), and checks that more than 65535
// objects are refused without a write.
func TestLabelAbove16(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(41, 42))
	for i := range 200 {
		s := stack.Shape{Z: 1 + rng.IntN(3), Y: 1 + rng.IntN(70), X: 1 + rng.IntN(90)}
		if i%2 == 0 {
			s.Z = 1
		}
		src := stack.New[float32](s)
		for j := range src.Data {
			src.Data[j] = rng.Float32()
		}
		thr := rng.Float32()
		conn := Connectivity(0)
		want := stack.New[uint32](s)
		n32, err := LabelAbove(ctx, want, src, thr, conn)
		require.NoError(t, err)
		got := stack.New[uint16](s)
		for j := range got.Data {
			got.Data[j] = 0xbeef
		}
		n16, err := LabelAbove16(ctx, got, src, thr, conn)
		require.NoError(t, err)
		require.Equal(t, n32, n16, "case %d %v", i, s)
		for j, l := range want.Data {
			require.Equal(t, uint16(l), got.Data[j], "case %d %v voxel %d", i, s, j)
		}
	}

	// A checkerboard of 512x512 has 131072 4-connected objects.
	s := stack.Shape{Z: 1, Y: 512, X: 512}
	src := stack.New[float32](s)
	for y := range s.Y {
		for x := range s.X {
			if (x+y)%2 == 0 {
				src.Data[y*s.X+x] = 1
			}
		}
	}
	dst := stack.New[uint16](s)
	n, err := LabelAbove16(ctx, dst, src, 0.5, Conn4)
	require.ErrorIs(t, err, ErrLabelOverflow16)
	require.Equal(t, 512*512/2, n)
	for _, l := range dst.Data {
		require.Zero(t, l, "nothing written on overflow")
	}
	n32, err := LabelAbove(ctx, stack.New[uint32](s), src, 0.5, Conn4)
	require.NoError(t, err)
	require.Equal(t, n, n32)
}

// Narrow16 gives each label's uint16 conversion, for lengths around every
// vector width, and refuses mismatched volumes.
func TestNarrow16MatchesConversion(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 63, 1000, 4099} {
		src := stack.New[uint32](stack.Shape{Z: 1, Y: 1, X: n})
		for i := range src.Data {
			src.Data[i] = uint32(rng.IntN(65536))
		}
		if n > 2 {
			src.Data[0], src.Data[n-1] = 65535, 65535
		}
		dst := stack.New[uint16](src.Shape)
		for i := range dst.Data {
			dst.Data[i] = 0xdead
		}
		require.NoError(t, Narrow16(dst, src))
		for i, l := range src.Data {
			require.Equal(t, uint16(l), dst.Data[i], "n=%d i=%d", n, i)
		}
	}
	a := stack.New[uint32](stack.Shape{Z: 1, Y: 2, X: 3})
	require.ErrorIs(t, Narrow16(stack.New[uint16](stack.Shape{Z: 1, Y: 3, X: 2}), a), ErrInvalid)
	require.ErrorIs(t, Narrow16(nil, a), ErrInvalid)
}
