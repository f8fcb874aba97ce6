package kernels

import "math/bits"

// binHeap is the binary min-heap of scikit-image's watershed, kept step for
// step (the same sift-up on push, the same last-to-root sift-down on pop,
// the same choice between equal children), so that entries with equal keys
// leave it in the order they leave scikit-image's.
type binHeap struct {
	items []wsItem
}

func (h *binHeap) push(it wsItem) {
	h.items = append(h.items, it)
	a := h.items
	c := len(a) - 1
	for c > 0 {
		p := (c+1)/2 - 1
		if a[c].key < a[p].key {
			a[c], a[p] = a[p], a[c]
			c = p
		} else {
			break
		}
	}
}

func (h *binHeap) pop() wsItem {
	a := h.items
	top := a[0]
	n := len(a) - 1
	if n == 0 {
		h.items = a[:0]
		return top
	}
	a[0] = a[n]
	a = a[:n]
	h.items = a
	i := 0
	for {
		l, r := 2*i+1, 2*i+2
		s := i
		if l >= n {
			break
		}
		if a[l].key < a[i].key {
			s = l
		}
		if r < n && a[r].key < a[s].key {
			s = r
		}
		if s == i {
			break
		}
		a[i], a[s] = a[s], a[i]
		i = s
	}
	return top
}

// radixHeap is a monotone priority queue over 64-bit keys: every key pushed
// is at least the last key popped, which the watershed's clamped values and
// increasing ages guarantee. Bucket i holds the keys whose highest bit
// differing from the last popped key is bit i-1.
type radixHeap struct {
	last uint64
	n    int
	b    [65][]wsItem
}

func (r *radixHeap) reset(last uint64) {
	r.last = last
	r.n = 0
	for i := range r.b {
		r.b[i] = r.b[i][:0]
	}
}

func (r *radixHeap) push(it wsItem) {
	i := bits.Len64(it.key ^ r.last)
	r.b[i] = append(r.b[i], it)
	r.n++
}

func (r *radixHeap) pop() wsItem {
	if len(r.b[0]) == 0 {
		i := 1
		for len(r.b[i]) == 0 {
			i++
		}
		bk := r.b[i]
		m := bk[0].key
		for _, it := range bk[1:] {
			m = min(m, it.key)
		}
		r.last = m
		for _, it := range bk {
			j := bits.Len64(it.key ^ m)
			r.b[j] = append(r.b[j], it)
		}
		r.b[i] = bk[:0]
	}
	b0 := r.b[0]
	it := b0[len(b0)-1]
	r.b[0] = b0[:len(b0)-1]
	r.n--
	return it
}
