package array

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/segstack/segstack/stack"
)

// Array is a lazy chunked array of rank 0 to 3. Its methods never run
// anything: they add tasks and return a new Array. Arrays are immutable and
// safe to share between goroutines.
type Array struct {
	name   string // the operation that made it, as dask names layers
	dt     stack.DType
	rank   int
	shape  [3]int // internal 3-D shape; the first 3-rank extents are 1
	chunks chunks
	blocks []*node // one task per chunk, in raster order
	err    error
}

// node is one task: a function of its dependencies' values, or a literal.
type node struct {
	layer *layer
	deps  []*node
	fn    func(ctx context.Context, in []any) (any, error)
	val   any      // the value when fn is nil (persisted chunks)
	inl   [2]*node // deps' storage for one or two dependencies
	// fresh says that fn returns a buffer that nothing else refers to
	// (a chunk just read or generated).
	fresh bool
	// own, when set, is fn for a task whose only input is a fresh buffer
	// that no other task sees (its producer was fused into it): it may
	// change the buffer or recycle it.
	own taskFunc
	// stream, when set, computes the same as fn one input at a time, so
	// that inputs made by chains of tasks used nowhere else can be made
	// inside this task, each folded in as soon as it exists.
	stream *streamer
}

// streamer is a task that folds its inputs in one by one: add folds x into
// acc (nil before the first input) and returns the new acc; done turns the
// last acc into the task's value.
type streamer struct {
	add  func(acc, x any) any
	done func(acc any) any
}

type taskFunc = func(ctx context.Context, in []any) (any, error)

// unary and binary make a node of one or two dependencies without a
// separate allocation for the list.
func unary(l *layer, d *node, fn taskFunc) *node {
	n := &node{layer: l, fn: fn}
	n.inl[0] = d
	n.deps = n.inl[:1:1]
	return n
}

func binary(l *layer, d, e *node, fn taskFunc) *node {
	n := &node{layer: l, fn: fn}
	n.inl[0], n.inl[1] = d, e
	n.deps = n.inl[:2:2]
	return n
}

// layer is one operation's set of tasks (dask's graph layer); its name
// names the tasks.
type layer struct{ name string }

func newLayer(name string) *layer { return &layer{name: name} }

// ErrShape is wrapped by the errors of operations on arrays whose shapes,
// ranks or axes do not fit together.
var ErrShape = errors.New("array: shape mismatch")

func errArray(err error) *Array { return &Array{err: err} }

// Err returns the first error met while building a, or nil.
func (a *Array) Err() error { return a.err }

// DType is the element type.
func (a *Array) DType() stack.DType { return a.dt }

// Rank is the number of axes (0 for a scalar, as a full reduction gives).
func (a *Array) Rank() int { return a.rank }

// Shape is the extent along each axis.
func (a *Array) Shape() []int { return append([]int{}, a.shape[3-a.rank:]...) }

// Size is the number of elements.
func (a *Array) Size() int { return a.shape[0] * a.shape[1] * a.shape[2] }

// NBytes is the size of the elements in bytes.
func (a *Array) NBytes() int { return a.Size() * a.dt.Size() }

// Chunks lists the chunk extents along each axis, like dask's .chunks.
func (a *Array) Chunks() [][]int {
	out := make([][]int, a.rank)
	for i := range out {
		out[i] = append([]int{}, a.chunks[3-a.rank+i]...)
	}
	return out
}

// ChunkSize is the shape of the largest chunk (dask's chunksize).
func (a *Array) ChunkSize() []int {
	l := a.chunks.largest()
	return append([]int{}, l[3-a.rank:]...)
}

// NumChunks is the number of chunks.
func (a *Array) NumChunks() int { return len(a.blocks) }

// NumTasks is the number of distinct tasks needed to compute every chunk,
// counting those shared by several chunks once.
func (a *Array) NumTasks() int {
	n, _ := a.graphStats()
	return n
}

// NumLayers is the number of operations (graph layers) behind a.
func (a *Array) NumLayers() int {
	_, l := a.graphStats()
	return l
}

