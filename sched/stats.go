package sched

import "time"

type kindStats struct {
	planned, submitted, waiting, running, done, failed, retried int
	busy                                                        time.Duration
}

// Stats is a snapshot of a cluster's work.
type Stats struct {
	// Uptime is the time since the cluster started.
	Uptime time.Duration
	// Queued and Running count tasks now waiting and now running.
	Queued, Running int
	// Pending counts tasks holding a MaxPending slot; PeakPending is the
	// most that ever did at once. Both stay 0 without MaxPending.
	Pending, PeakPending int
	// MaxPending is Options.MaxPending.
	MaxPending int
	// Kinds has one entry per task kind, in the order kinds first appeared.
	Kinds []KindStats
	// Workers has one entry per worker, CPU workers first.
	Workers []WorkerStats
	// Failures lists the most recent failures, oldest first (at most 32).
	Failures []Failure
}

// KindStats counts the tasks of one kind.
type KindStats struct {
	Kind string
	// Planned counts tasks announced with Plan that are not submitted yet
	// (the rest of a delayed graph that waits for its inputs).
	Planned int
	// Submitted counts every task accepted; Waiting and Running those now
	// queued and running; Done and Failed those that ended; Retried the
	// attempts that failed and were run again.
	Submitted, Waiting, Running, Done, Failed, Retried int
	// Busy is the total run time of the kind's finished attempts.
	Busy time.Duration
}

// WorkerStats describes one worker.
type WorkerStats struct {
	ID   int
	Kind string
	// Device is the device's Name (or Kind:Index) for a device worker.
	Device string
	// Busy is the time spent running tasks, the running one included.
	Busy time.Duration
	// Tasks counts attempts run; Failed those that ended in failure.
	Tasks, Failed int
	// Current and CurrentKind name the running task, if any, and
	// RunningFor says for how long it has run.
	Current, CurrentKind string
	RunningFor           time.Duration
}

// Failure records one failed task.
type Failure struct {
	Time   time.Time
	TaskID uint64
	Name   string
	Kind   string
	Err    string
}

type failureLog struct {
	buf  [32]Failure
	n    int
	next int
}

func (l *failureLog) add(at time.Time, e *TaskError) {
	l.buf[l.next] = Failure{Time: at, TaskID: e.ID, Name: e.Name, Kind: e.Kind, Err: e.Err.Error()}
	l.next = (l.next + 1) % len(l.buf)
	if l.n < len(l.buf) {
		l.n++
	}
}

func (l *failureLog) list() []Failure {
	out := make([]Failure, 0, l.n)
	start := (l.next - l.n + len(l.buf)) % len(l.buf)
	for i := 0; i < l.n; i++ {
		out = append(out, l.buf[(start+i)%len(l.buf)])
	}
	return out
}

// Stats returns a snapshot of the cluster's counts. Unlike Subscribe it
// loses nothing, and it is cheap enough to poll a few times a second.
func (c *LocalCluster) Stats() Stats { return c.statsAt(time.Now()) }

func (c *LocalCluster) statsAt(now time.Time) Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Stats{
		Uptime:      now.Sub(c.start),
		Queued:      c.queued,
		Running:     c.running,
		Pending:     int(c.pending.Load()),
		PeakPending: int(c.peakPending.Load()),
		MaxPending:  c.opts.MaxPending,
		Kinds:       make([]KindStats, 0, len(c.kindOrder)),
		Workers:     make([]WorkerStats, 0, len(c.workers)),
		Failures:    c.failures.list(),
	}
	for _, k := range c.kindOrder {
		ks := c.kinds[k]
		s.Kinds = append(s.Kinds, KindStats{
			Kind: k, Planned: ks.planned, Submitted: ks.submitted, Waiting: ks.waiting, Running: ks.running,
			Done: ks.done, Failed: ks.failed, Retried: ks.retried, Busy: ks.busy,
		})
	}
	for _, w := range c.workers {
		ws := WorkerStats{ID: w.info.ID, Kind: w.info.Kind, Busy: w.busy, Tasks: w.tasks, Failed: w.fails}
		if d := w.info.Device; d != nil {
			ws.Device = d.Name
			if ws.Device == "" {
				ws.Device = d.Kind + ":" + itoa(d.Index)
			}
		}
		if w.cur != nil {
			ws.Current = w.cur.spec.Name
			ws.CurrentKind = w.cur.spec.Kind
			ws.RunningFor = now.Sub(w.since)
			ws.Busy += ws.RunningFor
		}
		s.Workers = append(s.Workers, ws)
	}
	return s
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	neg := i < 0
	if neg {
		i = -i
	}
	var b [20]byte
	p := len(b)
	for i > 0 {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		p--
		b[p] = '-'
	}
	return string(b[p:])
}

// Plan announces n more tasks of kind that will be submitted later, so
// progress and the dashboard can show the whole job and an ETA before every
// task is queued; each submitted task of the kind uses up one. A negative n
// withdraws tasks that will not come after all. The delayed package plans a
// computation's nodes when it starts.
func (c *LocalCluster) Plan(kind string, n int) {
	if kind == "" {
		kind = "task"
	}
	c.mu.Lock()
	ks := c.kindLocked(kind)
	ks.planned = max(0, ks.planned+n)
	c.mu.Unlock()
}
