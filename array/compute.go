package array

import (
	"context"
	"fmt"

	"github.com/segstack/segstack/delayed"
	"github.com/segstack/segstack/sched"
	"github.com/segstack/segstack/stack"
)

// lower turns the tasks behind outs into delayed values, sharing tasks that
// several chunks need. A linear chain of tasks, each the only consumer of
// the one below (a chunk read, then its reduction summary, say), becomes one
// delayed task, as dask's fuse does: the intermediate chunk never waits in
// memory between two tasks. Priorities follow a depth-first walk from the
// outputs, so that a scheduler that honours them (sched's LocalCluster)
// finishes a chunk's consumers before it starts far-away chunks. delayed
// itself starts the ready tasks it collected last first; the walk visits
// dependencies last to first so that both orders agree.
func lower(outs []*node) []delayed.Value[any] {
	users := make(map[*node]int32, 2*len(outs))
	out := make(map[*node]bool, len(outs))
	work := make([]*node, 0, len(outs))
	for _, n := range outs {
		out[n] = true
		if _, ok := users[n]; !ok {
			users[n] = 0
			work = append(work, n)
		}
	}
	for len(work) > 0 {
		n := work[len(work)-1]
		work = work[:len(work)-1]
		for _, d := range n.deps {
			if _, ok := users[d]; !ok {
				work = append(work, d)
			}
			users[d]++
		}
	}
	fusible := func(d *node) bool { return d.fn != nil && users[d] == 1 && !out[d] }

	vals := make(map[*node]delayed.Value[any], len(users))
	prio := 0
	var visit func(n *node) delayed.Value[any]
	visit = func(n *node) delayed.Value[any] {
		if v, ok := vals[n]; ok {
			return v
		}
		var v delayed.Value[any]
		if fn, ok := streamInputs(n, fusible); ok {
			v = delayed.CallN(n.layer.name, fn, nil, delayed.Priority(prio))
			prio++
		} else if n.fn == nil {
			v = delayed.Of[any](n.val)
		} else {
			fn, deps := fuseChain(n, fusible)
			args := make([]delayed.Value[any], len(deps))
			// Last to first, as delayed starts the ready tasks it found
			// last first: priorities then agree with its order.
			for i := len(deps) - 1; i >= 0; i-- {
				args[i] = visit(deps[i])
			}
			v = delayed.CallN(n.layer.name, fn, args, delayed.Priority(prio))
			prio++
		}
		vals[n] = v
		return v
	}
	res := make([]delayed.Value[any], len(outs))
	for i := len(outs) - 1; i >= 0; i-- {
		res[i] = visit(outs[i])
	}
	return res
}

// fuseChain follows top down through single dependencies that fusible
// allows and returns one function computing top from the dependencies of
// the chain's lowest task.
func fuseChain(top *node, fusible func(*node) bool) (taskFunc, []*node) {
	chain := []*node{top}
	for n := top; len(n.deps) == 1 && fusible(n.deps[0]); n = n.deps[0] {
		chain = append(chain, n.deps[0])
	}
	if len(chain) == 1 {
		return top.fn, top.deps
	}
	bottom := chain[len(chain)-1]
	// A fresh intermediate is seen by the next task of the chain only, so
	// that task may take it over (reuse or recycle it).
	fns := make([]taskFunc, len(chain)-1)
	for i := range fns {
		fns[i] = chain[i].fn
		if chain[i+1].fresh && chain[i].own != nil {
			fns[i] = chain[i].own
		}
	}
	return func(ctx context.Context, v []any) (any, error) {
		x, err := bottom.fn(ctx, v)
		for i := len(chain) - 2; i >= 0 && err == nil; i-- {
			x, err = fns[i](ctx, []any{x})
		}
		return x, err
	}, bottom.deps
}

