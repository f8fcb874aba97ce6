package kernels

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/segstack/segstack/stack"
)

// EDT is scipy.ndimage.distance_transform_edt(mask, sampling): dst holds,
// for every non-zero voxel of mask, its Euclidean distance to the nearest
// zero voxel, and 0 on zero voxels. sampling is the voxel spacing along
// Z, Y, X; an entry of zero means 1. A volume of one plane is 2-D and
// sampling[0] is then unused.
//
// The transform is separable and exact (the lower envelope of parabolas of
// Felzenszwalb and Huttenlocher, one pass per axis, in Z, Y, X order). The
// squared distance is summed in float64 in scipy's order,
// ((dz·sz)² + (dy·sy)²) + (dx·sx)², so each value is scipy's float64
// distance rounded to float32. As scipy does, a mask without any zero voxel
// measures distances to the voxel just before the first plane (2-D: row).
func EDT(ctx context.Context, dst *stack.Volume[float32], mask *stack.Volume[uint8], sampling [3]float64) error {
	if dst == nil || mask == nil {
		return errors.New("kernels: edt: nil volume")
	}
	s := mask.Shape
	if err := s.Validate(); err != nil {
		return fmt.Errorf("kernels: edt: %w", err)
	}
	if len(mask.Data) != s.Len() {
		return fmt.Errorf("kernels: edt: mask holds %d elements, shape %v needs %d", len(mask.Data), s, s.Len())
	}
	if dst.Shape != s || len(dst.Data) != s.Len() {
		return fmt.Errorf("kernels: edt: destination shape %v (%d elements) does not match mask %v", dst.Shape, len(dst.Data), s)
	}
	var w [3]float64
	for i, v := range sampling {
		switch {
		case v == 0:
			w[i] = 1
		case v < 0 || math.IsNaN(v) || math.IsInf(v, 0):
			return fmt.Errorf("kernels: edt: sampling %v: each spacing must be positive and finite", sampling)
		default:
			w[i] = v
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if !hasZero(mask.Data) {
		edtNoBackground(dst, w)
		return nil
	}
	e := edtRun{s: s, w: w}
	if s.Z == 1 {
		return e.run2D(ctx, dst, mask.Data)
	}
	return e.run3D(ctx, dst, mask.Data)
}

func hasZero(b []uint8) bool {
	for _, v := range b {
		if v == 0 {
			return true
		}
	}
	return false
}

// edtNoBackground fills dst as scipy does for a mask with no zero voxel:
// its feature transform then points every voxel at index -1 of the first
// axis and 0 of the others.
func edtNoBackground(dst *stack.Volume[float32], w [3]float64) {
	s := dst.Shape
	i := 0
	for z := range s.Z {
		for y := range s.Y {
			var a float64
			if s.Z == 1 {
				t := float64(y+1) * w[1]
				a = float64(t * t)
			} else {
				tz := float64(z+1) * w[0]
				ty := float64(y) * w[1]
				a = float64(tz*tz) + float64(ty*ty)
			}
			for x := range s.X {
				tx := float64(x) * w[2]
				dst.Data[i] = float32(math.Sqrt(a + float64(tx*tx)))
				i++
			}
		}
	}
}

// edtRun holds the shape and spacing of one transform.
type edtRun struct {
	s stack.Shape
	w [3]float64
}

// exact says that every spacing is 1, so that all sums are integers.
func (e edtRun) exact() bool { return e.w == [3]float64{1, 1, 1} }

// noFeature marks a 1-D distance with no zero voxel on its line.
const noFeature = math.MaxInt32

// lineDistances writes, for the lines of length n with stride stride
// starting at the offsets base+j for j in [0, width), the distance in
// voxels to the nearest zero along the line (noFeature when the line has
// none). It sweeps whole rows of width voxels at a time so that memory is
// read in order.
func lineDistances(d []int32, m []uint8, base, width, n, stride int) {
	// Forward sweep.
	row := d[base : base+width]
	mr := m[base : base+width]
	for j, v := range mr {
		if v == 0 {
			row[j] = 0
		} else {
			row[j] = noFeature
		}
	}
	for i := 1; i < n; i++ {
		o := base + i*stride
		prev := d[o-stride : o-stride+width]
		row := d[o : o+width]
		mr := m[o : o+width]
		for j, v := range mr {
			if v == 0 {
				row[j] = 0
			} else if p := prev[j]; p == noFeature {
				row[j] = noFeature
			} else {
				row[j] = p + 1
			}
		}
	}
	// Backward sweep.
	for i := n - 2; i >= 0; i-- {
		o := base + i*stride
		next := d[o+stride : o+stride+width]
		row := d[o : o+width]
		for j, q := range next {
			if q != noFeature && q+1 < row[j] {
				row[j] = q + 1
			}
		}
	}
}

// envelope is the scratch space of one 1-D lower-envelope pass.
type envelope struct {
	v  []int32   // positions of the parabolas in the envelope
	fv []float64 // f at those positions
	z  []float64 // where each parabola starts to be the lowest
	f  []float64
}

func newEnvelope(n int) *envelope {
	return &envelope{v: make([]int32, n), fv: make([]float64, n), z: make([]float64, n+1), f: make([]float64, n)}
}

// pass replaces f (squared distances along earlier axes, +Inf where the
// line has no feature) by min over q of f[q] + ((i-q)·w)², computed as
// f[q] + float64(t·t) with t = (i-q)·w so that the sum rounds as scipy's.
// exact says that every value is an integer (unit spacings), so that the
// envelope's breakpoints order parabolas without rounding ties.
func (e *envelope) pass(out, f []float64, w float64, exact bool) {
	n := len(f)
	v, fv, z := e.v[:n], e.fv[:n], e.z[:n+1]
	k := -1
	w2 := 2 * w * w
	var hk float64 // f + (p·w)² of the parabola on top
	for q := range n {
		fq := f[q]
		if fq > math.MaxFloat64 {
			continue
		}
		tq := float64(q) * w
		hq := fq + float64(tq*tq)
		var sq float64
		for k >= 0 {
			p := int(v[k])
			sq = (hq - hk) / (w2 * float64(q-p))
			if sq <= z[k] {
				k--
				if k >= 0 {
					tp := float64(v[k]) * w
					hk = fv[k] + float64(tp*tp)
				}
				continue
			}
			break
		}
		k++
		v[k], fv[k], hk = int32(q), fq, hq
		if k == 0 {
			z[k] = math.Inf(-1)
		} else {
			z[k] = sq
		}
	}
	if k < 0 {
		for i := range out {
			out[i] = math.Inf(1)
		}
		return
	}
	z[k+1] = math.Inf(1)
	j := 0
	if exact {
		for i := range n {
			fi := float64(i)
			for z[j+1] < fi {
				j++
			}
			t := float64(i - int(v[j]))
			out[i] = fv[j] + t*t
		}
		return
	}
	for i := range n {
		fi := float64(i)
		for z[j+1] < fi {
			j++
		}
		t := float64(i-int(v[j])) * w
		best := fv[j] + float64(t*t)
		// Where two parabolas meet within rounding of i, the float64 sums
		// can order differently from the envelope's; take the smaller.
		if j < k && z[j+1]-fi < 1e-9*(1+fi) {
			t2 := float64(i-int(v[j+1])) * w
			if c := fv[j+1] + float64(t2*t2); c < best {
				best = c
			}
		}
		out[i] = best
	}
}

// run2D: 1-D distances down the columns, then the envelope along each row.
func (e edtRun) run2D(ctx context.Context, dst *stack.Volume[float32], m []uint8) error {
	Y, X := e.s.Y, e.s.X
	d := make([]int32, Y*X)
	const strip = 256
	strips := (X + strip - 1) / strip
	workers := workersFor(Y*X, strips)
	if err := forEachItem(ctx, workers, strips, func(_, i int) error {
		x0 := i * strip
		lineDistances(d, m, x0, min(strip, X-x0), Y, X)
		return nil
	}); err != nil {
		return err
	}
	workers = workersFor(Y*X, Y)
	envs := make([]*envelope, workers)
	bufs := make([][]float64, workers)
	wy, wx := e.w[1], e.w[2]
	return forEachItem(ctx, workers, Y, func(wk, y int) error {
		if envs[wk] == nil {
			envs[wk] = newEnvelope(X)
			bufs[wk] = make([]float64, X)
		}
		env, out := envs[wk], bufs[wk]
		f := env.f
		for x, dv := range d[y*X : (y+1)*X] {
			if dv == noFeature {
				f[x] = math.Inf(1)
			} else {
				t := float64(dv) * wy
				f[x] = float64(t * t)
			}
		}
		env.pass(out, f, wx, e.exact())
		row := dst.Data[y*X : (y+1)*X]
		for x, v := range out {
			row[x] = float32(math.Sqrt(v))
		}
		return nil
	})
}

// run3D: 1-D distances along Z, the envelope along Y within each plane,
// then along X.
func (e edtRun) run3D(ctx context.Context, dst *stack.Volume[float32], m []uint8) error {
	Z, Y, X := e.s.Z, e.s.Y, e.s.X
	P := Y * X
	n := Z * P
	d := make([]int32, n)
	const strip = 4096
	strips := (P + strip - 1) / strip
	workers := workersFor(n, strips)
	if err := forEachItem(ctx, workers, strips, func(_, i int) error {
		o := i * strip
		lineDistances(d, m, o, min(strip, P-o), Z, P)
		return nil
	}); err != nil {
		return err
	}
	g := make([]float64, n)
	wz, wy, wx := e.w[0], e.w[1], e.w[2]
	// Columns along Y, a block of adjacent columns at a time so reads stay
	// in cache lines.
	const blk = 16
	xb := (X + blk - 1) / blk
	items := Z * xb
	workers = workersFor(n, items)
	envs := make([]*envelope, workers)
	cols := make([][]float64, workers)
	if err := forEachItem(ctx, workers, items, func(wk, it int) error {
		if envs[wk] == nil {
			envs[wk] = newEnvelope(Y)
			cols[wk] = make([]float64, Y*(blk+1))
		}
		env := envs[wk]
		z, x0 := it/xb, (it%xb)*blk
		nb := min(blk, X-x0)
		buf := cols[wk]
		in := buf[:Y*nb]
		out := buf[Y*nb : Y*nb+Y]
		base := z * P
		for y := range Y {
			o := base + y*X + x0
			for j, dv := range d[o : o+nb] {
				if dv == noFeature {
					in[j*Y+y] = math.Inf(1)
				} else {
					t := float64(dv) * wz
					in[j*Y+y] = float64(t * t)
				}
			}
		}
		for j := range nb {
			copy(env.f[:Y], in[j*Y:(j+1)*Y])
			env.pass(out, env.f[:Y], wy, e.exact())
			for y, v := range out {
				g[base+y*X+x0+j] = v
			}
		}
		return nil
	}); err != nil {
		return err
	}
	rows := Z * Y
	workers = workersFor(n, rows)
	envs = make([]*envelope, workers)
	bufs := make([][]float64, workers)
	return forEachItem(ctx, workers, rows, func(wk, r int) error {
		if envs[wk] == nil {
			envs[wk] = newEnvelope(X)
			bufs[wk] = make([]float64, X)
		}
		env, out := envs[wk], bufs[wk]
		env.pass(out, g[r*X:(r+1)*X], wx, e.exact())
		row := dst.Data[r*X : (r+1)*X]
		for x, v := range out {
			row[x] = float32(math.Sqrt(v))
		}
		return nil
	})
}
