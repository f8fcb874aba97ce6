package array

import (
	"context"
	"errors"
	"fmt"

	"github.com/segstack/segstack/delayed"
	"github.com/segstack/segstack/sched"
	"github.com/segstack/segstack/stack/tiff"
)

// FromTIFF is a lazy 3-D array (Z, Y, X) over the planes of an open TIFF
// stack, with chunks of at most chunk = {cz, cy, cx} elements (nil means
// one plane per chunk). A chunk's task decodes its planes when it runs, so
// a reduction over Z holds only the planes in flight. Chunks narrower than
// a plane decode whole planes and crop them. r must stay open until the
// array's computations end.
func FromTIFF(r *tiff.Reader, chunk []int) *Array {
	if r == nil {
		return errArray(errors.New("array: nil TIFF reader"))
	}
	dt := FromStack(r.DType())
	s := r.Shape()
	if chunk == nil {
		chunk = []int{1, s.Y, s.X}
	}
	a, err := newArray("imread", dt, []int{s.Z, s.Y, s.X}, chunk)
	if err != nil {
		return errArray(err)
	}
	starts := a.chunks.starts()
	layer := newLayer("imread")
	planeBytes := r.PlaneBytes()
	for i := range a.blocks {
		idx := a.chunks.coords(i)
		lo := [3]int{starts[0][idx[0]], starts[1][idx[1]], starts[2][idx[2]]}
		n := a.chunks.shapeOf(idx)
		whole := n[1] == s.Y && n[2] == s.X
		a.blocks[i] = &node{layer: layer, fn: func(ctx context.Context, _ []any) (any, error) {
			out := newBuf(dt, n[0]*n[1]*n[2])
			if whole {
				raw := bytesOf(out)
				for z := range n[0] {
					if err := ctx.Err(); err != nil {
						return nil, err
					}
					if err := r.ReadPlaneInto(lo[0]+z, raw[z*planeBytes:(z+1)*planeBytes]); err != nil {
						return nil, err
					}
				}
				return out, nil
			}
			plane := newBuf(dt, s.Y*s.X)
			ps := [3]int{1, s.Y, s.X}
			for z := range n[0] {
				if err := r.ReadPlaneInto(lo[0]+z, bytesOf(plane)); err != nil {
					return nil, err
				}
				plane.copyTo(out, n, [3]int{z, 0, 0}, ps, [3]int{0, lo[1], lo[2]}, [3]int{1, 1, 1}, [3]int{1, n[1], n[2]})
			}
			return out, nil
		}}
	}
	return a
}

// ToTIFF computes a (rank 2 or 3, of an element type TIFF stores) and
// streams it plane by plane into a new TIFF file at path. opts gives the
// compression and metadata; its Shape and DType are set from a. The
// writes are tasks of the same graph, chained in plane order, so slabs of
// planes are written as soon as they are computed and not all held at once.
// A nil exec starts a LocalCluster for the call.
func (a *Array) ToTIFF(ctx context.Context, exec delayed.Executor, path string, opts tiff.WriterOptions) error {
	if a.err != nil {
		return a.err
	}
	if a.rank < 2 {
		return fmt.Errorf("%w: a TIFF stack needs rank 2 or 3, not %d", ErrShape, a.rank)
	}
	sdt := a.dt.Stack()
	if sdt == 0 {
		return fmt.Errorf("array: TIFF files do not hold %v; use Astype first", a.dt)
	}
	if exec == nil {
		c, err := sched.NewLocalCluster(sched.Options{})
		if err != nil {
			return fmt.Errorf("array: starting a local cluster: %w", err)
		}
		defer c.Close()
		exec = c
	}
	opts.Shape = stackShape(a.shape)
	opts.DType = sdt
	w, err := tiff.Create(path, opts)
	if err != nil {
		return err
	}
	counts := a.chunks.counts()
	starts := a.chunks.starts()
	layer := newLayer("to_tiff")
	var prev *node
	for cz := range counts[0] {
		deps := make([]*node, 0, 1+counts[1]*counts[2])
		if prev != nil {
			deps = append(deps, prev)
		}
		type piece struct{ shape, off [3]int }
		var pieces []piece
		for cy := range counts[1] {
			for cx := range counts[2] {
				idx := [3]int{cz, cy, cx}
				deps = append(deps, a.blocks[a.chunks.index(idx)])
				pieces = append(pieces, piece{a.chunks.shapeOf(idx), [3]int{0, starts[1][cy], starts[2][cx]}})
			}
		}
		nz := a.chunks[0][cz]
		first := 0
		if prev != nil {
			first = 1
		}
		dt, shape := a.dt, a.shape
		prev = &node{layer: layer, deps: deps, fn: func(ctx context.Context, v []any) (any, error) {
			ps := [3]int{1, shape[1], shape[2]}
			plane := newBuf(dt, shape[1]*shape[2])
			for z := range nz {
				for j, p := range pieces {
					b := v[first+j].(buf)
					b.copyTo(plane, ps, p.off, p.shape, [3]int{z, 0, 0}, [3]int{1, 1, 1}, [3]int{1, p.shape[1], p.shape[2]})
				}
				if err := w.WritePlane(bytesOf(plane)); err != nil {
					return nil, err
				}
			}
			return nil, nil
		}}
	}
	last := lower([]*node{prev})[0]
	if err := delayed.Compute(ctx, gated(exec), last); err != nil {
		w.Abort()
		return fmt.Errorf("array: writing %s: %w", path, err)
	}
	return w.Close()
}
