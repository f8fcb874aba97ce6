package offload_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/offload"
	"github.com/segstack/segstack/kernels/offload/fakedev"
	"github.com/segstack/segstack/kernels/simd"
	"github.com/segstack/segstack/stack"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func randVolume(seed uint64, s stack.Shape) *stack.Volume[float32] {
	r := rand.New(rand.NewPCG(seed, 7))
	v := stack.New[float32](s)
	for i := range v.Data {
		v.Data[i] = r.Float32()*200 - 50
	}
	return v
}

// requireSame checks two float32 slices bit for bit and names the first
// difference.
func requireSame(t *testing.T, want, got []float32, msg string) {
	t.Helper()
	require.Len(t, got, len(want), msg)
	bad, first := 0, -1
	for i := range want {
		if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
			if first < 0 {
				first = i
			}
			bad++
		}
	}
	if bad > 0 {
		require.Failf(t, "results differ", "%s: %d of %d elements differ; first at %d: want %v, got %v",
			msg, bad, len(want), first, want[first], got[first])
	}
}

// newExec returns an executor over fake devices built from cfgs, closed at
// the end of the test with its devices checked for leaked buffers.
func newExec(t *testing.T, opt offload.Options, cfgs ...fakedev.Config) (*offload.Executor, []*fakedev.Device) {
	t.Helper()
	var devs []offload.Device
	var fakes []*fakedev.Device
	for i, c := range cfgs {
		if c.Name == "" {
			c.Name = fmt.Sprintf("fake:%d", i)
		}
		d := fakedev.New(c)
		fakes = append(fakes, d)
		devs = append(devs, d)
	}
	e, err := offload.New(devs, opt)
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, e.Close())
		for _, d := range fakes {
			c := d.Counts()
			require.Equal(t, c.Allocs, c.Frees, "device buffers freed by Close")
			require.Equal(t, c.HostAllocs, c.HostFrees, "pinned buffers freed by Close")
		}
	})
	return e, fakes
}

func cpuGaussian(t *testing.T, src *stack.Volume[float32], opt kernels.GaussianOptions) (*stack.Volume[float32], float32) {
	t.Helper()
	want := stack.New[float32](src.Shape)
	m, err := kernels.CPU().Gaussian(context.Background(), want, src, opt)
	require.NoError(t, err)
	return want, m
}

func TestGaussianMatchesCPU(t *testing.T) {
	t.Parallel()
	type tc struct {
		name  string
		shape stack.Shape
		sigma [3]float64
		trunc float64
		mem   int64
		tile  int // MaxTileBytes
	}
	cases := []tc{
		{"2d-per-plane", stack.Shape{Z: 3, Y: 37, X: 53}, [3]float64{0, 1, 1}, 0, 48 << 10, 0},
		{"3d", stack.Shape{Z: 9, Y: 23, X: 31}, [3]float64{1, 1.5, 2}, 0, 160 << 10, 0},
		{"3d-truncate", stack.Shape{Z: 6, Y: 19, X: 40}, [3]float64{0.7, 2, 1.2}, 2.5, 64 << 10, 0},
		{"3d-small-tiles", stack.Shape{Z: 5, Y: 30, X: 30}, [3]float64{1, 1, 1}, 0, 1 << 20, 4 << 10},
		// Radii 12 and 8: the tiles split Z only, and take whole planes.
		{"halo-wider-than-volume", stack.Shape{Z: 2, Y: 5, X: 7}, [3]float64{0, 3, 2}, 0, 40 << 10, 35 * 4},
		{"single-row", stack.Shape{Z: 1, Y: 1, X: 301}, [3]float64{0, 0, 1.3}, 0, 40 << 10, 0},
	}
	modes := []struct {
		mode stack.Mode
		cval float64
	}{{stack.Reflect, 0}, {stack.Nearest, 0}, {stack.Mirror, 0}, {stack.Constant, 0}, {stack.Constant, 2.5}, {stack.Wrap, 0}}
	for ci, c := range cases {
		for _, m := range modes {
			name := fmt.Sprintf("%s/%v/cval=%v", c.name, m.mode, m.cval)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				opt := kernels.GaussianOptions{Sigma: c.sigma, Truncate: c.trunc, Mode: m.mode, Cval: m.cval}
				src := randVolume(uint64(ci+1), c.shape)
				want, wantMax := cpuGaussian(t, src, opt)
				// Tiles must not need the whole volume at once.
				tb := c.tile
				if tb == 0 {
					tb = c.shape.Len() * 4 / 3
				}
				e, _ := newExec(t, offload.Options{MaxTileBytes: tb}, fakedev.Config{Memory: c.mem})
				got := stack.New[float32](c.shape)
				gotMax, err := e.Gaussian(context.Background(), got, src, opt)
				require.NoError(t, err)
				requireSame(t, want.Data, got.Data, name)
				require.Equal(t, math.Float32bits(wantMax), math.Float32bits(gotMax), "max %v vs %v", wantMax, gotMax)
				st := e.Stats()
				require.Zero(t, st.FallbackTiles+st.FallbackCalls, "everything ran on the device: %+v", st)
				require.GreaterOrEqual(t, st.Tiles, int64(2), "the volume was tiled: %+v", st)
			})
		}
	}
}

