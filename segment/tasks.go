package segment

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/zarr"
)

// Tasks are the plane and slab tasks of a run, for an executor that spreads
// them over processes (or machines) and keeps their results itself: each
// method is one task of the pipeline that Run runs, computing what Run
// computes, so that an executor that combines the results as Run does
// writes the same outputs. Tasks are safe for concurrent use.
//
// In 2-D mode a task is a plane (Plane): its labels numbered from 1, its
// object count, threshold and statistics; the executor offsets the labels
// for unique numbering. In 3-D mode the tasks are runs of planes smoothed
// into a file of float32 planes that every task reads (SmoothPlanes), the
// slabs labelled for the chunk merge (LabelSlab), and the slabs labelled
// again and renumbered with the merge's kernels.Relabeling (RelabelSlab);
// splitting touching objects is one task over the volume (SplitVolume).
type Tasks struct {
	r    *run
	bufs *planeBuffers
	v    *volume3D
	// src is the input as given; r.src reads it, through a tee when the
	// plane tasks can copy the planes they read (PlaneOptions.Image).
	src Source
	tee bool
}

// NewTasks prepares the tasks of the run opt describes over src on
// backend. opt's options are checked and completed as Run does; its
// outputs are not written (Options.Stats only asks the tasks for
// statistics).
func NewTasks(opt Options, src Source, backend kernels.Backend) (*Tasks, error) {
	if src == nil || backend == nil {
		return nil, errors.New("segment: tasks need a source and a backend")
	}
	opt.Source = src
	var rep Report
	r := &run{opt: opt, rep: &rep, src: src, shape: src.Shape(), backend: backend}
	if err := r.normalize(); err != nil {
		return nil, err
	}
	if err := r.shape.Validate(); err != nil {
		return nil, err
	}
	if r.opt.Mode == Mode3D && r.opt.Split.Method == SplitWatershed {
		r.splitSpacing = splitSpacingOf(pixelSizeOf(r.opt.PixelSize, src))
	}
	r.wantStats = opt.Stats != ""
	t := &Tasks{r: r, src: src}
	if raw, ok := src.(rawSource); ok && teeable(raw.rawDType()) {
		r.src, t.tee = &taskTee{Source: src, raw: raw}, true
	}
	n := r.shape.PlaneLen()
	t.bufs = &planeBuffers{f32: stack.NewPool[float32](n), u32: stack.NewPool[uint32](n), u16: stack.NewPool[uint16](n)}
	if r.opt.Mode == Mode3D {
		grid, err := r.slabGrid()
		if err != nil {
			return nil, err
		}
		t.v = newSlabs(r, grid)
	}
	return t, nil
}

// Options are the run's options as completed.
func (t *Tasks) Options() Options { return t.r.opt }

// Shape is the stack's extent.
func (t *Tasks) Shape() stack.Shape { return t.r.shape }

// PlaneLabels are the results of one 2-D plane task.
type PlaneLabels struct {
	// Labels are the plane's labels numbered 1..N in scipy's raster order;
	// with PlaneOptions.Narrow, a plane whose labels fit uint16 has them in
	// Labels16 instead (Labels is then nil).
	Labels   []uint32
	Labels16 []uint16
	// N is the number of objects, Threshold the threshold applied.
	N         int
	Threshold float32
	// Objects are the statistics of the objects (labels 1..N, plane z),
	// when the run writes statistics.
	Objects []Object
	// Copied is whether the input plane was written to
	// PlaneOptions.Image from the labelling's own read.
	Copied bool
}

// Plane segments plane z, with the objects' statistics when the run
// writes them and stats is true. Release hands its labels back once
// written.
func (t *Tasks) Plane(ctx context.Context, z int, stats bool) (*PlaneLabels, error) {
	return t.PlaneWith(ctx, z, PlaneOptions{Stats: stats})
}

