package sched

import (
	"context"
	"iter"
	"sync"
)

// Future is the eventual result of a submitted task.
type Future[T any] struct {
	t   task
	fn  func(context.Context) (T, error)
	fnw func(context.Context, WorkerInfo) (T, error)

	val  T
	err  error
	done chan struct{}

	mu   sync.Mutex
	fin  bool
	subs []func()
}

// futureJob is Future's Job face, kept off Future's method set.
type futureJob[T any] Future[T]

func (j *futureJob[T]) Run(ctx context.Context, w WorkerInfo) error {
	f := (*Future[T])(j)
	var v T
	var err error
	if f.fn != nil {
		v, err = f.fn(ctx)
	} else {
		v, err = f.fnw(ctx, w)
	}
	f.val = v
	return err
}

func (j *futureJob[T]) Finish(err error) {
	f := (*Future[T])(j)
	if err != nil {
		var zero T
		f.val = zero
	}
	f.err = err
	f.mu.Lock()
	f.fin = true
	subs := f.subs
	f.subs = nil
	close(f.done)
	f.mu.Unlock()
	for _, fn := range subs {
		fn()
	}
}

// Submit queues fn on c and returns its future. Nothing about fn's outcome
// is returned here: a task that cannot be queued (ctx done, c closed, no
// worker offering its Resources) gives a future that has already failed.
// Submit blocks while c has Options.MaxPending tasks pending.
//
// fn runs with a context that is done when ctx is, or when the cluster is
// shut down. A panic in fn becomes a *PanicError.
func Submit[T any](ctx context.Context, c *LocalCluster, fn func(context.Context) (T, error), opts ...TaskOption) *Future[T] {
	f := &Future[T]{fn: fn}
	return submit(ctx, c, f, opts)
}

// SubmitW is Submit for a function that is told which worker runs it, so a
// task with a CPU and a device implementation (submitted with, say,
// sched.CPU and sched.GPU as alternative Resources) can choose.
func SubmitW[T any](ctx context.Context, c *LocalCluster, fn func(context.Context, WorkerInfo) (T, error), opts ...TaskOption) *Future[T] {
	f := &Future[T]{fnw: fn}
	return submit(ctx, c, f, opts)
}

func submit[T any](ctx context.Context, c *LocalCluster, f *Future[T], opts []TaskOption) *Future[T] {
	f.done = make(chan struct{})
	f.t.ctx = ctx
	f.t.job = (*futureJob[T])(f)
	f.t.hold = c.opts.HoldUntilConsumed
	for _, o := range opts {
		o.applyTask(&f.t.spec)
	}
	if err := c.enqueue(&f.t); err != nil {
		f.t.job.Finish(err)
	}
	return f
}

// Done returns a channel that is closed when the task has ended.
func (f *Future[T]) Done() <-chan struct{} { return f.done }

// Err returns the task's error once Done is closed, and nil before.
func (f *Future[T]) Err() error {
	select {
	case <-f.done:
		return f.err
	default:
		return nil
	}
}

// ID returns the cluster's number for the task (0 if it was never queued).
func (f *Future[T]) ID() uint64 { return f.t.id }

// Name returns the task's name.
func (f *Future[T]) Name() string { return f.t.spec.Name }

// Get waits for the task and returns its result, or ctx's error if ctx is
// done first. A failed task's error is a *TaskError. A returned result
// counts as consumed (see Options.HoldUntilConsumed).
func (f *Future[T]) Get(ctx context.Context) (T, error) {
	if err := f.wait(ctx); err != nil {
		var zero T
		return zero, err
	}
	f.Release()
	return f.val, f.err
}

// wait blocks until the task has ended (nil) or ctx is done (ctx's error).
// A task already ended wins over a ctx already done.
func (f *Future[T]) wait(ctx context.Context) error {
	select {
	case <-f.done:
		return nil
	default:
	}
	select {
	case <-f.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Release marks the result consumed without reading it, freeing its pending
// slot (once the task has finished) under Options.HoldUntilConsumed. It does
// nothing otherwise.
func (f *Future[T]) Release() {
	if f.t.c != nil {
		f.t.c.consume(&f.t)
	}
}

// onDone calls fn (possibly at once) when the task has ended.
func (f *Future[T]) onDone(fn func()) {
	f.mu.Lock()
	if f.fin {
		f.mu.Unlock()
		fn()
		return
	}
	f.subs = append(f.subs, fn)
	f.mu.Unlock()
}

// Awaitable is what every Future is, whatever its type: Wait takes a mix.
type Awaitable interface {
	Done() <-chan struct{}
	Err() error
}

// Gather waits for all futures and returns their results in order. It
// returns the error of the first future (in order) that failed, or ctx's
// error, as soon as it sees it. Gather consumes every future it is given,
// whatever it returns.
func Gather[T any](ctx context.Context, futures []*Future[T]) ([]T, error) {
	defer func() {
		for _, f := range futures {
			f.Release()
		}
	}()
	out := make([]T, len(futures))
	for i, f := range futures {
		if err := f.wait(ctx); err != nil {
			return nil, err
		}
		if f.err != nil {
			return nil, f.err
		}
		out[i] = f.val
	}
	return out, nil
}

// Wait waits until every future has ended and returns the first error in
// order, or ctx's error if ctx is done first.
func Wait(ctx context.Context, futures ...Awaitable) error {
	for _, f := range futures {
		select {
		case <-f.Done():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for _, f := range futures {
		if err := f.Err(); err != nil {
			return err
		}
	}
	return nil
}

// AsCompleted yields each future with its index as it ends, in the order
// they end. It stops early when ctx is done (check ctx.Err()) or when the
// loop breaks. Reading a yielded future's result with Get consumes it.
func AsCompleted[T any](ctx context.Context, futures []*Future[T]) iter.Seq2[int, *Future[T]] {
	return func(yield func(int, *Future[T]) bool) {
		ch := make(chan int, len(futures))
		for i, f := range futures {
			f.onDone(func() { ch <- i })
		}
		for range futures {
			select {
			case i := <-ch:
				if !yield(i, futures[i]) {
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}
}
