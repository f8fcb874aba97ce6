package kernels

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/segstack/segstack/stack"
)

// MeasureSet selects the statistics Measure computes, one bit per
// scipy.ndimage measurement function.
type MeasureSet uint32

// The statistics of MeasureSet, named after the scipy.ndimage functions
// that compute them.
const (
	// MeasureSum is sum_labels (alias sum): the sum of the intensities.
	MeasureSum MeasureSet = 1 << iota
	// MeasureMean is mean: the sum over the voxel count.
	MeasureMean
	// MeasureVariance is variance: the population variance (ddof 0).
	MeasureVariance
	// MeasureStandardDeviation is standard_deviation: sqrt(variance).
	MeasureStandardDeviation
	// MeasureMinimum is minimum: the smallest intensity.
	MeasureMinimum
	// MeasureMaximum is maximum: the largest intensity.
	MeasureMaximum
	// MeasureMinimumPosition is minimum_position: where the smallest
	// intensity first occurs in raster order.
	MeasureMinimumPosition
	// MeasureMaximumPosition is maximum_position: where the largest
	// intensity first occurs in raster order.
	MeasureMaximumPosition
	// MeasureMedian is median: the middle intensity (the mean of the two
	// middle ones for an even count).
	MeasureMedian
	// MeasureCenterOfMass is center_of_mass: the intensity-weighted mean
	// coordinate.
	MeasureCenterOfMass

	// MeasureExtrema is extrema: minimum, maximum and their positions.
	MeasureExtrema = MeasureMinimum | MeasureMaximum | MeasureMinimumPosition | MeasureMaximumPosition
	// MeasureAll is every statistic.
	MeasureAll = MeasureCenterOfMass<<1 - 1
)

// measureNames are the scipy names of the bits of MeasureSet, in bit order.
var measureNames = []string{"sum", "mean", "variance", "standard_deviation", "minimum", "maximum",
	"minimum_position", "maximum_position", "median", "center_of_mass"}

// ParseMeasureSet reads a comma-separated list of scipy.ndimage function
// names: sum (or sum_labels), mean, variance, standard_deviation, minimum,
// maximum, minimum_position, maximum_position, median, center_of_mass,
// extrema (the four extrema), or all.
func ParseMeasureSet(s string) (MeasureSet, error) {
	var m MeasureSet
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		switch f {
		case "sum_labels":
			m |= MeasureSum
			continue
		case "extrema":
			m |= MeasureExtrema
			continue
		case "all":
			m |= MeasureAll
			continue
		}
		found := false
		for i, n := range measureNames {
			if f == n {
				m |= 1 << i
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("kernels: unknown measurement %q (want %s, extrema or all)", f, strings.Join(measureNames, ", "))
		}
	}
	return m, nil
}