func TestGaussianInPlace(t *testing.T) {
	t.Parallel()
	opt := kernels.GaussianOptions{Sigma: [3]float64{0, 2, 2}}
	src := randVolume(3, stack.Shape{Z: 2, Y: 40, X: 40})
	want, _ := cpuGaussian(t, src, opt)
	e, _ := newExec(t, offload.Options{}, fakedev.Config{Memory: 64 << 10})
	_, err := e.Gaussian(context.Background(), src, src, opt)
	require.NoError(t, err)
	requireSame(t, want.Data, src.Data, "dst == src")
	require.Greater(t, e.Stats().Tiles, int64(1))
}

func TestMaxAndThresholdMatchCPU(t *testing.T) {
	t.Parallel()
	cpu := kernels.CPU()
	ctx := context.Background()
	for _, s := range []stack.Shape{{Z: 1, Y: 1, X: 1}, {Z: 1, Y: 97, X: 131}, {Z: 7, Y: 33, X: 29}} {
		t.Run(s.String(), func(t *testing.T) {
			t.Parallel()
			src := randVolume(uint64(s.Len()), s)
			// Put the maximum in the last tile so a lost tile would show.
			src.Data[len(src.Data)-1] = 1e6
			e, _ := newExec(t, offload.Options{}, fakedev.Config{Memory: 24 << 10})
			wantMax, err := cpu.Max(ctx, src)
			require.NoError(t, err)
			gotMax, err := e.Max(ctx, src)
			require.NoError(t, err)
			require.Equal(t, wantMax, gotMax)

			for _, th := range []float32{-100, 0, 17.5, 1e7} {
				want := stack.New[uint8](s)
				require.NoError(t, cpu.Threshold(ctx, want, src, th))
				got := stack.New[uint8](s)
				for i := range got.Data {
					got.Data[i] = 9 // every element must be written
				}
				require.NoError(t, e.Threshold(ctx, got, src, th))
				require.Equal(t, want.Data, got.Data, "threshold %v", th)
			}
			st := e.Stats()
			require.Zero(t, st.FallbackTiles+st.FallbackCalls)
			if s.Len() > 4096 {
				require.Greater(t, st.Tiles, int64(10), "tiled: %+v", st)
			}
		})
	}
}

func TestMaxNaN(t *testing.T) {
	t.Parallel()
	if simd.Path() == "go" {
		// kernels.Max leaves NaN input unspecified: a NaN resets the running
		// maximum of its lane, so the answer depends on how the data is cut.
		// The vector paths happen to cut this input the same way tiled and
		// whole; the scalar path does not.
		t.Skip("Max of NaN input depends on the lane layout; not defined on the pure-Go path")
	}
	src := randVolume(5, stack.Shape{Z: 2, Y: 64, X: 64})
	src.Data[5000] = float32(math.NaN())
	want, err := kernels.CPU().Max(context.Background(), src)
	require.NoError(t, err)
	e, _ := newExec(t, offload.Options{}, fakedev.Config{Memory: 24 << 10})
	got, err := e.Max(context.Background(), src)
	require.NoError(t, err)
	require.Equal(t, math.Float32bits(want), math.Float32bits(got), "want %v got %v", want, got)
}

