package kernels

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

// randomMask draws a small mask: sometimes empty, full, a single line or
// voxel thin, otherwise of random density.
func randomMorphMask(rng *rand.Rand, threeD bool) *stack.Volume[uint8] {
	s := stack.Shape{Z: 1, Y: 1 + rng.IntN(12), X: 1 + rng.IntN(14)}
	if threeD {
		s.Z = 2 + rng.IntN(5)
		s.Y = 1 + rng.IntN(8)
		s.X = 1 + rng.IntN(9)
	}
	v := stack.New[uint8](s)
	switch rng.IntN(8) {
	case 0: // empty
	case 1:
		for i := range v.Data {
			v.Data[i] = uint8(1 + rng.IntN(255))
		}
	case 2: // thin: one row / column / voxel off or on
		for i := range v.Data {
			v.Data[i] = 1
		}
		v.Data[rng.IntN(len(v.Data))] = 0
	default:
		p := rng.Float64()
		for i := range v.Data {
			if rng.Float64() < p {
				v.Data[i] = uint8(1 + rng.IntN(3))
			}
		}
	}
	return v
}

// bruteEDT is the O(n²) distance in scipy's float64 arithmetic.
func bruteEDT(m *stack.Volume[uint8], w [3]float64) []float32 {
	s := m.Shape
	out := make([]float32, len(m.Data))
	zero := false
	for _, v := range m.Data {
		zero = zero || v == 0
	}
	for z := range s.Z {
		for y := range s.Y {
			for x := range s.X {
				if m.At(z, y, x) == 0 {
					continue
				}
				best := math.Inf(1)
				dist := func(dz, dy, dx int) float64 {
					tz, ty, tx := float64(dz)*w[0], float64(dy)*w[1], float64(dx)*w[2]
					if s.Z == 1 {
						return float64(ty*ty) + float64(tx*tx)
					}
					return float64(tz*tz) + float64(ty*ty) + float64(tx*tx)
				}
				if !zero {
					if s.Z == 1 {
						best = dist(0, y+1, x)
					} else {
						best = dist(z+1, y, x)
					}
				}
				for zz := range s.Z {
					for yy := range s.Y {
						for xx := range s.X {
							if m.At(zz, yy, xx) == 0 {
								best = math.Min(best, dist(z-zz, y-yy, x-xx))
							}
						}
					}
				}
				out[m.Index(z, y, x)] = float32(math.Sqrt(best))
			}
		}
	}
	return out
}

func TestEDTBruteForce(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	samplings := [][3]float64{{1, 1, 1}, {0, 0, 0}, {2.5, 0.7, 1.3}, {0.3, 1, 1}, {4, 1, 1}}
	for i := range 3000 {
		m := randomMorphMask(rng, i%2 == 1)
		w := samplings[rng.IntN(len(samplings))]
		dst := stack.New[float32](m.Shape)
		require.NoError(t, EDT(context.Background(), dst, m, w))
		ww := w
		for j := range ww {
			if ww[j] == 0 {
				ww[j] = 1
			}
		}
		require.Equal(t, bruteEDT(m, ww), dst.Data, "case %d shape %v sampling %v mask %v", i, m.Shape, w, m.Data)
	}
}

func TestEDTLarge(t *testing.T) {
	t.Parallel()
	// Lines of several hundred voxels exercise long envelopes; check
	// against the brute force on a sparse background.
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range []stack.Shape{{Z: 1, Y: 70, X: 300}, {Z: 9, Y: 20, X: 40}} {
		m := stack.New[uint8](s)
		for i := range m.Data {
			if rng.IntN(50) != 0 {
				m.Data[i] = 1
			}
		}
		for _, w := range [][3]float64{{1, 1, 1}, {3, 0.5, 0.25}} {
			dst := stack.New[float32](s)
			require.NoError(t, EDT(context.Background(), dst, m, w))
			require.Equal(t, bruteEDT(m, w), dst.Data)
		}
	}
}

func TestEDTErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := stack.New[uint8](stack.Shape{Z: 1, Y: 3, X: 3})
	require.Error(t, EDT(ctx, nil, m, [3]float64{}))
	require.Error(t, EDT(ctx, stack.New[float32](stack.Shape{Z: 1, Y: 3, X: 4}), m, [3]float64{}))
	require.Error(t, EDT(ctx, stack.New[float32](m.Shape), m, [3]float64{1, -1, 1}))
	require.Error(t, EDT(ctx, stack.New[float32](m.Shape), m, [3]float64{1, math.NaN(), 1}))
	bad := &stack.Volume[uint8]{Shape: m.Shape, Data: m.Data[:4]}
	require.Error(t, EDT(ctx, stack.New[float32](m.Shape), bad, [3]float64{}))
}

// structure is generate_binary_structure as a list of offsets.
func emStructure(conn Connectivity) [][3]int {
	rank, c := 3, 0
	switch conn {
	case Conn4:
		rank, c = 2, 1
	case Conn8:
		rank, c = 2, 2
	case Conn6:
		c = 1
	case Conn18:
		c = 2
	case Conn26:
		c = 3
	}
	var out [][3]int
	for dz := -1; dz <= 1; dz++ {
		if rank == 2 && dz != 0 {
			continue
		}
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				if morphAbs(dz)+morphAbs(dy)+morphAbs(dx) <= c {
					out = append(out, [3]int{dz, dy, dx})
				}
			}
		}
	}
	return out
}

func bruteMorphStep(src []uint8, s stack.Shape, conn Connectivity, border uint8, erode bool) []uint8 {
	st := emStructure(conn)
	out := make([]uint8, len(src))
	for z := range s.Z {
		for y := range s.Y {
			for x := range s.X {
				acc := erode
				for _, o := range st {
					zz, yy, xx := z+o[0], y+o[1], x+o[2]
					var v bool
					if zz < 0 || zz >= s.Z || yy < 0 || yy >= s.Y || xx < 0 || xx >= s.X {
						v = border != 0
					} else {
						v = src[(zz*s.Y+yy)*s.X+xx] != 0
					}
					if erode {
						acc = acc && v
					} else {
						acc = acc || v
					}
				}
				if acc {
					out[(z*s.Y+y)*s.X+x] = 1
				}
			}
		}
	}
	return out
}

// bruteMorph is scipy's binary morphology by definition: each step of
// each operation of ops (true: erosion) applied in turn, opt.Iterations
// times or until nothing changes, changing only the voxels where
// opt.Mask is non-zero.
func bruteMorph(src []uint8, s stack.Shape, opt MorphOptions, ops []bool) []uint8 {
	cur := emNormalized(src)
	for _, erode := range ops {
		for it := 0; opt.Iterations < 1 || it < opt.Iterations; it++ {
			next := bruteMorphStep(cur, s, opt.Conn, opt.BorderValue, erode)
			if opt.Mask != nil {
				for i, m := range opt.Mask.Data {
					if m == 0 {
						next[i] = cur[i]
					}
				}
			}
			same := string(next) == string(cur)
			cur = next
			if opt.Iterations < 1 && same {
				break
			}
		}
	}
	return cur
}

func emNormalized(b []uint8) []uint8 {
	out := make([]uint8, len(b))
	for i, v := range b {
		if v != 0 {
			out[i] = 1
		}
	}
	return out
}

// randomWideMask draws a mask whose rows span one to four words, with
// a few rows and planes, for the packed paths' word boundaries.
func randomWideMask(rng *rand.Rand, threeD bool) *stack.Volume[uint8] {
	s := stack.Shape{Z: 1, Y: 1 + rng.IntN(6), X: []int{63, 64, 65, 127, 128, 129, 191, 200, 256}[rng.IntN(9)] + rng.IntN(3) - 1}
	if threeD {
		s.Z = 2 + rng.IntN(3)
	}
	v := stack.New[uint8](s)
	p := 0.3 + 0.7*rng.Float64()
	for i := range v.Data {
		if rng.Float64() < p {
			v.Data[i] = uint8(1 + rng.IntN(255))
		}
	}
	return v
}

