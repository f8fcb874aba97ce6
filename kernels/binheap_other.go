//go:build !amd64 || noasm

package kernels

// pop removes the root.
func (h *binHeap) pop() (uint64, uint32) { return h.popGo() }
