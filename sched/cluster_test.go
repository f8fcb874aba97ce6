package sched

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// raceEnabled is set under the race detector, which slows the stress test
// tenfold.
var raceEnabled bool

func newCluster(t *testing.T, opts Options) *LocalCluster {
	t.Helper()
	c, err := NewLocalCluster(opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	return c
}

func TestSubmitGather(t *testing.T) {
	t.Parallel()
	c := newCluster(t, Options{Workers: 3})
	ctx := context.Background()
	var fs []*Future[int]
	for i := 0; i < 200; i++ {
		fs = append(fs, Submit(ctx, c, func(context.Context) (int, error) { return i * i, nil }))
	}
	got, err := Gather(ctx, fs)
	require.NoError(t, err)
	require.Len(t, got, 200)
	for i, v := range got {
		require.Equal(t, i*i, v)
	}
	v, err := fs[7].Get(ctx)
	require.NoError(t, err)
	require.Equal(t, 49, v)
	require.NotZero(t, fs[7].ID())
}

func TestOptionsValidation(t *testing.T) {
	t.Parallel()
	_, err := NewLocalCluster(Options{Workers: -1})
	require.Error(t, err)
	_, err = NewLocalCluster(Options{MaxPending: -1})
	require.Error(t, err)
	c := newCluster(t, Options{})
	require.NotEmpty(t, c.Workers())
	require.Equal(t, "cpu", c.Workers()[0].Kind)
}

// One worker held at a gate while tasks queue: they must then run in
// (priority, submission) order.
func TestPriorityOrder(t *testing.T) {
	t.Parallel()
	c := newCluster(t, Options{Workers: 1})
	ctx := context.Background()
	gate := make(chan struct{})
	started := make(chan struct{})
	first := Submit(ctx, c, func(context.Context) (int, error) { close(started); <-gate; return 0, nil })
	<-started
	type rec struct{ prio, seq int }
	var mu sync.Mutex
	var order []rec
	r := rand.New(rand.NewPCG(1, 2))
	var fs []*Future[int]
	var want []rec
	for i := 0; i < 100; i++ {
		p := r.IntN(5) - 2
		want = append(want, rec{p, i})
		fs = append(fs, Submit(ctx, c, func(context.Context) (int, error) {
			mu.Lock()
			order = append(order, rec{p, i})
			mu.Unlock()
			return 0, nil
		}, Priority(p)))
	}
	close(gate)
	_, err := Gather(ctx, append([]*Future[int]{first}, fs...))
	require.NoError(t, err)
	sort.SliceStable(want, func(i, j int) bool { return want[i].prio < want[j].prio })
	require.Equal(t, want, order)
}

func TestResources(t *testing.T) {
	t.Parallel()
	c := newCluster(t, Options{Workers: 2, Devices: []Device{{Kind: "GPU", Index: 0, Name: "fake0"}}})
	ctx := context.Background()
	ws := c.Workers()
	require.Len(t, ws, 3)
	require.Equal(t, "GPU", ws[2].Kind)
	require.True(t, ws[2].IsDevice())

	var fs []*Future[WorkerInfo]
	for i := 0; i < 60; i++ {
		who := func(_ context.Context, w WorkerInfo) (WorkerInfo, error) {
			time.Sleep(100 * time.Microsecond)
			return w, nil
		}
		fs = append(fs, SubmitW(ctx, c, who, GPU, Kind("gpu-only")))
		fs = append(fs, SubmitW(ctx, c, who, Kind("cpu-only")))
	}
	got, err := Gather(ctx, fs)
	require.NoError(t, err)
	for i, w := range got {
		if i%2 == 0 {
			require.True(t, w.IsDevice(), "GPU task %d ran on %s worker %d", i, w.Kind, w.ID)
			require.Equal(t, 0, w.Device.Index)
		} else {
			require.False(t, w.IsDevice(), "CPU task %d ran on a device", i)
			require.Equal(t, 1, w.Threads)
		}
	}

	// A task that asks for what nobody offers fails at once.
	_, err = Submit(ctx, c, func(context.Context) (int, error) { return 1, nil }, Resources{"TPU": 1}).Get(ctx)
	require.ErrorIs(t, err, ErrNoWorker)
	_, err = Submit(ctx, c, func(context.Context) (int, error) { return 1, nil }, Resources{"CPU": 2}).Get(ctx)
	require.ErrorIs(t, err, ErrNoWorker)
}

// Tasks that can run on either a core or the GPU share one queue: the fast
// GPU takes more of them than each slow core.
func TestMixedSharing(t *testing.T) {
	t.Parallel()
	c := newCluster(t, Options{Workers: 2, Devices: []Device{{}}})
	ctx := context.Background()
	var fs []*Future[int]
	for i := 0; i < 120; i++ {
		fs = append(fs, SubmitW(ctx, c, func(_ context.Context, w WorkerInfo) (int, error) {
			if w.IsDevice() {
				time.Sleep(200 * time.Microsecond)
			} else {
				time.Sleep(3 * time.Millisecond)
			}
			return w.ID, nil
		}, CPU, GPU))
	}
	ids, err := Gather(ctx, fs)
	require.NoError(t, err)
	count := map[int]int{}
	for _, id := range ids {
		count[id]++
	}
	require.Greater(t, count[0], 0)
	require.Greater(t, count[1], 0)
	require.Greater(t, count[2], count[0], "counts %v", count)
	require.Greater(t, count[2], count[1], "counts %v", count)
	st := c.Stats()
	require.Equal(t, count[2], st.Workers[2].Tasks)
	require.Equal(t, "GPU:0", st.Workers[2].Device)
}

func TestThreadsPerWorker(t *testing.T) {
	t.Parallel()
	c := newCluster(t, Options{Workers: 2, ThreadsPerWorker: 4})
	ctx := context.Background()
	w, err := SubmitW(ctx, c, func(_ context.Context, w WorkerInfo) (WorkerInfo, error) { return w, nil }, Resources{"CPU": 4}).Get(ctx)
	require.NoError(t, err)
	require.Equal(t, 4, w.Threads)
}

func TestErrorsAndPanics(t *testing.T) {
	t.Parallel()
	c := newCluster(t, Options{Workers: 2})
	ctx := context.Background()
	boom := errors.New("boom")
	f := Submit(ctx, c, func(context.Context) (int, error) { return 3, boom }, Name("exploder"), Kind("label"))
	v, err := f.Get(ctx)
	require.Zero(t, v)
	require.ErrorIs(t, err, boom)
	var te *TaskError
	require.ErrorAs(t, err, &te)
	require.Equal(t, "exploder", te.Name)
	require.Equal(t, "label", te.Kind)
	require.Equal(t, 1, te.Attempts)
	require.Contains(t, err.Error(), "exploder")

	p := Submit(ctx, c, func(context.Context) (int, error) { panicHere(); return 0, nil }, Name("panicker"))
	_, err = p.Get(ctx)
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "kaboom", pe.Value)
	require.Contains(t, string(pe.Stack), "panicHere")
	require.Contains(t, err.Error(), "kaboom")

	// Gather reports the first failure in order; Wait too.
	ok := Submit(ctx, c, func(context.Context) (int, error) { return 1, nil })
	_, err = Gather(ctx, []*Future[int]{ok, f, p})
	require.ErrorIs(t, err, boom)
	require.ErrorIs(t, Wait(ctx, ok, p, f), pe)

	st := c.Stats()
	require.Len(t, st.Failures, 2)
	require.Equal(t, "exploder", st.Failures[0].Name)
	require.Contains(t, st.Failures[1].Err, "kaboom")
	// The workers survived the panic.
	v, err = Submit(ctx, c, func(context.Context) (int, error) { return 5, nil }).Get(ctx)
	require.NoError(t, err)
	require.Equal(t, 5, v)
}

