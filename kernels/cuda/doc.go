// Package cuda is segstack's CUDA device family. Importing it (the segstack
// command does, with a blank import) registers the family "cuda" with
// kernels.RegisterDriver, so that kernels.Select("cuda:N") and
// kernels.Devices know of it.
//
// The package is split by the cuda build tag:
//
//   - Without the tag (the default `go build`) the family is registered but
//     reports that CUDA support is not compiled in: List and Open return
//     ErrUnavailable, which wraps kernels.ErrNoDevice and tells how to
//     rebuild, and Select("auto") falls through to the CPU.
//   - With `go build -tags cuda` (cgo not needed: CGO_ENABLED=0 works) the
//     family binds the CUDA driver API at run time: github.com/ebitengine/
//     purego opens libcuda.so.1 (or $SEGSTACK_LIBCUDA) on first use and
//     binds the entry points the backend calls, the 64-bit _v2 ones where
//     the driver has several. Each GPU is driven through its primary
//     context, made current on a locked OS thread before every call, and
//     implements offload.Device and offload.Labeler: memory, pinned host
//     buffers, streams, asynchronous copies, and kernels written in CUDA C
//     (src/*.cu, with the header src/segcuda.h), compiled to PTX by clang
//     (ptx/*.ptx, go generate) and embedded. Open returns an
//     offload.Executor over the GPUs asked for, which does the tiling with
//     halos, the overlap of copies and kernels on streams, buffer reuse,
//     multi-GPU sharing and the CPU fallback. Without a driver, List and
//     Open report "cuda: no CUDA driver (libcuda.so.1 not found)"
//     (ErrNoDriver, wrapping kernels.ErrNoDevice), and Select("auto") uses
//     the CPU.
//
// The tests (go test -tags cuda) run against a fake libcuda.so.1 built
// with g++ from emu/ (see package emutest): it implements the driver calls
// and runs the same .cu kernels on a CPU grid emulator, so everything but
// the speed is tested without a GPU. scripts/gpu-check.sh runs the tests and
// benchmarks against a real GPU.
package cuda

// Kind is the family name this package registers.
const Kind = "cuda"
