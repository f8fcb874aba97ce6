package sched

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Device describes one device a device worker holds.
type Device struct {
	// Kind is the resource the device offers, e.g. "GPU" (the default when
	// empty). Tasks that ask for Resources{Kind: 1} may run on it.
	Kind string
	// Index is the device's ordinal among devices of its kind (cuda:N).
	Index int
	// Name is a human-readable name shown in the dashboard.
	Name string
	// Resources are further resources the worker offers besides {Kind: 1},
	// e.g. {"GPU_MEM_GB": 80}.
	Resources Resources
}

// Options configure a LocalCluster. The zero value gives one single-threaded
// CPU worker per GOMAXPROCS, no devices and no bound on pending work.
type Options struct {
	// Workers is the number of CPU workers. Zero means
	// max(1, GOMAXPROCS/ThreadsPerWorker); a negative value means none (a
	// cluster of device workers only).
	Workers int
	// ThreadsPerWorker is how many threads each CPU worker may use; it is
	// the worker's "CPU" resource and is told to tasks in WorkerInfo.
	// Zero means 1.
	ThreadsPerWorker int
	// Devices adds one device worker per entry.
	Devices []Device
	// MaxPending bounds the number of pending tasks: a task is pending from
	// the moment Submit (or Go) accepts it until it finishes (after its last
	// retry), or, with HoldUntilConsumed, until its result is consumed.
	// While MaxPending tasks are pending, Submit blocks until one stops
	// being pending, its context is done, or the cluster closes. Zero means
	// no bound.
	MaxPending int
	// HoldUntilConsumed keeps a future's pending slot until its result is
	// consumed: by Get returning it, by Gather (which consumes every future
	// it is given), or by Future.Release; Wait and AsCompleted only observe
	// completion. This bounds the results a producer can build up ahead
	// of a slow consumer, at the price that every future must be consumed
	// or released. Jobs handed to Go are released when they finish.
	HoldUntilConsumed bool
	// EventBuffer is the channel capacity of each Subscribe; zero means
	// 4096.
	EventBuffer int
}

// LocalCluster is a fixed set of workers in this process that run submitted
// tasks. It is safe for concurrent use. Close it when done.
type LocalCluster struct {
	opts   Options
	ctx    context.Context
	cancel context.CancelFunc
	start  time.Time

	mu         sync.Mutex
	workers    []*worker
	wakeOrder  []*worker // device workers first
	classes    []*taskClass
	classByKey map[string]*taskClass
	defClass   *taskClass
	kinds      map[string]*kindStats
	kindOrder  []string
	queued     int
	running    int
	seq        uint64
	closing    bool
	failures   failureLog

	closeOnce sync.Once
	closedCh  chan struct{}
	wg        sync.WaitGroup

	nextID      atomic.Uint64
	slots       chan struct{}
	pending     atomic.Int64
	peakPending atomic.Int64

	events  eventHub
	rec     *recorder
	spanLog spanLog
}

type worker struct {
	// The context tasks run with: their own context, also cancelled when
	// the cluster shuts down. It is kept while consecutive tasks share a
	// parent, as the nodes of one delayed computation do.
	parent  context.Context
	merged  context.Context
	release func()

	info  WorkerInfo
	cond  *sync.Cond
	can   []bool // indexed by taskClass.idx
	idle  bool
	busy  time.Duration
	tasks int
	fails int
	cur   *task
	since time.Time
	// row is the worker's row of the trace, carried by the context
	// its tasks run with (see StartSpan); sctx is that context, kept while
	// the task context under it stays the same.
	row  *spanRow
	sctx *spanCtx
}

// maxSpins is how many times an idle worker yields before it parks.
const maxSpins = 4

