// Package devicetest checks that an offload.Device behaves as the Executor
// expects: memory accounting, pinned buffers, stream ordering, asynchronous
// copies with offsets, the kernels' results against the CPU backend, and
// error reporting. A device family runs Run from its own tests (the fake
// device in CI; a GPU family in builds and on machines that have one).
package devicetest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/offload"
	"github.com/segstack/segstack/stack"
)

// Options say how strictly results are compared.
type Options struct {
	// Exact requires the Gaussian to match kernels.CPU() bit for bit;
	// otherwise within RelTol of the largest magnitude (default 1e-5).
	Exact  bool
	RelTol float64
}

// Run runs the checks as subtests. open returns a fresh device; Run closes
// every device it opens.
func Run(t *testing.T, open func() (offload.Device, error), opt Options) {
	if opt.RelTol == 0 {
		opt.RelTol = 1e-5
	}
	dev := func(t *testing.T) offload.Device {
		t.Helper()
		d, err := open()
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, d.Close()) })
		return d
	}
	t.Run("MemInfo", func(t *testing.T) {
		d := dev(t)
		free, total, err := d.MemInfo()
		require.NoError(t, err)
		require.Positive(t, total)
		require.True(t, free >= 0 && free <= total, "free %d of %d", free, total)
		b, err := d.Alloc(1 << 16)
		require.NoError(t, err)
		require.GreaterOrEqual(t, b.Len(), 1<<16)
		free2, _, err := d.MemInfo()
		require.NoError(t, err)
		require.LessOrEqual(t, free2, free, "an allocation does not add free memory")
		require.NoError(t, d.Free(b))
		_, err = d.Alloc(int(total) + 1)
		require.ErrorIs(t, err, offload.ErrOutOfMemory, "more than the device has")
	})
	t.Run("PinnedHost", func(t *testing.T) {
		d := dev(t)
		h, err := d.AllocHost(1000)
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(h.Bytes()), 1000)
		require.Zero(t, uintptr(unsafe.Pointer(unsafe.SliceData(h.Bytes())))%64, "64-byte aligned")
		require.NoError(t, d.FreeHost(h))
	})
	t.Run("CopyRoundTrip", func(t *testing.T) { copyRoundTrip(t, dev(t)) })
	t.Run("StreamsIndependent", func(t *testing.T) { streamsIndependent(t, dev(t)) })
	t.Run("Kernels", func(t *testing.T) { kernelsMatchCPU(t, dev(t), opt) })
	t.Run("DestroyedStream", func(t *testing.T) {
		d := dev(t)
		s, err := d.NewStream()
		require.NoError(t, err)
		require.NoError(t, d.Synchronize(s), "an empty stream synchronizes")
		require.NoError(t, d.DestroyStream(s))
		require.Error(t, d.Synchronize(s))
	})
	t.Run("Executor", func(t *testing.T) { executorMatchesCPU(t, dev(t), opt) })
}

func pinned(t *testing.T, d offload.Device, n int) []byte {
	t.Helper()
	h, err := d.AllocHost(n)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.FreeHost(h) })
	return h.Bytes()[:n]
}

func devBuf(t *testing.T, d offload.Device, n int) offload.Buffer {
	t.Helper()
	b, err := d.Alloc(n)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Free(b) })
	return b
}

func stream(t *testing.T, d offload.Device) offload.Stream {
	t.Helper()
	s, err := d.NewStream()
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.DestroyStream(s) })
	return s
}

func f32s(b []byte) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/4)
}

// copyRoundTrip copies two halves in at offsets and reads a middle part
// back, all enqueued before one Synchronize: the stream must keep order.
func copyRoundTrip(t *testing.T, d offload.Device) {
	const n = 1 << 14
	in := pinned(t, d, n)
	for i := range in {
		in[i] = byte(i*7 + 3)
	}
	out := pinned(t, d, n/2)
	b := devBuf(t, d, n)
	s := stream(t, d)
	require.NoError(t, d.CopyToDevice(s, b, n/2, in[n/2:]))
	require.NoError(t, d.CopyToDevice(s, b, 0, in[:n/2]))
	require.NoError(t, d.CopyToHost(s, out, b, n/4))
	require.NoError(t, d.Synchronize(s))
	require.Equal(t, in[n/4:3*n/4], out)
}

// streamsIndependent runs work on two streams and synchronizes them in the
// opposite order.
func streamsIndependent(t *testing.T, d offload.Device) {
	const n = 4096
	var ins, outs [2][]byte
	var ss [2]offload.Stream
	for k := range 2 {
		ins[k], outs[k] = pinned(t, d, n), pinned(t, d, n)
		for i := range ins[k] {
			ins[k][i] = byte(i + 31*k)
		}
		ss[k] = stream(t, d)
		b := devBuf(t, d, n)
		require.NoError(t, d.CopyToDevice(ss[k], b, 0, ins[k]))
		require.NoError(t, d.CopyToHost(ss[k], outs[k], b, 0))
	}
	require.NoError(t, d.Synchronize(ss[1]))
	require.NoError(t, d.Synchronize(ss[0]))
	require.Equal(t, ins, outs)
}

