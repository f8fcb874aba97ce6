package offload

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// Labeler is implemented by devices that label connected components on the
// device. The Executor uses it for LabelAbove, LabelAbove16 and
// LabelAboveWithStats when every device implements it and the whole volume
// fits one device's memory; otherwise those calls run on the fallback.
type Labeler interface {
	// LabelAbove enqueues the labelling of the voxels of the float32
	// volume src (shape) that are > t, with connectivity conn, into dst as
	// uint32 (elemSize 4) or uint16 (elemSize 2) labels numbered exactly as
	// scipy.ndimage.label numbers them (raster order of each object's first
	// voxel), and stores the number of objects as a uint32 at the start of
	// count. scratch is a device buffer of LabelScratch(shape) bytes. With
	// elemSize 2 and more than 65535 objects the count is right and dst is
	// undefined.
	LabelAbove(s Stream, dst, count, scratch, src Buffer, shape stack.Shape, t float32, conn kernels.Connectivity, elemSize int) error
	// LabelScratch is the scratch LabelAbove needs for shape, in bytes.
	LabelScratch(shape stack.Shape) int
	// RegionStats enqueues the statistics of the n objects of labels
	// (uint32, shape) with intensity (float32, shape; nil for none): area,
	// bounding box, centroid sums, intensity sum, minimum and maximum, into
	// out, RegionStatsBytes(n) bytes that DecodeRegions turns into regions.
	RegionStats(s Stream, out, labels, intensity Buffer, shape stack.Shape, n int) error
	// RegionStatsBytes is the size of RegionStats's output for n objects.
	RegionStatsBytes(n int) int
	// DecodeRegions turns RegionStats's output into the regions of labels
	// 1..n, as kernels.Backend.LabelAboveWithStats reports them
	// (intensity statistics zero when there was no intensity).
	DecodeRegions(out []byte, n int, withIntensity bool) []kernels.Region
}

// labelers returns the devices as Labelers when every one is, and false
// otherwise.
func (e *Executor) labelers() ([]Labeler, bool) {
	ls := make([]Labeler, len(e.devs))
	for i, ds := range e.devs {
		l, ok := ds.dev.(Labeler)
		if !ok {
			return nil, false
		}
		ls[i] = l
	}
	return ls, true
}

// labelJob is one labelling call on a device.
type labelJob struct {
	op        string
	src       *stack.Volume[float32]
	t         float32
	conn      kernels.Connectivity
	elemSize  int
	intensity *stack.Volume[float32] // with stats
	stats     bool

	// Results.
	labels  []byte // the labels, elemSize bytes each, in pinned memory
	n       int
	regions []kernels.Region
}

// errNoRoom says a labelling call does not fit the device; it runs on the
// fallback without counting as a failure.
var errNoRoom = errors.New("offload: the volume does not fit the device for labelling")

