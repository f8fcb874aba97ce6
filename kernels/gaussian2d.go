package kernels

// The band path of the Gaussian: filters without a Z pass (each plane on
// its own, by bands of rows), and filters with only a Z pass.

import (
	"math"

	"github.com/segstack/segstack/kernels/simd"
	"github.com/segstack/segstack/stack"
)

// band filters rows [y0, y1) of plane z into dst and returns their
// maximum, for filters with no Z pass or with only a Z pass.
func (p *gaussPlan) band(w *gaussWorker, dst, src *stack.Volume[float32], cvalRow []float32, z, y0, y1 int) float32 {
	az, ay := &p.ax[0], &p.ax[1]
	m := float32(math.Inf(-1))
	if az.active() {
		out := w.outs[:1]
		for y := y0; y < y1; y++ {
			out[0] = dst.Row(z, y)
			m = max(m, az.convZ(out, p.zRows(w, src, cvalRow, z, y, 0, p.shape.X)))
		}
		return m
	}
	w.gen++
	yg := p.rowsPerGroup()
	for y := y0; y < y1; y += yg {
		n := min(yg, y1-y)
		win := w.win[:n+2*ay.r]
		for i := range win {
			pos := y - ay.r + i
			yy := pos
			if ay.active() {
				yy = ay.at(pos)
			}
			switch {
			case yy < 0:
				win[i] = cvalRow
			case w.ring != nil:
				win[i] = p.ringRow(w, src, z, pos, yy)
			default:
				win[i] = src.Row(z, yy)
			}
		}
		if ay.active() {
			// The next group's new input rows, fetched while this one is
			// filtered.
			w.pf = w.pf[:0]
			for pos := y + n + ay.r; pos < min(y+n+ay.r+yg, y1+ay.r); pos++ {
				if yy := ay.at(pos); yy >= 0 {
					w.pf = append(w.pf, src.Row(z, yy))
				}
			}
			if !p.ax[2].active() {
				for _, row := range w.pf {
					simd.Prefetch(row)
				}
			}
		}
		m = max(m, p.finishRows(w, dst, z, y, n, win))
		w.pf = w.pf[:0]
	}
	return m
}

// ringRow returns a copy of row yy of plane z, which is row position pos of
// the current band, from the worker's ring of rows, copying it in on first
// use. Consecutive groups of output rows share all but rowsPerGroup() of their
// input rows, so each row is copied once per band.
func (p *gaussPlan) ringRow(w *gaussWorker, src *stack.Volume[float32], z, pos, yy int) []float32 {
	X := p.shape.X
	n := len(w.ringPos)
	i := pos % n
	if i < 0 {
		i += n
	}
	o := i * rowStride(X)
	row := w.ring[o : o+X : o+X]
	if w.ringGen[i] != w.gen || w.ringPos[i] != pos {
		copy(row, src.Row(z, yy))
		w.ringGen[i] = w.gen
		w.ringPos[i] = pos
	}
	return row
}

// yGroup is how many output rows the Y pass makes from one read of its
// input rows (simd.ConvColsN keeps them in L1 block by block).
const yGroup = 4

// useRing reports whether the Y pass reads copies of its input rows from the
// worker ring: without a Z pass, when its window of yGroup+2ry rows exceeds
// the ways of an L1 set.
func (p *gaussPlan) useRing() bool {
	return !p.ax[0].active() && p.ax[1].active() && yGroup+2*p.ax[1].r > l1Ways
}

// l1Ways is the L1 associativity assumed by the ring decision: a Y-pass
// window of at most this many rows fits a set even when the rows compete
// for it, and is read in place rather than copied into the ring.
const l1Ways = 12
