package sched

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Span is one timed stretch of work, a stage of a task such as "read" or
// "gaussian", recorded in the cluster's trace (Snapshot) in the row of the
// worker that runs it, which the dashboard draws as its task stream. Start
// one with StartSpan and end it with End:
//
//	defer sched.StartSpan(ctx, "read").End()
//
// The zero Span, which StartSpan returns when ctx belongs to no cluster
// (work run without a LocalCluster), records nothing. A Span is a small
// value: starting and ending one does not allocate.
type Span struct {
	row   *spanRow
	kind  *spanKind
	start time.Time
}

// spanKey is the context key under which a *spanRow travels.
type spanKey struct{}

// spanRow is one row of the trace that spans are recorded on: a
// worker, or a named row for work done outside tasks.
type spanRow struct {
	c  *LocalCluster
	id int
}

// spanCtx is the context a task runs with: its own, plus its worker's row.
// It is made again only when the task's context changes, so consecutive
// tasks sharing a context do not allocate.
type spanCtx struct {
	context.Context
	row *spanRow
}

func (s *spanCtx) Value(key any) any {
	if _, ok := key.(spanKey); ok {
		return s.row
	}
	return s.Context.Value(key)
}

// spanKind holds the totals of one span kind.
type spanKind struct {
	name    string
	running int
	done    int
	busy    time.Duration
	total   int // announced with PlanSpans; 0 when unknown
}

// openSpan is the span now running on a row, for the trace.
type openSpan struct {
	kind  *spanKind
	start time.Time
	n     int // spans open on the row (nested spans)
}

// spanLog holds the cluster's spans: per-kind totals, the rows made for
// work outside tasks, and the recent spans for the trace.
//
// Stages of consecutive tasks interleave (read, gaussian, label, read,
// ...), so merging a row's consecutive spans of one kind, as the task
// recorder does, would rarely merge anything. Instead each row keeps one
// growing span per kind: a span of that kind that starts within
// TraceResolution of the growing one's end joins it, adding its length to
// busy, until the merged span covers stageMergeMax. A merged span thus
// says "this kind took busy of the time between start and end", which the
// dashboard draws as that share of the row's height. The ring of closed
// spans has traceCap entries, so memory is bounded however many spans
// there are.
type spanLog struct {
	mu       sync.Mutex
	kinds    map[string]*spanKind
	order    []*spanKind
	open     []openSpan // by row id
	named    map[string]*spanRow
	names    []string // names of rows after the workers, in id order
	nWorkers int

	ring    []stageSpan // closed spans
	next    int
	growing [][]stageSpan // by row id, one per kind seen on the row
}

// stageSpan is one recorded span, or several merged ones.
type stageSpan struct {
	row        int
	kind       *spanKind
	start, end time.Time
	busy       time.Duration
	n          int
}

func (l *spanLog) init(nWorkers int) {
	l.kinds = map[string]*spanKind{}
	l.named = map[string]*spanRow{}
	l.nWorkers = nWorkers
	l.open = make([]openSpan, nWorkers)
	l.ring = make([]stageSpan, 0, 256)
}

// addLocked records a span that ran on row from start to end.
func (l *spanLog) addLocked(row int, k *spanKind, start, end time.Time) {
	for len(l.growing) <= row {
		l.growing = append(l.growing, nil)
	}
	g := l.growing[row]
	i := 0
	for i < len(g) && g[i].kind != k {
		i++
	}
	if i == len(g) {
		l.growing[row] = append(g, stageSpan{row: row, kind: k, start: start, end: end, busy: end.Sub(start), n: 1})
		return
	}
	o := &g[i]
	if start.Sub(o.end) <= TraceResolution && end.Sub(o.start) <= stageMergeMax {
		if end.After(o.end) {
			o.end = end
		}
		o.busy += end.Sub(start)
		o.n++
		return
	}
	if len(l.ring) < traceCap {
		l.ring = append(l.ring, *o)
	} else {
		l.ring[l.next] = *o
		l.next = (l.next + 1) % traceCap
	}
	*o = stageSpan{row: row, kind: k, start: start, end: end, busy: end.Sub(start), n: 1}
}

// since returns the spans that ended after t, closed and growing, in the
// order they ended.
func (l *spanLog) since(t time.Time) []stageSpan {
	l.mu.Lock()
	n := len(l.ring)
	out := make([]stageSpan, 0, 64)
	for i := 0; i < n; i++ {
		if s := l.ring[(l.next+i)%n]; s.end.After(t) {
			out = append(out, s)
		}
	}
	for _, g := range l.growing {
		for _, s := range g {
			if s.end.After(t) {
				out = append(out, s)
			}
		}
	}
	l.mu.Unlock()
	slices.SortStableFunc(out, func(a, b stageSpan) int { return a.end.Compare(b.end) })
	return out
}

