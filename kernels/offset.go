package kernels

import "unsafe"

// Labels offset: numbering objects uniquely across a stack adds to each
// plane's labels the number of objects in the planes before it. The
// background (0) stays 0.

// AddOffset adds off to every non-zero label of labels in place. The
// caller makes sure the results fit T.
func AddOffset[T uint16 | uint32](labels []T, off T) {
	if off == 0 {
		return
	}
	if l16, ok := any(labels).([]uint16); ok {
		addOffset16(l16, uint16(off))
		return
	}
	// min(l, 1) is 0 for the background and 1 for a label: a conditional
	// move rather than a branch, which mispredicts at every object edge.
	for len(labels) >= 4 {
		l := labels[:4:4]
		l[0] += off * min(l[0], 1)
		l[1] += off * min(l[1], 1)
		l[2] += off * min(l[2], 1)
		l[3] += off * min(l[3], 1)
		labels = labels[4:]
	}
	for i, l := range labels {
		labels[i] = l + off*min(l, 1)
	}
}

// WidenOffset stores in dst (len(dst) >= len(src)) the uint16 labels of src
// as uint32 with off added to the non-zero ones.
func WidenOffset(dst []uint32, src []uint16, off uint32) {
	dst = dst[:len(src)]
	for i, l := range src {
		w := uint32(l)
		dst[i] = w + off*min(w, 1)
	}
}

// addOffset16 is AddOffset on uint16 labels, four at a time in a 64-bit
// word: a lane's top bit after (x&0x7fff)+0x7fff, or'ed with x, says
// whether the lane is non-zero; the offset is added to the even and odd
// lanes separately, so that a lane wraps as uint16 arithmetic does and
// never carries into its neighbour. Every lane is treated alike, so the
// machine's byte order does not matter; labels up to the first 8-byte
// boundary, and the last few, are done one at a time.
func addOffset16(labels []uint16, off uint16) {
	const (
		low15 = 0x7fff7fff7fff7fff
		top   = 0x8000800080008000
		even  = 0x0000ffff0000ffff
		odd   = 0xffff0000ffff0000
	)
	one := func(l []uint16) {
		for i, v := range l {
			l[i] = v + off*min(v, 1)
		}
	}
	head := 0
	for head < len(labels) && uintptr(unsafe.Pointer(&labels[head]))%8 != 0 {
		head++
	}
	one(labels[:head])
	labels = labels[head:]
	nw := len(labels) / 4
	if nw > 0 {
		rep := uint64(off) * 0x0001000100010001
		for i, x := range unsafe.Slice((*uint64)(unsafe.Pointer(&labels[0])), nw) {
			nz := ((x & low15) + low15 | x) & top
			a := rep & ((nz >> 15) * 0xffff)
			unsafe.Slice((*uint64)(unsafe.Pointer(&labels[0])), nw)[i] = (x&even+a&even)&even | (x&odd+a&odd)&odd
		}
	}
	one(labels[4*nw:])
}