// streamInputs makes one task of a streaming node (a reduction's combine)
// and the chains of tasks that make its inputs, when each input's chain is
// used by this node alone and needs nothing from elsewhere (a plane read
// and its summary, say): the task runs the chains one after another and
// folds each result in at once. A reduction over Z then reads a plane into
// a buffer that the previous plane just left, on the core that folds it,
// and holds two planes per task instead of one per input.
func streamInputs(n *node, fusible func(*node) bool) (taskFunc, bool) {
	if n.stream == nil || n.fn == nil || len(n.deps) < 2 {
		return nil, false
	}
	fns := make([]taskFunc, len(n.deps))
	for i, d := range n.deps {
		if !fusible(d) {
			return nil, false
		}
		fn, deps := fuseChain(d, fusible)
		if len(deps) > 0 {
			return nil, false
		}
		fns[i] = fn
	}
	st := n.stream
	return func(ctx context.Context, _ []any) (any, error) {
		var acc any
		for _, fn := range fns {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			x, err := fn(ctx, nil)
			if err != nil {
				return nil, err
			}
			acc = st.add(acc, x)
		}
		return st.done(acc), nil
	}, true
}

// Graph returns the delayed graph that computes a's chunks, to inspect or
// draw with its Dot method (dask's visualize).
func (a *Array) Graph() (*delayed.Graph, error) {
	if a.err != nil {
		return nil, a.err
	}
	vals := lower(a.blocks)
	nodes := make([]delayed.Node, len(vals))
	for i, v := range vals {
		nodes[i] = v
	}
	return delayed.GraphOf(nodes...), nil
}

// run computes the chunks of a on exec; a nil exec means a LocalCluster with
// one worker per core for the duration of the call.
func (a *Array) run(ctx context.Context, exec delayed.Executor) ([]buf, error) {
	if a.err != nil {
		return nil, a.err
	}
	if exec == nil {
		c, err := sched.NewLocalCluster(sched.Options{})
		if err != nil {
			return nil, fmt.Errorf("array: starting a local cluster: %w", err)
		}
		defer c.Close()
		exec = c
	}
	out, err := runNodes(ctx, exec, a.blocks)
	if err != nil {
		return nil, fmt.Errorf("array: computing %v: %w", a, err)
	}
	return out, nil
}

// runNodes computes the chunks of blocks on exec.
func runNodes(ctx context.Context, exec delayed.Executor, blocks []*node) ([]buf, error) {
	vals := lower(blocks)
	nodes := make([]delayed.Node, len(vals))
	for i, v := range vals {
		nodes[i] = v
	}
	if err := delayed.Compute(ctx, bounded(exec), nodes...); err != nil {
		return nil, err
	}
	out := make([]buf, len(vals))
	for i, v := range vals {
		r, err := v.Result()
		if err != nil {
			return nil, err
		}
		b, ok := r.(buf)
		if !ok {
			return nil, fmt.Errorf("array: internal error: chunk %d is a %T", i, r)
		}
		out[i] = b
	}
	return out, nil
}

// Compute runs the graph on exec (a *sched.LocalCluster, delayed.Serial(),
// ...; nil starts a LocalCluster with one worker per core for the call) and
// assembles the chunks into one Result.
func (a *Array) Compute(ctx context.Context, exec delayed.Executor) (*Result, error) {
	blocks, err := a.run(ctx, exec)
	if err != nil {
		return nil, err
	}
	return assemble(a.Shape(), a.shape, a.dt, a.chunks, blocks), nil
}

// Persist computes every chunk and returns an array with a's layout whose
// chunks are those results, held in memory: later graphs built on it start
// from them (one task per chunk) instead of recomputing a.
func (a *Array) Persist(ctx context.Context, exec delayed.Executor) (*Array, error) {
	blocks, err := a.run(ctx, exec)
	if err != nil {
		return nil, err
	}
	out := a.like(a.name, a.dt)
	l := newLayer(a.name)
	for i, b := range blocks {
		out.blocks[i] = &node{layer: l, val: b}
	}
	return out, nil
}

// Result is a computed array: its shape, element type and elements in
// row-major order.
type Result struct {
	shape  []int
	shape3 [3]int
	dt     stack.DType
	data   buf
}

