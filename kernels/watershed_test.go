package kernels

import (
	"container/heap"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/stack"
)

// refEntry and refQueue are the brute-force reference's priority queue:
// the standard library's binary heap ordered by (value, age) in float64, the
// order scikit-image's watershed documents.
type refEntry struct {
	value   float64
	age     int
	z, y, x int
}

type refQueue []refEntry

func (q refQueue) Len() int { return len(q) }
func (q refQueue) Less(i, j int) bool {
	if q[i].value != q[j].value {
		return q[i].value < q[j].value
	}
	return q[i].age < q[j].age
}
func (q refQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *refQueue) Push(x any)   { *q = append(*q, x.(refEntry)) }
func (q *refQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// refWatershed is scikit-image 0.26's seeded watershed written from its
// description with coordinates and bounds checks: markers in raster order
// with age 0, neighbours in the structure's raster order stably sorted by
// distance, labels given on entry, entry value max(own, parent's).
func refWatershed(img *stack.Volume[float32], markers *stack.Volume[uint32], mask *stack.Volume[uint8], conn Connectivity) []uint32 {
	return refWatershedTrace(img, markers, mask, conn, nil)
}

// refHeapOp is one operation on the reference's queue: a push of key
// (orderedKey(value) << 32 | age) at pixel p (its raster index), or a pop
// (pop set) that returned pixel p.
type refHeapOp struct {
	key uint64
	p   uint32
	pop bool
}

// refWatershedTrace is refWatershed, reporting every queue operation to
// trace when it is not nil.
func refWatershedTrace(img *stack.Volume[float32], markers *stack.Volume[uint32], mask *stack.Volume[uint8], conn Connectivity, trace func(refHeapOp)) []uint32 {
	s := img.Shape
	conn, err := normConn(conn, s)
	if err != nil {
		panic(err)
	}
	offs := neighbourOffsets(conn)
	slices.SortStableFunc(offs, func(a, b [3]int) int {
		return (a[0]*a[0] + a[1]*a[1] + a[2]*a[2]) - (b[0]*b[0] + b[1]*b[1] + b[2]*b[2])
	})
	out := make([]uint32, s.Len())
	in := func(i int) bool { return mask == nil || mask.Data[i] != 0 }
	q := &refQueue{}
	for i, l := range markers.Data {
		if l != 0 && in(i) {
			out[i] = l
			z, y, x := i/(s.Y*s.X), i/s.X%s.Y, i%s.X
			heap.Push(q, refEntry{float64(img.Data[i]), 0, z, y, x})
			if trace != nil {
				trace(refHeapOp{key: uint64(orderedKey(img.Data[i])) << 32, p: uint32(i)})
			}
		}
	}
	age := 1
	for q.Len() > 0 {
		e := heap.Pop(q).(refEntry)
		l := out[(e.z*s.Y+e.y)*s.X+e.x]
		if trace != nil {
			trace(refHeapOp{p: uint32((e.z*s.Y+e.y)*s.X + e.x), pop: true})
		}
		for _, o := range offs {
			z, y, x := e.z+o[0], e.y+o[1], e.x+o[2]
			if z < 0 || y < 0 || x < 0 || z >= s.Z || y >= s.Y || x >= s.X {
				continue
			}
			j := (z*s.Y+y)*s.X + x
			if !in(j) || out[j] != 0 {
				continue
			}
			age++
			out[j] = l
			v := max(float64(img.Data[j]), e.value)
			heap.Push(q, refEntry{v, age, z, y, x})
			if trace != nil {
				trace(refHeapOp{key: uint64(orderedKey(float32(v)))<<32 | uint64(age), p: uint32(j)})
			}
		}
	}
	return out
}

// randWatershedCase makes a small image with many ties (a few integer
// levels), a few markers, and sometimes a mask.
func randWatershedCase(r *rand.Rand, planar bool) (*stack.Volume[float32], *stack.Volume[uint32], *stack.Volume[uint8]) {
	s := stack.Shape{Z: 1, Y: 1 + r.IntN(9), X: 1 + r.IntN(9)}
	if !planar {
		s = stack.Shape{Z: 2 + r.IntN(4), Y: 1 + r.IntN(6), X: 1 + r.IntN(6)}
	}
	img := stack.New[float32](s)
	levels := 1 + r.IntN(5)
	for i := range img.Data {
		img.Data[i] = float32(r.IntN(levels))
		if r.IntN(4) == 0 {
			img.Data[i] -= 0.5
		}
		if img.Data[i] == 0 && r.IntN(2) == 0 {
			img.Data[i] = float32(math.Copysign(0, -1))
		}
	}
	mk := stack.New[uint32](s)
	for range 1 + r.IntN(6) {
		mk.Data[r.IntN(s.Len())] = uint32(1 + r.IntN(4))
	}
	var mask *stack.Volume[uint8]
	if r.IntN(2) == 0 {
		mask = stack.New[uint8](s)
		for i := range mask.Data {
			if r.IntN(5) != 0 {
				mask.Data[i] = uint8(1 + r.IntN(3))
			}
		}
	}
	return img, mk, mask
}

func TestWatershedBruteForce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(19, 6))
	for i := range 6000 {
		planar := i%2 == 0
		img, mk, mask := randWatershedCase(r, planar)
		conns := []Connectivity{Conn4, Conn8}
		if !planar {
			conns = []Connectivity{Conn6, Conn18, Conn26}
		}
		conn := conns[r.IntN(len(conns))]
		want := refWatershed(img, mk, mask, conn)
		dst := stack.New[uint32](img.Shape)
		require.NoError(t, Watershed(ctx, dst, img, mk, mask, conn))
		require.Equal(t, want, dst.Data, "case %d shape %v conn %d\nimg %v\nmarkers %v\nmask %v", i, img.Shape, conn, img.Data, mk.Data, mask)
		if i%3 == 0 {
			// WatershedNegated floods -img without a copy.
			neg := stack.New[float32](img.Shape)
			for j, v := range img.Data {
				neg.Data[j] = -v
			}
			want = refWatershed(neg, mk, mask, conn)
			require.NoError(t, WatershedNegated(ctx, dst, img, mk, mask, conn))
			require.Equal(t, want, dst.Data, "negated case %d shape %v conn %d", i, img.Shape, conn)
		}
	}
}