// overlaps reports whether some event of kind a and some event of kind b
// ran at the same time.
func overlaps(tl []fakedev.Event, a, b fakedev.OpKind) bool {
	for _, x := range tl {
		for _, y := range tl {
			if x.Kind == a && y.Kind == b && x.Start.Before(y.End) && y.Start.Before(x.End) {
				return true
			}
		}
	}
	return false
}

func TestCopiesOverlapKernels(t *testing.T) {
	t.Parallel()
	src := randVolume(9, stack.Shape{Z: 1, Y: 128, X: 128})
	opt := kernels.GaussianOptions{Sigma: [3]float64{0, 1, 1}}
	want, _ := cpuGaussian(t, src, opt)
	slow := fakedev.Config{Memory: 96 << 10, CopyDelay: 3 * time.Millisecond, KernelDelay: 3 * time.Millisecond}
	for _, streams := range []int{1, 3} {
		t.Run(fmt.Sprint("streams=", streams), func(t *testing.T) {
			e, fakes := newExec(t, offload.Options{Streams: streams, MaxTileBytes: 12 << 10}, slow)
			got := stack.New[float32](src.Shape)
			_, err := e.Gaussian(context.Background(), got, src, opt)
			require.NoError(t, err)
			requireSame(t, want.Data, got.Data, "pipelined")
			require.GreaterOrEqual(t, e.Stats().Tiles, int64(6))
			tl := fakes[0].Timeline()
			in := overlaps(tl, fakedev.OpCopyToDevice, fakedev.OpKernel)
			out := overlaps(tl, fakedev.OpCopyToHost, fakedev.OpKernel)
			if streams == 1 {
				require.False(t, in || out, "one stream runs everything in order")
				return
			}
			require.True(t, in, "copying a tile in overlaps computing another")
			require.True(t, out, "copying a tile out overlaps computing another")
		})
	}
}

func TestBuffersReused(t *testing.T) {
	t.Parallel()
	src := randVolume(11, stack.Shape{Z: 4, Y: 64, X: 64})
	opt := kernels.GaussianOptions{Sigma: [3]float64{1, 1, 1}}
	e, fakes := newExec(t, offload.Options{Streams: 3}, fakedev.Config{Memory: 256 << 10})
	ctx := context.Background()
	dst := stack.New[float32](src.Shape)
	var after1 fakedev.Counts
	for i := range 5 {
		_, err := e.Gaussian(ctx, dst, src, opt)
		require.NoError(t, err)
		if i == 0 {
			after1 = fakes[0].Counts()
		}
	}
	c := fakes[0].Counts()
	require.Equal(t, after1.Allocs, c.Allocs, "later calls allocate no device memory")
	require.Equal(t, after1.HostAllocs, c.HostAllocs, "later calls allocate no pinned memory")
	require.LessOrEqual(t, c.Allocs, 3*3, "in, out and max buffers per stream")
	require.Equal(t, 3, c.Streams, "streams are made once")
	st := e.Stats()
	require.Greater(t, st.Reuses, int64(0))
	require.Equal(t, int64(c.Allocs), st.DeviceAllocs)
	// A smaller volume fits the buffers already pooled.
	small := randVolume(12, stack.Shape{Z: 2, Y: 32, X: 32})
	_, err := e.Gaussian(ctx, stack.New[float32](small.Shape), small, opt)
	require.NoError(t, err)
	_, err = e.Max(ctx, small)
	require.NoError(t, err)
	require.Equal(t, c.Allocs, fakes[0].Counts().Allocs, "smaller tiles take the pooled buffers")
}

// failNth fails the n-th operation of kind k (and, with every, every later
// one too).
func failNth(k fakedev.OpKind, n int, every bool, err error) func(fakedev.Op) error {
	return func(op fakedev.Op) error {
		if op.Kind == k && (op.Seq == n || every && op.Seq > n) {
			return err
		}
		return nil
	}
}

var errInjected = errors.New("injected failure")

