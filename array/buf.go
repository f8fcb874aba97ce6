package array

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// Arrays hold the Go element types of stack.Number: those of stack.Elem
// and the 64-bit integers and float64. FromSlice and Data take them; a
// named type (type gray uint16) is refused with an error, since each
// element type has exactly one buffer type, vec[T] of the plain type.

// buf is one chunk's elements, stored row-major with a 3-D shape kept beside
// it. All element-type dispatch goes through this interface so that each
// kernel is written once, generically, in vec[T].
type buf interface {
	dtype() stack.DType
	length() int
	raw() any
	convert(to stack.DType) buf
	binary(op binOp, other buf) buf
	accumulate(op binOp, other buf) // in place
	scalar(op binOp, s float64, left bool) buf
	compare(op cmpOp, other buf) buf
	compareScalar(op cmpOp, s float64, left bool) buf
	// copyTo copies count elements per axis, read from this buffer (of shape
	// shape) starting at start and stepping by step, into dst (of shape
	// dshape, same element type) starting at off.
	copyTo(dst buf, dshape, off, shape, start, step, count [3]int)
	fill(v float64, dshape, off, count [3]int)
	transpose(shape [3]int, perm [3]int) buf
	// reduce summarises the chunk; owned says that the caller holds the
	// only reference to it, which the summary may then keep or recycle.
	reduce(kind Reduction, shape [3]int, axes [3]bool, owned bool) *partial
	at(i int) float64
	ptr() unsafe.Pointer
	// recycle hands the buffer to its element type's pool (see putBuf).
	recycle()
}

type vec[T stack.Number] []T

func newBuf(d stack.DType, n int) buf {
	switch d {
	case stack.Uint8:
		return make(vec[uint8], n)
	case stack.Uint16:
		return make(vec[uint16], n)
	case stack.Uint32:
		return make(vec[uint32], n)
	case stack.Uint64:
		return make(vec[uint64], n)
	case stack.Int16:
		return make(vec[int16], n)
	case stack.Int32:
		return make(vec[int32], n)
	case stack.Int64:
		return make(vec[int64], n)
	case stack.Float32:
		return make(vec[float32], n)
	case stack.Float64:
		return make(vec[float64], n)
	}
	panic(fmt.Sprintf("array: internal error: no buffer for dtype %v", d))
}

func dtypeOfT[T stack.Number]() stack.DType {
	var z T
	switch any(z).(type) {
	case uint8:
		return stack.Uint8
	case uint16:
		return stack.Uint16
	case uint32:
		return stack.Uint32
	case uint64:
		return stack.Uint64
	case int16:
		return stack.Int16
	case int32:
		return stack.Int32
	case int64:
		return stack.Int64
	case float32:
		return stack.Float32
	case float64:
		return stack.Float64
	}
	return stack.Invalid
}

func (v vec[T]) dtype() stack.DType { return dtypeOfT[T]() }
func (v vec[T]) length() int        { return len(v) }
func (v vec[T]) raw() any           { return []T(v) }
func (v vec[T]) at(i int) float64   { return float64(v[i]) }

func convertVec[D, S stack.Number](src vec[S]) vec[D] {
	out := make(vec[D], len(src))
	for i, x := range src {
		out[i] = D(x)
	}
	return out
}

func (v vec[T]) convert(to stack.DType) buf {
	if to == v.dtype() {
		return v
	}
	switch to {
	case stack.Uint8:
		return convertVec[uint8](v)
	case stack.Uint16:
		return convertVec[uint16](v)
	case stack.Uint32:
		return convertVec[uint32](v)
	case stack.Uint64:
		return convertVec[uint64](v)
	case stack.Int16:
		return convertVec[int16](v)
	case stack.Int32:
		return convertVec[int32](v)
	case stack.Int64:
		return convertVec[int64](v)
	case stack.Float32:
		return convertVec[float32](v)
	case stack.Float64:
		return convertVec[float64](v)
	}
	panic(fmt.Sprintf("array: internal error: convert to %v", to))
}

// binOp is an element-wise arithmetic operation.
type binOp int

const (
	opAdd binOp = iota
	opSub
	opMul
	opDiv
	opMin
	opMax
)

var binOpNames = [...]string{"add", "sub", "mul", "truediv", "minimum", "maximum"}

func (op binOp) String() string { return binOpNames[op] }

