package engine

import (
	"runtime"
	"unsafe"
)

// bytesOfU32 views labels as bytes in the machine's order.
func bytesOfU32(s []uint32) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), 4*len(s))
}

func runtimeGOMAXPROCS() int { return runtime.GOMAXPROCS(0) }