// PlaneOptions choose what a plane task makes beside its labels.
type PlaneOptions struct {
	// Stats asks for the objects' statistics, when the run writes them.
	Stats bool
	// Narrow asks for the labels as uint16 (PlaneLabels.Labels16) when
	// the plane's own labels fit and the run's label type may be uint16,
	// labelled straight into uint16 as a local run labels them: half the
	// memory of uint32 labels, for an executor that keeps them.
	Narrow bool
	// Image, when not nil, is the image (opened with ImageOptions' image
	// options) that receives plane z of the input, as CopyPlane writes it,
	// from the very read the labelling makes where the source allows
	// (PlaneLabels.Copied); the caller copies the plane itself otherwise.
	Image *zarr.ImageWriter
}

// PlaneWith segments plane z as o asks. Release hands its labels back
// once written.
func (t *Tasks) PlaneWith(ctx context.Context, z int, o PlaneOptions) (*PlaneLabels, error) {
	if t.r.opt.Mode != Mode2D || z < 0 || z >= t.r.shape.Z {
		return nil, fmt.Errorf("segment: plane %d is not a 2d task of this run (%d planes)", z, t.r.shape.Z)
	}
	var cp *imageCopy
	if o.Image != nil && t.tee {
		cp = &imageCopy{iw: o.Image, z: z}
		ctx = context.WithValue(ctx, imageCopyKey{}, cp)
	}
	narrow := o.Narrow && t.r.opt.LabelDType != LabelUint32
	out, err := t.r.plane2D(ctx, z, t.bufs, o.Stats && t.r.wantStats, false, narrow)
	if err != nil {
		return nil, err
	}
	if out.labels16 != nil && out.labels != nil {
		t.bufs.u32.Put(out.labels) // narrowed: the uint16 copy is kept
		out.labels = nil
	}
	p := &PlaneLabels{Labels: out.labels, Labels16: out.labels16, N: out.n, Threshold: out.thr, Objects: ObjectsOf(out.regions, z, 0)}
	p.Copied = cp != nil && cp.done
	return p, nil
}

// Release returns a plane's labels to the pools they came from.
func (t *Tasks) Release(p *PlaneLabels) {
	if p == nil {
		return
	}
	if p.Labels != nil {
		t.bufs.u32.Put(p.Labels)
		p.Labels = nil
	}
	if p.Labels16 != nil {
		t.bufs.u16.Put(p.Labels16)
		p.Labels16 = nil
	}
}

// WriteLabels writes p's labels, offset by offset, as plane z of the label
// image lw of type dt (zarr.Uint16 or zarr.Uint32) whose largest label is
// maxLabel: the plane a local run writes with unique numbering. The offset
// is added to p's labels in place. On an image whose planes are written
// whole (ImageWriter.WritesNow) the plane is written when WriteLabels
// returns; otherwise when lw is released.
func (t *Tasks) WriteLabels(ctx context.Context, lw *zarr.ImageWriter, dt zarr.DType, z int, p *PlaneLabels, offset, maxLabel uint64) error {
	top := uint64(p.N) + offset
	if top > maxLabel || (dt == zarr.Uint16 && top > 65535) {
		return fmt.Errorf("segment: plane %d: %d objects past offset %d exceed the largest label %d of the %v labels", z, p.N, offset, maxLabel, dt)
	}
	var plane []byte
	switch {
	case dt == zarr.Uint16 && p.Labels16 != nil:
		kernels.AddOffset(p.Labels16, uint16(offset))
		plane = bytesOf(p.Labels16)
	case dt == zarr.Uint16:
		kernels.AddOffset(p.Labels, uint32(offset))
		ps := stack.Shape{Z: 1, Y: t.r.shape.Y, X: t.r.shape.X}
		l16 := t.bufs.u16.Get()
		defer t.bufs.u16.Put(l16)
		if err := t.r.backend.Narrow16(ctx, &stack.Volume[uint16]{Shape: ps, Data: l16}, &stack.Volume[uint32]{Shape: ps, Data: p.Labels}); err != nil {
			return fmt.Errorf("labels: plane %d: %w", z, err)
		}
		plane = bytesOf(l16)
	case p.Labels16 != nil:
		l32 := t.bufs.u32.Get()
		defer t.bufs.u32.Put(l32)
		kernels.WidenOffset(l32, p.Labels16, uint32(offset))
		plane = bytesOf(l32)
	default:
		kernels.AddOffset(p.Labels, uint32(offset))
		plane = bytesOf(p.Labels)
	}
	return writeLabelPlane(ctx, lw, z, plane, maxLabel)
}

