package zarr

import (
	"bytes"
	"encoding/binary"
)

// strides returns the C-order strides, in elements, of an array of shape.
func strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// product multiplies the extents.
func product(shape []int) int {
	n := 1
	for _, v := range shape {
		n *= v
	}
	return n
}

// copyBox copies the box of extent size from src (C order, shape srcShape)
// at srcAt to dst (C order, shape dstShape) at dstAt; elements have elem
// bytes. Trailing dimensions that both arrays hold whole are merged, so a
// plane or a whole chunk moves with one copy.
func copyBox(dst []byte, dstShape, dstAt []int, src []byte, srcShape, srcAt []int, size []int, elem int) {
	nd := len(size)
	for _, s := range size {
		if s == 0 {
			return
		}
	}
	ds, ss := strides(dstShape), strides(srcShape)
	// Merge dimension nd-1 down into its predecessors while the box covers
	// it whole in both arrays.
	inner := size[nd-1]
	last := nd - 1
	for last > 0 && size[last] == dstShape[last] && size[last] == srcShape[last] && dstAt[last] == 0 && srcAt[last] == 0 {
		last--
		inner *= size[last]
	}
	dOff, sOff := 0, 0
	for i := 0; i < nd; i++ {
		dOff += dstAt[i] * ds[i]
		sOff += srcAt[i] * ss[i]
	}
	rowBytes := inner * elem
	if last == 0 {
		copy(dst[dOff*elem:dOff*elem+rowBytes], src[sOff*elem:sOff*elem+rowBytes])
		return
	}
	// Odometer over dimensions 0..last-1.
	idx := make([]int, last)
	for {
		copy(dst[dOff*elem:dOff*elem+rowBytes], src[sOff*elem:sOff*elem+rowBytes])
		k := last - 1
		for ; k >= 0; k-- {
			idx[k]++
			dOff += ds[k]
			sOff += ss[k]
			if idx[k] < size[k] {
				break
			}
			dOff -= ds[k] * size[k]
			sOff -= ss[k] * size[k]
			idx[k] = 0
		}
		if k < 0 {
			return
		}
	}
}

// untranspose rearranges a chunk stored with its dimensions in the order
// perm (stored dimension k is array dimension perm[k]) into C order.
func untranspose(dst, src []byte, shape, perm []int, elem int) {
	nd := len(shape)
	stored := make([]int, nd)
	for k, p := range perm {
		stored[k] = shape[p]
	}
	ss := strides(stored)
	st := make([]int, nd) // stride in src of each array dimension
	for k, p := range perm {
		st[p] = ss[k]
	}
	idx := make([]int, nd)
	off := 0
	n := product(shape)
	for o := 0; o < n; o++ {
		copy(dst[o*elem:(o+1)*elem], src[off*elem:(off+1)*elem])
		for k := nd - 1; k >= 0; k-- {
			idx[k]++
			off += st[k]
			if idx[k] < shape[k] {
				break
			}
			off -= st[k] * shape[k]
			idx[k] = 0
		}
	}
}

// fillBytes sets every element of b to the element pattern v.
func fillBytes(b, v []byte) {
	if len(b) == 0 {
		return
	}
	allZero := true
	for _, c := range v {
		if c != 0 {
			allZero = false
		}
	}
	if allZero {
		clear(b)
		return
	}
	n := copy(b, v)
	for n < len(b) {
		n += copy(b[n:], b[:n])
	}
}

// allFill reports whether every element of b is the element pattern v.
// It stops at the first element that differs, which in chunks holding
// data is usually near the start.
func allFill(b, v []byte) bool {
	if len(v) == 0 || len(b)%len(v) != 0 {
		return false
	}
	zero := true
	for _, c := range v {
		zero = zero && c == 0
	}
	if zero {
		i := 0
		for ; i+64 <= len(b); i += 64 {
			w := b[i : i+64 : i+64]
			x := binary.LittleEndian.Uint64(w[0:]) | binary.LittleEndian.Uint64(w[8:]) |
				binary.LittleEndian.Uint64(w[16:]) | binary.LittleEndian.Uint64(w[24:]) |
				binary.LittleEndian.Uint64(w[32:]) | binary.LittleEndian.Uint64(w[40:]) |
				binary.LittleEndian.Uint64(w[48:]) | binary.LittleEndian.Uint64(w[56:])
			if x != 0 {
				return false
			}
		}
		for _, c := range b[i:] {
			if c != 0 {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(b); i += len(v) {
		if !bytes.Equal(b[i:i+len(v)], v) {
			return false
		}
	}
	return true
}
