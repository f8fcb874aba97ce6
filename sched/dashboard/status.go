package dashboard

import (
	"time"

	"github.com/segstack/segstack/sched"
)

// Status is the dashboard's view of a cluster, served as JSON at
// /api/status and pushed to the page by server-sent events. Its size is
// bounded whatever the number of tasks: the task stream is windowed,
// merged and capped, histories are capped.
type Status struct {
	// Time is the snapshot's time in Unix milliseconds.
	Time int64 `json:"time"`
	// Uptime is the cluster's age in seconds.
	Uptime float64 `json:"uptime_s"`
	// Queued, Running, Pending, PeakPending and MaxPending are as in
	// sched.Stats.
	Queued      int `json:"queued"`
	Running     int `json:"running"`
	Pending     int `json:"pending"`
	PeakPending int `json:"peak_pending"`
	MaxPending  int `json:"max_pending"`
	// Kinds is the progress per task kind.
	Kinds []KindStatus `json:"kinds"`
	// Stages is the progress per span kind (see sched.StartSpan): the
	// stages tasks record inside themselves.
	Stages []StageStatus `json:"stages"`
	// Workers describes each worker.
	Workers []WorkerStatus `json:"workers"`
	// Stream is the recent task stream.
	Stream StreamStatus `json:"stream"`
	// Memory is the process's memory now and over time.
	Memory MemoryStatus `json:"memory"`
	// Gauges are the values registered with Dashboard.RegisterGauge.
	Gauges []GaugeStatus `json:"gauges"`
	// Failures are the most recent failures.
	Failures []FailureStatus `json:"failures"`
}

// KindStatus is the progress of one task kind.
type KindStatus struct {
	Kind      string  `json:"kind"`
	Planned   int     `json:"planned"`
	Submitted int     `json:"submitted"`
	Waiting   int     `json:"waiting"`
	Running   int     `json:"running"`
	Done      int     `json:"done"`
	Failed    int     `json:"failed"`
	Retried   int     `json:"retried"`
	Busy      float64 `json:"busy_s"`
	// Rate is tasks ended per second over the last few seconds.
	Rate float64 `json:"rate"`
	// ETA is the seconds left for the planned, waiting and running tasks at
	// Rate; -1 when unknown.
	ETA float64 `json:"eta_s"`
}

// StageStatus is the progress of one span kind.
type StageStatus struct {
	// Kind is the span kind, e.g. "gaussian".
	Kind string `json:"kind"`
	// Running counts spans started and not ended; Done those ended.
	Running int `json:"running"`
	Done    int `json:"done"`
	// Total is the number of spans announced with sched's PlanSpans; 0
	// when unknown.
	Total int `json:"total"`
	// Busy is the summed length of the ended spans in seconds.
	Busy float64 `json:"busy_s"`
	// Rate is spans ended per second over the last few seconds.
	Rate float64 `json:"rate"`
	// ETA is the seconds left for Total at Rate: 0 once Done reaches
	// Total, -1 when Total or Rate is unknown.
	ETA float64 `json:"eta_s"`
}

// WorkerStatus describes one worker.
type WorkerStatus struct {
	ID     int    `json:"id"`
	Kind   string `json:"kind"`
	Device string `json:"device,omitempty"`
	// Busy is the total busy time in seconds; BusyFraction the busy share
	// of the last few seconds.
	Busy         float64 `json:"busy_s"`
	BusyFraction float64 `json:"busy_fraction"`
	Tasks        int     `json:"tasks"`
	Failed       int     `json:"failed"`
	Current      string  `json:"current,omitempty"`
	CurrentKind  string  `json:"current_kind,omitempty"`
	RunningFor   float64 `json:"running_for_s,omitempty"`
}

// StreamStatus is the task stream of the last Window seconds: one bar per
// task, or per run of same-kind tasks on a worker when they are closer than
// a pixel of a wide chart.
type StreamStatus struct {
	// Window is the stream's length in seconds.
	Window float64 `json:"window_s"`
	// KindNames are the kinds that Spans refer to by index.
	KindNames []string `json:"kind_names"`
	// Spans are [worker, kind index, start ms, end ms, failed 0/1, tasks],
	// times relative to Status.Time (so negative).
	Spans [][6]int64 `json:"spans"`
	// Tasks counts the tasks the spans stand for.
	Tasks int `json:"tasks"`
	// Stages are the spans recorded inside tasks (sched.StartSpan): [row, kind
	// index into KindNames, start ms, end ms, busy µs, spans]. Spans of a
	// kind that follow each other closely on a row are merged into one
	// entry whose busy time says how much of start..end they took (the
	// page draws that share of the row's height). Row numbers are worker
	// IDs, or len(Workers)+i for Rows[i].
	Stages [][6]int64 `json:"stages"`
	// OpenStages are the spans running now: [row, kind index, start ms].
	OpenStages [][3]int64 `json:"open_stages"`
	// Rows names the rows after the workers' ones, made by sched's
	// WithSpanRow for work outside tasks.
	Rows []string `json:"rows"`
	// Truncated says that older spans (or stages) were left out to keep
	// the payload small.
	Truncated bool `json:"truncated"`
}

