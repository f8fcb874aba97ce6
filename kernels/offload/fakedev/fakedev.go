// Package fakedev is a CPU-backed stand-in for an accelerator: it
// implements offload.Device with host memory, runs each stream's queue on a
// goroutine of its own, arbitrates a copy-in engine, a copy-out engine and a
// compute engine as a GPU does, computes with a kernels.Backend, and can be
// told to run slowly, to have little memory, and to fail chosen operations.
// It records a timeline of every operation so tests can see what overlapped.
//
// It exists to test the host-side orchestration (package offload) without a
// GPU; it is not a fast backend.
package fakedev

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/offload"
	"github.com/segstack/segstack/kernels/offload/internal/view"
	"github.com/segstack/segstack/stack"
)

// OpKind classifies operations for fault injection and the timeline.
type OpKind int

// Operation kinds.
const (
	OpAlloc OpKind = iota
	OpAllocHost
	OpNewStream
	OpCopyToDevice
	OpCopyToHost
	OpKernel
)

var kindNames = [...]string{"alloc", "alloc-host", "new-stream", "copy-to-device", "copy-to-host", "kernel"}

func (k OpKind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("OpKind(%d)", int(k))
	}
	return kindNames[k]
}

// Op identifies one operation to a fault injector.
type Op struct {
	Kind OpKind
	// Seq counts operations of this kind on the device, from 1, in the
	// order they were issued.
	Seq int
	// Name is the kernel's name ("gaussian", "max", "threshold") for
	// OpKernel, and "" otherwise.
	Name string
}

// Config describes a fake device. The zero value is a 64 MiB device that
// computes with kernels.CPU() as fast as it can.
type Config struct {
	// Name is the device's name; default "fake:0".
	Name string
	// Memory is the device memory in bytes; default 64 MiB.
	Memory int64
	// CopyDelay is added to every copy, KernelDelay to every kernel, both
	// while the engine is held, to make overlap measurable.
	CopyDelay, KernelDelay time.Duration
	// CopyRate and KernelRate, in bytes per second, add a delay in
	// proportion to the bytes copied or the kernel's input, to model a
	// host link and a device of that speed; 0 adds nothing.
	CopyRate, KernelRate float64
	// SharedCopyEngine makes copies in and out share one engine, as on
	// GPUs with a single copy engine.
	SharedCopyEngine bool
	// Backend computes the kernels; default kernels.CPU().
	Backend kernels.Backend
	// Fault, when set, is asked before each operation runs; an error it
	// returns becomes the operation's failure. Allocations fail at once;
	// copies and kernels fail when they run, and the failure is reported
	// by the stream's next Synchronize.
	Fault func(Op) error
}

// Event is one operation on the timeline.
type Event struct {
	Stream     int // the stream's number, from 0
	Kind       OpKind
	Name       string // the kernel's name, or "" for copies
	Start, End time.Time
}

// Counts are the device's allocation counters.
type Counts struct {
	Allocs, Frees, HostAllocs, HostFrees, Streams int
	// Live* are what is allocated now.
	LiveBuffers, LiveHost, LiveStreams int
	// Used and Peak are device bytes in use now and at most.
	Used, Peak int64
}

// Device is the fake device. Its methods are safe for concurrent use.
type Device struct {
	cfg Config
	be  kernels.Backend

	h2d, d2h, compute chan struct{} // engines, held while an op runs

	mu       sync.Mutex
	closed   bool
	seq      map[OpKind]int
	counts   Counts
	buffers  map[*buffer]bool
	hosts    map[*hostBuffer]bool
	streams  map[*stream]bool
	nstreams int
	timeline []Event
}

