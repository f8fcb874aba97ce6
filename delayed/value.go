package delayed

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"

	"github.com/segstack/segstack/sched"
)

// ErrNotComputed is returned by Value.Result for a value that has not been
// the target of a finished Compute.
var ErrNotComputed = errors.New("delayed: value not computed")

// ErrBusy is returned by Compute when a node of the graph is part of another
// Compute that is still running; a node can be in one computation at a time.
var ErrBusy = errors.New("delayed: node is being computed by another Compute")

// NodeError is the error of a node that failed; it names the node and wraps
// the cause (a *sched.PanicError when the node panicked).
type NodeError struct {
	// Name and Key identify the node.
	Name, Key string
	// Err is the cause.
	Err error
}

func (e *NodeError) Error() string {
	return fmt.Sprintf("delayed: node %q (key %s): %v", e.Name, e.Key, e.Err)
}

// Unwrap returns the cause.
func (e *NodeError) Unwrap() error { return e.Err }

var nextID atomic.Uint64

// node is the untyped part of every lazy value.
type node struct {
	id   uint64
	key  string // explicit or token; "" means unique to the node
	spec sched.TaskSpec
	deps []*node
	impl impl // the typed node
	leaf bool // constants and persisted values: never run, never cleared
	pure bool

	// Result of the last computation that had the node as a target.
	state atomic.Int32 // stateNone, stateDone
	err   error

	// Scratch space of the computation that owns the node.
	owner atomic.Pointer[computation]
	idx   int32
}

const (
	stateNone int32 = iota
	stateDone
)

// impl is the typed part of a call node.
type impl interface {
	run(ctx context.Context) error
	clear()
	adopt(from *node) error
}

// Key returns the node's key: the explicit or pure key, or name-id.
func (n *node) Key() string {
	if n.key != "" {
		return n.key
	}
	return n.spec.Name + "-" + strconv.FormatUint(n.id, 10)
}

func (n *node) isLeaf() bool { return n.leaf }

// Node is any lazy value, whatever its type; Compute and GraphOf take a mix.
type Node interface {
	base() *node
}

// cell holds a node's typed result.
type cell[T any] struct {
	node
	val T
}

func (c *cell[T]) base() *node { return &c.node }

func (c *cell[T]) clear() {
	var zero T
	c.val = zero
}

func (c *cell[T]) adopt(from *node) error {
	src, ok := from.self().(interface{ get() T })
	if !ok {
		return fmt.Errorf("delayed: nodes %q and %q share key %s but not a result type", c.spec.Name, from.spec.Name, c.Key())
	}
	c.val = src.get()
	return nil
}

func (c *cell[T]) get() T { return c.val }

// self returns the typed node.
func (n *node) self() any { return n.impl }

// run does nothing: a bare cell is a leaf.
func (c *cell[T]) run(context.Context) error { return nil }

// Value is a lazy value of type T: the result of a call node, a constant, or
// a persisted result. The zero Value is not usable.
type Value[T any] struct {
	c *cell[T]
}

func (v Value[T]) base() *node { return &v.c.node }

// Key returns the value's key (see the package doc).
func (v Value[T]) Key() string { return v.c.Key() }

// Name returns the name the value was made with.
func (v Value[T]) Name() string { return v.c.spec.Name }

// Result returns the value's result from the last finished Compute that had
// it as a target (constants and persisted values always have one). It
// returns ErrNotComputed otherwise. It must not race with a Compute that
// includes the value.
func (v Value[T]) Result() (T, error) {
	c := v.c
	if c.isLeaf() {
		return c.val, nil
	}
	if c.state.Load() != stateDone {
		var zero T
		return zero, ErrNotComputed
	}
	if c.err != nil {
		var zero T
		return zero, c.err
	}
	return c.val, nil
}

// Of returns a constant lazy value holding x (dask's delayed(x) on data).
// Constants of basic types (numbers, strings, booleans) have a key made from
// their value, so pure calls on equal constants share a key.
func Of[T any](x T) Value[T] {
	c := &cell[T]{val: x}
	c.id = nextID.Add(1)
	c.spec.Name = "const"
	c.key = constKey(x)
	c.leaf = true
	c.impl = c
	return Value[T]{c}
}

// OfKey is Of with an explicit key, for data that Of cannot key by value.
func OfKey[T any](key string, x T) Value[T] {
	v := Of(x)
	v.c.key = key
	return v
}

func constKey(x any) string {
	var b []byte
	switch v := x.(type) {
	case int:
		b = strconv.AppendInt([]byte("int:"), int64(v), 10)
	case int64:
		b = strconv.AppendInt([]byte("int64:"), v, 10)
	case int32:
		b = strconv.AppendInt([]byte("int32:"), int64(v), 10)
	case uint:
		b = strconv.AppendUint([]byte("uint:"), uint64(v), 10)
	case uint64:
		b = strconv.AppendUint([]byte("uint64:"), v, 10)
	case uint32:
		b = strconv.AppendUint([]byte("uint32:"), uint64(v), 10)
	case float64:
		b = strconv.AppendFloat([]byte("float64:"), v, 'g', -1, 64)
	case float32:
		b = strconv.AppendFloat([]byte("float32:"), float64(v), 'g', -1, 32)
	case bool:
		b = strconv.AppendBool([]byte("bool:"), v)
	case string:
		if len(v) > 256 {
			return ""
		}
		b = strconv.AppendQuote([]byte("string:"), v)
	default:
		return ""
	}
	return string(b)
}
