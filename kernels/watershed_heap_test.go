package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// refBinHeap is scikit-image's binary heap written plainly, as the
// reference for binHeap: keys and pixels in 1-based arrays, push swapping
// the new entry up while it is strictly smaller than its parent, pop moving
// the last entry to the root and swapping it down while a child is strictly
// smaller, with the left child unless the right one is strictly smaller.
type refBinHeap struct {
	keys []uint64
	pix  []uint32
}

func (h *refBinHeap) len() int { return max(0, len(h.keys)-1) }

func (h *refBinHeap) push(key uint64, p uint32) {
	if len(h.keys) == 0 {
		h.keys, h.pix = []uint64{0}, []uint32{0}
	}
	h.keys = append(h.keys, key)
	h.pix = append(h.pix, p)
	for c := len(h.keys) - 1; c > 1 && h.keys[c] < h.keys[c/2]; c /= 2 {
		h.keys[c], h.keys[c/2] = h.keys[c/2], h.keys[c]
		h.pix[c], h.pix[c/2] = h.pix[c/2], h.pix[c]
	}
}

func (h *refBinHeap) pop() (uint64, uint32) {
	k, p := h.keys[1], h.pix[1]
	n := len(h.keys) - 1
	h.keys[1], h.pix[1] = h.keys[n], h.pix[n]
	h.keys, h.pix = h.keys[:n], h.pix[:n]
	n--
	for i := 1; ; {
		c := 2 * i
		if c > n {
			break
		}
		if c+1 <= n && h.keys[c+1] < h.keys[c] {
			c++
		}
		if !(h.keys[c] < h.keys[i]) {
			break
		}
		h.keys[c], h.keys[i] = h.keys[i], h.keys[c]
		h.pix[c], h.pix[i] = h.pix[i], h.pix[c]
		i = c
	}
	return k, p
}

// TestBinHeapAgainstReference runs random pushes and pops through binHeap
// and the plain reference, with many markers of one value (age 0, equal
// keys, told apart only by their pixels) and later entries of few values,
// and requires the same pops, pixels included: equal keys leave in the
// reference's order. Some rounds grow the heap past heapStepMax, where pop
// descends one level at a time, and shrink it back below. It runs pop
// (the assembly one on amd64) and popGo, the Go one that other
// architectures use.
func TestBinHeapAgainstReference(t *testing.T) {
	for _, pop := range []struct {
		name string
		f    func(*binHeap) (uint64, uint32)
	}{{"pop", (*binHeap).pop}, {"popGo", (*binHeap).popGo}} {
		t.Run(pop.name, func(t *testing.T) { testBinHeapAgainstReference(t, pop.f) })
	}
}

func testBinHeapAgainstReference(t *testing.T, popFn func(*binHeap) (uint64, uint32)) {
	r := rand.New(rand.NewPCG(6, 12))
	var h binHeap
	for round := range 60 {
		var ref refBinHeap
		h.reset()
		levels := 1 + r.IntN(12)
		pushes := 1 + r.IntN(8)
		size := 2000
		if round%20 == 0 {
			size = heapStepMax + 5000
		}
		for range r.IntN(400) {
			v := uint64(r.IntN(levels))
			p := r.Uint32()
			ref.push(v<<32, p)
			h.push(v<<32, p)
		}
		age, low := uint64(1), uint64(0)
		check := func(pop int) {
			k, p := ref.pop()
			gk, gp := popFn(&h)
			if k != gk || p != gp {
				require.Equal(t, [2]uint64{k, uint64(p)}, [2]uint64{gk, uint64(gp)}, "round %d pop %d (size %d)", round, pop, h.len()+1)
			}
			low = k >> 32
		}
		// Grow to about size, then pop and push at random, then drain.
		for pop := 0; ref.len() > 0 || pop == 0; pop++ {
			if ref.len() < size && r.IntN(3) != 0 {
				for range 1 + r.IntN(pushes) {
					age++
					v := low + uint64(r.IntN(levels))
					p := r.Uint32()
					ref.push(v<<32|age, p)
					h.push(v<<32|age, p)
				}
				continue
			}
			check(pop)
			if pop > 4*size {
				size = 0
			}
		}
		require.Zero(t, h.len(), "round %d", round)
	}
}

