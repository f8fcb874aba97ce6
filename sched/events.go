package sched

import (
	"sync"
	"sync/atomic"
	"time"
)

// EventType says what happened to a task.
type EventType uint8

// The events a task goes through. A task is Submitted once, Started once per
// attempt, Retried after each failed attempt that is run again, and ends
// with exactly one Finished or Failed.
const (
	EventSubmitted EventType = iota + 1
	EventStarted
	EventFinished
	EventFailed
	EventRetried
)

func (t EventType) String() string {
	switch t {
	case EventSubmitted:
		return "submitted"
	case EventStarted:
		return "started"
	case EventFinished:
		return "finished"
	case EventFailed:
		return "failed"
	case EventRetried:
		return "retried"
	}
	return "unknown"
}

// Event reports one step of one task.
type Event struct {
	// Type says what happened.
	Type EventType
	// TaskID, Name and Kind identify the task.
	TaskID     uint64
	Name, Kind string
	// Worker is the worker that ran (or runs) the task and WorkerKind its
	// kind ("cpu", "GPU"); Worker is -1 for Submitted and for tasks that
	// never ran.
	Worker     int
	WorkerKind string
	// Time is when the event happened.
	Time time.Time
	// Queued is how long the task waited between submission and this start
	// (Started only).
	Queued time.Duration
	// Duration is how long the last attempt ran (Finished, Failed, Retried).
	Duration time.Duration
	// Attempt counts the runs so far, from 1.
	Attempt int
	// Err is the attempt's error (Failed, Retried).
	Err error
	// Dropped is how many events for this subscriber were dropped, because
	// its channel was full, since the previous event it received.
	Dropped uint64
}

// eventHub fans events out to subscribers without ever blocking the sender.
type eventHub struct {
	n    atomic.Int32
	mu   sync.RWMutex
	subs []*subscription
	done bool
}

type subscription struct {
	ch      chan Event
	dropped atomic.Uint64
	closed  bool
}

// Subscribe returns a channel of task events and a function that ends the
// subscription (it closes the channel; calling it twice is harmless). The
// channel has Options.EventBuffer slots; workers never wait for a
// subscriber: when the channel is full the event is dropped and counted, and
// the next event delivered carries the count in Dropped. Stats is the
// lossless alternative. The channel is closed when the cluster closes.
func (c *LocalCluster) Subscribe() (<-chan Event, func()) {
	s := &subscription{ch: make(chan Event, c.opts.EventBuffer)}
	h := &c.events
	h.mu.Lock()
	if h.done {
		close(s.ch)
		s.closed = true
	} else {
		h.subs = append(h.subs, s)
		h.n.Add(1)
	}
	h.mu.Unlock()
	return s.ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if s.closed {
			return
		}
		s.closed = true
		close(s.ch)
		for i, x := range h.subs {
			if x == s {
				h.subs = append(h.subs[:i], h.subs[i+1:]...)
				h.n.Add(-1)
				break
			}
		}
	}
}

func (h *eventHub) emit(c *LocalCluster, typ EventType, t *task, w *worker, at time.Time, d time.Duration, err error) {
	if h.n.Load() == 0 {
		return
	}
	ev := Event{
		Type: typ, TaskID: t.id, Name: t.spec.Name, Kind: t.spec.Kind,
		Worker: -1, Time: at, Duration: d, Attempt: t.attempts, Err: err,
	}
	if w == nil {
		w = t.lastWorker
		if typ == EventFinished || typ == EventFailed {
			ev.Duration = t.runEnd.Sub(t.runStart)
		}
	}
	if w != nil && typ != EventSubmitted {
		ev.Worker = w.info.ID
		ev.WorkerKind = w.info.Kind
	}
	if typ == EventStarted {
		ev.Queued = at.Sub(t.submitted)
		ev.Attempt = t.attempts + 1
	}
	h.mu.RLock()
	for _, s := range h.subs {
		ev.Dropped = s.dropped.Swap(0)
		select {
		case s.ch <- ev:
		default:
			s.dropped.Add(ev.Dropped + 1)
		}
	}
	h.mu.RUnlock()
}

func (h *eventHub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.done = true
	for _, s := range h.subs {
		if !s.closed {
			s.closed = true
			close(s.ch)
		}
	}
	h.subs = nil
	h.n.Store(0)
}