func panicHere() { panic("kaboom") }

func TestRetries(t *testing.T) {
	t.Parallel()
	c := newCluster(t, Options{Workers: 2})
	ctx := context.Background()
	events, cancel := c.Subscribe()
	defer cancel()
	flaky := func(failures int) (func(context.Context) (int, error), *atomic.Int32) {
		var n atomic.Int32
		return func(context.Context) (int, error) {
			if int(n.Add(1)) <= failures {
				return 0, fmt.Errorf("transient %d", n.Load())
			}
			return 42, nil
		}, &n
	}
	fn, calls := flaky(2)
	v, err := Submit(ctx, c, fn, Retries(2), Kind("read")).Get(ctx)
	require.NoError(t, err)
	require.Equal(t, 42, v)
	require.EqualValues(t, 3, calls.Load())

	fn, calls = flaky(2)
	_, err = Submit(ctx, c, fn, Retries(1), Kind("read")).Get(ctx)
	require.ErrorContains(t, err, "transient 2")
	require.EqualValues(t, 2, calls.Load())
	var te *TaskError
	require.ErrorAs(t, err, &te)
	require.Equal(t, 2, te.Attempts)

	// Cancellation is never retried.
	cctx, ccancel := context.WithCancel(ctx)
	var runs atomic.Int32
	f := Submit(cctx, c, func(ctx context.Context) (int, error) {
		runs.Add(1)
		ccancel()
		<-ctx.Done()
		return 0, ctx.Err()
	}, Retries(5))
	_, err = f.Get(ctx)
	require.ErrorIs(t, err, context.Canceled)
	require.EqualValues(t, 1, runs.Load())

	st := c.Stats()
	ks := kindByName(st, "read")
	require.Equal(t, 3, ks.Retried)
	require.Equal(t, 1, ks.Done)
	require.Equal(t, 1, ks.Failed)
	retried := 0
	for len(events) > 0 {
		if e := <-events; e.Type == EventRetried {
			retried++
			require.Error(t, e.Err)
		}
	}
	require.Equal(t, 3, retried)
}

