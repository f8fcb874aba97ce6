package stack

import "sync"

// bufPool recycles buffers of n elements; Pool and Pools are built on it.
// sync.Pool holds interface values, and a slice put into one would be
// boxed (a small allocation) on every Put, so buffers travel in *[]T
// holders, which are themselves recycled through holders once emptied:
// in the steady state Get and Put allocate nothing.
type bufPool[T Number] struct {
	n       int
	p       sync.Pool // *[]T holding a buffer
	holders sync.Pool // empty *[]T
}

func (p *bufPool[T]) get() []T {
	h, ok := p.p.Get().(*[]T)
	if !ok {
		return makeData[T](p.n)
	}
	b := *h
	*h = nil
	p.holders.Put(h)
	return b
}

func (p *bufPool[T]) put(b []T) {
	if cap(b) < p.n {
		return
	}
	h, ok := p.holders.Get().(*[]T)
	if !ok {
		h = new([]T)
	}
	*h = b[:p.n]
	p.p.Put(h)
}

// Pool recycles buffers of one length so that plane-sized buffers are not
// reallocated per task. It is safe for concurrent use.
type Pool[T Elem] struct {
	b bufPool[T]
}

// NewPool returns a pool of buffers of n elements.
func NewPool[T Elem](n int) *Pool[T] {
	return &Pool[T]{b: bufPool[T]{n: n}}
}

// Len is the length of the pool's buffers.
func (p *Pool[T]) Len() int { return p.b.n }

// Get returns a buffer of Len elements. Its contents are undefined.
func (p *Pool[T]) Get() []T { return p.b.get() }

// Put returns a buffer to the pool. Buffers of another length are dropped.
func (p *Pool[T]) Put(b []T) { p.b.put(b) }

// GetVolume returns a pooled volume of shape s; s.Len() must equal Len.
func (p *Pool[T]) GetVolume(s Shape) *Volume[T] {
	return &Volume[T]{Shape: s, Data: p.Get()[:s.Len()]}
}

// PutVolume returns v's storage to the pool.
func (p *Pool[T]) PutVolume(v *Volume[T]) { p.Put(v.Data) }

// Pools recycles buffers of any length, keeping one pool per length, for
// callers whose buffers differ in length (the chunks of a lazy array,
// which are smaller at the edges, and its reduction summaries). It holds
// the 64-bit Number types as well as the Elem ones. The zero value is ready
// to use; it is safe for concurrent use and must not be copied after
// first use.
type Pools[T Number] struct {
	m sync.Map // int → *bufPool[T]
}

func (s *Pools[T]) of(n int) *bufPool[T] {
	if p, ok := s.m.Load(n); ok {
		return p.(*bufPool[T])
	}
	p, _ := s.m.LoadOrStore(n, &bufPool[T]{n: n})
	return p.(*bufPool[T])
}

// Get returns a buffer of n elements. Its contents are undefined.
func (s *Pools[T]) Get(n int) []T {
	if n <= 0 {
		return []T{}
	}
	return s.of(n).get()
}

// Put hands b back for reuse by a later Get(len(b)); the caller must hold
// the only reference to it. Empty buffers are dropped.
func (s *Pools[T]) Put(b []T) {
	if len(b) == 0 {
		return
	}
	s.of(len(b)).put(b)
}
