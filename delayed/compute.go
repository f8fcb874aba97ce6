package delayed

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/segstack/segstack/internal/heap"
	"github.com/segstack/segstack/sched"
)

// Executor runs the tasks of a computation. *sched.LocalCluster is one;
// Serial and Parallel are simple ones. Go must eventually call job.Finish
// exactly once (possibly before it returns) and may block to apply
// back-pressure.
//
// An executor may also have the methods Parallelism() int (Compute then
// keeps at most a few tasks per worker handed to it, so that nodes that
// become ready later are not queued behind every input) and Plan(kind
// string, n int) (Compute announces its nodes by kind before it starts, for
// progress reports).
type Executor interface {
	Go(ctx context.Context, spec sched.TaskSpec, job sched.Job)
}

// Serial returns an executor that runs each task at once in the calling
// goroutine: a graph computes in one goroutine, in a dependency order.
func Serial() Executor { return serial{} }

type serial struct{}

func (serial) Go(ctx context.Context, spec sched.TaskSpec, job sched.Job) {
	job.Finish(runRetrying(ctx, spec, job, sched.WorkerInfo{Kind: "cpu", Threads: 1, Resources: sched.CPU}))
}

// Parallelism reports n.
func (p *parallel) Parallelism() int { return cap(p.sem) }

// Parallel returns an executor that runs each task in its own goroutine, at
// most n at once (n < 1 means 1). It ignores Resources and Priority.
func Parallel(n int) Executor {
	if n < 1 {
		n = 1
	}
	return &parallel{sem: make(chan struct{}, n)}
}

type parallel struct{ sem chan struct{} }

func (p *parallel) Go(ctx context.Context, spec sched.TaskSpec, job sched.Job) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		job.Finish(ctx.Err())
		return
	}
	go func() {
		err := runRetrying(ctx, spec, job, sched.WorkerInfo{Kind: "cpu", Threads: 1, Resources: sched.CPU})
		<-p.sem
		job.Finish(err)
	}()
}

func runRetrying(ctx context.Context, spec sched.TaskSpec, job sched.Job, w sched.WorkerInfo) error {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := job.Run(ctx, w)
		if err == nil || attempt >= spec.Retries || ctx.Err() != nil {
			return err
		}
	}
}

// windowPerWorker bounds the nodes handed to an executor that reports its
// Parallelism: at most this many per worker are queued or running, so that
// nodes becoming ready later (reductions, writes) are not stuck behind a
// long queue of inputs, and memory follows the work in flight.
const windowPerWorker = 4

// computation is the state of one Compute.
type computation struct {
	claimed []*node // every node this computation owns
	nodes   []*node
	wait    []int32 // unfinished dependencies
	left    []int32 // dependents not yet run (for releasing results)
	target  []bool
	alias   []int32 // canonical index for a node sharing its key, else -1
	outOff  []int32 // dependents of i: out[outOff[i]:outOff[i+1]]
	out     []int32
	jobs    []nodeJob
	cancel  context.CancelFunc
	wake    chan struct{}
	mu      sync.Mutex
	done    []finished
	spare   []finished
	firstEr error
}

type finished struct {
	i   int32
	err error
}

// nodeJob runs one node for the executor.
type nodeJob struct {
	c *computation
	n *node
	i int32
}

func (j *nodeJob) Run(ctx context.Context, w sched.WorkerInfo) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &sched.PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	if len(j.n.spec.Resources) > 0 {
		ctx = context.WithValue(ctx, workerKey{}, w)
	}
	return j.n.impl.run(ctx)
}

type workerKey struct{}

// WorkerOf tells a node's function which worker runs it, so a node given
// alternative Resources (say sched.CPU and sched.GPU) can pick its
// implementation. It reports false for nodes given no Resources.
func WorkerOf(ctx context.Context) (sched.WorkerInfo, bool) {
	w, ok := ctx.Value(workerKey{}).(sched.WorkerInfo)
	return w, ok
}

