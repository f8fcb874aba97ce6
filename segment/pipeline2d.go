package segment

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/sched"
	"github.com/segstack/segstack/stack"
)

// planeOut is what one 2-D plane task hands the writer.
type planeOut struct {
	z      int
	labels []uint32 // from run.u32; returned by the writer
	// labels16 holds the labels as uint16 (from run.u16), made by the
	// task when the labels file may be uint16 and the plane's labels fit:
	// labelled straight into uint16 (labels is then nil) or narrowed.
	labels16 []uint16
	n        int
	thr      float32
	regions  []kernels.Region
	tile     *previewTile
	times    StageSeconds
	// offsetDone is set once the plane's offset (unique numbering) has
	// been added to labels, labels16 and the preview tile.
	offsetDone bool
}

// planeBuffers are the pools of plane-sized buffers of a 2-D run.
type planeBuffers struct {
	f32 *stack.Pool[float32]
	u32 *stack.Pool[uint32]
	u16 *stack.Pool[uint16]
}

// release returns out's label buffers to their pools.
func (b *planeBuffers) release(out *planeOut) {
	if out.labels != nil {
		b.u32.Put(out.labels)
		out.labels = nil
	}
	if out.labels16 != nil {
		b.u16.Put(out.labels16)
		out.labels16 = nil
	}
}

// run2D segments each plane on its own, at most two planes per worker in
// flight, and writes results in plane order.
func (r *run) run2D(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := r.shape.PlaneLen()
	bufs := &planeBuffers{f32: stack.NewPool[float32](n), u32: stack.NewPool[uint32](n), u16: stack.NewPool[uint16](n)}
	// A plane whose own labels fit uint16 is labelled (or narrowed) to
	// uint16 by its task while still in cache; the writer only adds the
	// plane's offset when the numbering is unique, or widens the plane
	// again once the offset pushes its labels past 65535.
	narrow := r.sink != nil && r.sink.mayWrite16()
	wantPreview := map[int]bool{}
	if r.opt.Preview != "" {
		for _, z := range previewPlanesOf(r.shape.Z) {
			wantPreview[z] = true
		}
	}

	window := 2 * r.workers
	queue := make([]*sched.Future[*planeOut], 0, window)
	var offset uint64
	var offsets []uint64 // each plane's label offset, for a replay
	done := 0
	// The writer runs here, in plane order, outside the tasks: its spans
	// go on a row of their own.
	wctx := r.cluster.WithSpanRow(ctx, writerRow)
	r.planSpans(r.shape.Z)
	consume := func(f *sched.Future[*planeOut]) error {
		out, err := f.Get(ctx)
		if err != nil {
			return err
		}
		defer bufs.release(out)
		err = r.writePlane(wctx, bufs, out, offset)
		if errors.Is(err, errNeedUint32) {
			if err = r.replayUint32(ctx, bufs, offsets); err == nil {
				err = r.writePlane(wctx, bufs, out, offset)
			}
		}
		if err != nil {
			return err
		}
		offsets = append(offsets, offset)
		if r.opt.Numbering == NumberUnique {
			offset += uint64(out.n)
		}
		done++
		r.publishStages()
		if r.opt.Progress != nil {
			r.opt.Progress(done, r.shape.Z)
		}
		return nil
	}
	// drain waits for the tasks still running after a failure so that no
	// worker touches a buffer or output once run2D returns.
	drain := func() {
		cancel()
		for _, f := range queue {
			if out, err := f.Get(context.Background()); err == nil {
				bufs.release(out)
			}
		}
	}

	r.cluster.Plan("plane", r.shape.Z)
	for z := range r.shape.Z {
		if len(queue) == window {
			if err := consume(queue[0]); err != nil {
				queue = queue[1:]
				drain()
				return err
			}
			queue = queue[1:]
		}
		f := sched.Submit(ctx, r.cluster, func(ctx context.Context) (*planeOut, error) {
			return r.plane2D(ctx, z, bufs, r.stats != nil, wantPreview[z], narrow)
		}, sched.Name(fmt.Sprintf("plane %d", z)), sched.Kind("plane"))
		queue = append(queue, f)
	}
	for len(queue) > 0 {
		f := queue[0]
		queue = queue[1:]
		if err := consume(f); err != nil {
			drain()
			return err
		}
	}
	return nil
}

// replayUint32 switches the labels file to uint32 and writes again, from
// recomputed labels, the planes already written as uint16.
func (r *run) replayUint32(ctx context.Context, bufs *planeBuffers, offsets []uint64) error {
	if err := r.sink.upgrade(); err != nil {
		return err
	}
	r.planSpans(len(offsets))
	wctx := r.cluster.WithSpanRow(ctx, writerRow)
	return forEachOrdered(ctx, r, len(offsets), "replay", func(ctx context.Context, z int) (*planeOut, error) {
		return r.plane2D(ctx, z, bufs, false, false, false)
	}, func(z int, out *planeOut) error {
		defer bufs.release(out)
		sp := sched.StartSpan(wctx, spanWrite)
		t0 := time.Now()
		addOffset(out.labels, offsets[z])
		err := r.sink.write(ctx, z, out.labels, nil, uint32(offsets[z]+uint64(out.n)))
		r.rep.Stages.Write += time.Since(t0).Seconds()
		sp.End()
		r.addTimes(out.times)
		return err
	})
}

