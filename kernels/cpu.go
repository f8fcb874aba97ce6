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

func (cpuBackend) LabelAbove16(ctx context.Context, dst *stack.Volume[uint16], src *stack.Volume[float32], t float32, conn Connectivity) (int, error) {
	return LabelAbove16(ctx, dst, src, t, conn)
}

func (cpuBackend) LabelAboveWithStats(ctx context.Context, dst *stack.Volume[uint32], src *stack.Volume[float32], t float32, conn Connectivity, intensity *stack.Volume[float32]) (int, []Region, error) {
	return LabelAboveWithStats(ctx, dst, src, t, conn, intensity)
}

func (cpuBackend) LabelChunkAbove(ctx context.Context, grid stack.Grid, idx int, dst *stack.Volume[uint32], src *stack.Volume[float32], t float32, intensity *stack.Volume[float32], conn Connectivity) (*ChunkLabels, error) {
	return LabelChunkAbove(ctx, grid, idx, dst, src, t, intensity, conn)
}

func (cpuBackend) Narrow16(ctx context.Context, dst *stack.Volume[uint16], src *stack.Volume[uint32]) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return Narrow16(dst, src)
}

func (cpuBackend) Min(ctx context.Context, src *stack.Volume[float32]) (float32, error) {
	return Min(ctx, src)
}

func (cpuBackend) GaussianZ(opt GaussianOptions, shape stack.Shape, pool *stack.Pool[float32], read PlaneReader) (ZStream, error) {
	return NewZStream(opt, shape, pool, read)
}

func (cpuBackend) Close() error { return nil }