// imageCopy asks taskTee, through a plane task's context, to write the
// plane it reads to an image.
type imageCopy struct {
	iw   *zarr.ImageWriter
	z    int
	done bool
}

type imageCopyKey struct{}

// taskTee is the Source the tasks read: the input, whose plane read for a
// plane task that asks for it (imageCopy) is also written to the image
// copy, from the same view of the file, as a local run's tee does.
type taskTee struct {
	Source
	raw  rawSource
	bufs sync.Pool // *[]byte planes, for sources that have no view
}

func (t *taskTee) ReadPlane(ctx context.Context, z int, dst []float32) error {
	cp, _ := ctx.Value(imageCopyKey{}).(*imageCopy)
	if cp == nil || cp.z != z || cp.done || len(dst) != t.Shape().PlaneLen() {
		return t.Source.ReadPlane(ctx, z, dst)
	}
	buf, _ := t.bufs.Get().(*[]byte)
	if buf == nil {
		b := make([]byte, cp.iw.PlaneBytes())
		buf = &b
	}
	defer t.bufs.Put(buf)
	return t.raw.useRaw(ctx, z, *buf, func(plane []byte) error {
		toFloat32(dst, plane, t.raw.rawDType())
		if err := cp.iw.WritePlaneNow(ctx, z, plane); err != nil {
			return fmt.Errorf("copy the image: plane %d: %w", z, err)
		}
		cp.done = true
		return nil
	})
}

// ObjectsOf are the statistics rows of regions in plane (-1 for a volume),
// their labels offset by offset.
func ObjectsOf(regions []kernels.Region, plane int, offset uint32) []Object {
	if len(regions) == 0 {
		return nil
	}
	objs := make([]Object, len(regions))
	for i, g := range regions {
		objs[i] = objectOf(g, plane, g.Label+offset)
	}
	return objs
}

// Slabs is the grid of the 3-D labelling slabs.
func (t *Tasks) Slabs() stack.Grid {
	if t.v == nil {
		return stack.Grid{}
	}
	return t.v.grid
}

// UseSmoothed sets the file of the smoothed volume (float32 planes in
// order, 4·Z·Y·X bytes) that the 3-D tasks write and read.
func (t *Tasks) UseSmoothed(f *os.File) {
	if t.v != nil {
		t.v.f = f
	}
}

// SmoothPlanes smooths planes z0..z1-1 into the smoothed volume and
// returns their extremes.
func (t *Tasks) SmoothPlanes(ctx context.Context, z0, z1 int) (lo, hi float32, err error) {
	if t.v == nil || t.v.f == nil || z0 < 0 || z1 > t.r.shape.Z || z0 >= z1 {
		return 0, 0, fmt.Errorf("segment: planes %d..%d are not a 3d smoothing task of this run", z0, z1-1)
	}
	out, err := t.r.smoothPlanes(ctx, t.v.f, t.v.planes, z0, z1)
	return out.lo, out.hi, err
}

// HistogramSlab counts slab k of the smoothed volume into an Otsu
// histogram over [lo, hi], the extremes of the whole smoothed volume: the
// histograms of every slab, merged, give the threshold a local run finds
// (kernels.OtsuHistogram).
func (t *Tasks) HistogramSlab(ctx context.Context, k int, lo, hi float32) (*kernels.OtsuHistogram, error) {
	if err := t.checkSlab(k); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sm, err := t.v.readSlab(k)
	if err != nil {
		return nil, err
	}
	defer t.v.slabs.PutVolume(sm)
	h := kernels.NewOtsuHistogram(lo, hi)
	h.Add(sm.Data)
	return h, nil
}

