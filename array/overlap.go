package array

import (
	"context"
	"fmt"

	"github.com/segstack/segstack/stack"
)

// BlockFunc transforms one chunk (or one chunk with its halo) given as a 3-D
// volume ordered like the array's axes, with extent 1 in front for arrays
// of rank below 3. It returns a volume of the same shape. Kernels such as
// kernels.Gaussian fit it through a small closure.
type BlockFunc[T, U stack.Elem] func(ctx context.Context, in *stack.Volume[T]) (*stack.Volume[U], error)

func elemDType[T stack.Elem]() (stack.DType, error) {
	var z T
	// Chunks hold the plain element types; a named type such as
	// "type gray uint16" has no buffer of its own.
	switch any(z).(type) {
	case uint8, uint16, uint32, int16, int32, float32:
		return stack.DTypeOf[T](), nil
	}
	return stack.Invalid, fmt.Errorf("array: element type %T is not one of uint8, uint16, uint32, int16, int32, float32", z)
}

// applyBlock converts b to T, runs fn on it and checks the shape it returns.
func applyBlock[T, U stack.Elem](ctx context.Context, fn BlockFunc[T, U], b buf, shape [3]int) (buf, error) {
	in := b.convert(stack.DTypeOf[T]()).raw().([]T)
	v := &stack.Volume[T]{Shape: stack.ShapeOf(shape), Data: in}
	out, err := fn(ctx, v)
	if err != nil {
		return nil, err
	}
	if out == nil || out.Shape != v.Shape || len(out.Data) != len(in) {
		return nil, fmt.Errorf("%w: block function returned a volume of another shape than its input %v", ErrShape, v.Shape)
	}
	return any(vec[U](out.Data)).(buf), nil
}

// MapBlocks applies fn to every chunk of a, converted to T first, like
// dask's map_blocks. fn must return a volume of its input's shape.
func MapBlocks[T, U stack.Elem](a *Array, fn BlockFunc[T, U]) *Array {
	if a.err != nil {
		return a
	}
	if _, err := elemDType[T](); err != nil {
		return errArray(err)
	}
	udt, err := elemDType[U]()
	if err != nil {
		return errArray(err)
	}
	out := a.like("map_blocks", udt)
	layer := newLayer("map_blocks")
	for i, in := range a.blocks {
		shape := a.chunks.shapeOf(a.chunks.coords(i))
		out.blocks[i] = unary(layer, in, func(ctx context.Context, v []any) (any, error) {
			return applyBlock(ctx, fn, v[0].(buf), shape)
		})
	}
	return out
}

// OverlapOptions say how far chunks overlap and what lies beyond the edges.
type OverlapOptions struct {
	// Depth is the halo width on both sides of each axis, one per axis of
	// the array.
	Depth []int
	// Mode makes up values beyond the array's edges, with scipy.ndimage's
	// meanings (Reflect is the zero value, as in scipy).
	Mode stack.Mode
	// Cval is the value beyond the edges when Mode is stack.Constant.
	Cval float64
}

// segment is a run of consecutive tile positions along one axis that read
// consecutive (step ±1) positions of one source chunk, or that lie outside
// the array under Constant (chunk −1).
type segment struct {
	off, chunk, start, step, count int
}

// haloSegments maps the tile positions [lo−d, hi+d) of an axis of extent n
// to source chunks.
func haloSegments(starts []int, n, lo, hi, d int, mode stack.Mode) []segment {
	var out []segment
	for t := 0; t < hi-lo+2*d; t++ {
		c, l := -1, 0
		if j, ok := mode.MapIndex(lo-d+t, n); ok {
			c, l = locate(starts, j)
		}
		if k := len(out) - 1; k >= 0 {
			s := &out[k]
			if s.chunk == c && (c == -1 || s.count == 1 && (l-s.start == 1 || l-s.start == -1) || s.count > 1 && l == s.start+s.count*s.step) {
				if s.count == 1 && c != -1 {
					s.step = l - s.start
				}
				s.count++
				continue
			}
		}
		out = append(out, segment{off: t, chunk: c, start: l, step: 1, count: 1})
	}
	return out
}