func kindByName(s Stats, k string) KindStats {
	for _, ks := range s.Kinds {
		if ks.Kind == k {
			return ks
		}
	}
	return KindStats{}
}

func TestCancellation(t *testing.T) {
	t.Parallel()
	c := newCluster(t, Options{Workers: 1})
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	running := Submit(ctx, c, func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done()
		return 0, ctx.Err()
	})
	<-started
	var ran atomic.Int32
	var queued []*Future[int]
	for i := 0; i < 20; i++ {
		queued = append(queued, Submit(ctx, c, func(context.Context) (int, error) { ran.Add(1); return 0, nil }))
	}
	cancel()
	_, err := running.Get(context.Background())
	require.ErrorIs(t, err, context.Canceled)
	for _, f := range queued {
		_, err := f.Get(context.Background())
		require.ErrorIs(t, err, context.Canceled)
	}
	require.Zero(t, ran.Load(), "queued tasks of a cancelled context must not run")

	// Submitting with a done context fails at once.
	_, err = Submit(ctx, c, func(context.Context) (int, error) { return 0, nil }).Get(context.Background())
	require.ErrorIs(t, err, context.Canceled)

	// Get honours its own context.
	gate := make(chan struct{})
	slow := Submit(context.Background(), c, func(context.Context) (int, error) { <-gate; return 1, nil })
	gctx, gcancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer gcancel()
	_, err = slow.Get(gctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	close(gate)
	v, err := slow.Get(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, v)
}