// task is one queued or running unit of work.
type task struct {
	id        uint64
	seq       uint64
	spec      TaskSpec
	job       Job
	ctx       context.Context
	class     *taskClass
	ks        *kindStats
	attempts  int
	submitted time.Time
	hold      bool
	pooled    bool // made by Go: recycled once complete
	slot      atomic.Bool
	finished  atomic.Bool
	consumed  atomic.Bool
	c         *LocalCluster

	lastWorker       *worker
	runStart, runEnd time.Time
}

// NewLocalCluster starts the workers opts asks for. It fails when the options
// make no worker at all.
func NewLocalCluster(opts Options) (*LocalCluster, error) {
	if opts.ThreadsPerWorker <= 0 {
		opts.ThreadsPerWorker = 1
	}
	if opts.Workers == 0 {
		opts.Workers = max(1, runtime.GOMAXPROCS(0)/opts.ThreadsPerWorker)
	}
	if opts.Workers < 0 {
		opts.Workers = 0
	}
	if opts.MaxPending < 0 {
		return nil, fmt.Errorf("sched: MaxPending %d is negative", opts.MaxPending)
	}
	if opts.Workers+len(opts.Devices) == 0 {
		return nil, fmt.Errorf("sched: a cluster needs at least one worker")
	}
	if opts.EventBuffer <= 0 {
		opts.EventBuffer = 4096
	}
	c := &LocalCluster{
		opts:       opts,
		start:      time.Now(),
		classByKey: map[string]*taskClass{},
		kinds:      map[string]*kindStats{},
		closedCh:   make(chan struct{}),
		rec:        newRecorder(),
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if opts.MaxPending > 0 {
		c.slots = make(chan struct{}, opts.MaxPending)
	}
	for i := 0; i < opts.Workers; i++ {
		c.workers = append(c.workers, &worker{info: WorkerInfo{
			ID: i, Kind: "cpu", Threads: opts.ThreadsPerWorker,
			Resources: Resources{"CPU": opts.ThreadsPerWorker},
		}})
	}
	for i := range opts.Devices {
		d := opts.Devices[i]
		if d.Kind == "" {
			d.Kind = "GPU"
		}
		res := Resources{d.Kind: 1}
		for k, v := range d.Resources {
			res[k] = v
		}
		c.workers = append(c.workers, &worker{info: WorkerInfo{
			ID: len(c.workers), Kind: d.Kind, Threads: 1, Device: &d, Resources: res,
		}})
	}
	c.spanLog.init(len(c.workers))
	for _, w := range c.workers {
		w.cond = sync.NewCond(&c.mu)
		w.row = &spanRow{c: c, id: w.info.ID}
		if w.info.Device != nil {
			c.wakeOrder = append(c.wakeOrder, w)
		}
	}
	for _, w := range c.workers {
		if w.info.Device == nil {
			c.wakeOrder = append(c.wakeOrder, w)
		}
	}
	c.defClass = c.classLocked(nil)
	c.wg.Add(len(c.workers))
	for _, w := range c.workers {
		go c.work(w)
	}
	return c, nil
}

// Workers describes the cluster's workers, CPU workers first.
func (c *LocalCluster) Workers() []WorkerInfo {
	out := make([]WorkerInfo, len(c.workers))
	for i, w := range c.workers {
		out[i] = w.info
	}
	return out
}

// classLocked returns the class of tasks needing alts, making it if new.
// It returns nil when no worker could run such a task.
func (c *LocalCluster) classLocked(alts []Resources) *taskClass {
	if len(alts) == 0 {
		if c.defClass != nil {
			return c.defClass
		}
		alts = []Resources{CPU}
	}
	key := classKey(alts)
	if cl, ok := c.classByKey[key]; ok {
		return cl
	}
	cl := &taskClass{idx: len(c.classes), key: key, alts: alts}
	any := false
	for _, w := range c.workers {
		ok := cl.runnableBy(w.info.Resources)
		w.can = append(w.can, ok)
		any = any || ok
	}
	c.classes = append(c.classes, cl)
	c.classByKey[key] = cl
	cl.noWorker = !any
	return cl
}

func (c *LocalCluster) kindLocked(kind string) *kindStats {
	ks, ok := c.kinds[kind]
	if !ok {
		ks = &kindStats{}
		c.kinds[kind] = ks
		c.kindOrder = append(c.kindOrder, kind)
	}
	return ks
}

// Go queues job as a task described by spec. It blocks while the cluster
// has MaxPending tasks pending. If the task cannot be queued (ctx done, the
// cluster closed, no worker offering its resources) job.Finish is called
// with the error before Go returns. Finish is otherwise called from a worker.
func (c *LocalCluster) Go(ctx context.Context, spec TaskSpec, job Job) {
	t := taskPool.Get().(*task)
	t.spec, t.job, t.ctx, t.pooled = spec, job, ctx, true
	if err := c.enqueue(t); err != nil {
		recycle(t)
		job.Finish(err)
	}
}

// taskPool recycles the tasks made by Go; nothing refers to such a task
// once complete has handed its error to the job.
var taskPool = sync.Pool{New: func() any { return new(task) }}

func recycle(t *task) {
	t.spec, t.job, t.ctx, t.class, t.ks, t.c, t.lastWorker = TaskSpec{}, nil, nil, nil, nil, nil, nil
	t.id, t.seq, t.attempts, t.hold = 0, 0, 0, false
	t.slot.Store(false)
	t.finished.Store(false)
	t.consumed.Store(false)
	taskPool.Put(t)
}

// enqueue queues t or returns the (wrapped) reason it could not.
func (c *LocalCluster) enqueue(t *task) error {
	t.c = c
	if t.spec.Kind == "" {
		t.spec.Kind = "task"
	}
	if err := t.ctx.Err(); err != nil {
		return &TaskError{Name: t.spec.Name, Kind: t.spec.Kind, Err: err}
	}
	if c.slots != nil {
		select {
		case c.slots <- struct{}{}:
		default:
			select {
			case c.slots <- struct{}{}:
			case <-t.ctx.Done():
				return &TaskError{Name: t.spec.Name, Kind: t.spec.Kind, Err: t.ctx.Err()}
			case <-c.closedCh:
				return &TaskError{Name: t.spec.Name, Kind: t.spec.Kind, Err: ErrClosed}
			}
		}
		n := c.pending.Add(1)
		for {
			p := c.peakPending.Load()
			if n <= p || c.peakPending.CompareAndSwap(p, n) {
				break
			}
		}
		t.slot.Store(true)
	}
	t.submitted = time.Now()
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		c.releaseSlot(t)
		return &TaskError{Name: t.spec.Name, Kind: t.spec.Kind, Err: ErrClosed}
	}
	cl := c.classLocked(t.spec.Resources)
	if cl.noWorker {
		c.mu.Unlock()
		c.releaseSlot(t)
		return &TaskError{Name: t.spec.Name, Kind: t.spec.Kind,
			Err: fmt.Errorf("%w: %s", ErrNoWorker, cl.key)}
	}
	t.id = c.nextID.Add(1)
	c.seq++
	t.seq = c.seq
	t.class = cl
	t.ks = c.kindLocked(t.spec.Kind)
	if t.ks.planned > 0 {
		t.ks.planned--
	}
	t.ks.submitted++
	t.ks.waiting++
	c.queued++
	// Emitted under the lock so that no worker can report the task
	// started before it is reported submitted; emit never blocks.
	c.events.emit(c, EventSubmitted, t, nil, t.submitted, 0, nil)
	cl.q.Push(t.spec.Priority, t.seq, t)
	c.wakeLocked(cl)
	c.mu.Unlock()
	return nil
}