func TestMorphologyBruteForce(t *testing.T) {
	ctx := context.Background()
	type opFn func(context.Context, *stack.Volume[uint8], *stack.Volume[uint8], MorphOptions) error
	ops := []struct {
		name string
		fn   opFn
		seq  []bool
	}{
		{"erode", BinaryErosion, []bool{true}},
		{"dilate", BinaryDilation, []bool{false}},
		{"open", BinaryOpening, []bool{true, false}},
		{"close", BinaryClosing, []bool{false, true}},
	}
	forEachPath(t, func(t *testing.T, path string) {
		rng := rand.New(rand.NewPCG(5, 6))
		count := map[string]int{}
		for i := range 4000 {
			threeD := i%2 == 1
			m := randomMorphMask(rng, threeD)
			wide := rng.IntN(4) == 0
			if wide {
				m = randomWideMask(rng, threeD)
			}
			conns := []Connectivity{Conn4, Conn8}
			if threeD {
				conns = []Connectivity{Conn6, Conn18, Conn26}
			}
			opt := MorphOptions{
				Conn:        conns[rng.IntN(len(conns))],
				Iterations:  []int{1, 2, 3, -1, 0}[rng.IntN(5)],
				BorderValue: uint8(rng.IntN(2)),
			}
			if wide && opt.Iterations < 1 && rng.IntN(3) != 0 {
				opt.Iterations = 5
			}
			if rng.IntN(3) == 0 {
				opt.Mask = stack.New[uint8](m.Shape)
				for j := range opt.Mask.Data {
					if rng.IntN(4) != 0 {
						opt.Mask.Data[j] = uint8(rng.IntN(3))
					}
				}
			}
			op := ops[rng.IntN(len(ops))]
			dst := stack.New[uint8](m.Shape)
			require.NoError(t, op.fn(ctx, dst, m, opt))
			want := bruteMorph(m.Data, m.Shape, opt, op.seq)
			require.Equal(t, want, dst.Data, "%s case %d %s %+v shape %v", path, i, op.name, opt, m.Shape)
			// In place gives the same answer.
			require.NoError(t, op.fn(ctx, m, m, opt))
			require.Equal(t, want, m.Data, "%s case %d %s in place", path, i, op.name)
			count[fmt.Sprintf("conn=%d border=%d mask=%v", opt.Conn, opt.BorderValue, opt.Mask != nil)]++
		}
		// Every structure, border value and mask setting was drawn.
		require.Len(t, count, 5*2*2, "%v", count)
	})
}

// Volumes large enough to be split among workers, against brute force.
func TestMorphologyLargeBruteForce(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(9, 10))
	forEachPath(t, func(t *testing.T, path string) {
		for _, c := range []struct {
			s    stack.Shape
			conn Connectivity
		}{
			{stack.Shape{Z: 1, Y: 301, X: 250}, Conn4},
			{stack.Shape{Z: 1, Y: 300, X: 256}, Conn8},
			{stack.Shape{Z: 3, Y: 130, X: 190}, Conn6},
			{stack.Shape{Z: 4, Y: 70, X: 257}, Conn18},
			{stack.Shape{Z: 3, Y: 129, X: 200}, Conn26},
		} {
			m := stack.New[uint8](c.s)
			for i := range m.Data {
				if rng.IntN(5) != 0 {
					m.Data[i] = 1
				}
			}
			for _, border := range []uint8{0, 1} {
				opt := MorphOptions{Conn: c.conn, Iterations: 2, BorderValue: border}
				dst := stack.New[uint8](c.s)
				require.NoError(t, BinaryOpening(ctx, dst, m, opt))
				require.Equal(t, bruteMorph(m.Data, c.s, opt, []bool{true, false}), dst.Data, "%s %v conn %d border %d", path, c.s, c.conn, border)
				require.NoError(t, BinaryClosing(ctx, dst, m, opt))
				require.Equal(t, bruteMorph(m.Data, c.s, opt, []bool{false, true}), dst.Data, "%s %v conn %d border %d", path, c.s, c.conn, border)
			}
		}
	})
}

