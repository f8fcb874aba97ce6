// Command capi is segstack's C ABI: built with
//
//	CGO_ENABLED=1 go build -buildmode=c-shared -o libsegstack.so ./capi
//
// it is a shared library whose exported functions (segstack_*) run the
// kernels and the segmentation pipeline on buffers the caller owns. The
// Python package in python/ loads it with ctypes.
//
// Conventions of every function:
//
//   - Arrays are C-contiguous (row-major) buffers described by a pointer, a
//     dtype name (numpy's: "uint8", "uint16", "uint32", "int16", "int32",
//     "float32", "uint64", "int64", "float64", and "bool" read as uint8)
//     and a shape of 1 to 3 extents; a 2-D array is one plane (Z = 1).
//   - Outputs are written into buffers the caller allocated with the shape
//     it was told; nothing the library returns points into Go memory, and
//     the library keeps no pointer to a caller's buffer after returning.
//   - The result is 0 on success or an error code (see the SEGSTACK_E*
//     constants below); the message is written, NUL-terminated and cut to
//     fit, into the caller's err buffer of errlen bytes, so concurrent
//     calls never share error state.
//   - A cancel token (segstack_cancel_new) given to a call stops it when
//     another thread calls segstack_cancel on it; the call then returns
//     SEGSTACK_ECANCELED. Token 0 means none.
//   - Results of variable size (region tables, pipeline reports) are
//     returned as result handles, read with segstack_result_* and freed
//     with segstack_free.
//
// Without cgo this package builds to a program that only says how to build
// the library, so that cross and cgo-free builds of the module still build.
package main
