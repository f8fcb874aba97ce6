package stack

import (
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// Shape is the extent of a volume along Z, Y and X.
type Shape struct{ Z, Y, X int }

// Axis indices into a [3]int ordered like Shape.
const (
	AxisZ = 0
	AxisY = 1
	AxisX = 2
)

// Dims returns the shape as an array ordered Z, Y, X.
func (s Shape) Dims() [3]int { return [3]int{s.Z, s.Y, s.X} }

// ShapeOf builds a Shape from an array ordered Z, Y, X.
func ShapeOf(d [3]int) Shape { return Shape{d[0], d[1], d[2]} }

// Len is the number of elements. It assumes Validate succeeded.
func (s Shape) Len() int { return s.Z * s.Y * s.X }

// PlaneLen is the number of elements in one Z plane.
func (s Shape) PlaneLen() int { return s.Y * s.X }

// String formats the shape as ZxYxX.
func (s Shape) String() string { return fmt.Sprintf("%dx%dx%d", s.Z, s.Y, s.X) }

// Validate reports an error when an extent is not positive or when the
// element count overflows an int.
func (s Shape) Validate() error {
	if s.Z <= 0 || s.Y <= 0 || s.X <= 0 {
		return fmt.Errorf("stack: invalid shape %v: every extent must be positive", s)
	}
	hi, lo := bits.Mul64(uint64(s.Z), uint64(s.Y))
	if hi != 0 || lo > math.MaxInt {
		return fmt.Errorf("stack: shape %v has too many elements", s)
	}
	hi, lo = bits.Mul64(lo, uint64(s.X))
	if hi != 0 || lo > math.MaxInt {
		return fmt.Errorf("stack: shape %v has too many elements", s)
	}
	return nil
}

// ParseShape reads "Z,Y,X" (or "Y,X" for a single plane).
func ParseShape(text string) (Shape, error) {
	parts := strings.Split(text, ",")
	if len(parts) != 2 && len(parts) != 3 {
		return Shape{}, fmt.Errorf("stack: shape %q: want Z,Y,X or Y,X", text)
	}
	d := [3]int{1, 1, 1}
	off := 3 - len(parts)
	for i, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n <= 0 {
			return Shape{}, fmt.Errorf("stack: shape %q: %q is not a positive integer", text, p)
		}
		d[off+i] = n
	}
	s := ShapeOf(d)
	return s, s.Validate()
}
