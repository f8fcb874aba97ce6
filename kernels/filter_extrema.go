package kernels

// Box minimum and maximum filters in the element type: windows of up to
// maxFoldWindow samples fold shifted rows (X) or whole rows (Z, Y) with
// vector folds for uint8 and uint16; wider X windows run van Herk /
// Gil-Werman along each row. No sample goes through float64.
// The results are those of the float64 line path (filter_rank.go) whenever
// cval is a value of the element type, or the mode is not constant:
// converting to T is then monotonic and exact on the data, so it commutes
// with taking extrema.

import (
	"context"

	"github.com/segstack/segstack/kernels/simd"
	"github.com/segstack/segstack/stack"
)

// maxFoldWindow is the widest Z or Y window folded row by row (k-1 folds
// per output row); wider windows take the float64 line path.
const maxFoldWindow = 16

// extremaInType reports whether the element-type path gives scipy's
// result for opt: cval (when used) a value of T.
func extremaInType[T stack.Elem](opt FilterOptions, fs [3]int, axes []int) bool {
	if opt.Mode == stack.Constant && float64(castC[T](opt.Cval, castKindOf[T]())) != opt.Cval {
		return false
	}
	for _, a := range axes {
		if a != 2 && fs[a] > maxFoldWindow {
			return false
		}
	}
	return true
}

// fold sets dst[i] to min or max(dst[i], src[i]).
func fold[T stack.Elem](dst, src []T, isMin bool) {
	switch d := any(dst).(type) {
	case []uint8:
		if isMin {
			simd.MinUint8(d, any(src).([]uint8))
		} else {
			simd.MaxUint8(d, any(src).([]uint8))
		}
		return
	case []uint16:
		if isMin {
			simd.MinUint16(d, any(src).([]uint16))
		} else {
			simd.MaxUint16(d, any(src).([]uint16))
		}
		return
	case []float32:
		if isMin {
			simd.MinFloat32(d, any(src).([]float32))
		} else {
			simd.MaxFloat32(d, any(src).([]float32))
		}
		return
	}
	src = src[:len(dst)]
	if isMin {
		for i, v := range src {
			dst[i] = min(dst[i], v)
		}
		return
	}
	for i, v := range src {
		dst[i] = max(dst[i], v)
	}
}

// extremaTyped runs the separable box filter of extents fs over axes, in
// scipy's axis order, from src into dst (which may be src).
func extremaTyped[T stack.Elem](ctx context.Context, dst, src *stack.Volume[T], fs [3]int, axes []int, opt FilterOptions, isMin bool) error {
	s := src.Shape
	cv := castC[T](opt.Cval, castKindOf[T]())
	cur := src
	var spare *stack.Volume[T]
	first := true
	for _, a := range axes {
		k := fs[a]
		if k <= 1 {
			continue
		}
		o := opt.Origin[a]
		before, after := k/2+o, k-k/2-1-o
		if a == 2 {
			if err := extremaRows(ctx, dst, cur, k, before, after, opt.Mode, cv, isMin); err != nil {
				return err
			}
		} else {
			// Row folds read rows around the one they write: never in
			// place.
			out := dst
			if cur == dst || aliases(dst, cur) {
				if spare == nil {
					spare = stack.New[T](s)
				}
				out = spare
			}
			if err := extremaCols(ctx, out, cur, a, k, before, after, opt.Mode, cv, isMin); err != nil {
				return err
			}
			if out != dst {
				copy(dst.Data, out.Data)
			}
		}
		cur = dst
		first = false
	}
	if first {
		copy(dst.Data, src.Data)
	}
	return nil
}

