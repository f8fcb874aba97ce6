package kernels

import (
	"math"
	"math/bits"
)

func tz64(x uint64) int { return bits.TrailingZeros64(x) }

// binHeap is the binary min-heap of scikit-image's watershed, kept step for
// step (the same sift-up on push, the same last-to-root sift-down on pop,
// the same choice between equal children), so that entries with equal keys
// leave it in the order they leave scikit-image's.
//
// Keys and pixels live in parallel arrays, 1-based (index 0 unused), so the
// comparisons of a sift read only keys and two siblings share 16 aligned
// bytes. keys[n+1] always holds a sentinel above every key, so the sift-down
// picks the smaller child without testing whether the right one exists.
type binHeap struct {
	keys []uint64
	pix  []uint32
	n    int
	sink uint64 // see pop
}

const heapSentinel = math.MaxUint64

// heapStepMax is the heap size below which pop descends two levels at a
// time (2 MiB of keys).
const heapStepMax = 1 << 18

func (h *binHeap) reset() {
	if cap(h.keys) < 2 {
		h.keys = make([]uint64, 2, 1024)
		h.pix = make([]uint32, 2, 1024)
	}
	h.keys, h.pix = h.keys[:2], h.pix[:2]
	h.keys[1] = heapSentinel
	h.n = 0
}

func (h *binHeap) len() int { return h.n }

func (h *binHeap) push(key uint64, p uint32) {
	h.n++
	c := h.n
	// Room for the entry and the sentinel behind it.
	if c+1 >= len(h.keys) {
		h.keys = append(h.keys, 0)
		h.pix = append(h.pix, 0)
	}
	keys, pix := h.keys, h.pix
	keys[c+1] = heapSentinel
	// Sift up by moving parents into the hole: the same moves as swapping
	// while the entry is strictly smaller than its parent.
	for c > 1 {
		par := c >> 1
		pk := keys[par]
		if key >= pk {
			break
		}
		keys[c], pix[c] = pk, pix[par]
		c = par
	}
	keys[c], pix[c] = key, p
}

// popGo is pop (binheap_amd64.go) in Go. It removes the root.
// scikit-image moves the last entry to the root and
// sinks it while a child is strictly smaller, to the left child unless the
// right one is strictly smaller than it. This does the same in Floyd's
// order: the hole goes down the path of smaller children (left on equal
// keys) to a leaf, then the last entry climbs back while its parent is not
// smaller; since the keys along that path never decrease, it stops where
// scikit-image's sift-down stops, and every entry ends where it ends there.
func (h *binHeap) popGo() (uint64, uint32) {
	keys, pix := h.keys, h.pix
	topK, topP := keys[1], pix[1]
	n := h.n - 1
	lastK, lastP := keys[h.n], pix[h.n]
	keys[h.n] = heapSentinel
	h.n = n
	if n == 0 {
		return topK, topP
	}
	i := 1
	// While the heap is small enough for its keys to stay in the core's
	// cache (heapStepMax), descend two levels at a time while both
	// grandchildren of the hole are entries: the grandchildren's cache
	// line (4i..4i+3, 32 aligned bytes) is asked for with the children's,
	// before the first comparison, and both choices are made without
	// branches, so the descent waits for neither a load nor a mispredicted
	// branch at every level. On larger heaps the plain loop below, whose
	// branches let the core run ahead down the predicted path, measured
	// faster.
	var sink uint64
	for 4*i+3 <= n && n < heapStepMax {
		c, g := 2*i, 4*i
		sink ^= keys[g]
		k0, k1 := keys[c], keys[c+1]
		d := 0
		if k1 < k0 {
			d = 1
			k0 = k1
		}
		c += d
		g += 2 * d
		g0, g1 := keys[g], keys[g+1]
		d = 0
		if g1 < g0 {
			d = 1
			g0 = g1
		}
		g += d
		keys[i], pix[i] = k0, pix[c]
		keys[c], pix[c] = g0, pix[g]
		i = g
	}
	h.sink = sink // keeps the load of keys[g] that asks for the line
	for {
		c := 2 * i
		if c > n {
			break
		}
		// keys[n+1] is the sentinel, so c+1 may be read when c == n.
		kc, kr := keys[c], keys[c+1]
		if kr < kc {
			c++
			kc = kr
		}
		keys[i], pix[i] = kc, pix[c]
		i = c
	}
	for i > 1 {
		par := i >> 1
		pk := keys[par]
		if pk < lastK {
			break
		}
		keys[i], pix[i] = pk, pix[par]
		i = par
	}
	keys[i], pix[i] = lastK, lastP
	return topK, topP
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
	// sh and lo: every key the queue is given ends in the sh bits lo
	// (setShift), which it drops.
	sh, lo uint32
	key    uint32 // the key of the current fine list, cf
}

// setShift tells the queue that every key it is given, until the next
// setShift, ends in the sh bits lo, and leaves its buckets empty. The
// queue drops those bits: keys that differ only in their high bits, such
// as those of an image of small integers, then spread over the fine lists
// of few mid buckets, where they are pushed straight into their lists,
// rather than waiting in top and mid buckets to be moved down.
func (q *keyQueue) setShift(sh, lo uint32) {
	q.sh, q.lo = sh, lo
	q.reset()
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
	q.key = q.lo
}

// start sets the current key, before any push, to k.
func (q *keyQueue) start(k uint32) {
	q.key = k
	k >>= q.sh
	q.ct, q.cm, q.cf = k>>21, k>>10&(1<<11-1), k&(1<<10-1)
}

func (q *keyQueue) push(k, p uint32) {
	k >>= q.sh
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
// must not be empty. The flood writes out its common case (the next entry
// of the current list, q.key's, not its last) and calls it for the rest.
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
			q.key = (q.ct<<21|q.cm<<10|uint32(f))<<q.sh | q.lo
			return p, q.key
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

// peekAt returns the pixel that the pop k pops from now (k = 0: the next)
// returns if nothing smaller is pushed before, when it lies in the current
// mid bucket's fine lists; ok is false otherwise.
func (q *keyQueue) peekAt(k int) (p uint32, ok bool) {
	f := q.cf
	for {
		l := q.fine[f][q.pos[f]:]
		if k < len(l) {
			return l[k], true
		}
		k -= len(l)
		g := nextBit(q.fineBits[:], f+1)
		if g < 0 {
			return 0, false
		}
		f = uint32(g)
	}
}

// peekNear returns the pixel k pops ahead in the current fine list, the
// entries of the key last popped, if it holds that many: entries pushed
// from now on go behind them.
func (q *keyQueue) peekNear(k int) (p uint32, ok bool) {
	l := q.fine[q.cf]
	if i := q.pos[q.cf] + k; i < len(l) {
		return l[i], true
	}
	return 0, false
}
