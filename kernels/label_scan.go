package kernels

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"unsafe"

	"github.com/segstack/segstack/stack"
)

// The labeller is a run-based two-scan algorithm. Rows (flat index
// r = z*Y + y) are cut into foreground runs; every run starts as its own
// provisional label, numbered in raster order; a run is united with the runs
// it touches in the earlier rows that the connectivity reaches; each union
// keeps the smaller index as the root, so a component's root is its first
// run in raster order. Numbering the roots in index order then gives
// scipy.ndimage.label's numbering (raster order of each component's first
// voxel) without a sort.
//
// In parallel, the rows are cut into contiguous strips. Each strip scans its
// rows with its own run indices; the strips' unions across their first rows
// are then made serially (they only touch runs near the cuts), and the
// resolve and the output pass run per strip again.

// nbrRow is an earlier row whose runs a row's runs may touch: the row at
// (z+dz, y+dy), touching when the runs overlap after growing by ext columns.
type nbrRow struct {
	dz, dy int
	ext    uint32
}

// nbrRows lists the earlier rows each connectivity reaches (conn normalised).
func nbrRows(conn Connectivity) []nbrRow {
	switch conn {
	case Conn4:
		return []nbrRow{{0, -1, 0}}
	case Conn8:
		return []nbrRow{{0, -1, 1}}
	case Conn6:
		return []nbrRow{{0, -1, 0}, {-1, 0, 0}}
	// The row straight below comes before the diagonal ones: its objects
	// are the likeliest to be the diagonals' too, which connectRuns then
	// recognises without a find.
	case Conn18:
		return []nbrRow{{0, -1, 1}, {-1, 0, 1}, {-1, -1, 0}, {-1, 1, 0}}
	default: // Conn26
		return []nbrRow{{0, -1, 1}, {-1, 0, 1}, {-1, -1, 1}, {-1, 1, 1}}
	}
}

// strip is a contiguous range of rows [r0, r1) scanned by one worker.
type strip struct {
	r0, r1   int
	off      uint32   // global index of the strip's first run
	runs     []run    // the strip's runs, row after row
	rowStart []uint32 // rowStart[r-r0] is the local index of row r's first run; one extra entry at the end
	parent   []uint32 // local union-find during the scan
	roots    int      // number of global roots among the strip's runs
	base     uint32   // label of the strip's first root
	runBuf   *[]run
	parBuf   *[]uint32
	rowBuf   *[]uint32
	err      error
}

// scan is one labelling of a volume, from the scan to the numbering.
type scan struct {
	shape  stack.Shape
	nbrs   []nbrRow
	runsOf runFunc
	strips []*strip
	slen   int      // rows per strip (the last may be shorter)
	parent []uint32 // global union-find, indexed by global run index
	lab    []uint32 // lab[root] is the root's final label
	bufs   []*[]uint32
	n      int // number of components
}

var (
	runPool    = sync.Pool{New: func() any { b := make([]run, 0, 1024); return &b }}
	uint32Pool = sync.Pool{New: func() any { b := make([]uint32, 0, 1024); return &b }}
)

// getU32 returns a pooled []uint32 of length n (contents undefined).
func getU32(n int) *[]uint32 {
	b := uint32Pool.Get().(*[]uint32)
	if cap(*b) < n {
		*b = make([]uint32, n, n+n/4)
	}
	*b = (*b)[:n]
	return b
}

// putU32 returns b to the pool; nil is ignored.
func putU32(b *[]uint32) {
	if b != nil {
		uint32Pool.Put(b)
	}
}

// stripCount picks the number of strips: at most workers, and not so many
// that a strip is too small to be worth a goroutine.
func stripCount(shape stack.Shape, workers int) int {
	rows := shape.Z * shape.Y
	const minPix = 1 << 15
	ns := min(workers, rows, max(1, shape.Len()/minPix))
	return max(ns, 1)
}

