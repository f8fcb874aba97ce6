package kernels

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

// bitsOf is the width of T in bits.
func bitsOf[T stack.Number]() int { return 8 * int(unsafe.Sizeof(*new(T))) }

// signed reports whether T is a signed type (floats included).
func signed[T stack.Number]() bool {
	var z T
	return z-1 < 0
}

// drawNumbers returns n values of T that cover its range: for integers
// random bit patterns of the full width with 0, 1, −1 (or the largest
// value) and the sign bit alone mixed in; for floats normal values of three
// scales with ±0, ±Inf and NaN mixed in.
func drawNumbers[T stack.Number](r *rand.Rand, n int) []T {
	out := make([]T, n)
	for i := range out {
		special := r.IntN(8) == 0
		switch {
		case isFloat[T]() && special:
			out[i] = T([]float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 1}[r.IntN(6)])
		case isFloat[T]():
			out[i] = T(r.NormFloat64() * []float64{1e-3, 1, 1e3}[r.IntN(3)])
		case special:
			ones, top := ^uint64(0), uint64(1)<<(bitsOf[T]()-1)
			out[i] = []T{0, 1, T(ones), T(top), 2}[r.IntN(5)]
		default:
			out[i] = T(r.Uint64())
		}
	}
	return out
}

// sameNumber reports whether a and b are the same value: NaN matches any
// NaN, and zeros must agree in sign.
func sameNumber[T stack.Number](a, b T) bool {
	if a != a || b != b {
		return a != a && b != b
	}
	if a == 0 && b == 0 && isFloat[T]() {
		return math.Signbit(float64(a)) == math.Signbit(float64(b))
	}
	return a == b
}

func requireSameNumbers[T stack.Number](t *testing.T, want, got []T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	require.Len(t, got, len(want), msg)
	for i := range want {
		if !sameNumber(want[i], got[i]) {
			require.Failf(t, "mismatch", "%s: element %d: want %v, got %v", msg, i, want[i], got[i])
		}
	}
}

// refArith is op by another route than the kernels': integers in 64-bit
// arithmetic truncated to T's width (two's complement wraps the same way),
// floats in float64 rounded to T (exact for float32, whose sums, products
// and quotients float64 holds closely enough that the second rounding
// gives the same float32), minimum and maximum by explicit comparisons.
func refArith[T stack.Number](op ArithOp, x, y T) T {
	if op == OpMin || op == OpMax {
		switch {
		case x != x:
			return x
		case y != y:
			return y
		case x == y && x == 0 && isFloat[T]():
			// max(−0, +0) is +0 and min(−0, +0) is −0.
			nx, ny := math.Signbit(float64(x)), math.Signbit(float64(y))
			if op == OpMax && nx && ny || op == OpMin && (nx || ny) {
				return T(math.Copysign(0, -1))
			}
			return 0
		case (op == OpMax) == (y > x):
			return y
		}
		return x
	}
	if isFloat[T]() {
		a, b := float64(x), float64(y)
		return T([...]float64{OpAdd: a + b, OpSub: a - b, OpMul: a * b, OpDiv: a / b}[op])
	}
	if op == OpDiv {
		switch {
		case y == 0:
			return 0
		case signed[T]():
			return T(int64(x) / int64(y))
		}
		return T(uint64(x) / uint64(y))
	}
	a, b := uint64(x), uint64(y)
	return T([...]uint64{OpAdd: a + b, OpSub: a - b, OpMul: a * b}[op])
}

var arithOps = []ArithOp{OpAdd, OpSub, OpMul, OpDiv, OpMin, OpMax}

// guarded returns a slice of n elements inside guard bands of g on both
// sides, at offset off from the buffer's alignment, and a check that the
// bands are intact.
func guarded[T stack.Number](n, off int, g T) ([]T, func(t *testing.T, msg string)) {
	const guard = 16
	buf := make([]T, off+n+2*guard)
	for i := range buf {
		buf[i] = g
	}
	s := buf[guard+off : guard+off+n]
	return s, func(t *testing.T, msg string) {
		t.Helper()
		for i, v := range buf {
			if (i < guard+off || i >= guard+off+n) && !sameNumber(v, g) {
				require.Failf(t, "guard overwritten", "%s: buffer element %d is %v", msg, i, v)
			}
		}
	}
}