func apply[T stack.Number](op binOp, a, b T) T {
	switch op {
	case opAdd:
		return a + b
	case opSub:
		return a - b
	case opMul:
		return a * b
	case opDiv:
		return a / b
	case opMin:
		return min(a, b)
	}
	return max(a, b)
}

func (v vec[T]) binary(op binOp, other buf) buf {
	w := other.(vec[T])
	out := make(vec[T], len(v))
	// One loop per operation so that the compiler sees a simple body.
	switch op {
	case opAdd:
		for i := range out {
			out[i] = v[i] + w[i]
		}
	case opSub:
		for i := range out {
			out[i] = v[i] - w[i]
		}
	case opMul:
		for i := range out {
			out[i] = v[i] * w[i]
		}
	default:
		for i := range out {
			out[i] = apply(op, v[i], w[i])
		}
	}
	return out
}

func (v vec[T]) accumulate(op binOp, other buf) {
	w := other.(vec[T])
	w = w[:len(v)]
	switch op {
	case opMin:
		kernels.MinInto(v, w)
	case opMax:
		kernels.MaxInto(v, w)
	default:
		for i := range v {
			v[i] = apply(op, v[i], w[i])
		}
	}
}

func (v vec[T]) scalar(op binOp, s float64, left bool) buf {
	c := T(s)
	out := make(vec[T], len(v))
	if left {
		for i := range out {
			out[i] = apply(op, c, v[i])
		}
	} else {
		for i := range out {
			out[i] = apply(op, v[i], c)
		}
	}
	return out
}

// cmpOp is an element-wise comparison.
type cmpOp int

const (
	opLt cmpOp = iota
	opLe
	opGt
	opGe
	opEq
	opNe
)

var cmpOpNames = [...]string{"less", "less_equal", "greater", "greater_equal", "equal", "not_equal"}

func (op cmpOp) String() string { return cmpOpNames[op] }

func test[T stack.Number](op cmpOp, a, b T) uint8 {
	var r bool
	switch op {
	case opLt:
		r = a < b
	case opLe:
		r = a <= b
	case opGt:
		r = a > b
	case opGe:
		r = a >= b
	case opEq:
		r = a == b
	default:
		r = a != b
	}
	if r {
		return 1
	}
	return 0
}

func (v vec[T]) compare(op cmpOp, other buf) buf {
	w := other.(vec[T])
	out := make(vec[uint8], len(v))
	for i := range out {
		out[i] = test(op, v[i], w[i])
	}
	return out
}

func (v vec[T]) compareScalar(op cmpOp, s float64, left bool) buf {
	out := make(vec[uint8], len(v))
	// Comparing in float64 keeps 2.5 > 2 true for an integer array.
	if left {
		for i := range out {
			out[i] = test(op, s, float64(v[i]))
		}
	} else {
		for i := range out {
			out[i] = test(op, float64(v[i]), s)
		}
	}
	return out
}

func (v vec[T]) copyTo(dst buf, dshape, off, shape, start, step, count [3]int) {
	d := dst.(vec[T])
	if count[0] <= 0 || count[1] <= 0 || count[2] <= 0 {
		return
	}
	for i := range count[0] {
		sz := start[0] + i*step[0]
		dz := off[0] + i
		for j := range count[1] {
			sy := start[1] + j*step[1]
			dy := off[1] + j
			srow := (sz*shape[1] + sy) * shape[2]
			drow := (dz*dshape[1]+dy)*dshape[2] + off[2]
			if step[2] == 1 {
				copy(d[drow:drow+count[2]], v[srow+start[2]:srow+start[2]+count[2]])
				continue
			}
			sx := srow + start[2]
			for k := range count[2] {
				d[drow+k] = v[sx+k*step[2]]
			}
		}
	}
}

func (v vec[T]) fill(val float64, dshape, off, count [3]int) {
	c := T(val)
	for i := range count[0] {
		for j := range count[1] {
			row := ((off[0]+i)*dshape[1]+off[1]+j)*dshape[2] + off[2]
			for k := range count[2] {
				v[row+k] = c
			}
		}
	}
}

func (v vec[T]) transpose(shape [3]int, perm [3]int) buf {
	out := make(vec[T], len(v))
	var oshape [3]int
	for a := range 3 {
		oshape[a] = shape[perm[a]]
	}
	strides := [3]int{shape[1] * shape[2], shape[2], 1}
	// Walking the output in order, the input moves by these strides.
	s0, s1, s2 := strides[perm[0]], strides[perm[1]], strides[perm[2]]
	o := 0
	for i := range oshape[0] {
		for j := range oshape[1] {
			base := i*s0 + j*s1
			for k := range oshape[2] {
				out[o] = v[base+k*s2]
				o++
			}
		}
	}
	return out
}