// TestWatershedLargeRandom floods images large enough for the radix queue
// to do most of the work, with distinct and with tied marker values.
// TestWatershedTiedPaths floods small images whose markers often share a
// value, and requires the reference's labels on every path such a flood
// takes: the tracked flood in raster order when no two windows contest a
// pixel; after a contest, the binary heap up to the contest's level, then
// the tracked flood from there; after a further contest, back to the state
// kept where the heap stopped, and the heap further.
// It runs alone (not in parallel), so that wsContests counts its floods.
func TestWatershedTiedPaths(t *testing.T) {
	ctx := context.Background()
	defer func(d int) { wsTieLookahead = d }(wsTieLookahead)
	// With the heap run through tied values past each contest (the
	// default), and without (each further contest then comes from a tie
	// the heap has not reached, which exercises going back).
	for _, look := range []int{wsTieLookahead, 0} {
		wsTieLookahead = look
		r := rand.New(rand.NewPCG(23, 8))
		var byContests [3]int // floods with tied markers by their contests: 0, 1, 2 or more
		for i := range 4000 {
			planar := i%2 == 0
			img, mk, mask := randWatershedCase(r, planar)
			conn := []Connectivity{Conn4, Conn8}[i%4/2]
			if !planar {
				conn = []Connectivity{Conn6, Conn18, Conn26}[i%3]
			}
			seen := map[float32]bool{}
			hasTie := false
			for j, l := range mk.Data {
				if l != 0 && (mask == nil || mask.Data[j] != 0) {
					v := img.Data[j] + 0 // -0 ties with +0
					hasTie = hasTie || seen[v]
					seen[v] = true
				}
			}
			before := wsContests.Load()
			dst := stack.New[uint32](img.Shape)
			require.NoError(t, Watershed(ctx, dst, img, mk, mask, conn))
			require.Equal(t, refWatershed(img, mk, mask, conn), dst.Data, "lookahead %d case %d shape %v conn %d\nimg %v\nmarkers %v\nmask %v", look, i, img.Shape, conn, img.Data, mk.Data, mask)
			c := int(wsContests.Load() - before)
			require.True(t, c == 0 || hasTie, "case %d: a contest without tied markers", i)
			if hasTie {
				byContests[min(c, 2)]++
			}
		}
		t.Logf("lookahead %d: floods with tied markers: %d without a contest, %d with one, %d with two or more", look, byContests[0], byContests[1], byContests[2])
		require.Greater(t, byContests[0], 100)
		require.Greater(t, byContests[1], 100)
		if look == 0 {
			require.Greater(t, byContests[2], 5)
		}
	}
	// An image too large to keep a copy of cannot go back: after the
	// tracked flood that follows its first heap run meets a contest, it
	// floods again from the start with the heap to the end. Without the
	// lookahead, such second contests are common.
	defer func(n int) { wsSaveMaxPixels = n }(wsSaveMaxPixels)
	wsSaveMaxPixels = 0
	wsTieLookahead = 0
	r := rand.New(rand.NewPCG(23, 8))
	again := 0
	for i := range 1000 {
		img, mk, mask := randWatershedCase(r, i%2 == 0)
		conn := Conn8
		if i%2 == 1 {
			conn = Conn26
		}
		before := wsContests.Load()
		dst := stack.New[uint32](img.Shape)
		require.NoError(t, Watershed(ctx, dst, img, mk, mask, conn))
		require.Equal(t, refWatershed(img, mk, mask, conn), dst.Data, "without a kept state: case %d", i)
		c := wsContests.Load() - before
		require.LessOrEqual(t, c, int64(2), "without a kept state: case %d", i)
		if c == 2 {
			again++
		}
	}
	t.Logf("without a kept state: %d floods started again", again)
	require.Greater(t, again, 3)
}

