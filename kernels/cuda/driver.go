//go:build cuda

package cuda

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/segstack/segstack/kernels/offload"
)

// LibraryEnv names the environment variable that, when set, is the path of
// the CUDA driver library to load instead of libcuda.so.1 (the tests point
// it at the emulated driver).
const LibraryEnv = "SEGSTACK_LIBCUDA"

// defaultLibrary is the driver's soname on Linux.
const defaultLibrary = "libcuda.so.1"

// Error is a failed CUDA driver call.
type Error struct {
	Call string // the entry point, e.g. "cuMemAlloc_v2"
	Code int    // the CUresult
	Name string // e.g. "CUDA_ERROR_OUT_OF_MEMORY"
	Desc string // the driver's description
	Log  string // the JIT's error log, for module loads
}

func (e *Error) Error() string {
	s := fmt.Sprintf("cuda: %s: %s (%s)", e.Call, e.Name, e.Desc)
	if e.Log != "" {
		s += ":\n" + e.Log
	}
	return s
}

// Is makes an out-of-memory failure match offload.ErrOutOfMemory, which the
// Executor answers with smaller tiles.
func (e *Error) Is(target error) bool {
	return target == offload.ErrOutOfMemory && e.Code == errOutOfMemory
}

// CUresult values the backend tells apart.
const (
	errOutOfMemory = 2
)

// driver is the CUDA driver API, bound at run time with purego: no cgo and
// no CUDA header at build time. Sizes are 64-bit (the _v2 entry points),
// device pointers are uint64 and handles uintptr.
type driver struct {
	path string

	cuInit                    func(flags uint32) int32
	cuDriverGetVersion        func(v *int32) int32
	cuDeviceGetCount          func(n *int32) int32
	cuDeviceGet               func(d *int32, ordinal int32) int32
	cuDeviceGetName           func(name *byte, n int32, d int32) int32
	cuDeviceTotalMem          func(bytes *uint64, d int32) int32
	cuDeviceGetAttribute      func(v *int32, attr int32, d int32) int32
	cuDevicePrimaryCtxRetain  func(ctx *uintptr, d int32) int32
	cuDevicePrimaryCtxRelease func(d int32) int32
	cuCtxSetCurrent           func(ctx uintptr) int32
	cuCtxSynchronize          func() int32
	cuMemGetInfo              func(free, total *uint64) int32
	cuMemAlloc                func(p *uint64, n uint64) int32
	cuMemFree                 func(p uint64) int32
	cuMemAllocHost            func(p *unsafe.Pointer, n uint64) int32
	cuMemFreeHost             func(p unsafe.Pointer) int32
	cuMemcpyHtoDAsync         func(dst uint64, src unsafe.Pointer, n uint64, s uintptr) int32
	cuMemcpyDtoHAsync         func(dst unsafe.Pointer, src uint64, n uint64, s uintptr) int32
	cuMemcpyDtoDAsync         func(dst, src uint64, n uint64, s uintptr) int32
	cuMemsetD8Async           func(dst uint64, v uint8, n uint64, s uintptr) int32
	cuMemsetD32Async          func(dst uint64, v uint32, n uint64, s uintptr) int32
	cuStreamCreate            func(s *uintptr, flags uint32) int32
	cuStreamDestroy           func(s uintptr) int32
	cuStreamSynchronize       func(s uintptr) int32
	cuEventCreate             func(e *uintptr, flags uint32) int32
	cuEventDestroy            func(e uintptr) int32
	cuEventRecord             func(e, s uintptr) int32
	cuEventSynchronize        func(e uintptr) int32
	cuEventElapsedTime        func(ms *float32, start, end uintptr) int32
	cuModuleLoadDataEx        func(m *uintptr, image *byte, n uint32, opts *int32, vals *uintptr) int32
	cuModuleUnload            func(m uintptr) int32
	cuModuleGetFunction       func(f *uintptr, m uintptr, name *byte) int32
	cuFuncGetAttribute        func(v *int32, attr int32, f uintptr) int32
	cuLaunchKernel            func(f uintptr, gx, gy, gz, bx, by, bz, shared uint32, s uintptr, params *unsafe.Pointer, extra uintptr) int32
	cuGetErrorName            func(r int32, s **byte) int32
	cuGetErrorString          func(r int32, s **byte) int32

	version int // cuDriverGetVersion, e.g. 13000
}

