package segment

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
	"unsafe"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/sched"
	"github.com/segstack/segstack/stack"
)

// defaultSlab is the slab thickness of 3-D mode's labelling when Chunks.Z
// is not set: one plane, so that the labelling and renumbering passes use
// the plane buffers the smoothing pass used, and memory stays at a few
// planes per worker.
const defaultSlab = 1

// slabOut is what one 3-D labelling task hands the merger.
type slabOut struct {
	k, z0, z1   int
	n           int
	first, last []uint32 // labels of the slab's first and last planes
	sums        []regionAcc
	times       StageSeconds
}

// run3D segments the stack as one volume in three streamed passes over Z
// slabs: smooth (to a scratch file, tracking the volume's extremes), label
// each slab and merge labels across slab faces with union-find, then label
// each slab again and write its labels renumbered in scipy's raster order.
// The scratch file takes 4 bytes per voxel and is removed when run3D
// returns.
func (r *run) run3D(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	slab := r.opt.Chunks.Z
	if slab <= 0 {
		slab = defaultSlab
	}
	slab = min(slab, r.shape.Z)
	nslab := (r.shape.Z + slab - 1) / slab
	total := 3 * r.shape.Z
	done := 0
	progress := func(planes int) {
		done += planes
		r.publishStages()
		if r.opt.Progress != nil {
			r.opt.Progress(done, total)
		}
	}

	dir := os.TempDir()
	if r.opt.Output != "" {
		dir = filepath.Dir(r.opt.Output)
	}
	smoothF, err := os.CreateTemp(dir, ".segstack-smooth-*")
	if err != nil {
		return fmt.Errorf("scratch file: %w", err)
	}
	defer os.Remove(smoothF.Name())
	defer smoothF.Close()

	planeLen := r.shape.PlaneLen()
	bounds := func(k int) (int, int) { return k * slab, min((k+1)*slab, r.shape.Z) }
	// Buffers are pooled so that memory stays at a few planes per worker
	// instead of growing with garbage between collections; with slabs of
	// one plane every pass draws on the same two pools.
	planes := stack.NewPool[float32](planeLen)
	faces := stack.NewPool[uint32](planeLen) // slab faces kept for the merge
	f32, u32 := planes, faces
	if slab > 1 {
		f32 = stack.NewPool[float32](slab * planeLen)
		u32 = stack.NewPool[uint32](slab * planeLen)
	}

	// Pass 1: smooth plane by plane into the scratch file.
	lo, hi, err := r.smooth3D(ctx, smoothF, planes, progress)
	if err != nil {
		return err
	}

	// The threshold, from the whole smoothed volume.
	var thr float32
	switch r.opt.Threshold.Kind {
	case kernels.ThresholdOtsu:
		t0 := time.Now()
		h := kernels.NewOtsuHistogram(lo, hi)
		err = forEachOrdered(ctx, r, nslab, "histogram", func(ctx context.Context, k int) (*kernels.OtsuHistogram, error) {
			z0, z1 := bounds(k)
			buf := f32.Get()[:(z1-z0)*planeLen]
			defer f32.Put(buf)
			if err := readScratch(smoothF, buf, z0*planeLen); err != nil {
				return nil, err
			}
			part := kernels.NewOtsuHistogram(lo, hi)
			part.Add(buf)
			return part, nil
		}, func(k int, part *kernels.OtsuHistogram) error {
			return h.Merge(part)
		})
		if err != nil {
			return err
		}
		thr = h.Threshold()
		r.rep.Stages.Threshold += time.Since(t0).Seconds()
	default:
		thr = r.opt.Threshold.Resolve(nil, hi) // only Otsu reads the data
	}
	r.rep.Thresholds = []float32{thr}

	// Pass 2: label each slab; merge across faces as slabs come in order.
	uf := unionFind{parent: []uint32{0}}
	var sums []regionAcc // per provisional label, index 0 unused
	wantStats := r.stats != nil
	if wantStats {
		sums = []regionAcc{{}}
	}
	var prevLast []uint32
	var prevBase uint32
	bases := make([]uint32, nslab) // provisional id of each slab's label 0
	counts := make([]int, nslab)   // provisional labels of each slab
	conn := r.opt.Connectivity
	err = forEachOrdered(ctx, r, nslab, "label", func(ctx context.Context, k int) (*slabOut, error) {
		z0, z1 := bounds(k)
		s := stack.Shape{Z: z1 - z0, Y: r.shape.Y, X: r.shape.X}
		out := &slabOut{k: k, z0: z0, z1: z1}
		t0 := time.Now()
		sm := f32.GetVolume(s)
		defer f32.PutVolume(sm)
		if err := readScratch(smoothF, sm.Data, z0*planeLen); err != nil {
			return nil, err
		}
		var raw *stack.Volume[float32]
		if wantStats {
			raw = f32.GetVolume(s)
			defer f32.PutVolume(raw)
			for z := z0; z < z1; z++ {
				if err := r.src.ReadPlane(ctx, z, raw.Plane(z-z0)); err != nil {
					return nil, fmt.Errorf("read plane %d: %w", z, err)
				}
			}
		}
		t1 := time.Now()
		lab := u32.GetVolume(s)
		if s.Z > 1 {
			defer u32.PutVolume(lab)
		} else {
			// A one-plane slab's labels are its faces: they go to the
			// merger as they are (u32 is faces then).
			defer func() {
				if out.first == nil {
					u32.PutVolume(lab)
				}
			}()
		}
		var err error
		out.n, err = r.backend.LabelAbove(ctx, lab, sm, thr, conn)
		if err == nil && wantStats {
			// Sums of integer coordinates (and of integer intensities)
			// are exact in float64, so objects cut by slab faces add up
			// to the same statistics whatever the slab thickness.
			out.sums = planeStats(lab.Data, raw.Data, out.n, z0, s.Y, s.X)
		}
		if err != nil {
			return nil, fmt.Errorf("label planes %d..%d: %w", z0, z1-1, err)
		}
		t2 := time.Now()
		if s.Z == 1 {
			out.first, out.last = lab.Data, lab.Data
		} else {
			out.first = append(faces.Get()[:0], lab.Plane(0)...)
			out.last = append(faces.Get()[:0], lab.Plane(s.Z-1)...)
		}
		out.times = StageSeconds{Read: t1.Sub(t0).Seconds(), Label: t2.Sub(t1).Seconds(), Merge: time.Since(t2).Seconds()}
		return out, nil
	}, func(k int, out *slabOut) error {
		t0 := time.Now()
		base := uint32(len(uf.parent) - 1)
		if uint64(base)+uint64(out.n) > 1<<32-2 {
			return fmt.Errorf("more than %d provisional objects do not fit uint32 labels", uint64(1<<32-2))
		}
		uf.grow(out.n)
		bases[k], counts[k] = base, out.n
		if wantStats {
			sums = append(sums, out.sums...)
		}
		if prevLast != nil {
			mergeFace(&uf, prevLast, prevBase, out.first, base, r.shape.Y, r.shape.X, conn)
			faces.Put(prevLast)
		}
		if &out.first[0] != &out.last[0] {
			faces.Put(out.first)
		}
		prevLast, prevBase = out.last, base
		r.addTimes(out.times)
		r.rep.Stages.Merge += time.Since(t0).Seconds()
		progress(out.z1 - out.z0)
		return nil
	})
	if err != nil {
		return err
	}

	// Final numbering: provisional labels in order (slab by slab, each
	// slab in raster order) meet each object first at its first voxel.
	t0 := time.Now()
	final := make([]uint32, len(uf.parent))
	var count uint32
	for id := 1; id < len(uf.parent); id++ {
		root := uf.find(uint32(id))
		if final[root] == 0 {
			count++
			final[root] = count
		}
		final[id] = final[root]
	}
	r.rep.Objects = int64(count)
	r.rep.Counts = []int{int(count)}
	if r.sink != nil && count > 65535 && r.sink.opts.DType == stack.Uint16 {
		if r.opt.LabelDType == LabelUint16 {
			return fmt.Errorf("%d objects: %w", count, ErrLabelOverflow)
		}
		if err := r.sink.upgrade(); err != nil {
			return err
		}
	}
	if wantStats {
		objs := make([]regionAcc, count+1)
		for id := 1; id < len(sums); id++ {
			objs[final[id]].merge(&sums[id])
		}
		rows := make([]Object, count)
		for l := uint32(1); l <= count; l++ {
			rows[l-1] = objs[l].object(-1, l)
		}
		if err := r.stats.write(rows); err != nil {
			return fmt.Errorf("write %s: %w", r.opt.Stats, err)
		}
	}
	r.rep.Stages.Merge += time.Since(t0).Seconds()

	// Pass 3: renumber and write in plane order.
	wantPreview := map[int]bool{}
	if r.opt.Preview != "" {
		for _, z := range previewPlanesOf(r.shape.Z) {
			wantPreview[z] = true
		}
	}
	// Slabs are labelled again from the smoothed scratch file, which gives
	// the provisional labels of pass 2 (the labeller is deterministic), and
	// renumbered on the workers; planes are written in order here. Labelling
	// a slab costs less than writing its labels to a scratch file and
	// reading them back.
	type renumbered struct {
		lab   *stack.Volume[uint32]
		times StageSeconds
	}
	var raw []float32
	err = forEachOrdered(ctx, r, nslab, "renumber", func(ctx context.Context, k int) (renumbered, error) {
		z0, z1 := bounds(k)
		s := stack.Shape{Z: z1 - z0, Y: r.shape.Y, X: r.shape.X}
		t0 := time.Now()
		sm := f32.GetVolume(s)
		defer f32.PutVolume(sm)
		if err := readScratch(smoothF, sm.Data, z0*planeLen); err != nil {
			return renumbered{}, err
		}
		t1 := time.Now()
		lab := u32.GetVolume(s)
		n, err := r.backend.LabelAbove(ctx, lab, sm, thr, conn)
		if err == nil && n != counts[k] {
			err = fmt.Errorf("%d objects where the first pass found %d", n, counts[k])
		}
		if err != nil {
			u32.PutVolume(lab)
			return renumbered{}, fmt.Errorf("label planes %d..%d: %w", z0, z1-1, err)
		}
		t2 := time.Now()
		// Labels are the slab's own; 0 stays 0.
		table := final[bases[k]:]
		for i, l := range lab.Data {
			if l != 0 {
				lab.Data[i] = table[l]
			}
		}
		return renumbered{lab, StageSeconds{Read: t1.Sub(t0).Seconds(), Label: t2.Sub(t1).Seconds(), Merge: time.Since(t2).Seconds()}}, nil
	}, func(k int, out renumbered) error {
		defer u32.PutVolume(out.lab)
		r.addTimes(out.times)
		z0, _ := bounds(k)
		for i := range out.lab.Shape.Z {
			z, plane := z0+i, out.lab.Plane(i)
			t0 := time.Now()
			if wantPreview[z] {
				if raw == nil {
					raw = make([]float32, planeLen)
				}
				if err := r.src.ReadPlane(ctx, z, raw); err != nil {
					return fmt.Errorf("read plane %d: %w", z, err)
				}
				r.preview = append(r.preview, newPreviewTile(z, r.shape.Y, r.shape.X, raw, plane))
			}
			if r.sink != nil {
				if err := r.sink.write(ctx, z, plane, nil, count); err != nil {
					return err
				}
			}
			r.rep.Stages.Write += time.Since(t0).Seconds()
			progress(1)
		}
		return nil
	})
	return err
}

