//go:build cuda

package cuda

import (
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"unsafe"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/offload"
)

// ptxModule is one embedded PTX file, loaded into every GPU's context.
type ptxModule struct {
	name string
	ptx  []byte
}

var modules struct {
	sync.Mutex
	list []ptxModule
}

// addPTX registers a PTX file (from an init function) to be loaded by every
// GPU the family opens.
func addPTX(name string, ptx []byte) {
	modules.Lock()
	defer modules.Unlock()
	modules.list = append(modules.list, ptxModule{name, ptx})
}

func registeredPTX() []ptxModule {
	modules.Lock()
	defer modules.Unlock()
	l := append([]ptxModule(nil), modules.list...)
	sort.Slice(l, func(i, j int) bool { return l[i].name < l[j].name })
	return l
}

// Device attributes (CUdevice_attribute).
const (
	attrMultiprocessors = 16
	attrComputeMajor    = 75
	attrComputeMinor    = 76
)

// gpu is one CUDA device, driven through its primary context. It
// implements offload.Device; the kernels are in the ops files. Its methods
// lock the calling goroutine to an OS thread and make the context current
// before each driver call.
type gpu struct {
	d    *driver
	ord  int
	ctx  uintptr
	info kernels.DeviceInfo

	mu      sync.Mutex
	closed  bool
	mods    []uintptr
	funcs   map[string]uintptr
	bufs    map[*devBuf]bool
	hosts   map[*hostBuf]bool
	streams map[*stream]bool
	nstream int
}

// devBuf is device memory.
type devBuf struct {
	g *gpu
	p uint64
	n int
}

func (b *devBuf) Len() int { return b.n }

// hostBuf is pinned host memory from cuMemAllocHost.
type hostBuf struct {
	g *gpu
	p unsafe.Pointer
	b []byte
}

func (b *hostBuf) Bytes() []byte { return b.b }

// stream is a CUDA stream of the gpu's context.
type stream struct {
	g  *gpu
	h  uintptr
	id int
}

func (s *stream) String() string { return fmt.Sprintf("%s/stream%d", s.g.info.Name, s.id) }

var errClosed = errors.New("cuda: device is closed")

// deviceInfo describes device ord.
func deviceInfo(d *driver, ord int) (kernels.DeviceInfo, error) {
	var dev int32
	if err := d.check("cuDeviceGet", d.cuDeviceGet(&dev, int32(ord))); err != nil {
		return kernels.DeviceInfo{}, err
	}
	name := make([]byte, 256)
	if err := d.check("cuDeviceGetName", d.cuDeviceGetName(&name[0], int32(len(name)), dev)); err != nil {
		return kernels.DeviceInfo{}, err
	}
	var mem uint64
	if err := d.check("cuDeviceTotalMem_v2", d.cuDeviceTotalMem(&mem, dev)); err != nil {
		return kernels.DeviceInfo{}, err
	}
	attr := func(a int32) (int, error) {
		var v int32
		err := d.check("cuDeviceGetAttribute", d.cuDeviceGetAttribute(&v, a, dev))
		return int(v), err
	}
	sms, err := attr(attrMultiprocessors)
	if err != nil {
		return kernels.DeviceInfo{}, err
	}
	major, err := attr(attrComputeMajor)
	if err != nil {
		return kernels.DeviceInfo{}, err
	}
	minor, err := attr(attrComputeMinor)
	if err != nil {
		return kernels.DeviceInfo{}, err
	}
	return kernels.DeviceInfo{
		Name: fmt.Sprintf("%s:%d", Kind, ord), Kind: Kind, Model: cStringIn(name), Cores: sms,
		MemoryBytes: int64(mem), Compute: fmt.Sprintf("%d.%d", major, minor), Driver: versionString(d.version),
	}, nil
}