func (j *nodeJob) Finish(err error) {
	c := j.c
	c.mu.Lock()
	c.done = append(c.done, finished{j.i, err})
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// collect claims the graph under targets for c, in an order where every
// node comes after its dependencies.
func (c *computation) collect(targets []Node) error {
	keys := map[string]int32{}
	type frame struct {
		n    *node
		next int
	}
	var stack []frame
	add := func(n *node) {
		n.idx = int32(len(c.nodes))
		c.nodes = append(c.nodes, n)
		c.alias = append(c.alias, -1)
	}
	for _, t := range targets {
		root := t.base()
		if root.leaf || root.owner.Load() == c {
			continue
		}
		if !root.owner.CompareAndSwap(nil, c) {
			return fmt.Errorf("%w: %q", ErrBusy, root.spec.Name)
		}
		c.claimed = append(c.claimed, root)
		stack = append(stack[:0], frame{n: root})
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			n := f.n
			if n.key != "" && f.next == 0 {
				if k, ok := keys[n.key]; ok {
					// Same key as a node already collected: adopt its result.
					stack = stack[:len(stack)-1]
					add(n)
					c.alias[n.idx] = k
					continue
				}
			}
			if f.next < len(n.deps) {
				d := n.deps[f.next]
				f.next++
				if d.leaf || d.owner.Load() == c {
					continue
				}
				if !d.owner.CompareAndSwap(nil, c) {
					return fmt.Errorf("%w: %q", ErrBusy, d.spec.Name)
				}
				c.claimed = append(c.claimed, d)
				stack = append(stack, frame{n: d})
				continue
			}
			stack = stack[:len(stack)-1]
			add(n)
			if n.key != "" {
				keys[n.key] = n.idx
			}
		}
	}
	return nil
}

func (c *computation) release() {
	for _, n := range c.claimed {
		n.owner.Store(nil)
	}
}

// Compute runs the graphs of values on exec and stores each value's result,
// read with Value.Result. It returns the first failure, a *NodeError, after
// cancelling the rest of the computation and waiting for running nodes; or
// ctx's error. Constants and persisted values are not run.
func Compute(ctx context.Context, exec Executor, values ...Node) error {
	c := &computation{wake: make(chan struct{}, 1)}
	if err := c.collect(values); err != nil {
		c.release()
		return err
	}
	defer c.release()
	n := len(c.nodes)
	if n == 0 {
		return nil
	}
	c.wait = make([]int32, n)
	c.left = make([]int32, n)
	c.target = make([]bool, n)
	c.outOff = make([]int32, n+1)
	c.jobs = make([]nodeJob, n)
	for _, v := range values {
		if b := v.base(); !b.leaf {
			c.target[b.idx] = true
		}
	}
	// Count edges: a node's dependencies within the computation, or its
	// canonical node for an alias.
	for i, nd := range c.nodes {
		nd.state.Store(stateNone)
		nd.err = nil
		if k := c.alias[i]; k >= 0 {
			c.wait[i] = 1
			c.left[k]++
			c.outOff[k+1]++
			continue
		}
		for _, d := range nd.deps {
			if !d.leaf {
				c.wait[i]++
				c.left[d.idx]++
				c.outOff[d.idx+1]++
			}
		}
	}
	for i := 0; i < n; i++ {
		c.outOff[i+1] += c.outOff[i]
	}
	c.out = make([]int32, c.outOff[n])
	fill := make([]int32, n)
	copy(fill, c.outOff[:n])
	ready := &readyHeap{}
	for i, nd := range c.nodes {
		if k := c.alias[i]; k >= 0 {
			c.out[fill[k]] = int32(i)
			fill[k]++
			continue
		}
		for _, d := range nd.deps {
			if !d.leaf {
				c.out[fill[d.idx]] = int32(i)
				fill[d.idx]++
			}
		}
		if c.wait[i] == 0 {
			c.pushReady(ready, int32(i))
		}
	}

	planner, _ := exec.(interface{ Plan(kind string, n int) })
	if planner != nil {
		plan := map[string]int{}
		for i, nd := range c.nodes {
			if c.alias[i] < 0 {
				plan[nd.spec.Kind]++
			}
		}
		for k, n := range plan {
			planner.Plan(k, n)
		}
		defer func() {
			// Withdraw what was planned but never submitted.
			left := map[string]int{}
			for i, nd := range c.nodes {
				if c.alias[i] < 0 && c.jobs[i].c == nil {
					left[nd.spec.Kind]++
				}
			}
			for k, n := range left {
				planner.Plan(k, -n)
			}
		}()
	}

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.cancel = cancel
	inflight := 0
	window := int(^uint(0) >> 1)
	if p, ok := exec.(interface{ Parallelism() int }); ok && p.Parallelism() > 0 {
		window = windowPerWorker * p.Parallelism()
	}
	for {
		for ready.Len() > 0 && c.firstEr == nil && inflight < window {
			_, seq, _ := ready.Pop()
			i := int32(seq)
			nd := c.nodes[i]
			if k := c.alias[i]; k >= 0 {
				if err := nd.impl.adopt(c.nodes[k]); err != nil {
					c.fail(i, err)
					break
				}
				c.finish(i, ready)
				continue
			}
			if err := cctx.Err(); err != nil {
				c.firstEr = err
				break
			}
			j := &c.jobs[i]
			j.c, j.n, j.i = c, nd, i
			inflight++
			// Among equal user priorities, run nodes in the collection
			// order (depth first): a reduction runs as soon as its inputs
			// exist, before the next inputs are made, so memory stays
			// bounded by the width of the graph actually in flight.
			spec := nd.spec
			spec.Priority = int(c.orderKey(i))
			exec.Go(cctx, spec, j)
			// Collect what finished meanwhile so results are released
			// early and ready nodes keep flowing.
			c.drain(ready, &inflight)
		}
		if inflight == 0 {
			break
		}
		<-c.wake
		c.drain(ready, &inflight)
	}
	if c.firstEr == nil && ctx.Err() != nil {
		c.firstEr = ctx.Err()
	}
	if c.firstEr != nil {
		for i, nd := range c.nodes {
			if !c.target[i] || nd.state.Load() != stateDone {
				nd.impl.clear()
			}
		}
		return c.firstEr
	}
	return nil
}

