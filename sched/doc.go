// Package sched runs tasks on a local cluster of CPU workers and device
// workers, the way a segstack pipeline runs one small chain of kernels per
// plane.
//
// A LocalCluster owns a fixed set of workers. CPU workers run on the host's
// cores; each device worker holds one device (a GPU, say) and runs only the
// tasks that ask for what it offers. All workers pull from one queue, so a
// task that can run either on a core or on a GPU goes to whichever worker is
// free first, and a fast GPU and the cores share a stack in proportion to
// their speed.
//
// Typed work is submitted with Submit (or SubmitW, whose function is told
// which worker runs it) and returns a Future. Gather, Wait and AsCompleted
// collect futures. Tasks carry options: a Name and a Kind for progress and the
// dashboard, a Priority (lower runs earlier), Resources they need, and a
// number of Retries.
//
// Options.MaxPending bounds the work in flight: Submit blocks, honouring its
// context, while MaxPending tasks are unfinished (or, with
// Options.HoldUntilConsumed, while their results have not been consumed), so
// a pipeline holds O(MaxPending) buffers rather than O(stack).
//
// Subscribe streams events (submitted, started, finished, failed, retried)
// without ever blocking workers, and Stats returns a snapshot of counts per
// task kind and busy time per worker. Snapshot adds the totals per span
// kind and the trace of recent work, all as plain data: the live dashboard
// (a page, a JSON status and Prometheus metrics over HTTP) is package
// sched/dashboard, which reads a cluster through Snapshot and stops when
// its Context ends.
//
// A task that does several things in a row records each as a Span, which
// the trace keeps in the worker's row and the dashboard's task stream draws
// there, coloured by kind:
//
//	defer sched.StartSpan(ctx, "gaussian").End()
//
// StartSpan costs no allocation and records nothing when ctx is not a
// task's (the same code run without a cluster). Work outside tasks, such as
// a writer that must run in order, gets a row of its own with WithSpanRow,
// and PlanSpans announces how many spans of a kind to expect, for an ETA.
package sched
