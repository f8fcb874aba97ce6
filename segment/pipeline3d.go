package segment

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
	"unsafe"

	"github.com/segstack/segstack/internal/outfile"
	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/sched"
	"github.com/segstack/segstack/stack"
)

// defaultSlab is the slab thickness of 3-D mode's labelling when Chunks.Z
// is not set: one plane, so that the labelling and renumbering passes use
// the plane buffers the smoothing pass used, and memory stays at a few
// planes per worker.
const defaultSlab = 1

// volume3D is the state of a 3-D run's passes: the run, the scratch file
// that holds the smoothed volume, the slabs the labelling works in (the
// chunks of a grid of whole planes) and the buffer pools.
type volume3D struct {
	r       *run
	scratch *outfile.File
	// f is the smoothed volume: the scratch file's, or a file shared by
	// the processes of a distributed run.
	f     *os.File
	grid  stack.Grid // slabs of whole planes
	nslab int
	// planes holds one plane per buffer; slabs one slab (planes when
	// slabs are one plane thick); labels one slab of labels.
	planes, slabs *stack.Pool[float32]
	labels        *stack.Pool[uint32]
	done, total   int // progress, in plane steps over the three passes
}

// run3D segments the stack as one volume in three streamed passes over Z
// slabs: smooth (to a scratch file, tracking the volume's extremes), label
// each slab for the chunk merge (kernels.ChunkMerger, the merge that
// MergeChunks makes) as the slabs come in, then label each slab again and
// write its labels renumbered in scipy's raster order (kernels.RelabelChunk).
// The scratch file takes 4 bytes per voxel and is removed when run3D
// returns.
func (r *run) run3D(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	v, err := r.newVolume3D()
	if err != nil {
		return err
	}
	defer v.close()
	lo, hi, err := r.smooth3D(ctx, v.f, v.planes, v.progress)
	if err != nil {
		return err
	}
	thr, err := v.threshold(ctx, lo, hi)
	if err != nil {
		return err
	}
	if r.opt.Split.Method == SplitWatershed {
		return v.splitVolume(ctx, thr)
	}
	merger, err := v.labelSlabs(ctx, thr)
	if err != nil {
		return err
	}
	rl, err := v.number(ctx, merger)
	if err != nil {
		return err
	}
	return v.relabelAndWrite(ctx, thr, rl)
}

// newVolume3D creates the scratch file (beside the labels output, or in the
// temporary directory) and the slab grid and pools.
func (r *run) newVolume3D() (*volume3D, error) {
	grid, err := r.slabGrid()
	if err != nil {
		return nil, err
	}
	dir := os.TempDir()
	if r.opt.Output != "" {
		dir = filepath.Dir(r.opt.Output)
	}
	// The scratch file is never committed: unnamed on Linux, so a killed
	// run leaves nothing; elsewhere a temporary the next run removes.
	f, err := outfile.Create(filepath.Join(dir, "segstack-smooth"))
	if err != nil {
		return nil, fmt.Errorf("scratch file: %w", err)
	}
	v := newSlabs(r, grid)
	v.scratch, v.f = f, f.File
	return v, nil
}

// slabGrid is the grid of a 3-D run's labelling slabs.
func (r *run) slabGrid() (stack.Grid, error) {
	slab := r.opt.Chunks.Z
	if slab <= 0 {
		slab = defaultSlab
	}
	s := r.shape
	return stack.NewGrid(s, stack.Shape{Z: min(slab, s.Z), Y: s.Y, X: s.X})
}

// newSlabs is the state of the passes over grid's slabs, without a
// smoothed volume yet.
func newSlabs(r *run, grid stack.Grid) *volume3D {
	s := r.shape
	v := &volume3D{r: r, grid: grid, nslab: grid.Len(), total: 3 * s.Z}
	// Buffers are pooled so that memory stays at a few planes per worker
	// instead of growing with garbage between collections; with slabs of
	// one plane the passes draw on the same pool of planes.
	planeLen := s.PlaneLen()
	v.planes = stack.NewPool[float32](planeLen)
	v.slabs = v.planes
	if grid.Chunk.Z > 1 {
		v.slabs = stack.NewPool[float32](grid.Chunk.Z * planeLen)
	}
	v.labels = stack.NewPool[uint32](grid.Chunk.Z * planeLen)
	return v
}

