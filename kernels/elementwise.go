package kernels

import (
	"fmt"

	"github.com/segstack/segstack/kernels/simd"
	"github.com/segstack/segstack/stack"
)

// Element-wise arithmetic, comparison and conversion over slices of any
// stack.Number type: the per-chunk work of a lazy array's Add, Gt or
// Astype, with numpy's semantics for same-typed operands. Integers wrap
// on overflow (two's complement, as numpy's and Go's do), floats follow
// IEEE 754, and minimum and maximum propagate NaN. Type promotion is the
// caller's: operands arrive converted to one type.
//
// Each function works on the first n elements, n the shortest of its
// slices' lengths, and leaves the rest of dst alone. dst may be one of the
// operands itself, but must not overlap them in any other way.

// ArithOp names an element-wise arithmetic operation.
type ArithOp int

// The operations of Arith, ArithScalar and ScalarArith.
const (
	OpAdd ArithOp = iota // x + y
	OpSub                // x − y
	OpMul                // x × y
	OpDiv                // x ÷ y; for integers, truncated, and 0 where y is 0
	OpMin                // the smaller of x and y (NaN if either is NaN)
	OpMax                // the larger of x and y (NaN if either is NaN)
)

var arithNames = [...]string{"add", "sub", "mul", "div", "min", "max"}

// String returns the operation's short name, such as "add".
func (op ArithOp) String() string {
	if op < 0 || int(op) >= len(arithNames) {
		return fmt.Sprintf("ArithOp(%d)", int(op))
	}
	return arithNames[op]
}

// CmpOp names an element-wise comparison.
type CmpOp int

// The comparisons of Compare and CompareScalar.
const (
	CmpLt CmpOp = iota // x < y
	CmpLe              // x ≤ y
	CmpGt              // x > y
	CmpGe              // x ≥ y
	CmpEq              // x = y
	CmpNe              // x ≠ y (true where either is NaN)
)

var cmpNames = [...]string{"lt", "le", "gt", "ge", "eq", "ne"}

// String returns the comparison's short name, such as "lt".
func (op CmpOp) String() string {
	if op < 0 || int(op) >= len(cmpNames) {
		return fmt.Sprintf("CmpOp(%d)", int(op))
	}
	return cmpNames[op]
}

// isFloat reports whether T is a floating-point type: only there does a
// half survive.
func isFloat[T stack.Number]() bool {
	h := T(1)
	h /= 2
	return h != 0
}

// same reports whether a and b start at the same element.
func same[T any](a, b []T) bool { return len(a) > 0 && len(b) > 0 && &a[0] == &b[0] }

// Arith sets dst[i] = x[i] op y[i].
func Arith[T stack.Number](op ArithOp, dst, x, y []T) error {
	n := min(len(dst), len(x), len(y))
	dst, x, y = dst[:n], x[:n], y[:n]
	switch op {
	case OpAdd:
		for i := range dst {
			dst[i] = x[i] + y[i]
		}
	case OpSub:
		for i := range dst {
			dst[i] = x[i] - y[i]
		}
	case OpMul:
		for i := range dst {
			dst[i] = x[i] * y[i]
		}
	case OpDiv:
		if isFloat[T]() {
			for i := range dst {
				dst[i] = x[i] / y[i]
			}
			return nil
		}
		for i := range dst {
			if y[i] == 0 {
				dst[i] = 0
			} else {
				dst[i] = x[i] / y[i]
			}
		}
	case OpMin, OpMax:
		// Go's min and max are commutative, NaN and signed zeros
		// included, so the fold into dst may take either operand first;
		// MinInto and MaxInto have the vector loops.
		if same(dst, y) {
			x, y = y, x
		}
		if !same(dst, x) {
			copy(dst, x)
		}
		if op == OpMin {
			MinInto(dst, y)
		} else {
			MaxInto(dst, y)
		}
	default:
		return fmt.Errorf("%w: arithmetic operation %v", ErrInvalid, op)
	}
	return nil
}

// ArithScalar sets dst[i] = x[i] op s.
func ArithScalar[T stack.Number](op ArithOp, dst, x []T, s T) error {
	n := min(len(dst), len(x))
	dst, x = dst[:n], x[:n]
	switch op {
	case OpAdd:
		for i := range dst {
			dst[i] = x[i] + s
		}
	case OpSub:
		for i := range dst {
			dst[i] = x[i] - s
		}
	case OpMul:
		for i := range dst {
			dst[i] = x[i] * s
		}
	case OpDiv:
		if s == 0 && !isFloat[T]() {
			clear(dst)
			return nil
		}
		for i := range dst {
			dst[i] = x[i] / s
		}
	case OpMin:
		for i := range dst {
			dst[i] = min(x[i], s)
		}
	case OpMax:
		for i := range dst {
			dst[i] = max(x[i], s)
		}
	default:
		return fmt.Errorf("%w: arithmetic operation %v", ErrInvalid, op)
	}
	return nil
}