// widenOffset returns, in a buffer of u32, the labels of a uint16 plane
// with offset added to the non-zero ones.
func widenOffset(u32 *stack.Pool[uint32], labels []uint16, offset uint64) []uint32 {
	out := u32.Get()
	kernels.WidenOffset(out, labels, uint32(offset))
	return out
}

// addOffset adds offset to the non-zero labels of a plane.
func addOffset(labels []uint32, offset uint64) { kernels.AddOffset(labels, uint32(offset)) }

// writePlane hands one finished plane to the outputs, in plane order. The
// labels file may answer errNeedUint32, before any other output is touched,
// and the caller then calls writePlane again.
func (r *run) writePlane(ctx context.Context, bufs *planeBuffers, out *planeOut, offset uint64) error {
	maxLabel := uint64(out.n) + offset
	if maxLabel > 1<<32-1 {
		return fmt.Errorf("plane %d: more than %d objects in the stack do not fit uint32 labels", out.z, uint64(1<<32-1))
	}
	if !out.offsetDone {
		addOffset(out.labels, offset)
		if out.tile != nil {
			addOffset(out.tile.labels, offset)
		}
		if out.labels16 != nil && offset > 0 {
			if maxLabel <= 65535 {
				kernels.AddOffset(out.labels16, uint16(offset))
			} else {
				// The offset labels no longer fit the uint16 copy.
				if out.labels == nil {
					out.labels = widenOffset(bufs.u32, out.labels16, offset)
				}
				bufs.u16.Put(out.labels16)
				out.labels16 = nil
			}
		}
		out.offsetDone = true
	}
	var sp sched.Span
	if r.sink != nil || r.stats != nil {
		sp = sched.StartSpan(ctx, spanWrite)
	}
	t0 := time.Now()
	if r.sink != nil {
		if err := r.sink.write(ctx, out.z, out.labels, out.labels16, uint32(maxLabel)); err != nil {
			sp.End()
			return err
		}
	}
	if r.stats != nil {
		objs := make([]Object, len(out.regions))
		for i, g := range out.regions {
			objs[i] = objectOf(g, out.z, g.Label+uint32(offset))
		}
		if err := r.stats.write(objs); err != nil {
			sp.End()
			return fmt.Errorf("write %s: %w", r.opt.Stats, err)
		}
	}
	out.times.Write += time.Since(t0).Seconds()
	sp.End()
	if out.tile != nil {
		r.preview = append(r.preview, *out.tile)
	}
	r.addTimes(out.times)
	r.rep.Counts = append(r.rep.Counts, out.n)
	r.rep.Thresholds = append(r.rep.Thresholds, out.thr)
	r.rep.Objects += int64(out.n)
	return nil
}

func objectOf(g kernels.Region, plane int, label uint32) Object {
	return Object{
		Plane:         plane,
		Label:         label,
		Area:          int64(g.Area),
		Lo:            g.BBox.Lo,
		Hi:            g.BBox.Hi,
		Centroid:      g.Centroid,
		MeanIntensity: g.MeanIntensity,
		MinIntensity:  g.MinIntensity,
		MaxIntensity:  g.MaxIntensity,
	}
}