// symbols lists each binding with the exported name it is bound to: the
// versioned names where the driver has several.
func (d *driver) symbols() []struct {
	name string
	fn   any
} {
	return []struct {
		name string
		fn   any
	}{
		{"cuInit", &d.cuInit},
		{"cuDriverGetVersion", &d.cuDriverGetVersion},
		{"cuDeviceGetCount", &d.cuDeviceGetCount},
		{"cuDeviceGet", &d.cuDeviceGet},
		{"cuDeviceGetName", &d.cuDeviceGetName},
		{"cuDeviceTotalMem_v2", &d.cuDeviceTotalMem},
		{"cuDeviceGetAttribute", &d.cuDeviceGetAttribute},
		{"cuDevicePrimaryCtxRetain", &d.cuDevicePrimaryCtxRetain},
		{"cuDevicePrimaryCtxRelease_v2", &d.cuDevicePrimaryCtxRelease},
		{"cuCtxSetCurrent", &d.cuCtxSetCurrent},
		{"cuCtxSynchronize", &d.cuCtxSynchronize},
		{"cuMemGetInfo_v2", &d.cuMemGetInfo},
		{"cuMemAlloc_v2", &d.cuMemAlloc},
		{"cuMemFree_v2", &d.cuMemFree},
		{"cuMemAllocHost_v2", &d.cuMemAllocHost},
		{"cuMemFreeHost", &d.cuMemFreeHost},
		{"cuMemcpyHtoDAsync_v2", &d.cuMemcpyHtoDAsync},
		{"cuMemcpyDtoHAsync_v2", &d.cuMemcpyDtoHAsync},
		{"cuMemcpyDtoDAsync_v2", &d.cuMemcpyDtoDAsync},
		{"cuMemsetD8Async", &d.cuMemsetD8Async},
		{"cuMemsetD32Async", &d.cuMemsetD32Async},
		{"cuStreamCreate", &d.cuStreamCreate},
		{"cuStreamDestroy_v2", &d.cuStreamDestroy},
		{"cuStreamSynchronize", &d.cuStreamSynchronize},
		{"cuEventCreate", &d.cuEventCreate},
		{"cuEventDestroy_v2", &d.cuEventDestroy},
		{"cuEventRecord", &d.cuEventRecord},
		{"cuEventSynchronize", &d.cuEventSynchronize},
		{"cuEventElapsedTime", &d.cuEventElapsedTime},
		{"cuModuleLoadDataEx", &d.cuModuleLoadDataEx},
		{"cuModuleUnload", &d.cuModuleUnload},
		{"cuModuleGetFunction", &d.cuModuleGetFunction},
		{"cuFuncGetAttribute", &d.cuFuncGetAttribute},
		{"cuLaunchKernel", &d.cuLaunchKernel},
		{"cuGetErrorName", &d.cuGetErrorName},
		{"cuGetErrorString", &d.cuGetErrorString},
	}
}

// ErrNoDriver is reported when the driver library cannot be loaded. It
// wraps kernels.ErrNoDevice, so --device auto then uses the CPU.
var ErrNoDriver error = &unavailable{msg: "cuda: no CUDA driver (" + defaultLibrary + " not found)"}

// libraryPath is the library to load: $SEGSTACK_LIBCUDA or libcuda.so.1.
func libraryPath() string {
	if p := os.Getenv(LibraryEnv); p != "" {
		return p
	}
	return defaultLibrary
}

