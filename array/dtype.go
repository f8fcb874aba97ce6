package array

import "github.com/segstack/segstack/stack"

// Arrays hold every stack.DType: the volume element types and the 64-bit
// types that sums, means and conversions produce. The promotion rules
// below are numpy's (see the package documentation).

// validDType reports whether d names an element type.
func validDType(d stack.DType) bool { return d.Size() > 0 }

// bits is the integer width of an integer type.
func bits(d stack.DType) int { return 8 * d.Size() }

// ResultType is numpy's result_type for two element types.
func ResultType(a, b stack.DType) stack.DType {
	if a == b {
		return a
	}
	if a.IsFloat() || b.IsFloat() {
		if a == stack.Float64 || b == stack.Float64 {
			return stack.Float64
		}
		// One is float32; the other an integer type.
		other := a
		if a == stack.Float32 {
			other = b
		}
		if bits(other) <= 16 {
			return stack.Float32
		}
		return stack.Float64
	}
	as, bs := a.IsSigned(), b.IsSigned()
	if as == bs {
		if bits(a) >= bits(b) {
			return a
		}
		return b
	}
	u, s := a, b
	if as {
		u, s = b, a
	}
	// A signed type holds the unsigned one when it is strictly wider.
	if bits(s) > bits(u) {
		return s
	}
	switch bits(u) {
	case 8:
		return stack.Int16
	case 16:
		return stack.Int32
	case 32:
		return stack.Int64
	}
	return stack.Float64
}

// scalarResult is the element type of an array of type d combined with the
// scalar v (see the package documentation).
func scalarResult(d stack.DType, v float64) stack.DType {
	if d.IsFloat() {
		return d
	}
	if v == float64(int64(v)) && fitsInt(d, v) {
		return d
	}
	return stack.Float64
}

func fitsInt(d stack.DType, v float64) bool {
	switch d {
	case stack.Uint8:
		return v >= 0 && v <= 255
	case stack.Uint16:
		return v >= 0 && v <= 65535
	case stack.Uint32:
		return v >= 0 && v <= 4294967295
	case stack.Uint64:
		return v >= 0 && v < 18446744073709551616
	case stack.Int16:
		return v >= -32768 && v <= 32767
	case stack.Int32:
		return v >= -2147483648 && v <= 2147483647
	case stack.Int64:
		return v >= -9223372036854775808 && v < 9223372036854775808
	}
	return false
}

// sumType is the element type numpy's sum gives for d.
func sumType(d stack.DType) stack.DType {
	switch {
	case d.IsFloat():
		return d
	case d.IsSigned():
		return stack.Int64
	}
	return stack.Uint64
}

// meanType is the element type numpy's mean and std give for d.
func meanType(d stack.DType) stack.DType {
	if d == stack.Float32 {
		return stack.Float32
	}
	return stack.Float64
}

// divType is the element type of true division.
func divType(d stack.DType) stack.DType {
	if d == stack.Float32 {
		return stack.Float32
	}
	return stack.Float64
}