// SplitVolume labels the smoothed volume above thr and splits touching
// objects as a local 3-D run with Options.Split does: over the whole
// volume at once (the distance transform and the flooding reach across
// any slab), so it is one task, which holds the volume in memory as a
// local run does. It returns the labels, their count and, when the run
// writes statistics, the objects' rows.
func (t *Tasks) SplitVolume(ctx context.Context, thr float32) (*stack.Volume[uint32], int, []Object, error) {
	r := t.r
	if t.v == nil || t.v.f == nil || r.opt.Split.Method != SplitWatershed {
		return nil, 0, nil, errors.New("segment: not a 3d run that splits touching objects")
	}
	s := r.shape
	smooth := stack.New[float32](s)
	if err := readScratch(t.v.f, smooth.Data, 0); err != nil {
		return nil, 0, nil, err
	}
	var raw *stack.Volume[float32]
	if r.wantStats {
		raw = stack.New[float32](s)
		for z := range s.Z {
			if err := r.src.ReadPlane(ctx, z, raw.Plane(z)); err != nil {
				return nil, 0, nil, fmt.Errorf("read plane %d: %w", z, err)
			}
		}
	}
	labels := stack.New[uint32](s)
	n, err := splitObjects(ctx, r.backend, r.opt.Split, r.opt.Connectivity, labels, smooth, thr, r.splitSpacing, r.workers, newSplitScratch(s))
	if err != nil {
		return nil, 0, nil, fmt.Errorf("split: %w", err)
	}
	var objs []Object
	if r.wantStats {
		regions, err := kernels.MeasureRegions(ctx, labels, n, raw)
		if err != nil {
			return nil, 0, nil, fmt.Errorf("measure: %w", err)
		}
		objs = ObjectsOf(regions, -1, 0)
	}
	return labels, n, objs, nil
}

// LabelSlab labels slab k of the smoothed volume above thr for the chunk
// merge (kernels.ChunkMerger).
func (t *Tasks) LabelSlab(ctx context.Context, k int, thr float32) (*kernels.ChunkLabels, error) {
	if err := t.checkSlab(k); err != nil {
		return nil, err
	}
	ch, _, err := t.v.labelSlab(ctx, k, thr)
	return ch, err
}

// RelabelSlab labels slab k again and renumbers it with rl; PutSlab hands
// the labels back once written.
func (t *Tasks) RelabelSlab(ctx context.Context, k int, thr float32, rl *kernels.Relabeling) (*stack.Volume[uint32], error) {
	if err := t.checkSlab(k); err != nil {
		return nil, err
	}
	lab, _, err := t.v.relabelSlab(ctx, k, thr, rl)
	return lab, err
}

// PutSlab returns a slab's labels to their pool.
func (t *Tasks) PutSlab(lab *stack.Volume[uint32]) {
	if t.v != nil && lab != nil {
		t.v.labels.PutVolume(lab)
	}
}

func (t *Tasks) checkSlab(k int) error {
	if t.v == nil || t.v.f == nil || k < 0 || k >= t.v.nslab {
		return fmt.Errorf("segment: slab %d is not a 3d task of this run", k)
	}
	return nil
}

// ImageOptions are the options of the OME-Zarr image and label image that
// Run writes for this run, with the label type dt (zarr.Uint16 or
// zarr.Uint32), and the label image's name.
func (t *Tasks) ImageOptions(dt zarr.DType) (image, labels zarr.ImageOptions, name string, err error) {
	o := t.r.opt
	labels, name, err = zarrImageOptions(t.r.shape, o.LabelDType, metadataOf(t.src), o.Zarr, o.Input)
	if err != nil {
		return
	}
	labels.DType = dt
	image = labels
	image.Name = name
	image.DType = zarr.Float32
	image.Codec = imageCodecOf(o.Zarr, t.src)
	if raw, ok := t.src.(rawSource); ok {
		image.DType = raw.rawDType()
	}
	return
}

