package sched

import (
	"errors"
	"fmt"
)

// ErrClosed is returned for work submitted to, or still queued in, a cluster
// that is closing or closed.
var ErrClosed = errors.New("sched: cluster closed")

// ErrNoWorker is returned for a task whose Resources no worker of the
// cluster offers; such a task would never run.
var ErrNoWorker = errors.New("sched: no worker offers the resources the task needs")

// TaskError is the error of a task that failed: it names the task and wraps
// the cause, so errors.Is(err, context.Canceled) and errors.As(err,
// &*PanicError) see through it.
type TaskError struct {
	// ID is the cluster's number for the task (0 if it was never queued).
	ID uint64
	// Name and Kind are the task's options.
	Name, Kind string
	// Attempts is how many times the task ran (0 if it never started).
	Attempts int
	// Err is the cause.
	Err error
}

func (e *TaskError) Error() string {
	name := e.Name
	if name == "" {
		name = fmt.Sprintf("#%d", e.ID)
	}
	return fmt.Sprintf("sched: task %s (%s): %v", name, e.Kind, e.Err)
}

// Unwrap returns the cause.
func (e *TaskError) Unwrap() error { return e.Err }

// PanicError is the error of a task that panicked; it keeps the panic value
// and the goroutine's stack at the panic.
type PanicError struct {
	// Value is what was passed to panic.
	Value any
	// Stack is the stack trace of the panicking goroutine.
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("panic: %v\n\n%s", e.Value, e.Stack)
}

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}
