package array

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/segstack/segstack/delayed"
	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/sched"
	"github.com/segstack/segstack/stack"
)

// Measure computes scipy.ndimage's per-label statistics (those of what) of
// intensity over the labels of index in labels, as
// dask_image.ndmeasure does on dask arrays: one task per chunk summarises
// the chunk (kernels.MeasureChunk) and one task merges the summaries in
// chunk raster order; variance and standard deviation take a second round
// over the chunks around the merged means. exec runs the tasks (nil: a
// LocalCluster with one worker per core for the call).
//
// labels and intensity must have the same shape and chunks; labels must
// hold integers (they are read as uint32), intensity any type but float64.
// A nil index means every label 1..max label (one more pass to find the
// largest). Positions and centres of mass are ordered Z, Y, X, with Z = 0
// (and Y = 0) for arrays of rank 2 (1). The results are those of
// kernels.Measure on the whole volume, float sums being added chunk by
// chunk: they do not depend on the executor or the worker count.
func Measure(ctx context.Context, exec delayed.Executor, labels, intensity *Array, index []uint32, what kernels.MeasureSet) (*kernels.Measurements, error) {
	if err := checkMeasurePair(labels, intensity); err != nil {
		return nil, err
	}
	if intensity.dt == stack.Float64 {
		return nil, fmt.Errorf("%w: float64 intensity (use Astype(stack.Float32))", kernels.ErrMeasure)
	}
	exec, done, err := executor(exec)
	if err != nil {
		return nil, err
	}
	defer done()
	if index == nil {
		if index, err = allLabels(ctx, exec, labels); err != nil {
			return nil, err
		}
	}
	plan, err := kernels.NewMeasurePlan(stack.ShapeOf(labels.shape), index, what)
	if err != nil {
		return nil, err
	}
	sums, err := measureRound(ctx, exec, plan, labels, intensity, nil)
	if err != nil {
		return nil, err
	}
	var centred *kernels.MeasurePartial
	if plan.NeedsCentred() {
		if centred, err = measureRound(ctx, exec, plan, labels, intensity, sums); err != nil {
			return nil, err
		}
	}
	return plan.Finish(sums, centred)
}

// FindObjects is scipy.ndimage.find_objects on a lazy label array, as
// kernels.FindObjects: the boxes of labels 1..maxLabel (0: up to the
// largest label), found chunk by chunk and merged.
func FindObjects(ctx context.Context, exec delayed.Executor, labels *Array, maxLabel int) ([]stack.Box, error) {
	if labels.err != nil {
		return nil, labels.err
	}
	if labels.dt.IsFloat() {
		return nil, fmt.Errorf("%w: labels are %v, want integers", kernels.ErrMeasure, labels.dt)
	}
	if maxLabel < 0 {
		return nil, fmt.Errorf("%w: negative max label %d", kernels.ErrMeasure, maxLabel)
	}
	exec, done, err := executor(exec)
	if err != nil {
		return nil, err
	}
	defer done()
	starts := labels.chunks.starts()
	partial := newLayer("find_objects-partial")
	nodes := make([]*node, len(labels.blocks))
	for i, blk := range labels.blocks {
		idx := labels.chunks.coords(i)
		shape := stack.ShapeOf(labels.chunks.shapeOf(idx))
		origin := [3]int{starts[0][idx[0]], starts[1][idx[1]], starts[2][idx[2]]}
		nodes[i] = unary(partial, blk, func(ctx context.Context, v []any) (any, error) {
			lab, err := labelChunk(v[0].(buf), shape)
			if err != nil {
				return nil, err
			}
			boxes, err := kernels.FindObjects(ctx, lab, maxLabel)
			if err != nil {
				return nil, err
			}
			for j := range boxes {
				if boxes[j].Hi[2] > boxes[j].Lo[2] {
					for a := range 3 {
						boxes[j].Lo[a] += origin[a]
						boxes[j].Hi[a] += origin[a]
					}
				}
			}
			return boxes, nil
		})
	}
	merge := &node{layer: newLayer("find_objects"), deps: nodes, fn: func(_ context.Context, v []any) (any, error) {
		var out []stack.Box
		for _, x := range v {
			boxes := x.([]stack.Box)
			for len(out) < len(boxes) {
				out = append(out, stack.Box{})
			}
			for j, b := range boxes {
				if b.Hi[2] <= b.Lo[2] {
					continue
				}
				o := &out[j]
				if o.Hi[2] <= o.Lo[2] {
					*o = b
					continue
				}
				for a := range 3 {
					o.Lo[a] = min(o.Lo[a], b.Lo[a])
					o.Hi[a] = max(o.Hi[a], b.Hi[a])
				}
			}
		}
		for len(out) < maxLabel {
			out = append(out, stack.Box{})
		}
		return out, nil
	}}
	r, err := runValue(ctx, exec, merge)
	if err != nil {
		return nil, err
	}
	return r.([]stack.Box), nil
}

