// Package cuda is segstack's CUDA device family. Importing it (the segstack
// command does, with a blank import) registers the family "cuda" with
// kernels.RegisterDriver, so that kernels.Select("cuda:N") and
// kernels.Devices know of it.
//
// The package is split by the cuda build tag:
//
//   - Without the tag (the default `go build`: pure Go, no cgo) the family
//     is registered but reports that CUDA support is not compiled in: List
//     and Open return ErrUnavailable, which wraps kernels.ErrNoDevice and
//     tells how to rebuild, and Select("auto") falls through to the CPU.
//   - With `go build -tags cuda` the family is meant to bind the CUDA
//     driver API (gorgonia.org/cu): each GPU implementing offload.Device
//     (memory, pinned host buffers, streams, kernel launches), and the
//     backend being an offload.Executor around them, which does the tiling
//     with halos, the overlap of copies and kernels on streams, buffer
//     reuse, multi-GPU sharing and the CPU fallback.
//
// This version does not contain the device implementation. A build with the
// tag registers a family that says so (ErrUnavailable again) instead of
// claiming devices it cannot drive. The host-side orchestration it will plug
// into is complete and tested against a CPU-backed fake device (packages
// kernels/offload and kernels/offload/fakedev).
package cuda

// Kind is the family name this package registers.
const Kind = "cuda"
