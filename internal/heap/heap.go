// Package heap is a priority queue: a binary min-heap generic over the
// type of its values and of their priorities. The scheduler's queues
// (sched's queued tasks, delayed's ready nodes) are built on it.
//
// A value is pushed with a priority of any ordered type and a sequence
// number; the order is the priority, then the sequence number. Callers that
// number their pushes get first in, first out among equal priorities. The
// keys are compared with the language's own < rather than through a less
// function, so the comparisons compile inline: a heap of thousands of
// entries is on the scheduler's hot path, and an indirect call per
// comparison made pushing and popping a few times slower.
package heap

import "cmp"

// Heap is a min-heap of values of type V ordered by a priority of type P
// and then a sequence number. Pop returns the value pushed with the least
// (priority, sequence) pair; two entries with equal pairs come out in no
// particular order. The zero Heap is an empty heap ready to use.
type Heap[P cmp.Ordered, V any] struct {
	items []entry[P, V]
}

// entry puts the value first: a zero-size value at the end of a struct
// would be padded to a word.
type entry[P cmp.Ordered, V any] struct {
	val V
	pri P
	seq uint64
}

// less orders entries by priority, then sequence number. For floating-point
// priorities a NaN orders as neither less nor greater than any number, so
// the heap's order among NaNs and numbers is unspecified.
func (e *entry[P, V]) less(o *entry[P, V]) bool {
	return e.pri < o.pri || (e.pri == o.pri && e.seq < o.seq)
}

// Len returns the number of values in the heap.
func (h *Heap[P, V]) Len() int { return len(h.items) }

// Push adds v with priority pri and sequence number seq.
func (h *Heap[P, V]) Push(pri P, seq uint64, v V) {
	h.items = append(h.items, entry[P, V]{val: v, pri: pri, seq: seq})
	q := h.items
	i := len(q) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q[i].less(&q[p]) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

// Peek returns the entry Pop would remove next, without removing it. It
// panics on an empty heap, as indexing an empty slice does.
func (h *Heap[P, V]) Peek() (pri P, seq uint64, v V) {
	e := &h.items[0]
	return e.pri, e.seq, e.val
}

// Pop removes the entry with the least (priority, sequence) pair and
// returns it. It panics on an empty heap, as indexing an empty slice does.
func (h *Heap[P, V]) Pop() (pri P, seq uint64, v V) {
	q := h.items
	n := len(q) - 1
	top := q[0]
	q[0] = q[n]
	q[n] = entry[P, V]{} // drop the value, for the garbage collector
	q = q[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && q[r].less(&q[l]) {
			m = r
		}
		if !q[m].less(&q[i]) {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	h.items = q
	return top.pri, top.seq, top.val
}