// listDevices reports every device the driver sees.
func listDevices(d *driver) ([]kernels.DeviceInfo, error) {
	var n int32
	if err := d.check("cuDeviceGetCount", d.cuDeviceGetCount(&n)); err != nil {
		return nil, err
	}
	out := make([]kernels.DeviceInfo, 0, n)
	for i := range int(n) {
		info, err := deviceInfo(d, i)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// openGPU retains device ord's primary context and loads the registered
// PTX modules into it.
func openGPU(d *driver, ord int) (*gpu, error) {
	info, err := deviceInfo(d, ord)
	if err != nil {
		return nil, err
	}
	g := &gpu{d: d, ord: ord, info: info, funcs: map[string]uintptr{},
		bufs: map[*devBuf]bool{}, hosts: map[*hostBuf]bool{}, streams: map[*stream]bool{}}
	if err := d.check("cuDevicePrimaryCtxRetain", d.cuDevicePrimaryCtxRetain(&g.ctx, int32(ord))); err != nil {
		return nil, err
	}
	for _, m := range registeredPTX() {
		if err := g.loadModule(m.name, m.ptx); err != nil {
			return nil, errors.Join(err, g.Close())
		}
	}
	return g, nil
}

// do runs f with the gpu's context current on a locked OS thread.
func (g *gpu) do(f func() error) error {
	if g.closed {
		return errClosed
	}
	return g.d.onContext(g.ctx, f)
}

// loadModule JIT-compiles a PTX text into the gpu's context; its entries
// become launchable by name.
func (g *gpu) loadModule(name string, ptx []byte) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.do(func() error {
		m, err := g.d.loadModule(name, ptx)
		if err != nil {
			return err
		}
		g.mods = append(g.mods, m)
		return nil
	})
}

// function returns the kernel named entry from the loaded modules. Called
// with g.mu held and the context current.
func (g *gpu) function(entry string) (uintptr, error) {
	if f, ok := g.funcs[entry]; ok {
		return f, nil
	}
	name := cString(entry)
	for _, m := range g.mods {
		var f uintptr
		r := g.d.cuModuleGetFunction(&f, m, name)
		if r == 0 {
			g.funcs[entry] = f
			return f, nil
		}
		if r != 500 { // CUDA_ERROR_NOT_FOUND: try the next module
			return 0, g.d.check("cuModuleGetFunction("+entry+")", r)
		}
	}
	return 0, fmt.Errorf("cuda: no kernel %q in the %d loaded modules of %s", entry, len(g.mods), g.info.Name)
}

// Info describes the device.
func (g *gpu) Info() kernels.DeviceInfo { return g.info }

// MemInfo reports the free and total device memory.
func (g *gpu) MemInfo() (free, total int64, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	err = g.do(func() error {
		var f, t uint64
		if err := g.d.check("cuMemGetInfo_v2", g.d.cuMemGetInfo(&f, &t)); err != nil {
			return err
		}
		free, total = int64(f), int64(t)
		return nil
	})
	return free, total, err
}

// Alloc returns n bytes of device memory; out of memory wraps
// offload.ErrOutOfMemory.
func (g *gpu) Alloc(n int) (offload.Buffer, error) {
	if n <= 0 {
		return nil, fmt.Errorf("cuda: alloc of %d bytes", n)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	var b *devBuf
	err := g.do(func() error {
		var p uint64
		if err := g.d.check("cuMemAlloc_v2", g.d.cuMemAlloc(&p, uint64(n))); err != nil {
			return fmt.Errorf("cuda: %d bytes on %s: %w", n, g.info.Name, err)
		}
		b = &devBuf{g: g, p: p, n: n}
		g.bufs[b] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// buffer checks that ob is live memory of g.
func (g *gpu) buffer(ob offload.Buffer) (*devBuf, error) {
	b, ok := ob.(*devBuf)
	if !ok || b.g != g {
		return nil, fmt.Errorf("cuda: buffer %T is not memory of %s", ob, g.info.Name)
	}
	if !g.bufs[b] {
		return nil, fmt.Errorf("cuda: buffer of %d bytes on %s was freed", b.n, g.info.Name)
	}
	return b, nil
}

// Free releases device memory.
func (g *gpu) Free(ob offload.Buffer) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	b, err := g.buffer(ob)
	if err != nil {
		return err
	}
	delete(g.bufs, b)
	return g.do(func() error { return g.d.check("cuMemFree_v2", g.d.cuMemFree(b.p)) })
}

// AllocHost returns n bytes of pinned host memory.
func (g *gpu) AllocHost(n int) (offload.HostBuffer, error) {
	if n <= 0 {
		return nil, fmt.Errorf("cuda: host alloc of %d bytes", n)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	var b *hostBuf
	err := g.do(func() error {
		var p unsafe.Pointer
		if err := g.d.check("cuMemAllocHost_v2", g.d.cuMemAllocHost(&p, uint64(n))); err != nil {
			return fmt.Errorf("cuda: %d pinned bytes for %s: %w", n, g.info.Name, err)
		}
		b = &hostBuf{g: g, p: p, b: unsafe.Slice((*byte)(p), n)}
		g.hosts[b] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// FreeHost releases pinned host memory.
func (g *gpu) FreeHost(ob offload.HostBuffer) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	b, ok := ob.(*hostBuf)
	if !ok || b.g != g || !g.hosts[b] {
		return fmt.Errorf("cuda: host buffer %T is not live pinned memory of %s", ob, g.info.Name)
	}
	delete(g.hosts, b)
	return g.do(func() error { return g.d.check("cuMemFreeHost", g.d.cuMemFreeHost(b.p)) })
}

// pinned checks that p lies within one of g's pinned buffers, as the
// asynchronous copies need.
func (g *gpu) pinned(p []byte) error {
	if len(p) == 0 {
		return fmt.Errorf("cuda: copy of 0 bytes")
	}
	start := uintptr(unsafe.Pointer(&p[0]))
	for h := range g.hosts {
		lo := uintptr(h.p)
		if start >= lo && start+uintptr(len(p)) <= lo+uintptr(len(h.b)) {
			return nil
		}
	}
	return fmt.Errorf("cuda: %d bytes of host memory are not pinned memory of %s", len(p), g.info.Name)
}

// NewStream creates a stream.
func (g *gpu) NewStream() (offload.Stream, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var s *stream
	err := g.do(func() error {
		var h uintptr
		if err := g.d.check("cuStreamCreate", g.d.cuStreamCreate(&h, 1)); err != nil { // CU_STREAM_NON_BLOCKING
			return err
		}
		s = &stream{g: g, h: h, id: g.nstream}
		g.nstream++
		g.streams[s] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// stream checks that os is a live stream of g.
func (g *gpu) stream(os offload.Stream) (*stream, error) {
	s, ok := os.(*stream)
	if !ok || s.g != g {
		return nil, fmt.Errorf("cuda: stream %v is not a stream of %s", os, g.info.Name)
	}
	if !g.streams[s] {
		return nil, fmt.Errorf("cuda: stream %v was destroyed", s)
	}
	return s, nil
}

// DestroyStream waits for the stream's work and destroys it.
func (g *gpu) DestroyStream(os offload.Stream) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	s, err := g.stream(os)
	if err != nil {
		return err
	}
	delete(g.streams, s)
	return g.do(func() error {
		return errors.Join(
			g.d.check("cuStreamSynchronize", g.d.cuStreamSynchronize(s.h)),
			g.d.check("cuStreamDestroy_v2", g.d.cuStreamDestroy(s.h)))
	})
}

// Synchronize waits for the stream's work and returns its first failure.
func (g *gpu) Synchronize(os offload.Stream) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	s, err := g.stream(os)
	if err != nil {
		return err
	}
	return g.do(func() error { return g.d.check("cuStreamSynchronize", g.d.cuStreamSynchronize(s.h)) })
}

// CopyToDevice enqueues a copy of pinned src into dst at byte offset off.
func (g *gpu) CopyToDevice(os offload.Stream, dst offload.Buffer, off int, src []byte) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	s, err := g.stream(os)
	if err != nil {
		return err
	}
	b, err := g.buffer(dst)
	if err != nil {
		return err
	}
	if err := g.pinned(src); err != nil {
		return err
	}
	if off < 0 || off+len(src) > b.n {
		return fmt.Errorf("cuda: copy of %d bytes at %d overruns a %d-byte buffer", len(src), off, b.n)
	}
	return g.do(func() error {
		return g.d.check("cuMemcpyHtoDAsync_v2",
			g.d.cuMemcpyHtoDAsync(b.p+uint64(off), unsafe.Pointer(&src[0]), uint64(len(src)), s.h))
	})
}

// CopyToHost enqueues a copy of len(dst) bytes of src at byte offset off
// into pinned dst.
func (g *gpu) CopyToHost(os offload.Stream, dst []byte, src offload.Buffer, off int) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	s, err := g.stream(os)
	if err != nil {
		return err
	}
	b, err := g.buffer(src)
	if err != nil {
		return err
	}
	if err := g.pinned(dst); err != nil {
		return err
	}
	if off < 0 || off+len(dst) > b.n {
		return fmt.Errorf("cuda: copy of %d bytes at %d overruns a %d-byte buffer", len(dst), off, b.n)
	}
	return g.do(func() error {
		return g.d.check("cuMemcpyDtoHAsync_v2",
			g.d.cuMemcpyDtoHAsync(unsafe.Pointer(&dst[0]), b.p+uint64(off), uint64(len(dst)), s.h))
	})
}

// memset enqueues setting n bytes of b from byte offset off to v.
func (g *gpu) memset(os offload.Stream, ob offload.Buffer, off, n int, v byte) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	s, err := g.stream(os)
	if err != nil {
		return err
	}
	b, err := g.buffer(ob)
	if err != nil {
		return err
	}
	if off < 0 || n < 0 || off+n > b.n {
		return fmt.Errorf("cuda: memset of %d bytes at %d overruns a %d-byte buffer", n, off, b.n)
	}
	if n == 0 {
		return nil
	}
	return g.do(func() error {
		return g.d.check("cuMemsetD8Async", g.d.cuMemsetD8Async(b.p+uint64(off), v, uint64(n), s.h))
	})
}

// ptr is the device address of b, for kernel arguments. It is 0 for a
// buffer that is not live memory of g, which a launch then refuses.
func (g *gpu) ptr(ob offload.Buffer) uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	b, err := g.buffer(ob)
	if err != nil {
		return 0
	}
	return b.p
}

// launch enqueues kernel entry on s over grid blocks of block threads with
// sharedBytes of dynamic shared memory. args are the kernel's arguments in
// order: uint64 (device addresses), int64, int (as int64), int32, uint32,
// float32, or an offload.Buffer (its device address).
func (g *gpu) launch(entry string, grid, block [3]uint32, sharedBytes uint32, os offload.Stream, args ...any) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	s, err := g.stream(os)
	if err != nil {
		return err
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	params := make([]unsafe.Pointer, max(len(args), 1))
	for i, a := range args {
		var p unsafe.Pointer
		switch v := a.(type) {
		case uint64:
			p = unsafe.Pointer(&v)
		case int64:
			p = unsafe.Pointer(&v)
		case int:
			w := int64(v)
			p = unsafe.Pointer(&w)
		case int32:
			p = unsafe.Pointer(&v)
		case uint32:
			p = unsafe.Pointer(&v)
		case float32:
			p = unsafe.Pointer(&v)
		case offload.Buffer:
			b, err := g.buffer(v)
			if err != nil {
				return fmt.Errorf("cuda: %s argument %d: %w", entry, i, err)
			}
			w := b.p
			p = unsafe.Pointer(&w)
		default:
			return fmt.Errorf("cuda: %s argument %d has type %T, which a kernel cannot take", entry, i, a)
		}
		pin.Pin(p)
		params[i] = p
	}
	for _, n := range grid {
		if n == 0 {
			return fmt.Errorf("cuda: %s: empty grid %v", entry, grid)
		}
	}
	if block[0]*block[1]*block[2] == 0 || uint64(block[0])*uint64(block[1])*uint64(block[2]) > 1024 {
		return fmt.Errorf("cuda: %s: block %v outside 1..1024 threads", entry, block)
	}
	return g.do(func() error {
		f, err := g.function(entry)
		if err != nil {
			return err
		}
		return g.d.check("cuLaunchKernel("+entry+")", g.d.cuLaunchKernel(f,
			grid[0], grid[1], grid[2], block[0], block[1], block[2], sharedBytes, s.h, &params[0], 0))
	})
}

// Close releases the streams, memory and modules and the primary context.
func (g *gpu) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	var errs []error
	err := g.d.onContext(g.ctx, func() error {
		for s := range g.streams {
			errs = append(errs, g.d.check("cuStreamSynchronize", g.d.cuStreamSynchronize(s.h)),
				g.d.check("cuStreamDestroy_v2", g.d.cuStreamDestroy(s.h)))
		}
		for b := range g.bufs {
			errs = append(errs, g.d.check("cuMemFree_v2", g.d.cuMemFree(b.p)))
		}
		for h := range g.hosts {
			errs = append(errs, g.d.check("cuMemFreeHost", g.d.cuMemFreeHost(h.p)))
		}
		for _, m := range g.mods {
			errs = append(errs, g.d.check("cuModuleUnload", g.d.cuModuleUnload(m)))
		}
		return nil
	})
	g.closed = true
	g.streams, g.bufs, g.hosts, g.mods, g.funcs = nil, nil, nil, nil, nil
	errs = append(errs, err, g.d.check("cuDevicePrimaryCtxRelease_v2", g.d.cuDevicePrimaryCtxRelease(int32(g.ord))))
	return errors.Join(errs...)
}
