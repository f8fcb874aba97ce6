//go:build cgo

package main

/*
#include <stddef.h>
#include <stdint.h>

// Error codes of the segstack_* functions.
enum {
	SEGSTACK_OK = 0,
	SEGSTACK_EINVAL = 1,    // a bad argument: shape, sigma, mode, connectivity
	SEGSTACK_EDTYPE = 2,    // an element type the function does not take
	SEGSTACK_ECANCELED = 3, // the call's cancel token was tripped
	SEGSTACK_EIO = 4,       // a file could not be read or written
	SEGSTACK_EINTERNAL = 5  // anything else, a recovered panic included
};
*/
import "C"

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"runtime"
	"sync"
	"unsafe"

	"github.com/segstack/segstack/kernels"
	_ "github.com/segstack/segstack/kernels/cuda" // registers the CUDA family, so info reports it
	"github.com/segstack/segstack/segment"
	"github.com/segstack/segstack/stack"
)

// Version is the version of the C ABI and of the Python package built on it.
const Version = "0.1.0"

func main() {}

// codeOK is SEGSTACK_OK for the files whose cgo preamble lacks the enum.
const codeOK C.int = C.SEGSTACK_OK

// errDType is wrapped by errors about element types (SEGSTACK_EDTYPE).
var errDType = errors.New("unsupported dtype")

// errInvalid is wrapped by argument errors found here (SEGSTACK_EINVAL).
var errInvalid = errors.New("invalid argument")

// maxElems bounds the elements of one array, so that a corrupt shape gives
// an error rather than a slice past the end of memory.
const maxElems = 1 << 46

// code maps an error to its SEGSTACK_E* code.
func code(err error) C.int {
	var pathErr *fs.PathError
	var chanErr *segment.ChannelError
	var connErr *segment.ConnectivityError
	switch {
	case err == nil:
		return C.SEGSTACK_OK
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return C.SEGSTACK_ECANCELED
	case errors.Is(err, errDType):
		return C.SEGSTACK_EDTYPE
	case errors.Is(err, errInvalid), errors.Is(err, kernels.ErrInvalid), errors.Is(err, kernels.ErrConnectivity),
		errors.As(err, &chanErr), errors.As(err, &connErr), errors.Is(err, segment.ErrLabelOverflow):
		return C.SEGSTACK_EINVAL
	case errors.As(err, &pathErr), errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission):
		return C.SEGSTACK_EIO
	}
	return C.SEGSTACK_EINTERNAL
}

// fail writes err's message into the caller's buffer and returns its code.
func fail(err error, buf *C.char, n C.size_t) C.int {
	if err == nil {
		return C.SEGSTACK_OK
	}
	writeString(err.Error(), buf, n)
	return code(err)
}

// writeString copies s into the C buffer buf of n bytes, cut to fit and
// NUL-terminated, and returns the bytes s needs with its NUL.
func writeString(s string, buf *C.char, n C.size_t) C.int64_t {
	if buf != nil && n > 0 {
		dst := unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(n))
		k := copy(dst[:len(dst)-1], s)
		dst[k] = 0
	}
	return C.int64_t(len(s) + 1)
}

// guard turns a panic into an internal error, so that no Go panic unwinds
// into the caller's C frames.
func guard(rc *C.int, buf *C.char, n C.size_t) {
	if p := recover(); p != nil {
		*rc = fail(fmt.Errorf("segstack: internal error: %v", p), buf, n)
	}
}

// tokens are the live cancel tokens, by id.
var (
	tokMu   sync.Mutex
	tokNext int64
	tokens  = map[int64]context.CancelFunc{}
	tokCtx  = map[int64]context.Context{}
)

// segstack_cancel_new returns a new cancel token (a positive id).
//
//export segstack_cancel_new
func segstack_cancel_new() C.int64_t {
	ctx, cancel := context.WithCancel(context.Background())
	tokMu.Lock()
	defer tokMu.Unlock()
	tokNext++
	tokens[tokNext], tokCtx[tokNext] = cancel, ctx
	return C.int64_t(tokNext)
}

