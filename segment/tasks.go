package segment

import (
	"context"
	"errors"
	"fmt"
	"os"

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
// again and renumbered with the merge's kernels.Relabeling (RelabelSlab).
type Tasks struct {
	r    *run
	bufs *planeBuffers
	v    *volume3D
}

// NewTasks prepares the tasks of the run opt describes over src on
// backend. opt's options are checked and completed as Run does; its
// outputs are not written (Options.Stats only asks the tasks for
// statistics). Splitting touching objects is a 2-D task only.
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
	if r.opt.Mode == Mode3D && r.opt.Split.Method != SplitNone {
		return nil, errors.New("segment: a distributed 3d run cannot split touching objects")
	}
	r.wantStats = opt.Stats != ""
	t := &Tasks{r: r}
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
	// Labels are the plane's labels numbered 1..N in scipy's raster order.
	Labels []uint32
	// N is the number of objects, Threshold the threshold applied.
	N         int
	Threshold float32
	// Objects are the statistics of the objects (labels 1..N, plane z),
	// when the run writes statistics.
	Objects []Object
}

// Plane segments plane z, with the objects' statistics when the run
// writes them and stats is true. Release hands its labels back once
// written.
func (t *Tasks) Plane(ctx context.Context, z int, stats bool) (*PlaneLabels, error) {
	if t.r.opt.Mode != Mode2D || z < 0 || z >= t.r.shape.Z {
		return nil, fmt.Errorf("segment: plane %d is not a 2d task of this run (%d planes)", z, t.r.shape.Z)
	}
	out, err := t.r.plane2D(ctx, z, t.bufs, stats && t.r.wantStats, false, false)
	if err != nil {
		return nil, err
	}
	return &PlaneLabels{Labels: out.labels, N: out.n, Threshold: out.thr, Objects: ObjectsOf(out.regions, z, 0)}, nil
}

// Release returns a plane's labels to the pool they came from.
func (t *Tasks) Release(p *PlaneLabels) {
	if p != nil && p.Labels != nil {
		t.bufs.u32.Put(p.Labels)
		p.Labels = nil
	}
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
	labels, name, err = zarrImageOptions(t.r.shape, o.LabelDType, metadataOf(t.r.src), o.Zarr, o.Input)
	if err != nil {
		return
	}
	labels.DType = dt
	image = labels
	image.Name = name
	image.DType = zarr.Float32
	image.Codec = imageCodecOf(o.Zarr, t.r.src)
	if raw, ok := t.r.src.(rawSource); ok {
		image.DType = raw.rawDType()
	}
	return
}

// CopyPlane writes plane z of the input to the image iw (opened with
// ImageOptions' image options), as stored where the source allows.
func (t *Tasks) CopyPlane(ctx context.Context, iw *zarr.ImageWriter, z int) error {
	if raw, ok := t.r.src.(rawSource); ok {
		return copyRawPlane(ctx, iw, raw, z, make([]byte, iw.PlaneBytes()))
	}
	f32 := t.bufs.f32.Get()
	defer t.bufs.f32.Put(f32)
	if err := t.r.src.ReadPlane(ctx, z, f32); err != nil {
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
	if err := lw.WriteLabelPlane(ctx, z, plane, maxLabel); err != nil {
		return fmt.Errorf("labels: plane %d: %w", z, err)
	}
	return nil
}

// WriteStats writes objs as the CSV Run writes for Options.Stats (in 2-D or
// 3-D layout by mode), through a temporary file renamed into place. The
// pixel size is opt's or the input's, as in Run.
func (t *Tasks) WriteStats(path string, objs []Object) error {
	threeD := t.r.opt.Mode == Mode3D
	sw, err := newStatsWriter(path, threeD, physicalOf(pixelSizeOf(t.r.opt.PixelSize, t.r.src), threeD))
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
