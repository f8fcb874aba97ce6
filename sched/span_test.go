package sched

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSpanWithoutCluster(t *testing.T) {
	ctx := context.Background()
	sp := StartSpan(ctx, "read")
	require.Equal(t, Span{}, sp, "no cluster in ctx: the zero span")
	sp.End()
	//lint:ignore SA1012 StartSpan must treat a nil context as one without a row, not panic
	StartSpan(nil, "read").End()
	allocs := testing.AllocsPerRun(1000, func() { StartSpan(ctx, "read").End() })
	require.Zero(t, allocs)
}

// stagedTask records the stages of a plane the way the segment pipeline
// does; hold makes each stage last at least that long.
func stagedTask(hold time.Duration) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		for _, k := range []string{"read", "gaussian", "threshold", "label"} {
			sp := StartSpan(ctx, k)
			if hold > 0 {
				time.Sleep(hold)
			}
			sp.End()
		}
		return 0, nil
	}
}

func TestSpansRecorded(t *testing.T) {
	t.Parallel()
	c := newCluster(t, Options{Workers: 2})
	ctx := context.Background()
	const planes = 12
	for _, k := range []string{"read", "gaussian", "threshold", "label", "write"} {
		c.PlanSpans(k, planes)
	}
	start := time.Now()
	fs := make([]*Future[int], planes)
	for i := range fs {
		fs[i] = Submit(ctx, c, stagedTask(2*time.Millisecond), Kind("plane"), Name(fmt.Sprint("plane ", i)))
	}
	wctx := c.WithSpanRow(ctx, "writer")
	for _, f := range fs {
		_, err := f.Get(ctx)
		require.NoError(t, err)
		sp := StartSpan(wctx, "write")
		time.Sleep(time.Millisecond)
		sp.End()
	}
	elapsed := time.Since(start)

	stats := map[string]SpanStats{}
	for _, s := range c.SpanStats() {
		stats[s.Kind] = s
	}
	for _, k := range []string{"read", "gaussian", "threshold", "label", "write"} {
		require.Equal(t, planes, stats[k].Done, k)
		require.Equal(t, planes, stats[k].Total, k)
		require.Zero(t, stats[k].Running, k)
		lo := time.Duration(planes) * time.Millisecond
		require.GreaterOrEqual(t, stats[k].Busy, lo, k)
		require.Less(t, stats[k].Busy, 2*elapsed, k)
	}

	s := c.Snapshot(time.Minute)
	require.Equal(t, stats, func() map[string]SpanStats {
		m := map[string]SpanStats{}
		for _, k := range s.Spans {
			m[k.Kind] = k
		}
		return m
	}(), "the snapshot's totals are SpanStats")
	require.Equal(t, []string{"writer"}, s.Trace.Rows)
	writerRow := len(s.Stats.Workers)
	seen := map[string]int{}
	busy := map[string]time.Duration{}
	rows := map[string]map[int]bool{}
	for _, sp := range s.Trace.Stages {
		seen[sp.Kind] += sp.Spans
		if rows[sp.Kind] == nil {
			rows[sp.Kind] = map[int]bool{}
		}
		rows[sp.Kind][sp.Row] = true
		require.False(t, sp.End.Before(sp.Start), "start before end")
		require.False(t, sp.End.After(s.Time), "ended before the snapshot")
		require.Positive(t, sp.Busy)
		require.LessOrEqual(t, sp.Busy, sp.End.Sub(sp.Start), "busy within the entry's time")
		busy[sp.Kind] += sp.Busy
	}
	for _, k := range []string{"read", "gaussian", "threshold", "label", "write"} {
		require.Equal(t, planes, seen[k], "every %s span in the trace", k)
		require.Equal(t, stats[k].Busy, busy[k], "merged entries keep the busy time of %s", k)
	}
	require.Equal(t, map[int]bool{writerRow: true}, rows["write"], "write spans in the writer row")
	for row := range rows["read"] {
		require.Less(t, row, writerRow, "read spans in worker rows")
	}
	// The task spans are still there, one attempt per plane.
	tasks := 0
	for _, sp := range s.Trace.Tasks {
		require.Equal(t, "plane", sp.Kind)
		require.False(t, sp.Failed)
		tasks += sp.Tasks
	}
	require.Equal(t, planes, tasks)
	require.Empty(t, s.Trace.Open)
}

