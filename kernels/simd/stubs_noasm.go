//go:build !amd64 || noasm

package simd

import "unsafe"

// asmImpls is empty without assembly: only the Go path exists.
func asmImpls() []*impl { return nil }

// Prefetch hints the cache lines of x into L2, for data about to be
// read; without assembly it does nothing.
func Prefetch(x []float32) {}

// PrefetchOffsets hints the cache lines at base + offs[i] bytes; without
// assembly it does nothing.
func PrefetchOffsets(base unsafe.Pointer, offs []int) {}

// StoreFence orders non-temporal stores; without assembly there are none,
// so it does nothing.
func StoreFence() {}
