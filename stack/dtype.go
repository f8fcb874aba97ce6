package stack

import (
	"fmt"
	"strings"
	"unsafe"
)

// Elem is the set of element types a Volume can hold.
type Elem interface {
	~uint8 | ~uint16 | ~uint32 | ~int16 | ~int32 | ~float32
}

// Number is the set of element types a DType names: Elem and the 64-bit
// types, which hold results computed from volumes (the sums and means of a
// lazy array, say) but are not volume elements themselves.
type Number interface {
	Elem | ~uint64 | ~int64 | ~float64
}

// DType names an element type at run time.
type DType int

// Element types. The zero value is Invalid. Uint8 to Float32 are the Elem
// types; the 64-bit types follow them (see Number and IsElem).
const (
	Invalid DType = iota
	Uint8
	Uint16
	Uint32
	Int16
	Int32
	Float32
	Uint64
	Int64
	Float64
)

var dtypeNames = [...]string{"invalid", "uint8", "uint16", "uint32", "int16", "int32", "float32", "uint64", "int64", "float64"}
var dtypeSizes = [...]int{0, 1, 2, 4, 2, 4, 4, 8, 8, 8}

// String returns the numpy name of the type ("uint16", "float32", ...).
func (d DType) String() string {
	if d < 0 || int(d) >= len(dtypeNames) {
		return fmt.Sprintf("DType(%d)", int(d))
	}
	return dtypeNames[d]
}

// Size is the size of one element in bytes (0 for Invalid).
func (d DType) Size() int {
	if d < 0 || int(d) >= len(dtypeSizes) {
		return 0
	}
	return dtypeSizes[d]
}

// IsElem reports whether d is one of the Elem types, those a Volume holds
// and a TIFF stack stores.
func (d DType) IsElem() bool { return d >= Uint8 && d <= Float32 }

// IsFloat reports whether d is float32 or float64.
func (d DType) IsFloat() bool { return d == Float32 || d == Float64 }

// IsSigned reports whether d can hold negative values (the signed integer
// and floating-point types).
func (d DType) IsSigned() bool {
	switch d {
	case Int16, Int32, Int64, Float32, Float64:
		return true
	}
	return false
}

// ParseDType accepts the numpy names that String returns.
func ParseDType(s string) (DType, error) {
	for i, n := range dtypeNames {
		if i > 0 && strings.EqualFold(n, s) {
			return DType(i), nil
		}
	}
	return Invalid, fmt.Errorf("stack: unknown dtype %q (want one of %s)", s, strings.Join(dtypeNames[1:], ", "))
}

// DTypeOf returns the DType of T.
func DTypeOf[T Elem]() DType {
	var z T
	switch any(z).(type) {
	case uint8:
		return Uint8
	case uint16:
		return Uint16
	case uint32:
		return Uint32
	case int16:
		return Int16
	case int32:
		return Int32
	case float32:
		return Float32
	}
	// Named types with these underlying types: decide by size and behaviour.
	var one T = 1
	signed := z-one < 0
	switch size := unsafe.Sizeof(z); {
	case signed && one/2 > 0:
		return Float32
	case signed && size == 2:
		return Int16
	case signed:
		return Int32
	case size == 1:
		return Uint8
	case size == 2:
		return Uint16
	}
	return Uint32
}