func TestFailuresFallBackToCPU(t *testing.T) {
	t.Parallel()
	src := randVolume(13, stack.Shape{Z: 3, Y: 48, X: 40})
	opt := kernels.GaussianOptions{Sigma: [3]float64{1, 1.2, 0.8}, Mode: stack.Mirror}
	want, wantMax := cpuGaussian(t, src, opt)
	cases := []struct {
		name  string
		fault func(fakedev.Op) error
		all   bool // every tile fails
	}{
		{"kernel", failNth(fakedev.OpKernel, 3, false, errInjected), false},
		{"copy-in", failNth(fakedev.OpCopyToDevice, 2, false, errInjected), false},
		{"copy-out", failNth(fakedev.OpCopyToHost, 5, false, errInjected), false},
		{"device-dies", failNth(fakedev.OpKernel, 4, true, errInjected), false},
		{"always", failNth(fakedev.OpKernel, 0, true, errInjected), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e, fakes := newExec(t, offload.Options{}, fakedev.Config{Memory: 64 << 10, Fault: c.fault})
			got := stack.New[float32](src.Shape)
			gotMax, err := e.Gaussian(context.Background(), got, src, opt)
			require.NoError(t, err)
			requireSame(t, want.Data, got.Data, c.name)
			require.Equal(t, wantMax, gotMax)
			st := e.Stats()
			require.Greater(t, st.FallbackTiles, int64(0), "%+v", st)
			require.Contains(t, st.LastFailure, "injected failure")
			if c.all {
				require.Zero(t, st.Tiles)
				kernelsRun := 0
				for _, ev := range fakes[0].Timeline() {
					if ev.Kind == fakedev.OpKernel {
						kernelsRun++
					}
				}
				require.Less(t, kernelsRun, int(st.FallbackTiles), "a failing device is given up on")
			} else {
				require.Greater(t, st.Tiles, int64(0))
			}
		})
	}
}

func TestFailPolicyReturnsTileError(t *testing.T) {
	t.Parallel()
	src := randVolume(14, stack.Shape{Z: 2, Y: 48, X: 48})
	e, _ := newExec(t, offload.Options{Policy: offload.Fail},
		fakedev.Config{Memory: 64 << 10, Fault: failNth(fakedev.OpKernel, 2, false, errInjected)})
	_, err := e.Gaussian(context.Background(), stack.New[float32](src.Shape), src, kernels.GaussianOptions{Sigma: [3]float64{0, 1, 1}})
	require.ErrorIs(t, err, errInjected)
	var te *offload.TileError
	require.ErrorAs(t, err, &te)
	require.Equal(t, "fake:0", te.Device)
	require.Equal(t, "gaussian", te.Op)
	require.Zero(t, e.Stats().FallbackTiles)

	// The executor stays usable after the failure.
	want := stack.New[uint8](src.Shape)
	require.NoError(t, kernels.CPU().Threshold(context.Background(), want, src, 10))
	got := stack.New[uint8](src.Shape)
	require.NoError(t, e.Threshold(context.Background(), got, src, 10))
	require.Equal(t, want.Data, got.Data)
}

func TestOutOfMemory(t *testing.T) {
	t.Parallel()
	src := randVolume(15, stack.Shape{Z: 4, Y: 40, X: 40})
	opt := kernels.GaussianOptions{Sigma: [3]float64{1, 2, 2}, Mode: stack.Nearest}
	want, wantMax := cpuGaussian(t, src, opt)
	ctx := context.Background()

	t.Run("shrinks", func(t *testing.T) {
		t.Parallel()
		oom := failNth(fakedev.OpAlloc, 2, false, offload.ErrOutOfMemory)
		e, _ := newExec(t, offload.Options{}, fakedev.Config{Memory: 1 << 20, Fault: oom})
		got := stack.New[float32](src.Shape)
		m, err := e.Gaussian(ctx, got, src, opt)
		require.NoError(t, err)
		requireSame(t, want.Data, got.Data, "after shrinking")
		require.Equal(t, wantMax, m)
		st := e.Stats()
		require.Equal(t, int64(1), st.Shrinks)
		require.Zero(t, st.FallbackCalls)
		require.Greater(t, st.Tiles, int64(0))
	})
	t.Run("too-small-falls-back", func(t *testing.T) {
		t.Parallel()
		e, _ := newExec(t, offload.Options{}, fakedev.Config{Memory: 8 << 10})
		got := stack.New[float32](src.Shape)
		m, err := e.Gaussian(ctx, got, src, opt)
		require.NoError(t, err)
		requireSame(t, want.Data, got.Data, "on the CPU")
		require.Equal(t, wantMax, m)
		st := e.Stats()
		require.Equal(t, int64(1), st.FallbackCalls)
		require.Zero(t, st.Tiles)
		require.Contains(t, st.LastFailure, "out of device memory")
	})
	t.Run("too-small-fails", func(t *testing.T) {
		t.Parallel()
		e, _ := newExec(t, offload.Options{Policy: offload.Fail}, fakedev.Config{Memory: 8 << 10})
		_, err := e.Gaussian(ctx, stack.New[float32](src.Shape), src, opt)
		require.ErrorIs(t, err, offload.ErrOutOfMemory)
	})
	t.Run("always-oom", func(t *testing.T) {
		t.Parallel()
		oom := failNth(fakedev.OpAlloc, 0, true, offload.ErrOutOfMemory)
		e, _ := newExec(t, offload.Options{}, fakedev.Config{Memory: 1 << 20, Fault: oom})
		got := stack.New[float32](src.Shape)
		_, err := e.Gaussian(ctx, got, src, opt)
		require.NoError(t, err)
		requireSame(t, want.Data, got.Data, "on the CPU")
		st := e.Stats()
		require.Equal(t, int64(1), st.FallbackCalls)
		require.Positive(t, st.Shrinks)
	})
}