// New returns a fake device.
func New(cfg Config) *Device {
	if cfg.Name == "" {
		cfg.Name = "fake:0"
	}
	if cfg.Memory <= 0 {
		cfg.Memory = 64 << 20
	}
	be := cfg.Backend
	if be == nil {
		be = kernels.CPU()
	}
	d := &Device{
		cfg: cfg, be: be,
		h2d: make(chan struct{}, 1), d2h: make(chan struct{}, 1), compute: make(chan struct{}, 1),
		seq: map[OpKind]int{}, buffers: map[*buffer]bool{}, hosts: map[*hostBuffer]bool{}, streams: map[*stream]bool{},
	}
	if cfg.SharedCopyEngine {
		d.d2h = d.h2d
	}
	return d
}

var errClosed = errors.New("fakedev: device is closed")

// next counts an operation of kind k and asks the fault injector about it.
// It is called with d.mu held; the returned function runs the check.
func (d *Device) next(k OpKind, name string) func() error {
	d.seq[k]++
	op := Op{Kind: k, Seq: d.seq[k], Name: name}
	f := d.cfg.Fault
	return func() error {
		if f == nil {
			return nil
		}
		if err := f(op); err != nil {
			return fmt.Errorf("fakedev: %s #%d %s: %w", k, op.Seq, name, err)
		}
		return nil
	}
}

// Info describes the device.
func (d *Device) Info() kernels.DeviceInfo {
	return kernels.DeviceInfo{Name: d.cfg.Name, Kind: "fake", Model: "CPU-backed fake device", Cores: 1, MemoryBytes: d.cfg.Memory}
}

// MemInfo reports the free and total memory.
func (d *Device) MemInfo() (free, total int64, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return 0, 0, errClosed
	}
	return d.cfg.Memory - d.counts.Used, d.cfg.Memory, nil
}

type buffer struct {
	dev  *Device
	data []byte
}

func (b *buffer) Len() int { return len(b.data) }

type hostBuffer struct {
	dev  *Device
	data []byte
}

func (b *hostBuffer) Bytes() []byte { return b.data }

// Alloc allocates device memory, failing with offload.ErrOutOfMemory when
// it would exceed Config.Memory.
func (d *Device) Alloc(n int) (offload.Buffer, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, errClosed
	}
	if n <= 0 {
		return nil, fmt.Errorf("fakedev: alloc of %d bytes", n)
	}
	if err := d.next(OpAlloc, "")(); err != nil {
		return nil, err
	}
	if d.counts.Used+int64(n) > d.cfg.Memory {
		return nil, fmt.Errorf("fakedev: %d bytes requested, %d of %d free: %w",
			n, d.cfg.Memory-d.counts.Used, d.cfg.Memory, offload.ErrOutOfMemory)
	}
	b := &buffer{dev: d, data: view.Aligned(n)}
	d.buffers[b] = true
	d.counts.Allocs++
	d.counts.Used += int64(n)
	d.counts.Peak = max(d.counts.Peak, d.counts.Used)
	return b, nil
}

// Free releases a buffer.
func (d *Device) Free(ob offload.Buffer) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, ok := ob.(*buffer)
	if !ok || !d.buffers[b] {
		return fmt.Errorf("fakedev: free of a buffer %T that is not live on %s", ob, d.cfg.Name)
	}
	delete(d.buffers, b)
	d.counts.Frees++
	d.counts.Used -= int64(len(b.data))
	return nil
}

// AllocHost allocates "pinned" host memory.
func (d *Device) AllocHost(n int) (offload.HostBuffer, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, errClosed
	}
	if n <= 0 {
		return nil, fmt.Errorf("fakedev: host alloc of %d bytes", n)
	}
	if err := d.next(OpAllocHost, "")(); err != nil {
		return nil, err
	}
	b := &hostBuffer{dev: d, data: view.Aligned(n)}
	d.hosts[b] = true
	d.counts.HostAllocs++
	return b, nil
}

// FreeHost releases pinned host memory.
func (d *Device) FreeHost(ob offload.HostBuffer) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, ok := ob.(*hostBuffer)
	if !ok || !d.hosts[b] {
		return fmt.Errorf("fakedev: free of a host buffer %T that is not live on %s", ob, d.cfg.Name)
	}
	delete(d.hosts, b)
	d.counts.HostFrees++
	return nil
}