// Names returns the scipy names of the statistics in m, in MeasureSet's
// bit order.
func (m MeasureSet) Names() []string {
	var out []string
	for i, n := range measureNames {
		if m&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// Measurements holds per-label statistics, entry i describing label
// Index[i], with the values scipy.ndimage gives for the same index list.
// Slices of statistics that were not asked for are nil.
//
// A label of the index that has no voxel gets scipy's values: Count and
// Sum 0, Mean, Variance, StandardDeviation and CenterOfMass NaN, Minimum,
// Maximum 0, positions (0, 0, 0), and Median the smallest intensity of the
// smallest label present in the volume (an artefact of scipy's sort-based
// median that Measure reproduces).
type Measurements struct {
	// Index is the label of each entry.
	Index []uint32
	// Count is the number of voxels of each label (always filled).
	Count []int64
	// Sum, Mean, Variance, StandardDeviation, Minimum, Maximum and Median
	// are the statistics of the same names.
	Sum, Mean, Variance, StandardDeviation, Minimum, Maximum, Median []float64
	// MinimumPosition and MaximumPosition are the first voxel in raster
	// order holding the minimum (maximum), ordered Z, Y, X.
	MinimumPosition, MaximumPosition [][3]int
	// CenterOfMass is the intensity-weighted mean coordinate, ordered Z, Y, X.
	CenterOfMass [][3]float64
}

// ErrMeasure is wrapped by the errors of the measurement functions for
// inputs they cannot measure (mismatched shapes, bad histogram ranges).
var ErrMeasure = errors.New("kernels: bad measurement input")

// measureBlockElems is the number of voxels, rounded to whole rows, that
// one task of a measurement accumulates on its own. Blocks depend only on
// the shape, so results never depend on the worker count.
var measureBlockElems = 1 << 16

// measureAcc is the running summary of one label over part of a volume.
// Positions are flat raster indices into the whole volume.
type measureAcc struct {
	n              int64
	sum, ssd       float64
	com            [3]float64
	min, max       float64
	minPos, maxPos int64
}

// merge adds o, which covers voxels after a's in raster order for the
// float sums; extrema ties go to the lower position whatever the order.
func (a *measureAcc) merge(o *measureAcc) {
	if o.n == 0 {
		return
	}
	if a.n == 0 {
		*a = *o
		return
	}
	a.n += o.n
	a.sum += o.sum
	a.ssd += o.ssd
	for d := range 3 {
		a.com[d] += o.com[d]
	}
	if o.min < a.min || o.min == a.min && o.minPos < a.minPos {
		a.min, a.minPos = o.min, o.minPos
	}
	if o.max > a.max || o.max == a.max && o.maxPos < a.maxPos {
		a.max, a.maxPos = o.max, o.maxPos
	}
}

// slotMap maps label values to the slots of the distinct labels of an
// index list.
type slotMap struct {
	dense  []int32 // label -> slot or -1, for labels < len(dense)
	sparse map[uint32]int32
	labels []uint32 // slot -> label
	of     []int32  // index entry -> slot
}

// maxDenseLabel bounds the dense label table; sparser index lists use a map.
const maxDenseLabel = 1 << 24

func newSlotMap(index []uint32) *slotMap {
	m := &slotMap{of: make([]int32, len(index))}
	var hi uint32
	for _, l := range index {
		hi = max(hi, l)
	}
	if int64(hi) < maxDenseLabel || int64(hi) < 4*int64(len(index)) {
		m.dense = make([]int32, int(hi)+1)
		for i := range m.dense {
			m.dense[i] = -1
		}
	} else {
		m.sparse = make(map[uint32]int32, len(index))
	}
	for i, l := range index {
		s := m.slot(l)
		if s < 0 {
			s = int32(len(m.labels))
			m.labels = append(m.labels, l)
			if m.dense != nil {
				m.dense[l] = s
			} else {
				m.sparse[l] = s
			}
		}
		m.of[i] = s
	}
	return m
}

func (m *slotMap) slot(l uint32) int32 {
	if m.dense != nil {
		if int(l) < len(m.dense) {
			return m.dense[l]
		}
		return -1
	}
	if s, ok := m.sparse[l]; ok {
		return s
	}
	return -1
}

// blockPlan splits a volume of shape s into blocks of whole rows.
type blockPlan struct {
	shape     stack.Shape
	rows      int // rows per block
	blocks    int
	totalRows int
}

func newBlockPlan(s stack.Shape) blockPlan {
	rows := max(1, measureBlockElems/max(1, s.X))
	total := s.Z * s.Y
	return blockPlan{shape: s, rows: rows, blocks: (total + rows - 1) / rows, totalRows: total}
}

// span returns the rows [r0, r1) of block b.
func (p blockPlan) span(b int) (r0, r1 int) {
	r0 = b * p.rows
	return r0, min(r0+p.rows, p.totalRows)
}

// blockSums is one block's summaries of the labels it touches.
type blockSums struct {
	slots []int32
	accs  []measureAcc
}

// accScratch is a worker's table from slot to the block's summary.
type accScratch struct {
	pos   []int32
	slots []int32
	accs  []measureAcc
}

func newAccScratch(nslots int) *accScratch {
	s := &accScratch{pos: make([]int32, nslots)}
	for i := range s.pos {
		s.pos[i] = -1
	}
	return s
}

func (s *accScratch) get(slot int32) *measureAcc {
	p := s.pos[slot]
	if p < 0 {
		p = int32(len(s.slots))
		s.pos[slot] = p
		s.slots = append(s.slots, slot)
		s.accs = append(s.accs, measureAcc{})
	}
	return &s.accs[p]
}

// take returns the block's summaries and clears the scratch.
func (s *accScratch) take() blockSums {
	out := blockSums{slots: append([]int32(nil), s.slots...), accs: append([]measureAcc(nil), s.accs...)}
	for _, sl := range s.slots {
		s.pos[sl] = -1
	}
	s.slots, s.accs = s.slots[:0], s.accs[:0]
	return out
}

// checkMeasureShapes checks that labels and intensity are usable together.
func checkMeasureShapes[T stack.Elem](labels *stack.Volume[uint32], intensity *stack.Volume[T]) error {
	if labels == nil || intensity == nil {
		return fmt.Errorf("%w: nil volume", ErrMeasure)
	}
	if err := labels.Shape.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrMeasure, err)
	}
	if labels.Shape != intensity.Shape {
		return fmt.Errorf("%w: labels %v and intensity %v differ in shape", ErrMeasure, labels.Shape, intensity.Shape)
	}
	if len(labels.Data) != labels.Shape.Len() || len(intensity.Data) != intensity.Shape.Len() {
		return fmt.Errorf("%w: data length does not match the shape %v", ErrMeasure, labels.Shape)
	}
	return nil
}

