package array

import (
	"fmt"
	"strings"

	"github.com/segstack/segstack/stack"
)

// DType names an array's element type.
type DType int

// Element types. The zero value is Invalid.
const (
	Invalid DType = iota
	Uint8
	Uint16
	Uint32
	Uint64
	Int16
	Int32
	Int64
	Float32
	Float64
)

var dtypeInfo = [...]struct {
	name   string
	size   int
	signed bool
	float  bool
}{
	{"invalid", 0, false, false},
	{"uint8", 1, false, false},
	{"uint16", 2, false, false},
	{"uint32", 4, false, false},
	{"uint64", 8, false, false},
	{"int16", 2, true, false},
	{"int32", 4, true, false},
	{"int64", 8, true, false},
	{"float32", 4, true, true},
	{"float64", 8, true, true},
}

func (d DType) valid() bool { return d > Invalid && int(d) < len(dtypeInfo) }

// String returns the numpy name of the type.
func (d DType) String() string {
	if !d.valid() {
		return fmt.Sprintf("DType(%d)", int(d))
	}
	return dtypeInfo[d].name
}

// Size is the size of one element in bytes (0 for Invalid).
func (d DType) Size() int {
	if !d.valid() {
		return 0
	}
	return dtypeInfo[d].size
}

// IsFloat reports whether d is float32 or float64.
func (d DType) IsFloat() bool { return d.valid() && dtypeInfo[d].float }

// IsSigned reports whether d can hold negative values.
func (d DType) IsSigned() bool { return d.valid() && dtypeInfo[d].signed }

// ParseDType accepts the names String returns.
func ParseDType(s string) (DType, error) {
	for i := Uint8; i <= Float64; i++ {
		if strings.EqualFold(i.String(), s) {
			return i, nil
		}
	}
	return Invalid, fmt.Errorf("array: unknown dtype %q", s)
}

// FromStack converts a stack element type to the array's.
func FromStack(d stack.DType) DType {
	switch d {
	case stack.Uint8:
		return Uint8
	case stack.Uint16:
		return Uint16
	case stack.Uint32:
		return Uint32
	case stack.Int16:
		return Int16
	case stack.Int32:
		return Int32
	case stack.Float32:
		return Float32
	}
	return Invalid
}

// Stack converts d to the stack element type, or stack.Invalid for the
// 64-bit types, which stack volumes do not hold.
func (d DType) Stack() stack.DType {
	switch d {
	case Uint8:
		return stack.Uint8
	case Uint16:
		return stack.Uint16
	case Uint32:
		return stack.Uint32
	case Int16:
		return stack.Int16
	case Int32:
		return stack.Int32
	case Float32:
		return stack.Float32
	}
	return stack.Invalid
}

// bits is the integer width of an integer type.
func (d DType) bits() int { return 8 * d.Size() }

// ResultType is numpy's result_type for two of our element types.
func ResultType(a, b DType) DType {
	if a == b {
		return a
	}
	if a.IsFloat() || b.IsFloat() {
		if a == Float64 || b == Float64 {
			return Float64
		}
		// One is float32; the other an integer type.
		other := a
		if a == Float32 {
			other = b
		}
		if other.bits() <= 16 {
			return Float32
		}
		return Float64
	}
	as, bs := a.IsSigned(), b.IsSigned()
	if as == bs {
		if a.bits() >= b.bits() {
			return a
		}
		return b
	}
	u, s := a, b
	if as {
		u, s = b, a
	}
	// A signed type holds the unsigned one when it is strictly wider.
	if s.bits() > u.bits() {
		return s
	}
	switch u.bits() {
	case 8:
		return Int16
	case 16:
		return Int32
	case 32:
		return Int64
	}
	return Float64
}

// scalarResult is the element type of an array of type d combined with the
// scalar v (see the package documentation).
func scalarResult(d DType, v float64) DType {
	if d.IsFloat() {
		return d
	}
	if v == float64(int64(v)) && fitsInt(d, v) {
		return d
	}
	return Float64
}

func fitsInt(d DType, v float64) bool {
	switch d {
	case Uint8:
		return v >= 0 && v <= 255
	case Uint16:
		return v >= 0 && v <= 65535
	case Uint32:
		return v >= 0 && v <= 4294967295
	case Uint64:
		return v >= 0 && v < 18446744073709551616
	case Int16:
		return v >= -32768 && v <= 32767
	case Int32:
		return v >= -2147483648 && v <= 2147483647
	case Int64:
		return v >= -9223372036854775808 && v < 9223372036854775808
	}
	return false
}

// sumType is the element type numpy's sum gives for d.
func sumType(d DType) DType {
	switch {
	case d.IsFloat():
		return d
	case d.IsSigned():
		return Int64
	}
	return Uint64
}

// meanType is the element type numpy's mean and std give for d.
func meanType(d DType) DType {
	if d == Float32 {
		return Float32
	}
	return Float64
}

// divType is the element type of true division.
func divType(d DType) DType {
	if d == Float32 {
		return Float32
	}
	return Float64
}