// Counts returns the allocation counters.
func (d *Device) Counts() Counts {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.counts
	c.LiveBuffers, c.LiveHost, c.LiveStreams = len(d.buffers), len(d.hosts), len(d.streams)
	return c
}

// Timeline returns the operations run so far, in the order they ended.
func (d *Device) Timeline() []Event {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Event(nil), d.timeline...)
}

// ResetTimeline forgets the recorded operations.
func (d *Device) ResetTimeline() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.timeline = nil
}

// Close destroys the streams (after their queued work) and frees all
// memory.
func (d *Device) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	streams := make([]*stream, 0, len(d.streams))
	for s := range d.streams {
		streams = append(streams, s)
	}
	d.mu.Unlock()
	for _, s := range streams {
		s.stop()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.streams = map[*stream]bool{}
	d.buffers = map[*buffer]bool{}
	d.hosts = map[*hostBuffer]bool{}
	d.counts.Used = 0
	return nil
}

// stream is a queue served by its own goroutine.
type stream struct {
	dev  *Device
	id   int
	ops  chan func()
	done chan struct{}

	qmu     sync.Mutex // guards sending on ops against closing it
	stopped bool

	mu  sync.Mutex
	err error // first failure since the last Synchronize
}

func (s *stream) String() string { return fmt.Sprintf("%s/stream%d", s.dev.cfg.Name, s.id) }

func (s *stream) serve() {
	defer close(s.done)
	for op := range s.ops {
		op()
	}
}

// send queues op; it fails once the stream is stopped.
func (s *stream) send(op func()) error {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if s.stopped {
		return fmt.Errorf("fakedev: stream %v was destroyed", s)
	}
	s.ops <- op
	return nil
}

func (s *stream) stop() {
	s.qmu.Lock()
	if !s.stopped {
		s.stopped = true
		close(s.ops)
	}
	s.qmu.Unlock()
	<-s.done
}

func (s *stream) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
}

func (s *stream) failed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err != nil
}

// NewStream starts a stream.
func (d *Device) NewStream() (offload.Stream, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, errClosed
	}
	if err := d.next(OpNewStream, "")(); err != nil {
		return nil, err
	}
	s := &stream{dev: d, id: d.nstreams, ops: make(chan func(), 64), done: make(chan struct{})}
	d.nstreams++
	d.counts.Streams++
	d.streams[s] = true
	go s.serve()
	return s, nil
}

func (d *Device) stream(os offload.Stream) (*stream, error) {
	s, ok := os.(*stream)
	if !ok || s.dev != d {
		return nil, fmt.Errorf("fakedev: stream %v is not a stream of %s", os, d.cfg.Name)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, errClosed
	}
	if !d.streams[s] {
		return nil, fmt.Errorf("fakedev: stream %v was destroyed", s)
	}
	return s, nil
}

// DestroyStream waits for the stream's work and stops it.
func (d *Device) DestroyStream(os offload.Stream) error {
	s, err := d.stream(os)
	if err != nil {
		return err
	}
	d.mu.Lock()
	delete(d.streams, s)
	d.mu.Unlock()
	s.stop()
	return nil
}

// Synchronize waits for the stream's queue to drain and returns the first
// failure since the last Synchronize.
func (d *Device) Synchronize(os offload.Stream) error {
	s, err := d.stream(os)
	if err != nil {
		return err
	}
	flushed := make(chan struct{})
	if err := s.send(func() { close(flushed) }); err != nil {
		return err
	}
	<-flushed
	s.mu.Lock()
	defer s.mu.Unlock()
	err, s.err = s.err, nil
	return err
}