func TestShutdownCancelsAndFailsQueued(t *testing.T) {
	t.Parallel()
	c, err := NewLocalCluster(Options{Workers: 1})
	require.NoError(t, err)
	ctx := context.Background()
	started := make(chan struct{})
	running := Submit(ctx, c, func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done()
		return 0, ctx.Err()
	})
	<-started
	var ran atomic.Int32
	var queued []*Future[int]
	for i := 0; i < 10; i++ {
		queued = append(queued, Submit(ctx, c, func(context.Context) (int, error) { ran.Add(1); return 0, nil }))
	}
	require.NoError(t, c.Shutdown())
	_, err = running.Get(ctx)
	require.ErrorIs(t, err, context.Canceled)
	for _, f := range queued {
		_, err := f.Get(ctx)
		require.ErrorIs(t, err, ErrClosed)
	}
	require.Zero(t, ran.Load())
	_, err = Submit(ctx, c, func(context.Context) (int, error) { return 0, nil }).Get(ctx)
	require.ErrorIs(t, err, ErrClosed)
	require.NoError(t, c.Close())
}

func TestCloseDrains(t *testing.T) {
	t.Parallel()
	c, err := NewLocalCluster(Options{Workers: 2})
	require.NoError(t, err)
	ctx := context.Background()
	var fs []*Future[int]
	for i := 0; i < 100; i++ {
		fs = append(fs, Submit(ctx, c, func(context.Context) (int, error) { time.Sleep(50 * time.Microsecond); return i, nil }))
	}
	// A retry during Close still happens.
	var tries atomic.Int32
	flaky := Submit(ctx, c, func(context.Context) (int, error) {
		if tries.Add(1) == 1 {
			time.Sleep(time.Millisecond)
			return 0, errors.New("once")
		}
		return 7, nil
	}, Retries(1))
	events, _ := c.Subscribe()
	require.NoError(t, c.Close())
	v, err := flaky.Get(ctx)
	require.NoError(t, err)
	require.Equal(t, 7, v)
	for _, f := range fs {
		select {
		case <-f.Done():
		default:
			t.Fatal("Close returned before a queued task finished")
		}
		require.NoError(t, f.Err())
	}
	for range events { // closed by Close
	}
	_, err = Submit(ctx, c, func(context.Context) (int, error) { return 0, nil }).Get(ctx)
	require.ErrorIs(t, err, ErrClosed)
}

