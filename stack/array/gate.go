package array

import (
	"context"
	"runtime"

	"github.com/segstack/segstack/delayed"
	"github.com/segstack/segstack/sched"
)

// gate bounds the tasks an executor holds at once. delayed hands every
// ready task to the executor at once, so without a bound the cheap leaves
// of a reduction (reading planes) run far ahead of the tasks that consume
// them and the whole input ends up in memory. With a bound, a task is
// handed over only when one finishes; delayed then picks the most recently
// readied task first, which is the consumer, and a reduction streams.
type gate struct {
	exec  delayed.Executor
	slots chan struct{}
}

// gated wraps exec with a bound of one task more than its workers (or than
// GOMAXPROCS for executors that do not say): every worker stays busy and
// one task waits to start.
func gated(exec delayed.Executor) delayed.Executor {
	return &gate{exec: exec, slots: make(chan struct{}, workersOf(exec)+1)}
}

// workersOf is the number of workers of a LocalCluster, or GOMAXPROCS for
// executors that do not say (at least 1).
func workersOf(exec delayed.Executor) int {
	n := runtime.GOMAXPROCS(0)
	if c, ok := exec.(*sched.LocalCluster); ok {
		n = len(c.Workers())
	}
	return max(n, 1)
}

func (g *gate) Go(ctx context.Context, spec sched.TaskSpec, job sched.Job) {
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		job.Finish(ctx.Err())
		return
	}
	g.exec.Go(ctx, spec, gatedJob{Job: job, g: g})
}

type gatedJob struct {
	sched.Job
	g *gate
}

func (j gatedJob) Finish(err error) {
	<-j.g.slots
	j.Job.Finish(err)
}
