package stack

import "fmt"

// Volume is a Z-stack stored contiguously in row-major (Z, Y, X) order.
type Volume[T Elem] struct {
	Shape Shape
	Data  []T
}

// New allocates a zeroed volume. It panics on an invalid shape, as make does;
// use Shape.Validate first on untrusted input.
func New[T Elem](s Shape) *Volume[T] {
	if err := s.Validate(); err != nil {
		panic(err)
	}
	return &Volume[T]{Shape: s, Data: makeData[T](s.Len())}
}

// hugePage is the size of a transparent huge page, and hugeMinBytes the
// size from which buffers are advised to use them.
const (
	hugePage     = 2 << 20
	hugeMinBytes = 4 << 20
)

// makeData allocates n zeroed elements; large buffers are advised to use
// huge pages (see adviseHuge).
func makeData[T Number](n int) []T {
	b := make([]T, n)
	adviseHuge(b)
	return b
}

// FromSlice wraps data without copying. len(data) must equal s.Len().
func FromSlice[T Elem](s Shape, data []T) (*Volume[T], error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if len(data) != s.Len() {
		return nil, fmt.Errorf("stack: %d elements do not fill shape %v (%d)", len(data), s, s.Len())
	}
	return &Volume[T]{Shape: s, Data: data}, nil
}

// DType is the run-time name of T.
func (v *Volume[T]) DType() DType { return DTypeOf[T]() }

// Index is the offset of (z, y, x) in Data.
func (v *Volume[T]) Index(z, y, x int) int { return (z*v.Shape.Y+y)*v.Shape.X + x }

// At returns the element at (z, y, x).
func (v *Volume[T]) At(z, y, x int) T { return v.Data[v.Index(z, y, x)] }

// Set stores val at (z, y, x).
func (v *Volume[T]) Set(z, y, x int, val T) { v.Data[v.Index(z, y, x)] = val }

// Plane returns plane z as a slice sharing v's storage.
func (v *Volume[T]) Plane(z int) []T {
	n := v.Shape.PlaneLen()
	return v.Data[z*n : (z+1)*n : (z+1)*n]
}

// PlaneVolume returns plane z as a 1×Y×X volume sharing v's storage.
func (v *Volume[T]) PlaneVolume(z int) *Volume[T] {
	return &Volume[T]{Shape: Shape{1, v.Shape.Y, v.Shape.X}, Data: v.Plane(z)}
}

// Row returns row y of plane z, sharing v's storage.
func (v *Volume[T]) Row(z, y int) []T {
	i := v.Index(z, y, 0)
	return v.Data[i : i+v.Shape.X : i+v.Shape.X]
}

// Slab returns planes [z0, z1) as a volume sharing v's storage.
func (v *Volume[T]) Slab(z0, z1 int) *Volume[T] {
	n := v.Shape.PlaneLen()
	return &Volume[T]{Shape: Shape{z1 - z0, v.Shape.Y, v.Shape.X}, Data: v.Data[z0*n : z1*n : z1*n]}
}

// Clone returns a deep copy.
func (v *Volume[T]) Clone() *Volume[T] {
	return &Volume[T]{Shape: v.Shape, Data: append([]T(nil), v.Data...)}
}

// Convert returns a copy of src with every element converted to U as a Go
// conversion does (no scaling, no clamping).
func Convert[U, T Elem](src *Volume[T]) *Volume[U] {
	dst := &Volume[U]{Shape: src.Shape, Data: make([]U, len(src.Data))}
	for i, x := range src.Data {
		dst.Data[i] = U(x)
	}
	return dst
}
