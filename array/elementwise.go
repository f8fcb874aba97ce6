package array

import (
	"context"
	"fmt"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// Layer names of the element-wise operations, as dask names them.
var (
	arithNames = [...]string{kernels.OpAdd: "add", kernels.OpSub: "sub", kernels.OpMul: "mul", kernels.OpDiv: "truediv", kernels.OpMin: "minimum", kernels.OpMax: "maximum"}
	cmpNames   = [...]string{kernels.CmpLt: "less", kernels.CmpLe: "less_equal", kernels.CmpGt: "greater", kernels.CmpGe: "greater_equal", kernels.CmpEq: "equal", kernels.CmpNe: "not_equal"}
)

// scalarOf reads a Go number as float64.
func scalarOf(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float32:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// operand checks the right-hand side of an element-wise operation: an
// *Array of a's shape, or a Go number.
func (a *Array) operand(v any) (*Array, float64, error) {
	if b, ok := v.(*Array); ok {
		if b == nil {
			return nil, 0, fmt.Errorf("array: nil operand")
		}
		if b.err != nil {
			return nil, 0, b.err
		}
		if b.rank != a.rank || b.shape != a.shape {
			return nil, 0, fmt.Errorf("%w: operands of shapes %s and %s", ErrShape, tuple(a.Shape()), tuple(b.Shape()))
		}
		return b, 0, nil
	}
	s, ok := scalarOf(v)
	if !ok {
		return nil, 0, fmt.Errorf("array: operand of type %T is neither an *Array nor a number", v)
	}
	return nil, s, nil
}

// zip makes an array whose chunk i is f of a's and b's chunk i, aligning the
// two chunkings first when they differ.
func zip(name string, dt stack.DType, a, b *Array, f func(x, y buf) buf) *Array {
	if !a.chunks.equal(b.chunks) {
		var c chunks
		for ax := range 3 {
			c[ax] = refine(a.chunks[ax], b.chunks[ax])
		}
		a, b = a.rechunkTo(c), b.rechunkTo(c)
	}
	out := a.like(name, dt)
	layer := newLayer(name)
	for i := range out.blocks {
		out.blocks[i] = binary(layer, a.blocks[i], b.blocks[i], func(_ context.Context, v []any) (any, error) {
			return f(v[0].(buf), v[1].(buf)), nil
		})
	}
	return out
}

func (a *Array) arith(op kernels.ArithOp, v any, left bool) *Array {
	if a.err != nil {
		return a
	}
	b, s, err := a.operand(v)
	if err != nil {
		return errArray(err)
	}
	if b != nil {
		dt := ResultType(a.dt, b.dt)
		if op == kernels.OpDiv {
			dt = divType(dt)
		}
		x, y := a, b
		if left {
			x, y = b, a
		}
		return zip(arithNames[op], dt, x, y, func(p, q buf) buf {
			return p.convert(dt).binary(op, q.convert(dt))
		})
	}
	dt := scalarResult(a.dt, s)
	if op == kernels.OpDiv {
		dt = divType(dt)
	}
	return a.mapChunks(arithNames[op], dt, func(p buf) buf { return p.convert(dt).scalar(op, s, left) })
}

// Add returns a + v, where v is an *Array of a's shape or a number.
func (a *Array) Add(v any) *Array { return a.arith(kernels.OpAdd, v, false) }

// Sub returns a − v.
func (a *Array) Sub(v any) *Array { return a.arith(kernels.OpSub, v, false) }

// RSub returns v − a.
func (a *Array) RSub(v any) *Array { return a.arith(kernels.OpSub, v, true) }

// Mul returns a × v.
func (a *Array) Mul(v any) *Array { return a.arith(kernels.OpMul, v, false) }

// Div returns a ÷ v (true division: integers give float64).
func (a *Array) Div(v any) *Array { return a.arith(kernels.OpDiv, v, false) }

// RDiv returns v ÷ a.
func (a *Array) RDiv(v any) *Array { return a.arith(kernels.OpDiv, v, true) }

// Minimum is the element-wise minimum of a and v (numpy's minimum).
func (a *Array) Minimum(v any) *Array { return a.arith(kernels.OpMin, v, false) }

// Maximum is the element-wise maximum of a and v (numpy's maximum).
func (a *Array) Maximum(v any) *Array { return a.arith(kernels.OpMax, v, false) }

func (a *Array) cmp(op kernels.CmpOp, v any) *Array {
	if a.err != nil {
		return a
	}
	b, s, err := a.operand(v)
	if err != nil {
		return errArray(err)
	}
	if b != nil {
		dt := ResultType(a.dt, b.dt)
		return zip(cmpNames[op], stack.Uint8, a, b, func(p, q buf) buf {
			return p.convert(dt).compare(op, q.convert(dt))
		})
	}
	return a.mapChunks(cmpNames[op], stack.Uint8, func(p buf) buf { return p.compareScalar(op, s) })
}

// Lt is 1 where a < v and 0 elsewhere, as uint8.
func (a *Array) Lt(v any) *Array { return a.cmp(kernels.CmpLt, v) }

// Le is 1 where a ≤ v.
func (a *Array) Le(v any) *Array { return a.cmp(kernels.CmpLe, v) }

// Gt is 1 where a > v.
func (a *Array) Gt(v any) *Array { return a.cmp(kernels.CmpGt, v) }

// Ge is 1 where a ≥ v.
func (a *Array) Ge(v any) *Array { return a.cmp(kernels.CmpGe, v) }

// Eq is 1 where a = v.
func (a *Array) Eq(v any) *Array { return a.cmp(kernels.CmpEq, v) }

// Ne is 1 where a ≠ v.
func (a *Array) Ne(v any) *Array { return a.cmp(kernels.CmpNe, v) }

// Astype converts every element to dtype as numpy's astype does.
func (a *Array) Astype(dtype stack.DType) *Array {
	if a.err != nil {
		return a
	}
	if !validDType(dtype) {
		return errArray(fmt.Errorf("array: invalid dtype %v", dtype))
	}
	if dtype == a.dt {
		return a
	}
	return a.mapChunks("astype", dtype, func(p buf) buf { return p.convert(dtype) })
}
