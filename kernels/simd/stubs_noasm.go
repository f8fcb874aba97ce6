//go:build !amd64 || noasm

package simd

// asmImpls is empty without assembly: only the Go path exists.
func asmImpls() []*impl { return nil }
