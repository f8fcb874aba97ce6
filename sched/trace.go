package sched

import (
	"sync"
	"time"
)

// TraceResolution is the time under which the cluster's trace merges
// neighbouring spans as it records them: consecutive tasks of one kind on
// one worker that start within TraceResolution of the previous one's end
// are kept as one TaskSpan, and so are spans of one kind on one row (see
// StageSpan). A chart of the last minute drawn 1200 pixels wide loses
// nothing to the merging, while the trace covers minutes of tiny tasks in
// bounded memory.
const TraceResolution = 50 * time.Millisecond

// traceCap is how many closed spans each of the trace's rings keeps.
const traceCap = 1 << 14

// stageMergeMax bounds the time a merged stage span covers, 40 times the
// resolution, so that a drawing still shows how the shares of the kinds
// change.
const stageMergeMax = 40 * TraceResolution

// TaskSpan is one attempt of a task on a worker, or several consecutive
// attempts of one kind there, merged because each started within
// TraceResolution of the previous one's end.
type TaskSpan struct {
	// Worker is the ID of the worker that ran the tasks.
	Worker int
	// Kind is the tasks' kind.
	Kind string
	// Start and End bound the merged attempts.
	Start, End time.Time
	// Failed says that the attempts failed (failed and successful attempts
	// are never merged); a retried attempt counts as failed.
	Failed bool
	// Tasks counts the attempts merged.
	Tasks int
}

// StageSpan is one span recorded inside a task (StartSpan), or several of
// one kind on one row merged: a span that starts within TraceResolution
// of the end of the row's growing span of its kind joins it, until the
// merged span would cover more than 40 times the resolution. Stages of
// consecutive tasks interleave (read, gaussian, label, read, ...), so
// merging per kind, rather than only neighbours, is what keeps the trace
// small.
type StageSpan struct {
	// Row is the row the spans ran on: a worker's ID, or for a row made by
	// WithSpanRow, the number of workers plus its index in Trace.Rows.
	Row int
	// Kind is the span kind.
	Kind string
	// Start and End bound the merged spans.
	Start, End time.Time
	// Busy is the spans' summed length: the share of Start..End that the
	// kind took.
	Busy time.Duration
	// Spans counts the spans merged.
	Spans int
}

// OpenSpan is a span started and not yet ended: the innermost (latest
// started) one of its row.
type OpenSpan struct {
	// Row is the row the span runs on, numbered as in StageSpan.
	Row int
	// Kind is the span kind.
	Kind string
	// Start is when the span started.
	Start time.Time
}

// Trace is the recent history of a cluster's work, as recorded at
// TraceResolution in bounded memory.
type Trace struct {
	// Tasks are the task spans that ended in the trace's window: per
	// worker oldest first, the ring of closed spans before the spans still
	// growing.
	Tasks []TaskSpan
	// Stages are the stage spans that ended in the window, in the order
	// they ended.
	Stages []StageSpan
	// Open are the spans running now, one per row at most, by row.
	Open []OpenSpan
	// Rows names the rows made by WithSpanRow, in the order they were
	// made; they follow the workers' rows.
	Rows []string
}

// Snapshot is everything a monitor of the cluster, such as the dashboard in
// sched/dashboard, reads at one moment, as plain data.
type Snapshot struct {
	// Time is the moment of the snapshot; Stats.Uptime and the
	// workers' RunningFor are measured to it.
	Time time.Time
	// Stats are the counts of tasks and workers.
	Stats Stats
	// Spans are the totals per span kind, as SpanStats returns them.
	Spans []SpanStats
	// Trace is the trace of the window before Time.
	Trace Trace
}

// Snapshot returns the cluster's counts, span totals and the trace of the
// spans that ended in the last window (none when window is not positive).
func (c *LocalCluster) Snapshot(window time.Duration) Snapshot {
	now := time.Now()
	s := Snapshot{Time: now, Stats: c.statsAt(now), Spans: c.SpanStats()}
	s.Trace.Rows = c.spanLog.rowNames()
	s.Trace.Open = c.spanLog.openSpans()
	if window > 0 {
		from := now.Add(-window)
		s.Trace.Tasks = c.rec.since(from)
		for _, sp := range c.spanLog.since(from) {
			s.Trace.Stages = append(s.Trace.Stages, StageSpan{Row: sp.row, Kind: sp.kind.name,
				Start: sp.start, End: sp.end, Busy: sp.busy, Spans: sp.n})
		}
	}
	return s
}

// recorder keeps the recent task spans of the trace. Consecutive tasks of
// one kind on one worker that are closer than TraceResolution are merged
// as they arrive, so the ring covers minutes of tiny tasks as well as a
// few long ones.
type recorder struct {
	mu    sync.Mutex
	spans []TaskSpan // ring of closed spans
	next  int
	open  []TaskSpan // per worker, the span still growing
}

func newRecorder() *recorder { return &recorder{spans: make([]TaskSpan, 0, 256)} }

func (r *recorder) add(worker int, kind string, start, end time.Time, failed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.open) <= worker {
		r.open = append(r.open, TaskSpan{Worker: len(r.open)})
	}
	o := &r.open[worker]
	if o.Tasks > 0 && o.Kind == kind && o.Failed == failed && start.Sub(o.End) <= TraceResolution {
		if end.After(o.End) {
			o.End = end
		}
		o.Tasks++
		return
	}
	if o.Tasks > 0 {
		if len(r.spans) < traceCap {
			r.spans = append(r.spans, *o)
		} else {
			r.spans[r.next] = *o
			r.next = (r.next + 1) % traceCap
		}
	}
	*o = TaskSpan{Worker: worker, Kind: kind, Start: start, End: end, Failed: failed, Tasks: 1}
}

// since returns the spans that ended after t, oldest first per worker.
func (r *recorder) since(t time.Time) []TaskSpan {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.spans)
	out := make([]TaskSpan, 0, 64)
	for i := 0; i < n; i++ {
		s := r.spans[(r.next+i)%n]
		if s.End.After(t) {
			out = append(out, s)
		}
	}
	for _, s := range r.open {
		if s.Tasks > 0 && s.End.After(t) {
			out = append(out, s)
		}
	}
	return out
}