// openDriver loads the driver library at path, binds the entry points and
// initialises the driver.
func openDriver(path string) (*driver, error) {
	lib, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		if path == defaultLibrary {
			return nil, ErrNoDriver
		}
		return nil, &unavailable{msg: fmt.Sprintf("cuda: no CUDA driver (%s not found: %v)", path, err)}
	}
	d := &driver{path: path}
	for _, s := range d.symbols() {
		sym, err := purego.Dlsym(lib, s.name)
		if err != nil {
			return nil, &unavailable{msg: fmt.Sprintf("cuda: the CUDA driver %s has no %s; it is too old for this build", path, s.name)}
		}
		purego.RegisterFunc(s.fn, sym)
	}
	if err := d.check("cuInit", d.cuInit(0)); err != nil {
		return nil, &unavailable{msg: err.Error()}
	}
	var v int32
	if err := d.check("cuDriverGetVersion", d.cuDriverGetVersion(&v)); err != nil {
		return nil, &unavailable{msg: err.Error()}
	}
	d.version = int(v)
	return d, nil
}

var loaded struct {
	once sync.Once
	d    *driver
	err  error
}

// loadDriver returns the process's driver, loading it on first use.
func loadDriver() (*driver, error) {
	loaded.once.Do(func() { loaded.d, loaded.err = openDriver(libraryPath()) })
	return loaded.d, loaded.err
}

// check turns a CUresult into an *Error, or nil for CUDA_SUCCESS.
func (d *driver) check(call string, r int32) error {
	if r == 0 {
		return nil
	}
	e := &Error{Call: call, Code: int(r), Name: fmt.Sprintf("CUresult %d", r), Desc: "unknown error"}
	var s *byte
	if d.cuGetErrorName != nil && d.cuGetErrorName(r, &s) == 0 && s != nil {
		e.Name = goString(s)
	}
	if d.cuGetErrorString != nil && d.cuGetErrorString(r, &s) == 0 && s != nil {
		e.Desc = goString(s)
	}
	return e
}

// goString copies a NUL-terminated C string.
func goString(p *byte) string {
	var n int
	for *(*byte)(unsafe.Add(unsafe.Pointer(p), n)) != 0 {
		n++
	}
	return string(unsafe.Slice(p, n))
}

// cString returns s NUL-terminated.
func cString(s string) *byte {
	b := make([]byte, len(s)+1)
	copy(b, s)
	return &b[0]
}

// versionString formats a driver version such as 13000 as "13.0".
func versionString(v int) string { return fmt.Sprintf("%d.%d", v/1000, v%1000/10) }

// onContext runs f on an OS thread with ctx current: a CUDA context is
// current per thread, and a goroutine may move between threads.
func (d *driver) onContext(ctx uintptr, f func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := d.check("cuCtxSetCurrent", d.cuCtxSetCurrent(ctx)); err != nil {
		return err
	}
	return f()
}

// JIT options of cuModuleLoadDataEx.
const (
	jitInfoLogBuffer      = 3
	jitInfoLogBufferSize  = 4
	jitErrorLogBuffer     = 5
	jitErrorLogBufferSize = 6
)

// loadModule JIT-compiles a PTX text; a failure carries the JIT's error
// log. Call it with the context current.
func (d *driver) loadModule(name string, ptx []byte) (uintptr, error) {
	img := make([]byte, len(ptx)+1)
	copy(img, ptx)
	errLog := make([]byte, 16<<10)
	infoLog := make([]byte, 4<<10)
	var pin runtime.Pinner
	defer pin.Unpin()
	pin.Pin(&errLog[0])
	pin.Pin(&infoLog[0])
	opts := []int32{jitErrorLogBuffer, jitErrorLogBufferSize, jitInfoLogBuffer, jitInfoLogBufferSize}
	vals := []uintptr{
		uintptr(unsafe.Pointer(&errLog[0])), uintptr(len(errLog)),
		uintptr(unsafe.Pointer(&infoLog[0])), uintptr(len(infoLog)),
	}
	var m uintptr
	r := d.cuModuleLoadDataEx(&m, &img[0], uint32(len(opts)), &opts[0], &vals[0])
	if err := d.check("cuModuleLoadDataEx", r); err != nil {
		e := err.(*Error)
		e.Call = "cuModuleLoadDataEx(" + name + ")"
		e.Log = cStringIn(errLog)
		return 0, e
	}
	return m, nil
}

// cStringIn is the NUL-terminated string at the start of b.
func cStringIn(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

var errNilHandle = errors.New("cuda: nil handle")
