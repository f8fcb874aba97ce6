package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/segstack/segstack/sched"
	"github.com/stretchr/testify/require"
)

// stagedTask records the stages of a plane the way the segment pipeline
// does; hold makes each stage last at least that long.
func stagedTask(hold time.Duration) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		for _, k := range []string{"read", "gaussian", "threshold", "label"} {
			sp := sched.StartSpan(ctx, k)
			if hold > 0 {
				time.Sleep(hold)
			}
			sp.End()
		}
		return 0, nil
	}
}

// The spans recorded inside tasks and on a row of their own are in the
// status's stream, in its progress per stage and in /metrics.
func TestSpansInStatus(t *testing.T) {
	t.Parallel()
	c := newCluster(t, sched.Options{Workers: 2})
	_, addr := serve(t, c)
	ctx := context.Background()
	const planes = 12
	kinds := []string{"read", "gaussian", "threshold", "label", "write"}
	for _, k := range kinds {
		c.PlanSpans(k, planes)
	}
	fs := make([]*sched.Future[int], planes)
	for i := range fs {
		fs[i] = sched.Submit(ctx, c, stagedTask(2*time.Millisecond), sched.Kind("plane"), sched.Name(fmt.Sprint("plane ", i)))
	}
	wctx := c.WithSpanRow(ctx, "writer")
	for _, f := range fs {
		_, err := f.Get(ctx)
		require.NoError(t, err)
		sp := sched.StartSpan(wctx, "write")
		time.Sleep(time.Millisecond)
		sp.End()
	}
	stats := map[string]sched.SpanStats{}
	for _, s := range c.SpanStats() {
		stats[s.Kind] = s
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
	for _, k := range kinds {
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
	for _, k := range kinds {
		secs := m[`segstack_span_seconds_total{kind="`+k+`"}`]
		require.InDelta(t, stats[k].Busy.Seconds(), secs, 1e-9, k)
		require.Greater(t, secs, 0.0, k)
		require.EqualValues(t, planes, m[`segstack_spans_total{kind="`+k+`"}`], k)
	}
}

func TestStreamRowsShared(t *testing.T) {
	t.Parallel()
	c := newCluster(t, sched.Options{Workers: 3})
	d := newDashboard(t, c, Options{})
	ctx := context.Background()
	a := c.WithSpanRow(ctx, "writer")
	b := c.WithSpanRow(ctx, "reader")
	a2 := c.WithSpanRow(ctx, "writer")
	sched.StartSpan(a, "write").End()
	sched.StartSpan(b, "read").End()
	sched.StartSpan(a2, "write").End()
	s := d.Status()
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

func TestStreamOpenShown(t *testing.T) {
	t.Parallel()
	c := newCluster(t, sched.Options{Workers: 1})
	d := newDashboard(t, c, Options{})
	ctx := context.Background()
	started, release := make(chan struct{}), make(chan struct{})
	f := sched.Submit(ctx, c, func(ctx context.Context) (int, error) {
		sp := sched.StartSpan(ctx, "gaussian")
		close(started)
		<-release
		sp.End()
		return 0, nil
	})
	<-started
	s := d.Status()
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
	s = d.Status()
	require.Empty(t, s.Stream.OpenStages)
	require.Equal(t, 0, s.Stages[0].Running)
	require.Equal(t, 1, s.Stages[0].Done)
}

// With 100 000 tasks of four spans each the status stays small: the stage
// spans are merged and capped, and still count every span of the run.
func TestStreamStagesBounded(t *testing.T) {
	t.Parallel()
	n := 100_000
	if testing.Short() || raceEnabled {
		n = 20_000
	}
	c := newCluster(t, sched.Options{Workers: 4, MaxPending: 4096})
	_, addr := serve(t, c)
	ctx := context.Background()
	fs := make([]*sched.Future[int], n)
	for i := range fs {
		fs[i] = sched.Submit(ctx, c, stagedTask(0), sched.Kind("plane"))
	}
	_, err := sched.Gather(ctx, fs)
	require.NoError(t, err)
	s, size := getStatus(t, addr)
	t.Logf("%d tasks × 4 spans: status %d bytes, %d task spans, %d stage spans", n, size, len(s.Stream.Spans), len(s.Stream.Stages))
	require.LessOrEqual(t, len(s.Stream.Stages), streamMaxSpans)
	require.Less(t, size, 400_000)
	inStream := map[string]int64{}
	for _, sp := range s.Stream.Stages {
		inStream[s.Stream.KindNames[sp[1]]] += sp[5]
	}
	for _, st := range s.Stages {
		require.Equal(t, n, st.Done, st.Kind)
		require.EqualValues(t, n, inStream[st.Kind], "%s: the stream covers the whole run", st.Kind)
	}
}

// Task spans of one kind on one worker closer than the trace's resolution
// merge into one bar; others stay apart, and the bars are clipped to the
// window.
func TestMergeSpans(t *testing.T) {
	t.Parallel()
	now := time.Now()
	from := now.Add(-streamWindow)
	at := func(ms int) time.Time { return now.Add(time.Duration(ms) * time.Millisecond) }
	gap := int(sched.TraceResolution.Milliseconds())
	spans := []sched.TaskSpan{
		{Worker: 0, Kind: "read", Start: at(-70_000), End: at(-59_000), Tasks: 2},
		{Worker: 0, Kind: "read", Start: at(-59_000 + gap), End: at(-58_000), Tasks: 3},
		{Worker: 1, Kind: "read", Start: at(-57_000), End: at(-56_000), Tasks: 1},
		{Worker: 0, Kind: "read", Start: at(-58_000 + gap + 1), End: at(-57_000), Tasks: 1},
		{Worker: 0, Kind: "label", Start: at(-57_000), End: at(-56_000), Tasks: 1},
		{Worker: 0, Kind: "label", Start: at(-56_000), End: at(-55_000), Failed: true, Tasks: 1},
	}
	var names []string
	idx := map[string]int64{}
	kind := func(k string) int64 {
		if _, ok := idx[k]; !ok {
			idx[k] = int64(len(names))
			names = append(names, k)
		}
		return idx[k]
	}
	out, n := mergeSpans(spans, from, now, kind, nil)
	require.Equal(t, 9, n)
	require.Equal(t, []string{"read", "label"}, names)
	require.Equal(t, [][6]int64{
		{0, 0, -60_000, -58_000, 0, 5},
		{1, 0, -57_000, -56_000, 0, 1},
		{0, 0, int64(-58_000 + gap + 1), -57_000, 0, 1},
		{0, 1, -57_000, -56_000, 0, 1},
		{0, 1, -56_000, -55_000, 1, 1},
	}, out)
}