// AllLabels returns 1..max label of labels, the index list Measure uses
// when given none.
func AllLabels(ctx context.Context, labels *stack.Volume[uint32]) ([]uint32, error) {
	hi, err := Max(ctx, labels)
	if err != nil {
		return nil, err
	}
	out := make([]uint32, hi)
	for i := range out {
		out[i] = uint32(i + 1)
	}
	return out, nil
}

// Measure computes the statistics what of intensity over each label of
// index in labels, with scipy.ndimage's semantics (see Measurements). A nil
// index means every label from 1 to the largest in labels (unlike scipy's
// index=None, which pools all labels above 0); labels may appear in index
// more than once, and label 0 (the background) may be measured too.
//
// Everything but the median comes from one parallel pass over the volume
// (two with variance or standard_deviation, whose centred sums need the
// means first, as scipy's do); the median groups each label's values by a
// counting sort. Sums are taken in float64 in raster order within blocks
// of rows (a block is at least 65536 voxels) and the blocks' sums added in
// raster order, so the results do not depend on the number of workers.
// They equal scipy's bit for bit whenever the float64 sums are exact
// (integer intensities, sums below 2^53), or a label lies within one block;
// otherwise they differ only by the rounding of a different summation
// order (relative differences of order 1e-15 × the number of blocks).
func Measure[T stack.Elem](ctx context.Context, labels *stack.Volume[uint32], intensity *stack.Volume[T], index []uint32, what MeasureSet) (*Measurements, error) {
	if err := checkMeasureShapes(labels, intensity); err != nil {
		return nil, err
	}
	if what&^MeasureAll != 0 {
		return nil, fmt.Errorf("%w: unknown statistics %#x", ErrMeasure, uint32(what&^MeasureAll))
	}
	if index == nil {
		var err error
		if index, err = AllLabels(ctx, labels); err != nil {
			return nil, err
		}
	}
	sm := newSlotMap(index)
	accs, err := measureSums(ctx, labels, intensity, sm, what, placement{full: labels.Shape})
	if err != nil {
		return nil, err
	}
	if what&(MeasureVariance|MeasureStandardDeviation) != 0 {
		means := make([]float64, len(accs))
		for s := range accs {
			means[s] = accs[s].sum / float64(accs[s].n)
		}
		if err := measureCentred(ctx, labels, intensity, sm, means, accs); err != nil {
			return nil, err
		}
	}
	m := finishMeasurements(labels.Shape, index, sm, accs, what)
	if what&MeasureMedian != 0 {
		if m.Median, err = medianLabels(ctx, labels, intensity, sm); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// finishMeasurements turns the summaries of the slots into Measurements.
func finishMeasurements(shape stack.Shape, index []uint32, sm *slotMap, accs []measureAcc, what MeasureSet) *Measurements {
	n := len(index)
	m := &Measurements{Index: append([]uint32(nil), index...), Count: make([]int64, n)}
	f := func(bit MeasureSet) []float64 {
		if what&bit == 0 {
			return nil
		}
		return make([]float64, n)
	}
	m.Sum, m.Mean, m.Variance, m.StandardDeviation = f(MeasureSum), f(MeasureMean), f(MeasureVariance), f(MeasureStandardDeviation)
	m.Minimum, m.Maximum = f(MeasureMinimum), f(MeasureMaximum)
	if what&MeasureMinimumPosition != 0 {
		m.MinimumPosition = make([][3]int, n)
	}
	if what&MeasureMaximumPosition != 0 {
		m.MaximumPosition = make([][3]int, n)
	}
	if what&MeasureCenterOfMass != 0 {
		m.CenterOfMass = make([][3]float64, n)
	}
	for i := range index {
		a := &accs[sm.of[i]]
		cnt := float64(a.n)
		m.Count[i] = a.n
		if m.Sum != nil {
			m.Sum[i] = a.sum
		}
		if m.Mean != nil {
			m.Mean[i] = a.sum / cnt
		}
		v := a.ssd / cnt
		if m.Variance != nil {
			m.Variance[i] = v
		}
		if m.StandardDeviation != nil {
			m.StandardDeviation[i] = math.Sqrt(v)
		}
		if a.n == 0 {
			// scipy's values for a label without voxels: zeros (and
			// positions 0), NaN from 0/0 above.
			if m.CenterOfMass != nil {
				m.CenterOfMass[i] = [3]float64{math.NaN(), math.NaN(), math.NaN()}
			}
			continue
		}
		if m.Minimum != nil {
			m.Minimum[i] = a.min
		}
		if m.Maximum != nil {
			m.Maximum[i] = a.max
		}
		if m.MinimumPosition != nil {
			m.MinimumPosition[i] = unravel(shape, a.minPos)
		}
		if m.MaximumPosition != nil {
			m.MaximumPosition[i] = unravel(shape, a.maxPos)
		}
		if m.CenterOfMass != nil {
			for d := range 3 {
				m.CenterOfMass[i][d] = a.com[d] / a.sum
			}
		}
	}
	return m
}

func unravel(s stack.Shape, p int64) [3]int {
	i := int(p)
	return [3]int{i / (s.Y * s.X), i / s.X % s.Y, i % s.X}
}

// placement locates a volume (a chunk) within a full volume of shape full
// whose voxel origin is its first; positions and coordinates are those of
// the full volume.
type placement struct {
	origin [3]int
	full   stack.Shape
}

// measureSums is the first pass: counts, sums, extrema and the
// coordinate-weighted sums of every slot.
func measureSums[T stack.Elem](ctx context.Context, labels *stack.Volume[uint32], intensity *stack.Volume[T], sm *slotMap, what MeasureSet, pl placement) ([]measureAcc, error) {
	ext := what&(MeasureMinimum|MeasureMaximum|MeasureMinimumPosition|MeasureMaximumPosition) != 0
	com := what&MeasureCenterOfMass != 0
	return runBlocks(ctx, labels.Shape, len(sm.labels), func(sc *accScratch, r0, r1 int) {
		s := labels.Shape
		for r := r0; r < r1; r++ {
			lrow := labels.Data[r*s.X : (r+1)*s.X]
			irow := intensity.Data[r*s.X : (r+1)*s.X]
			z, y := pl.origin[0]+r/s.Y, pl.origin[1]+r%s.Y
			// base is the flat index of the row's first voxel in the full
			// volume, ox the x coordinate of that voxel.
			ox := pl.origin[2]
			base := (z*pl.full.Y+y)*pl.full.X + ox
			fz, fy := float64(z), float64(y)
			for x := 0; x < len(lrow); {
				l, x0 := lrow[x], x
				for x < len(lrow) && lrow[x] == l {
					x++
				}
				slot := sm.slot(l)
				if slot < 0 {
					continue
				}
				a := sc.get(slot)
				if a.n == 0 {
					v := float64(irow[x0])
					a.min, a.max = v, v
					a.minPos, a.maxPos = int64(base+x0), int64(base+x0)
				}
				a.n += int64(x - x0)
				sum := a.sum
				for _, e := range irow[x0:x] {
					sum += float64(e)
				}
				a.sum = sum
				if com {
					cz, cy, cx := a.com[0], a.com[1], a.com[2]
					for j, e := range irow[x0:x] {
						v := float64(e)
						// The conversions keep each product rounded on its
						// own, as numpy's are (no fused multiply-add).
						cz += float64(v * fz)
						cy += float64(v * fy)
						cx += float64(v * float64(ox+x0+j))
					}
					a.com = [3]float64{cz, cy, cx}
				}
				if ext {
					for j, e := range irow[x0:x] {
						v := float64(e)
						if v < a.min {
							a.min, a.minPos = v, int64(base+x0+j)
						}
						if v > a.max {
							a.max, a.maxPos = v, int64(base+x0+j)
						}
					}
				}
			}
		}
	})
}

// measureCentred is the second pass of variance: the sum of squared
// differences from each label's mean, as scipy's bincount of
// (input - means[labels])**2 takes it, added into accs.
func measureCentred[T stack.Elem](ctx context.Context, labels *stack.Volume[uint32], intensity *stack.Volume[T], sm *slotMap, means []float64, accs []measureAcc) error {
	out, err := runBlocks(ctx, labels.Shape, len(sm.labels), func(sc *accScratch, r0, r1 int) {
		s := labels.Shape
		for r := r0; r < r1; r++ {
			lrow := labels.Data[r*s.X : (r+1)*s.X]
			irow := intensity.Data[r*s.X : (r+1)*s.X]
			for x := 0; x < len(lrow); {
				l, x0 := lrow[x], x
				for x < len(lrow) && lrow[x] == l {
					x++
				}
				slot := sm.slot(l)
				if slot < 0 {
					continue
				}
				a := sc.get(slot)
				a.n += int64(x - x0)
				mean, ssd := means[slot], a.ssd
				for _, e := range irow[x0:x] {
					d := float64(e) - mean
					ssd += float64(d * d)
				}
				a.ssd = ssd
			}
		}
	})
	if err != nil {
		return err
	}
	for s := range accs {
		accs[s].n, accs[s].ssd = out[s].n, out[s].ssd
	}
	return nil
}

// runBlocks runs scan over every block of rows of a volume of shape s in
// parallel and merges the blocks' summaries in raster order.
func runBlocks(ctx context.Context, s stack.Shape, nslots int, scan func(sc *accScratch, r0, r1 int)) ([]measureAcc, error) {
	results, err := scanBlocks(ctx, s, nslots, scan)
	if err != nil {
		return nil, err
	}
	out := make([]measureAcc, nslots)
	for _, bs := range results {
		for k, sl := range bs.slots {
			out[sl].merge(&bs.accs[k])
		}
	}
	return out, nil
}

// scanBlocks runs scan over every block of rows of a volume of shape s in
// parallel and returns each block's summaries.
func scanBlocks(ctx context.Context, s stack.Shape, nslots int, scan func(sc *accScratch, r0, r1 int)) ([]blockSums, error) {
	plan := newBlockPlan(s)
	workers := workersFor(s.Len(), plan.blocks)
	scratch := make([]*accScratch, workers)
	results := make([]blockSums, plan.blocks)
	err := forEachItem(ctx, workers, plan.blocks, func(w, b int) error {
		if scratch[w] == nil {
			scratch[w] = newAccScratch(nslots)
		}
		r0, r1 := plan.span(b)
		scan(scratch[w], r0, r1)
		results[b] = scratch[w].take()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}
