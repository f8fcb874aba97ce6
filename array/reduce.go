package array

import (
	"context"
	"fmt"

	"github.com/segstack/segstack/stack"
)

// ReduceOptions tune a reduction.
type ReduceOptions struct {
	// Axes to reduce (negative counts from the end); empty means all axes,
	// which gives a rank-0 array.
	Axes []int
	// SplitEvery is the largest number of chunk summaries one task
	// combines, as dask's split_every: the summaries of the chunks along the
	// reduced axes are combined in a tree of this fan-in. Values below 2
	// mean the default, 4 (dask's default too).
	SplitEvery int
	// Ddof is Std's delta degrees of freedom: the divisor is N − Ddof.
	Ddof float64
}

// DefaultSplitEvery is the fan-in of the reduction tree when
// ReduceOptions.SplitEvery is not set.
const DefaultSplitEvery = 4

// Sum adds the elements over the given axes (all when none are given).
func (a *Array) Sum(axes ...int) *Array { return a.Reduce(ReduceSum, ReduceOptions{Axes: axes}) }

// Mean averages over the given axes (all when none are given).
func (a *Array) Mean(axes ...int) *Array { return a.Reduce(ReduceMean, ReduceOptions{Axes: axes}) }

// Min is the smallest element over the given axes (all when none are given).
func (a *Array) Min(axes ...int) *Array { return a.Reduce(ReduceMin, ReduceOptions{Axes: axes}) }

// Max is the largest element over the given axes (all when none are given).
func (a *Array) Max(axes ...int) *Array { return a.Reduce(ReduceMax, ReduceOptions{Axes: axes}) }

// Std is the population standard deviation (ddof 0, as numpy's default)
// over the given axes (all when none are given).
func (a *Array) Std(axes ...int) *Array { return a.Reduce(ReduceStd, ReduceOptions{Axes: axes}) }

// Reduce applies r over opt.Axes as a tree reduction: one task per chunk
// summarises it (sum, count, mean and M2, or extreme), then tasks combine
// at most opt.SplitEvery summaries each until one per output chunk is left,
// and a last task turns it into the result's elements. The reduced axes are
// removed from the result.
func (a *Array) Reduce(r Reduction, opt ReduceOptions) *Array {
	if a.err != nil {
		return a
	}
	if r < ReduceSum || r > ReduceStd {
		return errArray(fmt.Errorf("array: unknown reduction %d", int(r)))
	}
	var axes [3]bool
	if len(opt.Axes) == 0 {
		for ax := 3 - a.rank; ax < 3; ax++ {
			axes[ax] = true
		}
	}
	for _, u := range opt.Axes {
		ax, err := a.userAxis(u)
		if err != nil {
			return errArray(err)
		}
		if axes[ax] {
			return errArray(fmt.Errorf("%w: axis %d repeated", ErrShape, u))
		}
		axes[ax] = true
	}
	every := opt.SplitEvery
	if every < 2 {
		every = DefaultSplitEvery
	}
	var dt stack.DType
	switch r {
	case ReduceSum:
		dt = sumType(a.dt)
	case ReduceMean, ReduceStd:
		dt = meanType(a.dt)
	default:
		dt = a.dt
	}
	var keep []int
	for ax := 3 - a.rank; ax < 3; ax++ {
		if !axes[ax] {
			keep = append(keep, ax)
		}
	}
	rank := len(keep)
	out := &Array{name: r.String(), dt: dt, rank: rank, shape: [3]int{1, 1, 1}}
	for ax := range 3 {
		out.chunks[ax] = []int{1}
	}
	for i, ax := range keep {
		out.shape[3-rank+i] = a.shape[ax]
		out.chunks[3-rank+i] = a.chunks[ax]
	}
	out.blocks = make([]*node, out.chunks.len())

	partialLayer, combineLayer, aggLayer := newLayer(r.String()+"-partial"), newLayer(r.String()+"-combine"), newLayer(r.String()+"-aggregate")
	in := a.dt
	ddof := opt.Ddof
	// Group the input chunks by output chunk: the output chunk's index is
	// the input index with the reduced axes zeroed.
	groups := make(map[[3]int][]*node, len(out.blocks))
	order := make([][3]int, 0, len(out.blocks))
	for i, blk := range a.blocks {
		idx := a.chunks.coords(i)
		key := idx
		for ax := range 3 {
			if axes[ax] {
				key[ax] = 0
			}
		}
		shape := a.chunks.shapeOf(idx)
		p := unary(partialLayer, blk, func(_ context.Context, v []any) (any, error) {
			return v[0].(buf).reduce(r, shape, axes, false)
		})
		p.own = func(_ context.Context, v []any) (any, error) {
			return v[0].(buf).reduce(r, shape, axes, true)
		}
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], p)
	}
	fold := func(acc, x any) any {
		if acc == nil {
			return x
		}
		q := x.(*partial)
		acc.(*partial).combine(r, q)
		q.release()
		return acc
	}
	combineStream := &streamer{add: fold, done: func(acc any) any { return acc }}
	aggStream := &streamer{add: fold, done: func(acc any) any { return acc.(*partial).finish(r, in, ddof) }}
	combine := func(v []any) *partial {
		// Summaries have this task as their only consumer and reduction
		// tasks are not retried, so the first one is folded into in place.
		acc := v[0].(*partial)
		for _, x := range v[1:] {
			q := x.(*partial)
			acc.combine(r, q)
			q.release()
		}
		return acc
	}
	for _, key := range order {
		level := groups[key]
		for len(level) > every {
			next := make([]*node, 0, (len(level)+every-1)/every)
			for lo := 0; lo < len(level); lo += every {
				deps := level[lo:min(lo+every, len(level))]
				if len(deps) == 1 {
					next = append(next, deps[0]) // nothing to combine
					continue
				}
				next = append(next, &node{layer: combineLayer, deps: deps, stream: combineStream, fn: func(_ context.Context, v []any) (any, error) {
					return combine(v), nil
				}})
			}
			level = next
		}
		// The output chunk's position: the kept axes of key, padded.
		var oidx [3]int
		for i, ax := range keep {
			oidx[3-rank+i] = key[ax]
		}
		out.blocks[out.chunks.index(oidx)] = &node{layer: aggLayer, deps: level, stream: aggStream, fn: func(_ context.Context, v []any) (any, error) {
			return combine(v).finish(r, in, ddof), nil
		}}
	}
	return out
}