// enqueue queues an operation of kind k on s. It runs on engine, with the
// configured delay, unless an earlier operation since the last Synchronize
// failed; a failure of its own is recorded for Synchronize.
func (d *Device) enqueue(os offload.Stream, k OpKind, name string, engine chan struct{}, delay time.Duration, rate float64, bytes int, run func() error) error {
	s, err := d.stream(os)
	if err != nil {
		return err
	}
	if rate > 0 {
		delay += time.Duration(float64(bytes) / rate * float64(time.Second))
	}
	d.mu.Lock()
	fault := d.next(k, name)
	d.mu.Unlock()
	return s.send(func() {
		if s.failed() {
			return
		}
		engine <- struct{}{}
		start := time.Now()
		err := fault()
		if err == nil {
			if delay > 0 {
				time.Sleep(delay)
			}
			err = run()
		}
		end := time.Now()
		<-engine
		d.mu.Lock()
		d.timeline = append(d.timeline, Event{Stream: s.id, Kind: k, Name: name, Start: start, End: end})
		d.mu.Unlock()
		if err != nil {
			s.fail(err)
		}
	})
}

func (d *Device) buffer(ob offload.Buffer) (*buffer, error) {
	b, ok := ob.(*buffer)
	if !ok || b.dev != d {
		return nil, fmt.Errorf("fakedev: buffer %T is not memory of %s", ob, d.cfg.Name)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.buffers[b] {
		return nil, fmt.Errorf("fakedev: buffer was freed")
	}
	return b, nil
}

// pinned checks that p lies within one of the device's host buffers, as
// asynchronous copies require.
func (d *Device) pinned(p []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for h := range d.hosts {
		if view.Within(p, h.data) {
			return nil
		}
	}
	return fmt.Errorf("fakedev: %d bytes of host memory are not pinned memory of %s", len(p), d.cfg.Name)
}

// CopyToDevice enqueues a copy of src into dst at byte offset off.
func (d *Device) CopyToDevice(s offload.Stream, dst offload.Buffer, off int, src []byte) error {
	b, err := d.buffer(dst)
	if err != nil {
		return err
	}
	if err := d.pinned(src); err != nil {
		return err
	}
	if off < 0 || off+len(src) > len(b.data) {
		return fmt.Errorf("fakedev: copy of %d bytes at %d overruns a %d-byte buffer", len(src), off, len(b.data))
	}
	return d.enqueue(s, OpCopyToDevice, "", d.h2d, d.cfg.CopyDelay, d.cfg.CopyRate, len(src), func() error {
		copy(b.data[off:], src)
		return nil
	})
}

// CopyToHost enqueues a copy of len(dst) bytes from src at byte offset off.
func (d *Device) CopyToHost(s offload.Stream, dst []byte, src offload.Buffer, off int) error {
	b, err := d.buffer(src)
	if err != nil {
		return err
	}
	if err := d.pinned(dst); err != nil {
		return err
	}
	if off < 0 || off+len(dst) > len(b.data) {
		return fmt.Errorf("fakedev: copy of %d bytes at %d overruns a %d-byte buffer", len(dst), off, len(b.data))
	}
	return d.enqueue(s, OpCopyToHost, "", d.d2h, d.cfg.CopyDelay, d.cfg.CopyRate, len(dst), func() error {
		copy(dst, b.data[off:off+len(dst)])
		return nil
	})
}

// volumes checks buffers and views them as volumes of shape.
func volumes[D, S stack.Elem](d *Device, dst, src offload.Buffer, shape stack.Shape) (*stack.Volume[D], *stack.Volume[S], error) {
	db, err := d.buffer(dst)
	if err != nil {
		return nil, nil, err
	}
	sb, err := d.buffer(src)
	if err != nil {
		return nil, nil, err
	}
	dv, err := view.Volume[D](db.data, shape)
	if err != nil {
		return nil, nil, fmt.Errorf("fakedev: destination: %w", err)
	}
	sv, err := view.Volume[S](sb.data, shape)
	if err != nil {
		return nil, nil, fmt.Errorf("fakedev: source: %w", err)
	}
	return dv, sv, nil
}

// Gaussian enqueues the Backend's Gaussian on the buffers.
func (d *Device) Gaussian(s offload.Stream, dst, src offload.Buffer, shape stack.Shape, opt kernels.GaussianOptions) error {
	dv, sv, err := volumes[float32, float32](d, dst, src, shape)
	if err != nil {
		return err
	}
	return d.enqueue(s, OpKernel, "gaussian", d.compute, d.cfg.KernelDelay, d.cfg.KernelRate, 4*shape.Len(), func() error {
		_, err := d.be.Gaussian(context.Background(), dv, sv, opt)
		return err
	})
}

// Max enqueues the Backend's Max over region, stored at the start of dst.
func (d *Device) Max(s offload.Stream, dst, src offload.Buffer, shape stack.Shape, region stack.Box) error {
	db, err := d.buffer(dst)
	if err != nil {
		return err
	}
	out, err := view.Of[float32](db.data, 1)
	if err != nil {
		return fmt.Errorf("fakedev: max destination: %w", err)
	}
	sb, err := d.buffer(src)
	if err != nil {
		return err
	}
	sv, err := view.Volume[float32](sb.data, shape)
	if err != nil {
		return fmt.Errorf("fakedev: max source: %w", err)
	}
	return d.enqueue(s, OpKernel, "max", d.compute, d.cfg.KernelDelay, d.cfg.KernelRate, 4*region.Shape().Len(), func() error {
		part, err := stack.ExtractTile(sv, region, [3]int{}, stack.Reflect, 0, nil)
		if err != nil {
			return err
		}
		m, err := d.be.Max(context.Background(), part)
		out[0] = m
		return err
	})
}

// Threshold enqueues the Backend's Threshold on the first n elements.
func (d *Device) Threshold(s offload.Stream, dst, src offload.Buffer, n int, t float32) error {
	if n <= 0 {
		return fmt.Errorf("fakedev: threshold of %d elements", n)
	}
	dv, sv, err := volumes[uint8, float32](d, dst, src, stack.Shape{Z: 1, Y: 1, X: n})
	if err != nil {
		return err
	}
	return d.enqueue(s, OpKernel, "threshold", d.compute, d.cfg.KernelDelay, d.cfg.KernelRate, 4*n, func() error {
		return d.be.Threshold(context.Background(), dv, sv, t)
	})
}

var _ offload.Device = (*Device)(nil)

// LabelScratch is the scratch LabelAbove asks for: a uint32 per voxel, as
// a device's union-find needs.
func (d *Device) LabelScratch(shape stack.Shape) int { return 4 * shape.Len() }

// LabelAbove enqueues the Backend's labelling of the voxels of src above t
// into uint32 (elemSize 4) or uint16 (elemSize 2) labels, storing the
// count at the start of count.
func (d *Device) LabelAbove(s offload.Stream, dst, count, scratch, src offload.Buffer, shape stack.Shape, t float32, conn kernels.Connectivity, elemSize int) error {
	sb, err := d.buffer(src)
	if err != nil {
		return err
	}
	sv, err := view.Volume[float32](sb.data, shape)
	if err != nil {
		return fmt.Errorf("fakedev: label source: %w", err)
	}
	cb, err := d.buffer(count)
	if err != nil {
		return err
	}
	cv, err := view.Of[uint32](cb.data, 1)
	if err != nil {
		return fmt.Errorf("fakedev: label count: %w", err)
	}
	xb, err := d.buffer(scratch)
	if err != nil {
		return err
	}
	if xb.Len() < d.LabelScratch(shape) {
		return fmt.Errorf("fakedev: label scratch of %d bytes, %d needed", xb.Len(), d.LabelScratch(shape))
	}
	db, err := d.buffer(dst)
	if err != nil {
		return err
	}
	var run func() (int, error)
	switch elemSize {
	case 4:
		dv, err := view.Volume[uint32](db.data, shape)
		if err != nil {
			return fmt.Errorf("fakedev: label destination: %w", err)
		}
		run = func() (int, error) { return d.be.LabelAbove(context.Background(), dv, sv, t, conn) }
	case 2:
		dv, err := view.Volume[uint16](db.data, shape)
		if err != nil {
			return fmt.Errorf("fakedev: label destination: %w", err)
		}
		run = func() (int, error) {
			n, err := d.be.LabelAbove16(context.Background(), dv, sv, t, conn)
			if errors.Is(err, kernels.ErrLabelOverflow16) {
				err = nil // the count is right and the labels undefined, as on a device
			}
			return n, err
		}
	default:
		return fmt.Errorf("fakedev: labels of %d bytes", elemSize)
	}
	return d.enqueue(s, OpKernel, "label", d.compute, d.cfg.KernelDelay, d.cfg.KernelRate, 4*shape.Len(), func() error {
		n, err := run()
		cv[0] = uint32(n)
		return err
	})
}

// regionWords is the number of 8-byte words a region takes in
// RegionStats's output: label, area, the box's Lo and Hi, the centroid,
// the mean, minimum and maximum intensity.
const regionWords = 14

// RegionStatsBytes is the size of RegionStats's output for n objects.
func (d *Device) RegionStatsBytes(n int) int { return 8 * regionWords * n }

// RegionStats enqueues the Backend's measurement of the n objects of
// labels, with intensity (nil for none), into out.
func (d *Device) RegionStats(s offload.Stream, out, labels, intensity offload.Buffer, shape stack.Shape, n int) error {
	ob, err := d.buffer(out)
	if err != nil {
		return err
	}
	if ob.Len() < d.RegionStatsBytes(n) {
		return fmt.Errorf("fakedev: region stats output of %d bytes, %d needed", ob.Len(), d.RegionStatsBytes(n))
	}
	lb, err := d.buffer(labels)
	if err != nil {
		return err
	}
	lv, err := view.Volume[uint32](lb.data, shape)
	if err != nil {
		return fmt.Errorf("fakedev: region stats labels: %w", err)
	}
	var iv *stack.Volume[float32]
	if intensity != nil {
		ib, err := d.buffer(intensity)
		if err != nil {
			return err
		}
		if iv, err = view.Volume[float32](ib.data, shape); err != nil {
			return fmt.Errorf("fakedev: region stats intensity: %w", err)
		}
	}
	return d.enqueue(s, OpKernel, "regionstats", d.compute, d.cfg.KernelDelay, d.cfg.KernelRate, 4*shape.Len(), func() error {
		rs, err := kernels.MeasureRegions(context.Background(), lv, n, iv)
		if err != nil {
			return err
		}
		w := ob.data
		put := func(i int, v uint64) { binary.NativeEndian.PutUint64(w[8*i:], v) }
		for k, r := range rs {
			b := k * regionWords
			put(b, uint64(r.Label))
			put(b+1, uint64(r.Area))
			for a := range 3 {
				put(b+2+a, uint64(r.BBox.Lo[a]))
				put(b+5+a, uint64(r.BBox.Hi[a]))
				put(b+8+a, math.Float64bits(r.Centroid[a]))
			}
			put(b+11, math.Float64bits(r.MeanIntensity))
			put(b+12, math.Float64bits(r.MinIntensity))
			put(b+13, math.Float64bits(r.MaxIntensity))
		}
		return nil
	})
}

// DecodeRegions reads RegionStats's output.
func (d *Device) DecodeRegions(out []byte, n int, _ bool) []kernels.Region {
	get := func(i int) uint64 { return binary.NativeEndian.Uint64(out[8*i:]) }
	rs := make([]kernels.Region, n)
	for k := range rs {
		b := k * regionWords
		r := &rs[k]
		r.Label = uint32(get(b))
		r.Area = int(get(b + 1))
		for a := range 3 {
			r.BBox.Lo[a] = int(get(b + 2 + a))
			r.BBox.Hi[a] = int(get(b + 5 + a))
			r.Centroid[a] = math.Float64frombits(get(b + 8 + a))
		}
		r.MeanIntensity = math.Float64frombits(get(b + 11))
		r.MinIntensity = math.Float64frombits(get(b + 12))
		r.MaxIntensity = math.Float64frombits(get(b + 13))
	}
	return rs
}

var _ offload.Labeler = (*Device)(nil)
