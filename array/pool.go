package array

import (
	"fmt"

	"github.com/segstack/segstack/stack"
)

// Chunk buffers of plane size and up are recycled: a streaming reduction
// reads one plane per task, and allocating (and zeroing) each read anew
// costs as much as the reduction itself. A buffer goes back to its pool
// only when the task that consumed it was the only one to see it (a chunk
// read fused with its reduction summary, say); anything else is left to
// the garbage collector.

// minPooled is the smallest buffer, in elements, worth pooling.
const minPooled = 1 << 14

// pools holds a stack.Pools per element type, indexed by its DType.
var pools = [...]any{
	stack.Uint8:   new(stack.Pools[uint8]),
	stack.Uint16:  new(stack.Pools[uint16]),
	stack.Uint32:  new(stack.Pools[uint32]),
	stack.Int16:   new(stack.Pools[int16]),
	stack.Int32:   new(stack.Pools[int32]),
	stack.Float32: new(stack.Pools[float32]),
	stack.Uint64:  new(stack.Pools[uint64]),
	stack.Int64:   new(stack.Pools[int64]),
	stack.Float64: new(stack.Pools[float64]),
}

// poolOf is the pool of T's buffers; T is one of the plain types that
// dtypeOfT names.
func poolOf[T stack.Number]() *stack.Pools[T] {
	return pools[dtypeOfT[T]()].(*stack.Pools[T])
}

// getBuf returns a buffer of n elements of type dt whose contents are
// undefined.
func getBuf(dt stack.DType, n int) buf {
	if n < minPooled {
		return newBuf(dt, n)
	}
	switch dt {
	case stack.Uint8:
		return getVec[uint8](n)
	case stack.Uint16:
		return getVec[uint16](n)
	case stack.Uint32:
		return getVec[uint32](n)
	case stack.Uint64:
		return getVec[uint64](n)
	case stack.Int16:
		return getVec[int16](n)
	case stack.Int32:
		return getVec[int32](n)
	case stack.Int64:
		return getVec[int64](n)
	case stack.Float32:
		return getVec[float32](n)
	case stack.Float64:
		return getVec[float64](n)
	}
	panic(fmt.Sprintf("array: internal error: no buffer for dtype %v", dt))
}

func getVec[T stack.Number](n int) buf { return vec[T](poolOf[T]().Get(n)) }

// putBuf hands b back for reuse; the caller must hold the only reference.
func putBuf(b buf) {
	if b == nil || b.length() < minPooled {
		return
	}
	b.recycle()
}

func (v vec[T]) recycle() { poolOf[T]().Put(v) }
