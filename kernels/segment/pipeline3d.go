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

// defaultSlab is the largest slab thickness of 3-D mode when Chunks.Z is
// not set; slabBudget bounds one slab buffer (with its halo) in bytes.
const (
	defaultSlab = 16
	slabBudget  = 64 << 20
)

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
// each slab and merge labels across slab faces with union-find, then write
// the labels renumbered in scipy's raster order. Scratch files take 8 bytes
// per voxel and are removed when run3D returns.
func (r *run) run3D(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	slab := r.opt.Chunks.Z
	if slab <= 0 {
		// Up to 16 planes, fewer where a slab and its halo would pass
		// slabBudget bytes of float32.
		h := radius(r.opt.Sigma[0])
		slab = max(1, min(defaultSlab, slabBudget/(4*r.shape.PlaneLen())-2*h))
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
	labelF, err := os.CreateTemp(dir, ".segstack-labels-*")
	if err != nil {
		return fmt.Errorf("scratch file: %w", err)
	}
	defer os.Remove(labelF.Name())
	defer labelF.Close()

	planeLen := r.shape.PlaneLen()
	bounds := func(k int) (int, int) { return k * slab, min((k+1)*slab, r.shape.Z) }
	halo := radius(r.opt.Sigma[0])
	// Slab buffers are pooled so that memory stays at a few slabs per
	// worker instead of growing with garbage between collections.
	f32 := stack.NewPool[float32]((slab + 2*halo) * planeLen)
	u32 := stack.NewPool[uint32](slab * planeLen)

	// Pass 1: smooth each slab with a halo of the kernel's Z radius.
	type extremes struct {
		lo, hi float32
		times  StageSeconds
	}
	var lo, hi float32
	err = forEachOrdered(ctx, r, nslab, "smooth", func(ctx context.Context, k int) (extremes, error) {
		z0, z1 := bounds(k)
		var e extremes
		t0 := time.Now()
		in := f32.GetVolume(stack.Shape{Z: z1 - z0 + 2*halo, Y: r.shape.Y, X: r.shape.X})
		defer f32.PutVolume(in)
		for i := range in.Shape.Z {
			z, _ := stack.Reflect.MapIndex(z0-halo+i, r.shape.Z)
			if err := r.src.ReadPlane(ctx, z, in.Plane(i)); err != nil {
				return e, fmt.Errorf("read plane %d: %w", z, err)
			}
		}
		t1 := time.Now()
		out := f32.GetVolume(in.Shape)
		defer f32.PutVolume(out)
		if _, err := r.gaussian(ctx, out, in); err != nil {
			return e, fmt.Errorf("gaussian: %w", err)
		}
		core := out.Slab(halo, halo+z1-z0)
		e.lo, e.hi = minMax(core.Data)
		t2 := time.Now()
		if _, err := smoothF.WriteAt(f32Bytes(core.Data), int64(z0)*int64(planeLen)*4); err != nil {
			return e, fmt.Errorf("scratch file: %w", err)
		}
		e.times = StageSeconds{Read: t1.Sub(t0).Seconds(), Gaussian: t2.Sub(t1).Seconds(), Write: time.Since(t2).Seconds()}
		return e, nil
	}, func(k int, e extremes) error {
		if k == 0 {
			lo, hi = e.lo, e.hi
		}
		lo, hi = min(lo, e.lo), max(hi, e.hi)
		r.addTimes(e.times)
		z0, z1 := bounds(k)
		progress(z1 - z0)
		return nil
	})
	if err != nil {
		return err
	}

	// The threshold, from the whole smoothed volume.
	var thr float32
	switch r.opt.Threshold.Kind {
	case Absolute:
		thr = float32(r.opt.Threshold.Value)
	case Otsu:
		t0 := time.Now()
		h := kernels.NewOtsuHistogram(lo, hi)
		err = forEachOrdered(ctx, r, nslab, "histogram", func(ctx context.Context, k int) (*kernels.OtsuHistogram, error) {
			z0, z1 := bounds(k)
			buf := make([]float32, (z1-z0)*planeLen)
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
		thr = r.opt.Threshold.fromMax(hi)
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
		defer u32.PutVolume(lab)
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
		out.first = append([]uint32(nil), lab.Plane(0)...)
		out.last = append([]uint32(nil), lab.Plane(s.Z-1)...)
		if _, err := labelF.WriteAt(u32Bytes(lab.Data), int64(z0)*int64(planeLen)*4); err != nil {
			return nil, fmt.Errorf("scratch file: %w", err)
		}
		out.times = StageSeconds{Read: t1.Sub(t0).Seconds(), Label: t2.Sub(t1).Seconds(), Write: time.Since(t2).Seconds()}
		return out, nil
	}, func(k int, out *slabOut) error {
		t0 := time.Now()
		base := uint32(len(uf.parent) - 1)
		if uint64(base)+uint64(out.n) > 1<<32-2 {
			return fmt.Errorf("more than %d provisional objects do not fit uint32 labels", uint64(1<<32-2))
		}
		uf.grow(out.n)
		bases[k] = base
		if wantStats {
			sums = append(sums, out.sums...)
		}
		if prevLast != nil {
			mergeFace(&uf, prevLast, prevBase, out.first, base, r.shape.Y, r.shape.X, conn)
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
	// Slabs are read back and renumbered on the workers; planes are
	// written in order here.
	type renumbered struct {
		lab   *stack.Volume[uint32]
		times StageSeconds
	}
	var raw []float32
	err = forEachOrdered(ctx, r, nslab, "renumber", func(ctx context.Context, k int) (renumbered, error) {
		z0, z1 := bounds(k)
		t0 := time.Now()
		lab := u32.GetVolume(stack.Shape{Z: z1 - z0, Y: r.shape.Y, X: r.shape.X})
		if err := readScratch32(labelF, lab.Data, z0*planeLen); err != nil {
			u32.PutVolume(lab)
			return renumbered{}, err
		}
		t1 := time.Now()
		// Scratch labels are the slab's own; 0 stays 0.
		base := bases[k]
		for i, l := range lab.Data {
			if l != 0 {
				lab.Data[i] = final[base+l]
			}
		}
		return renumbered{lab, StageSeconds{Read: t1.Sub(t0).Seconds(), Merge: time.Since(t1).Seconds()}}, nil
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
				if err := r.sink.write(ctx, z, plane, count); err != nil {
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
	for k := range n {
		if len(queue) == window {
			v, err := queue[0].Get(ctx)
			queue = queue[1:]
			if err == nil {
				err = merge(next, v)
			}
			if err != nil {
				return fail(err)
			}
			next++
		}
		queue = append(queue, sched.Submit(ctx, r.cluster, func(ctx context.Context) (T, error) {
			return task(ctx, k)
		}, sched.Name(fmt.Sprintf("%s %d", kind, k)), sched.Kind(kind)))
	}
	for len(queue) > 0 {
		v, err := queue[0].Get(ctx)
		queue = queue[1:]
		if err == nil {
			err = merge(next, v)
		}
		if err != nil {
			return fail(err)
		}
		next++
	}
	return nil
}

// mergeFace unites the objects of two adjacent planes that touch under
// conn: a (labels offset by baseA) lies just above b (offset by baseB).
func mergeFace(uf *unionFind, a []uint32, baseA uint32, b []uint32, baseB uint32, ny, nx int, conn kernels.Connectivity) {
	reach := 0 // how far in Y and X a neighbour across the face may be
	if conn == kernels.Conn18 || conn == kernels.Conn26 {
		reach = 1
	}
	for y := range ny {
		for x := range nx {
			lb := b[y*nx+x]
			if lb == 0 {
				continue
			}
			for dy := -reach; dy <= reach; dy++ {
				yy := y + dy
				if yy < 0 || yy >= ny {
					continue
				}
				for dx := -reach; dx <= reach; dx++ {
					xx := x + dx
					if xx < 0 || xx >= nx {
						continue
					}
					// 18-connectivity crosses the face through its
					// edges, not its corners.
					if conn == kernels.Conn18 && dy != 0 && dx != 0 {
						continue
					}
					if la := a[yy*nx+xx]; la != 0 {
						uf.union(baseA+la, baseB+lb)
					}
				}
			}
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

func u32Bytes(s []uint32) []byte {
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

func readScratch32(f *os.File, dst []uint32, off int) error {
	if _, err := f.ReadAt(u32Bytes(dst), int64(off)*4); err != nil && err != io.EOF {
		return fmt.Errorf("scratch file: %w", err)
	}
	return nil
}

func minMax(v []float32) (lo, hi float32) {
	if len(v) == 0 {
		return 0, 0
	}
	lo, hi = v[0], v[0]
	for _, x := range v[1:] {
		lo = min(lo, x)
		hi = max(hi, x)
	}
	return lo, hi
}
