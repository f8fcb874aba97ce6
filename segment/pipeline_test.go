package segment

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/synth"
	"github.com/segstack/segstack/stack/tiff"
	"github.com/stretchr/testify/require"
)

// runFiles runs opt with every output in a fresh directory and returns the
// labels and the stats file's bytes.
func runFiles(t *testing.T, opt Options) (*stack.Volume[uint32], stack.DType, []byte, Report) {
	t.Helper()
	dir := t.TempDir()
	opt.Output = filepath.Join(dir, "labels.tif")
	opt.Stats = filepath.Join(dir, "stats.csv")
	rep, err := Run(context.Background(), opt)
	require.NoError(t, err)
	lab, dt := readLabels(t, opt.Output)
	st, err := os.ReadFile(opt.Stats)
	require.NoError(t, err)
	return lab, dt, st, rep
}

// Results do not depend on the number of workers or on the chunks.
func TestWorkersAndChunksDoNotChangeResults(t *testing.T) {
	t.Parallel()
	vol := synth.Nuclei(stack.Shape{Z: 9, Y: 90, X: 70}, 5)
	for _, mode := range []Mode{Mode2D, Mode3D} {
		base := DefaultOptions()
		base.Source = VolumeSource(vol)
		base.Mode = mode
		base.Workers = 1
		if mode == Mode3D {
			base.Connectivity = 26
		}
		want, wantDT, wantStats, wantRep := runFiles(t, base)
		require.Positive(t, wantRep.Objects)
		for _, workers := range []int{2, 4} {
			for _, chunks := range []stack.Shape{{}, {Z: 1, Y: 32, X: 17}, {Z: 4, Y: 90, X: 33}, {Z: 2, Y: 7, X: 70}} {
				opt := base
				opt.Workers, opt.Chunks = workers, chunks
				got, gotDT, gotStats, rep := runFiles(t, opt)
				require.Equal(t, wantDT, gotDT)
				require.Equal(t, want.Data, got.Data, "mode %v workers %d chunks %v", mode, workers, chunks)
				require.Equal(t, string(wantStats), string(gotStats), "mode %v workers %d chunks %v", mode, workers, chunks)
				require.Equal(t, wantRep.Counts, rep.Counts)
			}
		}
	}
}

// A 3-D run whose slabs are single planes merges every object across every
// face; it must agree with the run that labels the whole volume at once.
func TestSlabMergeEqualsWholeVolume(t *testing.T) {
	t.Parallel()
	vol := synth.Nuclei(stack.Shape{Z: 12, Y: 64, X: 64}, 9)
	for _, conn := range []int{6, 18, 26} {
		opt := DefaultOptions()
		opt.Source = VolumeSource(vol)
		opt.Mode = Mode3D
		opt.Connectivity = kernelsConn(conn)
		opt.Chunks = stack.Shape{Z: 12}
		whole, _, wholeStats, _ := runFiles(t, opt)
		opt.Chunks = stack.Shape{Z: 1}
		sliced, _, slicedStats, _ := runFiles(t, opt)
		require.Equal(t, whole.Data, sliced.Data, "conn %d", conn)
		requireStatsMatch(t, "slabs", csvOf(t, wholeStats), csvOf(t, slicedStats))
	}
}

func TestUniqueLabels(t *testing.T) {
	t.Parallel()
	vol := synth.Nuclei(stack.Shape{Z: 5, Y: 80, X: 80}, 2)
	opt := DefaultOptions()
	opt.Source = VolumeSource(vol)
	opt.Numbering = NumberPerPlane
	plain, _, _, rep := runFiles(t, opt)
	require.Equal(t, "per-plane", rep.Labels)
	require.False(t, rep.UniqueLabels)
	opt.Numbering = NumberUnique
	uniq, _, stats, urep := runFiles(t, opt)
	require.Equal(t, "unique", urep.Labels)
	require.True(t, urep.UniqueLabels)
	require.Equal(t, rep.Counts, urep.Counts)
	offset := uint32(0)
	for z := range vol.Shape.Z {
		for i, l := range plain.Plane(z) {
			want := l
			if l != 0 {
				want += offset
			}
			require.Equal(t, want, uniq.Plane(z)[i])
		}
		offset += uint32(rep.Counts[z])
	}
	rows := csvOf(t, stats)
	require.Len(t, rows, 1+int(offset))
	for i, row := range rows[1:] {
		require.Equal(t, itoa(i+1), row[0], "stats rows carry the unique labels")
	}
}

