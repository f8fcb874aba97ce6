package kernels

import (
	"context"

	"github.com/segstack/segstack/kernels/simd"
	"github.com/segstack/segstack/stack"
)

// cpuBackend runs the kernels on the host: SIMD where the CPU has it, pure
// Go otherwise. It holds nothing, so it is safe for concurrent use.
type cpuBackend struct{}

// CPU returns the CPU backend. Its Name is "cpu/" followed by the SIMD code
// path in use ("cpu/avx512", "cpu/avx2" or "cpu/go").
func CPU() Backend { return cpuBackend{} }

func (cpuBackend) Name() string { return "cpu/" + simd.Path() }

func (cpuBackend) Gaussian(ctx context.Context, dst, src *stack.Volume[float32], opt GaussianOptions) (float32, error) {
	return Gaussian(ctx, dst, src, opt)
}

func (cpuBackend) Max(ctx context.Context, src *stack.Volume[float32]) (float32, error) {
	return Max(ctx, src)
}

func (cpuBackend) Threshold(ctx context.Context, dst *stack.Volume[uint8], src *stack.Volume[float32], t float32) error {
	return Threshold(ctx, dst, src, t)
}

func (cpuBackend) Label(ctx context.Context, dst *stack.Volume[uint32], mask *stack.Volume[uint8], conn Connectivity) (int, error) {
	return Label(ctx, dst, mask, conn)
}

func (cpuBackend) LabelAbove(ctx context.Context, dst *stack.Volume[uint32], src *stack.Volume[float32], t float32, conn Connectivity) (int, error) {
	return LabelAbove(ctx, dst, src, t, conn)
}

// LabelAbove16 is LabelAbove16: the CPU backend can write uint16 labels
// directly, which callers find by asserting this method.
func (cpuBackend) LabelAbove16(ctx context.Context, dst *stack.Volume[uint16], src *stack.Volume[float32], t float32, conn Connectivity) (int, error) {
	return LabelAbove16(ctx, dst, src, t, conn)
}

func (cpuBackend) Close() error { return nil }
