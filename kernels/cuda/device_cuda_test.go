//go:build cuda

package cuda

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/cuda/emutest"
	"github.com/segstack/segstack/kernels/offload"
	"github.com/segstack/segstack/kernels/offload/devicetest"
	"github.com/segstack/segstack/stack"
)

// The GPU passes the device checks every offload.Device must, the kernels'
// results bit for bit the CPU backend's.
func TestDeviceConformance(t *testing.T) {
	d := testDriver(t)
	devicetest.Run(t, func() (offload.Device, error) { return openGPU(d, 0) }, devicetest.Options{Exact: true})
}

// openExecutor opens the family's backend on the given devices.
func openExecutor(t *testing.T, dev string) *offload.Executor {
	t.Helper()
	b, err := kernels.Select(dev)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, b.Close()) })
	e, ok := b.(*offload.Executor)
	require.True(t, ok, "%T", b)
	return e
}

// A device failure, injected in the emulated driver, is answered by the
// CPU, tile by tile or for a whole labelling, with the CPU's results; on
// two devices the other takes the tiles.
func TestFallbackOnDeviceFailure(t *testing.T) {
	emulatedOnly(t)
	t.Cleanup(func() { require.NoError(t, emutest.Set("fail", "")) })
	ctx := context.Background()
	src := stack.New[float32](stack.Shape{Z: 3, Y: 40, X: 50})
	for i := range src.Data {
		src.Data[i] = float32(i*7919%1000) / 10
	}
	want := stack.New[uint8](src.Shape)
	require.NoError(t, kernels.CPU().Threshold(ctx, want, src, 50))
	wantLab := stack.New[uint32](src.Shape)
	wantN, err := kernels.CPU().LabelAbove(ctx, wantLab, src, 50, kernels.Conn26)
	require.NoError(t, err)

	for _, dev := range []string{"cuda:0", "cuda:0,1"} {
		e := openExecutor(t, dev)
		require.NoError(t, emutest.Set("fail", "launch-name:seg_threshold"))
		got := stack.New[uint8](src.Shape)
		require.NoError(t, e.Threshold(ctx, got, src, 50))
		require.Equal(t, want.Data, got.Data, dev)
		st := e.Stats()
		require.Positive(t, st.FallbackTiles, dev)
		require.Contains(t, st.LastFailure, "CUDA_ERROR_LAUNCH_FAILED", dev)

		require.NoError(t, emutest.Set("fail", "launch:1"))
		lab := stack.New[uint32](src.Shape)
		n, err := e.LabelAbove(ctx, lab, src, 50, kernels.Conn26)
		require.NoError(t, err)
		require.Equal(t, wantN, n, dev)
		require.Equal(t, wantLab.Data, lab.Data, dev)
		require.Equal(t, st.FallbackCalls+1, e.Stats().FallbackCalls, "%s: the labelling fell back", dev)

		require.NoError(t, emutest.Set("fail", ""))
		n, err = e.LabelAbove(ctx, lab, src, 50, kernels.Conn26)
		require.NoError(t, err)
		require.Equal(t, wantN, n, dev)
		require.Equal(t, wantLab.Data, lab.Data, dev)
		require.Equal(t, st.FallbackCalls+1, e.Stats().FallbackCalls, "%s: then on the device", dev)
	}
}

// Out of device memory, the Executor cuts smaller tiles, and a volume
// that fits no device runs on the CPU.
func TestOutOfDeviceMemory(t *testing.T) {
	emulatedOnly(t)
	t.Cleanup(func() { require.NoError(t, emutest.Set("memory", "268435456")) })
	ctx := context.Background()
	src := stack.New[float32](stack.Shape{Z: 2, Y: 64, X: 64})
	for i := range src.Data {
		src.Data[i] = float32(i % 97)
	}
	want := stack.New[uint8](src.Shape)
	require.NoError(t, kernels.CPU().Threshold(ctx, want, src, 50))
	check := func(what string) offload.Stats {
		t.Helper()
		// Closed at once: executors on one GPU share its memory.
		b, err := kernels.Select("cuda:0")
		require.NoError(t, err)
		e := b.(*offload.Executor)
		got := stack.New[uint8](src.Shape)
		require.NoError(t, e.Threshold(ctx, got, src, 50), what)
		require.Equal(t, want.Data, got.Data, what)
		require.NoError(t, e.Close())
		return e.Stats()
	}
	require.NoError(t, emutest.Set("memory", "40000"))
	st := check("little memory")
	require.GreaterOrEqual(t, st.Tiles, int64(6), "the volume cut into tiles that fit: %+v", st)
	require.Zero(t, st.FallbackTiles+st.FallbackCalls)

	t.Cleanup(func() { require.NoError(t, emutest.Set("fail", "")) })
	require.NoError(t, emutest.Set("fail", "alloc:1"))
	st = check("an allocation out of memory")
	require.Equal(t, int64(1), st.Shrinks, "re-planned with smaller tiles: %+v", st)
	require.Positive(t, st.Tiles)

	require.NoError(t, emutest.Set("memory", "64"))
	st = check("no room at all")
	require.Equal(t, int64(1), st.FallbackCalls, "%+v", st)
	require.Zero(t, st.Tiles)
}