// labelOnDevice labels j.src on the device with the most free memory.
// finish copies the labels out of pinned memory while the buffers are still
// held. It returns errNoRoom when the volume does not fit, or the device's
// failure.
func (e *Executor) labelOnDevice(ctx context.Context, j *labelJob, finish func(*labelJob) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return errClosed
	}
	e.stats.calls.Add(1)
	ls, ok := e.labelers()
	if !ok {
		return errNoRoom
	}
	// The device with the most room.
	best, bestFree := -1, int64(-1)
	for i, ds := range e.devs {
		free, _, err := ds.dev.MemInfo()
		if err != nil {
			return fmt.Errorf("offload: %s: memory info: %w", ds.name, err)
		}
		if free += ds.pool.idleBytes; free > bestFree {
			best, bestFree = i, free
		}
	}
	ds, l := e.devs[best], ls[best]
	shape := j.src.Shape
	n := shape.Len()
	need := int64(n)*int64(4+j.elemSize) + int64(l.LabelScratch(shape)) + 4
	if j.intensity != nil {
		need += 4 * int64(n)
	}
	if need > int64(float64(bestFree)*e.opt.MemoryFraction) {
		return errNoRoom
	}
	var held []Buffer
	var heldHost []HostBuffer
	defer func() {
		for _, b := range held {
			ds.pool.put(b)
		}
		for _, h := range heldHost {
			ds.pool.putHost(h)
		}
	}()
	get := func(size int) (Buffer, error) {
		b, err := ds.pool.get(max(size, 4))
		if err == nil {
			held = append(held, b)
		}
		return b, err
	}
	getHost := func(size int) ([]byte, error) {
		h, err := ds.pool.getHost(max(size, 4))
		if err != nil {
			return nil, err
		}
		heldHost = append(heldHost, h)
		return h.Bytes()[:size], nil
	}
	if len(ds.streams) == 0 {
		s, err := ds.dev.NewStream()
		if err != nil {
			return fmt.Errorf("offload: %s: new stream: %w", ds.name, err)
		}
		ds.streams = append(ds.streams, s)
	}
	s := ds.streams[0]
	fail := func(err error) error {
		_ = ds.dev.Synchronize(s)
		return &TileError{Device: ds.name, Op: j.op, Tile: stack.Box{Hi: shape.Dims()}, Err: err}
	}

	src, err := get(4 * n)
	if err != nil {
		return fail(err)
	}
	dst, err := get(j.elemSize * n)
	if err != nil {
		return fail(err)
	}
	count, err := get(4)
	if err != nil {
		return fail(err)
	}
	scratch, err := get(l.LabelScratch(shape))
	if err != nil {
		return fail(err)
	}
	hsrc, err := getHost(4 * n)
	if err != nil {
		return fail(err)
	}
	copy(hsrc, bytesOf(j.src.Data))
	if err := ds.dev.CopyToDevice(s, src, 0, hsrc); err != nil {
		return fail(err)
	}
	e.stats.toDevice.Add(int64(len(hsrc)))
	var hint []byte
	var ibuf Buffer
	if j.intensity != nil {
		if ibuf, err = get(4 * n); err != nil {
			return fail(err)
		}
		if hint, err = getHost(4 * n); err != nil {
			return fail(err)
		}
		copy(hint, bytesOf(j.intensity.Data))
		if err := ds.dev.CopyToDevice(s, ibuf, 0, hint); err != nil {
			return fail(err)
		}
		e.stats.toDevice.Add(int64(len(hint)))
	}
	if err := l.LabelAbove(s, dst, count, scratch, src, shape, j.t, j.conn, j.elemSize); err != nil {
		return fail(err)
	}
	hcount, err := getHost(4)
	if err != nil {
		return fail(err)
	}
	if err := ds.dev.CopyToHost(s, hcount, count, 0); err != nil {
		return fail(err)
	}
	if j.labels, err = getHost(j.elemSize * n); err != nil {
		return fail(err)
	}
	if err := ds.dev.CopyToHost(s, j.labels, dst, 0); err != nil {
		return fail(err)
	}
	e.stats.toHost.Add(int64(4 + len(j.labels)))
	if err := ds.dev.Synchronize(s); err != nil {
		return fail(err)
	}
	j.n = int(binary.NativeEndian.Uint32(hcount))
	if j.stats && j.n > 0 {
		size := l.RegionStatsBytes(j.n)
		out, err := get(size)
		if err != nil {
			return fail(err)
		}
		hout, err := getHost(size)
		if err != nil {
			return fail(err)
		}
		if err := l.RegionStats(s, out, dst, ibuf, shape, j.n); err != nil {
			return fail(err)
		}
		if err := ds.dev.CopyToHost(s, hout, out, 0); err != nil {
			return fail(err)
		}
		e.stats.toHost.Add(int64(size))
		if err := ds.dev.Synchronize(s); err != nil {
			return fail(err)
		}
		j.regions = l.DecodeRegions(hout, j.n, j.intensity != nil)
	}
	if j.stats && j.regions == nil {
		j.regions = []kernels.Region{}
	}
	e.stats.tiles.Add(1)
	return finish(j)
}

// bytesOf views a slice's elements as bytes.
func bytesOf[T stack.Elem](x []T) []byte {
	if len(x) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), len(x)*int(unsafe.Sizeof(x[0])))
}

// label runs j on a device and answers with fallback when the device
// cannot take it (errNoRoom) or fails (policy FallbackToCPU).
func (e *Executor) label(ctx context.Context, j *labelJob, finish func(*labelJob) error, fallback func() error) error {
	err := e.labelOnDevice(ctx, j, finish)
	var te *TileError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errNoRoom):
		e.stats.fallbackCalls.Add(1)
		return fallback()
	case errors.As(err, &te):
		if e.opt.Policy == Fail {
			return err
		}
		e.stats.fallbackCalls.Add(1)
		e.stats.failed(err)
		return fallback()
	}
	return err
}

