//go:build amd64 && !noasm

package kernels

// binHeapPop is popGo in assembly: it removes the root of the heap of n
// entries in keys[1..n] and pix[1..n] (keys[n+1] the sentinel) and
// returns it, leaving keys[n] the sentinel. At each level its descent asks
// for the cache line of the keys two levels below the hole's children (a
// prefetch, which Go cannot issue), so that the comparisons of the steps
// after find their keys in the nearest cache. Below heapStepMax entries it
// chooses between the children without a branch; above, with one, as
// popGo does. On BenchmarkWatershedHeap (the heap of the uint8 rows
// replayed alone) it took uint8 1024² from 80 to 57-60 ms and uint8
// 64×256² from 519-545 to 439-477 ms; without the prefetch, 64 and 513-524
// ms. The branch above heapStepMax kept the heaps of
// BenchmarkWatershedContests as fast as popGo (2495-3055 ms against
// 2751-3326 ms for popGo, 3146-3915 ms without it).
//
//go:noescape
func binHeapPop(keys *uint64, pix *uint32, n int) (key uint64, p uint32)

// pop removes the root (popGo's order exactly).
func (h *binHeap) pop() (uint64, uint32) {
	k, p := binHeapPop(&h.keys[0], &h.pix[0], h.n)
	h.n--
	return k, p
}
