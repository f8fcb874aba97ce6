package zarr

import (
	"encoding/binary"
	"math"
	"strings"
	"unsafe"

	"github.com/segstack/segstack/stack"
)

// DType is the element type of an array.
type DType int

// Element types. The zero value is Invalid.
const (
	Invalid DType = iota
	Uint8
	Uint16
	Int16
	Uint32
	Int32
	Float32
	Float64
)

var dtypeInfo = [...]struct {
	name string // Zarr v3 data_type and numpy name
	kind byte   // numpy kind in a v2 type string
	size int
}{
	{"invalid", 0, 0},
	{"uint8", 'u', 1},
	{"uint16", 'u', 2},
	{"int16", 'i', 2},
	{"uint32", 'u', 4},
	{"int32", 'i', 4},
	{"float32", 'f', 4},
	{"float64", 'f', 8},
}

func (d DType) valid() bool { return d > Invalid && int(d) < len(dtypeInfo) }

// String returns the numpy (and Zarr v3) name of the type.
func (d DType) String() string {
	if !d.valid() {
		return "invalid"
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

// Float reports whether d is a floating-point type.
func (d DType) Float() bool { return d == Float32 || d == Float64 }

// Stack returns the stack element type d is read as: itself, or Float32
// for Float64, which the stack package does not hold.
func (d DType) Stack() stack.DType {
	switch d {
	case Uint8:
		return stack.Uint8
	case Uint16:
		return stack.Uint16
	case Int16:
		return stack.Int16
	case Uint32:
		return stack.Uint32
	case Int32:
		return stack.Int32
	case Float32, Float64:
		return stack.Float32
	}
	return stack.Invalid
}

// FromStack returns the DType of a stack element type (Invalid for
// stack.Invalid).
func FromStack(d stack.DType) DType {
	switch d {
	case stack.Uint8:
		return Uint8
	case stack.Uint16:
		return Uint16
	case stack.Int16:
		return Int16
	case stack.Uint32:
		return Uint32
	case stack.Int32:
		return Int32
	case stack.Float32:
		return Float32
	}
	return Invalid
}

// ParseDType accepts the numpy names that String returns.
func ParseDType(s string) (DType, error) {
	for i := range dtypeInfo {
		if i > 0 && strings.EqualFold(dtypeInfo[i].name, s) {
			return DType(i), nil
		}
	}
	return Invalid, unsupportedf("data type %q (want uint8, uint16, int16, uint32, int32, float32 or float64)", s)
}

// parseV2DType reads a numpy type string such as "<u2" or "|u1".
func parseV2DType(s string) (DType, binary.ByteOrder, error) {
	if len(s) != 3 {
		return Invalid, nil, unsupportedf("data type %q (want a numpy type string such as \"<u2\")", s)
	}
	var bo binary.ByteOrder
	switch s[0] {
	case '<', '|':
		bo = binary.LittleEndian
	case '>':
		bo = binary.BigEndian
	default:
		return Invalid, nil, unsupportedf("data type %q: byte order %q", s, s[0])
	}
	for i := range dtypeInfo {
		if i > 0 && dtypeInfo[i].kind == s[1] && byte('0'+dtypeInfo[i].size) == s[2] {
			d := DType(i)
			if s[0] == '|' && d.Size() != 1 {
				return Invalid, nil, formatErrorf("data type %q: a multi-byte type needs a byte order", s)
			}
			return d, bo, nil
		}
	}
	return Invalid, nil, unsupportedf("data type %q (want uint8, uint16, int16, uint32, int32, float32 or float64)", s)
}

// v2DTypeString is the numpy type string of d stored in byte order bo.
func v2DTypeString(d DType, bo binary.ByteOrder) string {
	c := byte('<')
	if d.Size() == 1 {
		c = '|'
	} else if bo == binary.BigEndian {
		c = '>'
	}
	return string([]byte{c, dtypeInfo[d].kind, byte('0' + d.Size())})
}

// nativeLE reports whether this machine is little-endian.
var nativeLE = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// native is this machine's byte order.
var native binary.ByteOrder = func() binary.ByteOrder {
	if nativeLE {
		return binary.LittleEndian
	}
	return binary.BigEndian
}()

// isNative reports whether data stored in byte order bo needs no swap.
func isNative(bo binary.ByteOrder) bool {
	return (bo == binary.BigEndian) != nativeLE
}

// swapBytes reverses the bytes of every size-byte element of b in place.
func swapBytes(b []byte, size int) {
	switch size {
	case 2:
		for i := 0; i+1 < len(b); i += 2 {
			b[i], b[i+1] = b[i+1], b[i]
		}
	case 4:
		for i := 0; i+3 < len(b); i += 4 {
			b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
		}
	case 8:
		for i := 0; i+7 < len(b); i += 8 {
			b[i], b[i+1], b[i+2], b[i+3], b[i+4], b[i+5], b[i+6], b[i+7] =
				b[i+7], b[i+6], b[i+5], b[i+4], b[i+3], b[i+2], b[i+1], b[i]
		}
	}
}

// asBytes views a slice of elements as its bytes.
func asBytes[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(z)))
}