// checkerboard gives one object per foreground pixel under connectivity 4.
func checkerboard(plane []float32, ny, nx int) {
	for y := range ny {
		for x := range nx {
			plane[y*nx+x] = float32((x + y) % 2)
		}
	}
}

// Label type auto: uint16 while labels fit, then uint32 from the start of
// the file, the planes already written recomputed.
func TestLabelDTypeUpgrade(t *testing.T) {
	t.Parallel()
	s := stack.Shape{Z: 3, Y: 512, X: 512}
	vol := stack.New[float32](s)
	vol.Plane(0)[5*512+7] = 1                     // one object
	checkerboard(vol.Plane(1), s.Y, s.X)          // 131072 objects
	vol.Plane(2)[9*512+9], vol.Plane(2)[0] = 1, 1 // two
	opt := DefaultOptions()
	opt.Source = VolumeSource(vol)
	opt.Sigma = [3]float64{}
	opt.Threshold = kernels.ThresholdSpec{Kind: kernels.ThresholdAbsolute, Value: 0.5}
	lab, dt, _, rep := runFiles(t, opt)
	require.Equal(t, stack.Uint32, dt)
	require.Equal(t, []int{1, 131072, 2}, rep.Counts)
	require.Equal(t, uint32(1), lab.At(0, 5, 7), "the replayed first plane")
	n := uint32(1)
	for y := range s.Y {
		for x := range s.X {
			want := uint32(0)
			if (x+y)%2 == 1 {
				n++
				want = n
			}
			require.Equal(t, want, lab.At(1, y, x))
		}
	}
	require.Equal(t, n+1, lab.At(2, 0, 0))
	require.Equal(t, n+2, lab.At(2, 9, 9))

	// Asked for uint16, the run fails and leaves nothing behind.
	dir := t.TempDir()
	opt.LabelDType = LabelUint16
	opt.Output = filepath.Join(dir, "labels.tif")
	_, err := Run(context.Background(), opt)
	require.ErrorIs(t, err, ErrLabelOverflow)
	require.NotContains(t, err.Error(), "--", "library errors name no CLI flag")
	requireEmptyDir(t, dir)

	// Asked for uint32, small labels are uint32 too.
	opt.LabelDType = LabelUint32
	opt.Source = VolumeSource(synth.Nuclei(stack.Shape{Z: 2, Y: 40, X: 40}, 1))
	opt.Sigma = [3]float64{1, 1, 1}
	opt.Threshold = kernels.ThresholdSpec{}
	_, dt, _, _ = runFiles(t, opt)
	require.Equal(t, stack.Uint32, dt)
}

func requireEmptyDir(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	require.Empty(t, names, "partial outputs left in %s", dir)
}

func TestCancelRemovesOutputs(t *testing.T) {
	t.Parallel()
	vol := synth.Nuclei(stack.Shape{Z: 24, Y: 64, X: 64}, 4)
	for _, mode := range []Mode{Mode2D, Mode3D} {
		dir := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		opt := DefaultOptions()
		opt.Source = VolumeSource(vol)
		opt.Mode = mode
		opt.Chunks = stack.Shape{Z: 2}
		opt.Output = filepath.Join(dir, "labels.tif")
		opt.Stats = filepath.Join(dir, "stats.csv")
		opt.Preview = filepath.Join(dir, "preview.png")
		opt.Report = filepath.Join(dir, "report.json")
		calls := 0
		opt.Progress = func(done, total int) {
			calls++
			if done >= total/3 {
				cancel()
			}
		}
		_, err := Run(ctx, opt)
		cancel()
		require.ErrorIs(t, err, context.Canceled, "mode %v", mode)
		require.Positive(t, calls)
		requireEmptyDir(t, dir)
	}
}