// drain handles the finished nodes reported so far.
func (c *computation) drain(ready *readyHeap, inflight *int) {
	c.mu.Lock()
	done := c.done
	c.done = c.spare[:0]
	c.mu.Unlock()
	for _, f := range done {
		*inflight--
		if f.err != nil {
			c.fail(f.i, f.err)
			continue
		}
		if c.firstEr == nil {
			c.finish(f.i, ready)
		}
	}
	c.spare = done[:0]
}

func (c *computation) fail(i int32, err error) {
	nd := c.nodes[i]
	ne := &NodeError{Name: nd.spec.Name, Key: nd.Key(), Err: unwrapTask(err)}
	nd.err = ne
	if c.target[i] {
		nd.state.Store(stateDone)
	}
	if c.firstEr == nil {
		c.firstEr = ne
		c.cancel()
	}
}

// unwrapTask drops the cluster's *sched.TaskError wrapper: the NodeError
// already names the node.
func unwrapTask(err error) error {
	var te *sched.TaskError
	if errors.As(err, &te) {
		return te.Err
	}
	return err
}

// finish records node i as computed, releases inputs no longer needed and
// pushes newly ready nodes.
func (c *computation) finish(i int32, ready *readyHeap) {
	nd := c.nodes[i]
	if c.target[i] {
		nd.state.Store(stateDone)
	}
	for _, j := range c.out[c.outOff[i]:c.outOff[i+1]] {
		c.wait[j]--
		if c.wait[j] == 0 {
			c.pushReady(ready, j)
		}
	}
	if c.alias[i] >= 0 {
		k := c.alias[i]
		c.left[k]--
		c.releaseIfDone(k)
	} else {
		for _, d := range nd.deps {
			if !d.leaf {
				c.left[d.idx]--
				c.releaseIfDone(d.idx)
			}
		}
	}
	// A node nobody in this computation needs is dropped at once.
	c.releaseIfDone(i)
}

func (c *computation) releaseIfDone(i int32) {
	if c.left[i] == 0 && !c.target[i] {
		nd := c.nodes[i]
		nd.impl.clear()
	}
}

// Compute1 computes v and returns its result.
func Compute1[T any](ctx context.Context, exec Executor, v Value[T]) (T, error) {
	if err := Compute(ctx, exec, v); err != nil {
		var zero T
		return zero, err
	}
	return v.Result()
}

// Persist computes v and returns a leaf holding its result, with v's name
// and key: graphs built on the returned value use the result without
// recomputing it (dask's persist).
func Persist[T any](ctx context.Context, exec Executor, v Value[T]) (Value[T], error) {
	r, err := Compute1(ctx, exec, v)
	if err != nil {
		return Value[T]{}, err
	}
	p := &cell[T]{val: r}
	p.id = nextID.Add(1)
	p.spec = v.c.spec
	p.key = v.c.Key()
	p.leaf = true
	p.impl = p
	return Value[T]{p}, nil
}

// orderKey orders ready nodes: by the user's priority, then by collection
// order.
func (c *computation) orderKey(i int32) int64 {
	return int64(c.nodes[i].spec.Priority)<<32 + int64(i)
}

// readyHeap holds the nodes ready to run, least orderKey first. A node's
// index travels as the sequence number (orderKey holds it too, so it never
// breaks a tie) and the value is empty, which keeps an entry at two words.
type readyHeap = heap.Heap[int64, struct{}]

func (c *computation) pushReady(ready *readyHeap, i int32) {
	ready.Push(c.orderKey(i), uint64(i), struct{}{})
}
