package sched

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"github.com/segstack/segstack/internal/heap"
)

// Resources names what a task needs from the worker that runs it, with a
// count each, e.g. Resources{"GPU": 1}. A CPU worker offers {"CPU":
// ThreadsPerWorker}; a device worker offers {Device.Kind: 1} plus its
// Device.Resources. A worker can run a task when it offers at least the count
// of every resource the task names.
//
// Resources is also a TaskOption. Given more than once, each is an
// alternative: the task may run on a worker that meets any of them, so
// Submit(ctx, c, fn, sched.CPU, sched.GPU) runs on a core or on a GPU. A task
// given no Resources needs CPU.
type Resources map[string]int

// CPU is the default requirement: one CPU worker thread.
var CPU = Resources{"CPU": 1}

// GPU asks for one GPU worker.
var GPU = Resources{"GPU": 1}

func (r Resources) applyTask(s *TaskSpec) { s.Resources = append(s.Resources, r) }

// satisfiedBy says whether a worker offering have can run a task needing r.
func (r Resources) satisfiedBy(have Resources) bool {
	for k, n := range r {
		if n > 0 && have[k] < n {
			return false
		}
	}
	return true
}

func (r Resources) String() string {
	keys := make([]string, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.Itoa(r[k]))
	}
	return b.String()
}

// TaskSpec describes a task to the cluster. It is also a TaskOption that sets
// every field at once, which is how executors built on the cluster (the
// delayed package) pass a node's description without allocating.
type TaskSpec struct {
	// Name identifies the task in events, errors and the dashboard.
	Name string
	// Kind groups tasks for progress and the dashboard, e.g. "read",
	// "gaussian", "label", "write". Empty means "task".
	Kind string
	// Priority orders queued tasks: lower runs earlier; equal priorities run
	// in submission order.
	Priority int
	// Resources lists alternative requirements (see Resources); empty means
	// CPU.
	Resources []Resources
	// Retries is how many times a failed task is run again. Cancellation
	// (an error that is the context's) is never retried.
	Retries int
}

func (s *TaskSpec) applyTask(d *TaskSpec) { *d = *s }

// TaskOption configures one task.
type TaskOption interface{ applyTask(*TaskSpec) }

type optionFunc func(*TaskSpec)

func (f optionFunc) applyTask(s *TaskSpec) { f(s) }

// Name sets the task's name.
func Name(name string) TaskOption { return optionFunc(func(s *TaskSpec) { s.Name = name }) }

// Kind sets the task's kind, the group it is counted in by progress and the
// dashboard.
func Kind(kind string) TaskOption { return optionFunc(func(s *TaskSpec) { s.Kind = kind }) }

// Priority sets the task's priority: lower runs earlier.
func Priority(p int) TaskOption { return optionFunc(func(s *TaskSpec) { s.Priority = p }) }

// Retries lets a failed task run up to n more times.
func Retries(n int) TaskOption { return optionFunc(func(s *TaskSpec) { s.Retries = n }) }

// WorkerInfo tells a task which worker runs it, so a task with a CPU and a
// device implementation can pick one.
type WorkerInfo struct {
	// ID numbers the cluster's workers from 0; CPU workers come first.
	ID int
	// Kind is "cpu" for a CPU worker and the device's Kind ("GPU") for a
	// device worker.
	Kind string
	// Threads is how many threads a CPU worker may use (ThreadsPerWorker);
	// 1 for a device worker.
	Threads int
	// Device is the device a device worker holds; nil on a CPU worker.
	Device *Device
	// Resources is what the worker offers.
	Resources Resources
}

// IsDevice reports whether the worker holds a device.
func (w WorkerInfo) IsDevice() bool { return w.Device != nil }

// Job is a unit of work handed to LocalCluster.Go: the low-level form under
// Submit, used by executors such as the delayed package.
type Job interface {
	// Run does the work; it may run more than once when the task has
	// Retries.
	Run(ctx context.Context, w WorkerInfo) error
	// Finish is called exactly once with the final error (nil on success),
	// from a worker goroutine or from Go itself. It must not block.
	Finish(err error)
}

// taskClass holds the queued tasks that share one set of alternative
// requirements; every worker knows which classes it can run.
type taskClass struct {
	idx  int
	key  string
	alts []Resources
	// q holds the queued tasks by (Priority, seq): lower priorities
	// first, then submission order; a retried task keeps its seq.
	q heap.Heap[int, *task]
	// noWorker is set when no worker of the cluster can run the class.
	noWorker bool
}

func classKey(alts []Resources) string {
	parts := make([]string, len(alts))
	for i, a := range alts {
		parts[i] = a.String()
	}
	sort.Strings(parts)
	return strings.Join(parts, "|")
}

func (cl *taskClass) runnableBy(have Resources) bool {
	for _, a := range cl.alts {
		if a.satisfiedBy(have) {
			return true
		}
	}
	return false
}