// runScan labels the volume's runs in ns strips: after it returns,
// lab[parent[i]] is the final label of global run i. It writes no output.
func runScan(ctx context.Context, shape stack.Shape, conn Connectivity, runsOf runFunc, ns int) (*scan, error) {
	rows := shape.Z * shape.Y
	ns = max(1, min(ns, rows))
	slen := (rows + ns - 1) / ns
	ns = (rows + slen - 1) / slen
	sc := &scan{shape: shape, nbrs: nbrRows(conn), runsOf: runsOf, slen: slen}
	sc.strips = make([]*strip, ns)
	for k := range ns {
		sc.strips[k] = &strip{r0: k * slen, r1: min((k+1)*slen, rows)}
	}
	parallel(ns, func(k int) { sc.scanStrip(ctx, sc.strips[k]) })
	total := 0
	for _, st := range sc.strips {
		if st.err != nil {
			sc.release()
			return nil, st.err
		}
		st.off = uint32(total)
		total += len(st.runs)
		if int64(total) >= math.MaxUint32 {
			sc.release()
			return nil, fmt.Errorf("kernels: label: too many runs (%d) for 32-bit labels", total)
		}
	}
	if ns == 1 {
		sc.parent = sc.strips[0].parent
	} else {
		pb := getU32(total)
		sc.bufs = append(sc.bufs, pb)
		sc.parent = *pb
		parallel(ns, func(k int) {
			st := sc.strips[k]
			dst := sc.parent[st.off : int(st.off)+len(st.runs)]
			for i, p := range st.parent {
				dst[i] = p + st.off
			}
		})
		sc.mergeStrips()
	}
	if err := ctx.Err(); err != nil {
		sc.release()
		return nil, err
	}
	lb := getU32(total)
	sc.bufs = append(sc.bufs, lb)
	sc.lab = *lb
	parallel(ns, func(k int) { sc.flatten(sc.strips[k]) })
	next := uint32(1)
	for _, st := range sc.strips {
		st.base = next
		next += uint32(st.roots)
	}
	sc.n = int(next - 1)
	parallel(ns, func(k int) { sc.number(sc.strips[k]) })
	return sc, nil
}

// release returns the scan's buffers to their pools.
func (sc *scan) release() {
	for _, st := range sc.strips {
		if st.runBuf != nil {
			*st.runBuf = st.runs[:0]
			runPool.Put(st.runBuf)
			st.runBuf = nil
		}
		if st.parBuf != nil {
			*st.parBuf = st.parent[:0]
			uint32Pool.Put(st.parBuf)
			st.parBuf = nil
		}
		putU32(st.rowBuf)
		st.rowBuf = nil
		st.runs, st.parent, st.rowStart = nil, nil, nil
	}
	for _, b := range sc.bufs {
		putU32(b)
	}
	sc.bufs = nil
	sc.parent, sc.lab = nil, nil
}

// scanStrip finds the strip's runs and unites those that touch within it.
func (sc *scan) scanStrip(ctx context.Context, st *strip) {
	st.runBuf = runPool.Get().(*[]run)
	st.parBuf = uint32Pool.Get().(*[]uint32)
	runs, parent := (*st.runBuf)[:0], (*st.parBuf)[:0]
	st.rowBuf = getU32(st.r1 - st.r0 + 1)
	st.rowStart = *st.rowBuf
	tmpBuf := getU32((sc.shape.X + 3) / 4)
	defer putU32(tmpBuf)
	tmp := unsafe.Slice((*uint8)(unsafe.Pointer(unsafe.SliceData(*tmpBuf))), 4*len(*tmpBuf))
	Y := sc.shape.Y
	for r := st.r0; r < st.r1; r++ {
		if (r-st.r0)&255 == 255 && ctx.Err() != nil {
			st.err = ctx.Err()
			break
		}
		z, y := r/Y, r%Y
		i0 := uint32(len(runs))
		st.rowStart[r-st.r0] = i0
		runs = sc.runsOf(r, runs, tmp)
		i1 := uint32(len(runs))
		for i := i0; i < i1; i++ {
			parent = append(parent, i)
		}
		if i0 == i1 {
			continue
		}
		var cur [4]cursor
		nc := 0
		for _, nb := range sc.nbrs {
			zz, yy := z+nb.dz, y+nb.dy
			if zz < 0 || yy < 0 || yy >= Y {
				continue
			}
			q := zz*Y + yy - st.r0
			if q < 0 {
				continue
			}
			if b0, b1 := st.rowStart[q], st.rowStart[q+1]; b0 < b1 {
				cur[nc] = cursor{b0, b1, nb.ext}
				nc++
			}
		}
		connectRuns(parent, runs, i0, i1, cur[:nc])
	}
	st.rowStart[st.r1-st.r0] = uint32(len(runs))
	// Every parent index is smaller than its child, so one forward pass
	// points every run straight at its root.
	for i, p := range parent {
		parent[i] = parent[p]
	}
	st.runs, st.parent = runs, parent
}