func TestOutputExists(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "labels.tif")
	require.NoError(t, os.WriteFile(out, []byte("keep me"), 0o644))
	opt := DefaultOptions()
	opt.Source = VolumeSource(synth.Nuclei(stack.Shape{Z: 2, Y: 32, X: 32}, 1))
	opt.Output = out
	_, err := Run(context.Background(), opt)
	require.ErrorIs(t, err, ErrExists)
	require.ErrorContains(t, err, out)
	require.NotContains(t, err.Error(), "--", "library errors name no CLI flag")
	b, _ := os.ReadFile(out)
	require.Equal(t, "keep me", string(b))
	opt.Force = true
	_, err = Run(context.Background(), opt)
	require.NoError(t, err)
	lab, _ := readLabels(t, out)
	require.Equal(t, 2, lab.Shape.Z)
}

func TestBadInputs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	opt := DefaultOptions()
	opt.Output = filepath.Join(dir, "labels.tif")

	opt.Input = filepath.Join(dir, "missing.tif")
	_, err := Run(context.Background(), opt)
	require.ErrorIs(t, err, fs.ErrNotExist)

	notTIFF := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(notTIFF, []byte("this is not an image at all"), 0o644))
	opt.Input = notTIFF
	_, err = Run(context.Background(), opt)
	var fe tiff.FormatError
	require.ErrorAs(t, err, &fe)

	opt.Input = "testdata/blobs_u16.tif"
	opt.Connectivity = 6
	_, err = Run(context.Background(), opt)
	require.ErrorContains(t, err, "not a 2d connectivity")
	require.ErrorIs(t, err, kernels.ErrConnectivity)
	require.NotContains(t, err.Error(), "--", "library errors name no CLI flag")
	opt.Connectivity = 0
	opt.Mode = Mode3D
	opt.Connectivity = 8
	_, err = Run(context.Background(), opt)
	require.ErrorContains(t, err, "not a 3d connectivity")
	require.NotContains(t, err.Error(), "--", "library errors name no CLI flag")
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, ents, 1, "only the text file; no partial output")
}

// A two-channel hyperstack needs a channel; channel 1 segments exactly
// channel 1's planes.
func TestMultiChannel(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := synth.Nuclei(stack.Shape{Z: 3, Y: 48, X: 40}, 1)
	b := synth.Nuclei(stack.Shape{Z: 3, Y: 48, X: 40}, 2)
	both := stack.New[uint16](stack.Shape{Z: 6, Y: 48, X: 40})
	for z := range 3 {
		copy(both.Plane(2*z), a.Plane(z))
		copy(both.Plane(2*z+1), b.Plane(z))
	}
	in := filepath.Join(dir, "two.tif")
	require.NoError(t, tiff.WriteVolume(context.Background(), in, both, tiff.WriterOptions{Channels: 2}))

	opt := DefaultOptions()
	opt.Input = in
	opt.Output = filepath.Join(dir, "labels.tif")
	_, err := Run(context.Background(), opt)
	require.ErrorIs(t, err, ErrChannel)
	var ce *ChannelError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, ChannelError{Channels: 2, Requested: -1}, *ce)
	require.ErrorContains(t, err, "the stack has 2 channels")
	require.NotContains(t, err.Error(), "--", "library errors name no CLI flag")
	opt.Channel = 2
	_, err = Run(context.Background(), opt)
	require.ErrorIs(t, err, ErrChannel)
	require.ErrorAs(t, err, &ce)
	require.Equal(t, ChannelError{Channels: 2, Requested: 2}, *ce)

	opt.Channel = 1
	got, _, _, _ := runFiles(t, opt)
	ref := DefaultOptions()
	ref.Source = VolumeSource(b)
	want, _, _, _ := runFiles(t, ref)
	require.Equal(t, want.Data, got.Data)
}

