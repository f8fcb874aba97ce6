package array

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/segstack/segstack/delayed"
	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// PeakLocalMax finds the local maxima of image as kernels.PeakLocalMax
// (skimage.feature.peak_local_max without labels) does on the whole array,
// and returns the same coordinates in the same order (Z, Y, X; Z = 0 for a
// 2-D array). The image is taken as float32 (numpy's astype).
//
// The work that reads every pixel runs chunk by chunk: the candidates, the
// pixels equal to the maximum of their (2·MinDistance+1)-wide cube (or the
// box opt.Spacing gives), come from MapOverlap with a halo of the
// footprint's reach (kernels.PeakReach: MinDistance on every axis by
// default) and mode Nearest (which is scipy's maximum_filter at the
// image's edges), and each
// chunk keeps those above the threshold and off the excluded border. The
// threshold needs the image's minimum and maximum first, two reductions.
// What is left is sparse: the candidates of all chunks are ordered by
// decreasing value (raster order among equal values) and thinned by
// kernels.SpacePeaks in one task, since the thinning is greedy over the
// whole image (whether a peak is kept can depend on peaks of equal value
// any distance away along a plateau).
//
// opt.Labels must be nil: peaks per label are kernels.PeakLocalMax's alone.
// exec runs the tasks (nil: a LocalCluster for the call).
func PeakLocalMax(ctx context.Context, exec delayed.Executor, image *Array, opt kernels.PeakOptions) ([][3]int, error) {
	if image == nil {
		return nil, fmt.Errorf("%w: nil image", kernels.ErrPeakInput)
	}
	if image.err != nil {
		return nil, image.err
	}
	if image.rank < 2 {
		return nil, fmt.Errorf("%w: peak_local_max needs a 2-D or 3-D array, not rank %d", ErrShape, image.rank)
	}
	switch {
	case opt.Labels != nil:
		return nil, fmt.Errorf("%w: labels are not supported on lazy arrays (use kernels.PeakLocalMax)", kernels.ErrPeakInput)
	case opt.MinDistance < 0:
		return nil, fmt.Errorf("%w: min_distance %d is negative", kernels.ErrPeakInput, opt.MinDistance)
	case opt.ExcludeBorder < -1:
		return nil, fmt.Errorf("%w: exclude_border %d is negative", kernels.ErrPeakInput, opt.ExcludeBorder)
	case opt.NumPeaks < 0:
		return nil, fmt.Errorf("%w: num_peaks %d is negative", kernels.ErrPeakInput, opt.NumPeaks)
	}
	exec, done, err := executor(exec)
	if err != nil {
		return nil, err
	}
	defer done()
	img := image
	if img.dt != stack.Float32 {
		img = img.Astype(stack.Float32)
	}
	lo, err := reduceScalar(ctx, exec, img.Min())
	if err != nil {
		return nil, err
	}
	hi, err := reduceScalar(ctx, exec, img.Max())
	if err != nil {
		return nil, err
	}
	// The threshold as the kernel computes it, in float32.
	thr := float32(lo)
	if opt.HasThresholdAbs {
		thr = float32(opt.ThresholdAbs)
	}
	if opt.ThresholdRel != 0 {
		thr = max(thr, float32(opt.ThresholdRel)*float32(hi))
	}
	shape := img.shape
	whole := stack.ShapeOf(shape)
	reach, border, err := kernels.PeakReach(whole, opt)
	if err != nil {
		return nil, err
	}
	cand := img
	if reach != ([3]int{}) && whole.Len() > 1 {
		// The footprint's reach on every axis (none in Z for one plane,
		// a 2-D image).
		depth := reach[3-img.rank:]
		cand = MapOverlap(img, OverlapOptions{Depth: depth, Mode: stack.Nearest}, func(ctx context.Context, in *stack.Volume[float32]) (*stack.Volume[uint8], error) {
			out := stack.New[uint8](in.Shape)
			// A chunk of one plane of a volume is still a slice of a
			// 3-D image, and with a reach in Z its tile has several.
			if err := kernels.PeakCandidates(ctx, out, in, opt); err != nil {
				return nil, err
			}
			return out, nil
		})
		if cand.err != nil {
			return nil, cand.err
		}
	}
	type peak struct {
		idx int
		v   float32
	}
	type part struct {
		peaks []peak
		other int // pixels that are not candidates
	}
	starts := img.chunks.starts()
	layer := newLayer("peak_local_max-chunk")
	nodes := make([]*node, len(img.blocks))
	for i := range img.blocks {
		c := img.chunks.coords(i)
		cs := img.chunks.shapeOf(c)
		origin := [3]int{starts[0][c[0]], starts[1][c[1]], starts[2][c[2]]}
		deps := []*node{img.blocks[i]}
		if cand != img {
			deps = append(deps, cand.blocks[i])
		}
		nodes[i] = &node{layer: layer, deps: deps, fn: func(_ context.Context, v []any) (any, error) {
			vals := v[0].(buf).convert(stack.Float32).raw().([]float32)
			var cm []uint8
			if len(v) > 1 {
				cm = v[1].(buf).convert(stack.Uint8).raw().([]uint8)
			}
			var p part
			j := 0
			for z := range cs[0] {
				gz := origin[0] + z
				for y := range cs[1] {
					gy := origin[1] + y
					for x := range cs[2] {
						gx := origin[2] + x
						val := vals[j]
						isCand := cm == nil || cm[j] != 0
						j++
						if val != val {
							return nil, fmt.Errorf("%w: the image holds NaN at (%d, %d, %d)", kernels.ErrPeakInput, gz, gy, gx)
						}
						if !isCand {
							p.other++
							continue
						}
						if val <= thr || inBorder([3]int{gz, gy, gx}, shape, border) {
							continue
						}
						p.peaks = append(p.peaks, peak{(gz*shape[1]+gy)*shape[2] + gx, val})
					}
				}
			}
			return p, nil
		}}
	}
	merge := &node{layer: newLayer("peak_local_max"), deps: nodes, fn: func(_ context.Context, v []any) (any, error) {
		var all []peak
		other := 0
		for _, x := range v {
			p := x.(part)
			all = append(all, p.peaks...)
			other += p.other
		}
		if cand != img && other == 0 {
			// Every pixel is the maximum of its cube: a flat image has no
			// peaks.
			return [][3]int{}, nil
		}
		slices.SortFunc(all, func(a, b peak) int {
			if a.v != b.v {
				return cmp.Compare(b.v, a.v)
			}
			return cmp.Compare(a.idx, b.idx)
		})
		idx := make([]int, len(all))
		for i, p := range all {
			idx[i] = p.idx
		}
		return kernels.SpacePeaks(whole, idx, opt)
	}}
	r, err := runValue(ctx, exec, merge)
	if err != nil {
		return nil, err
	}
	return r.([][3]int), nil
}

// inBorder reports whether c lies within w[a] of an edge of shape on some
// axis a.
func inBorder(c, shape, w [3]int) bool {
	for a := range 3 {
		if c[a] < w[a] || c[a] >= shape[a]-w[a] {
			return true
		}
	}
	return false
}

// reduceScalar computes a reduction to one value.
func reduceScalar(ctx context.Context, exec delayed.Executor, a *Array) (float64, error) {
	r, err := a.Compute(ctx, exec)
	if err != nil {
		return 0, err
	}
	return r.Scalar()
}
