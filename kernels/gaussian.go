package kernels

import (
	"context"
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/segstack/segstack/kernels/simd"
	"github.com/segstack/segstack/stack"
)

// ErrInvalid is wrapped by the errors kernels return for arguments that can
// never work: mismatched shapes, negative sigmas, unknown modes.
var ErrInvalid = errors.New("kernels: invalid argument")

// Gaussian writes scipy.ndimage.gaussian_filter(src, sigma, mode, cval,
// truncate) into dst, which must have src's shape, and returns the maximum
// of dst, found while storing it. Axes are filtered in scipy's order (Z, Y,
// X) and each pass is rounded to float32 as scipy stores it into a float32
// output; scipy accumulates each output in float64 where this sums in
// float32 with fused multiply-adds (symmetric taps folded), so results
// differ from scipy's by a few float32 ulps (under 5e-7 relative on the
// test fixtures). dst may be src itself.
//
// The passes are fused: output rows are made eight at a time (four for
// 2-D filters with narrow kernels) from the Z-filtered rows around them while
// those are still in cache, and the work is split across GOMAXPROCS
// workers by row bands and planes, with results identical to a serial run.
// Outputs of 8 MiB or more are written past the caches (non-temporal
// stores), which changes no values.
func Gaussian(ctx context.Context, dst, src *stack.Volume[float32], opt GaussianOptions) (float32, error) {
	if dst == nil || src == nil {
		return 0, fmt.Errorf("%w: nil volume", ErrInvalid)
	}
	if dst.Shape != src.Shape || len(dst.Data) != src.Shape.Len() || len(src.Data) != src.Shape.Len() {
		return 0, fmt.Errorf("%w: Gaussian of %v into %v", ErrInvalid, src.Shape, dst.Shape)
	}
	p, err := newGaussPlan(src.Shape, opt)
	if err != nil {
		return 0, err
	}
	if &dst.Data[0] == &src.Data[0] {
		src = src.Clone()
	}
	return p.run(ctx, dst, src)
}

// GaussianOf is Gaussian for any element type: src is converted to float32
// first, as scipy converts each line to float64 before filtering into a
// float32 output. The conversion is exact for 8- and 16-bit data; 32-bit
// integers above 2^24 are rounded, where scipy keeps them exact.
func GaussianOf[T stack.Elem](ctx context.Context, dst *stack.Volume[float32], src *stack.Volume[T], opt GaussianOptions) (float32, error) {
	if src == nil {
		return 0, fmt.Errorf("%w: nil volume", ErrInvalid)
	}
	if f, ok := any(src).(*stack.Volume[float32]); ok {
		return Gaussian(ctx, dst, f, opt)
	}
	if dst == nil || dst.Shape != src.Shape || len(dst.Data) != src.Shape.Len() || len(src.Data) != src.Shape.Len() {
		return 0, fmt.Errorf("%w: Gaussian of %v into mismatched output", ErrInvalid, src.Shape)
	}
	f := &stack.Volume[float32]{Shape: src.Shape, Data: make([]float32, len(src.Data))}
	ToFloat32(f.Data, src.Data)
	return Gaussian(ctx, dst, f, opt)
}

// ToFloat32 converts src into dst (len(dst) >= len(src)) as a Go
// conversion does, with vector code for uint8 and uint16.
func ToFloat32[T stack.Elem](dst []float32, src []T) {
	switch s := any(src).(type) {
	case []uint8:
		simd.Uint8ToFloat32(dst, s)
	case []uint16:
		simd.Uint16ToFloat32(dst, s)
	case []float32:
		copy(dst, s)
	default:
		dst = dst[:len(src)]
		for i, v := range src {
			dst[i] = float32(v)
		}
	}
}

