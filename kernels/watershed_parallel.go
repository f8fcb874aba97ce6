package kernels

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/segstack/segstack/stack"
)

// wsByComponent counts the calls of WatershedParallel that flooded
// component by component, for the tests.
var wsByComponent atomic.Int64

// WatershedParallel is Watershed (and WatershedNegated when negate is set)
// on up to workers goroutines (0 or less: GOMAXPROCS), with the same
// result: it floods the connected components of mask (under conn, the
// flood's own connectivity) one by one, each in its bounding box, as
// separate tasks.
//
// That is exact because the flood never crosses from one component to
// another, and within a component scikit-image's order is fixed by the
// keys (value, age) of that component's entries alone, ages being compared
// only with ages of the same component, whose relative order is that of
// its own pushes. One thing escapes this: seeds of one component that share
// a value leave the queue in the order of the binary heap, whose layout
// depends on every entry of every component. When some component holds
// such a tie, the whole volume is flooded at once, as by Watershed.
//
// Without a mask the volume is one component: the flood runs on one
// goroutine. A cut into chunks of space cannot be exact in general, since
// which of two floods reaches a voxel first can depend, through the ages,
// on the order of events anywhere upstream of either flood.
func WatershedParallel(ctx context.Context, dst *stack.Volume[uint32], image *stack.Volume[float32], markers *stack.Volume[uint32], mask *stack.Volume[uint8], conn Connectivity, negate bool, workers int) error {
	if err := checkWatershedArgs(dst, image, markers, mask); err != nil {
		return err
	}
	c, err := normConn(conn, image.Shape)
	if err != nil {
		return fmt.Errorf("kernels: watershed: %w", err)
	}
	whole := func() error {
		var m []uint8
		if mask != nil {
			m = mask.Data
		}
		ws := wsPool.Get().(*wsScratch)
		defer wsPool.Put(ws)
		return ws.run(ctx, dst.Data, image.Data, markers.Data, m, image.Shape, c, negate)
	}
	if mask == nil {
		return whole()
	}
	if len(dst.Data) > 0 && &dst.Data[0] == &markers.Data[0] {
		// The labels are written over the markers: keep them.
		markers = &stack.Volume[uint32]{Shape: markers.Shape, Data: slices.Clone(markers.Data)}
	}
	s := image.Shape
	for i, v := range image.Data {
		if v != v {
			return fmt.Errorf("%w: the image holds NaN at index %d", ErrWatershedInput, i)
		}
	}
	comps := stack.New[uint32](s)
	n, err := Label(ctx, comps, mask, c)
	if err != nil {
		return fmt.Errorf("kernels: watershed: %w", err)
	}
	// The seeds of each component, with their ordered values, to find ties.
	type seed struct {
		comp uint32
		key  uint32
	}
	var seeds []seed
	for i, l := range markers.Data {
		if l == 0 || comps.Data[i] == 0 {
			continue
		}
		if l == wsBlocked {
			return fmt.Errorf("%w: marker label %d is reserved", ErrWatershedInput, l)
		}
		v := image.Data[i]
		if negate {
			v = -v
		}
		seeds = append(seeds, seed{comps.Data[i], orderedKey(v)})
	}
	slices.SortFunc(seeds, func(a, b seed) int {
		if a.comp != b.comp {
			return cmp.Compare(a.comp, b.comp)
		}
		return cmp.Compare(a.key, b.key)
	})
	for i := 1; i < len(seeds); i++ {
		if seeds[i] == seeds[i-1] {
			return whole()
		}
	}
	// Bounding boxes of the components that hold a seed.
	type box struct{ lo, hi [3]int }
	boxes := make([]box, n+1)
	seeded := make([]bool, n+1)
	for _, sd := range seeds {
		seeded[sd.comp] = true
	}
	for z := range s.Z {
		for y := range s.Y {
			row := (z*s.Y + y) * s.X
			for x, l := range comps.Data[row : row+s.X] {
				if l == 0 {
					continue
				}
				b := &boxes[l]
				if b.hi[2] == 0 {
					b.lo, b.hi = [3]int{z, y, x}, [3]int{z + 1, y + 1, x + 1}
					continue
				}
				b.lo[1], b.lo[2] = min(b.lo[1], y), min(b.lo[2], x)
				b.hi[0], b.hi[1], b.hi[2] = z+1, max(b.hi[1], y+1), max(b.hi[2], x+1)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	wsByComponent.Add(1)
	// Components without seeds stay 0; so does everything outside the mask.
	clear(dst.Data)
	todo := make([]uint32, 0, len(boxes))
	for l := 1; l <= n; l++ {
		if seeded[l] {
			todo = append(todo, uint32(l))
		}
	}
	// Large components first, so that the last tasks are short.
	slices.SortStableFunc(todo, func(a, b uint32) int {
		va, vb := boxes[a], boxes[b]
		sa := (va.hi[0] - va.lo[0]) * (va.hi[1] - va.lo[1]) * (va.hi[2] - va.lo[2])
		sb := (vb.hi[0] - vb.lo[0]) * (vb.hi[1] - vb.lo[1]) * (vb.hi[2] - vb.lo[2])
		return cmp.Compare(sb, sa)
	})
	w := workersFor(s.Len(), len(todo))
	if workers > 0 {
		w = min(w, workers)
	}
	type scratch struct {
		ws  *wsScratch
		img []float32
		mk  []uint32
		m   []uint8
		out []uint32
	}
	sc := make([]scratch, w)
	for i := range sc {
		sc[i].ws = wsPool.Get().(*wsScratch)
	}
	defer func() {
		for i := range sc {
			wsPool.Put(sc[i].ws)
		}
	}()
	planar := s.Z == 1
	return forEachItem(ctx, w, len(todo), func(worker, item int) error {
		l := todo[item]
		b := boxes[l]
		bs := stack.Shape{Z: b.hi[0] - b.lo[0], Y: b.hi[1] - b.lo[1], X: b.hi[2] - b.lo[2]}
		if !planar && bs.Z == 1 {
			// A component within one plane of a volume still floods
			// with the volume's connectivity, which in one plane is
			// that of a 2-D image: 6 → 4, 18 and 26 → 8.
			bs = stack.Shape{Z: 1, Y: bs.Y, X: bs.X}
		}
		k := &sc[worker]
		nb := bs.Len()
		k.img, k.mk, k.m, k.out = grow(k.img, nb), grow(k.mk, nb), grow(k.m, nb), grow(k.out, nb)
		j := 0
		for z := b.lo[0]; z < b.hi[0]; z++ {
			for y := b.lo[1]; y < b.hi[1]; y++ {
				row := (z*s.Y + y) * s.X
				for x := b.lo[2]; x < b.hi[2]; x++ {
					p := row + x
					k.img[j] = image.Data[p]
					k.m[j], k.mk[j] = 0, 0
					if comps.Data[p] == l {
						k.m[j], k.mk[j] = 1, markers.Data[p]
					}
					j++
				}
			}
		}
		cc := c
		if !planar && bs.Z == 1 {
			cc = map[Connectivity]Connectivity{Conn6: Conn4, Conn18: Conn8, Conn26: Conn8}[c]
		}
		if err := k.ws.run(ctx, k.out, k.img, k.mk, k.m, bs, cc, negate); err != nil {
			return err
		}
		j = 0
		for z := b.lo[0]; z < b.hi[0]; z++ {
			for y := b.lo[1]; y < b.hi[1]; y++ {
				row := (z*s.Y + y) * s.X
				for x := b.lo[2]; x < b.hi[2]; x++ {
					if k.m[j] != 0 {
						dst.Data[row+x] = k.out[j]
					}
					j++
				}
			}
		}
		return nil
	})
}
