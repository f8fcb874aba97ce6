package offload

import (
	"errors"
	"fmt"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// ErrOutOfMemory is wrapped by a Device's Alloc and AllocHost when the
// memory is exhausted. The Executor answers it with smaller tiles.
var ErrOutOfMemory = errors.New("offload: out of device memory")

// Buffer is a block of device memory. Only the Device that allocated it
// can use it.
type Buffer interface {
	// Len is the buffer's size in bytes.
	Len() int
}

// HostBuffer is page-locked ("pinned") host memory, which a device can
// copy to and from asynchronously.
type HostBuffer interface {
	// Bytes is the memory, at least 64-byte aligned. It is valid until
	// the buffer is freed.
	Bytes() []byte
}

// Stream is a device's queue of operations: operations on one stream run
// in the order enqueued; operations on different streams may overlap
// (copies on the copy engines while kernels run on the compute units).
type Stream interface {
	// String names the stream in errors and traces.
	String() string
}

// Device is the small set of operations the Executor needs from an
// accelerator. It maps one to one onto a GPU driver API (memory
// allocation, pinned host memory, streams, asynchronous copies, kernel
// launches) so that a CUDA implementation is a thin layer over the driver.
//
// The operations taking a Stream are asynchronous: they enqueue and return.
// An error they return means nothing was enqueued; a failure while the
// operation runs is reported by the next Synchronize of that stream, after
// which the stream is usable again. Host memory passed to a copy must be
// part of a HostBuffer and must stay untouched until the stream is
// synchronized. Element data is float32 unless said otherwise, and shapes
// describe a dense Z, Y, X volume at the start of a Buffer.
//
// A Device need not be safe for concurrent use: the Executor calls it from
// one goroutine at a time.
type Device interface {
	// Info describes the device; its Name labels the Executor.
	Info() kernels.DeviceInfo
	// MemInfo reports the free and total device memory in bytes.
	MemInfo() (free, total int64, err error)

	// Alloc returns a device buffer of n bytes; its contents are undefined.
	Alloc(n int) (Buffer, error)
	// Free releases a buffer. It must not be in use by a stream.
	Free(Buffer) error
	// AllocHost returns n bytes of pinned host memory.
	AllocHost(n int) (HostBuffer, error)
	// FreeHost releases pinned host memory.
	FreeHost(HostBuffer) error

	// NewStream creates a stream.
	NewStream() (Stream, error)
	// DestroyStream waits for the stream's work and releases it.
	DestroyStream(Stream) error
	// Synchronize waits until everything enqueued on s has run and
	// returns the first failure among it.
	Synchronize(s Stream) error

	// CopyToDevice enqueues a copy of src (pinned) to dst at byte offset off.
	CopyToDevice(s Stream, dst Buffer, off int, src []byte) error
	// CopyToHost enqueues a copy of len(dst) bytes of src at byte offset
	// off into dst (pinned).
	CopyToHost(s Stream, dst []byte, src Buffer, off int) error

	// Gaussian enqueues the Gaussian filter of the float32 volume of shape
	// in src into dst, with kernels.Gaussian's semantics, the volume's
	// edges extended by opt.Mode.
	Gaussian(s Stream, dst, src Buffer, shape stack.Shape, opt kernels.GaussianOptions) error
	// Max enqueues the reduction of region (within shape) of the float32
	// volume in src to its largest element, with kernels.Max's semantics,
	// stored as one float32 at the start of dst.
	Max(s Stream, dst, src Buffer, shape stack.Shape, region stack.Box) error
	// Threshold enqueues dst[i] = 1 if src[i] > t else 0 for the first n
	// float32 elements of src, dst holding uint8.
	Threshold(s Stream, dst, src Buffer, n int, t float32) error

	// Close releases the device. Buffers and streams not yet released are
	// released with it.
	Close() error
}

// TileError is a device failure on one tile, reported when the Executor's
// policy is Fail or when the CPU fallback failed too.
type TileError struct {
	Device string    // the device's name
	Op     string    // "gaussian", "max", "threshold"
	Tile   stack.Box // the tile's core in the volume
	Err    error
}

func (e *TileError) Error() string {
	return fmt.Sprintf("offload: %s on %s, tile %v: %v", e.Op, e.Device, e.Tile, e.Err)
}

func (e *TileError) Unwrap() error { return e.Err }