// TestBinHeapTieOrderNeedsEveryEntry pins down how much of scikit-image's
// heap a flood must keep to learn the order of markers of one value (age 0,
// equal keys) up to a level L. Replacing every key above L by one constant
// above them all leaves every entry at or below L where it was, so the
// ties leave in the same order. Dropping those entries instead (a heap of
// only the entries up to L, the rest kept elsewhere) moves the ties: their
// order depends on where the larger entries sit, not only on their keys.
func TestBinHeapTieOrderNeedsEveryEntry(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	moved := 0
	for trial := range 4000 {
		var full, capped, only binHeap
		full.reset()
		capped.reset()
		only.reset()
		const above = uint64(1) << 62
		limit := uint64(2 + r.IntN(6))
		levels := limit + 4
		age, id := uint64(0), uint32(0)
		push := func(v uint64) {
			k := v<<32 | age
			id++
			full.push(k, id)
			if v <= limit {
				capped.push(k, id)
				only.push(k, id)
			} else {
				capped.push(above, id)
			}
		}
		for range 2 + r.IntN(12) {
			push(uint64(r.IntN(int(levels)))) // markers, age 0
		}
		differs := false
		for pops := 0; only.len() > 0 && pops < 100; pops++ {
			k, p := full.pop()
			ck, cp := capped.pop()
			require.Equal(t, [2]uint64{k, uint64(p)}, [2]uint64{ck, uint64(cp)}, "trial %d: the heap with its larger keys made one constant", trial)
			if ok, op := only.pop(); ok != k || op != p {
				require.Equal(t, k, ok, "trial %d: keys at or below the limit leave in order", trial)
				differs = true
				break
			}
			for range r.IntN(4) {
				age++
				push(max(k>>32, uint64(r.IntN(int(levels)))))
			}
		}
		if differs {
			moved++
		}
	}
	t.Logf("dropping the entries above the limit moved ties in %d of 4000 runs", moved)
	require.Greater(t, moved, 400, "dropping the entries above the limit should move ties")
}

// TestKeyQueuePeekAt checks the bucket queue's look-aheads against its own
// pops: with nothing pushed in between, peekAt(k) and peekNear(k) name the
// pixel the pop k pops later returns whenever they answer; peekAt answers
// at least for the entries of the current fine list, and mostly when the
// keys are close; peekNear answers exactly for the entries left in the
// current fine list.
func TestKeyQueuePeekAt(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 3))
	var q keyQueue
	for round := range 20 {
		q.reset()
		base := r.Uint32N(1 << 30)
		spread := []uint32{4, 1 << 9, 1 << 12, 1 << 24}[round%4]
		n := 1 + r.IntN(3000)
		for i := range n {
			q.push(base+r.Uint32N(spread), uint32(i))
		}
		var popped []uint32
		var peeks [][3]uint32 // pop index, k, pixel
		near := 0
		for q.n > 0 {
			for k := range 4 {
				if p, ok := q.peekAt(k); ok {
					peeks = append(peeks, [3]uint32{uint32(len(popped) + k), uint32(k), p})
				} else if k == 0 && len(q.fine[q.cf]) > q.pos[q.cf] {
					t.Fatalf("round %d: peekAt(0) gave nothing with %d entries left in the current list", round, len(q.fine[q.cf])-q.pos[q.cf])
				}
			}
			for _, k := range []int{1, 8} {
				p, ok := q.peekNear(k)
				left := len(q.fine[q.cf]) - q.pos[q.cf]
				require.Equal(t, k < left, ok, "round %d: peekNear(%d) with %d entries left in the current list", round, k, left)
				if ok {
					peeks = append(peeks, [3]uint32{uint32(len(popped) + k), uint32(k), p})
					near++
				}
			}
			p, _ := q.pop()
			popped = append(popped, p)
		}
		require.Len(t, popped, n)
		answered := 0
		for _, pk := range peeks {
			require.Equal(t, popped[pk[0]], pk[2], "round %d: peekAt(%d) before pop %d", round, pk[1], int(pk[0])-int(pk[1]))
			answered++
		}
		if spread == 4 {
			// One mid bucket, few keys: long fine lists.
			require.Greater(t, near, n/2, "round %d: peekNear answered too rarely", round)
		}
		if spread <= 1<<12 {
			// At most five mid buckets: nearly every look-ahead lands
			// in the current one.
			require.Greater(t, answered, n, "round %d: peekAt answered too rarely", round)
		}
	}
}

// TestKeyQueueShift fills a queue told that every key ends in the same
// low bits (setShift) and a plain one with the same keys, pushing as a
// flood does (never below the last key popped), and requires the same
// pops, keys included: dropping the shared bits keeps the keys' order and
// gives them back whole.
func TestKeyQueueShift(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 5))
	var plain, shifted keyQueue
	for round := range 40 {
		sh := uint32(r.IntN(17))
		lo := r.Uint32() & (1<<sh - 1)
		plain.setShift(0, 0)
		shifted.setShift(sh, lo)
		// At most about 1500 pushes, each at most 3 above the last pop:
		// the values stay below 2^(32-sh).
		base := r.Uint32N(1 << (31 - sh))
		key := func(v uint32) uint32 { return v<<sh | lo }
		last := base
		n := 0
		for range 1 + r.IntN(500) {
			v := base + r.Uint32N(64)
			plain.push(key(v), uint32(n))
			shifted.push(key(v), uint32(n))
			n++
		}
		for plain.n > 0 {
			p, k := plain.pop()
			sp, sk := shifted.pop()
			require.Equal(t, [2]uint32{p, k}, [2]uint32{sp, sk}, "round %d (shift %d)", round, sh)
			require.GreaterOrEqual(t, k, key(last))
			last = k >> sh
			for range r.IntN(2) * r.IntN(3) { // 0.5 on average: the queue drains
				v := last + r.Uint32N(4)
				plain.push(key(v), uint32(n))
				shifted.push(key(v), uint32(n))
				n++
			}
		}
		require.Zero(t, shifted.n, "round %d", round)
	}
}
