package array

import "sync"

// Chunk buffers of plane size and up are recycled: a streaming reduction
// reads one plane per task, and allocating (and zeroing) each read anew
// costs as much as the reduction itself. A buffer goes back to its pool
// only when the task that consumed it was the only one to see it (a chunk
// read fused with its reduction summary, say); anything else is left to
// the garbage collector.

// minPooled is the smallest buffer, in elements, worth pooling.
const minPooled = 1 << 14

type poolKey struct {
	dt DType
	n  int
}

var (
	poolsMu sync.Mutex
	pools   = map[poolKey]*sync.Pool{}
)

func poolOf(dt DType, n int) *sync.Pool {
	k := poolKey{dt, n}
	poolsMu.Lock()
	p := pools[k]
	if p == nil {
		p = new(sync.Pool)
		pools[k] = p
	}
	poolsMu.Unlock()
	return p
}

// getBuf returns a buffer of n elements of type dt whose contents are
// undefined.
func getBuf(dt DType, n int) buf {
	if n < minPooled {
		return newBuf(dt, n)
	}
	if b, ok := poolOf(dt, n).Get().(buf); ok {
		return b
	}
	return newBuf(dt, n)
}

// putBuf hands b back for reuse; the caller must hold the only reference.
func putBuf(b buf) {
	if b == nil || b.length() < minPooled {
		return
	}
	poolOf(b.dtype(), b.length()).Put(b)
}
