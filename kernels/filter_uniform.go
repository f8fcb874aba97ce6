package kernels

// The uniform filter's passes, row-wise: scipy's running mean per line
// (NI_UniformFilter1D: a float64 sum of the first window in order, then
// sum += entering - leaving, each output sum/k), computed for a whole row
// of lines at once along Z and Y, and along each row for X, without the
// line engine's gather and scatter. The arithmetic per line is the same,
// so results are too.

import (
	"context"

	"github.com/segstack/segstack/stack"
)

// uniformPass runs one running-mean pass of k samples along axis from in
// into out (distinct buffers for axes 0 and 1), the line extended by
// before and after samples per mode and cval.
func uniformPass[V, U stack.Elem](ctx context.Context, out *stack.Volume[U], in *stack.Volume[V], axis, k, before, after int, mode stack.Mode, cval float64) error {
	if axis == 2 {
		return uniformRows(ctx, out, in, k, before, after, mode, cval)
	}
	return uniformCols(ctx, out, in, axis, k, before, after, mode, cval)
}

func uniformRows[V, U stack.Elem](ctx context.Context, out *stack.Volume[U], in *stack.Volume[V], k, before, after int, mode stack.Mode, cval float64) error {
	s := in.Shape
	tab := extTable(s.X, before, after, mode)
	kind := castKindOf[U]()
	fk := float64(k)
	rows := s.Z * s.Y
	const band = 16
	items := (rows + band - 1) / band
	workers := workersFor(s.Len(), items)
	type buf struct{ ext, res []float64 }
	bufs := make([]buf, workers)
	for i := range bufs {
		bufs[i] = buf{make([]float64, len(tab)), make([]float64, s.X)}
	}
	return forEachItem(ctx, workers, items, func(w, item int) error {
		b := &bufs[w]
		for r := item * band; r < min(rows, (item+1)*band); r++ {
			row := in.Data[r*s.X : (r+1)*s.X]
			core := b.ext[before : before+s.X]
			for i, v := range row {
				core[i] = float64(v)
			}
			for i := 0; i < before; i++ {
				b.ext[i] = extAt(tab[i], row, cval)
			}
			for i := before + s.X; i < len(tab); i++ {
				b.ext[i] = extAt(tab[i], row, cval)
			}
			t := 0.0
			for _, v := range b.ext[:k] {
				t += v
			}
			b.res[0] = t / fk
			for l := 1; l < s.X; l++ {
				t += b.ext[l+k-1] - b.ext[l-1]
				b.res[l] = t / fk
			}
			storeLine(out.Data[r*s.X:(r+1)*s.X], b.res, kind)
		}
		return nil
	})
}

func extAt[V stack.Elem](j int, row []V, cval float64) float64 {
	if j < 0 {
		return cval
	}
	return float64(row[j])
}

// uniformCols runs the pass along Z (axis 0) or Y (axis 1) for bands of
// columns of one plane (Y) or one row position (Z) at a time: the running
// sums of a band's lines advance together, one source row per step.
func uniformCols[V, U stack.Elem](ctx context.Context, out *stack.Volume[U], in *stack.Volume[V], axis, k, before, after int, mode stack.Mode, cval float64) error {
	s := in.Shape
	n, groups := s.Y, s.Z // lines of n samples; groups of lines side by side
	if axis == 0 {
		n, groups = s.Z, s.Y
	}
	tab := extTable(n, before, after, mode)
	kind := castKindOf[U]()
	fk := float64(k)
	const colBand = 512
	bands := (s.X + colBand - 1) / colBand
	items := groups * bands
	workers := workersFor(s.Len(), items)
	type buf struct{ t, res []float64 }
	bufs := make([]buf, workers)
	for i := range bufs {
		bufs[i] = buf{make([]float64, colBand), make([]float64, colBand)}
	}
	// row returns the source row at line position p (in [0, n)) of group
	// g, or nil for cval.
	row := func(g, j int) []V {
		if j < 0 {
			return nil
		}
		if axis == 0 {
			return in.Row(j, g)
		}
		return in.Row(g, j)
	}
	dstRow := func(g, p int) []U {
		if axis == 0 {
			return out.Row(p, g)
		}
		return out.Row(g, p)
	}
	return forEachItem(ctx, workers, items, func(w, item int) error {
		g, bnd := item/bands, item%bands
		x0 := bnd * colBand
		x1 := min(s.X, x0+colBand)
		t, res := bufs[w].t[:x1-x0], bufs[w].res[:x1-x0]
		clear(t)
		for i := range k {
			if r := row(g, tab[i]); r == nil {
				for x := range t {
					t[x] += cval
				}
			} else {
				for x, v := range r[x0:x1] {
					t[x] += float64(v)
				}
			}
		}
		for x, v := range t {
			res[x] = v / fk
		}
		storeLine(dstRow(g, 0)[x0:x1], res, kind)
		for p := 1; p < n; p++ {
			add, sub := row(g, tab[p+k-1]), row(g, tab[p-1])
			switch {
			case add != nil && sub != nil:
				a, b := add[x0:x1], sub[x0:x1]
				for x := range t {
					t[x] += float64(a[x]) - float64(b[x])
				}
			case add != nil:
				a := add[x0:x1]
				for x := range t {
					t[x] += float64(a[x]) - cval
				}
			case sub != nil:
				b := sub[x0:x1]
				for x := range t {
					t[x] += cval - float64(b[x])
				}
			default:
				for x := range t {
					t[x] += cval - cval
				}
			}
			for x, v := range t {
				res[x] = v / fk
			}
			storeLine(dstRow(g, p)[x0:x1], res, kind)
		}
		return nil
	})
}
