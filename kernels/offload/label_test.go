package offload_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/offload"
	"github.com/segstack/segstack/kernels/offload/fakedev"
	"github.com/segstack/segstack/stack"
)

// labelCase is a labelling input and the CPU's answer.
type labelCase struct {
	src, intensity *stack.Volume[float32]
	conn           kernels.Connectivity
	t              float32
	n              int
	labels         []uint32
	regions        []kernels.Region
}

func cpuLabelCase(t *testing.T, seed uint64, s stack.Shape, conn kernels.Connectivity) labelCase {
	t.Helper()
	c := labelCase{src: randVolume(seed, s), intensity: randVolume(seed+1, s), conn: conn, t: 90}
	dst := stack.New[uint32](s)
	var err error
	c.n, c.regions, err = kernels.CPU().LabelAboveWithStats(context.Background(), dst, c.src, c.t, conn, c.intensity)
	require.NoError(t, err)
	require.Greater(t, c.n, 3, "the case has objects")
	c.labels = dst.Data
	return c
}

// requireLabels checks the three labelling calls of e against the CPU.
func requireLabels(t *testing.T, e *offload.Executor, c labelCase) {
	t.Helper()
	ctx := context.Background()
	got := stack.New[uint32](c.src.Shape)
	n, err := e.LabelAbove(ctx, got, c.src, c.t, c.conn)
	require.NoError(t, err)
	require.Equal(t, c.n, n)
	require.Equal(t, c.labels, got.Data)

	got16 := stack.New[uint16](c.src.Shape)
	n, err = e.LabelAbove16(ctx, got16, c.src, c.t, c.conn)
	require.NoError(t, err)
	require.Equal(t, c.n, n)
	for i, v := range c.labels {
		require.Equal(t, uint16(v), got16.Data[i], "voxel %d", i)
	}

	clear(got.Data)
	n, regions, err := e.LabelAboveWithStats(ctx, got, c.src, c.t, c.conn, c.intensity)
	require.NoError(t, err)
	require.Equal(t, c.n, n)
	require.Equal(t, c.labels, got.Data)
	require.Equal(t, c.regions, regions)
}

func TestLabelOnDevice(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		shape stack.Shape
		conn  kernels.Connectivity
	}{
		{stack.Shape{Z: 1, Y: 37, X: 41}, kernels.Conn4},
		{stack.Shape{Z: 1, Y: 37, X: 41}, kernels.Conn8},
		{stack.Shape{Z: 1, Y: 37, X: 41}, kernels.Conn26}, // its 2-D section, 8
		{stack.Shape{Z: 5, Y: 13, X: 17}, kernels.Conn6},
		{stack.Shape{Z: 5, Y: 13, X: 17}, kernels.Conn18},
		{stack.Shape{Z: 5, Y: 13, X: 17}, 0},
	} {
		c := cpuLabelCase(t, 31, tc.shape, tc.conn)
		e, _ := newExec(t, offload.Options{}, fakedev.Config{}, fakedev.Config{})
		requireLabels(t, e, c)
		st := e.Stats()
		require.Equal(t, int64(3), st.Tiles, "every call labelled on a device")
		require.Zero(t, st.FallbackCalls)
		require.Positive(t, st.BytesToDevice)
	}
}

func TestLabelWithoutIntensity(t *testing.T) {
	t.Parallel()
	c := cpuLabelCase(t, 5, stack.Shape{Z: 3, Y: 20, X: 20}, kernels.Conn26)
	want := stack.New[uint32](c.src.Shape)
	_, wantRegions, err := kernels.CPU().LabelAboveWithStats(context.Background(), want, c.src, c.t, c.conn, nil)
	require.NoError(t, err)
	e, _ := newExec(t, offload.Options{}, fakedev.Config{})
	got := stack.New[uint32](c.src.Shape)
	n, regions, err := e.LabelAboveWithStats(context.Background(), got, c.src, c.t, c.conn, nil)
	require.NoError(t, err)
	require.Equal(t, c.n, n)
	require.Equal(t, wantRegions, regions)
	require.Equal(t, int64(1), e.Stats().Tiles)
}

// plain hides a device's Labeler methods.
type plain struct{ offload.Device }

