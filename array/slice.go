package array

import (
	"context"
	"fmt"
)

// Spec selects along one axis, like one entry of a numpy index: a slice
// start:stop:step (with numpy's defaults and negative indices) or a single
// integer index, which drops the axis. Build one with S, All, From, To,
// Range, Every or At.
type Spec struct {
	start, stop       int
	hasStart, hasStop bool
	step              int
	index             bool
	err               error
}

func bound(v any) (int, bool, error) {
	switch x := v.(type) {
	case nil:
		return 0, false, nil
	case int:
		return x, true, nil
	}
	return 0, false, fmt.Errorf("array: slice bound %v (%T) is neither an int nor nil", v, v)
}

// S is the slice start:stop:step; start and stop are ints or nil (numpy's
// None), so S(0, nil, 2) is 0::2 and S(nil, nil, -1) is ::-1.
func S(start, stop any, step int) Spec {
	var s Spec
	var err1, err2 error
	s.start, s.hasStart, err1 = bound(start)
	s.stop, s.hasStop, err2 = bound(stop)
	s.step = step
	if err1 != nil {
		s.err = err1
	} else if err2 != nil {
		s.err = err2
	}
	return s
}

// All is ":".
func All() Spec { return Spec{step: 1} }

// From is "start:".
func From(start int) Spec { return Spec{start: start, hasStart: true, step: 1} }

// To is ":stop".
func To(stop int) Spec { return Spec{stop: stop, hasStop: true, step: 1} }

// Range is "start:stop".
func Range(start, stop int) Spec {
	return Spec{start: start, hasStart: true, stop: stop, hasStop: true, step: 1}
}

// Every is "::step".
func Every(step int) Spec { return Spec{step: step} }

// At is the integer index i (negative counts from the end); the axis is
// dropped from the result.
func At(i int) Spec { return Spec{start: i, index: true, step: 1} }

func (s Spec) String() string {
	if s.index {
		return fmt.Sprint(s.start)
	}
	f := func(v int, ok bool) string {
		if !ok {
			return ""
		}
		return fmt.Sprint(v)
	}
	return fmt.Sprintf("%s:%s:%d", f(s.start, s.hasStart), f(s.stop, s.hasStop), s.step)
}

// resolve applies s to an axis of extent n as numpy's slice.indices does and
// returns the first index, the step and the number of elements selected.
func (s Spec) resolve(n int) (first, step, count int, err error) {
	if s.err != nil {
		return 0, 0, 0, s.err
	}
	if s.index {
		i := s.start
		if i < 0 {
			i += n
		}
		if i < 0 || i >= n {
			return 0, 0, 0, fmt.Errorf("%w: index %d out of range for extent %d", ErrShape, s.start, n)
		}
		return i, 1, 1, nil
	}
	step = s.step
	if step == 0 {
		return 0, 0, 0, fmt.Errorf("array: slice step cannot be zero")
	}
	lower, upper := 0, n
	if step < 0 {
		lower, upper = -1, n-1
	}
	norm := func(v int, ok bool, def int) int {
		if !ok {
			return def
		}
		if v < 0 {
			v += n
		}
		return min(max(v, lower), upper)
	}
	var start, stop int
	if step > 0 {
		start, stop = norm(s.start, s.hasStart, lower), norm(s.stop, s.hasStop, upper)
	} else {
		start, stop = norm(s.start, s.hasStart, upper), norm(s.stop, s.hasStop, lower)
	}
	if step > 0 && stop > start {
		count = (stop - start + step - 1) / step
	} else if step < 0 && start > stop {
		count = (start - stop - step - 1) / -step
	}
	if count == 0 {
		return 0, 0, 0, fmt.Errorf("%w: slice %v selects nothing from extent %d (empty arrays are not supported)", ErrShape, s, n)
	}
	return start, step, count, nil
}

// run is the part of an output axis read from one input chunk.
type run struct {
	chunk, start, count int
}

// runs splits the selection first + k·step (k < count) by input chunk.
func runs(starts []int, first, step, count int) []run {
	var out []run
	for k := 0; k < count; {
		c, local := locate(starts, first+k*step)
		// How many more selected indices stay inside chunk c.
		lo, hi := starts[c], starts[c+1]
		var m int
		if step > 0 {
			m = (hi-1-(first+k*step))/step + 1
		} else {
			m = (first+k*step-lo)/(-step) + 1
		}
		m = min(m, count-k)
		out = append(out, run{c, local, m})
		k += m
	}
	return out
}

// Slice selects with one Spec per axis, like numpy's basic indexing
// a[s0, s1, ...]; axes without a Spec are taken whole. Integer indices
// (At) drop their axis. Every output chunk comes from a single input chunk,
// so the result keeps a's chunk boundaries.
func (a *Array) Slice(specs ...Spec) *Array {
	if a.err != nil {
		return a
	}
	if len(specs) > a.rank {
		return errArray(fmt.Errorf("%w: %d indices for rank %d", ErrShape, len(specs), a.rank))
	}
	starts := a.chunks.starts()
	var axisRuns [3][]run
	var step [3]int
	var drop [3]bool
	for ax := range 3 {
		s := All()
		if u := ax - (3 - a.rank); u >= 0 && u < len(specs) {
			s = specs[u]
		}
		first, st, count, err := s.resolve(a.shape[ax])
		if err != nil {
			return errArray(fmt.Errorf("axis %d: %w", ax-(3-a.rank), err))
		}
		step[ax] = st
		drop[ax] = s.index
		axisRuns[ax] = runs(starts[ax], first, st, count)
	}
	// Output layout: kept axes in order, padded in front.
	var keep []int
	for ax := 3 - a.rank; ax < 3; ax++ {
		if !drop[ax] {
			keep = append(keep, ax)
		}
	}
	rank := len(keep)
	out := &Array{name: "getitem", dt: a.dt, rank: rank, shape: [3]int{1, 1, 1}}
	for ax := range 3 {
		out.chunks[ax] = []int{1}
	}
	for i, ax := range keep {
		o := 3 - rank + i
		out.chunks[o] = nil
		out.shape[o] = 0
		for _, r := range axisRuns[ax] {
			out.chunks[o] = append(out.chunks[o], r.count)
			out.shape[o] += r.count
		}
	}
	out.blocks = make([]*node, 0, out.chunks.len())
	layer := newLayer("getitem")
	// Output chunks in raster order are the product of the runs in input
	// axis order, since dropped and padding axes have a single run.
	for _, rz := range axisRuns[0] {
		for _, ry := range axisRuns[1] {
			for _, rx := range axisRuns[2] {
				src := [3]int{rz.chunk, ry.chunk, rx.chunk}
				in := a.blocks[a.chunks.index(src)]
				shape := a.chunks.shapeOf(src)
				start := [3]int{rz.start, ry.start, rx.start}
				count := [3]int{rz.count, ry.count, rx.count}
				if count == shape && step == [3]int{1, 1, 1} {
					out.blocks = append(out.blocks, in)
					continue
				}
				dt, st := a.dt, step
				out.blocks = append(out.blocks, unary(layer, in, func(_ context.Context, v []any) (any, error) {
					dst := newBuf(dt, count[0]*count[1]*count[2])
					v[0].(buf).copyTo(dst, count, [3]int{}, shape, start, st, count)
					return dst, nil
				}))
			}
		}
	}
	return out
}