// checkArith holds Arith, ArithScalar and ScalarArith to refArith for every
// operation and length in extremaLengths, at unaligned starts, with dst
// apart from the operands or the same slice as one or both of them.
func checkArith[T stack.Number](t *testing.T) {
	t.Helper()
	r := rand.New(rand.NewPCG(5, 6))
	g := T(0x5a)
	if isFloat[T]() {
		g = T(math.NaN())
	}
	for _, n := range extremaLengths {
		for _, off := range []int{0, 1, 3} {
			for _, op := range arithOps {
				x, y := drawNumbers[T](r, n), drawNumbers[T](r, n)
				want := make([]T, n)
				for i := range want {
					want[i] = refArith(op, x[i], y[i])
				}
				for _, alias := range []string{"apart", "dst=x", "dst=y", "dst=x=y"} {
					dst, intact := guarded(n, off, g)
					a, b := dst, dst
					wantHere := want
					switch alias {
					case "apart":
						a, b = x, y
					case "dst=x":
						copy(dst, x)
						b = y
					case "dst=y":
						copy(dst, y)
						a = x
					case "dst=x=y":
						copy(dst, x)
						wantHere = make([]T, n)
						for i := range wantHere {
							wantHere[i] = refArith(op, x[i], x[i])
						}
					}
					require.NoError(t, Arith(op, dst, a, b))
					requireSameNumbers(t, wantHere, dst, "n=%d off=%d op=%v %s", n, off, op, alias)
					intact(t, op.String()+" "+alias)
				}
				if n == 0 {
					continue
				}
				s := y[0]
				dst, intact := guarded(n, off, g)
				require.NoError(t, ArithScalar(op, dst, x, s))
				for i := range want {
					want[i] = refArith(op, x[i], s)
				}
				requireSameNumbers(t, want, dst, "ArithScalar n=%d op=%v s=%v", n, op, s)
				intact(t, "ArithScalar")
				require.NoError(t, ScalarArith(op, dst, s, x))
				for i := range want {
					want[i] = refArith(op, s, x[i])
				}
				requireSameNumbers(t, want, dst, "ScalarArith n=%d op=%v s=%v", n, op, s)
				intact(t, "ScalarArith")
			}
		}
	}
}

func TestArith(t *testing.T) {
	t.Parallel()
	t.Run("uint32", checkArith[uint32])
	t.Run("uint64", checkArith[uint64])
	t.Run("int16", checkArith[int16])
	t.Run("int32", checkArith[int32])
	t.Run("int64", checkArith[int64])
	t.Run("float32", checkArith[float32])
	t.Run("float64", checkArith[float64])
}

// TestArithEveryPath runs the types whose minimum and maximum have vector
// loops on every SIMD path.
func TestArithEveryPath(t *testing.T) {
	forEachPath(t, func(t *testing.T, _ string) {
		t.Run("uint8", checkArith[uint8])
		t.Run("uint16", checkArith[uint16])
	})
}

// TestArithKnown pins numpy's answers for overflow, division and NaN.
func TestArithKnown(t *testing.T) {
	t.Parallel()
	u8 := make([]uint8, 3)
	require.NoError(t, Arith(OpAdd, u8, []uint8{250, 1, 128}, []uint8{10, 2, 128}))
	require.Equal(t, []uint8{4, 3, 0}, u8)
	require.NoError(t, ScalarArith(OpSub, u8, 1, []uint8{0, 1, 2}))
	require.Equal(t, []uint8{1, 0, 255}, u8)
	i16 := make([]int16, 4)
	require.NoError(t, Arith(OpDiv, i16, []int16{7, -7, math.MinInt16, 5}, []int16{2, 2, -1, 0}))
	require.Equal(t, []int16{3, -3, math.MinInt16, 0}, i16)
	require.NoError(t, ArithScalar(OpDiv, i16, []int16{1, 2, 3, 4}, 0))
	require.Equal(t, []int16{0, 0, 0, 0}, i16)
	f := make([]float32, 4)
	nan := float32(math.NaN())
	require.NoError(t, Arith(OpMax, f, []float32{1, nan, 3, -1}, []float32{nan, 2, 2, 0}))
	require.True(t, f[0] != f[0] && f[1] != f[1])
	require.Equal(t, []float32{3, 0}, f[2:])
	require.NoError(t, Arith(OpDiv, f, []float32{1, -1, 0, 1}, []float32{0, 0, 0, 4}))
	require.Equal(t, float32(math.Inf(1)), f[0])
	require.Equal(t, float32(math.Inf(-1)), f[1])
	require.True(t, f[2] != f[2])
	require.Equal(t, float32(0.25), f[3])
}