func randData(seed uint64, x []float32) {
	r := rand.New(rand.NewPCG(seed, 99))
	for i := range x {
		x[i] = r.Float32()*100 - 20
	}
}

func requireClose(t *testing.T, want, got []float32, opt Options, msg string) {
	t.Helper()
	require.Len(t, got, len(want))
	if opt.Exact {
		for i := range want {
			if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
				require.Failf(t, "results differ", "%s: element %d: want %v, got %v", msg, i, want[i], got[i])
			}
		}
		return
	}
	scale := 0.0
	for _, v := range want {
		scale = max(scale, math.Abs(float64(v)))
	}
	for i := range want {
		if d := math.Abs(float64(want[i]) - float64(got[i])); d > opt.RelTol*scale {
			require.Failf(t, "results differ", "%s: element %d: want %v, got %v", msg, i, want[i], got[i])
		}
	}
}

// kernelsMatchCPU runs the Gaussian (every mode), Max over a region and
// Threshold on the device and compares with kernels.CPU().
func kernelsMatchCPU(t *testing.T, d offload.Device, opt Options) {
	ctx := context.Background()
	cpu := kernels.CPU()
	shape := stack.Shape{Z: 3, Y: 21, X: 34}
	n := shape.Len()
	hin, hout := pinned(t, d, 4*n), pinned(t, d, 4*n)
	in, out := f32s(hin), f32s(hout)
	randData(1, in)
	src := &stack.Volume[float32]{Shape: shape, Data: append([]float32(nil), in...)}
	bin, bout, bred := devBuf(t, d, 4*n), devBuf(t, d, 4*n), devBuf(t, d, 4)
	hred := pinned(t, d, 4)
	s := stream(t, d)
	require.NoError(t, d.CopyToDevice(s, bin, 0, hin))
	for _, mode := range []stack.Mode{stack.Reflect, stack.Nearest, stack.Mirror, stack.Constant, stack.Wrap} {
		g := kernels.GaussianOptions{Sigma: [3]float64{0.8, 1.5, 1}, Mode: mode, Cval: 1.5}
		want := stack.New[float32](shape)
		_, err := cpu.Gaussian(ctx, want, src, g)
		require.NoError(t, err)
		require.NoError(t, d.Gaussian(s, bout, bin, shape, g))
		require.NoError(t, d.CopyToHost(s, hout, bout, 0))
		require.NoError(t, d.Synchronize(s))
		requireClose(t, want.Data, out, opt, fmt.Sprint("gaussian ", mode))
	}

	region := stack.Box{Lo: [3]int{1, 4, 5}, Hi: [3]int{3, 17, 30}}
	part, err := stack.ExtractTile(src, region, [3]int{}, stack.Reflect, 0, nil)
	require.NoError(t, err)
	wantMax, err := cpu.Max(ctx, part)
	require.NoError(t, err)
	require.NoError(t, d.Max(s, bred, bin, shape, region))
	require.NoError(t, d.CopyToHost(s, hred, bred, 0))
	require.NoError(t, d.Synchronize(s))
	require.Equal(t, wantMax, f32s(hred)[0], "max over %v", region)

	wantMask := stack.New[uint8](shape)
	require.NoError(t, cpu.Threshold(ctx, wantMask, src, 30))
	require.NoError(t, d.Threshold(s, bout, bin, n, 30))
	require.NoError(t, d.CopyToHost(s, hout[:n], bout, 0))
	require.NoError(t, d.Synchronize(s))
	require.Equal(t, wantMask.Data, hout[:n])
}

// executorMatchesCPU runs an Executor with tiles forced small over the
// device. The Executor closes the device; the cleanup's Close must then be
// harmless.
func executorMatchesCPU(t *testing.T, d offload.Device, opt Options) {
	e, err := offload.New([]offload.Device{d}, offload.Options{MaxTileBytes: 16 << 10})
	require.NoError(t, err)
	ctx := context.Background()
	src := stack.New[float32](stack.Shape{Z: 2, Y: 90, X: 70})
	randData(2, src.Data)
	g := kernels.GaussianOptions{Sigma: [3]float64{0, 2, 1.5}, Mode: stack.Mirror}
	want := stack.New[float32](src.Shape)
	wantMax, err := kernels.CPU().Gaussian(ctx, want, src, g)
	require.NoError(t, err)
	got := stack.New[float32](src.Shape)
	gotMax, err := e.Gaussian(ctx, got, src, g)
	require.NoError(t, err)
	requireClose(t, want.Data, got.Data, opt, "executor gaussian")
	requireClose(t, []float32{wantMax}, []float32{gotMax}, opt, "executor max")
	st := e.Stats()
	require.Greater(t, st.Tiles, int64(4), "tiled on the device: %+v", st)
	require.Zero(t, st.FallbackTiles+st.FallbackCalls, "nothing fell back: %+v", st)
	require.NoError(t, e.Close())
}
