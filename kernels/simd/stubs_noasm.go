//go:build !amd64 || noasm

package simd

// asmImpls is empty without assembly: only the Go path exists.
func asmImpls() []*impl { return nil }

// Prefetch hints the cache lines of x into L2, for data about to be
// read; without assembly it does nothing.
func Prefetch(x []float32) {}

// StoreFence orders non-temporal stores; without assembly there are none,
// so it does nothing.
func StoreFence() {}