func TestSpanRowsShared(t *testing.T) {
	t.Parallel()
	c := newCluster(t, Options{Workers: 3})
	ctx := context.Background()
	a := c.WithSpanRow(ctx, "writer")
	b := c.WithSpanRow(ctx, "reader")
	a2 := c.WithSpanRow(ctx, "writer")
	StartSpan(a, "write").End()
	StartSpan(b, "read").End()
	StartSpan(a2, "write").End()
	s := c.Snapshot(time.Minute)
	require.Equal(t, []string{"writer", "reader"}, s.Trace.Rows)
	byRow := map[int]int{}
	for _, sp := range s.Trace.Stages {
		byRow[sp.Row] += sp.Spans
	}
	require.Equal(t, map[int]int{3: 2, 4: 1}, byRow)
	// Without PlanSpans the total is unknown.
	for _, st := range s.Spans {
		require.Zero(t, st.Total)
	}
}

func TestSpanOpenShown(t *testing.T) {
	t.Parallel()
	c := newCluster(t, Options{Workers: 1})
	ctx := context.Background()
	started, release := make(chan struct{}), make(chan struct{})
	f := Submit(ctx, c, func(ctx context.Context) (int, error) {
		sp := StartSpan(ctx, "gaussian")
		close(started)
		<-release
		sp.End()
		return 0, nil
	})
	<-started
	s := c.Snapshot(time.Minute)
	require.NotNil(t, s.Trace.Rows, "no extra rows: an empty list")
	require.Empty(t, s.Trace.Rows)
	require.Len(t, s.Trace.Open, 1)
	op := s.Trace.Open[0]
	require.Equal(t, 0, op.Row, "worker 0's row")
	require.Equal(t, "gaussian", op.Kind)
	require.False(t, op.Start.After(s.Time))
	require.Empty(t, s.Trace.Stages, "nothing ended yet")
	require.Len(t, s.Spans, 1)
	require.Equal(t, 1, s.Spans[0].Running)
	close(release)
	_, err := f.Get(ctx)
	require.NoError(t, err)
	s = c.Snapshot(time.Minute)
	require.Empty(t, s.Trace.Open)
	require.Equal(t, 0, s.Spans[0].Running)
	require.Equal(t, 1, s.Spans[0].Done)
	require.Len(t, s.Trace.Stages, 1)
	require.Empty(t, c.Snapshot(0).Trace.Stages, "no window, no spans")
}

func TestSpanAllocFreeInTask(t *testing.T) {
	c := newCluster(t, Options{Workers: 1})
	ctx := context.Background()
	var allocs float64
	_, err := Submit(ctx, c, func(ctx context.Context) (int, error) {
		StartSpan(ctx, "warm").End()
		allocs = testing.AllocsPerRun(2000, func() { StartSpan(ctx, "read").End() })
		return 0, nil
	}).Get(ctx)
	require.NoError(t, err)
	require.Zero(t, allocs)
}

func TestSpanContextKeepsTaskContext(t *testing.T) {
	t.Parallel()
	c := newCluster(t, Options{Workers: 1})
	type key struct{}
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	started := make(chan struct{})
	f := Submit(ctx, c, func(ctx context.Context) (string, error) {
		close(started)
		<-ctx.Done()
		v, _ := ctx.Value(key{}).(string)
		return v, ctx.Err()
	})
	<-started
	cancel()
	_, err := f.Get(context.Background())
	require.True(t, errors.Is(err, context.Canceled), "%v", err)
	v, err := Submit(context.Background(), c, func(ctx context.Context) (string, error) {
		v, _ := ctx.Value(key{}).(string)
		return v, nil
	}).Get(context.Background())
	require.NoError(t, err)
	require.Empty(t, v, "a value of an earlier task's context does not leak into the next")
}

