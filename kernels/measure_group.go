package kernels

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/segstack/segstack/stack"
)

// grouped holds the voxels of the slots of a slotMap sorted by slot, each
// slot's voxels in raster order: slot s owns values[start[s]:start[s+1]]
// (and the same range of positions, flat raster indices, when asked for).
type grouped[T stack.Elem] struct {
	start     []int
	values    []T
	positions []int
}

// groupBySlot sorts the voxels of labels in sm's slots by slot with a
// parallel counting sort: one pass counts each block's voxels per slot, a
// second scatters every block into its own ranges, so the order within a
// slot is raster order whatever the worker count.
func groupBySlot[T stack.Elem](ctx context.Context, labels *stack.Volume[uint32], intensity *stack.Volume[T], sm *slotMap, withPositions bool) (*grouped[T], error) {
	s := labels.Shape
	nslots := len(sm.labels)
	counts, err := scanBlocks(ctx, s, nslots, func(sc *accScratch, r0, r1 int) {
		lrow := labels.Data[r0*s.X : r1*s.X]
		for x := 0; x < len(lrow); {
			l, x0 := lrow[x], x
			for x < len(lrow) && lrow[x] == l {
				x++
			}
			if slot := sm.slot(l); slot >= 0 {
				sc.get(slot).n += int64(x - x0)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	g := &grouped[T]{start: make([]int, nslots+1)}
	for _, bs := range counts {
		for k, sl := range bs.slots {
			g.start[sl+1] += int(bs.accs[k].n)
		}
	}
	for i := range nslots {
		g.start[i+1] += g.start[i]
	}
	// Each block's first write position per slot, in block order.
	cursor := append([]int(nil), g.start[:nslots]...)
	for _, bs := range counts {
		for k, sl := range bs.slots {
			n := int(bs.accs[k].n)
			bs.accs[k].n = int64(cursor[sl])
			cursor[sl] += n
		}
	}
	total := g.start[nslots]
	g.values = make([]T, total)
	if withPositions {
		g.positions = make([]int, total)
	}
	plan := newBlockPlan(s)
	workers := workersFor(s.Len(), plan.blocks)
	tables := make([][]int32, workers)
	err = forEachItem(ctx, workers, plan.blocks, func(w, b int) error {
		if tables[w] == nil {
			tables[w] = make([]int32, nslots)
		}
		pos := tables[w]
		bs := counts[b]
		for k, sl := range bs.slots {
			pos[sl] = int32(k)
		}
		next := make([]int, len(bs.slots))
		for k := range bs.slots {
			next[k] = int(bs.accs[k].n)
		}
		r0, r1 := plan.span(b)
		base := r0 * s.X
		lrow := labels.Data[base : r1*s.X]
		irow := intensity.Data[base : r1*s.X]
		for x := 0; x < len(lrow); {
			l, x0 := lrow[x], x
			for x < len(lrow) && lrow[x] == l {
				x++
			}
			slot := sm.slot(l)
			if slot < 0 {
				continue
			}
			k := pos[slot]
			at := next[k]
			copy(g.values[at:], irow[x0:x])
			if withPositions {
				for j := range x - x0 {
					g.positions[at+j] = base + x0 + j
				}
			}
			next[k] = at + x - x0
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// medianOf returns scipy's median of two middle values a <= b: their mean
// in float64 for integers, in the intensity type for float32.
func medianOf[T stack.Elem](a, b T) float64 {
	if stack.DTypeOf[T]() == stack.Float32 {
		fa, fb := float32(a), float32(b)
		return float64((fa + fb) / 2)
	}
	return (float64(a) + float64(b)) / 2
}

// medianInPlace returns the median of v, reordering v.
func medianInPlace[T stack.Elem](v []T) float64 {
	n := len(v)
	k := (n - 1) / 2
	lo := selectKth(v, k)
	if n%2 == 1 {
		return medianOf(lo, lo)
	}
	return medianOf(lo, slices.Min(v[k+1:]))
}

// selectKth reorders v so that v[k] holds the k-th smallest element, the
// smaller ones before it and the larger ones after it, and returns v[k].
func selectKth[T cmp.Ordered](v []T, k int) T {
	lo, hi := 0, len(v)-1
	for hi-lo > 16 {
		// Median of three as the pivot, then a Hoare partition.
		mid := lo + (hi-lo)/2
		if v[mid] < v[lo] {
			v[mid], v[lo] = v[lo], v[mid]
		}
		if v[hi] < v[lo] {
			v[hi], v[lo] = v[lo], v[hi]
		}
		if v[hi] < v[mid] {
			v[hi], v[mid] = v[mid], v[hi]
		}
		p := v[mid]
		i, j := lo, hi
		for i <= j {
			for v[i] < p {
				i++
			}
			for v[j] > p {
				j--
			}
			if i <= j {
				v[i], v[j] = v[j], v[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return v[k]
		}
	}
	slices.Sort(v[lo : hi+1])
	return v[k]
}

// absentMedian is the median scipy reports for a label without voxels: the
// smallest intensity of the smallest label present (its sort puts that
// voxel first, and the label's empty range points there).
func absentMedian[T stack.Elem](ctx context.Context, labels *stack.Volume[uint32], intensity *stack.Volume[T]) (float64, error) {
	lmin, err := Min(ctx, labels)
	if err != nil {
		return 0, err
	}
	first := true
	var m T
	for i, l := range labels.Data {
		if l == lmin && (first || intensity.Data[i] < m) {
			m, first = intensity.Data[i], false
		}
	}
	return medianOf(m, m), nil
}

// medianLabels computes the median of every index entry.
func medianLabels[T stack.Elem](ctx context.Context, labels *stack.Volume[uint32], intensity *stack.Volume[T], sm *slotMap) ([]float64, error) {
	g, err := groupBySlot(ctx, labels, intensity, sm, false)
	if err != nil {
		return nil, err
	}
	nslots := len(sm.labels)
	med := make([]float64, nslots)
	err = forEachItem(ctx, workersFor(len(g.values), nslots), nslots, func(_, s int) error {
		v := g.values[g.start[s]:g.start[s+1]]
		if len(v) > 0 {
			med[s] = medianInPlace(v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	missing := false
	for s := range nslots {
		missing = missing || g.start[s] == g.start[s+1]
	}
	if missing {
		am, err := absentMedian(ctx, labels, intensity)
		if err != nil {
			return nil, err
		}
		for s := range nslots {
			if g.start[s] == g.start[s+1] {
				med[s] = am
			}
		}
	}
	out := make([]float64, len(sm.of))
	for i, s := range sm.of {
		out[i] = med[s]
	}
	return out, nil
}

// LabeledComprehension calls fn with the intensities of each label of index
// (in raster order) and returns its results, dflt for labels without
// voxels: scipy.ndimage.labeled_comprehension with out_dtype R and default
// dflt. A nil index means 1..max label. The voxels are grouped by label in
// parallel; fn is then called once per distinct label, on one goroutine,
// in the order of index. fn may reorder values but must not keep it.
//
// scipy sorts the values with an unstable sort before calling its func, so
// an order-dependent fn may see them in another order there.
func LabeledComprehension[T stack.Elem, R any](ctx context.Context, labels *stack.Volume[uint32], intensity *stack.Volume[T], index []uint32, fn func(values []T) R, dflt R) ([]R, error) {
	if fn == nil {
		return nil, fmt.Errorf("%w: nil function", ErrMeasure)
	}
	return comprehension(ctx, labels, intensity, index, false, func(v []T, _ []int) R { return fn(v) }, dflt)
}

// LabeledComprehensionPositions is LabeledComprehension with
// pass_positions=True: fn also gets each value's flat raster index into
// the volume ((z*Y + y)*X + x).
func LabeledComprehensionPositions[T stack.Elem, R any](ctx context.Context, labels *stack.Volume[uint32], intensity *stack.Volume[T], index []uint32, fn func(values []T, positions []int) R, dflt R) ([]R, error) {
	return comprehension(ctx, labels, intensity, index, true, fn, dflt)
}

func comprehension[T stack.Elem, R any](ctx context.Context, labels *stack.Volume[uint32], intensity *stack.Volume[T], index []uint32, withPositions bool, fn func([]T, []int) R, dflt R) ([]R, error) {
	if err := checkMeasureShapes(labels, intensity); err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, fmt.Errorf("%w: nil function", ErrMeasure)
	}
	if index == nil {
		var err error
		if index, err = AllLabels(ctx, labels); err != nil {
			return nil, err
		}
	}
	sm := newSlotMap(index)
	g, err := groupBySlot(ctx, labels, intensity, sm, withPositions)
	if err != nil {
		return nil, err
	}
	res := make([]R, len(sm.labels))
	done := make([]bool, len(sm.labels))
	out := make([]R, len(index))
	for i, s := range sm.of {
		if !done[s] {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			a, b := g.start[s], g.start[s+1]
			if a == b {
				res[s] = dflt
			} else {
				var pos []int
				if withPositions {
					pos = g.positions[a:b]
				}
				res[s] = fn(g.values[a:b], pos)
			}
			done[s] = true
		}
		out[i] = res[s]
	}
	return out, nil
}

// HistogramEdges returns the bins+1 edges of
// scipy.ndimage.histogram(input, min, max, bins): numpy.linspace(lo, hi,
// bins+1), rounded as numpy rounds them.
func HistogramEdges(lo, hi float64, bins int) ([]float64, error) {
	if bins < 1 {
		return nil, fmt.Errorf("%w: histogram needs at least one bin, not %d", ErrMeasure, bins)
	}
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || lo > hi {
		return nil, fmt.Errorf("%w: histogram range [%g, %g] is not finite and increasing", ErrMeasure, lo, hi)
	}
	e := make([]float64, bins+1)
	div := float64(bins)
	delta := hi - lo
	step := delta / div
	for i := range e {
		if step == 0 {
			e[i] = float64(i)/div*delta + lo
		} else {
			e[i] = float64(float64(i)*step) + lo
		}
	}
	e[bins] = hi
	return e, nil
}

// HistogramLabels counts the intensities of each label of index in bins
// equal bins over [lo, hi], as scipy.ndimage.histogram(input, lo, hi,
// bins, labels, index): values outside [lo, hi] are not counted, the last
// bin includes hi, and the edges are HistogramEdges'. A label without
// voxels gets nil (scipy's None). A nil index means 1..max label.
func HistogramLabels[T stack.Elem](ctx context.Context, labels *stack.Volume[uint32], intensity *stack.Volume[T], lo, hi float64, bins int, index []uint32) ([][]int64, error) {
	edges, err := HistogramEdges(lo, hi, bins)
	if err != nil {
		return nil, err
	}
	return LabeledComprehension(ctx, labels, intensity, index, func(v []T) []int64 {
		return histogramCounts(v, edges)
	}, nil)
}

// histogramCounts is numpy.histogram(v, edges)[0].
func histogramCounts[T stack.Elem](v []T, edges []float64) []int64 {
	bins := len(edges) - 1
	h := make([]int64, bins)
	first, last := edges[0], edges[bins]
	for _, e := range v {
		x := float64(e)
		if !(x >= first && x <= last) {
			continue
		}
		// The last edge e[i] <= x, e[bins] itself belonging to the last bin.
		i, _ := slices.BinarySearch(edges, x)
		if i == len(edges) || edges[i] != x {
			i--
		} else {
			// Equal edges (lo == hi) all count from the last equal one.
			for i+1 < len(edges) && edges[i+1] == x {
				i++
			}
		}
		h[min(i, bins-1)]++
	}
	return h
}
