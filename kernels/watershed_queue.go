package kernels

import "math/bits"

func tz64(x uint64) int { return bits.TrailingZeros64(x) }

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
	// Sift up by moving parents into the hole: the same moves as swapping.
	c := len(a) - 1
	for c > 0 {
		p := (c+1)/2 - 1
		if it.key >= a[p].key {
			break
		}
		a[c] = a[p]
		c = p
	}
	a[c] = it
}

func (h *binHeap) pop() wsItem {
	a := h.items
	top := a[0]
	n := len(a) - 1
	last := a[n]
	a = a[:n]
	h.items = a
	if n == 0 {
		return top
	}
	// The last entry goes to the root and sinks: at each step to the left
	// child if it is smaller, then to the right one if it is smaller still,
	// as scikit-image's heap does; children move up into the hole.
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		s, sk := i, last.key
		if a[l].key < sk {
			s, sk = l, a[l].key
		}
		if r := l + 1; r < n && a[r].key < sk {
			s = r
		}
		if s == i {
			break
		}
		a[i] = a[s]
		i = s
	}
	a[i] = last
	return top
}

// keyQueue is a monotone queue over 32-bit keys, first in, first out
// within a key, in three radix levels so that every entry moves at most
// twice and everything touched per entry stays small: top buckets by the
// key's 11 high bits, mid buckets (of the current top bucket) by the next
// 11, and fine lists (of the current mid bucket) by the 10 low bits, each
// level with a bitmap of its non-empty buckets. Entries wait in push order
// at every level and are moved down in that order, so each fine list, which
// holds one key, is in order of age. Keys pushed are never below the last
// one popped, which the watershed's clamped values guarantee.
type keyQueue struct {
	top      [1 << 11][]uint64 // key << 32 | pixel
	mid      [1 << 11][]uint64
	fine     [1 << 10][]uint32
	pos      [1 << 10]int
	topBits  [32]uint64
	midBits  [32]uint64
	fineBits [16]uint64
	ct, cm   uint32 // current top and mid bucket
	cf       uint32 // lowest fine list that may hold entries
	n        int
}

func (q *keyQueue) reset() {
	for i := range q.top {
		q.top[i] = q.top[i][:0]
		q.mid[i] = q.mid[i][:0]
	}
	for i := range q.fine {
		q.fine[i] = q.fine[i][:0]
		q.pos[i] = 0
	}
	clear(q.topBits[:])
	clear(q.midBits[:])
	clear(q.fineBits[:])
	q.ct, q.cm, q.cf, q.n = 0, 0, 0, 0
}

// start sets the current key, before any push, to k.
func (q *keyQueue) start(k uint32) {
	q.ct, q.cm, q.cf = k>>21, k>>10&(1<<11-1), k&(1<<10-1)
}

func (q *keyQueue) push(k, p uint32) {
	q.n++
	if t := k >> 21; t != q.ct {
		q.top[t] = append(q.top[t], uint64(k)<<32|uint64(p))
		q.topBits[t>>6] |= 1 << (t & 63)
		return
	}
	if m := k >> 10 & (1<<11 - 1); m != q.cm {
		q.mid[m] = append(q.mid[m], uint64(k)<<32|uint64(p))
		q.midBits[m>>6] |= 1 << (m & 63)
		return
	}
	f := k & (1<<10 - 1)
	q.fine[f] = append(q.fine[f], p)
	q.fineBits[f>>6] |= 1 << (f & 63)
}

// nextBit is the lowest set bit of bits at or after from, or -1.
func nextBit(bits []uint64, from uint32) int {
	w := int(from >> 6)
	if w >= len(bits) {
		return -1
	}
	if b := bits[w] >> (from & 63); b != 0 {
		return int(from) + tz64(b)
	}
	for w++; w < len(bits); w++ {
		if bits[w] != 0 {
			return w<<6 + tz64(bits[w])
		}
	}
	return -1
}

// pop returns the oldest pixel of the lowest key and that key; the queue
// must not be empty.
func (q *keyQueue) pop() (p, k uint32) {
	for {
		if f := nextBit(q.fineBits[:], q.cf); f >= 0 {
			q.cf = uint32(f)
			l := q.fine[f]
			i := q.pos[f]
			p = l[i]
			if i+1 == len(l) {
				q.fine[f] = l[:0]
				q.pos[f] = 0
				q.fineBits[f>>6] &^= 1 << (f & 63)
			} else {
				q.pos[f] = i + 1
			}
			q.n--
			return p, q.ct<<21 | q.cm<<10 | uint32(f)
		}
		m := nextBit(q.midBits[:], q.cm+1)
		if m < 0 {
			t := nextBit(q.topBits[:], q.ct+1)
			q.ct = uint32(t)
			for _, e := range q.top[t] {
				mm := uint32(e>>42) & (1<<11 - 1)
				q.mid[mm] = append(q.mid[mm], e)
				q.midBits[mm>>6] |= 1 << (mm & 63)
			}
			q.top[t] = q.top[t][:0]
			q.topBits[t>>6] &^= 1 << (t & 63)
			m = nextBit(q.midBits[:], 0)
		}
		q.cm, q.cf = uint32(m), 0
		for _, e := range q.mid[m] {
			f := uint32(e>>32) & (1<<10 - 1)
			q.fine[f] = append(q.fine[f], uint32(e))
			q.fineBits[f>>6] |= 1 << (f & 63)
		}
		q.mid[m] = q.mid[m][:0]
		q.midBits[m>>6] &^= 1 << (m & 63)
	}
}
