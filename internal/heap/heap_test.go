package heap

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

type key struct {
	pri int
	seq uint64
}

func compareKeys(a, b key) int {
	if c := cmp.Compare(a.pri, b.pri); c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
}

// Pushing any set of distinct keys and popping them all gives them sorted,
// each with the value it was pushed with.
func TestPopsSorted(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 15))
	for _, n := range []int{0, 1, 2, 3, 7, 8, 15, 16, 17, 63, 64, 65, 1000} {
		for _, priorities := range []int{1, 3, 1 << 30} {
			keys := make([]key, n)
			for i := range keys {
				keys[i] = key{pri: r.IntN(priorities) - priorities/2, seq: uint64(r.IntN(4 * n))}
			}
			slices.SortFunc(keys, compareKeys)
			keys = slices.CompactFunc(keys, func(a, b key) bool { return a == b })
			pushed := slices.Clone(keys)
			r.Shuffle(len(pushed), func(i, j int) { pushed[i], pushed[j] = pushed[j], pushed[i] })

			var h Heap[int, key]
			for _, k := range pushed {
				h.Push(k.pri, k.seq, k)
			}
			require.Equal(t, len(keys), h.Len())
			got := make([]key, 0, len(keys))
			for h.Len() > 0 {
				pp, ps, pv := h.Peek()
				pri, seq, v := h.Pop()
				require.Equal(t, [3]any{pp, ps, pv}, [3]any{pri, seq, v}, "Peek shows what Pop removes")
				require.Equal(t, key{pri, seq}, v, "the value pushed with the key")
				got = append(got, v)
			}
			require.Equal(t, keys, got, "n=%d priorities=%d", n, priorities)
		}
	}
}

// Pushes and pops interleaved at random: every Pop returns the least key
// pushed and not yet popped, found by a scan.
func TestInterleavedAgainstScan(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(2, 15))
	var h Heap[int64, uint64]
	var live []key // the brute-force reference
	var next uint64
	for step := 0; step < 20_000; step++ {
		if len(live) == 0 || r.IntN(5) < 3 {
			k := key{pri: r.IntN(50), seq: next}
			next++
			h.Push(int64(k.pri), k.seq, k.seq)
			live = append(live, k)
			continue
		}
		least := 0
		for i := range live {
			if compareKeys(live[i], live[least]) < 0 {
				least = i
			}
		}
		pri, seq, v := h.Pop()
		require.Equal(t, live[least], key{int(pri), seq}, "step %d", step)
		require.Equal(t, seq, v)
		live = slices.Delete(live, least, least+1)
		require.Equal(t, len(live), h.Len())
	}
}

// Numbered pushes of one priority come out first in, first out, and the
// sequence number breaks ties only within a priority.
func TestFIFOWithinPriority(t *testing.T) {
	t.Parallel()
	var h Heap[string, int]
	for i, p := range []string{"b", "a", "b", "a", "c", "a"} {
		h.Push(p, uint64(i), i)
	}
	var order []int
	for h.Len() > 0 {
		_, _, v := h.Pop()
		order = append(order, v)
	}
	require.Equal(t, []int{1, 3, 5, 0, 2, 4}, order)
}

// Popping drops the heap's reference to the value, so that a popped task
// can be collected while the heap's array lives on.
func TestPopClearsSlot(t *testing.T) {
	t.Parallel()
	var h Heap[int, *int]
	for i := range 10 {
		h.Push(i, 0, new(int))
	}
	for range 10 {
		h.Pop()
	}
	for _, e := range h.items[:cap(h.items)] {
		require.Nil(t, e.val)
	}
}

// A zero-size value adds nothing to an entry: a heap of bare keys moves two
// words per entry.
func TestEntrySize(t *testing.T) {
	t.Parallel()
	require.EqualValues(t, 16, unsafe.Sizeof(entry[int64, struct{}]{}))
	require.EqualValues(t, unsafe.Sizeof(0)+unsafe.Sizeof(new(int))+8, unsafe.Sizeof(entry[int, *int]{}))
}

// BenchmarkPushPop pushes 1024 keys in random order and pops them all.
func BenchmarkPushPop(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 15))
	keys := make([]int64, 1024)
	for i := range keys {
		keys[i] = r.Int64N(1 << 40)
	}
	b.Run("key", func(b *testing.B) {
		var h Heap[int64, struct{}]
		for b.Loop() {
			for i, k := range keys {
				h.Push(k, uint64(i), struct{}{})
			}
			for h.Len() > 0 {
				h.Pop()
			}
		}
	})
	b.Run("priority+pointer", func(b *testing.B) {
		vals := make([]*int64, len(keys))
		for i := range vals {
			vals[i] = &keys[i]
		}
		var h Heap[int, *int64]
		for b.Loop() {
			for i, k := range keys {
				h.Push(int(k%64), uint64(i), vals[i])
			}
			for h.Len() > 0 {
				h.Pop()
			}
		}
	})
}