func (r *run) addTimes(t StageSeconds) {
	s := &r.rep.Stages
	s.Read += t.Read
	s.Gaussian += t.Gaussian
	s.Threshold += t.Threshold
	s.Label += t.Label
	s.Merge += t.Merge
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

// mergeFace unites the objects of two adjacent planes that touch under
// conn: a (labels offset by baseA) lies just above b (offset by baseB).
// It walks b by runs of one label: the voxels of a that a run [x0, x1) of
// row y touches are, in each row of a within reach, one interval (x0-1 ..
// x1 where corners or edges count, x0 .. x1-1 straight across), so each
// voxel of a is read about once per row of b instead of once per
// neighbour. Repeats of the pair just united are skipped.
func mergeFace(uf *unionFind, a []uint32, baseA uint32, b []uint32, baseB uint32, ny, nx int, conn kernels.Connectivity) {
	reach := 0 // how far in Y and X a neighbour across the face may be
	if conn == kernels.Conn18 || conn == kernels.Conn26 {
		reach = 1
	}
	var pa, pb uint32 // the last pair united; 0 never labels a voxel
	for y := range ny {
		rowB := b[y*nx : (y+1)*nx]
		y0, y1 := max(0, y-reach), min(ny-1, y+reach)
		for x0 := 0; x0 < nx; {
			lb := rowB[x0]
			x1 := x0 + 1
			for x1 < nx && rowB[x1] == lb {
				x1++
			}
			if lb != 0 {
				for yy := y0; yy <= y1; yy++ {
					lo, hi := x0, x1
					// 18-connectivity crosses the face through its
					// edges, not its corners: rows above and below
					// are reached straight across only.
					if reach == 1 && (conn == kernels.Conn26 || yy == y) {
						lo, hi = max(0, x0-1), min(nx, x1+1)
					}
					for _, la := range a[yy*nx+lo : yy*nx+hi] {
						if la != 0 && (la != pa || lb != pb) {
							uf.union(baseA+la, baseB+lb)
							pa, pb = la, lb
						}
					}
				}
			}
			x0 = x1
		}
	}
}

// unionFind is a disjoint-set forest over provisional labels whose roots are
// the smallest label of their set.
type unionFind struct{ parent []uint32 }

func (u *unionFind) grow(n int) {
	base := uint32(len(u.parent))
	for i := range n {
		u.parent = append(u.parent, base+uint32(i))
	}
}

func (u *unionFind) find(x uint32) uint32 {
	root := x
	for u.parent[root] != root {
		root = u.parent[root]
	}
	for u.parent[x] != root {
		u.parent[x], x = root, u.parent[x]
	}
	return root
}

func (u *unionFind) union(a, b uint32) {
	ra, rb := u.find(a), u.find(b)
	switch {
	case ra < rb:
		u.parent[rb] = ra
	case rb < ra:
		u.parent[ra] = rb
	}
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