// TestArithShortOperand checks that only the common prefix is written.
func TestArithShortOperand(t *testing.T) {
	t.Parallel()
	dst := []int32{9, 9, 9, 9}
	require.NoError(t, Arith(OpAdd, dst, []int32{1, 2, 3}, []int32{10, 20, 30, 40, 50}))
	require.Equal(t, []int32{11, 22, 33, 9}, dst)
	require.NoError(t, ArithScalar(OpMul, dst, []int32{2}, 5))
	require.Equal(t, []int32{10, 22, 33, 9}, dst)
	u8 := []uint8{9, 9, 9}
	require.NoError(t, Compare(CmpEq, u8, []float64{1}, []float64{1, 2}))
	require.Equal(t, []uint8{1, 9, 9}, u8)
	Convert(u8, []float32{7, 8})
	require.Equal(t, []uint8{7, 8, 9}, u8)
}

func TestElementwiseUnknownOp(t *testing.T) {
	t.Parallel()
	x := []float32{1, 2}
	for _, err := range []error{
		Arith(ArithOp(99), x, x, x),
		ArithScalar(ArithOp(-1), x, x, 1),
		ScalarArith(ArithOp(6), x, 1, x),
		Compare(CmpOp(6), []uint8{0, 0}, x, x),
		CompareScalar(CmpOp(-1), []uint8{0, 0}, x, 1),
	} {
		require.True(t, errors.Is(err, ErrInvalid), "%v", err)
	}
	require.Equal(t, []float32{1, 2}, x)
	require.Equal(t, "div", OpDiv.String())
	require.Equal(t, "ArithOp(7)", ArithOp(7).String())
	require.Equal(t, "ge", CmpGe.String())
	require.Equal(t, "CmpOp(-2)", CmpOp(-2).String())
}

var cmpOps = []CmpOp{CmpLt, CmpLe, CmpGt, CmpGe, CmpEq, CmpNe}

// refCompare compares in 64-bit integers of T's signedness, or in float64.
func refCompare[T stack.Number](op CmpOp, x, y T) bool {
	var lt, eq bool
	switch {
	case isFloat[T]():
		a, b := float64(x), float64(y)
		if a != a || b != b {
			return op == CmpNe
		}
		lt, eq = a < b, a == b
	case signed[T]():
		lt, eq = int64(x) < int64(y), int64(x) == int64(y)
	default:
		lt, eq = uint64(x) < uint64(y), uint64(x) == uint64(y)
	}
	return [...]bool{CmpLt: lt, CmpLe: lt || eq, CmpGt: !lt && !eq, CmpGe: !lt, CmpEq: eq, CmpNe: !eq}[op]
}

func checkCompare[T stack.Number](t *testing.T) {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range extremaLengths {
		for _, off := range []int{0, 1, 3} {
			x, y := drawNumbers[T](r, n), drawNumbers[T](r, n)
			// Equal pairs, which random bits seldom give.
			for i := 0; i < n; i += 3 {
				y[i] = x[i]
			}
			for _, op := range cmpOps {
				want := make([]uint8, n)
				for i := range want {
					if refCompare(op, x[i], y[i]) {
						want[i] = 1
					}
				}
				dst, intact := guarded[uint8](n, off, 0x5a)
				require.NoError(t, Compare(op, dst, x, y))
				require.Equal(t, want, dst, "n=%d off=%d op=%v", n, off, op)
				intact(t, "Compare")
				for _, s := range []float64{0, 0.25, 0.1, -3, 2.5, 1e20, math.Inf(1), math.Inf(-1), math.NaN()} {
					for i, v := range x {
						want[i] = 0
						if refCompare(op, float64(v), s) {
							want[i] = 1
						}
					}
					require.NoError(t, CompareScalar(op, dst, x, s))
					require.Equal(t, want, dst, "n=%d off=%d op=%v s=%v", n, off, op, s)
					intact(t, "CompareScalar")
				}
			}
		}
	}
}

func TestCompare(t *testing.T) {
	t.Parallel()
	t.Run("uint8", checkCompare[uint8])
	t.Run("uint16", checkCompare[uint16])
	t.Run("uint32", checkCompare[uint32])
	t.Run("uint64", checkCompare[uint64])
	t.Run("int16", checkCompare[int16])
	t.Run("int32", checkCompare[int32])
	t.Run("int64", checkCompare[int64])
	t.Run("float64", checkCompare[float64])
}

// TestCompareEveryPath runs float32, whose CompareScalar has a vector loop
// for CmpGt, on every SIMD path.
func TestCompareEveryPath(t *testing.T) {
	forEachPath(t, func(t *testing.T, _ string) { checkCompare[float32](t) })
}