// CopyPlane writes plane z of the input to the image iw (opened with
// ImageOptions' image options), as stored where the source allows.
func (t *Tasks) CopyPlane(ctx context.Context, iw *zarr.ImageWriter, z int) error {
	if raw, ok := t.src.(rawSource); ok {
		return copyRawPlane(ctx, iw, raw, z, make([]byte, iw.PlaneBytes()))
	}
	f32 := t.bufs.f32.Get()
	defer t.bufs.f32.Put(f32)
	if err := t.src.ReadPlane(ctx, z, f32); err != nil {
		return fmt.Errorf("copy the image: plane %d: %w", z, err)
	}
	return zarr.WriteImagePlane(ctx, iw, z, f32)
}

// LabelType is the label type Run writes for a run whose largest label is
// maxLabel (with unique 2-D numbering, the stack's object count), or
// ErrLabelOverflow for uint16 labels that do not hold it.
func LabelType(want LabelDType, maxLabel uint64) (zarr.DType, error) {
	switch {
	case maxLabel > 1<<32-1:
		return 0, fmt.Errorf("%d objects do not fit uint32 labels", maxLabel)
	case want == LabelUint32 || (want == LabelAuto && maxLabel > 65535):
		return zarr.Uint32, nil
	case maxLabel > 65535:
		return 0, fmt.Errorf("%d objects: %w", maxLabel, ErrLabelOverflow)
	}
	return zarr.Uint16, nil
}

// WriteLabelPlane writes plane z of a label image of type zarr.Uint16 or
// zarr.Uint32 from uint32 labels whose largest is maxLabel.
func WriteLabelPlane(ctx context.Context, lw *zarr.ImageWriter, dt zarr.DType, z int, labels []uint32, maxLabel uint64) error {
	plane := bytesOf(labels)
	if dt == zarr.Uint16 {
		l16 := make([]uint16, len(labels))
		for i, l := range labels {
			l16[i] = uint16(l)
		}
		plane = bytesOf(l16)
	}
	return writeLabelPlane(ctx, lw, z, plane, maxLabel)
}

// WriteStats writes objs as the CSV Run writes for Options.Stats (in 2-D or
// 3-D layout by mode), through a temporary file renamed into place. The
// pixel size is opt's or the input's, as in Run.
func (t *Tasks) WriteStats(path string, objs []Object) error {
	threeD := t.r.opt.Mode == Mode3D
	sw, err := newStatsWriter(path, threeD, physicalOf(pixelSizeOf(t.r.opt.PixelSize, t.src), threeD))
	if err != nil {
		return err
	}
	for len(objs) > 0 {
		n := min(len(objs), 4096)
		if err := sw.write(objs[:n]); err != nil {
			sw.f.Abort()
			return fmt.Errorf("write %s: %w", path, err)
		}
		objs = objs[n:]
	}
	if err := sw.f.sync(); err != nil {
		sw.f.Abort()
		return err
	}
	return sw.f.Commit()
}

// writeLabelPlane hands plane z of the label image (bytes of its element
// type) to lw: encoded and written now where lw writes planes as they come,
// else queued for its writer.
func writeLabelPlane(ctx context.Context, lw *zarr.ImageWriter, z int, plane []byte, maxLabel uint64) error {
	write := func() error { return lw.WriteLabelPlane(ctx, z, plane, maxLabel) }
	if lw.WritesNow() {
		lw.Observe(0, 0, 0, maxLabel)
		write = func() error { return lw.WritePlaneNow(ctx, z, plane) }
	}
	if err := write(); err != nil {
		return fmt.Errorf("labels: plane %d: %w", z, err)
	}
	return nil
}
