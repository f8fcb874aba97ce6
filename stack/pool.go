package stack

import "sync"

// Pool recycles buffers of one length so that plane-sized buffers are not
// reallocated per task. It is safe for concurrent use.
type Pool[T Elem] struct {
	n int
	p sync.Pool
}

// NewPool returns a pool of buffers of n elements.
func NewPool[T Elem](n int) *Pool[T] {
	return &Pool[T]{n: n}
}

// Len is the length of the pool's buffers.
func (p *Pool[T]) Len() int { return p.n }

// Get returns a buffer of Len elements. Its contents are undefined.
func (p *Pool[T]) Get() []T {
	if b, ok := p.p.Get().(*[]T); ok {
		return *b
	}
	return makeData[T](p.n)
}

// Put returns a buffer to the pool. Buffers of another length are dropped.
func (p *Pool[T]) Put(b []T) {
	if cap(b) < p.n {
		return
	}
	b = b[:p.n]
	p.p.Put(&b)
}

// GetVolume returns a pooled volume of shape s; s.Len() must equal Len.
func (p *Pool[T]) GetVolume(s Shape) *Volume[T] {
	return &Volume[T]{Shape: s, Data: p.Get()[:s.Len()]}
}

// PutVolume returns v's storage to the pool.
func (p *Pool[T]) PutVolume(v *Volume[T]) { p.Put(v.Data) }
