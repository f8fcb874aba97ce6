package kernels

// The group path of the Gaussian: filters with a Z pass and a Y or X pass,
// made a group of planes at a time from a ring of Z-filtered rows, and the
// Z pass's arithmetic (convZ), which the streamed Z pass (ZStream) shares.

import (
	"math"

	"github.com/segstack/segstack/kernels/simd"
	"github.com/segstack/segstack/stack"
)

// yGroup3 is yGroup for filters with a Z pass, whose Y pass reads the
// ring of Z-filtered rows: with simd.ConvColsNScratch, whose AVX-512
// kernel holds a window of up to 16 rows in registers (8 outputs for
// radius 4), 8 rows per group were about 4% faster than 4 in interleaved
// runs of the 64x512x512 sigma=1 benchmark.
const yGroup3 = 8

// zRows fills the Z pass's row table with columns [c0, c1) of row y of the
// planes around z.
func (p *gaussPlan) zRows(w *gaussWorker, src *stack.Volume[float32], cvalRow []float32, z, y, c0, c1 int) [][]float32 {
	az := &p.ax[0]
	for k := -az.r; k <= az.r; k++ {
		if zz := az.at(z + k); zz >= 0 {
			w.zrows[k+az.r] = src.Row(zz, y)[c0:c1]
		} else {
			w.zrows[k+az.r] = cvalRow[c0:c1]
		}
	}
	return w.zrows
}

// convZ is the Z pass's arithmetic, shared by the whole-volume filter and
// the streamed one (ZStream): it makes outs[j] from the rows
// rows[j .. j+2r] of consecutive planes (centre rows[j+r]) with the axis's
// taps and returns the maximum of the outputs. Several outputs go to
// simd.ConvColsNPrefetch zChunk at a time, so that the rows the chunks
// share are still in L1 for the next one; every kernel gives the values
// simd.ConvCols gives, so the grouping changes no result.
func (a *axisPlan) convZ(outs, rows [][]float32) float32 {
	if len(outs) == 1 {
		return simd.ConvCols(outs[0], rows, a.w)
	}
	m := float32(math.Inf(-1))
	for c0 := 0; c0 < len(outs); c0 += zChunk {
		c1 := min(len(outs), c0+zChunk)
		m = max(m, simd.ConvColsNPrefetch(outs[c0:c1], rows[c0:c1+2*a.r], a.w))
	}
	return m
}

// zGroup is how many planes the Z pass produces from one read of its input
// rows: the 2rz+zGroup rows around a group are loaded once for zGroup
// outputs instead of 2rz+1 loads per output. They go to
// simd.ConvColsNPrefetch zChunk planes at a time (its register-window
// kernel makes up to 8 outputs, radius 4: 16 rows), so a call re-reads the
// 2rz rows it shares with the previous one from L1. For the 64x512x512
// sigma=1 benchmark, 16 planes in two chunks with whole-plane bands were
// about 5% faster in interleaved runs than 8 planes with bands sized for
// L2; 16 planes with L2-sized bands (24 rows) were slower, and 32 planes
// (a 1 MiB ring of Z-filtered rows) much slower.
const (
	zGroup = 16
	zChunk = 8
)

// group filters rows [y0, y1) of planes [g0, g1) (at most zGroup) into dst
// and returns their maximum. It walks the band in groups of yGroup3 rows and,
// for each, makes those rows of every plane of the group, so the
// Z-filtered rows a Y-pass window needs are made on first use, for all
// planes of the group at once, into a ring that only has to hold one
// window, so the rows stay in cache. (Sweeping plane by plane instead
// needed the Z-filtered rows of the whole band and was about 3% slower.)
// Ring slots are tracked with a running index rather than a division per
// row.
func (p *gaussPlan) group(w *gaussWorker, dst, src *stack.Volume[float32], cvalRow []float32, g0, g1, y0, y1 int) float32 {
	s := p.shape
	az, ay := &p.ax[0], &p.ax[1]
	w.gen++
	// slot is the ring slot of row position pos: (pos-(y0-ry)) mod slots,
	// kept as a running index (no division per row).
	slot := 0
	zwin := w.zwin[:g1-g0+2*az.r]
	zouts := w.zouts[:g1-g0]
	zbase := w.zbase[:len(zwin)]
	for k := range zbase {
		zbase[k] = -1
		if zz := az.at(g0 - az.r + k); zz >= 0 {
			zbase[k] = zz * s.Y * s.X
		}
	}
	// fill fills slot i with row position pos (whose source row is y) of
	// every plane of the group after the Z pass.
	fill := func(i, pos, y int) {
		for k, b := range zbase {
			if b >= 0 {
				o := b + y*s.X
				zwin[k] = src.Data[o : o+s.X : o+s.X]
			} else {
				zwin[k] = cvalRow
			}
		}
		for j := range zouts {
			zouts[j] = w.slotRows[j*w.slots+i]
		}
		az.convZ(zouts, zwin)
		w.stamp[i] = w.gen
		w.spos[i] = pos
	}
	// offs[k] is the ring slot of window row k, or -1 for a row of cval.
	offs := w.offs[:yGroup3+2*ay.r]
	m := float32(math.Inf(-1))
	for y := y0; y < y1; y += yGroup3 {
		n := min(yGroup3, y1-y)
		offs = offs[:n+2*ay.r]
		i := slot
		for k := range offs {
			pos := y - ay.r + k
			yy := pos
			if ay.active() {
				yy = ay.at(pos)
			}
			if yy < 0 {
				offs[k] = -1
			} else {
				if w.stamp[i] != w.gen || w.spos[i] != pos {
					fill(i, pos, yy)
				}
				offs[k] = i
			}
			if i++; i == w.slots {
				i = 0
			}
		}
		for z := g0; z < g1; z++ {
			win := w.win[:len(offs)]
			rows := w.slotRows[(z-g0)*w.slots : (z-g0+1)*w.slots]
			for k, i := range offs {
				if i < 0 {
					win[k] = cvalRow
				} else {
					win[k] = rows[i]
				}
			}
			m = max(m, p.finishRows(w, dst, z, y, n, win))
		}
		if slot += yGroup3; slot >= w.slots {
			slot -= w.slots
		}
	}
	return m
}