// gaussWorker holds one worker's scratch buffers.
type gaussWorker struct {
	// tmp is a ring of Z-filtered rows for a group of zGroup planes, as
	// many as one Y-pass window reads (slots = yGroup3+2ry): row position
	// pos of plane j is in slot i = (pos-(y0-ry)) mod slots, at
	// ((j*slots)+i)*rowStride(X).
	tmp   []float32
	slots int
	stamp []int // stamp[i] == gen when slot i holds a row of the current group
	spos  []int // spos[i]: the row position slot i holds
	gen   int
	lines [][]float32 // rowsPerGroup() rows, each with its X halo
	win   [][]float32 // Y-pass input rows for a group of output rows
	outs  [][]float32
	// targets are the Y pass's output rows for one call of simd.ConvColsN.
	targets [][]float32
	// zouts are a slot's rows for each plane of a group.
	zouts [][]float32
	zrows [][]float32 // row tables for simd.ConvCols
	zwin  [][]float32 // Z-pass input rows for a group of planes
	offs  []int       // ring slots of a Y-pass window's rows, -1 for cval
	// slotRows[j*slots+i] is ring slot i of plane j of the group.
	slotRows [][]float32
	// zbase[k] is the offset in src of plane g0-rz+k of the group, -1
	// for cval.
	zbase []int
	yrows [][]float32
	// ring holds copies of the Y pass's input rows in the no-Z path, at
	// rowStride apart, when the window has more than l1Ways rows (nil
	// otherwise); ringPos[i] is the row position slot i holds for ringGen.
	ring    []float32
	ringPos []int
	ringGen []int
	// pf are the source rows finishRows prefetches, spread over its X
	// passes so that the requests go out while the rows are filtered.
	pf  [][]float32
	max float32
}