// cursor walks the runs [j, end) of an earlier row that the runs of the
// current row may touch after growing by ext.
type cursor struct{ j, end, ext uint32 }

// connectRuns unites each new run in [a0, a1) with the runs it touches in
// the earlier rows of cur. A new run starts as its own root and only this
// loop links it, so its root is carried along and each touch costs at most
// one find, none when the touched run already hangs off the same root.
func connectRuns(parent []uint32, runs []run, a0, a1 uint32, cur []cursor) {
	for i := a0; i < a1; i++ {
		a := runs[i]
		ri := i
		for t := range cur {
			c := &cur[t]
			j := c.j
			for j < c.end && runs[j].e+c.ext <= a.s {
				j++
			}
			c.j = j
			for k := j; k < c.end && runs[k].s < a.e+c.ext; k++ {
				p := parent[k]
				if p == ri {
					continue
				}
				rk := find(parent, p)
				switch {
				case rk < ri:
					parent[ri] = rk
					ri = rk
				case ri < rk:
					parent[rk] = ri
				}
			}
		}
	}
}

// find returns x's root, halving the path on the way.
func find(parent []uint32, x uint32) uint32 {
	for {
		p := parent[x]
		if p == x {
			return x
		}
		g := parent[p]
		parent[x] = g
		x = g
	}
}

// union joins the sets of a and b under the smaller root.
func union(parent []uint32, a, b uint32) {
	ra, rb := find(parent, a), find(parent, b)
	switch {
	case ra < rb:
		parent[rb] = ra
	case rb < ra:
		parent[ra] = rb
	}
}

// rowRuns returns the runs of flat row q and the global index of the first.
func (sc *scan) rowRuns(q int) ([]run, uint32) {
	st := sc.strips[q/sc.slen]
	i0, i1 := st.rowStart[q-st.r0], st.rowStart[q-st.r0+1]
	return st.runs[i0:i1], st.off + i0
}

// mergeStrips unites the runs that touch across strip cuts. Only roots
// change parent here, always to a smaller root, and the roots that changed
// are then pointed at their final roots in increasing order.
func (sc *scan) mergeStrips() {
	Y := sc.shape.Y
	var touched []uint32
	rootOf := func(x uint32) uint32 {
		for sc.parent[x] != x {
			x = sc.parent[x]
		}
		return x
	}
	for _, st := range sc.strips[1:] {
		// Rows more than a plane and a row past the cut reach nothing before it.
		for r := st.r0; r < min(st.r1, st.r0+Y+1); r++ {
			z, y := r/Y, r%Y
			ra, abase := sc.rowRuns(r)
			if len(ra) == 0 {
				continue
			}
			for _, nb := range sc.nbrs {
				zz, yy := z+nb.dz, y+nb.dy
				if zz < 0 || yy < 0 || yy >= Y {
					continue
				}
				q := zz*Y + yy
				if q >= st.r0 {
					continue
				}
				rb, bbase := sc.rowRuns(q)
				j := 0
				for i, a := range ra {
					for j < len(rb) && rb[j].e+nb.ext <= a.s {
						j++
					}
					for k := j; k < len(rb) && rb[k].s < a.e+nb.ext; k++ {
						x, y := rootOf(abase+uint32(i)), rootOf(bbase+uint32(k))
						if x == y {
							continue
						}
						if x < y {
							x, y = y, x
						}
						sc.parent[x] = y
						touched = append(touched, x)
					}
				}
			}
		}
	}
	slices.Sort(touched)
	for _, t := range touched {
		sc.parent[t] = sc.parent[sc.parent[t]]
	}
}

