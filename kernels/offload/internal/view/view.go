// Package view reinterprets raw byte buffers (pinned host memory, a fake
// device's memory) as typed element slices without copying.
package view

import (
	"fmt"
	"unsafe"

	"github.com/segstack/segstack/stack"
)

// Of returns b as a slice of n elements of T sharing b's memory. It fails
// when b is too short or not aligned for T.
func Of[T stack.Elem](b []byte, n int) ([]T, error) {
	var zero T
	size := int(unsafe.Sizeof(zero))
	if n < 0 || n > len(b)/size {
		return nil, fmt.Errorf("view: %d elements of %d bytes do not fit %d bytes", n, size, len(b))
	}
	if n == 0 {
		return []T{}, nil
	}
	p := unsafe.Pointer(unsafe.SliceData(b))
	if uintptr(p)%uintptr(unsafe.Alignof(zero)) != 0 {
		return nil, fmt.Errorf("view: buffer at %p is not aligned for %T", p, zero)
	}
	return unsafe.Slice((*T)(p), n), nil
}

// Volume returns the first shape.Len() elements of b as a volume.
func Volume[T stack.Elem](b []byte, shape stack.Shape) (*stack.Volume[T], error) {
	if err := shape.Validate(); err != nil {
		return nil, err
	}
	data, err := Of[T](b, shape.Len())
	if err != nil {
		return nil, err
	}
	return &stack.Volume[T]{Shape: shape, Data: data}, nil
}

// Size is the size of one T in bytes.
func Size[T stack.Elem]() int {
	var zero T
	return int(unsafe.Sizeof(zero))
}

// Aligned returns a byte slice of n bytes whose start is aligned to 64
// bytes, as pinned host memory and device allocations are.
func Aligned(n int) []byte {
	const a = 64
	raw := make([]byte, n+a)
	off := int(uintptr(a)-uintptr(unsafe.Pointer(unsafe.SliceData(raw)))%a) % a
	return raw[off : off+n : off+n]
}

// Within reports whether the memory of inner lies within outer.
func Within(inner, outer []byte) bool {
	if len(inner) == 0 || len(outer) == 0 {
		return false
	}
	i := uintptr(unsafe.Pointer(unsafe.SliceData(inner)))
	o := uintptr(unsafe.Pointer(unsafe.SliceData(outer)))
	return i >= o && i+uintptr(len(inner)) <= o+uintptr(len(outer))
}

// Overlap reports whether the memory of a and b intersects.
func Overlap[T stack.Elem](a, b []T) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	size := uintptr(Size[T]())
	pa := uintptr(unsafe.Pointer(unsafe.SliceData(a)))
	pb := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return pa < pb+uintptr(len(b))*size && pb < pa+uintptr(len(a))*size
}