func TestStreamFailureFallsBack(t *testing.T) {
	t.Parallel()
	src := randVolume(16, stack.Shape{Z: 1, Y: 50, X: 50})
	e, _ := newExec(t, offload.Options{}, fakedev.Config{Fault: failNth(fakedev.OpNewStream, 1, false, errInjected)})
	want, err := kernels.CPU().Max(context.Background(), src)
	require.NoError(t, err)
	got, err := e.Max(context.Background(), src)
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.Equal(t, int64(1), e.Stats().FallbackCalls)
	// The next call makes its streams and runs on the device.
	_, err = e.Max(context.Background(), src)
	require.NoError(t, err)
	require.Positive(t, e.Stats().Tiles)
}

func TestMultiDevice(t *testing.T) {
	t.Parallel()
	src := randVolume(17, stack.Shape{Z: 4, Y: 64, X: 48})
	opt := kernels.GaussianOptions{Sigma: [3]float64{0, 1.5, 1.5}, Mode: stack.Wrap}
	want, wantMax := cpuGaussian(t, src, opt)
	slow := fakedev.Config{Memory: 64 << 10, KernelDelay: time.Millisecond}

	t.Run("shared", func(t *testing.T) {
		t.Parallel()
		e, fakes := newExec(t, offload.Options{}, slow, slow)
		require.Equal(t, "fake:0+fake:1", e.Name())
		got := stack.New[float32](src.Shape)
		m, err := e.Gaussian(context.Background(), got, src, opt)
		require.NoError(t, err)
		requireSame(t, want.Data, got.Data, "two devices")
		require.Equal(t, wantMax, m)
		for _, d := range fakes {
			require.NotEmpty(t, d.Timeline(), "both devices took tiles")
		}
	})
	t.Run("one-broken", func(t *testing.T) {
		t.Parallel()
		broken := slow
		broken.Fault = failNth(fakedev.OpKernel, 0, true, errInjected)
		e, _ := newExec(t, offload.Options{}, slow, broken)
		got := stack.New[float32](src.Shape)
		_, err := e.Gaussian(context.Background(), got, src, opt)
		require.NoError(t, err)
		requireSame(t, want.Data, got.Data, "one broken device")
		st := e.Stats()
		require.Positive(t, st.Tiles)
		require.Positive(t, st.FallbackTiles)
	})
}