// MemoryStatus is the process's memory.
type MemoryStatus struct {
	// RSS is the resident set size in bytes (from /proc/self/statm, or the
	// Go runtime's total when /proc is absent).
	RSS int64 `json:"rss_bytes"`
	// Heap is the Go heap in use.
	Heap int64 `json:"heap_bytes"`
	// History is [unix ms, rss, heap] at about 1 Hz over the last minutes.
	History [][3]int64 `json:"history"`
}

// GaugeStatus is one registered gauge.
type GaugeStatus struct {
	Name  string  `json:"name"`
	Help  string  `json:"help"`
	Value float64 `json:"value"`
	// History is [unix ms, value] at about 1 Hz.
	History [][2]float64 `json:"history"`
}

// FailureStatus is one failure.
type FailureStatus struct {
	Time   int64  `json:"time"`
	TaskID uint64 `json:"task_id"`
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Err    string `json:"error"`
}

const (
	// streamWindow is the task stream's length. Spans in it that are
	// closer than sched.TraceResolution, a pixel of a chart of the window
	// 1200 pixels wide, are merged.
	streamWindow = 60 * time.Second
	// streamMaxSpans caps the task spans, and the stage spans, sent.
	streamMaxSpans = 4000
	// rateWindow is how far back rates and busy fractions look.
	rateWindow = 5 * time.Second
)