// checkMeasurePair checks that labels and intensity can be measured
// together.
func checkMeasurePair(labels, intensity *Array) error {
	if labels.err != nil {
		return labels.err
	}
	if intensity.err != nil {
		return intensity.err
	}
	if labels.shape != intensity.shape || labels.rank != intensity.rank {
		return fmt.Errorf("%w: labels %v and intensity %v differ in shape", ErrShape, labels.Shape(), intensity.Shape())
	}
	if !labels.chunks.equal(intensity.chunks) {
		return fmt.Errorf("%w: labels and intensity have different chunks (rechunk one like the other)", ErrShape)
	}
	if labels.dt.IsFloat() {
		return fmt.Errorf("%w: labels are %v, want integers", kernels.ErrMeasure, labels.dt)
	}
	return nil
}

// executor returns exec, or a LocalCluster for the call when it is nil,
// and the function that closes that cluster.
func executor(exec delayed.Executor) (delayed.Executor, func(), error) {
	if exec != nil {
		return exec, func() {}, nil
	}
	c, err := sched.NewLocalCluster(sched.Options{})
	if err != nil {
		return nil, nil, fmt.Errorf("array: starting a local cluster: %w", err)
	}
	return c, func() { c.Close() }, nil
}

// runValue computes the task n on exec and returns its value.
func runValue(ctx context.Context, exec delayed.Executor, n *node) (any, error) {
	vals := lower([]*node{n})
	if err := delayed.Compute(ctx, bounded(exec), vals[0]); err != nil {
		return nil, fmt.Errorf("array: computing %s: %w", n.layer.name, err)
	}
	return vals[0].Result()
}

// allLabels is 1..the largest label of labels.
func allLabels(ctx context.Context, exec delayed.Executor, labels *Array) ([]uint32, error) {
	r, err := labels.Max().Compute(ctx, exec)
	if err != nil {
		return nil, err
	}
	hi, err := r.Scalar()
	if err != nil {
		return nil, err
	}
	if hi < 0 || hi > float64(^uint32(0)) {
		return nil, fmt.Errorf("%w: labels up to %g do not fit uint32", kernels.ErrMeasure, hi)
	}
	index := make([]uint32, int(hi))
	for i := range index {
		index[i] = uint32(i + 1)
	}
	return index, nil
}

// labelChunk views a chunk of labels as a uint32 volume.
func labelChunk(b buf, s stack.Shape) (*stack.Volume[uint32], error) {
	if b.dtype().IsSigned() {
		for i := range b.length() {
			if b.at(i) < 0 {
				return nil, fmt.Errorf("%w: negative label %g", kernels.ErrMeasure, b.at(i))
			}
		}
	}
	return stack.FromSlice(s, b.convert(stack.Uint32).raw().([]uint32))
}

// measureRound runs one round of plan over the chunks: the first
// (sums == nil) or the centred one around sums.
func measureRound(ctx context.Context, exec delayed.Executor, plan *kernels.MeasurePlan, labels, intensity *Array, sums *kernels.MeasurePartial) (*kernels.MeasurePartial, error) {
	starts := labels.chunks.starts()
	name := "measure"
	if sums != nil {
		name = "measure-centred"
	}
	partial := newLayer(name + "-partial")
	nodes := make([]*node, len(labels.blocks))
	for i := range labels.blocks {
		idx := labels.chunks.coords(i)
		shape := stack.ShapeOf(labels.chunks.shapeOf(idx))
		origin := [3]int{starts[0][idx[0]], starts[1][idx[1]], starts[2][idx[2]]}
		nodes[i] = binary(partial, labels.blocks[i], intensity.blocks[i], func(ctx context.Context, v []any) (any, error) {
			lab, err := labelChunk(v[0].(buf), shape)
			if err != nil {
				return nil, err
			}
			switch raw := v[1].(buf).raw().(type) {
			case []uint8:
				return measureChunkOf(ctx, plan, sums, lab, shape, raw, origin)
			case []uint16:
				return measureChunkOf(ctx, plan, sums, lab, shape, raw, origin)
			case []int16:
				return measureChunkOf(ctx, plan, sums, lab, shape, raw, origin)
			case []uint32:
				return measureChunkOf(ctx, plan, sums, lab, shape, raw, origin)
			case []int32:
				return measureChunkOf(ctx, plan, sums, lab, shape, raw, origin)
			case []float32:
				return measureChunkOf(ctx, plan, sums, lab, shape, raw, origin)
			}
			return nil, fmt.Errorf("%w: intensity chunk of %v", kernels.ErrMeasure, v[1].(buf).dtype())
		})
	}
	merge := &node{layer: newLayer(name), deps: nodes, fn: func(_ context.Context, v []any) (any, error) {
		acc := v[0].(*kernels.MeasurePartial)
		for _, x := range v[1:] {
			if err := acc.Merge(x.(*kernels.MeasurePartial)); err != nil {
				return nil, err
			}
		}
		return acc, nil
	}}
	r, err := runValue(ctx, exec, merge)
	if err != nil {
		return nil, err
	}
	return r.(*kernels.MeasurePartial), nil
}

