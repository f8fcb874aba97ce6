package array

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/delayed"
	"github.com/segstack/segstack/sched"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
)

func TestTIFFRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	a := Random([]int{5, 33, 47}, []int{2, 10, 20}, 3).Mul(60000).Astype(stack.Uint16)
	want := compute(t, a)
	path := filepath.Join(dir, "a.tif")
	require.NoError(t, a.ToTIFF(ctx, delayed.Serial(), path, tiff.WriterOptions{Compression: tiff.LZW}))
	v, err := tiff.ReadFile[uint16](ctx, path)
	require.NoError(t, err)
	wd, err := Data[uint16](want)
	require.NoError(t, err)
	require.Equal(t, wd, v.Data)

	r, err := tiff.Open(path)
	require.NoError(t, err)
	defer r.Close()
	for _, chunk := range [][]int{nil, {2, 16, 16}, {5, 33, 47}} {
		b := FromTIFF(r, chunk)
		require.NoError(t, b.Err())
		require.Equal(t, []int{5, 33, 47}, b.Shape())
		require.Equal(t, stack.Uint16, b.DType())
		got := compute(t, b)
		gd, err := Data[uint16](got)
		require.NoError(t, err)
		require.Equal(t, wd, gd, "chunks %v", chunk)
	}
	// A 2-D float32 array is a one-plane file.
	p2 := filepath.Join(dir, "b.tif")
	f := Random([]int{7, 9}, []int{3, 4}, 1).Astype(stack.Float32)
	require.NoError(t, f.ToTIFF(ctx, nil, p2, tiff.WriterOptions{}))
	fv, err := tiff.ReadFile[float32](ctx, p2)
	require.NoError(t, err)
	require.Equal(t, stack.Shape{Z: 1, Y: 7, X: 9}, fv.Shape)
	fd, err := Data[float32](compute(t, f))
	require.NoError(t, err)
	require.Equal(t, fd, fv.Data)
	// A failing chunk deep in the stack fails the write and leaves no file.
	boom := errors.New("boom")
	bad := MapBlocks(Random([]int{9, 8, 8}, []int{1, 8, 8}, 1).Astype(stack.Float32), func(_ context.Context, v *stack.Volume[float32]) (*stack.Volume[float32], error) {
		if v.Data[0] > 0.5 {
			return nil, boom
		}
		return v, nil
	})
	p3 := filepath.Join(dir, "bad.tif")
	require.ErrorIs(t, bad.ToTIFF(ctx, nil, p3, tiff.WriterOptions{}), boom)
	_, err = os.Stat(p3)
	require.True(t, os.IsNotExist(err))
	// Types TIFF does not store are refused.
	require.Error(t, Random([]int{2, 2}, nil, 1).ToTIFF(ctx, nil, filepath.Join(dir, "c.tif"), tiff.WriterOptions{}))
}

// writeStack streams a synthetic uint16 stack to path and returns the
// maximum over Z, computed while writing.
func writeStack(t testing.TB, path string, s stack.Shape) []uint16 {
	t.Helper()
	w, err := tiff.Create(path, tiff.WriterOptions{Shape: s, DType: stack.Uint16})
	require.NoError(t, err)
	plane := make([]uint16, s.Y*s.X)
	mip := make([]uint16, s.Y*s.X)
	for z := range s.Z {
		for i := range plane {
			h := uint32(z*7919+i)*2654435761 + uint32(i>>9)
			plane[i] = uint16(h >> 16)
			mip[i] = max(mip[i], plane[i])
		}
		require.NoError(t, tiff.WritePlaneOf(w, plane))
	}
	require.NoError(t, w.Close())
	return mip
}

// heapPeak samples the heap every millisecond until stop is called and
// returns the largest HeapAlloc seen (live data plus garbage not yet
// collected) and the largest live heap a collection measured (runtime/
// metrics' /gc/heap/live:bytes), which garbage does not inflate.
func heapPeak() (stop func() (alloc, live uint64)) {
	var peak, livePeak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak.Store(max(peak.Load(), m.HeapAlloc))
			livePeak.Store(max(livePeak.Load(), liveHeap()))
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	return func() (uint64, uint64) {
		close(done)
		wg.Wait()
		return peak.Load(), livePeak.Load()
	}
}

func liveHeap() uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}

// mipRun is what measureMIP saw.
type mipRun struct {
	mip               []uint16
	fileBytes         int64
	planeBytes        int
	heapGrowth, live  int64 // peak HeapAlloc and live-heap growth
	mipTime, readTime time.Duration
}

func (m mipRun) String() string {
	planes := func(n int64) float64 { return float64(n) / float64(m.planeBytes) }
	return fmt.Sprintf("file %s: MIP %v (%.0f MB/s), sequential read %v (%.0f MB/s); peak HeapAlloc growth %s (%.1f planes of %s), peak live heap growth %s (%.1f planes)",
		FormatBytes(int(m.fileBytes)), m.mipTime.Round(time.Millisecond), float64(m.fileBytes)/m.mipTime.Seconds()/1e6,
		m.readTime.Round(time.Millisecond), float64(m.fileBytes)/m.readTime.Seconds()/1e6,
		FormatBytes(int(max(m.heapGrowth, 0))), planes(m.heapGrowth), FormatBytes(m.planeBytes),
		FormatBytes(int(max(m.live, 0))), planes(m.live))
}