// close removes the scratch file.
func (v *volume3D) close() {
	if v.scratch != nil {
		v.scratch.Abort()
	}
}

// progress counts planes done in one of the passes.
func (v *volume3D) progress(planes int) {
	v.done += planes
	v.r.publishStages()
	if v.r.opt.Progress != nil {
		v.r.opt.Progress(v.done, v.total)
	}
}

// slab returns the shape and first plane of slab k.
func (v *volume3D) slab(k int) (stack.Shape, int) {
	b := v.grid.Box(k)
	return b.Shape(), b.Lo[0]
}

// readSlab reads slab k of the smoothed volume from the scratch file into
// a buffer of the slabs pool.
func (v *volume3D) readSlab(k int) (*stack.Volume[float32], error) {
	s, z0 := v.slab(k)
	sm := v.slabs.GetVolume(s)
	if err := readScratch(v.f, sm.Data, z0*s.PlaneLen()); err != nil {
		v.slabs.PutVolume(sm)
		return nil, err
	}
	return sm, nil
}

// threshold resolves the run's threshold against the whole smoothed volume,
// whose extremes are lo and hi: Otsu reads the volume back slab by slab
// into one histogram; the other kinds need only the maximum.
func (v *volume3D) threshold(ctx context.Context, lo, hi float32) (float32, error) {
	r := v.r
	var thr float32
	if r.opt.Threshold.Kind == kernels.ThresholdOtsu {
		t0 := time.Now()
		h := kernels.NewOtsuHistogram(lo, hi)
		err := forEachOrdered(ctx, r, v.nslab, "histogram", func(ctx context.Context, k int) (*kernels.OtsuHistogram, error) {
			sm, err := v.readSlab(k)
			if err != nil {
				return nil, err
			}
			defer v.slabs.PutVolume(sm)
			part := kernels.NewOtsuHistogram(lo, hi)
			part.Add(sm.Data)
			return part, nil
		}, func(k int, part *kernels.OtsuHistogram) error {
			return h.Merge(part)
		})
		if err != nil {
			return 0, err
		}
		thr = h.Threshold()
		r.rep.Stages.Threshold += time.Since(t0).Seconds()
	} else {
		thr = r.opt.Threshold.Resolve(nil, hi) // only Otsu reads the data
	}
	r.rep.Thresholds = []float32{thr}
	return thr, nil
}