func TestLabelFallbacks(t *testing.T) {
	t.Parallel()
	c := cpuLabelCase(t, 77, stack.Shape{Z: 4, Y: 16, X: 16}, kernels.Conn6)
	fault := errors.New("injected")

	t.Run("not every device labels", func(t *testing.T) {
		e, err := offload.New([]offload.Device{fakedev.New(fakedev.Config{}), plain{fakedev.New(fakedev.Config{Name: "fake:1"})}}, offload.Options{})
		require.NoError(t, err)
		defer func() { require.NoError(t, e.Close()) }()
		requireLabels(t, e, c)
		require.Zero(t, e.Stats().Tiles)
		require.Empty(t, e.Stats().LastFailure, "not a failure")
	})
	t.Run("too big for the device", func(t *testing.T) {
		e, _ := newExec(t, offload.Options{}, fakedev.Config{Memory: 8 << 10})
		requireLabels(t, e, c)
		require.Zero(t, e.Stats().Tiles)
		require.Equal(t, int64(3), e.Stats().FallbackCalls)
		require.Empty(t, e.Stats().LastFailure, "not a failure")
	})
	t.Run("device fails", func(t *testing.T) {
		e, _ := newExec(t, offload.Options{}, fakedev.Config{Fault: func(op fakedev.Op) error {
			if op.Kind == fakedev.OpKernel && (op.Name == "label" || op.Name == "regionstats") {
				return fault
			}
			return nil
		}})
		requireLabels(t, e, c)
		st := e.Stats()
		require.Zero(t, st.Tiles)
		require.Equal(t, int64(3), st.FallbackCalls)
		require.Contains(t, st.LastFailure, "injected")
	})
	t.Run("stats fail after labelling", func(t *testing.T) {
		e, _ := newExec(t, offload.Options{}, fakedev.Config{Fault: func(op fakedev.Op) error {
			if op.Name == "regionstats" {
				return fault
			}
			return nil
		}})
		requireLabels(t, e, c)
		st := e.Stats()
		require.Equal(t, int64(2), st.Tiles)
		require.Equal(t, int64(1), st.FallbackCalls)
	})
	t.Run("out of memory", func(t *testing.T) {
		e, _ := newExec(t, offload.Options{}, fakedev.Config{Fault: func(op fakedev.Op) error {
			if op.Kind == fakedev.OpAlloc {
				return offload.ErrOutOfMemory
			}
			return nil
		}})
		requireLabels(t, e, c)
		require.Equal(t, int64(3), e.Stats().FallbackCalls)
	})
	t.Run("policy Fail", func(t *testing.T) {
		e, _ := newExec(t, offload.Options{Policy: offload.Fail}, fakedev.Config{Fault: func(op fakedev.Op) error {
			if op.Name == "label" {
				return fault
			}
			return nil
		}})
		_, err := e.LabelAbove(context.Background(), stack.New[uint32](c.src.Shape), c.src, c.t, c.conn)
		var te *offload.TileError
		require.ErrorAs(t, err, &te)
		require.ErrorIs(t, err, fault)
		require.Equal(t, "label", te.Op)
	})
}

func TestLabelOverflow16OnDevice(t *testing.T) {
	t.Parallel()
	// A checkerboard of single voxels: one object per set voxel with
	// 4-connectivity, 65881 of them.
	s := stack.Shape{Z: 1, Y: 363, X: 363}
	src := stack.New[float32](s)
	for y := range s.Y {
		for x := range s.X {
			if (x+y)%2 == 0 {
				src.Data[y*s.X+x] = 1
			}
		}
	}
	want := (s.Y*s.X + 1) / 2
	require.Greater(t, want, 65535)
	e, _ := newExec(t, offload.Options{}, fakedev.Config{})
	n, err := e.LabelAbove16(context.Background(), stack.New[uint16](s), src, 0.5, kernels.Conn4)
	require.ErrorIs(t, err, kernels.ErrLabelOverflow16)
	require.Equal(t, want, n)
	require.Equal(t, int64(1), e.Stats().Tiles, "labelled on the device, too many for uint16")
}

func TestLabelInvalidArgumentsReachFallback(t *testing.T) {
	t.Parallel()
	e, _ := newExec(t, offload.Options{}, fakedev.Config{})
	ctx := context.Background()
	src := randVolume(1, stack.Shape{Z: 3, Y: 4, X: 4})
	_, err := e.LabelAbove(ctx, stack.New[uint32](src.Shape), src, 0, kernels.Conn8)
	require.ErrorIs(t, err, kernels.ErrConnectivity)
	_, err = e.LabelAbove(ctx, stack.New[uint32](stack.Shape{Z: 1, Y: 4, X: 4}), src, 0, kernels.Conn6)
	require.Error(t, err)
	_, _, err = e.LabelAboveWithStats(ctx, stack.New[uint32](src.Shape), src, 0, kernels.Conn6, stack.New[float32](stack.Shape{Z: 1, Y: 1, X: 1}))
	require.Error(t, err)
	require.Zero(t, e.Stats().Tiles)
}