// deviceConn is conn as the devices take it: 4 or 8 for a single plane, 6,
// 18 or 26 for a stack (0 is the smallest, a 3-D connectivity on a plane
// its 2-D section), as the CPU backend reads it; ok is false for a
// connectivity the CPU backend refuses, which the fallback then reports.
func deviceConn(conn kernels.Connectivity, s stack.Shape) (kernels.Connectivity, bool) {
	planar := s.Z == 1
	switch conn {
	case 0, kernels.Conn6:
		if planar {
			return kernels.Conn4, true
		}
		return kernels.Conn6, true
	case kernels.Conn4, kernels.Conn8:
		return conn, planar
	case kernels.Conn18, kernels.Conn26:
		if planar {
			return kernels.Conn8, true
		}
		return conn, true
	}
	return 0, false
}

// labelArgsOK reports whether a labelling call is well formed; a call that
// is not runs on the fallback, which says what is wrong.
func labelArgsOK[L stack.Elem](dst *stack.Volume[L], src *stack.Volume[float32], intensity *stack.Volume[float32]) bool {
	if checkPair(dst, src) != nil {
		return false
	}
	return intensity == nil || (checkVolume("intensity", intensity) == nil && intensity.Shape == src.Shape)
}

// LabelAbove labels the voxels of src above t on a device when the devices
// label (Labeler) and the volume fits one; otherwise on the fallback.
func (e *Executor) LabelAbove(ctx context.Context, dst *stack.Volume[uint32], src *stack.Volume[float32], t float32, conn kernels.Connectivity) (int, error) {
	if e.isClosed() {
		return 0, errClosed
	}
	c, ok := deviceConn(conn, shapeOf(src))
	if !ok || !labelArgsOK(dst, src, nil) {
		return e.fb.LabelAbove(ctx, dst, src, t, conn)
	}
	var n int
	j := &labelJob{op: "label", src: src, t: t, conn: c, elemSize: 4}
	err := e.label(ctx, j, func(j *labelJob) error {
		copy(bytesOf(dst.Data), j.labels)
		n = j.n
		return nil
	}, func() (err error) {
		n, err = e.fb.LabelAbove(ctx, dst, src, t, conn)
		return err
	})
	return n, err
}

// LabelAbove16 labels the voxels of src above t into uint16 labels, on a
// device as LabelAbove does.
func (e *Executor) LabelAbove16(ctx context.Context, dst *stack.Volume[uint16], src *stack.Volume[float32], t float32, conn kernels.Connectivity) (int, error) {
	if e.isClosed() {
		return 0, errClosed
	}
	c, ok := deviceConn(conn, shapeOf(src))
	if !ok || !labelArgsOK(dst, src, nil) {
		return e.fb.LabelAbove16(ctx, dst, src, t, conn)
	}
	var n int
	j := &labelJob{op: "label16", src: src, t: t, conn: c, elemSize: 2}
	err := e.label(ctx, j, func(j *labelJob) error {
		n = j.n
		if n > 65535 {
			return fmt.Errorf("offload: %d objects: %w", n, kernels.ErrLabelOverflow16)
		}
		copy(bytesOf(dst.Data), j.labels)
		return nil
	}, func() (err error) {
		n, err = e.fb.LabelAbove16(ctx, dst, src, t, conn)
		return err
	})
	return n, err
}

// LabelAboveWithStats labels the voxels of src above t and measures the
// objects, on a device as LabelAbove does.
func (e *Executor) LabelAboveWithStats(ctx context.Context, dst *stack.Volume[uint32], src *stack.Volume[float32], t float32, conn kernels.Connectivity, intensity *stack.Volume[float32]) (int, []kernels.Region, error) {
	if e.isClosed() {
		return 0, nil, errClosed
	}
	c, ok := deviceConn(conn, shapeOf(src))
	if !ok || !labelArgsOK(dst, src, intensity) {
		return e.fb.LabelAboveWithStats(ctx, dst, src, t, conn, intensity)
	}
	var n int
	var regions []kernels.Region
	j := &labelJob{op: "label+stats", src: src, t: t, conn: c, elemSize: 4, intensity: intensity, stats: true}
	err := e.label(ctx, j, func(j *labelJob) error {
		copy(bytesOf(dst.Data), j.labels)
		n, regions = j.n, j.regions
		return nil
	}, func() (err error) {
		n, regions, err = e.fb.LabelAboveWithStats(ctx, dst, src, t, conn, intensity)
		return err
	})
	return n, regions, err
}

func shapeOf(v *stack.Volume[float32]) stack.Shape {
	if v == nil {
		return stack.Shape{}
	}
	return v.Shape
}