// partial is a reduction's summary of one chunk (or of several combined):
// one entry per element of the chunk with the reduced axes collapsed.
type partial struct {
	shape [3]int
	n     float64 // elements folded into each entry
	i64   []int64
	u64   []uint64
	f64   []float64 // sums, or means for std
	m2    []float64 // sums of squared deviations, for std
	ext   buf       // minima or maxima
	// shared says that ext is the input chunk itself (a chunk one element
	// deep along every reduced axis) and others may see it, so it must be
	// copied before it is folded into.
	shared bool
	// pooled says that ext belongs to this summary alone: once folded into
	// another summary it goes back to the buffer pool.
	pooled bool
}

// release recycles p's buffer after p has been folded into another
// summary; p must not be used afterwards.
func (p *partial) release() {
	if p.pooled && !p.shared {
		putBuf(p.ext)
	}
	p.ext, p.pooled = nil, false
}

// Reduction names a reduction: ReduceSum, ReduceMean, ReduceMin, ReduceMax or
// ReduceStd.
type Reduction int

const (
	ReduceSum Reduction = iota
	ReduceMean
	ReduceMin
	ReduceMax
	ReduceStd
)

var redNames = [...]string{"sum", "mean", "min", "max", "std"}

func (k Reduction) String() string {
	if k < 0 || int(k) >= len(redNames) {
		return fmt.Sprintf("Reduction(%d)", int(k))
	}
	return redNames[k]
}

func (v vec[T]) reduce(kind Reduction, shape [3]int, axes [3]bool, owned bool) *partial {
	var ps [3]int
	for a := range 3 {
		ps[a] = shape[a]
		if axes[a] {
			ps[a] = 1
		}
	}
	p := &partial{shape: ps, n: 1}
	for a := range 3 {
		if axes[a] {
			p.n *= float64(shape[a])
		}
	}
	m := ps[0] * ps[1] * ps[2]
	ostr := [3]int{ps[1] * ps[2], ps[2], 1}
	for a := range 3 {
		if axes[a] {
			ostr[a] = 0
		}
	}
	// rows calls f once per input row with the output offset of its first
	// element, and whether that row is the first to fold into its outputs
	// (in raster order, the one whose reduced coordinates are 0). The X
	// axis is either kept (row k folds into output o+k) or reduced (the
	// whole row folds into output o); the loops below handle both.
	X := shape[2]
	keepX := !axes[2]
	rows := func(f func(o int, row []T, first bool)) {
		i := 0
		for z := range shape[0] {
			fz := !axes[0] || z == 0
			for y := range shape[1] {
				f(z*ostr[0]+y*ostr[1], v[i:i+X], fz && (!axes[1] || y == 0))
				i += X
			}
		}
	}
	dt := v.dtype()
	switch kind {
	case ReduceSum, ReduceMean:
		switch {
		case kind == ReduceMean || dt.IsFloat():
			p.f64 = make([]float64, m)
			rows(func(o int, row []T, _ bool) {
				if keepX {
					out := p.f64[o : o+len(row)]
					for k, x := range row {
						out[k] += float64(x)
					}
					return
				}
				var s float64
				for _, x := range row {
					s += float64(x)
				}
				p.f64[o] += s
			})
		case dt.IsSigned():
			p.i64 = make([]int64, m)
			rows(func(o int, row []T, _ bool) {
				if keepX {
					out := p.i64[o : o+len(row)]
					for k, x := range row {
						out[k] += int64(x)
					}
					return
				}
				var s int64
				for _, x := range row {
					s += int64(x)
				}
				p.i64[o] += s
			})
		default:
			p.u64 = make([]uint64, m)
			rows(func(o int, row []T, _ bool) {
				if keepX {
					out := p.u64[o : o+len(row)]
					for k, x := range row {
						out[k] += uint64(x)
					}
					return
				}
				var s uint64
				for _, x := range row {
					s += uint64(x)
				}
				p.u64[o] += s
			})
		}
	case ReduceStd:
		p.f64 = make([]float64, m)
		p.m2 = make([]float64, m)
		rows(func(o int, row []T, _ bool) {
			for k, x := range row {
				if keepX {
					p.f64[o+k] += float64(x)
				} else {
					p.f64[o] += float64(x)
				}
			}
		})
		for o := range p.f64 {
			p.f64[o] /= p.n
		}
		rows(func(o int, row []T, _ bool) {
			for k, x := range row {
				j := o
				if keepX {
					j += k
				}
				d := float64(x) - p.f64[j]
				p.m2[j] += d * d
			}
		})
	case ReduceMin, ReduceMax:
		if m == len(v) {
			p.ext, p.shared, p.pooled = v, !owned, owned
			return p
		}
		// Every output element is written by its first row before any
		// other folds into it, so the pooled buffer needs no clearing.
		e := getBuf(dt, m).(vec[T])
		isMin := kind == ReduceMin
		rows(func(o int, row []T, first bool) {
			if keepX {
				out := e[o : o+len(row)]
				switch {
				case first:
					copy(out, row)
				case isMin:
					kernels.MinInto(out, row)
				default:
					kernels.MaxInto(out, row)
				}
				return
			}
			acc := row[0]
			if !first {
				acc = e[o]
			}
			if isMin {
				for _, x := range row {
					acc = min(acc, x)
				}
			} else {
				for _, x := range row {
					acc = max(acc, x)
				}
			}
			e[o] = acc
		})
		p.ext, p.pooled = e, true
	}
	if owned {
		putBuf(v)
	}
	return p
}