// One erosion or dilation without a mask runs in one pass, its volume
// cut into chunks (runs of rows in 2-D, of planes in 3-D), each packing
// the rows or planes around its own: against brute force for several
// worker counts (more workers than cores included), every structure and
// border value, widths around the 64-bit words, and in place, where a
// chunk's edge rows are another's neighbours.
func TestMorphologyStreamedBruteForce(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(11, 12))
	cases := []struct {
		s    stack.Shape
		conn Connectivity
	}{
		{stack.Shape{Z: 1, Y: 301, X: 250}, Conn4},
		{stack.Shape{Z: 1, Y: 257, X: 256}, Conn8},
		{stack.Shape{Z: 1, Y: 70, X: 1000}, Conn4},
		{stack.Shape{Z: 1, Y: 1030, X: 65}, Conn8},
		{stack.Shape{Z: 5, Y: 130, X: 190}, Conn6},
		{stack.Shape{Z: 4, Y: 70, X: 257}, Conn18},
		{stack.Shape{Z: 7, Y: 60, X: 170}, Conn26},
		{stack.Shape{Z: 2, Y: 200, X: 190}, Conn26},
		{stack.Shape{Z: 17, Y: 40, X: 100}, Conn6},
		{stack.Shape{Z: 16, Y: 64, X: 70}, Conn18},
		{stack.Shape{Z: 33, Y: 31, X: 91}, Conn26},
	}
	vols := make([]*stack.Volume[uint8], len(cases))
	for i, c := range cases {
		vols[i] = stack.New[uint8](c.s)
		for j := range vols[i].Data {
			// Mostly set, with holes, so that erosion and dilation
			// both change many voxels.
			if rng.IntN(4) != 0 {
				vols[i].Data[j] = uint8(1 + rng.IntN(3))
			}
		}
	}
	prev := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(prev)
	forEachPath(t, func(t *testing.T, path string) {
		for i, c := range cases {
			m := vols[i]
			for _, border := range []uint8{0, 1} {
				for _, erode := range []bool{true, false} {
					opt := MorphOptions{Conn: c.conn, Iterations: 1, BorderValue: border}
					want := bruteMorph(m.Data, c.s, opt, []bool{erode})
					op := BinaryDilation
					if erode {
						op = BinaryErosion
					}
					for _, procs := range []int{1, 2, 3, 5} {
						runtime.GOMAXPROCS(procs)
						dst := stack.New[uint8](c.s)
						require.NoError(t, op(ctx, dst, m, opt))
						require.Equal(t, want, dst.Data, "%s %v conn %d border %d erode %v procs %d", path, c.s, c.conn, border, erode, procs)
						in := stack.New[uint8](c.s)
						copy(in.Data, m.Data)
						require.NoError(t, op(ctx, in, in, opt))
						require.Equal(t, want, in.Data, "%s %v conn %d border %d erode %v procs %d in place", path, c.s, c.conn, border, erode, procs)
					}
					runtime.GOMAXPROCS(prev)
				}
			}
		}
	})
	// A cancelled context ends every worker with its error.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	runtime.GOMAXPROCS(3)
	for _, c := range cases {
		m := stack.New[uint8](c.s)
		require.ErrorIs(t, BinaryDilation(cctx, m, m, MorphOptions{Conn: c.conn}), context.Canceled, "%v", c.s)
	}
}

// bruteComponents labels the voxels with value want (non-zero or zero)
// by flood fill, returning labels (0 elsewhere) and sizes.
func emComponents(m *stack.Volume[uint8], conn Connectivity, zeros bool) ([]int, []int) {
	s := m.Shape
	st := emStructure(conn)
	lab := make([]int, len(m.Data))
	sizes := []int{0}
	in := func(i int) bool { return (m.Data[i] == 0) == zeros }
	for i := range m.Data {
		if !in(i) || lab[i] != 0 {
			continue
		}
		id := len(sizes)
		sizes = append(sizes, 0)
		stackI := []int{i}
		lab[i] = id
		for len(stackI) > 0 {
			j := stackI[len(stackI)-1]
			stackI = stackI[:len(stackI)-1]
			sizes[id]++
			z, y, x := j/(s.Y*s.X), j/s.X%s.Y, j%s.X
			for _, o := range st {
				zz, yy, xx := z+o[0], y+o[1], x+o[2]
				if zz < 0 || zz >= s.Z || yy < 0 || yy >= s.Y || xx < 0 || xx >= s.X {
					continue
				}
				k := (zz*s.Y+yy)*s.X + xx
				if in(k) && lab[k] == 0 {
					lab[k] = id
					stackI = append(stackI, k)
				}
			}
		}
	}
	return lab, sizes
}