// countingSource records how far reading runs ahead of writing.
type countingSource struct {
	Source
	written *atomic.Int64
	ahead   *atomic.Int64 // the most planes read but not yet written
}

func (c countingSource) ReadPlane(ctx context.Context, z int, dst []float32) error {
	d := int64(z) + 1 - c.written.Load()
	for {
		old := c.ahead.Load()
		if d <= old || c.ahead.CompareAndSwap(old, d) {
			break
		}
	}
	return c.Source.ReadPlane(ctx, z, dst)
}

// 2-D mode keeps at most two planes per worker between reading and
// writing, however long the stack: memory is O(workers × plane).
func TestBackPressure(t *testing.T) {
	t.Parallel()
	vol := synth.Nuclei(stack.Shape{Z: 60, Y: 32, X: 32}, 6)
	for _, workers := range []int{1, 3} {
		var written, ahead atomic.Int64
		opt := DefaultOptions()
		opt.Source = countingSource{VolumeSource(vol), &written, &ahead}
		opt.Workers = workers
		opt.Output = filepath.Join(t.TempDir(), "l.tif")
		opt.Progress = func(done, total int) {
			time.Sleep(200 * time.Microsecond) // a slow disk
			written.Store(int64(done))
		}
		_, err := Run(context.Background(), opt)
		require.NoError(t, err)
		require.Equal(t, int64(60), written.Load())
		require.LessOrEqual(t, ahead.Load(), int64(2*workers), "workers %d", workers)
		require.Greater(t, ahead.Load(), int64(1), "workers %d: planes do overlap", workers)
	}
}

// Runs that finish, fail or are cancelled leave no goroutine behind. Not
// parallel, so that other tests' goroutines do not blur the count.
func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	vol := synth.Nuclei(stack.Shape{Z: 8, Y: 48, X: 48}, 3)
	for _, mode := range []Mode{Mode2D, Mode3D} {
		opt := DefaultOptions()
		opt.Source = VolumeSource(vol)
		opt.Mode = mode
		opt.Workers = 3
		opt.Output = filepath.Join(t.TempDir(), "l.tif")
		_, err := Run(context.Background(), opt)
		require.NoError(t, err)
		opt.Source = failingSource{VolumeSource(vol), 5, syscall.EIO}
		opt.Force = true
		_, err = Run(context.Background(), opt)
		require.ErrorIs(t, err, syscall.EIO)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), before)
}

// The zero Options.Threshold is 0.33 of the maximum: it gives the same
// thresholds, labels and report as DefaultOptions' explicit 0.33max, in
// both modes.
func TestZeroThresholdIsDefault(t *testing.T) {
	t.Parallel()
	vol := synth.Nuclei(stack.Shape{Z: 3, Y: 48, X: 40}, 2)
	for _, mode := range []Mode{Mode2D, Mode3D} {
		opt := DefaultOptions()
		opt.Source = VolumeSource(vol)
		opt.Mode = mode
		wantLab, _, _, want := runFiles(t, opt)
		opt.Threshold = kernels.ThresholdSpec{}
		lab, _, _, got := runFiles(t, opt)
		require.Equal(t, want.Thresholds, got.Thresholds, "mode %v", mode)
		require.Equal(t, want.Counts, got.Counts, "mode %v", mode)
		require.Equal(t, wantLab.Data, lab.Data, "mode %v", mode)
		require.Equal(t, "0.33max", got.Threshold)
		// And it is not the absolute 0 that the zero ThresholdSpec of an
		// absolute kind would be.
		require.Greater(t, got.Thresholds[0], float32(1))
	}
}