// Status returns the dashboard's view of its cluster now.
func (d *Dashboard) Status() Status {
	snap := d.c.Snapshot(streamWindow)
	now := snap.Time
	st := snap.Stats
	hist, gauges := d.hist.history()
	s := Status{
		Time: now.UnixMilli(), Uptime: st.Uptime.Seconds(),
		Queued: st.Queued, Running: st.Running, Pending: st.Pending,
		PeakPending: st.PeakPending, MaxPending: st.MaxPending,
		Kinds: []KindStatus{}, Stages: []StageStatus{}, Workers: []WorkerStatus{}, Gauges: []GaugeStatus{},
		Failures: []FailureStatus{},
	}
	// Rates and busy fractions from the sample about rateWindow ago.
	var ref *sample
	for i := len(hist) - 1; i >= 0; i-- {
		ref = &hist[i]
		if now.Sub(hist[i].at) >= rateWindow {
			break
		}
	}
	for _, k := range st.Kinds {
		ks := KindStatus{Kind: k.Kind, Planned: k.Planned, Submitted: k.Submitted, Waiting: k.Waiting,
			Running: k.Running, Done: k.Done, Failed: k.Failed, Retried: k.Retried,
			Busy: k.Busy.Seconds(), ETA: -1}
		if ref != nil {
			if dt := now.Sub(ref.at).Seconds(); dt > 0.5 {
				ks.Rate = float64(k.Done+k.Failed-ref.kinds[k.Kind]) / dt
			}
		}
		left := k.Planned + k.Waiting + k.Running
		switch {
		case left == 0:
			ks.ETA = 0
		case ks.Rate > 0:
			ks.ETA = float64(left) / ks.Rate
		}
		s.Kinds = append(s.Kinds, ks)
	}
	for _, k := range snap.Spans {
		ss := StageStatus{Kind: k.Kind, Running: k.Running, Done: k.Done, Total: k.Total, Busy: k.Busy.Seconds(), ETA: -1}
		if ref != nil {
			if dt := now.Sub(ref.at).Seconds(); dt > 0.5 {
				ss.Rate = float64(k.Done-ref.stages[k.Kind]) / dt
			}
		}
		switch {
		case k.Total > 0 && k.Done >= k.Total:
			ss.ETA = 0
		case k.Total > 0 && ss.Rate > 0:
			ss.ETA = float64(k.Total-k.Done) / ss.Rate
		}
		s.Stages = append(s.Stages, ss)
	}
	for i, w := range st.Workers {
		ws := WorkerStatus{ID: w.ID, Kind: w.Kind, Device: w.Device, Busy: w.Busy.Seconds(),
			Tasks: w.Tasks, Failed: w.Failed, Current: w.Current, CurrentKind: w.CurrentKind,
			RunningFor: w.RunningFor.Seconds()}
		if ref != nil && i < len(ref.busy) {
			if dt := now.Sub(ref.at); dt > 500*time.Millisecond {
				ws.BusyFraction = min(1, max(0, float64(w.Busy-ref.busy[i])/float64(dt)))
			}
		} else if st.Uptime > 0 {
			ws.BusyFraction = min(1, float64(w.Busy)/float64(st.Uptime))
		}
		s.Workers = append(s.Workers, ws)
	}
	s.Stream = stream(now, snap.Trace)
	s.Memory.RSS, s.Memory.Heap = memory()
	s.Memory.History = make([][3]int64, 0, len(hist))
	for _, h := range hist {
		s.Memory.History = append(s.Memory.History, [3]int64{h.at.UnixMilli(), h.rss, h.heap})
	}
	for gi, g := range gauges {
		gs := GaugeStatus{Name: g.name, Help: g.help, Value: g.fn(), History: [][2]float64{}}
		for _, h := range hist {
			if gi < len(h.gauges) {
				gs.History = append(gs.History, [2]float64{float64(h.at.UnixMilli()), h.gauges[gi]})
			}
		}
		s.Gauges = append(s.Gauges, gs)
	}
	for _, f := range st.Failures {
		s.Failures = append(s.Failures, FailureStatus{Time: f.Time.UnixMilli(), TaskID: f.TaskID, Name: f.Name, Kind: f.Kind, Err: truncate(f.Err, 2000)})
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// stream builds the windowed, merged task stream and the stages in it
// from the trace of the window before now.
func stream(now time.Time, tr sched.Trace) StreamStatus {
	from := now.Add(-streamWindow)
	out := StreamStatus{Window: streamWindow.Seconds(), KindNames: []string{}, Spans: [][6]int64{},
		Stages: [][6]int64{}, OpenStages: [][3]int64{}, Rows: append([]string{}, tr.Rows...)}
	kindIdx := map[string]int64{}
	kind := func(name string) int64 {
		k, ok := kindIdx[name]
		if !ok {
			k = int64(len(out.KindNames))
			kindIdx[name] = k
			out.KindNames = append(out.KindNames, name)
		}
		return k
	}
	var n int
	out.Spans, n = mergeSpans(tr.Tasks, from, now, kind, out.Spans)
	out.Tasks = n
	for _, sp := range tr.Stages {
		st, busy := sp.Start, sp.Busy
		if st.Before(from) {
			// Clipped to the window: keep the share of busy time.
			busy = time.Duration(float64(busy) * float64(sp.End.Sub(from)) / float64(sp.End.Sub(sp.Start)))
			st = from
		}
		out.Stages = append(out.Stages, [6]int64{int64(sp.Row), kind(sp.Kind),
			st.Sub(now).Milliseconds(), sp.End.Sub(now).Milliseconds(), busy.Microseconds(), int64(sp.Spans)})
	}
	if len(out.Spans) > streamMaxSpans {
		out.Spans = out.Spans[len(out.Spans)-streamMaxSpans:]
		out.Truncated = true
	}
	if len(out.Stages) > streamMaxSpans {
		out.Stages = out.Stages[len(out.Stages)-streamMaxSpans:]
		out.Truncated = true
	}
	for _, o := range tr.Open {
		st := max(o.Start.Sub(now).Milliseconds(), -streamWindow.Milliseconds())
		out.OpenStages = append(out.OpenStages, [3]int64{int64(o.Row), kind(o.Kind), st})
	}
	return out
}

// mergeSpans appends spans to out as [row, kind index, start, end, failed,
// count], times relative to now, merging a span into the row's previous one
// when they are of one kind and closer than sched.TraceResolution; it also
// returns the count of recorded spans (tasks) they stand for.
func mergeSpans(spans []sched.TaskSpan, from, now time.Time, kind func(string) int64, out [][6]int64) ([][6]int64, int) {
	gap := sched.TraceResolution.Milliseconds()
	last := map[int]int{} // row → index in out of its latest span
	n := 0
	for _, sp := range spans {
		n += sp.Tasks
		k := kind(sp.Kind)
		st := sp.Start
		if st.Before(from) {
			st = from
		}
		start := st.Sub(now).Milliseconds()
		end := sp.End.Sub(now).Milliseconds()
		failed := int64(0)
		if sp.Failed {
			failed = 1
		}
		if i, ok := last[sp.Worker]; ok {
			p := &out[i]
			if p[1] == k && p[4] == failed && start-p[3] <= gap {
				p[3] = max(p[3], end)
				p[5] += int64(sp.Tasks)
				continue
			}
		}
		last[sp.Worker] = len(out)
		out = append(out, [6]int64{int64(sp.Worker), k, start, end, failed, int64(sp.Tasks)})
	}
	return out, n
}