// wakeLocked wakes one idle worker that can run tasks of class cl.
func (c *LocalCluster) wakeLocked(cl *taskClass) {
	for _, w := range c.wakeOrder {
		if w.idle && w.can[cl.idx] {
			w.idle = false
			w.cond.Signal()
			return
		}
	}
}

// consume marks t's result consumed; with HoldUntilConsumed its slot is
// released once it is also finished.
func (c *LocalCluster) consume(t *task) {
	if t.consumed.Load() {
		return
	}
	t.consumed.Store(true)
	if t.finished.Load() {
		c.releaseSlot(t)
	}
}

func (c *LocalCluster) releaseSlot(t *task) {
	if t.slot.CompareAndSwap(true, false) {
		c.pending.Add(-1)
		<-c.slots
	}
}

// pickLocked takes the best queued task w can run, or nil.
func (c *LocalCluster) pickLocked(w *worker) *task {
	if c.queued == 0 {
		return nil
	}
	var best *taskClass
	for i, cl := range c.classes {
		if !w.can[i] || cl.q.Len() == 0 {
			continue
		}
		if best == nil {
			best = cl
			continue
		}
		ap, aseq, _ := cl.q.Peek()
		bp, bseq, _ := best.q.Peek()
		if ap < bp || (ap == bp && aseq < bseq) {
			best = cl
		}
	}
	if best == nil {
		return nil
	}
	_, _, t := best.q.Pop()
	c.queued--
	c.running++
	t.ks.waiting--
	t.ks.running++
	return t
}

