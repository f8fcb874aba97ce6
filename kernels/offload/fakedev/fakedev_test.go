package fakedev_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/offload"
	"github.com/segstack/segstack/kernels/offload/devicetest"
	"github.com/segstack/segstack/kernels/offload/fakedev"
	"github.com/segstack/segstack/kernels/offload/internal/view"
	"github.com/segstack/segstack/stack"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestMemoryLimit(t *testing.T) {
	d := fakedev.New(fakedev.Config{Memory: 10 << 10})
	defer d.Close()
	a, err := d.Alloc(6 << 10)
	require.NoError(t, err)
	free, total, err := d.MemInfo()
	require.NoError(t, err)
	require.Equal(t, int64(4<<10), free)
	require.Equal(t, int64(10<<10), total)
	_, err = d.Alloc(6 << 10)
	require.ErrorIs(t, err, offload.ErrOutOfMemory)
	require.NoError(t, d.Free(a))
	require.Error(t, d.Free(a), "double free")
	b, err := d.Alloc(10 << 10)
	require.NoError(t, err)
	require.Equal(t, 10<<10, b.Len())
	c := d.Counts()
	require.Equal(t, 2, c.Allocs)
	require.Equal(t, int64(10<<10), c.Peak)
}

// TestRoundTrip copies data in, filters it and copies it out, checking the
// result against the backend run directly.
func TestRoundTrip(t *testing.T) {
	d := fakedev.New(fakedev.Config{})
	defer d.Close()
	shape := stack.Shape{Z: 1, Y: 16, X: 16}
	n := shape.Len() * 4
	h, err := d.AllocHost(n)
	require.NoError(t, err)
	in, err := view.Volume[float32](h.Bytes(), shape)
	require.NoError(t, err)
	for i := range in.Data {
		in.Data[i] = float32(i % 7)
	}
	src, err := d.Alloc(n)
	require.NoError(t, err)
	dst, err := d.Alloc(n)
	require.NoError(t, err)
	red, err := d.Alloc(4)
	require.NoError(t, err)
	s, err := d.NewStream()
	require.NoError(t, err)
	opt := kernels.GaussianOptions{Sigma: [3]float64{0, 1, 1}}
	require.NoError(t, d.CopyToDevice(s, src, 0, h.Bytes()))
	require.NoError(t, d.Gaussian(s, dst, src, shape, opt))
	require.NoError(t, d.Max(s, red, dst, shape, stack.Box{Lo: [3]int{0, 2, 2}, Hi: [3]int{1, 5, 5}}))
	out, err := d.AllocHost(n)
	require.NoError(t, err)
	hr, err := d.AllocHost(4)
	require.NoError(t, err)
	require.NoError(t, d.CopyToHost(s, out.Bytes(), dst, 0))
	require.NoError(t, d.CopyToHost(s, hr.Bytes()[:4], red, 0))
	require.NoError(t, d.Synchronize(s))

	want := stack.New[float32](shape)
	_, err = kernels.Gaussian(context.Background(), want, in, opt)
	require.NoError(t, err)
	got, err := view.Volume[float32](out.Bytes(), shape)
	require.NoError(t, err)
	require.Equal(t, want.Data, got.Data)
	m, err := view.Of[float32](hr.Bytes(), 1)
	require.NoError(t, err)
	var wantMax float32
	for y := 2; y < 5; y++ {
		for x := 2; x < 5; x++ {
			wantMax = max(wantMax, want.At(0, y, x))
		}
	}
	require.Equal(t, wantMax, m[0])
	require.NoError(t, d.DestroyStream(s))
	require.Error(t, d.Synchronize(s), "destroyed stream")
}