// run filters src into dst (distinct buffers).
func (p *gaussPlan) run(ctx context.Context, dst, src *stack.Volume[float32]) (float32, error) {
	s := p.shape
	az, ay, ax := &p.ax[0], &p.ax[1], &p.ax[2]
	// Work items are (band of rows, run of planes). With a Z pass, a band is
	// whole planes: its input rows are not kept in L2 from one plane group
	// to the next (planes a multiple of 128 KiB apart compete for the same
	// L2 sets, so the halo planes were evicted anyway), and every band
	// boundary costs 2ry rows of Z pass twice. Without one, planes are
	// independent and each is its own item. Rows and planes are split
	// further only to give every worker enough items.
	procs := workersFor(s.Len(), s.Z*s.Y)
	want := 4 * procs
	if procs == 1 {
		want = 1
	}
	bandH := s.Y
	bands := (s.Y + bandH - 1) / bandH
	zRuns := 1
	if !az.active() {
		zRuns = s.Z
	} else if want > 1 {
		// Runs of whole planes, each at least 2rz planes long: a run
		// repeats the Z pass of its 2rz halo planes (a 16-plane stack cut
		// into 8 runs of 2 read its input 5 times). The rest of the split
		// is by rows, where a band boundary repeats only 2ry rows. Runs
		// are preferred: two workers striding through row bands of every
		// plane were 3% slower on 64 planes.
		zRuns = min(want, max(1, s.Z/(2*az.r)))
		if zRuns < want {
			bands = min((want+zRuns-1)/zRuns, max(1, s.Y/16))
			bandH = (s.Y + bands - 1) / bands
			bands = (s.Y + bandH - 1) / bandH
		}
	}
	if bands*zRuns < want {
		more := min((want+zRuns-1)/zRuns, max(1, s.Y/16))
		if more > bands {
			bandH = (s.Y + more - 1) / more
			bands = (s.Y + bandH - 1) / bandH
		}
	}
	zLen := (s.Z + zRuns - 1) / zRuns
	zRuns = (s.Z + zLen - 1) / zLen
	items := bands * zRuns
	workers := workersFor(s.Len(), items)

	cvalRow := make([]float32, s.X)
	for i := range cvalRow {
		cvalRow[i] = p.cval
	}
	ws := make([]gaussWorker, workers)
	for i := range ws {
		w := &ws[i]
		w.max = float32(math.Inf(-1))
		if az.active() {
			w.slots = yGroup3 + 2*ay.r
			w.tmp = make([]float32, zGroup*w.slots*rowStride(s.X))
			w.stamp = make([]int, w.slots)
			w.offs = make([]int, yGroup3+2*ay.r)
			w.zbase = make([]int, zGroup+2*az.r)
			w.slotRows = make([][]float32, zGroup*w.slots)
			for i := range w.slotRows {
				o := i * rowStride(s.X)
				w.slotRows[i] = w.tmp[o : o+s.X : o+s.X]
			}
			w.spos = make([]int, w.slots)
			w.zrows = make([][]float32, 2*az.r+1)
		}
		if ay.active() {
			w.yrows = make([][]float32, 2*ay.r+1)
			if p.useRing() {
				n := p.rowsPerGroup() + 2*ay.r
				w.ring = make([]float32, n*rowStride(s.X))
				w.ringPos = make([]int, n)
				w.ringGen = make([]int, n)
			}
		}
		if ax.active() {
			w.lines = make([][]float32, p.rowsPerGroup())
			for j := range w.lines {
				w.lines[j] = alignedLine(lineAhead+s.X+2*ax.r+lineSlack, lineAhead+ax.r)
			}
		}
		w.win = make([][]float32, p.rowsPerGroup()+2*ay.r)
		w.outs = make([][]float32, p.rowsPerGroup())
		w.targets = make([][]float32, p.rowsPerGroup())
		if ax.active() {
			for j := range w.targets {
				w.targets[j] = w.lines[j][lineAhead+ax.r : lineAhead+ax.r+s.X]
			}
		}
		w.zouts = make([][]float32, zGroup)
		w.zwin = make([][]float32, zGroup+2*az.r)
	}

	err := forEachItem(ctx, workers, items, func(wi, item int) error {
		w := &ws[wi]
		y0 := (item % bands) * bandH
		y1 := min(s.Y, y0+bandH)
		z0 := (item / bands) * zLen
		z1 := min(s.Z, z0+zLen)
		m := w.max
		if az.active() && (ay.active() || ax.active()) {
			for g0 := z0; g0 < z1; g0 += zGroup {
				m = max(m, p.group(w, dst, src, cvalRow, g0, min(z1, g0+zGroup), y0, y1))
			}
		} else {
			for z := z0; z < z1; z++ {
				m = max(m, p.band(w, dst, src, cvalRow, z, y0, y1))
			}
		}
		w.max = m
		if p.stream {
			// The item's non-temporal stores reach memory before the
			// item is reported done.
			simd.StoreFence()
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	m := float32(math.Inf(-1))
	for i := range ws {
		m = max(m, ws[i].max)
	}
	return m, nil
}

// rowsPerGroup returns the output rows per Y-pass group: yGroup3 with a Z
// pass; 2*yGroup with the ring, whose padded rows stay in L1 however many
// there are, so that each row block is fetched into L1 for more outputs
// (about 4% faster for 2-D sigma=3 in interleaved runs); yGroup otherwise
// (more was slower there).
func (p *gaussPlan) rowsPerGroup() int {
	if p.ax[0].active() {
		return yGroup3
	}
	if p.useRing() {
		return 2 * yGroup
	}
	return yGroup
}

// finishRows runs the Y pass (or a copy when there is none) and then the X
// pass for rows y..y+n-1 of plane z into dst, and returns their maximum.
// win holds the Y pass's input rows for positions y-ry .. y+n-1+ry (with
// no Y pass, the n rows themselves).
func (p *gaussPlan) finishRows(w *gaussWorker, dst *stack.Volume[float32], z, y, n int, win [][]float32) float32 {
	X := p.shape.X
	ay, ax := &p.ax[1], &p.ax[2]
	m := float32(math.Inf(-1))
	outs := w.outs[:n]
	o := (z*p.shape.Y + y) * X
	for j := range outs {
		outs[j] = dst.Data[o : o+X : o+X]
		o += X
	}
	if ay.active() {
		targets := outs
		if ax.active() {
			// The X-pass lines' cores, set up with the worker.
			targets = w.targets[:n]
		}
		var mm float32
		if p.ax[0].active() && ax.active() {
			// The input rows are Z-filtered rows in the worker's ring,
			// and the X pass finds the maximum (1.8% less CPU time for
			// the 3-D benchmark on the AVX2 path, in paired runs).
			simd.ConvColsNScratchNoMax(targets, win, ay.w)
		} else if p.ax[0].active() {
			mm = simd.ConvColsNScratch(targets, win, ay.w)
		} else {
			mm = simd.ConvColsN(targets, win, ay.w)
		}
		if !ax.active() {
			m = mm
		}
	} else {
		for j, out := range outs {
			if ax.active() {
				copy(w.lines[j][lineAhead+ax.r:lineAhead+ax.r+X], win[j][:X])
			} else {
				m = max(m, simd.CopyMax(out, win[j][:X]))
			}
		}
	}
	if ax.active() && len(w.pf) == 0 {
		// Nothing to hint: the rows go to the kernel in one call.
		p.fillHalos(w.lines[:n])
		if p.stream {
			// Fenced once per work item, in run.
			m = max(m, simd.ConvRowsInStreamDeferred(outs, w.lines[:n], lineAhead, ax.w))
		} else {
			m = max(m, simd.ConvRowsIn(outs, w.lines[:n], lineAhead, ax.w))
		}
	} else if ax.active() {
		for j, out := range outs {
			// An even share of the rows to prefetch, hinted along each X
			// pass.
			var next []float32
			if share := w.pf[j*len(w.pf)/n : (j+1)*len(w.pf)/n]; len(share) > 0 {
				next = share[0]
				for _, row := range share[1:] {
					simd.Prefetch(row)
				}
			}
			p.fillHalo(w.lines[j][lineAhead:])
			if p.stream {
				// Fenced once per work item, in run.
				m = max(m, simd.ConvRowInStreamDeferred(out, w.lines[j], lineAhead, ax.w, next))
			} else {
				m = max(m, simd.ConvRowInPrefetch(out, w.lines[j], lineAhead, ax.w, false, next))
			}
		}
	}
	return m
}

// lineAhead and lineSlack are the spare samples before and after each
// X-pass input line, so that simd.ConvRowIn can use its widest kernel over
// the whole row.
const (
	lineAhead = 16
	lineSlack = 16
)

// rowStride is the distance between rows of x samples in scratch buffers:
// one cache line more than a row, so that the rows a column block of
// simd.ConvColsN reads fall into different L1 sets even when a row is a
// multiple of 4 KiB (rows of the volume itself, 4 KiB apart, would all
// compete for the same few sets).
func rowStride(x int) int { return x + 16 }

// alignedLine returns n floats of which element c (the centre sample of
// the first X-pass output) is 64-byte aligned, so that the X-pass kernel's
// block loads do not straddle cache lines.
func alignedLine(n, c int) []float32 {
	b := make([]float32, n+16)
	k := 0
	for uintptr(unsafe.Pointer(&b[k+c]))&63 != 0 {
		k++
	}
	return b[k : k+n : k+n]
}

// fillHalos is fillHalo of every line[lineAhead:] in lines.
func (p *gaussPlan) fillHalos(lines [][]float32) {
	a := &p.ax[2]
	if !p.haloIn {
		for _, line := range lines {
			p.fillHalo(line[lineAhead:])
		}
		return
	}
	left, right := a.idx[:a.r], a.idx[a.r+a.n:a.r+a.n+a.r]
	for _, line := range lines {
		line = line[lineAhead:]
		core := line[a.r : a.r+a.n]
		lh, rh := line[:len(left)], line[a.r+a.n:a.r+a.n+len(right)]
		for i, j := range left {
			lh[i] = core[j]
		}
		for i, j := range right {
			rh[i] = core[j]
		}
	}
}

// fillHalo writes the X halo of line (core at [r, r+X)) per the mode.
func (p *gaussPlan) fillHalo(line []float32) {
	a := &p.ax[2]
	core := line[a.r : a.r+a.n]
	if p.haloIn {
		// Every halo sample copies a core sample.
		left, right := a.idx[:a.r], a.idx[a.r+a.n:a.r+a.n+a.r]
		lh, rh := line[:len(left)], line[a.r+a.n:a.r+a.n+len(right)]
		for i, j := range left {
			lh[i] = core[j]
		}
		for i, j := range right {
			rh[i] = core[j]
		}
		return
	}
	for i := 0; i < a.r; i++ {
		line[i] = p.pick(core, a.idx[i])
		line[a.r+a.n+i] = p.pick(core, a.idx[a.r+a.n+i])
	}
}

func (p *gaussPlan) pick(core []float32, j int) float32 {
	if j < 0 {
		return p.cval
	}
	return core[j]
}
