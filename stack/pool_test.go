package stack

import (
	"sync"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

func TestPoolsLengths(t *testing.T) {
	t.Parallel()
	var p Pools[uint16]
	for _, n := range []int{1, 3, 64, 1000} {
		b := p.Get(n)
		require.Len(t, b, n)
		p.Put(b)
		require.Len(t, p.Get(n), n)
	}
	require.Empty(t, p.Get(0))
	require.Empty(t, p.Get(-1))
	p.Put(nil) // dropped, no panic
	p.Put([]uint16{})

	// A buffer handed back under one length never comes out under another.
	b := p.Get(64)
	p.Put(b)
	for range 20 {
		c := p.Get(32)
		require.Len(t, c, 32)
		require.True(t, unsafe.SliceData(b) != unsafe.SliceData(c), "a 64-element buffer came out as a 32-element one")
	}
}

// TestPoolsReuse checks that a buffer handed back is handed out again for
// its length (sync.Pool may drop some, so it tries a few times).
func TestPoolsReuse(t *testing.T) {
	var p Pools[float64] // a 64-bit type, which Pool does not hold
	reused := false
	for range 100 {
		b := p.Get(512)
		p.Put(b)
		if c := p.Get(512); unsafe.SliceData(c) == unsafe.SliceData(b) {
			reused = true
			break
		}
	}
	require.True(t, reused, "a recycled buffer was never handed out again")
}

// TestPoolsConcurrent has goroutines take, fill, check and return buffers
// of several lengths at once: no buffer may be held by two at a time.
func TestPoolsConcurrent(t *testing.T) {
	t.Parallel()
	var p Pools[int64]
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				n := 1 + (g+i)%5*100
				b := p.Get(n)
				require.Len(t, b, n)
				mark := int64(g<<20 | i)
				for k := range b {
					b[k] = mark
				}
				for k := range b {
					if b[k] != mark {
						require.Failf(t, "shared buffer", "goroutine %d saw %d at %d", g, b[k], k)
					}
				}
				p.Put(b)
			}
		})
	}
	wg.Wait()
}

// TestPoolsNoAllocs checks that recycling a buffer allocates nothing once
// the pool is warm (the race detector's sync.Pool drops items at random,
// so it does not run there).
func TestPoolsNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	var p Pools[uint16]
	q := NewPool[float32](256)
	p.Put(p.Get(4096))
	q.Put(q.Get())
	allocs := testing.AllocsPerRun(100, func() {
		p.Put(p.Get(4096))
		q.Put(q.Get())
	})
	require.Zero(t, allocs)
}