// Shape is the extent along each axis (empty for a scalar).
func (r *Result) Shape() []int { return append([]int{}, r.shape...) }

// DType is the element type.
func (r *Result) DType() stack.DType { return r.dt }

// Len is the number of elements.
func (r *Result) Len() int { return r.data.length() }

// At returns the element at the given index (one per axis) as float64.
func (r *Result) At(idx ...int) (float64, error) {
	if len(idx) != len(r.shape) {
		return 0, fmt.Errorf("%w: %d indices for rank %d", ErrShape, len(idx), len(r.shape))
	}
	o := 0
	for i, x := range idx {
		if x < 0 || x >= r.shape[i] {
			return 0, fmt.Errorf("%w: index %v out of range for shape %v", ErrShape, idx, r.shape)
		}
		o = o*r.shape[i] + x
	}
	return r.data.at(o), nil
}

// Float64s returns a copy of the elements converted to float64.
func (r *Result) Float64s() []float64 {
	if r.dt == stack.Float64 {
		return append([]float64(nil), r.data.raw().([]float64)...)
	}
	return r.data.convert(stack.Float64).raw().([]float64)
}

// Scalar returns the only element of a rank-0 (or one-element) result.
func (r *Result) Scalar() (float64, error) {
	if r.data.length() != 1 {
		return 0, fmt.Errorf("%w: result of shape %v is not a scalar", ErrShape, r.shape)
	}
	return r.data.at(0), nil
}

// Data returns r's elements when T is r's element type (no copy).
func Data[T stack.Number](r *Result) ([]T, error) {
	d, ok := r.data.raw().([]T)
	if !ok {
		var z T
		return nil, fmt.Errorf("array: result holds %v, not %T", r.dt, z)
	}
	return d, nil
}

// ToVolume returns r as a stack volume of element type T, converting the
// elements as Astype does. Results of rank below 3 get extent 1 in front.
func ToVolume[T stack.Elem](r *Result) (*stack.Volume[T], error) {
	dt, err := elemDType[T]()
	if err != nil {
		return nil, err
	}
	return stack.FromSlice(stack.ShapeOf(r.shape3), r.data.convert(dt).raw().([]T))
}

func stackShape(s [3]int) stack.Shape { return stack.Shape{Z: s[0], Y: s[1], X: s[2]} }

// ToDelayed returns a lazy value that computes a into a Result, so that an
// array can feed delayed functions (dask's to_delayed, with the chunks
// assembled). The value's graph holds a's tasks plus one assembling task.
func (a *Array) ToDelayed() (delayed.Value[*Result], error) {
	if a.err != nil {
		return delayed.Value[*Result]{}, a.err
	}
	parts := lower(a.blocks)
	shape := a.shape
	dt := a.dt
	ch := a.chunks
	user := a.Shape()
	return delayed.CallN("assemble", func(_ context.Context, v []any) (*Result, error) {
		blocks := make([]buf, len(v))
		for i, x := range v {
			blocks[i] = x.(buf)
		}
		return assemble(user, shape, dt, ch, blocks), nil
	}, parts), nil
}

// assemble copies computed chunks into one Result.
func assemble(user []int, shape [3]int, dt stack.DType, ch chunks, blocks []buf) *Result {
	r := &Result{shape: user, dt: dt, shape3: shape}
	if len(blocks) == 1 {
		// The chunk may be a persisted one that other graphs still read.
		r.data = cloneBuf(blocks[0])
		return r
	}
	r.data = newBuf(dt, shape[0]*shape[1]*shape[2])
	starts := ch.starts()
	for i, b := range blocks {
		idx := ch.coords(i)
		n := ch.shapeOf(idx)
		off := [3]int{starts[0][idx[0]], starts[1][idx[1]], starts[2][idx[2]]}
		b.copyTo(r.data, shape, off, n, [3]int{}, [3]int{1, 1, 1}, n)
	}
	return r
}