// plane2D runs one plane through read, Gaussian, threshold and label. With
// narrow, a plane whose labels fit uint16 also gets them as uint16.
func (r *run) plane2D(ctx context.Context, z int, bufs *planeBuffers, stats, preview, narrow bool) (*planeOut, error) {
	ps := stack.Shape{Z: 1, Y: r.shape.Y, X: r.shape.X}
	raw, smooth := bufs.f32.GetVolume(ps), bufs.f32.GetVolume(ps)
	defer bufs.f32.PutVolume(raw)
	defer bufs.f32.PutVolume(smooth)
	out := &planeOut{z: z}

	// Each stage is a span on the worker's row of the dashboard's task
	// stream (nothing is recorded when no cluster runs the plane).
	sp := sched.StartSpan(ctx, spanRead)
	t0 := time.Now()
	err := r.src.ReadPlane(ctx, z, raw.Data)
	sp.End()
	if err != nil {
		return nil, fmt.Errorf("read plane %d: %w", z, err)
	}
	sp = sched.StartSpan(ctx, spanGaussian)
	t1 := time.Now()
	m, err := r.gaussian(ctx, smooth, raw)
	sp.End()
	if err != nil {
		return nil, fmt.Errorf("plane %d: gaussian: %w", z, err)
	}
	sp = sched.StartSpan(ctx, spanThreshold)
	t2 := time.Now()
	out.thr = r.opt.Threshold.Resolve(smooth.Data, m)
	t3 := time.Now()
	sp.End()
	sp = sched.StartSpan(ctx, spanLabel)
	split := r.opt.Split.Method == SplitWatershed
	if narrow && !stats && !preview && !split {
		// Labels that fit uint16 are written as such: no uint32 plane to
		// write and narrow.
		l16 := bufs.u16.Get()
		out.n, err = r.backend.LabelAbove16(ctx, &stack.Volume[uint16]{Shape: ps, Data: l16}, smooth, out.thr, r.opt.Connectivity)
		if err == nil {
			sp.End()
			out.labels16 = l16
			out.times = stageTimes(t0, t1, t2, t3, time.Now())
			return out, nil
		}
		bufs.u16.Put(l16)
		if !errors.Is(err, kernels.ErrLabelOverflow16) {
			sp.End()
			return nil, fmt.Errorf("plane %d: label: %w", z, err)
		}
	}
	labels := &stack.Volume[uint32]{Shape: ps, Data: bufs.u32.Get()}
	if split {
		out.n, out.regions, err = r.splitPlane(ctx, labels, smooth, raw, out.thr, stats)
	} else if stats {
		out.n, out.regions, err = r.backend.LabelAboveWithStats(ctx, labels, smooth, out.thr, r.opt.Connectivity, raw)
	} else {
		out.n, err = r.backend.LabelAbove(ctx, labels, smooth, out.thr, r.opt.Connectivity)
	}
	sp.End()
	if err != nil {
		bufs.u32.Put(labels.Data)
		return nil, fmt.Errorf("plane %d: label: %w", z, err)
	}
	out.labels = labels.Data
	if narrow && out.n <= 65535 {
		l16 := &stack.Volume[uint16]{Shape: ps, Data: bufs.u16.Get()}
		if err := r.backend.Narrow16(ctx, l16, labels); err != nil {
			bufs.u16.Put(l16.Data)
			bufs.u32.Put(labels.Data)
			return nil, fmt.Errorf("plane %d: narrow labels: %w", z, err)
		}
		out.labels16 = l16.Data
	}
	t4 := time.Now()
	if preview {
		tile := newPreviewTile(z, ps.Y, ps.X, raw.Data, labels.Data)
		out.tile = &tile
	}
	out.times = stageTimes(t0, t1, t2, t3, t4)
	if split {
		out.times.Split, out.times.Label = out.times.Label, 0
	}
	return out, nil
}

// stageTimes are a plane's stage times from the instants each stage began
// (t0 read, t1 Gaussian, t2 threshold, t3 label) and the end t4.
func stageTimes(t0, t1, t2, t3, t4 time.Time) StageSeconds {
	return StageSeconds{
		Read:      t1.Sub(t0).Seconds(),
		Gaussian:  t2.Sub(t1).Seconds(),
		Threshold: t3.Sub(t2).Seconds(),
		Label:     t4.Sub(t3).Seconds(),
	}
}

// gaussian smooths src (one plane, or a slab in 3-D mode) into dst with the
// run's sigmas and reflect boundaries, and returns dst's maximum. With
// Chunks.Y or Chunks.X smaller than the plane, it works tile by tile, each
// tile read with a halo of the kernel's radius, which gives the same values.
func (r *run) gaussian(ctx context.Context, dst, src *stack.Volume[float32]) (float32, error) {
	opt := kernels.GaussianOptions{Sigma: r.opt.Sigma, Mode: stack.Reflect}
	if src.Shape.Z == 1 {
		opt.Sigma[0] = 0
	}
	cy, cx := r.opt.Chunks.Y, r.opt.Chunks.X
	if cy <= 0 || cy > src.Shape.Y {
		cy = src.Shape.Y
	}
	if cx <= 0 || cx > src.Shape.X {
		cx = src.Shape.X
	}
	if cy == src.Shape.Y && cx == src.Shape.X {
		return r.backend.Gaussian(ctx, dst, src, opt)
	}
	g, err := stack.NewGrid(src.Shape, stack.Shape{Z: src.Shape.Z, Y: cy, X: cx})
	if err != nil {
		return 0, err
	}
	depth := kernels.Depth(opt)
	depth[0] = 0 // tiles span every plane of src
	var in, out *stack.Volume[float32]
	first := true
	var m float32
	for _, b := range g.Boxes() {
		in, err = stack.ExtractTile(src, b, depth, stack.Reflect, 0, in)
		if err != nil {
			return 0, err
		}
		if out == nil || len(out.Data) != len(in.Data) {
			out = &stack.Volume[float32]{Data: make([]float32, len(in.Data))}
		}
		out.Shape = in.Shape
		if _, err := r.backend.Gaussian(ctx, out, in, opt); err != nil {
			return 0, err
		}
		if err := stack.WriteCore(dst, out, b, depth); err != nil {
			return 0, err
		}
		for z := b.Lo[0]; z < b.Hi[0]; z++ {
			for y := b.Lo[1]; y < b.Hi[1]; y++ {
				row := dst.Row(z, y)[b.Lo[2]:b.Hi[2]]
				if first {
					m, first = row[0], false
				}
				m = max(m, slices.Max(row))
			}
		}
	}
	return m, nil
}
