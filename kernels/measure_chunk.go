package kernels

import (
	"context"
	"fmt"
	"slices"

	"github.com/segstack/segstack/stack"
)

// MeasurePlan measures a volume that is held in chunks (a lazy array, a
// volume on many machines): each chunk is summarised on its own with
// MeasureChunk, the summaries are merged with Merge in a fixed chunk order,
// and Finish gives the Measurements. Variance and standard deviation need a
// second round over the chunks (MeasureChunkCentred) with the merged first
// summary, as scipy's centred sums need the means. A plan may be shared by
// goroutines.
//
// The results equal Measure's on the whole volume, except that float sums
// are added chunk by chunk (in the merge order) instead of in blocks of
// rows: they depend on the chunking and the merge order, not on where or
// when the chunks ran.
type MeasurePlan struct {
	full  stack.Shape
	index []uint32
	what  MeasureSet
	sm    *slotMap
}

// NewMeasurePlan plans the statistics what over the labels of index (which
// must not be nil: see AllLabels) in a volume of shape full.
func NewMeasurePlan(full stack.Shape, index []uint32, what MeasureSet) (*MeasurePlan, error) {
	if err := full.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMeasure, err)
	}
	if index == nil {
		return nil, fmt.Errorf("%w: a plan needs an index list", ErrMeasure)
	}
	if what&^MeasureAll != 0 {
		return nil, fmt.Errorf("%w: unknown statistics %#x", ErrMeasure, uint32(what&^MeasureAll))
	}
	return &MeasurePlan{full: full, index: append([]uint32(nil), index...), what: what, sm: newSlotMap(index)}, nil
}

// NeedsCentred reports whether Finish needs a second round of chunk
// summaries (MeasureChunkCentred): variance or standard deviation.
func (p *MeasurePlan) NeedsCentred() bool {
	return p.what&(MeasureVariance|MeasureStandardDeviation) != 0
}

// MeasurePartial is the summary of one chunk, or of several merged.
type MeasurePartial struct {
	plan *MeasurePlan
	accs []measureAcc
	// values holds each slot's intensities when the median is wanted.
	values  [][]float64
	float32 bool
	// The smallest label seen and its smallest intensity, for scipy's
	// median of a label without voxels.
	seen          bool
	minLabel      uint32
	minLabelValue float64
	centred       bool
}

// checkChunk checks that a chunk of the given shape at origin fits in the
// plan's volume.
func (p *MeasurePlan) checkChunk(s stack.Shape, origin [3]int) error {
	full := p.full.Dims()
	for a, n := range s.Dims() {
		if origin[a] < 0 || origin[a]+n > full[a] {
			return fmt.Errorf("%w: chunk %v at %v does not fit in %v", ErrMeasure, s, origin, p.full)
		}
	}
	return nil
}

// MeasureChunk summarises the chunk whose first voxel is at origin (Z, Y,
// X) in the plan's volume.
func MeasureChunk[T stack.Elem](ctx context.Context, p *MeasurePlan, labels *stack.Volume[uint32], intensity *stack.Volume[T], origin [3]int) (*MeasurePartial, error) {
	if err := checkMeasureShapes(labels, intensity); err != nil {
		return nil, err
	}
	if err := p.checkChunk(labels.Shape, origin); err != nil {
		return nil, err
	}
	accs, err := measureSums(ctx, labels, intensity, p.sm, p.what, placement{origin: origin, full: p.full})
	if err != nil {
		return nil, err
	}
	out := &MeasurePartial{plan: p, accs: accs, float32: stack.DTypeOf[T]() == stack.Float32}
	if p.what&MeasureMedian != 0 {
		g, err := groupBySlot(ctx, labels, intensity, p.sm, false)
		if err != nil {
			return nil, err
		}
		out.values = make([][]float64, len(p.sm.labels))
		for s := range out.values {
			v := g.values[g.start[s]:g.start[s+1]]
			out.values[s] = make([]float64, len(v))
			for i, e := range v {
				out.values[s][i] = float64(e)
			}
		}
		for i, l := range labels.Data {
			v := float64(intensity.Data[i])
			if !out.seen || l < out.minLabel || l == out.minLabel && v < out.minLabelValue {
				out.seen, out.minLabel, out.minLabelValue = true, l, v
			}
		}
	}
	return out, nil
}

