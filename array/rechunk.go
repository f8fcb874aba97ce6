package array

import (
	"context"
	"fmt"
)

// Rechunk returns a with chunks of at most chunk elements per axis (the
// last chunk along an axis may be smaller). Each new chunk is assembled by
// one task from the old chunks it overlaps.
func (a *Array) Rechunk(chunk []int) *Array {
	if a.err != nil {
		return a
	}
	if len(chunk) != a.rank {
		return errArray(fmt.Errorf("%w: %d chunk extents for rank %d", ErrShape, len(chunk), a.rank))
	}
	c, _ := pad3(chunk, 1)
	ch, err := regular(a.shape, c)
	if err != nil {
		return errArray(err)
	}
	return a.rechunkTo(ch)
}

// rechunkTo lays a out over the chunking c of the same shape.
func (a *Array) rechunkTo(c chunks) *Array {
	if a.chunks.equal(c) {
		return a
	}
	out := &Array{name: "rechunk", dt: a.dt, rank: a.rank, shape: a.shape, chunks: c, blocks: make([]*node, c.len())}
	ins, outs := a.chunks.starts(), c.starts()
	layer := newLayer("rechunk")
	for i := range out.blocks {
		idx := c.coords(i)
		var lo, hi [3]int
		var first, last [3]int
		for ax := range 3 {
			lo[ax] = outs[ax][idx[ax]]
			hi[ax] = outs[ax][idx[ax]+1]
			first[ax], _ = locate(ins[ax], lo[ax])
			last[ax], _ = locate(ins[ax], hi[ax]-1)
		}
		n := c.shapeOf(idx)
		type piece struct{ shape, start, off, count [3]int }
		var deps []*node
		var pieces []piece
		for z := first[0]; z <= last[0]; z++ {
			for y := first[1]; y <= last[1]; y++ {
				for x := first[2]; x <= last[2]; x++ {
					src := [3]int{z, y, x}
					var p piece
					p.shape = a.chunks.shapeOf(src)
					for ax := range 3 {
						s := ins[ax][src[ax]]
						from := max(lo[ax], s)
						to := min(hi[ax], s+p.shape[ax])
						p.start[ax] = from - s
						p.off[ax] = from - lo[ax]
						p.count[ax] = to - from
					}
					deps = append(deps, a.blocks[a.chunks.index(src)])
					pieces = append(pieces, p)
				}
			}
		}
		if len(deps) == 1 && pieces[0].count == pieces[0].shape {
			out.blocks[i] = deps[0] // the chunk is unchanged
			continue
		}
		dt := a.dt
		out.blocks[i] = &node{layer: layer, deps: deps, fn: func(_ context.Context, v []any) (any, error) {
			dst := newBuf(dt, n[0]*n[1]*n[2])
			for j, p := range pieces {
				v[j].(buf).copyTo(dst, n, p.off, p.shape, p.start, [3]int{1, 1, 1}, p.count)
			}
			return dst, nil
		}}
	}
	return out
}