// After every Submit returns, the futures not yet done never exceed
// MaxPending, and the bound is reached.
func TestBackPressure(t *testing.T) {
	t.Parallel()
	const K = 3
	c := newCluster(t, Options{Workers: 2, MaxPending: K})
	ctx := context.Background()
	var fs []*Future[int]
	var running, peakRunning atomic.Int32
	maxNotDone := 0
	for i := 0; i < 200; i++ {
		fs = append(fs, Submit(ctx, c, func(context.Context) (int, error) {
			n := running.Add(1)
			for {
				p := peakRunning.Load()
				if n <= p || peakRunning.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(20 * time.Microsecond)
			running.Add(-1)
			return i, nil
		}))
		notDone := 0
		for _, f := range fs {
			select {
			case <-f.Done():
			default:
				notDone++
			}
		}
		maxNotDone = max(maxNotDone, notDone)
		require.LessOrEqual(t, notDone, K)
	}
	_, err := Gather(ctx, fs)
	require.NoError(t, err)
	st := c.Stats()
	require.LessOrEqual(t, st.PeakPending, K)
	require.Equal(t, K, st.PeakPending)
	require.Eventually(t, func() bool { return c.Stats().Pending == 0 }, 5*time.Second, time.Millisecond)
	require.LessOrEqual(t, int(peakRunning.Load()), 2)
	require.GreaterOrEqual(t, maxNotDone, 1)
}

func TestBackPressureBlocksAndHonoursContext(t *testing.T) {
	t.Parallel()
	c := newCluster(t, Options{Workers: 1, MaxPending: 2})
	ctx := context.Background()
	gate := make(chan struct{})
	a := Submit(ctx, c, func(context.Context) (int, error) { <-gate; return 1, nil })
	b := Submit(ctx, c, func(context.Context) (int, error) { <-gate; return 2, nil })
	tctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err := Submit(tctx, c, func(context.Context) (int, error) { return 3, nil }).Get(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.GreaterOrEqual(t, time.Since(t0), 25*time.Millisecond)
	close(gate)
	got, err := Gather(ctx, []*Future[int]{a, b})
	require.NoError(t, err)
	require.Equal(t, []int{1, 2}, got)
}

func TestHoldUntilConsumed(t *testing.T) {
	t.Parallel()
	c := newCluster(t, Options{Workers: 2, MaxPending: 2, HoldUntilConsumed: true})
	ctx := context.Background()
	a := Submit(ctx, c, func(context.Context) (int, error) { return 1, nil })
	b := Submit(ctx, c, func(context.Context) (int, error) { return 2, nil })
	<-a.Done()
	<-b.Done()
	// Both finished but unconsumed: a third Submit must wait.
	tctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err := Submit(tctx, c, func(context.Context) (int, error) { return 3, nil }).Get(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	v, err := a.Get(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, v)
	v, err = Submit(ctx, c, func(context.Context) (int, error) { return 4, nil }).Get(ctx)
	require.NoError(t, err)
	require.Equal(t, 4, v)
	b.Release()
	require.Eventually(t, func() bool { return c.Stats().Pending == 0 }, 5*time.Second, time.Millisecond)
}

func TestAsCompleted(t *testing.T) {
	t.Parallel()
	c := newCluster(t, Options{Workers: 4})
	ctx := context.Background()
	gates := make([]chan struct{}, 4)
	var fs []*Future[int]
	for i := range gates {
		gates[i] = make(chan struct{})
		fs = append(fs, Submit(ctx, c, func(context.Context) (int, error) { <-gates[i]; return i, nil }))
	}
	order := []int{2, 0, 3, 1}
	var got []int
	go close(gates[order[0]])
	for i, f := range AsCompleted(ctx, fs) {
		v, err := f.Get(ctx)
		require.NoError(t, err)
		require.Equal(t, i, v)
		got = append(got, i)
		if len(got) < len(order) {
			close(gates[order[len(got)]])
		}
	}
	require.Equal(t, order, got)

	// Breaking out early leaves nothing behind (goleak checks).
	for range AsCompleted(ctx, fs) {
		break
	}
}

func TestEvents(t *testing.T) {
	t.Parallel()
	c := newCluster(t, Options{Workers: 2})
	ctx := context.Background()
	events, cancel := c.Subscribe()
	var fs []*Future[int]
	for i := 0; i < 10; i++ {
		fs = append(fs, Submit(ctx, c, func(context.Context) (int, error) {
			time.Sleep(time.Millisecond)
			return i, nil
		}, Name(fmt.Sprintf("t%d", i)), Kind("gaussian")))
	}
	_, err := Gather(ctx, fs)
	require.NoError(t, err)
	cancel()
	cancel() // harmless twice
	seen := map[uint64][]EventType{}
	for e := range events {
		require.Equal(t, "gaussian", e.Kind)
		require.True(t, strings.HasPrefix(e.Name, "t"))
		require.False(t, e.Time.IsZero())
		seen[e.TaskID] = append(seen[e.TaskID], e.Type)
		switch e.Type {
		case EventSubmitted:
			require.Equal(t, -1, e.Worker)
		case EventStarted:
			require.GreaterOrEqual(t, e.Worker, 0)
			require.Equal(t, "cpu", e.WorkerKind)
			require.GreaterOrEqual(t, e.Queued, time.Duration(0))
		case EventFinished:
			require.GreaterOrEqual(t, e.Duration, time.Millisecond)
			require.GreaterOrEqual(t, e.Worker, 0)
		}
	}
	require.Len(t, seen, 10)
	for _, f := range fs {
		require.Equal(t, []EventType{EventSubmitted, EventStarted, EventFinished}, seen[f.ID()])
	}
}

// A subscriber that never reads does not slow the workers; what it missed
// is counted.
func TestSlowSubscriberDrops(t *testing.T) {
	t.Parallel()
	c := newCluster(t, Options{Workers: 2, EventBuffer: 4})
	ctx := context.Background()
	events, cancel := c.Subscribe()
	defer cancel()
	var fs []*Future[int]
	for i := 0; i < 1000; i++ {
		fs = append(fs, Submit(ctx, c, func(context.Context) (int, error) { return i, nil }))
	}
	_, err := Gather(ctx, fs)
	require.NoError(t, err)
	for i := 0; i < 4; i++ {
		<-events
	}
	_, err = Submit(ctx, c, func(context.Context) (int, error) { return 0, nil }).Get(ctx)
	require.NoError(t, err)
	e := <-events
	require.Greater(t, e.Dropped, uint64(2900))
}

func TestStats(t *testing.T) {
	t.Parallel()
	c := newCluster(t, Options{Workers: 3})
	ctx := context.Background()
	kinds := []string{"read", "gaussian", "label", "write"}
	var fs []*Future[int]
	for i := 0; i < 40; i++ {
		fs = append(fs, Submit(ctx, c, func(context.Context) (int, error) {
			time.Sleep(100 * time.Microsecond)
			if i%10 == 9 {
				return 0, errors.New("bad plane")
			}
			return i, nil
		}, Kind(kinds[i%4])))
	}
	_ = Wait(ctx, toAwaitable(fs)...)
	st := c.Stats()
	require.Len(t, st.Kinds, 4)
	total := 0
	for i, ks := range st.Kinds {
		require.Equal(t, kinds[i], ks.Kind)
		require.Equal(t, 10, ks.Submitted)
		require.Zero(t, ks.Waiting)
		require.Zero(t, ks.Running)
		require.Equal(t, 10, ks.Done+ks.Failed)
		require.Greater(t, ks.Busy, time.Duration(0))
	}
	require.Equal(t, 2, kindByName(st, "gaussian").Failed) // i = 9, 29
	require.Equal(t, 2, kindByName(st, "write").Failed)    // i = 19, 39
	for _, w := range st.Workers {
		total += w.Tasks
		require.Equal(t, "cpu", w.Kind)
	}
	require.Equal(t, 40, total)
	require.Len(t, st.Failures, 4)
	require.Greater(t, st.Uptime, time.Duration(0))
}

func toAwaitable[T any](fs []*Future[T]) []Awaitable {
	out := make([]Awaitable, len(fs))
	for i, f := range fs {
		out[i] = f
	}
	return out
}

func TestStress(t *testing.T) {
	t.Parallel()
	n := 100_000
	if testing.Short() || raceEnabled {
		n = 20_000
	}
	c := newCluster(t, Options{Workers: 4, MaxPending: 1024})
	ctx := context.Background()
	fs := make([]*Future[int], n)
	for i := range fs {
		fs[i] = Submit(ctx, c, func(context.Context) (int, error) { return i, nil }, Kind("tiny"))
	}
	got, err := Gather(ctx, fs)
	require.NoError(t, err)
	sum := 0
	for _, v := range got {
		sum += v
	}
	require.Equal(t, n*(n-1)/2, sum)
	require.Equal(t, n, kindByName(c.Stats(), "tiny").Done)
}

type countJob struct {
	runs atomic.Int32
	fin  chan error
}

func (j *countJob) Run(context.Context, WorkerInfo) error { j.runs.Add(1); return nil }
func (j *countJob) Finish(err error)                      { j.fin <- err }

func TestGo(t *testing.T) {
	t.Parallel()
	c := newCluster(t, Options{Workers: 1})
	j := &countJob{fin: make(chan error, 1)}
	c.Go(context.Background(), TaskSpec{Name: "j", Kind: "k"}, j)
	require.NoError(t, <-j.fin)
	require.EqualValues(t, 1, j.runs.Load())
	c.Go(context.Background(), TaskSpec{Resources: []Resources{{"GPU": 1}}}, j)
	require.ErrorIs(t, <-j.fin, ErrNoWorker)
}

// Random mixes of requirements, priorities, failures, retries and
// cancellations keep the cluster's invariants: every future ends exactly
// once, device-only tasks run on devices, counts add up, the pending bound
// holds, and nothing leaks.
func TestRandomWorkloads(t *testing.T) {
	t.Parallel()
	for seed := uint64(1); seed <= 6; seed++ {
		r := rand.New(rand.NewPCG(seed, 99))
		K := 1 + r.IntN(16)
		c := newCluster(t, Options{Workers: 1 + r.IntN(3), Devices: make([]Device, r.IntN(3)), MaxPending: K,
			HoldUntilConsumed: r.IntN(2) == 0})
		ctx := context.Background()
		cctx, cancel := context.WithCancel(ctx)
		hasGPU := len(c.Workers()) > 0 && c.Workers()[len(c.Workers())-1].IsDevice()
		type want struct {
			gpuOnly, fails, cancelled bool
		}
		var fs []*Future[WorkerInfo]
		var wants []want
		var runs sync.Map
		n := 300
		for i := 0; i < n; i++ {
			var w want
			var opts []TaskOption
			switch r.IntN(3) {
			case 1:
				if hasGPU {
					opts = append(opts, GPU)
					w.gpuOnly = true
				}
			case 2:
				opts = append(opts, CPU, GPU)
			}
			opts = append(opts, Priority(r.IntN(5)), Kind([]string{"a", "b", "c"}[r.IntN(3)]))
			failFirst := r.IntN(8) == 0
			retries := r.IntN(2)
			if failFirst && retries == 0 {
				w.fails = true
			}
			opts = append(opts, Retries(retries))
			tctx := ctx
			if r.IntN(10) == 0 {
				tctx = cctx
				w.cancelled = true
			}
			id := i
			fs = append(fs, SubmitW(tctx, c, func(_ context.Context, wi WorkerInfo) (WorkerInfo, error) {
				v, _ := runs.LoadOrStore(id, new(atomic.Int32))
				k := v.(*atomic.Int32).Add(1)
				if failFirst && k == 1 {
					return wi, errors.New("first attempt fails")
				}
				return wi, nil
			}, opts...))
			wants = append(wants, w)
			if c.opts.HoldUntilConsumed && i >= K/2 {
				// Consume old results so the producer can go on.
				_, _ = fs[i-K/2].Get(ctx)
			}
			if i == n/2 {
				cancel()
			}
		}
		wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
		err := Wait(wctx, toAwaitable(fs)...)
		wcancel()
		require.NotErrorIs(t, err, context.DeadlineExceeded, "every future ends")
		for i, f := range fs {
			select {
			case <-f.Done():
			default:
				t.Fatalf("seed %d: future %d not done after Wait", seed, i)
			}
			wi, err := f.Get(ctx)
			w := wants[i]
			switch {
			case err == nil:
				require.False(t, w.fails, "seed %d task %d", seed, i)
				if w.gpuOnly {
					require.True(t, wi.IsDevice(), "seed %d task %d", seed, i)
				}
			case errors.Is(err, context.Canceled):
				require.True(t, w.cancelled, "seed %d task %d: %v", seed, i, err)
			default:
				require.True(t, w.fails, "seed %d task %d: %v", seed, i, err)
			}
		}
		st := c.Stats()
		total := 0
		for _, k := range st.Kinds {
			require.Zero(t, k.Waiting)
			require.Zero(t, k.Running)
			require.Equal(t, k.Submitted, k.Done+k.Failed)
			total += k.Submitted
		}
		require.LessOrEqual(t, st.PeakPending, K)
		// A slot is freed just after its future is done.
		require.Eventually(t, func() bool { return c.Stats().Pending == 0 }, 5*time.Second, time.Millisecond)
		require.LessOrEqual(t, total, n)
		cancel()
	}
}
