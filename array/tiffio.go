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
	dt := r.DType()
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
		// Planes are read straight into pooled buffers (every element is
		// overwritten); a reduction fused with the read recycles them.
		a.blocks[i] = &node{layer: layer, fresh: true, fn: func(ctx context.Context, _ []any) (any, error) {
			out := getBuf(dt, n[0]*n[1]*n[2])
			if whole {
				raw := bytesOf(out)
				for z := range n[0] {
					if err := ctx.Err(); err != nil {
						putBuf(out)
						return nil, err
					}
					if err := r.ReadPlaneInto(lo[0]+z, raw[z*planeBytes:(z+1)*planeBytes]); err != nil {
						putBuf(out)
						return nil, err
					}
				}
				return out, nil
			}
			plane := getBuf(dt, s.Y*s.X)
			defer putBuf(plane)
			ps := [3]int{1, s.Y, s.X}
			for z := range n[0] {
				if err := r.ReadPlaneInto(lo[0]+z, bytesOf(plane)); err != nil {
					putBuf(out)
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
// compression and metadata; its Shape and DType are set from a. The array
// is computed a window of Z chunks at a time (one Z chunk more than the
// executor has workers, all chunks of a window in parallel) while the
// previous window is written, so memory holds about three windows whatever
// the stack's depth. Tasks that two windows share, such as the neighbours
// MapOverlap reads, are computed once per window. A nil exec starts a
// LocalCluster for the call.
func (a *Array) ToTIFF(ctx context.Context, exec delayed.Executor, path string, opts tiff.WriterOptions) error {
	if a.err != nil {
		return a.err
	}
	if a.rank < 2 {
		return fmt.Errorf("%w: a TIFF stack needs rank 2 or 3, not %d", ErrShape, a.rank)
	}
	if !a.dt.IsElem() {
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
	opts.DType = a.dt
	w, err := tiff.Create(path, opts)
	if err != nil {
		return err
	}
	if err := a.writeSlabs(ctx, exec, w); err != nil {
		w.Abort()
		return fmt.Errorf("array: writing %s: %w", path, err)
	}
	return w.Close()
}

// window is the chunks of a run of Z chunks, computed.
type window struct {
	first  int // first Z chunk
	blocks []buf
	err    error
}

func (a *Array) writeSlabs(ctx context.Context, exec delayed.Executor, w *tiff.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	counts := a.chunks.counts()
	per := counts[1] * counts[2] // chunks per Z chunk
	size := workersOf(exec) + 1
	results := make(chan window, 1)
	go func() {
		defer close(results)
		for first := 0; first < counts[0]; first += size {
			last := min(first+size, counts[0])
			blocks, err := runNodes(ctx, exec, a.blocks[first*per:last*per])
			select {
			case results <- window{first, blocks, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	starts := a.chunks.starts()
	shape := a.shape
	ps := [3]int{1, shape[1], shape[2]}
	plane := newBuf(a.dt, shape[1]*shape[2])
	for win := range results {
		if win.err != nil {
			return win.err
		}
		for k := 0; k*per < len(win.blocks); k++ {
			cz := win.first + k
			for z := range a.chunks[0][cz] {
				for j := range per {
					idx := [3]int{cz, j / counts[2], j % counts[2]}
					n := a.chunks.shapeOf(idx)
					off := [3]int{0, starts[1][idx[1]], starts[2][idx[2]]}
					win.blocks[k*per+j].copyTo(plane, ps, off, n, [3]int{z, 0, 0}, [3]int{1, 1, 1}, [3]int{1, n[1], n[2]})
				}
				if err := w.WritePlane(bytesOf(plane)); err != nil {
					cancel()
					for range results { // let the producer finish
					}
					return err
				}
			}
		}
	}
	return ctx.Err()
}