// measureMIP computes the maximum over Z of the uint16 TIFF stack at path
// on a cluster of the given workers, sampling the heap, then times a plain
// sequential read of the file as the anchor.
func measureMIP(t *testing.T, path string, workers int) mipRun {
	st, err := os.Stat(path)
	require.NoError(t, err)
	r, err := tiff.Open(path)
	require.NoError(t, err)
	defer r.Close()
	c, err := sched.NewLocalCluster(sched.Options{Workers: workers})
	require.NoError(t, err)
	defer c.Close()
	mip := FromTIFF(r, nil).Max(0)
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	base, baseLive := m.HeapAlloc, liveHeap()
	stop := heapPeak()
	t0 := time.Now()
	res, err := mip.Compute(context.Background(), c)
	dt := time.Since(t0)
	peak, peakLive := stop()
	require.NoError(t, err)
	got, err := Data[uint16](res)
	require.NoError(t, err)
	run := mipRun{mip: got, fileBytes: st.Size(), planeBytes: r.PlaneBytes(),
		heapGrowth: int64(peak) - int64(base), live: int64(peakLive) - int64(baseLive), mipTime: dt}
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	t0 = time.Now()
	_, err = io.CopyBuffer(io.Discard, struct{ io.Reader }{f}, make([]byte, 1<<20))
	require.NoError(t, err)
	run.readTime = time.Since(t0)
	return run
}

// TestMIPMemoryBounded takes the maximum over Z of a TIFF stack through a
// lazy array and checks that the heap never holds more than a small part of
// the file: planes are read by tasks as the reduction tree consumes them.
func TestMIPMemoryBounded(t *testing.T) {
	// Not parallel: it measures the heap, and lowers the GC target so that
	// collections run back to back and the heap tracks live data rather
	// than garbage. What stays live is a few planes per level of the
	// reduction tree plus the tasks in flight, whatever the number of
	// planes.
	defer debug.SetGCPercent(debug.SetGCPercent(1))
	// Deep enough that what stays live (tens of planes on a loaded machine)
	// is well below an eighth of the file.
	shape := stack.Shape{Z: 640, Y: 256, X: 256}
	path := filepath.Join(t.TempDir(), "big.tif")
	want := writeStack(t, path, shape)
	run := measureMIP(t, path, 2)
	t.Log(run)
	require.Equal(t, want, run.mip)
	require.Less(t, run.live, run.fileBytes/8, "the reduction must not hold the stack in memory")
	require.Less(t, run.live, int64(96*run.planeBytes), "a bounded number of planes stays live")
}

// TestMIPLarge is the same on a stack whose shape SEGSTACK_MIP_SHAPE gives
// as "Z,Y,X" (e.g. 256,2048,2048 for 2 GiB), written to SEGSTACK_MIP_DIR
// (default: a temporary directory). It is skipped when the variable is not
// set.
func TestMIPLarge(t *testing.T) {
	spec := os.Getenv("SEGSTACK_MIP_SHAPE")
	if spec == "" {
		t.Skip("set SEGSTACK_MIP_SHAPE=Z,Y,X to run")
	}
	shape, err := stack.ParseShape(spec)
	require.NoError(t, err)
	dir := os.Getenv("SEGSTACK_MIP_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "segstack-mip-large.tif")
	defer os.Remove(path)
	want := writeStack(t, path, shape)
	run := measureMIP(t, path, 0)
	t.Log(run)
	require.Equal(t, want, run.mip)
	require.Less(t, run.live, run.fileBytes/8)
}

// TestToTIFFStreams copies a TIFF stack through an element-wise operation
// into a new file and checks that the heap does not hold the stack: planes
// are computed in file order and written as they come.
func TestToTIFFStreams(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(1))
	shape := stack.Shape{Z: 320, Y: 256, X: 256}
	dir := t.TempDir()
	src := filepath.Join(dir, "in.tif")
	writeStack(t, src, shape)
	r, err := tiff.Open(src)
	require.NoError(t, err)
	defer r.Close()
	c, err := sched.NewLocalCluster(sched.Options{Workers: 2})
	require.NoError(t, err)
	defer c.Close()
	dst := filepath.Join(dir, "out.tif")
	inc := FromTIFF(r, nil).Add(1)
	runtime.GC()
	baseLive := liveHeap()
	stop := heapPeak()
	require.NoError(t, inc.ToTIFF(context.Background(), c, dst, tiff.WriterOptions{}))
	_, peakLive := stop()
	live := int64(peakLive) - int64(baseLive)
	t.Logf("copied %d planes of %s: peak live heap growth %s (%.1f planes)", shape.Z, FormatBytes(r.PlaneBytes()),
		FormatBytes(int(max(live, 0))), float64(live)/float64(r.PlaneBytes()))
	require.Less(t, live, int64(shape.Z*r.PlaneBytes()/5), "planes are written as they are computed")
	// Spot-check the copy.
	out, err := tiff.Open(dst)
	require.NoError(t, err)
	defer out.Close()
	a, b := make([]uint16, shape.Y*shape.X), make([]uint16, shape.Y*shape.X)
	for _, z := range []int{0, 17, shape.Z - 1} {
		require.NoError(t, tiff.ReadPlane(r, z, a))
		require.NoError(t, tiff.ReadPlane(out, z, b))
		for i := range a {
			require.Equal(t, a[i]+1, b[i])
		}
	}
}
