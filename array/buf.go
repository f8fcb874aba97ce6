package array

import (
	"fmt"
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
// operation is written once, generically, in vec[T]; the numeric work is
// kernels', and vec[T] keeps the layout (copies, fills, transposes).
type buf interface {
	dtype() stack.DType
	length() int
	raw() any
	convert(to stack.DType) buf
	binary(op kernels.ArithOp, other buf) buf
	accumulate(op kernels.ArithOp, other buf) // in place
	scalar(op kernels.ArithOp, s float64, left bool) buf
	compare(op kernels.CmpOp, other buf) buf
	compareScalar(op kernels.CmpOp, s float64) buf
	// copyTo copies count elements per axis, read from this buffer (of shape
	// shape) starting at start and stepping by step, into dst (of shape
	// dshape, same element type) starting at off.
	copyTo(dst buf, dshape, off, shape, start, step, count [3]int)
	fill(v float64, dshape, off, count [3]int)
	transpose(shape [3]int, perm [3]int) buf
	// reduce summarises the chunk; owned says that the caller holds the
	// only reference to it, which the summary may then keep or recycle.
	reduce(kind Reduction, shape [3]int, axes [3]bool, owned bool) (*partial, error)
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

// must panics on an error that only a bug in this package can cause: an
// operation or layout that array chose itself and kernels refused.
func must(err error) {
	if err != nil {
		panic(fmt.Sprintf("array: internal error: %v", err))
	}
}

func convertVec[D, S stack.Number](src vec[S]) vec[D] {
	out := make(vec[D], len(src))
	kernels.Convert([]D(out), []S(src))
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

func (v vec[T]) binary(op kernels.ArithOp, other buf) buf {
	out := make(vec[T], len(v))
	must(kernels.Arith(op, out, v, other.(vec[T])))
	return out
}

func (v vec[T]) accumulate(op kernels.ArithOp, other buf) {
	must(kernels.Arith(op, v, v, other.(vec[T])))
}

// scalar applies op to every element and s converted to T, s on the left
// when left is set.
func (v vec[T]) scalar(op kernels.ArithOp, s float64, left bool) buf {
	c := T(s)
	out := make(vec[T], len(v))
	if left {
		must(kernels.ScalarArith(op, out, c, v))
	} else {
		must(kernels.ArithScalar(op, out, v, c))
	}
	return out
}

func (v vec[T]) compare(op kernels.CmpOp, other buf) buf {
	out := make(vec[uint8], len(v))
	must(kernels.Compare(op, out, v, other.(vec[T])))
	return out
}

// compareScalar compares every element with s in float64, which keeps
// 2.5 > 2 true for an integer array.
func (v vec[T]) compareScalar(op kernels.CmpOp, s float64) buf {
	out := make(vec[uint8], len(v))
	must(kernels.CompareScalar(op, out, v, s))
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

func (v vec[T]) reduce(kind Reduction, shape [3]int, axes [3]bool, owned bool) (*partial, error) {
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
	dt := v.dtype()
	var err error
	switch kind {
	case ReduceSum, ReduceMean:
		switch {
		case kind == ReduceMean || dt.IsFloat():
			p.f64 = make([]float64, m)
			err = kernels.SumAxes(p.f64, []T(v), shape, axes)
		case dt.IsSigned():
			p.i64 = make([]int64, m)
			err = kernels.SumAxes(p.i64, []T(v), shape, axes)
		default:
			p.u64 = make([]uint64, m)
			err = kernels.SumAxes(p.u64, []T(v), shape, axes)
		}
	case ReduceStd:
		p.f64 = make([]float64, m)
		p.m2 = make([]float64, m)
		err = kernels.MomentsAxes(p.f64, p.m2, []T(v), shape, axes)
	case ReduceMin, ReduceMax:
		if m == len(v) {
			p.ext, p.shared, p.pooled = v, !owned, owned
			return p, nil
		}
		// The kernels write every output before they read it, so the
		// pooled buffer needs no clearing.
		e := getBuf(dt, m).(vec[T])
		if kind == ReduceMin {
			err = kernels.MinAxes([]T(e), []T(v), shape, axes)
		} else {
			err = kernels.MaxAxes([]T(e), []T(v), shape, axes)
		}
		p.ext, p.pooled = e, true
	}
	if err != nil {
		return nil, fmt.Errorf("array: %v of a chunk of shape %v: %w", kind, shape, err)
	}
	if owned {
		putBuf(v)
	}
	return p, nil
}

// combine folds q into p (both of the same shape and kind).
func (p *partial) combine(kind Reduction, q *partial) {
	switch kind {
	case ReduceSum, ReduceMean:
		must(kernels.Arith(kernels.OpAdd, p.f64, p.f64, q.f64))
		must(kernels.Arith(kernels.OpAdd, p.i64, p.i64, q.i64))
		must(kernels.Arith(kernels.OpAdd, p.u64, p.u64, q.u64))
	case ReduceStd:
		kernels.MergeMoments(p.f64, p.m2, p.n, q.f64, q.m2, q.n)
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
		op := kernels.OpMax
		if kind == ReduceMin {
			op = kernels.OpMin
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
		must(kernels.ArithScalar(kernels.OpDiv, out, p.f64, p.n))
		return out.convert(meanType(in))
	case ReduceStd:
		out := make(vec[float64], len(p.m2))
		kernels.StdFromM2(out, p.m2, p.n, ddof)
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