// segstack_cancel trips a token: calls running with it stop soon and return
// SEGSTACK_ECANCELED, and later calls with it fail at once. Unknown ids are
// ignored.
//
//export segstack_cancel
func segstack_cancel(tok C.int64_t) {
	tokMu.Lock()
	cancel := tokens[int64(tok)]
	tokMu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// segstack_cancel_free releases a token.
//
//export segstack_cancel_free
func segstack_cancel_free(tok C.int64_t) {
	tokMu.Lock()
	cancel := tokens[int64(tok)]
	delete(tokens, int64(tok))
	delete(tokCtx, int64(tok))
	tokMu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// contextOf returns the context of a token; 0 is none.
func contextOf(tok C.int64_t) (context.Context, error) {
	if tok == 0 {
		return context.Background(), nil
	}
	tokMu.Lock()
	defer tokMu.Unlock()
	ctx := tokCtx[int64(tok)]
	if ctx == nil {
		return nil, fmt.Errorf("%w: unknown cancel token %d", errInvalid, int64(tok))
	}
	return ctx, nil
}

// info is what segstack_info reports.
type info struct {
	Version    string               `json:"version"`
	Go         string               `json:"go"`
	SIMD       string               `json:"simd"`
	CUDA       bool                 `json:"cuda"`
	CUDANote   string               `json:"cuda_note,omitempty"`
	GOMAXPROCS int                  `json:"gomaxprocs"`
	Devices    []kernels.DeviceInfo `json:"devices"`
}

// segstack_info writes a JSON object describing the library (version, SIMD
// path, whether CUDA can be used, the devices) into buf and returns the
// bytes it needs, NUL included; call again with a larger buffer when that
// exceeds n.
//
//export segstack_info
func segstack_info(buf *C.char, n C.size_t) C.int64_t {
	in := info{Version: Version, Go: runtime.Version(), SIMD: kernels.CPUInfo().SIMD,
		GOMAXPROCS: runtime.GOMAXPROCS(0), Devices: kernels.Devices()}
	for _, d := range kernels.Drivers() {
		if d.Kind != "cuda" {
			continue
		}
		if d.Err != nil {
			in.CUDANote = d.Err.Error()
		} else {
			in.CUDA = len(d.Devices) > 0
		}
	}
	b, err := json.Marshal(in)
	if err != nil {
		b = []byte(`{}`)
	}
	return writeString(string(b), buf, n)
}

// array is a caller's C-contiguous buffer.
type array struct {
	ptr   unsafe.Pointer
	dtype stack.DType
	shape stack.Shape
	ndim  int
	// isBool says the buffer holds numpy bools (0 or 1 bytes).
	isBool bool
}

// parseArray checks a buffer's description. A NULL pointer is an error.
func parseArray(what string, ptr unsafe.Pointer, dtype *C.char, ndim C.int, shape *C.int64_t) (array, error) {
	a := array{ptr: ptr, ndim: int(ndim)}
	if dtype == nil {
		return a, fmt.Errorf("%w: %s: no dtype", errInvalid, what)
	}
	name := C.GoString(dtype)
	switch name {
	case "bool":
		a.dtype = stack.Uint8
	default:
		d, err := stack.ParseDType(name)
		if err != nil {
			return a, fmt.Errorf("%w: %s: %s (want bool, uint8, uint16, uint32, int16, int32, float32, uint64, int64 or float64)", errDType, what, name)
		}
		a.dtype = d
	}
	if ndim < 1 || ndim > 3 {
		return a, fmt.Errorf("%w: %s: %d-D arrays are not supported (want 1, 2 or 3 dimensions)", errInvalid, what, int(ndim))
	}
	if shape == nil {
		return a, fmt.Errorf("%w: %s: no shape", errInvalid, what)
	}
	ext := unsafe.Slice((*int64)(unsafe.Pointer(shape)), int(ndim))
	dims := [3]int{1, 1, 1}
	total := int64(1)
	for i, e := range ext {
		if e <= 0 {
			return a, fmt.Errorf("%w: %s: shape %v has an empty or negative extent", errInvalid, what, ext)
		}
		if total > maxElems/e {
			return a, fmt.Errorf("%w: %s: shape %v is too large", errInvalid, what, ext)
		}
		total *= e
		dims[3-int(ndim)+i] = int(e)
	}
	a.shape = stack.ShapeOf(dims)
	if ptr == nil {
		return a, fmt.Errorf("%w: %s: NULL data pointer", errInvalid, what)
	}
	return a, nil
}

// sliceOf views a's buffer as a []T.
func sliceOf[T stack.Number](a array) []T {
	return unsafe.Slice((*T)(a.ptr), a.shape.Len())
}

// volumeOf views a's buffer as a volume.
func volumeOf[T stack.Elem](a array) *stack.Volume[T] {
	return &stack.Volume[T]{Shape: a.shape, Data: sliceOf[T](a)}
}

// toFloat32 converts a into dst (len a.shape.Len()).
func toFloat32(dst []float32, a array) error {
	switch a.dtype {
	case stack.Uint8:
		kernels.ToFloat32(dst, sliceOf[uint8](a))
	case stack.Uint16:
		kernels.ToFloat32(dst, sliceOf[uint16](a))
	case stack.Uint32:
		kernels.ToFloat32(dst, sliceOf[uint32](a))
	case stack.Int16:
		kernels.ToFloat32(dst, sliceOf[int16](a))
	case stack.Int32:
		kernels.ToFloat32(dst, sliceOf[int32](a))
	case stack.Float32:
		copy(dst, sliceOf[float32](a))
	case stack.Uint64:
		kernels.Convert(dst, sliceOf[uint64](a))
	case stack.Int64:
		kernels.Convert(dst, sliceOf[int64](a))
	case stack.Float64:
		kernels.Convert(dst, sliceOf[float64](a))
	default:
		return fmt.Errorf("%w: %v", errDType, a.dtype)
	}
	return nil
}

// float32Of returns a's elements as float32: a's own buffer when it holds
// float32, else a converted copy.
func float32Of(a array) ([]float32, error) {
	if a.dtype == stack.Float32 {
		return sliceOf[float32](a), nil
	}
	f := make([]float32, a.shape.Len())
	return f, toFloat32(f, a)
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