func TestCopiesNeedPinnedMemory(t *testing.T) {
	d := fakedev.New(fakedev.Config{})
	defer d.Close()
	b, err := d.Alloc(64)
	require.NoError(t, err)
	s, err := d.NewStream()
	require.NoError(t, err)
	require.Error(t, d.CopyToDevice(s, b, 0, make([]byte, 64)), "pageable memory")
	h, err := d.AllocHost(128)
	require.NoError(t, err)
	require.Error(t, d.CopyToDevice(s, b, 0, h.Bytes()), "overrun")
	require.NoError(t, d.CopyToDevice(s, b, 0, h.Bytes()[64:]))
	other := fakedev.New(fakedev.Config{Name: "fake:1"})
	defer other.Close()
	ob, err := other.Alloc(64)
	require.NoError(t, err)
	require.Error(t, d.CopyToDevice(s, ob, 0, h.Bytes()[:64]), "another device's buffer")
	require.NoError(t, d.Synchronize(s))
}

func TestFaultsSurfaceAtSynchronize(t *testing.T) {
	boom := errors.New("boom")
	d := fakedev.New(fakedev.Config{Fault: func(op fakedev.Op) error {
		if op.Kind == fakedev.OpKernel && op.Seq == 1 {
			return boom
		}
		return nil
	}})
	defer d.Close()
	shape := stack.Shape{Z: 1, Y: 4, X: 4}
	a, err := d.Alloc(64)
	require.NoError(t, err)
	b, err := d.Alloc(64)
	require.NoError(t, err)
	s, err := d.NewStream()
	require.NoError(t, err)
	require.NoError(t, d.Gaussian(s, b, a, shape, kernels.GaussianOptions{}), "enqueueing succeeds")
	require.NoError(t, d.Threshold(s, b, a, 16, 0))
	require.ErrorIs(t, d.Synchronize(s), boom)
	require.NoError(t, d.Synchronize(s), "the error is reported once")
	require.NoError(t, d.Threshold(s, b, a, 16, 0))
	require.NoError(t, d.Synchronize(s))
	tl := d.Timeline()
	require.Len(t, tl, 2, "the failed kernel, and the threshold after the second Synchronize; the one after the failure is skipped")
}

func TestEnginesSerialiseAndStreamsOverlap(t *testing.T) {
	d := fakedev.New(fakedev.Config{KernelDelay: 5 * time.Millisecond, CopyDelay: 5 * time.Millisecond})
	defer d.Close()
	shape := stack.Shape{Z: 1, Y: 1, X: 16}
	a, err := d.Alloc(64)
	require.NoError(t, err)
	b, err := d.Alloc(64)
	require.NoError(t, err)
	h, err := d.AllocHost(64)
	require.NoError(t, err)
	var ss []offload.Stream
	for range 2 {
		s, err := d.NewStream()
		require.NoError(t, err)
		ss = append(ss, s)
	}
	require.NoError(t, d.Threshold(ss[0], b, a, shape.Len(), 0))
	require.NoError(t, d.Threshold(ss[1], b, a, shape.Len(), 0))
	require.NoError(t, d.CopyToDevice(ss[1], a, 0, h.Bytes()))
	for _, s := range ss {
		require.NoError(t, d.Synchronize(s))
	}
	tl := d.Timeline()
	require.Len(t, tl, 3)
	var kernelsRun []fakedev.Event
	for _, e := range tl {
		if e.Kind == fakedev.OpKernel {
			kernelsRun = append(kernelsRun, e)
		}
	}
	require.Len(t, kernelsRun, 2)
	k0, k1 := kernelsRun[0], kernelsRun[1]
	require.False(t, k0.Start.Before(k1.End) && k1.Start.Before(k0.End), "one compute engine")
}

func TestCloseStopsStreams(t *testing.T) {
	d := fakedev.New(fakedev.Config{})
	for range 3 {
		_, err := d.NewStream()
		require.NoError(t, err)
	}
	_, err := d.Alloc(100)
	require.NoError(t, err)
	require.NoError(t, d.Close())
	c := d.Counts()
	require.Zero(t, c.LiveStreams)
	require.Zero(t, c.LiveBuffers)
	_, err = d.Alloc(1)
	require.Error(t, err)
	_, err = d.NewStream()
	require.Error(t, err)
}

func TestConformance(t *testing.T) {
	devicetest.Run(t, func() (offload.Device, error) {
		return fakedev.New(fakedev.Config{Memory: 8 << 20}), nil
	}, devicetest.Options{Exact: true})
}
