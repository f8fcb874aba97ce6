package kernels

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

// levelQueue is a monotone queue over dense integer priorities (ranks),
// first in, first out within a priority, in two levels so that everything
// it touches per entry stays in cache: a coarse level of up to 1024 buckets
// of 2^shift priorities each, whose entries wait in push order, and a fine
// level of 2^shift lists for the coarse bucket being emptied. Priorities
// pushed are never below the last one popped, which the watershed's
// clamped values guarantee.
type levelQueue struct {
	shift  uint
	coarse [][]uint64 // rank << 32 | pixel, in push order
	fine   [][]uint32 // pixels of the current coarse bucket, per fine rank
	pos    []int      // read position in each fine list
	cc, cf uint32     // current coarse bucket and fine rank
	n      int
}

func (q *levelQueue) reset(priorities int) {
	q.shift = 0
	for priorities>>q.shift > 1024 {
		q.shift++
	}
	nc := (priorities-1)>>q.shift + 1
	q.coarse = grow(q.coarse, nc)
	for i := range q.coarse {
		q.coarse[i] = q.coarse[i][:0]
	}
	nf := 1 << q.shift
	q.fine = grow(q.fine, nf)
	q.pos = grow(q.pos, nf)
	for i := range q.fine {
		q.fine[i] = q.fine[i][:0]
		q.pos[i] = 0
	}
	q.cc, q.cf, q.n = 0, 0, 0
}

// start sets the current priority, before any push, to r.
func (q *levelQueue) start(r uint32) {
	q.cc, q.cf = r>>q.shift, r&(1<<q.shift-1)
}

func (q *levelQueue) push(r, p uint32) {
	if c := r >> q.shift; c != q.cc {
		q.coarse[c] = append(q.coarse[c], uint64(r)<<32|uint64(p))
	} else {
		f := r & (1<<q.shift - 1)
		q.fine[f] = append(q.fine[f], p)
	}
	q.n++
}

// pop returns the oldest pixel of the lowest priority and that priority;
// the queue must not be empty.
func (q *levelQueue) pop() (p, r uint32) {
	for {
		f := q.cf
		if i := q.pos[f]; i < len(q.fine[f]) {
			q.pos[f] = i + 1
			q.n--
			return q.fine[f][i], q.cc<<q.shift | f
		}
		q.fine[f] = q.fine[f][:0]
		q.pos[f] = 0
		if int(f)+1 < len(q.fine) {
			q.cf++
			continue
		}
		// The coarse bucket is empty: move the next one down, in push
		// order, so that each fine list stays in order of age.
		q.cf = 0
		q.cc++
		for len(q.coarse[q.cc]) == 0 {
			q.cc++
		}
		mask := uint64(1)<<q.shift - 1
		for _, e := range q.coarse[q.cc] {
			f := uint32(e >> 32 & mask)
			q.fine[f] = append(q.fine[f], uint32(e))
		}
		q.coarse[q.cc] = q.coarse[q.cc][:0]
	}
}

// radixSortHigh32 sorts a by its high 32 bits (stably, so by the low bits'
// original order among equal high bits), using tmp (same length) as
// scratch; it returns whichever of the two holds the result. It makes two
// passes of 16 bits, skipping a pass whose digit is the same in every
// element.
func radixSortHigh32(a, tmp []uint64) []uint64 {
	if len(a) == 0 {
		return a
	}
	count := make([]int, 1<<16)
	for shift := uint(32); shift < 64; shift += 16 {
		clear(count)
		for _, v := range a {
			count[uint16(v>>shift)]++
		}
		if count[uint16(a[0]>>shift)] == len(a) {
			continue
		}
		sum := 0
		for i, c := range count {
			count[i] = sum
			sum += c
		}
		for _, v := range a {
			d := uint16(v >> shift)
			tmp[count[d]] = v
			count[d]++
		}
		a, tmp = tmp, a
	}
	return a
}