// MapOverlap applies fn to every chunk grown by a halo read from its
// neighbours (and made up by opt.Mode beyond the array's edges), then keeps
// the core, like dask's map_overlap. A filter whose reach is at most the
// depth therefore gives the same result as on the whole array: for
// kernels.Gaussian, a depth of int(truncate·sigma + 0.5) per axis.
func MapOverlap[T, U stack.Elem](a *Array, opt OverlapOptions, fn BlockFunc[T, U]) *Array {
	if a.err != nil {
		return a
	}
	tdt, err := elemDType[T]()
	if err != nil {
		return errArray(err)
	}
	udt, err := elemDType[U]()
	if err != nil {
		return errArray(err)
	}
	if len(opt.Depth) != a.rank {
		return errArray(fmt.Errorf("%w: %d halo depths for rank %d", ErrShape, len(opt.Depth), a.rank))
	}
	depth, _ := pad3(opt.Depth, 0)
	for _, d := range depth {
		if d < 0 {
			return errArray(fmt.Errorf("array: negative halo depth in %v", opt.Depth))
		}
	}
	out := a.like("map_overlap", udt)
	layer := newLayer("map_overlap")
	starts := a.chunks.starts()
	for i := range out.blocks {
		idx := a.chunks.coords(i)
		core := a.chunks.shapeOf(idx)
		var segs [3][]segment
		var tile [3]int
		for ax := range 3 {
			lo := starts[ax][idx[ax]]
			segs[ax] = haloSegments(starts[ax], a.shape[ax], lo, lo+core[ax], depth[ax], opt.Mode)
			tile[ax] = core[ax] + 2*depth[ax]
		}
		type piece struct {
			dep                       int // index into deps, −1 for cval
			shape, start, step, count [3]int
			off                       [3]int
		}
		var pieces []piece
		var deps []*node
		depOf := map[int]int{}
		for _, sz := range segs[0] {
			for _, sy := range segs[1] {
				for _, sx := range segs[2] {
					p := piece{
						dep:   -1,
						off:   [3]int{sz.off, sy.off, sx.off},
						count: [3]int{sz.count, sy.count, sx.count},
					}
					if sz.chunk >= 0 && sy.chunk >= 0 && sx.chunk >= 0 {
						src := [3]int{sz.chunk, sy.chunk, sx.chunk}
						k := a.chunks.index(src)
						d, ok := depOf[k]
						if !ok {
							d = len(deps)
							depOf[k] = d
							deps = append(deps, a.blocks[k])
						}
						p.dep = d
						p.shape = a.chunks.shapeOf(src)
						p.start = [3]int{sz.start, sy.start, sx.start}
						p.step = [3]int{sz.step, sy.step, sx.step}
					}
					pieces = append(pieces, p)
				}
			}
		}
		cval := opt.Cval
		out.blocks[i] = &node{layer: layer, deps: deps, fn: func(ctx context.Context, v []any) (any, error) {
			src := make([]buf, len(v))
			for j := range v {
				src[j] = v[j].(buf).convert(tdt)
			}
			t := newBuf(tdt, tile[0]*tile[1]*tile[2])
			for _, p := range pieces {
				if p.dep < 0 {
					t.fill(cval, tile, p.off, p.count)
					continue
				}
				src[p.dep].copyTo(t, tile, p.off, p.shape, p.start, p.step, p.count)
			}
			r, err := applyBlock(ctx, fn, t, tile)
			if err != nil {
				return nil, err
			}
			c := newBuf(udt, core[0]*core[1]*core[2])
			r.copyTo(c, core, [3]int{}, tile, depth, [3]int{1, 1, 1}, core)
			return c, nil
		}}
	}
	return out
}