func TestCancel(t *testing.T) {
	t.Parallel()
	src := randVolume(18, stack.Shape{Z: 2, Y: 64, X: 64})
	opt := kernels.GaussianOptions{Sigma: [3]float64{0, 1, 1}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelAt := func(op fakedev.Op) error {
		if op.Kind == fakedev.OpKernel && op.Seq == 5 {
			cancel()
		}
		return nil
	}
	e, _ := newExec(t, offload.Options{}, fakedev.Config{Memory: 64 << 10, Fault: cancelAt})
	_, err := e.Gaussian(ctx, stack.New[float32](src.Shape), src, opt)
	require.ErrorIs(t, err, context.Canceled)

	want, _ := cpuGaussian(t, src, opt)
	got := stack.New[float32](src.Shape)
	_, err = e.Gaussian(context.Background(), got, src, opt)
	require.NoError(t, err)
	requireSame(t, want.Data, got.Data, "after a cancelled call")
}

func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	e, _ := newExec(t, offload.Options{}, fakedev.Config{Memory: 96 << 10})
	opt := kernels.GaussianOptions{Sigma: [3]float64{0, 1, 1}}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for g := range 4 {
		wg.Go(func() {
			src := randVolume(uint64(100+g), stack.Shape{Z: 2, Y: 40 + g, X: 50})
			want := stack.New[float32](src.Shape)
			if _, err := kernels.CPU().Gaussian(context.Background(), want, src, opt); err != nil {
				errs[g] = err
				return
			}
			got := stack.New[float32](src.Shape)
			if _, err := e.Gaussian(context.Background(), got, src, opt); err != nil {
				errs[g] = err
				return
			}
			for i := range want.Data {
				if want.Data[i] != got.Data[i] {
					errs[g] = fmt.Errorf("goroutine %d: element %d differs", g, i)
					return
				}
			}
		})
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
}

func TestLabelDelegates(t *testing.T) {
	t.Parallel()
	src := randVolume(19, stack.Shape{Z: 1, Y: 40, X: 40})
	mask := stack.New[uint8](src.Shape)
	for i, v := range src.Data {
		if v > 80 {
			mask.Data[i] = 1
		}
	}
	e, _ := newExec(t, offload.Options{}, fakedev.Config{})
	ctx := context.Background()
	want := stack.New[uint32](src.Shape)
	nw, err := kernels.CPU().Label(ctx, want, mask, kernels.Conn8)
	require.NoError(t, err)
	got := stack.New[uint32](src.Shape)
	ng, err := e.Label(ctx, got, mask, kernels.Conn8)
	require.NoError(t, err)
	require.Equal(t, nw, ng)
	require.Equal(t, want.Data, got.Data)
	require.Positive(t, ng)

	got2 := stack.New[uint32](src.Shape)
	n2, err := e.LabelAbove(ctx, got2, src, 80, kernels.Conn8)
	require.NoError(t, err)
	require.Equal(t, nw, n2)
	require.Equal(t, want.Data, got2.Data)
}

// The operations the Executor leaves to its fallback give the CPU's
// results: uint16 labels, labels with statistics, narrowing, the minimum
// and the streamed Z pass.
func TestFallbackOpsMatchCPU(t *testing.T) {
	t.Parallel()
	src := randVolume(22, stack.Shape{Z: 3, Y: 30, X: 41})
	intensity := randVolume(23, src.Shape)
	e, _ := newExec(t, offload.Options{}, fakedev.Config{})
	cpu := kernels.CPU()
	ctx := context.Background()

	want := stack.New[uint32](src.Shape)
	nw, rw, err := cpu.LabelAboveWithStats(ctx, want, src, 80, kernels.Conn26, intensity)
	require.NoError(t, err)
	require.Positive(t, nw)
	got := stack.New[uint32](src.Shape)
	ng, rg, err := e.LabelAboveWithStats(ctx, got, src, 80, kernels.Conn26, intensity)
	require.NoError(t, err)
	require.Equal(t, nw, ng)
	require.Equal(t, want.Data, got.Data)
	require.Equal(t, rw, rg)

	grid, err := stack.NewGrid(stack.Shape{Z: 2 * src.Shape.Z, Y: src.Shape.Y, X: src.Shape.X}, src.Shape)
	require.NoError(t, err)
	wch, err := cpu.LabelChunkAbove(ctx, grid, 1, nil, src, 80, intensity, kernels.Conn26)
	require.NoError(t, err)
	gch, err := e.LabelChunkAbove(ctx, grid, 1, nil, src, 80, intensity, kernels.Conn26)
	require.NoError(t, err)
	require.Equal(t, wch, gch)

	got16 := stack.New[uint16](src.Shape)
	n16, err := e.LabelAbove16(ctx, got16, src, 80, kernels.Conn26)
	require.NoError(t, err)
	require.Equal(t, nw, n16)
	nar := stack.New[uint16](src.Shape)
	require.NoError(t, e.Narrow16(ctx, nar, want))
	require.Equal(t, got16.Data, nar.Data)
	for i, l := range want.Data {
		require.Equal(t, uint16(l), nar.Data[i])
	}

	lo, err := e.Min(ctx, src)
	require.NoError(t, err)
	wlo, err := cpu.Min(ctx, src)
	require.NoError(t, err)
	require.Equal(t, wlo, lo)

	opt := kernels.GaussianOptions{Sigma: [3]float64{1.5, 0, 0}}
	whole, _ := cpuGaussian(t, src, opt)
	pool := stack.NewPool[float32](src.Shape.PlaneLen())
	zs, err := e.GaussianZ(opt, src.Shape, pool, func(_ context.Context, z int, dst []float32) error {
		copy(dst, src.Plane(z))
		return nil
	})
	require.NoError(t, err)
	defer zs.Close()
	planes := make([][]float32, src.Shape.Z)
	for z := range planes {
		planes[z] = make([]float32, src.Shape.PlaneLen())
	}
	require.NoError(t, zs.Planes(ctx, 0, planes))
	for z, p := range planes {
		requireSame(t, whole.Plane(z), p, fmt.Sprintf("plane %d", z))
	}
}

func TestInvalidArguments(t *testing.T) {
	t.Parallel()
	e, _ := newExec(t, offload.Options{}, fakedev.Config{})
	ctx := context.Background()
	src := randVolume(20, stack.Shape{Z: 1, Y: 8, X: 8})
	_, err := e.Gaussian(ctx, stack.New[float32](stack.Shape{Z: 1, Y: 8, X: 9}), src, kernels.GaussianOptions{})
	require.Error(t, err)
	_, err = e.Gaussian(ctx, stack.New[float32](src.Shape), src, kernels.GaussianOptions{Sigma: [3]float64{0, -1, 1}})
	require.ErrorIs(t, err, kernels.ErrInvalid)
	_, err = e.Gaussian(ctx, stack.New[float32](src.Shape), src, kernels.GaussianOptions{Sigma: [3]float64{0, math.NaN(), 1}})
	require.ErrorIs(t, err, kernels.ErrInvalid)
	_, err = e.Max(ctx, &stack.Volume[float32]{Shape: stack.Shape{Z: 1, Y: 2, X: 2}, Data: make([]float32, 3)})
	require.Error(t, err)
	require.Error(t, e.Threshold(ctx, nil, src, 0))
	_, err = offload.New(nil, offload.Options{})
	require.ErrorIs(t, err, kernels.ErrNoDevice)
}

func TestClosed(t *testing.T) {
	t.Parallel()
	d := fakedev.New(fakedev.Config{})
	e, err := offload.New([]offload.Device{d}, offload.Options{})
	require.NoError(t, err)
	src := randVolume(21, stack.Shape{Z: 1, Y: 8, X: 8})
	_, err = e.Max(context.Background(), src)
	require.NoError(t, err)
	require.NoError(t, e.Close())
	require.NoError(t, e.Close(), "Close is idempotent")
	_, err = e.Max(context.Background(), src)
	require.Error(t, err)
	_, err = e.Label(context.Background(), stack.New[uint32](src.Shape), stack.New[uint8](src.Shape), kernels.Conn4)
	require.Error(t, err)
	_, err = e.LabelAbove16(context.Background(), stack.New[uint16](src.Shape), src, 0, kernels.Conn4)
	require.Error(t, err)
	_, _, err = e.LabelAboveWithStats(context.Background(), stack.New[uint32](src.Shape), src, 0, kernels.Conn4, nil)
	require.Error(t, err)
	require.Error(t, e.Narrow16(context.Background(), stack.New[uint16](src.Shape), stack.New[uint32](src.Shape)))
	_, err = e.LabelChunkAbove(context.Background(), stack.Grid{Shape: src.Shape, Chunk: src.Shape}, 0, nil, src, 0, nil, kernels.Conn4)
	require.Error(t, err)
	_, err = e.Min(context.Background(), src)
	require.Error(t, err)
	_, err = e.GaussianZ(kernels.GaussianOptions{}, src.Shape, stack.NewPool[float32](src.Shape.PlaneLen()), nil)
	require.Error(t, err)
	c := d.Counts()
	require.Zero(t, c.LiveStreams)
	require.Equal(t, c.Allocs, c.Frees)
}