// labelSlabs labels each slab of the smoothed volume above thr on the
// backend, for the chunk merge only (no labels are written), with the
// statistics of the raw input when the run writes them, and adds the slabs
// to a ChunkMerger in order as they come in, so that it holds the faces of
// one slab at a time and reuses their memory.
func (v *volume3D) labelSlabs(ctx context.Context, thr float32) (*kernels.ChunkMerger, error) {
	r := v.r
	conn := r.opt.Connectivity
	merger, err := kernels.NewChunkMerger(v.grid, conn)
	if err != nil {
		return nil, err
	}
	// Nothing reads a slab's faces once merged: their memory serves the
	// faces of the slabs labelled next.
	merger.RecycleFaces()
	type labelled struct {
		ch    *kernels.ChunkLabels
		times StageSeconds
	}
	err = forEachOrdered(ctx, r, v.nslab, "label", func(ctx context.Context, k int) (labelled, error) {
		ch, times, err := v.labelSlab(ctx, k, thr)
		return labelled{ch, times}, err
	}, func(k int, out labelled) error {
		t0 := time.Now()
		if err := merger.Add(ctx, out.ch); err != nil {
			return err
		}
		r.addTimes(out.times)
		r.rep.Stages.Merge += time.Since(t0).Seconds()
		v.progress(out.ch.Box.Shape().Z)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return merger, nil
}

// labelSlab labels slab k of the smoothed volume above thr for the chunk
// merge, with the statistics of the raw input when the run writes them.
func (v *volume3D) labelSlab(ctx context.Context, k int, thr float32) (*kernels.ChunkLabels, StageSeconds, error) {
	r := v.r
	s, z0 := v.slab(k)
	t0 := time.Now()
	sm, err := v.readSlab(k)
	if err != nil {
		return nil, StageSeconds{}, err
	}
	defer v.slabs.PutVolume(sm)
	var raw *stack.Volume[float32]
	if r.stats != nil || r.wantStats {
		raw = v.slabs.GetVolume(s)
		defer v.slabs.PutVolume(raw)
		for i := range s.Z {
			if err := r.src.ReadPlane(ctx, z0+i, raw.Plane(i)); err != nil {
				return nil, StageSeconds{}, fmt.Errorf("read plane %d: %w", z0+i, err)
			}
		}
	}
	t1 := time.Now()
	ch, err := r.backend.LabelChunkAbove(ctx, v.grid, k, nil, sm, thr, raw, r.opt.Connectivity)
	if err != nil {
		return nil, StageSeconds{}, fmt.Errorf("label planes %d..%d: %w", z0, z0+s.Z-1, err)
	}
	return ch, StageSeconds{Read: t1.Sub(t0).Seconds(), Label: time.Since(t1).Seconds()}, nil
}

// number numbers the volume's objects in scipy's order from the merged
// slabs, writes their statistics, and switches the labels file to uint32
// when the objects need it.
func (v *volume3D) number(ctx context.Context, merger *kernels.ChunkMerger) (*kernels.Relabeling, error) {
	r := v.r
	t0 := time.Now()
	defer func() { r.rep.Stages.Merge += time.Since(t0).Seconds() }()
	rl, err := merger.Relabeling(ctx)
	if err != nil {
		return nil, err
	}
	count := rl.N
	r.rep.Objects = int64(count)
	r.rep.Counts = []int{count}
	if r.sink != nil && count > 65535 && r.sink.is16() {
		if r.opt.LabelDType == LabelUint16 {
			return nil, fmt.Errorf("%d objects: %w", count, ErrLabelOverflow)
		}
		if err := r.sink.upgrade(); err != nil {
			return nil, err
		}
	}
	if r.stats != nil {
		rows := make([]Object, len(rl.Regions))
		for i, g := range rl.Regions {
			rows[i] = objectOf(g, -1, g.Label)
		}
		if err := r.stats.write(rows); err != nil {
			return nil, fmt.Errorf("write %s: %w", r.opt.Stats, err)
		}
	}
	return rl, nil
}

// relabelAndWrite labels each slab again on the backend (which gives the
// local labels of the labelling pass: labelling a slab costs less than
// writing its labels to a scratch file and reading them back), renumbers
// them with rl on the workers, and writes the planes in order here.
func (v *volume3D) relabelAndWrite(ctx context.Context, thr float32, rl *kernels.Relabeling) error {
	r := v.r
	wantPreview := map[int]bool{}
	if r.opt.Preview != "" {
		for _, z := range previewPlanesOf(r.shape.Z) {
			wantPreview[z] = true
		}
	}
	type renumbered struct {
		lab   *stack.Volume[uint32]
		times StageSeconds
	}
	var raw []float32
	return forEachOrdered(ctx, r, v.nslab, "renumber", func(ctx context.Context, k int) (renumbered, error) {
		lab, times, err := v.relabelSlab(ctx, k, thr, rl)
		return renumbered{lab, times}, err
	}, func(k int, out renumbered) error {
		defer v.labels.PutVolume(out.lab)
		r.addTimes(out.times)
		_, z0 := v.slab(k)
		for i := range out.lab.Shape.Z {
			z, plane := z0+i, out.lab.Plane(i)
			t0 := time.Now()
			if wantPreview[z] {
				if raw == nil {
					raw = make([]float32, r.shape.PlaneLen())
				}
				if err := r.src.ReadPlane(ctx, z, raw); err != nil {
					return fmt.Errorf("read plane %d: %w", z, err)
				}
				r.preview = append(r.preview, newPreviewTile(z, r.shape.Y, r.shape.X, raw, plane))
			}
			if r.sink != nil {
				if err := r.sink.write(ctx, z, plane, nil, uint32(rl.N)); err != nil {
					return err
				}
			}
			r.rep.Stages.Write += time.Since(t0).Seconds()
			v.progress(1)
		}
		return nil
	})
}

// relabelSlab labels slab k again (which gives the local labels of the
// labelling pass) and renumbers it with rl, into a buffer of the labels
// pool.
func (v *volume3D) relabelSlab(ctx context.Context, k int, thr float32, rl *kernels.Relabeling) (*stack.Volume[uint32], StageSeconds, error) {
	r := v.r
	s, z0 := v.slab(k)
	t0 := time.Now()
	sm, err := v.readSlab(k)
	if err != nil {
		return nil, StageSeconds{}, err
	}
	defer v.slabs.PutVolume(sm)
	t1 := time.Now()
	lab := v.labels.GetVolume(s)
	n, err := r.backend.LabelAbove(ctx, lab, sm, thr, r.opt.Connectivity)
	if want := len(rl.Table(k)); err == nil && n != want {
		err = fmt.Errorf("%d objects where the first pass found %d", n, want)
	}
	t2 := time.Now()
	if err == nil {
		err = kernels.RelabelChunk(lab, rl, k)
	}
	if err != nil {
		v.labels.PutVolume(lab)
		return nil, StageSeconds{}, fmt.Errorf("label planes %d..%d: %w", z0, z0+s.Z-1, err)
	}
	return lab, StageSeconds{Read: t1.Sub(t0).Seconds(), Label: t2.Sub(t1).Seconds(), Merge: time.Since(t2).Seconds()}, nil
}

func (r *run) addTimes(t StageSeconds) {
	s := &r.rep.Stages
	s.Read += t.Read
	s.Gaussian += t.Gaussian
	s.Threshold += t.Threshold
	s.Label += t.Label
	s.Merge += t.Merge
	s.Split += t.Split
	s.Write += t.Write
}

// forEachOrdered runs task(k) for k in [0, n) on the cluster, at most two
// per worker in flight, and calls merge(k, result) in order of k from the
// calling goroutine. On the first error it cancels the rest, waits for them
// and returns the error.
func forEachOrdered[T any](ctx context.Context, r *run, n int, kind string, task func(context.Context, int) (T, error), merge func(int, T) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	window := 2 * r.workers
	queue := make([]*sched.Future[T], 0, window)
	next := 0
	r.cluster.Plan(kind, n)
	fail := func(err error) error {
		cancel()
		for _, f := range queue {
			f.Get(context.Background())
		}
		return err
	}
	// pop waits for the oldest task in flight and merges its result.
	pop := func() error {
		v, err := queue[0].Get(ctx)
		queue = queue[1:]
		if err == nil {
			err = merge(next, v)
		}
		if err != nil {
			return fail(err)
		}
		next++
		return nil
	}
	for k := range n {
		if len(queue) == window {
			if err := pop(); err != nil {
				return err
			}
		}
		queue = append(queue, sched.Submit(ctx, r.cluster, func(ctx context.Context) (T, error) {
			return task(ctx, k)
		}, sched.Name(fmt.Sprintf("%s %d", kind, k)), sched.Kind(kind)))
	}
	for len(queue) > 0 {
		if err := pop(); err != nil {
			return err
		}
	}
	return nil
}

func f32Bytes(s []float32) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), 4*len(s))
}

// readScratch fills dst from a scratch file of float32 values, starting at
// element off.
func readScratch(f *os.File, dst []float32, off int) error {
	if _, err := f.ReadAt(f32Bytes(dst), int64(off)*4); err != nil && err != io.EOF {
		return fmt.Errorf("scratch file: %w", err)
	}
	return nil
}