func (l *spanLog) kindLocked(kind string) *spanKind {
	k, ok := l.kinds[kind]
	if !ok {
		k = &spanKind{name: kind}
		l.kinds[kind] = k
		l.order = append(l.order, k)
	}
	return k
}

// StartSpan starts a span of the given kind in the row of the worker whose
// task ctx belongs to (or the row ctx was given by WithSpanRow). It returns
// the zero Span, which records nothing, when ctx carries no such row. The
// span counts in SpanStats (the dashboard's progress per span kind, and
// segstack_span_seconds_total{kind=...} in its /metrics) and in the trace.
// An empty kind means "span".
func StartSpan(ctx context.Context, kind string) Span {
	if ctx == nil {
		return Span{}
	}
	row, _ := ctx.Value(spanKey{}).(*spanRow)
	if row == nil {
		return Span{}
	}
	if kind == "" {
		kind = "span"
	}
	now := time.Now()
	l := &row.c.spanLog
	l.mu.Lock()
	k := l.kindLocked(kind)
	k.running++
	o := &l.open[row.id]
	if o.n == 0 || now.After(o.start) {
		o.kind, o.start = k, now
	}
	o.n++
	l.mu.Unlock()
	return Span{row: row, kind: k, start: now}
}

// End ends the span and records it. Ending the zero Span does nothing;
// ending a span twice records it twice.
func (s Span) End() {
	if s.row == nil {
		return
	}
	end := time.Now()
	l := &s.row.c.spanLog
	l.mu.Lock()
	s.kind.running = max(0, s.kind.running-1)
	s.kind.done++
	s.kind.busy += end.Sub(s.start)
	if o := &l.open[s.row.id]; o.n > 0 {
		o.n--
		if o.n == 0 {
			o.kind = nil
		}
	}
	l.addLocked(s.row.id, s.kind, s.start, end)
	l.mu.Unlock()
}

// WithSpanRow returns a context whose spans (StartSpan) are recorded in a
// row of the trace named name, after the workers' rows, for work that is
// not a task: a writer that must run in order on one goroutine, say. Rows
// are made on first use and shared by name.
func (c *LocalCluster) WithSpanRow(ctx context.Context, name string) context.Context {
	l := &c.spanLog
	l.mu.Lock()
	row, ok := l.named[name]
	if !ok {
		row = &spanRow{c: c, id: l.nWorkers + len(l.names)}
		l.named[name] = row
		l.names = append(l.names, name)
		l.open = append(l.open, openSpan{})
	}
	l.mu.Unlock()
	return context.WithValue(ctx, spanKey{}, row)
}

// PlanSpans announces n more spans of kind expected in this run (one per
// plane, say), so that a monitor such as the dashboard can show an ETA for
// the kind (SpanStats.Total). A negative n
// withdraws spans that will not come after all.
func (c *LocalCluster) PlanSpans(kind string, n int) {
	if kind == "" {
		kind = "span"
	}
	l := &c.spanLog
	l.mu.Lock()
	k := l.kindLocked(kind)
	k.total = max(0, k.total+n)
	l.mu.Unlock()
}

// SpanStats counts the spans of one kind.
type SpanStats struct {
	Kind string
	// Running counts spans started and not ended; Done those ended.
	Running, Done int
	// Total is the number of spans announced with PlanSpans, 0 when none
	// were.
	Total int
	// Busy is the summed length of the ended spans.
	Busy time.Duration
}

// SpanStats returns the totals per span kind, in the order kinds first
// appeared.
func (c *LocalCluster) SpanStats() []SpanStats {
	l := &c.spanLog
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]SpanStats, 0, len(l.order))
	for _, k := range l.order {
		out = append(out, SpanStats{Kind: k.name, Running: k.running, Done: k.done, Total: k.total, Busy: k.busy})
	}
	return out
}

// openSpans returns, per row with a span running, its kind and start.
func (l *spanLog) openSpans() []OpenSpan {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []OpenSpan{}
	for i, o := range l.open {
		if o.n > 0 && o.kind != nil {
			out = append(out, OpenSpan{Row: i, Kind: o.kind.name, Start: o.start})
		}
	}
	return out
}

// rowNames returns the names of the rows after the workers, in id order.
func (l *spanLog) rowNames() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string{}, l.names...)
}

// spanContext returns ctx carrying w's row, reusing the last one made while
// ctx stays the same.
func (w *worker) spanContext(ctx context.Context) context.Context {
	if w.sctx == nil || w.sctx.Context != ctx {
		w.sctx = &spanCtx{Context: ctx, row: w.row}
	}
	return w.sctx
}