func measureChunkOf[T stack.Elem](ctx context.Context, plan *kernels.MeasurePlan, sums *kernels.MeasurePartial, lab *stack.Volume[uint32], s stack.Shape, data []T, origin [3]int) (*kernels.MeasurePartial, error) {
	img, err := stack.FromSlice(s, data)
	if err != nil {
		return nil, err
	}
	if sums != nil {
		return kernels.MeasureChunkCentred(ctx, plan, sums, lab, img, origin)
	}
	return kernels.MeasureChunk(ctx, plan, lab, img, origin)
}

// HistogramLabels is scipy.ndimage.histogram(input, lo, hi, bins, labels,
// index) on lazy arrays, as kernels.HistogramLabels: each chunk's counts
// per label, added up (integer counts, so the order does not matter). A
// label without voxels gets nil; a nil index means 1..max label.
func HistogramLabels(ctx context.Context, exec delayed.Executor, labels, intensity *Array, lo, hi float64, bins int, index []uint32) ([][]int64, error) {
	if err := checkMeasurePair(labels, intensity); err != nil {
		return nil, err
	}
	if _, err := kernels.HistogramEdges(lo, hi, bins); err != nil {
		return nil, err
	}
	if intensity.dt == stack.Float64 {
		return nil, fmt.Errorf("%w: float64 intensity (use Astype(stack.Float32))", kernels.ErrMeasure)
	}
	exec, done, err := executor(exec)
	if err != nil {
		return nil, err
	}
	defer done()
	if index == nil {
		if index, err = allLabels(ctx, exec, labels); err != nil {
			return nil, err
		}
	}
	partial := newLayer("histogram-partial")
	nodes := make([]*node, len(labels.blocks))
	for i := range labels.blocks {
		shape := stack.ShapeOf(labels.chunks.shapeOf(labels.chunks.coords(i)))
		nodes[i] = binary(partial, labels.blocks[i], intensity.blocks[i], func(ctx context.Context, v []any) (any, error) {
			lab, err := labelChunk(v[0].(buf), shape)
			if err != nil {
				return nil, err
			}
			switch raw := v[1].(buf).raw().(type) {
			case []uint8:
				return histogramChunk(ctx, lab, shape, raw, lo, hi, bins, index)
			case []uint16:
				return histogramChunk(ctx, lab, shape, raw, lo, hi, bins, index)
			case []int16:
				return histogramChunk(ctx, lab, shape, raw, lo, hi, bins, index)
			case []uint32:
				return histogramChunk(ctx, lab, shape, raw, lo, hi, bins, index)
			case []int32:
				return histogramChunk(ctx, lab, shape, raw, lo, hi, bins, index)
			case []float32:
				return histogramChunk(ctx, lab, shape, raw, lo, hi, bins, index)
			}
			return nil, fmt.Errorf("%w: intensity chunk of %v", kernels.ErrMeasure, v[1].(buf).dtype())
		})
	}
	merge := &node{layer: newLayer("histogram"), deps: nodes, fn: func(_ context.Context, v []any) (any, error) {
		out := make([][]int64, len(index))
		for _, x := range v {
			for i, h := range x.([][]int64) {
				if h == nil {
					continue
				}
				if out[i] == nil {
					out[i] = make([]int64, bins)
				}
				for k, c := range h {
					out[i][k] += c
				}
			}
		}
		return out, nil
	}}
	r, err := runValue(ctx, exec, merge)
	if err != nil {
		return nil, err
	}
	return r.([][]int64), nil
}