func TestWatershedLargeRandom(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 19))
	for i := range 12 {
		s := stack.Shape{Z: 1, Y: 60 + r.IntN(40), X: 60 + r.IntN(40)}
		conn := []Connectivity{Conn4, Conn8}[i%2]
		if i >= 8 {
			s = stack.Shape{Z: 8 + r.IntN(6), Y: 20 + r.IntN(10), X: 20 + r.IntN(10)}
			conn = []Connectivity{Conn6, Conn18, Conn26}[i%3]
		}
		img := stack.New[float32](s)
		for j := range img.Data {
			switch {
			case i%4 == 1:
				// Values over the whole float32 range, both signs and
				// infinities: every level of the key queue is used.
				img.Data[j] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(60)-30)))
				if r.IntN(50) == 0 {
					img.Data[j] = float32(math.Inf(1 - 2*r.IntN(2)))
				}
			case i%3 == 0:
				img.Data[j] = r.Float32()
			default:
				img.Data[j] = float32(r.IntN(20))
			}
		}
		mk := stack.New[uint32](s)
		for k := range 30 {
			mk.Data[r.IntN(s.Len())] = uint32(k + 1)
		}
		want := refWatershed(img, mk, nil, conn)
		dst := stack.New[uint32](s)
		require.NoError(t, Watershed(ctx, dst, img, mk, nil, conn))
		require.Equal(t, want, dst.Data, "case %d", i)
	}
}

func TestWatershedAliasAndPlanes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 3))
	s := stack.Shape{Z: 5, Y: 17, X: 23}
	img := stack.New[float32](s)
	for j := range img.Data {
		img.Data[j] = float32(r.IntN(6))
	}
	mk := stack.New[uint32](s)
	for k := range 40 {
		mk.Data[r.IntN(s.Len())] = uint32(k%7 + 1)
	}
	want := make([]uint32, 0, s.Len())
	n := s.Y * s.X
	for z := range s.Z {
		p := stack.Shape{Z: 1, Y: s.Y, X: s.X}
		pi := &stack.Volume[float32]{Shape: p, Data: img.Data[z*n : (z+1)*n]}
		pm := &stack.Volume[uint32]{Shape: p, Data: mk.Data[z*n : (z+1)*n]}
		want = append(want, refWatershed(pi, pm, nil, Conn8)...)
	}
	for _, w := range []int{1, 2, 3} {
		dst := stack.New[uint32](s)
		require.NoError(t, WatershedPlanes(ctx, dst, img, mk, nil, Conn8, w))
		require.Equal(t, want, dst.Data)
	}
	// dst aliasing markers.
	alias := &stack.Volume[uint32]{Shape: s, Data: slices.Clone(mk.Data)}
	require.NoError(t, WatershedPlanes(ctx, alias, img, alias, nil, Conn8, 2))
	require.Equal(t, want, alias.Data)
	want3 := refWatershed(img, mk, nil, Conn26)
	alias = &stack.Volume[uint32]{Shape: s, Data: slices.Clone(mk.Data)}
	require.NoError(t, Watershed(ctx, alias, img, alias, nil, Conn26))
	require.Equal(t, want3, alias.Data)
}

func TestWatershedErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := stack.Shape{Z: 1, Y: 3, X: 3}
	img := stack.New[float32](s)
	mk := stack.New[uint32](s)
	dst := stack.New[uint32](s)
	require.Error(t, Watershed(ctx, nil, img, mk, nil, Conn4))
	require.Error(t, Watershed(ctx, dst, img, stack.New[uint32](stack.Shape{Z: 1, Y: 3, X: 4}), nil, Conn4))
	require.Error(t, Watershed(ctx, dst, img, mk, stack.New[uint8](stack.Shape{Z: 2, Y: 3, X: 3}), Conn4))
	require.ErrorIs(t, Watershed(ctx, dst, img, mk, nil, 5), ErrConnectivity)
	require.ErrorIs(t, Watershed(ctx, stack.New[uint32](stack.Shape{Z: 2, Y: 3, X: 3}), stack.New[float32](stack.Shape{Z: 2, Y: 3, X: 3}), stack.New[uint32](stack.Shape{Z: 2, Y: 3, X: 3}), nil, Conn4), ErrConnectivity)
	bad := &stack.Volume[float32]{Shape: s, Data: make([]float32, 8)}
	require.Error(t, Watershed(ctx, dst, bad, mk, nil, Conn4))
	img.Data[4] = float32(math.NaN())
	require.ErrorIs(t, Watershed(ctx, dst, img, mk, nil, Conn4), ErrWatershedInput)
	img.Data[4] = 0
	mk.Data[0] = math.MaxUint32
	require.ErrorIs(t, Watershed(ctx, dst, img, mk, nil, Conn4), ErrWatershedInput)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	mk.Data[0] = 1
	require.ErrorIs(t, Watershed(cctx, dst, img, mk, nil, Conn4), context.Canceled)

	// The reserved label outside the mask is dropped with the other
	// markers there; inside it, it is refused, and so is NaN anywhere,
	// masked out or not, negated or not: the errors name the place.
	mask := stack.New[uint8](s)
	for i := range mask.Data {
		mask.Data[i] = 1
	}
	mask.Data[0] = 0
	mk.Data[0], mk.Data[8] = math.MaxUint32, 2
	require.NoError(t, Watershed(ctx, dst, img, mk, mask, Conn4))
	require.Equal(t, []uint32{0, 2, 2, 2, 2, 2, 2, 2, 2}, dst.Data)
	mask.Data[0] = 1
	require.ErrorContains(t, Watershed(ctx, dst, img, mk, mask, Conn4), "marker label 4294967295 is reserved")
	mk.Data[0] = 1
	img.Data[5], mask.Data[5] = float32(math.NaN()), 0
	require.ErrorContains(t, Watershed(ctx, dst, img, mk, mask, Conn4), "NaN at (0, 1, 2)")
	require.ErrorContains(t, WatershedNegated(ctx, dst, img, mk, nil, Conn4), "NaN at (0, 1, 2)")

	// Plane by plane, the error names the plane in the volume.
	s3 := stack.Shape{Z: 3, Y: 3, X: 3}
	img3, mk3, dst3 := stack.New[float32](s3), stack.New[uint32](s3), stack.New[uint32](s3)
	img3.Data[2*9+4] = float32(math.NaN())
	require.ErrorContains(t, WatershedPlanes(ctx, dst3, img3, mk3, nil, Conn8, 1), "NaN at (2, 1, 1)")
}

