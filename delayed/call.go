package delayed

import (
	"context"
	"encoding/binary"
	"hash/fnv"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/segstack/segstack/sched"
)

// Option configures a call node.
type Option func(*node)

// Kind sets the node's task kind (for progress and the dashboard); it
// defaults to the node's name.
func Kind(kind string) Option { return func(n *node) { n.spec.Kind = kind } }

// Priority sets the node's task priority: lower runs earlier among ready
// nodes.
func Priority(p int) Option { return func(n *node) { n.spec.Priority = p } }

// Resources sets what the node's task needs from a worker; several are
// alternatives (see sched.Resources).
func Resources(alts ...sched.Resources) Option {
	return func(n *node) { n.spec.Resources = append(n.spec.Resources, alts...) }
}

// Retries lets the node's task run up to r more times when it fails.
func Retries(r int) Option { return func(n *node) { n.spec.Retries = r } }

// Key gives the node an explicit key. Nodes with the same key in one
// Compute are computed once, so the key must stand for the result.
func Key(key string) Option { return func(n *node) { n.key = key } }

// Pure keys the node by a token of its function and its arguments' keys
// (dask's pure=True), so an identical call built twice is computed once per
// Compute. The function must be a named, top-level function (not a closure
// or method value, whose identity does not capture what they close over);
// for those Pure falls back to a unique key — give them Key instead.
func Pure() Option { return func(n *node) { n.pure = true } }

func (n *node) init(name string, deps []*node, fn any, opts []Option) {
	n.id = nextID.Add(1)
	n.spec.Name = name
	n.deps = deps
	for _, o := range opts {
		o(n)
	}
	if n.spec.Kind == "" {
		n.spec.Kind = name
	}
	if n.pure && n.key == "" {
		n.key = token(name, fn, deps)
	}
}

var funcNames sync.Map // code pointer → name, "" for closures

// token hashes a pure call: its function's name and its arguments' keys.
func token(name string, fn any, deps []*node) string {
	pc := reflect.ValueOf(fn).Pointer()
	fname, ok := funcNames.Load(pc)
	if !ok {
		f := runtime.FuncForPC(pc)
		s := ""
		if f != nil {
			s = f.Name()
			if isClosureName(s) {
				s = ""
			}
		}
		funcNames.Store(pc, s)
		fname = s
	}
	if fname.(string) == "" {
		return ""
	}
	h := fnv.New64a()
	h.Write([]byte(fname.(string)))
	var buf [9]byte
	for _, d := range deps {
		if d.key != "" {
			buf[0] = 'k'
			h.Write(buf[:1])
			h.Write([]byte(d.key))
		} else {
			buf[0] = 'i'
			binary.LittleEndian.PutUint64(buf[1:], d.id)
			h.Write(buf[:])
		}
	}
	return name + "-" + strconv.FormatUint(h.Sum64(), 16)
}

// isClosureName reports whether a runtime function name is a closure
// ("pkg.f.func1", "pkg.f.gowrap2") or a method value ("pkg.T.M-fm").
func isClosureName(s string) bool {
	if strings.HasSuffix(s, "-fm") {
		return true
	}
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return false
	}
	last := s[i+1:]
	for _, p := range []string{"func", "gowrap", "deferwrap"} {
		if rest, ok := strings.CutPrefix(last, p); ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
			return true
		}
	}
	// Nested closures: "pkg.f.func1.2".
	if strings.Trim(last, "0123456789") == "" {
		return true
	}
	return false
}

type call0[R any] struct {
	cell[R]
	fn func(context.Context) (R, error)
}

func (c *call0[R]) run(ctx context.Context) error {
	v, err := c.fn(ctx)
	c.val = v
	return err
}

// Call0 records a call of fn with no arguments.
func Call0[R any](name string, fn func(context.Context) (R, error), opts ...Option) Value[R] {
	c := &call0[R]{fn: fn}
	c.impl = c
	c.init(name, nil, fn, opts)
	return Value[R]{&c.cell}
}

type call1[A, R any] struct {
	cell[R]
	fn   func(context.Context, A) (R, error)
	a    *cell[A]
	deps [1]*node
}