// asElems views native-endian bytes as elements; len(b) must be a
// multiple of the element size and b suitably aligned (buffers from make
// are).
func asElems[T any](b []byte) []T {
	var z T
	n := len(b) / int(unsafe.Sizeof(z))
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), n)
}

// toFloat32 converts native-endian elements of type d in src to dst.
func toFloat32(dst []float32, src []byte, d DType) {
	switch d {
	case Uint8:
		for i, v := range src[:len(dst)] {
			dst[i] = float32(v)
		}
	case Uint16:
		convert(dst, asElems[uint16](src))
	case Int16:
		convert(dst, asElems[int16](src))
	case Uint32:
		convert(dst, asElems[uint32](src))
	case Int32:
		convert(dst, asElems[int32](src))
	case Float32:
		copy(dst, asElems[float32](src))
	case Float64:
		convert(dst, asElems[float64](src))
	}
}

func convert[S uint16 | int16 | uint32 | int32 | float64](dst []float32, src []S) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = float32(v)
	}
}

// fromFloat64 encodes v as one native-endian element of type d into b,
// which holds d.Size() bytes. v must be representable (see fitsDType).
func fromFloat64(b []byte, d DType, v float64) {
	switch d {
	case Uint8:
		b[0] = uint8(v)
	case Uint16:
		native.PutUint16(b, uint16(v))
	case Int16:
		native.PutUint16(b, uint16(int16(v)))
	case Uint32:
		native.PutUint32(b, uint32(v))
	case Int32:
		native.PutUint32(b, uint32(int32(v)))
	case Float32:
		native.PutUint32(b, math.Float32bits(float32(v)))
	case Float64:
		native.PutUint64(b, math.Float64bits(v))
	}
}

// toFloat64 decodes one native-endian element of type d.
func toFloat64(b []byte, d DType) float64 {
	switch d {
	case Uint8:
		return float64(b[0])
	case Uint16:
		return float64(native.Uint16(b))
	case Int16:
		return float64(int16(native.Uint16(b)))
	case Uint32:
		return float64(native.Uint32(b))
	case Int32:
		return float64(int32(native.Uint32(b)))
	case Float32:
		return float64(math.Float32frombits(native.Uint32(b)))
	case Float64:
		return math.Float64frombits(native.Uint64(b))
	}
	return 0
}

// fitsDType reports whether v is exactly representable in an integer type
// d; every value fits a float type.
func fitsDType(v float64, d DType) bool {
	lo, hi := 0.0, 0.0
	switch d {
	case Uint8:
		hi = math.MaxUint8
	case Uint16:
		hi = math.MaxUint16
	case Int16:
		lo, hi = math.MinInt16, math.MaxInt16
	case Uint32:
		hi = math.MaxUint32
	case Int32:
		lo, hi = math.MinInt32, math.MaxInt32
	default:
		return true
	}
	return v == math.Trunc(v) && v >= lo && v <= hi
}