// TestWatershedContestRuns floods small stacks whose tied seeds contest
// over runs of neighbouring values (wsContestInput), with the default
// lookahead past each contest: floods that still meet further contests go
// back to the kept state, and every label must be the reference's.
func TestWatershedContestRuns(t *testing.T) {
	ctx := context.Background()
	most := int64(0)
	for _, g := range []struct{ z, y, dz, d int }{{8, 96, 4, 8}, {16, 64, 2, 4}, {12, 80, 4, 6}, {1, 256, 1, 4}} {
		s := stack.Shape{Z: g.z, Y: g.y, X: g.y}
		img, mk := wsContestInput(s, g.dz, g.d)
		conn := Conn26
		if s.Z == 1 {
			conn = Conn8
		}
		before := wsContests.Load()
		dst := stack.New[uint32](s)
		require.NoError(t, Watershed(ctx, dst, img, mk, nil, conn))
		require.Equal(t, refWatershed(img, mk, nil, conn), dst.Data, "shape %v", s)
		c := wsContests.Load() - before
		t.Logf("%v, seeds every %d planes and %d pixels: %d contests", s, g.dz, g.d, c)
		most = max(most, c)
	}
	require.GreaterOrEqual(t, most, int64(3), "no flood went back twice")
}

// TestWatershedLookahead checks the level the heap runs to after a
// contest (lookahead) against a direct count on small random images, whose
// pixels it counts all: the d-th tied value above the contest's, or the
// last one before the pixels at the tied values past it add up to more
// than the budget times those at values up to it, inside the mask, of the
// negated image when negated.
func TestWatershedLookahead(t *testing.T) {
	defer func(d int, b float64) { wsTieLookahead, wsLookaheadBudget = d, b }(wsTieLookahead, wsLookaheadBudget)
	r := rand.New(rand.NewPCG(4, 4))
	stopped := 0
	for i := range 3000 {
		ws := &wsScratch{}
		img := make([]float32, 1+r.IntN(400))
		for j := range img {
			img[j] = float32(r.IntN(40))
		}
		var mask []uint8
		if i%3 == 0 {
			mask = make([]uint8, len(img))
			for j := range mask {
				mask[j] = uint8(r.IntN(2))
			}
		}
		neg := i%5 == 0
		// A mask of image > t, as WatershedSplit's, in some cases.
		seeds := wsSeeds{above: i%7 == 0, t: float32(r.IntN(40))}
		in := func(j int) bool {
			return (mask == nil || mask[j] != 0) && (!seeds.above || img[j] > seeds.t)
		}
		key := func(x float32) uint32 {
			if neg {
				x = -x
			}
			return orderedKey(x)
		}
		var vals []float32
		for x := float32(0); x < 40; x++ {
			if r.IntN(3) == 0 {
				vals = append(vals, x)
			}
		}
		for _, x := range vals {
			ws.tieVals = append(ws.tieVals, key(x))
		}
		slices.Sort(ws.tieVals)
		v := key(float32(r.IntN(45)))
		wsTieLookahead = r.IntN(5)
		wsLookaheadBudget = []float64{math.Inf(1), 0.5, 1, 2.5}[i%4]
		below, sum := 0, 0
		for j, x := range img {
			if in(j) && key(x) <= v {
				below++
			}
		}
		want, n := v, 0
		for _, u := range ws.tieVals {
			if u <= v || n == wsTieLookahead {
				continue
			}
			n++
			for j, x := range img {
				if in(j) && key(x) == u {
					sum++
				}
			}
			if float64(sum) > wsLookaheadBudget*float64(below) {
				stopped++
				break
			}
			want = u
		}
		require.Equal(t, want, ws.lookahead(v, img, mask, seeds, neg), "case %d: ties %v, %d above %d, budget %v", i, ws.tieVals, wsTieLookahead, v, wsLookaheadBudget)
	}
	require.Greater(t, stopped, 100, "the budget stopped too few look-aheads to be tested")
	// A large image is counted on a sample: 2^20 pixels, 30% of them at
	// values up to the contest's (1), the tied values past it holding 10%,
	// 10% and 50% (together 0.33, 0.67 and 2.33 times those up to it).
	ws := &wsScratch{tieVals: []uint32{orderedKey(2), orderedKey(3), orderedKey(4)}}
	wsTieLookahead = 3
	img := make([]float32, 1<<20)
	for j := range img {
		switch h := uint32(j) * 2654435761 % 100; {
		case h < 30:
			img[j] = 1
		case h < 40:
			img[j] = 2
		case h < 50:
			img[j] = 3
		case h < 100:
			img[j] = 4
		}
	}
	for budget, want := range map[float64]float32{0.2: 1, 0.5: 2, 2: 3, 2.5: 4} {
		wsLookaheadBudget = budget
		require.Equal(t, orderedKey(want), ws.lookahead(orderedKey(1), img, nil, wsSeeds{}, false), "budget %v", budget)
	}
}