func (a *Array) graphStats() (tasks, layers int) {
	seen := make(map[*node]struct{}, 2*len(a.blocks))
	ls := make(map[*layer]struct{})
	stack := append([]*node{}, a.blocks...)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if _, ok := seen[n]; ok {
			continue
		}
		seen[n] = struct{}{}
		ls[n.layer] = struct{}{}
		stack = append(stack, n.deps...)
	}
	return len(seen), len(ls)
}

// userAxis converts a user axis (negative counts from the end) to an
// internal one.
func (a *Array) userAxis(ax int) (int, error) {
	if ax < 0 {
		ax += a.rank
	}
	if ax < 0 || ax >= a.rank {
		return 0, fmt.Errorf("%w: axis %d out of range for rank %d", ErrShape, ax, a.rank)
	}
	return 3 - a.rank + ax, nil
}

// pad3 turns a user shape into the internal 3-D one.
func pad3(s []int, fill int) ([3]int, error) {
	if len(s) > 3 {
		return [3]int{}, fmt.Errorf("%w: rank %d (at most 3 axes)", ErrShape, len(s))
	}
	d := [3]int{fill, fill, fill}
	copy(d[3-len(s):], s)
	return d, nil
}

func tuple(d []int) string {
	parts := make([]string, len(d))
	for i, n := range d {
		parts[i] = fmt.Sprint(n)
	}
	if len(d) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// String is a one-line description in the style of dask's repr.
func (a *Array) String() string {
	if a.err != nil {
		return fmt.Sprintf("array<error: %v>", a.err)
	}
	return fmt.Sprintf("array<%s, shape=%s, dtype=%s, chunksize=%s>", a.name, tuple(a.Shape()), a.dt, tuple(a.ChunkSize()))
}

// Summary is the table dask shows for an array in a notebook, as text:
// bytes, shape and type of the array and of its largest chunk, and the
// number of chunks, graph layers and tasks.
func (a *Array) Summary() string {
	if a.err != nil {
		return a.String()
	}
	tasks, layers := a.graphStats()
	cs := a.ChunkSize()
	cn := 1
	for _, n := range cs {
		cn *= n
	}
	rows := [][3]string{
		{"", "Array", "Chunk"},
		{"Bytes", FormatBytes(a.NBytes()), FormatBytes(cn * a.dt.Size())},
		{"Shape", tuple(a.Shape()), tuple(cs)},
		{"Count", plural(len(a.blocks), "chunk"), fmt.Sprintf("%s, %s", plural(layers, "graph layer"), plural(tasks, "task"))},
		{"Type", a.dt.String(), ""},
	}
	var w [2]int
	for _, r := range rows {
		w[0] = max(w[0], len(r[0]))
		w[1] = max(w[1], len(r[1]))
	}
	var b strings.Builder
	for _, r := range rows {
		line := fmt.Sprintf("%-*s  %-*s  %s", w[0], r[0], w[1], r[1], r[2])
		b.WriteString(strings.TrimRight(line, " "))
		b.WriteByte('\n')
	}
	return b.String()
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// FormatBytes writes a byte count as dask does: two decimals and a binary
// prefix once the count reaches 0.9 of it ("78.12 kiB", "800 B").
func FormatBytes(n int) string {
	for _, p := range []struct {
		name string
		k    float64
	}{{"Pi", 1 << 50}, {"Ti", 1 << 40}, {"Gi", 1 << 30}, {"Mi", 1 << 20}, {"ki", 1 << 10}} {
		if float64(n) >= 0.9*p.k {
			return fmt.Sprintf("%.2f %sB", float64(n)/p.k, p.name)
		}
	}
	return fmt.Sprintf("%d B", n)
}

// like starts an array with a's layout, shape and chunks, and room for
// its chunk tasks.
func (a *Array) like(name string, dt stack.DType) *Array {
	return &Array{name: name, dt: dt, rank: a.rank, shape: a.shape, chunks: a.chunks, blocks: make([]*node, len(a.blocks))}
}

// mapChunks makes an array whose chunk i is f of a's chunk i.
func (a *Array) mapChunks(name string, dt stack.DType, f func(b buf) buf) *Array {
	out := a.like(name, dt)
	layer := newLayer(name)
	for i, in := range a.blocks {
		out.blocks[i] = unary(layer, in, func(_ context.Context, v []any) (any, error) {
			return f(v[0].(buf)), nil
		})
	}
	return out
}

// newArray validates a user shape and chunk shape and lays out the chunks.
func newArray(name string, dt stack.DType, shape, chunk []int) (*Array, error) {
	if !validDType(dt) {
		return nil, fmt.Errorf("array: invalid dtype %v", dt)
	}
	if len(shape) == 0 || len(shape) > 3 {
		return nil, fmt.Errorf("%w: rank %d (want 1 to 3 axes)", ErrShape, len(shape))
	}
	if chunk == nil {
		chunk = shape
	}
	if len(chunk) != len(shape) {
		return nil, fmt.Errorf("%w: chunks %v do not match shape %v", ErrShape, chunk, shape)
	}
	total := 1.0
	for _, n := range shape {
		if n <= 0 {
			return nil, fmt.Errorf("%w: invalid shape %v: every extent must be positive", ErrShape, shape)
		}
		total *= float64(n)
	}
	if total > math.MaxInt32*float64(1<<20) {
		return nil, fmt.Errorf("%w: shape %v has too many elements", ErrShape, shape)
	}
	s, _ := pad3(shape, 1)
	c, err := pad3(chunk, 1)
	if err != nil {
		return nil, err
	}
	ch, err := regular(s, c)
	if err != nil {
		return nil, err
	}
	return &Array{name: name, dt: dt, rank: len(shape), shape: s, chunks: ch, blocks: make([]*node, ch.len())}, nil
}

// generate fills every chunk with f(box origin, chunk shape).
func generate(name string, dt stack.DType, shape, chunk []int, f func(lo, n [3]int) buf) *Array {
	a, err := newArray(name, dt, shape, chunk)
	if err != nil {
		return errArray(err)
	}
	starts := a.chunks.starts()
	layer := newLayer(name)
	for i := range a.blocks {
		idx := a.chunks.coords(i)
		lo := [3]int{starts[0][idx[0]], starts[1][idx[1]], starts[2][idx[2]]}
		n := a.chunks.shapeOf(idx)
		a.blocks[i] = &node{layer: layer, fresh: true, fn: func(context.Context, []any) (any, error) { return f(lo, n), nil }}
	}
	return a
}

// Full is an array of the given shape, chunk shape and type whose elements
// are all v (converted to dtype). A nil chunk shape means one chunk.
func Full(shape, chunk []int, dtype stack.DType, v float64) *Array {
	return generate("full", dtype, shape, chunk, func(_, n [3]int) buf {
		b := newBuf(dtype, n[0]*n[1]*n[2])
		if v != 0 {
			b.fill(v, n, [3]int{}, n)
		}
		return b
	})
}

// Zeros is Full with 0.
func Zeros(shape, chunk []int, dtype stack.DType) *Array {
	return Full(shape, chunk, dtype, 0).renamed("zeros")
}

// Ones is Full with 1.
func Ones(shape, chunk []int, dtype stack.DType) *Array {
	return Full(shape, chunk, dtype, 1).renamed("ones")
}

func (a *Array) renamed(name string) *Array {
	if a.err == nil {
		a.name = name
	}
	return a
}

// Random is a float64 array of uniform samples in [0, 1), like dask's
// da.random.random. Element i (in row-major order over the whole array) is
// SplitMix64(seed + (i+1)·0x9E3779B97F4A7C15) >> 11, times 2⁻⁵³; the values
// therefore depend only on the seed and the shape, not on the chunks.
func Random(shape, chunk []int, seed uint64) *Array {
	s, _ := pad3(shape, 1)
	return generate("random", stack.Float64, shape, chunk, func(lo, n [3]int) buf {
		out := make(vec[float64], n[0]*n[1]*n[2])
		o := 0
		for z := range n[0] {
			for y := range n[1] {
				i := uint64(((lo[0]+z)*s[1]+lo[1]+y)*s[2] + lo[2])
				for x := range n[2] {
					out[o] = randomAt(seed, i+uint64(x))
					o++
				}
			}
		}
		return out
	})
}

func randomAt(seed, i uint64) float64 {
	z := seed + (i+1)*0x9E3779B97F4A7C15
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	z ^= z >> 31
	return float64(z>>11) * (1.0 / (1 << 53))
}