func TestFillHolesAndSmallBruteForce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 3000 {
		threeD := i%2 == 1
		m := randomMorphMask(rng, threeD)
		conns := []Connectivity{Conn4, Conn8}
		if threeD {
			conns = []Connectivity{Conn6, Conn18, Conn26}
		}
		conn := conns[rng.IntN(len(conns))]
		s := m.Shape

		// Fill holes: zero components not touching the edge become 1.
		lab, _ := emComponents(m, conn, true)
		edge := map[int]bool{}
		for z := range s.Z {
			for y := range s.Y {
				for x := range s.X {
					if (s.Z > 1 && (z == 0 || z == s.Z-1)) || y == 0 || y == s.Y-1 || x == 0 || x == s.X-1 {
						edge[lab[m.Index(z, y, x)]] = true
					}
				}
			}
		}
		want := make([]uint8, len(m.Data))
		for j, v := range m.Data {
			if v != 0 || !edge[lab[j]] {
				want[j] = 1
			}
		}
		dst := stack.New[uint8](s)
		require.NoError(t, FillHoles(ctx, dst, m, conn), "case %d", i)
		require.Equal(t, want, dst.Data, "fill holes case %d conn %d shape %v", i, conn, s)

		// Small objects and holes.
		minSize := rng.IntN(8)
		flab, fsizes := emComponents(m, conn, false)
		for j, v := range m.Data {
			want[j] = 0
			if v != 0 && fsizes[flab[j]] >= minSize {
				want[j] = 1
			}
		}
		require.NoError(t, RemoveSmallObjects(ctx, dst, m, minSize, conn))
		require.Equal(t, want, dst.Data, "small objects case %d", i)
		hlab, hsizes := emComponents(m, conn, true)
		for j, v := range m.Data {
			want[j] = 0
			if v != 0 || hsizes[hlab[j]] < minSize {
				want[j] = 1
			}
		}
		require.NoError(t, RemoveSmallHoles(ctx, dst, m, minSize, conn))
		require.Equal(t, want, dst.Data, "small holes case %d", i)

		// Size filter on labels numbered in an arbitrary order.
		perm := rng.Perm(len(fsizes) + 3)
		labels := stack.New[uint32](s)
		for j, l := range flab {
			if l != 0 {
				labels.Data[j] = uint32(perm[l] + 1)
			}
		}
		lo, hi := rng.IntN(4), []int{0, 3, 6}[rng.IntN(3)]
		wantL := make([]uint32, len(flab))
		ids := map[int]uint32{}
		for j, l := range flab {
			if l == 0 || fsizes[l] < lo || (hi > 0 && fsizes[l] > hi) {
				continue
			}
			if _, ok := ids[l]; !ok {
				ids[l] = uint32(len(ids) + 1)
			}
			wantL[j] = ids[l]
		}
		n, err := FilterBySize(ctx, labels, lo, hi)
		require.NoError(t, err)
		require.Equal(t, len(ids), n)
		require.Equal(t, wantL, labels.Data, "filter case %d", i)
	}
}

func TestFilterBySizeSparse(t *testing.T) {
	t.Parallel()
	v := stack.New[uint32](stack.Shape{Z: 1, Y: 2, X: 3})
	copy(v.Data, []uint32{4000000000, 0, 7, 7, 4000000000, 12})
	n, err := FilterBySize(context.Background(), v, 2, 0)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.Equal(t, []uint32{1, 0, 2, 2, 1, 0}, v.Data)
	_, err = FilterBySize(context.Background(), v, -1, 0)
	require.Error(t, err)
}

func TestMorphConnectivityErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	plane := stack.New[uint8](stack.Shape{Z: 1, Y: 4, X: 4})
	vol := stack.New[uint8](stack.Shape{Z: 3, Y: 4, X: 4})
	require.ErrorIs(t, BinaryErosion(ctx, plane, plane, MorphOptions{Conn: Conn6}), ErrConnectivity)
	require.ErrorIs(t, BinaryDilation(ctx, vol, vol, MorphOptions{Conn: Conn8}), ErrConnectivity)
	require.ErrorIs(t, FillHoles(ctx, vol, vol, Conn4), ErrConnectivity)
	require.ErrorIs(t, RemoveSmallObjects(ctx, plane, plane, 3, 5), ErrConnectivity)
	require.Error(t, BinaryErosion(ctx, plane, vol, MorphOptions{}))
	require.Error(t, BinaryErosion(ctx, plane, plane, MorphOptions{BorderValue: 2}))
	err := BinaryOpening(ctx, vol, vol, MorphOptions{Mask: plane})
	require.ErrorContains(t, err, "mask shape")
}