// extremaRows is the X pass: van Herk / Gil-Werman over each row extended
// by before and after samples.
func extremaRows[T stack.Elem](ctx context.Context, dst, src *stack.Volume[T], k, before, after int, mode stack.Mode, cv T, isMin bool) error {
	s := src.Shape
	tab := extTable(s.X, before, after, mode)
	var halo []int // the positions of tab outside the row
	for i := range tab {
		if i < before || i >= before+s.X {
			halo = append(halo, i)
		}
	}
	rows := s.Z * s.Y
	const band = 16
	items := (rows + band - 1) / band
	workers := workersFor(s.Len(), items)
	type buf struct{ ext, g, h []T }
	bufs := make([]buf, workers)
	for i := range bufs {
		n := len(tab)
		bufs[i] = buf{make([]T, n), make([]T, n), make([]T, n)}
	}
	return forEachItem(ctx, workers, items, func(w, item int) error {
		b := &bufs[w]
		for r := item * band; r < min(rows, (item+1)*band); r++ {
			row := src.Data[r*s.X : (r+1)*s.X]
			copy(b.ext[before:], row)
			for _, i := range halo {
				if j := tab[i]; j < 0 {
					b.ext[i] = cv
				} else {
					b.ext[i] = row[j]
				}
			}
			out := dst.Data[r*s.X : (r+1)*s.X]
			if k <= maxFoldWindow {
				// k-1 folds of the shifted row: vector folds for 8- and
				// 16-bit samples beat van Herk's scalar scans here.
				copy(out, b.ext)
				for i := 1; i < k; i++ {
					fold(out, b.ext[i:], isMin)
				}
				continue
			}
			runningExtremaT(out, b.ext, b.g, b.h, k, isMin)
		}
		return nil
	})
}

// runningExtremaT is runningExtrema in the element type.
func runningExtremaT[T stack.Elem](out, in, g, h []T, k int, isMin bool) {
	n := len(in)
	g, h = g[:n:n], h[:n:n]
	for s := 0; s < n; s += k {
		e := min(n, s+k)
		m := in[s]
		mh := in[e-1]
		if isMin {
			for i := s; i < e; i++ {
				m = min(m, in[i])
				g[i] = m
			}
			for i := e - 1; i >= s; i-- {
				mh = min(mh, in[i])
				h[i] = mh
			}
		} else {
			for i := s; i < e; i++ {
				m = max(m, in[i])
				g[i] = m
			}
			for i := e - 1; i >= s; i-- {
				mh = max(mh, in[i])
				h[i] = mh
			}
		}
	}
	g = g[k-1:]
	out = out[:min(len(out), len(g))]
	if isMin {
		for i := range out {
			out[i] = min(h[i], g[i])
		}
		return
	}
	for i := range out {
		out[i] = max(h[i], g[i])
	}
}

// extremaCols is a Z (axis 0) or Y (axis 1) pass: each output row is the
// fold of the k source rows of its window (rows beyond the edges mapped
// per the mode, or a row of cval).
func extremaCols[T stack.Elem](ctx context.Context, dst, src *stack.Volume[T], axis, k, before, after int, mode stack.Mode, cv T, isMin bool) error {
	s := src.Shape
	n := s.Y
	if axis == 0 {
		n = s.Z
	}
	tab := extTable(n, before, after, mode)
	cvRow := make([]T, s.X)
	for i := range cvRow {
		cvRow[i] = cv
	}
	rows := s.Z * s.Y
	const band = 16
	items := (rows + band - 1) / band
	workers := workersFor(s.Len(), items)
	return forEachItem(ctx, workers, items, func(_, item int) error {
		for r := item * band; r < min(rows, (item+1)*band); r++ {
			z, y := r/s.Y, r%s.Y
			pos := y
			if axis == 0 {
				pos = z
			}
			at := func(i int) []T {
				j := tab[pos+i]
				switch {
				case j < 0:
					return cvRow
				case axis == 0:
					return src.Row(j, y)
				}
				return src.Row(z, j)
			}
			out := dst.Row(z, y)
			copy(out, at(0))
			for i := 1; i < k; i++ {
				fold(out, at(i), isMin)
			}
		}
		return nil
	})
}
