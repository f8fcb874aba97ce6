package segment

import (
	"encoding/binary"
	"unsafe"
)

// nativeLittleEndian is whether this machine stores a uint32's low half
// first, which narrow16's packed loop relies on.
var nativeLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// narrow16 stores each label of src, which must all be at most 65535, as a
// uint16 in dst; dst must be as long as src.
func narrow16(dst []uint16, src []uint32) {
	n := len(src)
	dst = dst[:n]
	i := 0
	if nativeLittleEndian && n >= 8 {
		// Eight labels at a time: a uint64 holds two labels, each with a
		// zero upper half, so a|a>>16 has both as uint16s in its low 32 bits.
		ps := unsafe.Pointer(unsafe.SliceData(src))
		pd := unsafe.Pointer(unsafe.SliceData(dst))
		for ; i+8 <= n; i += 8 {
			s := unsafe.Add(ps, i*4)
			a := *(*uint64)(s)
			b := *(*uint64)(unsafe.Add(s, 8))
			c := *(*uint64)(unsafe.Add(s, 16))
			d := *(*uint64)(unsafe.Add(s, 24))
			o := unsafe.Add(pd, i*2)
			*(*uint64)(o) = uint64(uint32(a|a>>16)) | uint64(uint32(b|b>>16))<<32
			*(*uint64)(unsafe.Add(o, 8)) = uint64(uint32(c|c>>16)) | uint64(uint32(d|d>>16))<<32
		}
	}
	for ; i < n; i++ {
		dst[i] = uint16(src[i])
	}
}