// flatten points each of the strip's runs at its global root and counts the
// roots. It reads and writes only the strip's own entries: a run's parent is
// a root of its own strip (from the scan), whose parent is final.
func (sc *scan) flatten(st *strip) {
	p := sc.parent[st.off : int(st.off)+len(st.runs)]
	off := st.off
	roots := 0
	for i := range p {
		x := p[i]
		switch {
		case x == off+uint32(i):
			roots++
		case x >= off:
			p[i] = p[x-off]
		}
	}
	st.roots = roots
}

// number gives the strip's roots consecutive labels from st.base.
func (sc *scan) number(st *strip) {
	p := sc.parent[st.off : int(st.off)+len(st.runs)]
	lab := sc.lab[st.off : int(st.off)+len(st.runs)]
	next := st.base
	for i, x := range p {
		if x == st.off+uint32(i) {
			lab[i] = next
			next++
		}
	}
}

// label returns the final label of the strip's local run i.
func (sc *scan) label(st *strip, i int) uint32 {
	return sc.lab[sc.parent[st.off+uint32(i)]]
}

// writeStrip writes the strip's rows of labels into dst; with L uint16
// every label must fit.
func writeStrip[L labelElem](sc *scan, st *strip, dst []L) {
	X := sc.shape.X
	for r := st.r0; r < st.r1; r++ {
		writeRow(sc, st, r, dst[r*X:(r+1)*X])
	}
}

// writeRow writes the labels of row r, which strip st scanned, into row
// (X elements).
func writeRow[L labelElem](sc *scan, st *strip, r int, row []L) {
	i0, i1 := st.rowStart[r-st.r0], st.rowStart[r-st.r0+1]
	w := newRowWriter(row)
	prev := uintptr(0)
	for i, rn := range st.runs[i0:i1:i1] {
		s, e := uintptr(rn.s), min(uintptr(rn.e), w.n)
		if s >= e || s < prev {
			continue // cannot happen: runs are ordered and in the row
		}
		// Short segments (most of them) take one inlined block of
		// stores; the rest go through seg.
		if s+16 <= w.n && s-prev <= 16 {
			store16[L](w.p, prev, 0)
		} else if prev < s {
			w.seg(prev, s, 0)
		}
		vv := splat[L](sc.lab[sc.parent[st.off+i0+uint32(i)]])
		if e+16 <= w.n && e-s <= 16 {
			store16[L](w.p, s, vv)
		} else {
			w.seg(s, e, vv)
		}
		prev = e
	}
	if prev < w.n {
		w.seg(prev, w.n, 0)
	}
}

// stripOf returns the strip that scanned row r.
func (sc *scan) stripOf(r int) *strip { return sc.strips[r/sc.slen] }

// labelAt returns the label of column x of row r (0 for background).
func (sc *scan) labelAt(r, x int) uint32 {
	st := sc.stripOf(r)
	i0, i1 := st.rowStart[r-st.r0], st.rowStart[r-st.r0+1]
	runs := st.runs[i0:i1]
	i, _ := slices.BinarySearchFunc(runs, uint32(x), func(rn run, x uint32) int {
		if rn.e <= x {
			return -1
		}
		return 1
	})
	if i < len(runs) && runs[i].s <= uint32(x) {
		return sc.label(st, int(i0)+i)
	}
	return 0
}

// firsts returns, for every label, the flat index of its first voxel.
func (sc *scan) firsts() []int64 {
	out := make([]int64, sc.n)
	X := sc.shape.X
	for _, st := range sc.strips {
		for r := st.r0; r < st.r1; r++ {
			i0, i1 := st.rowStart[r-st.r0], st.rowStart[r-st.r0+1]
			for i := i0; i < i1; i++ {
				g := st.off + i
				if sc.parent[g] == g {
					out[sc.lab[g]-1] = int64(r)*int64(X) + int64(st.runs[i].s)
				}
			}
		}
	}
	return out
}

// parallel runs fn(0..n-1) on n goroutines (inline when n is 1).
func parallel(n int, fn func(k int)) {
	if n == 1 {
		fn(0)
		return
	}
	var wg sync.WaitGroup
	for k := range n {
		wg.Go(func() { fn(k) })
	}
	wg.Wait()
}

// defaultWorkers is the number of strips a labelling may use.
func defaultWorkers() int { return runtime.GOMAXPROCS(0) }
