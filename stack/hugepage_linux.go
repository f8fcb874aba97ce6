package stack

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// adviseHuge asks the kernel to back the 2 MiB-aligned part of b with huge
// pages where transparent huge pages are enabled for advised memory (the
// usual "madvise" setting). A volume walked along Z touches a page per
// plane at every step; with 4 KiB pages those lookups miss the TLB. numpy
// gives its large arrays the same advice. It is only a hint: errors are
// ignored.
func adviseHuge[T Number](b []T) {
	var z T
	n := uintptr(len(b)) * unsafe.Sizeof(z)
	if n < hugeMinBytes {
		return
	}
	p := unsafe.Pointer(unsafe.SliceData(b))
	start := uintptr(p)
	lo := (start+hugePage-1)&^(hugePage-1) - start // offsets from p
	hi := (start+n)&^(hugePage-1) - start
	if lo >= hi {
		return
	}
	_ = unix.Madvise(unsafe.Slice((*byte)(unsafe.Add(p, lo)), hi-lo), unix.MADV_HUGEPAGE)
}
