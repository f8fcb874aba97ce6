package array

import (
	"context"
	"runtime"

	"github.com/segstack/segstack/delayed"
	"github.com/segstack/segstack/sched"
)

// parallelism is the optional method by which an executor tells delayed
// how many workers it has; delayed then keeps only a few tasks per worker
// handed over and starts ready tasks in priority order, so the cheap leaves
// of a reduction (reading planes) do not run far ahead of the tasks that
// consume them. sched's LocalCluster and delayed.Parallel have it.
type parallelism interface{ Parallelism() int }

// planner is the optional method by which delayed announces the tasks it
// will submit (progress and ETA on sched's dashboard).
type planner interface{ Plan(kind string, n int) }

// bounded returns exec itself when delayed can bound the tasks it holds,
// and otherwise wraps it in a gate that does.
func bounded(exec delayed.Executor) delayed.Executor {
	if p, ok := exec.(parallelism); ok && p.Parallelism() > 0 {
		return exec
	}
	return gated(exec)
}

// gate bounds the tasks an executor that does not report its parallelism
// holds at once: a task is handed over only when one finishes, and delayed
// meanwhile picks the next ready task by priority, which is the consumer,
// so a reduction streams.
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

// Plan forwards delayed's announcements to the executor when it takes
// them.
func (g *gate) Plan(kind string, n int) {
	if p, ok := g.exec.(planner); ok {
		p.Plan(kind, n)
	}
}

type gatedJob struct {
	sched.Job
	g *gate
}

func (j gatedJob) Finish(err error) {
	<-j.g.slots
	j.Job.Finish(err)
}