func histogramChunk[T stack.Elem](ctx context.Context, lab *stack.Volume[uint32], s stack.Shape, data []T, lo, hi float64, bins int, index []uint32) ([][]int64, error) {
	img, err := stack.FromSlice(s, data)
	if err != nil {
		return nil, err
	}
	return kernels.HistogramLabels(ctx, lab, img, lo, hi, bins, index)
}

// LabeledComprehension is scipy.ndimage.labeled_comprehension on lazy
// arrays, as kernels.LabeledComprehension: fn gets each label's
// intensities in raster order (gathered chunk by chunk with their
// positions, then put back in raster order) and dflt stands for a label
// without voxels. The intensity array must hold T. fn runs once per
// distinct label, on the calling goroutine, after the chunks are computed;
// a nil index means 1..max label.
func LabeledComprehension[T stack.Elem, R any](ctx context.Context, exec delayed.Executor, labels, intensity *Array, index []uint32, fn func(values []T) R, dflt R) ([]R, error) {
	if err := checkMeasurePair(labels, intensity); err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, fmt.Errorf("%w: nil function", kernels.ErrMeasure)
	}
	if want := dtypeOfT[T](); intensity.dt != want {
		return nil, fmt.Errorf("%w: intensity holds %v, the function takes %v", kernels.ErrMeasure, intensity.dt, want)
	}
	exec, done, err := executor(exec)
	if err != nil {
		return nil, err
	}
	defer done()
	if index == nil {
		if index, err = allLabels(ctx, exec, labels); err != nil {
			return nil, err
		}
	}
	// One entry per distinct label: its values and their flat raster
	// positions in the whole array.
	type group struct {
		values []T
		pos    []int
	}
	distinct := make([]uint32, 0, len(index))
	slot := make(map[uint32]int, len(index))
	for _, l := range index {
		if _, ok := slot[l]; !ok {
			slot[l] = len(distinct)
			distinct = append(distinct, l)
		}
	}
	full := labels.shape
	starts := labels.chunks.starts()
	partial := newLayer("labeled_comprehension-partial")
	nodes := make([]*node, len(labels.blocks))
	for i := range labels.blocks {
		idx := labels.chunks.coords(i)
		shape := stack.ShapeOf(labels.chunks.shapeOf(idx))
		origin := [3]int{starts[0][idx[0]], starts[1][idx[1]], starts[2][idx[2]]}
		nodes[i] = binary(partial, labels.blocks[i], intensity.blocks[i], func(ctx context.Context, v []any) (any, error) {
			lab, err := labelChunk(v[0].(buf), shape)
			if err != nil {
				return nil, err
			}
			img, err := stack.FromSlice(shape, v[1].(buf).raw().([]T))
			if err != nil {
				return nil, err
			}
			return kernels.LabeledComprehensionPositions(ctx, lab, img, distinct, func(vals []T, pos []int) group {
				g := group{values: append([]T(nil), vals...), pos: make([]int, len(pos))}
				for k, p := range pos {
					z, y, x := p/(shape.Y*shape.X), p/shape.X%shape.Y, p%shape.X
					g.pos[k] = ((origin[0]+z)*full[1]+origin[1]+y)*full[2] + origin[2] + x
				}
				return g
			}, group{})
		})
	}
	merge := &node{layer: newLayer("labeled_comprehension"), deps: nodes, fn: func(_ context.Context, v []any) (any, error) {
		out := make([]group, len(distinct))
		for _, x := range v {
			for s, g := range x.([]group) {
				out[s].values = append(out[s].values, g.values...)
				out[s].pos = append(out[s].pos, g.pos...)
			}
		}
		return out, nil
	}}
	r, err := runValue(ctx, exec, merge)
	if err != nil {
		return nil, err
	}
	groups := r.([]group)
	res := make([]R, len(distinct))
	for s, g := range groups {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(g.values) == 0 {
			res[s] = dflt
			continue
		}
		order := make([]int, len(g.pos))
		for k := range order {
			order[k] = k
		}
		slices.SortFunc(order, func(a, b int) int { return cmp.Compare(g.pos[a], g.pos[b]) })
		vals := make([]T, len(order))
		for k, o := range order {
			vals[k] = g.values[o]
		}
		res[s] = fn(vals)
	}
	out := make([]R, len(index))
	for i, l := range index {
		out[i] = res[slot[l]]
	}
	return out, nil
}