// ScalarArith sets dst[i] = s op x[i]: the scalar on the left, as in
// numpy's 1 - a or 2 / a.
func ScalarArith[T stack.Number](op ArithOp, dst []T, s T, x []T) error {
	n := min(len(dst), len(x))
	dst, x = dst[:n], x[:n]
	switch op {
	case OpAdd:
		for i := range dst {
			dst[i] = s + x[i]
		}
	case OpSub:
		for i := range dst {
			dst[i] = s - x[i]
		}
	case OpMul:
		for i := range dst {
			dst[i] = s * x[i]
		}
	case OpDiv:
		if isFloat[T]() {
			for i := range dst {
				dst[i] = s / x[i]
			}
			return nil
		}
		for i := range dst {
			if x[i] == 0 {
				dst[i] = 0
			} else {
				dst[i] = s / x[i]
			}
		}
	case OpMin:
		for i := range dst {
			dst[i] = min(s, x[i])
		}
	case OpMax:
		for i := range dst {
			dst[i] = max(s, x[i])
		}
	default:
		return fmt.Errorf("%w: arithmetic operation %v", ErrInvalid, op)
	}
	return nil
}

// flag is 1 for true and 0 for false.
func flag(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// Compare sets dst[i] to 1 where x[i] op y[i] holds and to 0 elsewhere. A
// NaN compares false with anything, so only CmpNe holds for it.
func Compare[T stack.Number](op CmpOp, dst []uint8, x, y []T) error {
	n := min(len(dst), len(x), len(y))
	dst, x, y = dst[:n], x[:n], y[:n]
	switch op {
	case CmpLt:
		for i := range dst {
			dst[i] = flag(x[i] < y[i])
		}
	case CmpLe:
		for i := range dst {
			dst[i] = flag(x[i] <= y[i])
		}
	case CmpGt:
		for i := range dst {
			dst[i] = flag(x[i] > y[i])
		}
	case CmpGe:
		for i := range dst {
			dst[i] = flag(x[i] >= y[i])
		}
	case CmpEq:
		for i := range dst {
			dst[i] = flag(x[i] == y[i])
		}
	case CmpNe:
		for i := range dst {
			dst[i] = flag(x[i] != y[i])
		}
	default:
		return fmt.Errorf("%w: comparison %v", ErrInvalid, op)
	}
	return nil
}

// CompareScalar sets dst[i] to 1 where float64(x[i]) op s holds and to 0
// elsewhere. Comparing in float64 keeps 2.5 > 2 true for integer x, as
// numpy's comparison of an integer array with a float does. (An int64 or
// uint64 element beyond 2⁵³ is rounded to float64 first.)
func CompareScalar[T stack.Number](op CmpOp, dst []uint8, x []T, s float64) error {
	n := min(len(dst), len(x))
	dst, x = dst[:n], x[:n]
	// float32 elements against a threshold that float32 holds exactly: the
	// comparison in float32 is the same, and has a vector loop.
	if f, ok := any(x).([]float32); ok && op == CmpGt && float64(float32(s)) == s {
		simd.GreaterMask(dst, f, float32(s))
		return nil
	}
	switch op {
	case CmpLt:
		for i := range dst {
			dst[i] = flag(float64(x[i]) < s)
		}
	case CmpLe:
		for i := range dst {
			dst[i] = flag(float64(x[i]) <= s)
		}
	case CmpGt:
		for i := range dst {
			dst[i] = flag(float64(x[i]) > s)
		}
	case CmpGe:
		for i := range dst {
			dst[i] = flag(float64(x[i]) >= s)
		}
	case CmpEq:
		for i := range dst {
			dst[i] = flag(float64(x[i]) == s)
		}
	case CmpNe:
		for i := range dst {
			dst[i] = flag(float64(x[i]) != s)
		}
	default:
		return fmt.Errorf("%w: comparison %v", ErrInvalid, op)
	}
	return nil
}

// Convert sets dst[i] = D(src[i]), as a Go conversion does and as numpy's
// astype does for values the target type holds: integers wrap into a
// narrower integer type, floats are truncated toward zero into an integer
// type, and float64 is rounded to the nearest float32. A float that is
// NaN, infinite or out of an integer type's range converts to a value
// that depends on the CPU, as in Go and numpy. uint8 and uint16 into
// float32 use vector instructions where the CPU has them.
func Convert[D, S stack.Number](dst []D, src []S) {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	if d, ok := any(dst).([]S); ok {
		copy(d, src)
		return
	}
	if d, ok := any(dst).([]float32); ok {
		switch s := any(src).(type) {
		case []uint8:
			simd.Uint8ToFloat32(d, s)
			return
		case []uint16:
			simd.Uint16ToFloat32(d, s)
			return
		}
	}
	for i, v := range src {
		dst[i] = D(v)
	}
}
