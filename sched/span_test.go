package sched

import (
	"context"
	"encoding/json"
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
	addr, err := c.ServeDashboard(":0")
	require.NoError(t, err)
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

	s, _ := getStatus(t, addr)
	require.Equal(t, []string{"writer"}, s.Stream.Rows)
	writerRow := int64(len(s.Workers))
	seen := map[string]int64{}
	busy := map[string]int64{}
	rows := map[string]map[int64]bool{}
	for _, sp := range s.Stream.Stages {
		k := s.Stream.KindNames[sp[1]]
		seen[k] += sp[5]
		if rows[k] == nil {
			rows[k] = map[int64]bool{}
		}
		rows[k][sp[0]] = true
		require.LessOrEqual(t, sp[2], sp[3], "start before end")
		require.LessOrEqual(t, sp[3], int64(0), "times before the snapshot")
		require.Greater(t, sp[2], -int64(streamWindow/time.Millisecond)-1)
		require.Greater(t, sp[4], int64(0), "busy µs")
		require.LessOrEqual(t, sp[4], (sp[3]-sp[2]+1)*1000, "busy within the entry's time")
		busy[k] += sp[4]
	}
	for _, k := range []string{"read", "gaussian", "threshold", "label", "write"} {
		require.EqualValues(t, planes, seen[k], "every %s span in the stream", k)
		require.InDelta(t, stats[k].Busy.Microseconds(), busy[k], float64(planes), "merged entries keep the busy time of %s", k)
	}
	require.Equal(t, map[int64]bool{writerRow: true}, rows["write"], "write spans in the writer row")
	for row := range rows["read"] {
		require.Less(t, row, writerRow, "read spans in worker rows")
	}
	// The task bars are still there, one per plane.
	require.Equal(t, planes, s.Stream.Tasks)

	got := map[string]StageStatus{}
	for _, st := range s.Stages {
		got[st.Kind] = st
	}
	require.Equal(t, planes, got["label"].Done)
	require.Equal(t, planes, got["label"].Total)
	require.Zero(t, got["label"].ETA, "all planned spans done")

	metrics, _ := get(t, "http://"+addr+"/metrics")
	m := parseMetrics(t, metrics)
	for _, k := range []string{"read", "gaussian", "threshold", "label", "write"} {
		secs := m[`segstack_span_seconds_total{kind="`+k+`"}`]
		require.InDelta(t, stats[k].Busy.Seconds(), secs, 1e-9, k)
		require.Greater(t, secs, 0.0, k)
		require.EqualValues(t, planes, m[`segstack_spans_total{kind="`+k+`"}`], k)
	}
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
	s := c.Status()
	require.Equal(t, []string{"writer", "reader"}, s.Stream.Rows)
	byRow := map[int64]int64{}
	for _, sp := range s.Stream.Stages {
		byRow[sp[0]] += sp[5]
	}
	require.Equal(t, map[int64]int64{3: 2, 4: 1}, byRow)
	// Without PlanSpans the total, and so the ETA, is unknown.
	for _, st := range s.Stages {
		require.Zero(t, st.Total)
		require.EqualValues(t, -1, st.ETA)
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
	s := c.Status()
	js, err := json.Marshal(s)
	require.NoError(t, err)
	require.Contains(t, string(js), `"rows":[]`, "no extra rows: an empty list, not null")
	require.Len(t, s.Stream.OpenStages, 1)
	op := s.Stream.OpenStages[0]
	require.EqualValues(t, 0, op[0], "worker 0's row")
	require.Equal(t, "gaussian", s.Stream.KindNames[op[1]])
	require.LessOrEqual(t, op[2], int64(0))
	require.Len(t, s.Stages, 1)
	require.Equal(t, 1, s.Stages[0].Running)
	close(release)
	_, err = f.Get(ctx)
	require.NoError(t, err)
	s = c.Status()
	require.Empty(t, s.Stream.OpenStages)
	require.Equal(t, 0, s.Stages[0].Running)
	require.Equal(t, 1, s.Stages[0].Done)
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

func TestSpansWindowedAndBounded(t *testing.T) {
	t.Parallel()
	n := 100_000
	if testing.Short() || raceEnabled {
		n = 20_000
	}
	c := newCluster(t, Options{Workers: 4, MaxPending: 4096})
	addr, err := c.ServeDashboard(":0")
	require.NoError(t, err)
	// A span that ended before the window is left out of the stream but
	// still counts in the totals.
	old := time.Now().Add(-2 * streamWindow)
	c.spanLog.mu.Lock()
	c.spanLog.addLocked(0, c.spanLog.kindLocked("ancient"), old, old.Add(time.Second))
	c.spanLog.mu.Unlock()
	ctx := context.Background()
	fs := make([]*Future[int], n)
	for i := range fs {
		fs[i] = Submit(ctx, c, stagedTask(0), Kind("plane"))
	}
	_, err = Gather(ctx, fs)
	require.NoError(t, err)
	s, size := getStatus(t, addr)
	t.Logf("%d tasks × 4 spans: status %d bytes, %d task spans, %d stage spans", n, size, len(s.Stream.Spans), len(s.Stream.Stages))
	require.LessOrEqual(t, len(s.Stream.Stages), streamMaxSpans)
	require.Less(t, size, 400_000)
	require.NotContains(t, s.Stream.KindNames, "ancient")
	c.spanLog.mu.Lock()
	ring := len(c.spanLog.ring)
	c.spanLog.mu.Unlock()
	require.LessOrEqual(t, ring, recorderCap)
	inStream := map[string]int64{}
	for _, sp := range s.Stream.Stages {
		inStream[s.Stream.KindNames[sp[1]]] += sp[5]
	}
	for _, st := range c.SpanStats() {
		if st.Kind == "ancient" {
			continue
		}
		require.Equal(t, n, st.Done, st.Kind)
		require.EqualValues(t, n, inStream[st.Kind], "%s: the stream covers the whole run", st.Kind)
	}
}

func TestSpanMergeAndRing(t *testing.T) {
	t.Parallel()
	c := newCluster(t, Options{Workers: 1})
	l := &c.spanLog
	gap := streamWindow / streamPixels
	base := time.Now().Add(-streamWindow / 2)
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
	for i := 0; i < 3*recorderCap; i++ {
		l.addLocked(1, read, at, at.Add(time.Microsecond))
		at = at.Add(2 * gap)
	}
	require.Equal(t, recorderCap, len(l.ring))
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