func (c *LocalCluster) work(w *worker) {
	defer c.wg.Done()
	defer w.dropContext()
	var prev *task
	var prevErr error
	spins := 0
	c.mu.Lock()
	for {
		t := c.pickLocked(w)
		if t == nil {
			if prev != nil {
				c.mu.Unlock()
				c.complete(prev, prevErr)
				prev, prevErr = nil, nil
				c.mu.Lock()
				continue
			}
			if c.closing && c.queued == 0 && c.running == 0 {
				c.mu.Unlock()
				return
			}
			if spins < maxSpins {
				// Yield before parking: a producer that is feeding the
				// queue one task at a time (a delayed computation) usually
				// refills it at once, and parking costs more than a yield.
				spins++
				c.mu.Unlock()
				runtime.Gosched()
				c.mu.Lock()
				continue
			}
			spins = 0
			w.idle = true
			w.cond.Wait()
			continue
		}
		spins = 0
		w.idle = false
		w.cur = t
		now := time.Now()
		w.since = now
		c.mu.Unlock()
		if prev != nil {
			c.complete(prev, prevErr)
			prev, prevErr = nil, nil
		}
		err, retry := c.execute(w, t, now)
		// execute returns with c.mu held.
		if !retry {
			prev, prevErr = t, err
		}
	}
}

// runContext returns a context done when parent or cluster is.
func (w *worker) runContext(cluster, parent context.Context) context.Context {
	if parent.Done() == nil {
		return cluster
	}
	if w.merged != nil && w.parent == parent && w.merged.Err() == nil {
		return w.merged
	}
	w.dropContext()
	merged, cancel := context.WithCancel(parent)
	stop := context.AfterFunc(cluster, cancel)
	w.parent, w.merged = parent, merged
	w.release = func() { stop(); cancel() }
	return merged
}

func (w *worker) dropContext() {
	if w.release != nil {
		w.release()
	}
	w.parent, w.merged, w.release = nil, nil, nil
}