func (c *call1[A, R]) run(ctx context.Context) error {
	v, err := c.fn(ctx, c.a.val)
	c.val = v
	return err
}

// Call1 records a call of fn on a.
func Call1[A, R any](name string, fn func(context.Context, A) (R, error), a Value[A], opts ...Option) Value[R] {
	c := &call1[A, R]{fn: fn, a: a.c}
	c.impl = c
	c.deps = [1]*node{&a.c.node}
	c.init(name, c.deps[:], fn, opts)
	return Value[R]{&c.cell}
}

type call2[A, B, R any] struct {
	cell[R]
	fn   func(context.Context, A, B) (R, error)
	a    *cell[A]
	b    *cell[B]
	deps [2]*node
}

func (c *call2[A, B, R]) run(ctx context.Context) error {
	v, err := c.fn(ctx, c.a.val, c.b.val)
	c.val = v
	return err
}

// Call2 records a call of fn on a and b.
func Call2[A, B, R any](name string, fn func(context.Context, A, B) (R, error), a Value[A], b Value[B], opts ...Option) Value[R] {
	c := &call2[A, B, R]{fn: fn, a: a.c, b: b.c}
	c.impl = c
	c.deps = [2]*node{&a.c.node, &b.c.node}
	c.init(name, c.deps[:], fn, opts)
	return Value[R]{&c.cell}
}

type call3[A, B, C, R any] struct {
	cell[R]
	fn   func(context.Context, A, B, C) (R, error)
	a    *cell[A]
	b    *cell[B]
	c    *cell[C]
	deps [3]*node
}

func (c *call3[A, B, C, R]) run(ctx context.Context) error {
	v, err := c.fn(ctx, c.a.val, c.b.val, c.c.val)
	c.val = v
	return err
}

// Call3 records a call of fn on a, b and c.
func Call3[A, B, C, R any](name string, fn func(context.Context, A, B, C) (R, error), a Value[A], b Value[B], cv Value[C], opts ...Option) Value[R] {
	c := &call3[A, B, C, R]{fn: fn, a: a.c, b: b.c, c: cv.c}
	c.impl = c
	c.deps = [3]*node{&a.c.node, &b.c.node, &cv.c.node}
	c.init(name, c.deps[:], fn, opts)
	return Value[R]{&c.cell}
}

type call4[A, B, C, D, R any] struct {
	cell[R]
	fn   func(context.Context, A, B, C, D) (R, error)
	a    *cell[A]
	b    *cell[B]
	c    *cell[C]
	d    *cell[D]
	deps [4]*node
}

func (c *call4[A, B, C, D, R]) run(ctx context.Context) error {
	v, err := c.fn(ctx, c.a.val, c.b.val, c.c.val, c.d.val)
	c.val = v
	return err
}

// Call4 records a call of fn on a, b, c and d.
func Call4[A, B, C, D, R any](name string, fn func(context.Context, A, B, C, D) (R, error), a Value[A], b Value[B], cv Value[C], d Value[D], opts ...Option) Value[R] {
	c := &call4[A, B, C, D, R]{fn: fn, a: a.c, b: b.c, c: cv.c, d: d.c}
	c.impl = c
	c.deps = [4]*node{&a.c.node, &b.c.node, &cv.c.node, &d.c.node}
	c.init(name, c.deps[:], fn, opts)
	return Value[R]{&c.cell}
}

// CallN records a call of fn on any number of values of one type, e.g. a
// reduction over many chunks.
func CallN[A, R any](name string, fn func(context.Context, []A) (R, error), args []Value[A], opts ...Option) Value[R] {
	c := &callN[A, R]{fn: fn, args: make([]*cell[A], len(args))}
	deps := make([]*node, len(args))
	for i, a := range args {
		c.args[i] = a.c
		deps[i] = &a.c.node
	}
	c.impl = c
	c.init(name, deps, fn, opts)
	return Value[R]{&c.cell}
}

type callN[A, R any] struct {
	cell[R]
	fn   func(context.Context, []A) (R, error)
	args []*cell[A]
}

func (c *callN[A, R]) run(ctx context.Context) error {
	in := make([]A, len(c.args))
	for i, a := range c.args {
		in[i] = a.val
	}
	v, err := c.fn(ctx, in)
	c.val = v
	return err
}