// MeasureChunkCentred is the second round of a plan that NeedsCentred:
// the centred sums of the chunk at origin, around the means of sums (the
// merged first-round summaries of every chunk).
func MeasureChunkCentred[T stack.Elem](ctx context.Context, p *MeasurePlan, sums *MeasurePartial, labels *stack.Volume[uint32], intensity *stack.Volume[T], origin [3]int) (*MeasurePartial, error) {
	if err := checkMeasureShapes(labels, intensity); err != nil {
		return nil, err
	}
	if err := p.checkChunk(labels.Shape, origin); err != nil {
		return nil, err
	}
	if sums == nil || sums.plan != p {
		return nil, fmt.Errorf("%w: the first-round summary is not of this plan", ErrMeasure)
	}
	means := make([]float64, len(sums.accs))
	for s, a := range sums.accs {
		means[s] = a.sum / float64(a.n)
	}
	accs := make([]measureAcc, len(means))
	if err := measureCentred(ctx, labels, intensity, p.sm, means, accs); err != nil {
		return nil, err
	}
	return &MeasurePartial{plan: p, accs: accs, centred: true}, nil
}

// Merge adds o, the summary of chunks that come after m's in the merge
// order, into m.
func (m *MeasurePartial) Merge(o *MeasurePartial) error {
	if o == nil || o.plan != m.plan || o.centred != m.centred {
		return fmt.Errorf("%w: summaries of different plans or rounds", ErrMeasure)
	}
	for s := range m.accs {
		m.accs[s].merge(&o.accs[s])
	}
	if m.values != nil {
		for s := range m.values {
			m.values[s] = append(m.values[s], o.values[s]...)
		}
	}
	m.float32 = m.float32 || o.float32
	if o.seen && (!m.seen || o.minLabel < m.minLabel || o.minLabel == m.minLabel && o.minLabelValue < m.minLabelValue) {
		m.seen, m.minLabel, m.minLabelValue = true, o.minLabel, o.minLabelValue
	}
	return nil
}

// Finish turns the merged summaries of every chunk into Measurements;
// centred is the merged second round, nil unless the plan NeedsCentred.
func (p *MeasurePlan) Finish(sums, centred *MeasurePartial) (*Measurements, error) {
	if sums == nil || sums.plan != p || sums.centred {
		return nil, fmt.Errorf("%w: the summary is not this plan's first round", ErrMeasure)
	}
	accs := slices.Clone(sums.accs)
	if p.NeedsCentred() {
		if centred == nil || centred.plan != p || !centred.centred {
			return nil, fmt.Errorf("%w: variance needs the plan's second round", ErrMeasure)
		}
		for s := range accs {
			accs[s].ssd = centred.accs[s].ssd
		}
	}
	m := finishMeasurements(p.full, p.index, p.sm, accs, p.what)
	if p.what&MeasureMedian != 0 {
		med := make([]float64, len(p.sm.labels))
		for s, v := range sums.values {
			if len(v) == 0 {
				med[s] = medianPair(sums.minLabelValue, sums.minLabelValue, sums.float32)
			} else {
				v = slices.Clone(v)
				k := (len(v) - 1) / 2
				lo := selectKth(v, k)
				hi := lo
				if len(v)%2 == 0 {
					hi = slices.Min(v[k+1:])
				}
				med[s] = medianPair(lo, hi, sums.float32)
			}
		}
		m.Median = make([]float64, len(p.index))
		for i, s := range p.sm.of {
			m.Median[i] = med[s]
		}
	}
	return m, nil
}

// medianPair is medianOf for values held as float64.
func medianPair(a, b float64, isFloat32 bool) float64 {
	if isFloat32 {
		return float64((float32(a) + float32(b)) / 2)
	}
	return (a + b) / 2
}