// execute runs t on w and does the bookkeeping; it returns with c.mu held,
// the task's final error, and whether the task was queued again to retry.
func (c *LocalCluster) execute(w *worker, t *task, start time.Time) (error, bool) {
	var err error
	retryable := false
	ran := false
	if e := t.ctx.Err(); e != nil {
		// Cancelled while queued: it ends without starting.
		err = e
	} else {
		c.events.emit(c, EventStarted, t, w, start, 0, nil)
		ran = true
		t.attempts++
		runCtx := w.runContext(c.ctx, t.ctx)
		err = runJob(w.spanContext(runCtx), t.job, w.info)
		retryable = err != nil && runCtx.Err() == nil && t.attempts <= t.spec.Retries
	}
	end := time.Now()
	d := end.Sub(start)
	t.lastWorker, t.runStart, t.runEnd = w, start, end
	if retryable {
		c.events.emit(c, EventRetried, t, w, end, d, err)
	}
	c.mu.Lock()
	w.cur = nil
	c.running--
	t.ks.running--
	if ran {
		w.busy += d
		w.tasks++
		t.ks.busy += d
	}
	if retryable {
		t.ks.retried++
		t.ks.waiting++
		c.queued++
		t.class.q.Push(t.spec.Priority, t.seq, t)
		c.wakeLocked(t.class)
		c.rec.add(w.info.ID, t.spec.Kind, start, end, true)
		return nil, true
	}
	if err != nil {
		if ran {
			w.fails++
		}
		t.ks.failed++
		err = &TaskError{ID: t.id, Name: t.spec.Name, Kind: t.spec.Kind, Attempts: t.attempts, Err: err}
		c.failures.add(end, err.(*TaskError))
	} else {
		t.ks.done++
	}
	if ran {
		c.rec.add(w.info.ID, t.spec.Kind, start, end, err != nil)
	}
	if c.closing && c.queued == 0 && c.running == 0 {
		c.broadcastLocked()
	}
	return err, false
}

// complete releases t's pending slot (unless it is held until consumed) and
// hands the final error to its job.
//
// The slot is released after Finish, so a task counts as pending for as
// long as its future is not done; Finish must not block, or the worker
// calling it would hold its slot.
func (c *LocalCluster) complete(t *task, err error) {
	typ := EventFinished
	if err != nil {
		typ = EventFailed
	}
	c.events.emit(c, typ, t, nil, time.Now(), 0, err)
	t.job.Finish(err)
	t.finished.Store(true)
	if !t.hold || t.consumed.Load() {
		c.releaseSlot(t)
	}
	if t.pooled {
		recycle(t)
	}
}

func runJob(ctx context.Context, j Job, w WorkerInfo) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return j.Run(ctx, w)
}

func (c *LocalCluster) broadcastLocked() {
	for _, w := range c.workers {
		w.cond.Signal()
	}
}

// Close stops accepting tasks, waits for every queued and running task to
// finish, stops the workers, cancels the cluster's Context (which stops a
// dashboard serving it) and closes event subscriptions. It is safe to call
// more than once. It returns nil: the error is for the io.Closer interface.
func (c *LocalCluster) Close() error {
	c.mu.Lock()
	c.closing = true
	c.closeOnce.Do(func() { close(c.closedCh) })
	if c.queued == 0 && c.running == 0 {
		c.broadcastLocked()
	}
	c.mu.Unlock()
	c.wg.Wait()
	c.cancel()
	c.events.closeAll()
	return nil
}

// Shutdown cancels the context of running tasks, fails queued tasks with
// ErrClosed, and then closes the cluster as Close does.
func (c *LocalCluster) Shutdown() error {
	// The queue is emptied before the running tasks are cancelled: a task
	// that returns on cancellation frees its worker, which must then find
	// nothing left to start.
	c.mu.Lock()
	c.closing = true
	c.closeOnce.Do(func() { close(c.closedCh) })
	var dropped []*task
	for _, cl := range c.classes {
		for cl.q.Len() > 0 {
			_, _, t := cl.q.Pop()
			t.ks.waiting--
			t.ks.failed++
			dropped = append(dropped, t)
		}
	}
	c.queued = 0
	c.broadcastLocked()
	c.mu.Unlock()
	c.cancel()
	for _, t := range dropped {
		c.complete(t, &TaskError{ID: t.id, Name: t.spec.Name, Kind: t.spec.Kind, Attempts: t.attempts, Err: ErrClosed})
	}
	return c.Close()
}

// Context returns a context that is cancelled when the cluster is shut down
// or closed.
func (c *LocalCluster) Context() context.Context { return c.ctx }

// Parallelism returns the number of workers: how many tasks can run at once.
func (c *LocalCluster) Parallelism() int { return len(c.workers) }