// The trace of a window leaves out what ended before it, and covers the
// whole of a run that fits in it however many spans there are, in a ring
// of bounded size.
func TestSpansWindowedAndBounded(t *testing.T) {
	t.Parallel()
	n := 100_000
	if testing.Short() || raceEnabled {
		n = 20_000
	}
	c := newCluster(t, Options{Workers: 4, MaxPending: 4096})
	// A span that ended before the window is left out of the trace.
	const window = time.Minute
	old := time.Now().Add(-2 * window)
	c.spanLog.mu.Lock()
	c.spanLog.addLocked(0, c.spanLog.kindLocked("ancient"), old, old.Add(time.Second))
	c.spanLog.mu.Unlock()
	ctx := context.Background()
	fs := make([]*Future[int], n)
	for i := range fs {
		fs[i] = Submit(ctx, c, stagedTask(0), Kind("plane"))
	}
	_, err := Gather(ctx, fs)
	require.NoError(t, err)
	s := c.Snapshot(window)
	t.Logf("%d tasks × 4 spans: %d task spans, %d stage spans in the trace", n, len(s.Trace.Tasks), len(s.Trace.Stages))
	c.spanLog.mu.Lock()
	ring := len(c.spanLog.ring)
	c.spanLog.mu.Unlock()
	require.LessOrEqual(t, ring, traceCap)
	inTrace := map[string]int{}
	for _, sp := range s.Trace.Stages {
		inTrace[sp.Kind] += sp.Spans
	}
	require.NotContains(t, inTrace, "ancient")
	tasks := 0
	for _, sp := range s.Trace.Tasks {
		tasks += sp.Tasks
	}
	require.Equal(t, n, tasks, "the trace covers every task")
	for _, st := range s.Spans {
		if st.Kind == "ancient" {
			continue
		}
		require.Equal(t, n, st.Done, st.Kind)
		require.Equal(t, n, inTrace[st.Kind], "%s: the trace covers the whole run", st.Kind)
	}
}

func TestSpanMergeAndRing(t *testing.T) {
	t.Parallel()
	c := newCluster(t, Options{Workers: 1})
	l := &c.spanLog
	gap := TraceResolution
	base := time.Now().Add(-30 * time.Second)
	l.mu.Lock()
	read, label := l.kindLocked("read"), l.kindLocked("label")
	// Interleaved kinds, each span a tenth of a pixel, a tenth apart: each
	// kind merges until its entry covers stageMergeMax.
	at := base
	for i := 0; i < 400; i++ {
		l.addLocked(0, read, at, at.Add(gap/10))
		l.addLocked(0, label, at.Add(gap/10), at.Add(gap/5))
		at = at.Add(gap / 5)
	}
	l.mu.Unlock()
	got := l.since(base.Add(-time.Second))
	var n, busy int
	for _, sp := range got {
		require.LessOrEqual(t, sp.end.Sub(sp.start), stageMergeMax)
		n += sp.n
		busy += int(sp.busy / (gap / 10))
	}
	require.Equal(t, 800, n)
	require.Equal(t, 800, busy)
	// 400 spans of a fifth of a pixel cover 80 pixels: two or three entries
	// per kind rather than 400.
	require.LessOrEqual(t, len(got), 6)
	require.GreaterOrEqual(t, len(got), 4)

	// Spans too far apart to merge fill the ring up to its cap.
	l.mu.Lock()
	at = base
	for i := 0; i < 3*traceCap; i++ {
		l.addLocked(1, read, at, at.Add(time.Microsecond))
		at = at.Add(2 * gap)
	}
	require.Equal(t, traceCap, len(l.ring))
	l.mu.Unlock()
}

// BenchmarkSpan measures StartSpan and End inside a task, and on a context
// without a cluster (the no-op path).
func BenchmarkSpan(b *testing.B) {
	b.Run("task", func(b *testing.B) {
		c, err := NewLocalCluster(Options{Workers: 1})
		require.NoError(b, err)
		defer c.Close()
		b.ReportAllocs()
		_, err = Submit(context.Background(), c, func(ctx context.Context) (int, error) {
			for b.Loop() {
				StartSpan(ctx, "read").End()
			}
			return 0, nil
		}).Get(context.Background())
		require.NoError(b, err)
	})
	b.Run("noop", func(b *testing.B) {
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			StartSpan(ctx, "read").End()
		}
	})
}