// TestCompareScalarInFloat64 pins the comparison in float64: 2.5 lies
// between integers, and 0.1 between float32s.
func TestCompareScalarInFloat64(t *testing.T) {
	t.Parallel()
	dst := make([]uint8, 3)
	require.NoError(t, CompareScalar(CmpGt, dst, []uint16{2, 3, 0}, 2.5))
	require.Equal(t, []uint8{0, 1, 0}, dst)
	// float32(0.1) is above 0.1, so it is greater than 0.1 in float64 but
	// not greater than float32(0.1).
	require.NoError(t, CompareScalar(CmpGt, dst, []float32{0.1, 0.09, 0.2}, 0.1))
	require.Equal(t, []uint8{1, 0, 1}, dst)
	require.NoError(t, CompareScalar(CmpEq, dst, []float32{0.1, 0.25, 0}, 0.25))
	require.Equal(t, []uint8{0, 1, 0}, dst)
}

// checkConvert holds Convert to a Go conversion element by element, at
// unaligned starts with guard bands. Floats into integers stay within the
// integer's range, where the conversion is defined.
func checkConvert[D, S stack.Number](t *testing.T) {
	t.Helper()
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range extremaLengths {
		for _, off := range []int{0, 1, 3} {
			src := drawNumbers[S](r, n)
			if isFloat[S]() && !isFloat[D]() {
				for i := range src {
					if signed[D]() {
						src[i] = S(r.Float64()*240 - 120)
					} else {
						src[i] = S(r.Float64() * 250)
					}
				}
			}
			want := make([]D, n)
			for i, v := range src {
				want[i] = D(v)
			}
			g := D(0x5a)
			if isFloat[D]() {
				g = D(math.NaN())
			}
			dst, intact := guarded(n, off, g)
			Convert(dst, src)
			requireSameNumbers(t, want, dst, "n=%d off=%d", n, off)
			intact(t, "Convert")
		}
	}
}

func checkConvertFrom[S stack.Number](t *testing.T) {
	t.Run("uint8", checkConvert[uint8, S])
	t.Run("uint16", checkConvert[uint16, S])
	t.Run("uint32", checkConvert[uint32, S])
	t.Run("uint64", checkConvert[uint64, S])
	t.Run("int16", checkConvert[int16, S])
	t.Run("int32", checkConvert[int32, S])
	t.Run("int64", checkConvert[int64, S])
	t.Run("float32", checkConvert[float32, S])
	t.Run("float64", checkConvert[float64, S])
}

func TestConvert(t *testing.T) {
	t.Parallel()
	t.Run("uint32", checkConvertFrom[uint32])
	t.Run("uint64", checkConvertFrom[uint64])
	t.Run("int16", checkConvertFrom[int16])
	t.Run("int32", checkConvertFrom[int32])
	t.Run("int64", checkConvertFrom[int64])
	t.Run("float32", checkConvertFrom[float32])
	t.Run("float64", checkConvertFrom[float64])
}

// TestConvertEveryPath runs the sources whose conversion to float32 has a
// vector loop on every SIMD path.
func TestConvertEveryPath(t *testing.T) {
	forEachPath(t, func(t *testing.T, _ string) {
		t.Run("uint8", checkConvertFrom[uint8])
		t.Run("uint16", checkConvertFrom[uint16])
	})
}

// TestConvertKnown pins astype's answers: wrapping, truncation toward zero
// and rounding to float32.
func TestConvertKnown(t *testing.T) {
	t.Parallel()
	u16 := make([]uint16, 3)
	Convert(u16, []int32{70000, -1, 65535})
	require.Equal(t, []uint16{4464, 65535, 65535}, u16)
	i16 := make([]int16, 4)
	Convert(i16, []float64{2.7, -2.7, 0.5, -32768.9})
	require.Equal(t, []int16{2, -2, 0, -32768}, i16)
	f := make([]float32, 3)
	Convert(f, []float64{1 + 1.0/(1<<30), 16777217, 0.1})
	require.Equal(t, []float32{1, 16777216, 0.1}, f)
	Convert(f, []uint64{math.MaxUint64, 3, 0})
	require.Equal(t, []float32{18446744073709551616, 3, 0}, f)
}

func BenchmarkArith(b *testing.B) {
	const n = 1 << 20
	x, y, dst := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range x {
		x[i], y[i] = float32(i%1000)/7, float32(i%997)/3+1
	}
	for _, op := range arithOps {
		b.Run(op.String()+"/float32", func(b *testing.B) {
			b.SetBytes(3 * 4 * n)
			for b.Loop() {
				_ = Arith(op, dst, x, y)
			}
		})
	}
	u := make([]uint8, n)
	b.Run("gt/float32", func(b *testing.B) {
		b.SetBytes(5 * n)
		for b.Loop() {
			_ = CompareScalar(CmpGt, u, x, 0.5)
		}
	})
}