// combine folds q into p (both of the same shape and kind).
func (p *partial) combine(kind Reduction, q *partial) {
	switch kind {
	case ReduceSum, ReduceMean:
		for i := range p.f64 {
			p.f64[i] += q.f64[i]
		}
		for i := range p.i64 {
			p.i64[i] += q.i64[i]
		}
		for i := range p.u64 {
			p.u64[i] += q.u64[i]
		}
	case ReduceStd:
		// Chan et al.'s pairwise update of count, mean and M2.
		na, nb := p.n, q.n
		n := na + nb
		for i := range p.f64 {
			d := q.f64[i] - p.f64[i]
			p.f64[i] += d * nb / n
			p.m2[i] += q.m2[i] + d*d*na*nb/n
		}
	case ReduceMin, ReduceMax:
		if p.shared {
			if !q.shared {
				// Fold p into q's buffer instead of copying p's: the
				// extremes do not depend on the order.
				p.ext, q.ext = q.ext, p.ext
				p.pooled, q.pooled = q.pooled, false
				p.shared, q.shared = false, true
			} else {
				c := getBuf(p.ext.dtype(), p.ext.length())
				s := [3]int{1, 1, c.length()}
				p.ext.copyTo(c, s, [3]int{}, s, [3]int{}, [3]int{1, 1, 1}, s)
				p.ext, p.shared, p.pooled = c, false, true
			}
		}
		op := opMax
		if kind == ReduceMin {
			op = opMin
		}
		p.ext.accumulate(op, q.ext)
	}
	p.n += q.n
}

// finish turns p into the reduction's result for input type in.
func (p *partial) finish(kind Reduction, in stack.DType, ddof float64) buf {
	switch kind {
	case ReduceSum:
		switch {
		case p.i64 != nil:
			return vec[int64](p.i64)
		case p.u64 != nil:
			return vec[uint64](p.u64)
		}
		return vec[float64](p.f64).convert(sumType(in))
	case ReduceMean:
		out := make(vec[float64], len(p.f64))
		for i, s := range p.f64 {
			out[i] = s / p.n
		}
		return out.convert(meanType(in))
	case ReduceStd:
		out := make(vec[float64], len(p.m2))
		for i, s := range p.m2 {
			out[i] = math.Sqrt(s / (p.n - ddof))
		}
		return out.convert(meanType(in))
	}
	return p.ext
}

func cloneBuf(b buf) buf {
	n := b.length()
	out := newBuf(b.dtype(), n)
	s := [3]int{1, 1, n}
	b.copyTo(out, s, [3]int{}, s, [3]int{}, [3]int{1, 1, 1}, s)
	return out
}

// bytesOf views a buffer's elements as native-endian bytes, sharing them.
func bytesOf(b buf) []byte {
	n := b.length() * b.dtype().Size()
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(b.ptr()), n)
}

func (v vec[T]) ptr() unsafe.Pointer { return unsafe.Pointer(&v[0]) }
