package segment

import (
	"context"
	"fmt"
	"time"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// splitScratch holds the buffers a split needs beside the labels: the
// mask, the components that bound the seeds, the markers and the distance
// transform (both made on first use). Each has the shape of the plane or volume being split.
type splitScratch struct {
	mask    *stack.Volume[uint8]
	comps   *stack.Volume[uint32]
	markers *stack.Volume[uint32]
	surface *stack.Volume[float32]
}

// newSplitScratch allocates scratch for volumes of shape s.
func newSplitScratch(s stack.Shape) *splitScratch {
	return &splitScratch{
		mask:  stack.New[uint8](s),
		comps: stack.New[uint32](s),
	}
}

// splitPool keeps scratch for plane-sized splits, one per task in flight.
type splitPool struct{ free chan *splitScratch }

func newSplitPool(n int) *splitPool { return &splitPool{free: make(chan *splitScratch, n)} }

func (p *splitPool) get(s stack.Shape) *splitScratch {
	select {
	case sc := <-p.free:
		return sc
	default:
		return newSplitScratch(s)
	}
}

func (p *splitPool) put(sc *splitScratch) {
	select {
	case p.free <- sc:
	default:
	}
}

// splitObjects segments smooth (one plane, or a volume of several planes
// split in 3-D) above thr into dst with the split of touching objects that
// opt describes (see SplitOptions), and returns the number of objects,
// numbered 1..n in raster order of their first voxel. conn is the
// labelling's and the flood's connectivity. spacing, when not zero, is the
// voxel size (Z, Y, X): the distance transform is sampled with it and the
// seeds' min distance is physical (MinDistance X spacings; see
// kernels.PeakOptions.Spacing).
//
// workers > 1 floods the mask's components on that many goroutines
// (kernels.WatershedParallel, the same result).
func splitObjects(ctx context.Context, be kernels.Backend, opt SplitOptions, conn kernels.Connectivity, dst *stack.Volume[uint32], smooth *stack.Volume[float32], thr float32, spacing [3]float64, workers int, sc *splitScratch) (int, error) {
	mask := sc.mask
	// Without hole filling or a distance transform, the mask is needed
	// only to label it and to bound the flood: both read smooth > thr
	// themselves, and the mask is never written.
	direct := !opt.FillHoles && opt.Seeds != SeedsDistance && workers <= 1
	if direct {
		if _, err := be.LabelAbove(ctx, sc.comps, smooth, thr, conn); err != nil {
			return 0, fmt.Errorf("label: %w", err)
		}
	} else {
		if err := be.Threshold(ctx, mask, smooth, thr); err != nil {
			return 0, fmt.Errorf("threshold: %w", err)
		}
		if opt.FillHoles {
			// binary_fill_holes' default structure: holes are what the
			// background's face neighbours cannot reach from the edge.
			if err := kernels.FillHoles(ctx, mask, mask, 0); err != nil {
				return 0, fmt.Errorf("fill holes: %w", err)
			}
		}
		if _, err := be.Label(ctx, sc.comps, mask, conn); err != nil {
			return 0, fmt.Errorf("label: %w", err)
		}
	}
	surface := smooth
	if opt.Seeds == SeedsDistance {
		if sc.surface == nil {
			sc.surface = stack.New[float32](mask.Shape)
		}
		sampling := [3]float64{1, 1, 1}
		if spacing != ([3]float64{}) {
			sampling = spacing
		}
		if err := kernels.EDT(ctx, sc.surface, mask, sampling); err != nil {
			return 0, fmt.Errorf("distance transform: %w", err)
		}
		surface = sc.surface
	}
	peaks, err := kernels.PeakLocalMax(ctx, surface, kernels.PeakOptions{MinDistance: opt.minDistance(), Labels: sc.comps, Spacing: spacing})
	if err != nil {
		return 0, fmt.Errorf("seeds: %w", err)
	}
	if workers <= 1 {
		// The flood runs downhill from the seeds: on the negated surface;
		// the size filter is counted in the same flood.
		wo := kernels.WatershedSplitOptions{Negate: true, MinSize: opt.MinSize, MaxSize: opt.MaxSize}
		m := mask
		if direct {
			// surface is smooth here.
			m, wo.MaskAbove, wo.Above = nil, true, thr
		}
		n, err := kernels.WatershedSplit(ctx, dst, surface, peaks, m, conn, wo)
		if err != nil {
			return 0, fmt.Errorf("watershed: %w", err)
		}
		return n, nil
	}
	if sc.markers == nil {
		sc.markers = stack.New[uint32](mask.Shape)
	}
	if err := kernels.Markers(sc.markers, peaks); err != nil {
		return 0, fmt.Errorf("seeds: %w", err)
	}
	if err := kernels.WatershedParallel(ctx, dst, surface, sc.markers, mask, conn, true, workers); err != nil {
		return 0, fmt.Errorf("watershed: %w", err)
	}
	n, err := kernels.FilterBySize(ctx, dst, opt.MinSize, opt.MaxSize)
	if err != nil {
		return 0, fmt.Errorf("size filter: %w", err)
	}
	return n, nil
}

// splitPlane is plane2D's labelling step when the run splits touching
// objects: it labels smooth (one plane) into labels and, with stats, measures
// the objects against raw.
func (r *run) splitPlane(ctx context.Context, labels *stack.Volume[uint32], smooth, raw *stack.Volume[float32], thr float32, stats bool) (int, []kernels.Region, error) {
	sc := r.splits.get(smooth.Shape)
	defer r.splits.put(sc)
	n, err := splitObjects(ctx, r.backend, r.opt.Split, r.opt.Connectivity, labels, smooth, thr, [3]float64{}, 1, sc)
	if err != nil {
		return 0, nil, fmt.Errorf("split: %w", err)
	}
	if !stats {
		return n, nil, nil
	}
	regions, err := kernels.MeasureRegions(ctx, labels, n, raw)
	if err != nil {
		return 0, nil, fmt.Errorf("measure: %w", err)
	}
	return n, regions, nil
}

// splitVolume is 3-D mode's labelling when the run splits touching
// objects: the seeds and the flood need the whole volume, so the smoothed
// volume is read back from the scratch file into memory (with the raw one
// when statistics are written), split, measured and written plane by
// plane. It takes about 22 bytes per voxel (26 with statistics).
func (v *volume3D) splitVolume(ctx context.Context, thr float32) error {
	r := v.r
	s := r.shape
	t0 := time.Now()
	smooth := stack.New[float32](s)
	if err := readScratch(v.scratch.File, smooth.Data, 0); err != nil {
		return err
	}
	var raw *stack.Volume[float32]
	if r.stats != nil || r.opt.Preview != "" {
		raw = stack.New[float32](s)
		for z := range s.Z {
			if err := r.src.ReadPlane(ctx, z, raw.Plane(z)); err != nil {
				return fmt.Errorf("read plane %d: %w", z, err)
			}
		}
	}
	t1 := time.Now()
	labels := stack.New[uint32](s)
	n, err := splitObjects(ctx, r.backend, r.opt.Split, r.opt.Connectivity, labels, smooth, thr, r.splitSpacing, r.workers, newSplitScratch(s))
	if err != nil {
		return fmt.Errorf("split: %w", err)
	}
	smooth = nil
	r.addTimes(StageSeconds{Read: t1.Sub(t0).Seconds(), Split: time.Since(t1).Seconds()})
	v.progress(s.Z)

	r.rep.Objects = int64(n)
	r.rep.Counts = []int{n}
	if r.sink != nil && n > 65535 && r.sink.is16() {
		if r.opt.LabelDType == LabelUint16 {
			return fmt.Errorf("%d objects: %w", n, ErrLabelOverflow)
		}
		if err := r.sink.upgrade(); err != nil {
			return err
		}
	}
	if r.stats != nil {
		regions, err := kernels.MeasureRegions(ctx, labels, n, raw)
		if err != nil {
			return fmt.Errorf("measure: %w", err)
		}
		rows := make([]Object, len(regions))
		for i, g := range regions {
			rows[i] = objectOf(g, -1, g.Label)
		}
		if err := r.stats.write(rows); err != nil {
			return fmt.Errorf("write %s: %w", r.opt.Stats, err)
		}
	}
	wantPreview := map[int]bool{}
	if r.opt.Preview != "" {
		for _, z := range previewPlanesOf(s.Z) {
			wantPreview[z] = true
		}
	}
	for z := range s.Z {
		t := time.Now()
		plane := labels.Plane(z)
		if wantPreview[z] {
			r.preview = append(r.preview, newPreviewTile(z, s.Y, s.X, raw.Plane(z), plane))
		}
		if r.sink != nil {
			if err := r.sink.write(ctx, z, plane, nil, uint32(n)); err != nil {
				return err
			}
		}
		r.rep.Stages.Write += time.Since(t).Seconds()
		v.progress(1)
	}
	return nil
}
