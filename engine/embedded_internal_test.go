package engine

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/segstack/segstack/internal/filetree"
	"github.com/segstack/segstack/segment"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/synth"
	"github.com/segstack/segstack/stack/tiff"
	"github.com/segstack/segstack/stack/zarr"
	"github.com/stretchr/testify/require"
)

// An embedded run's write tasks take the labels their plane tasks kept,
// as many as the worker's label cache holds, and label the others again;
// either way the output is a local run's, file for file.
func TestEmbeddedKeptLabels(t *testing.T) {
	dir := t.TempDir()
	sh := stack.Shape{Z: 9, Y: 80, X: 96}
	in := filepath.Join(dir, "in.tif")
	w, err := tiff.Create(in, tiff.WriterOptions{Shape: sh, DType: stack.Uint16})
	require.NoError(t, err)
	require.NoError(t, synth.NucleiDensePlanes(sh, 4, 0, func(_ int, plane []uint16) error { return tiff.WritePlaneOf(w, plane) }))
	require.NoError(t, w.Close())
	// The largest packed plane of the stack's labels, from a local run.
	var largest int64
	{
		opt := segment.DefaultOptions()
		opt.Sigma[0] = 0
		opt.Input, opt.Output, opt.Workers, opt.Device = in, filepath.Join(dir, "sizes.ome.zarr"), 2, "cpu"
		opt.Numbering = segment.NumberPerPlane
		_, err := segment.Run(context.Background(), opt)
		require.NoError(t, err)
		a, err := zarr.Open(filepath.Join(opt.Output, "labels", "in", "0"))
		require.NoError(t, err)
		plane := make([]uint16, sh.Y*sh.X)
		for z := range sh.Z {
			require.NoError(t, a.Read(context.Background(), []int{z, 0, 0}, []int{1, sh.Y, sh.X}, unsafe.Slice((*byte)(unsafe.Pointer(&plane[0])), 2*len(plane))))
			largest = max(largest, packLabels(plane, 0, nil).bytes())
		}
	}

	for _, c := range []struct {
		name       string
		dtype      segment.LabelDType
		numbering  segment.Numbering
		budget     int64
		kept, miss int64
	}{
		{"all kept", segment.LabelAuto, segment.NumberUnique, 0, 9, 0},
		{"none kept", segment.LabelAuto, segment.NumberUnique, -1, 0, 9},
		{"some kept", segment.LabelAuto, segment.NumberUnique, 2 * largest, -1, -1},
		{"uint32 per plane", segment.LabelUint32, segment.NumberPerPlane, 0, 9, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			sub := t.TempDir()
			opt := segment.DefaultOptions()
			opt.Sigma[0] = 0
			opt.Input, opt.Output, opt.Stats = in, filepath.Join(sub, "local.ome.zarr"), filepath.Join(sub, "local.csv")
			opt.LabelDType, opt.Numbering = c.dtype, c.numbering
			opt.Workers, opt.Device = 2, "cpu"
			_, err := segment.Run(context.Background(), opt)
			require.NoError(t, err)
			opt.Output, opt.Stats = filepath.Join(sub, "eng.ome.zarr"), filepath.Join(sub, "eng.csv")
			out, wk, err := runEmbedded(context.Background(), opt, WorkerOptions{Workers: 2, Device: "cpu", LabelCache: c.budget}, SubmitOptions{})
			require.NoError(t, err)
			require.Positive(t, out.Objects)
			if c.kept < 0 {
				// Any two planes fit the budget, not all nine.
				require.GreaterOrEqual(t, wk.kept.Load(), int64(2), "write tasks that found their labels kept")
				require.Positive(t, wk.relabelled.Load(), "write tasks that labelled their plane again")
				require.Equal(t, int64(sh.Z), wk.kept.Load()+wk.relabelled.Load())
			} else {
				require.Equal(t, c.kept, wk.kept.Load(), "write tasks that found their labels kept")
				require.Equal(t, c.miss, wk.relabelled.Load(), "write tasks that labelled their plane again")
			}
			require.Zero(t, wk.cached.Load(), "labels still kept after the job")
			sameFiles(t, filepath.Join(sub, "local.ome.zarr"), opt.Output)
			sameFiles(t, filepath.Join(sub, "local.csv"), opt.Stats)
		})
	}
}

// sameFiles checks that two files, or two trees of files, are equal
// byte for byte.
func sameFiles(t *testing.T, want, got string) {
	t.Helper()
	files := func(root string) map[string][]byte {
		m, err := filetree.Read(root)
		require.NoError(t, err)
		return m
	}
	wf, gf := files(want), files(got)
	require.NotEmpty(t, wf)
	require.Equal(t, len(wf), len(gf), "file count")
	for name, b := range wf {
		require.Contains(t, gf, name)
		require.True(t, bytes.Equal(b, gf[name]), "%s differs", name)
	}
}

// Packed label planes unpack to the labels they were packed from, with
// the offset added to every label and the background left 0, for planes
// of any length, empty, full and in between.
func TestPackedLabels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 3, 4, 5, 7, 8, 9, 64, 1001, 4099} {
		for _, fill := range []float64{0, 0.05, 0.5, 1} {
			l16 := make([]uint16, n)
			for i := 0; i < n; {
				run := 1 + rng.IntN([]int{12, 100}[rng.IntN(2)]) // short runs, and runs of many words
				var v uint16
				if rng.Float64() < fill {
					v = uint16(1 + rng.IntN(300))
				}
				for ; run > 0 && i < n; run-- {
					l16[i] = v
					i++
				}
			}
			l32 := make([]uint32, n)
			for i, v := range l16 {
				l32[i] = uint32(v)
			}
			for _, off := range []uint64{0, 1, 1000} {
				want16 := make([]uint16, n)
				want32 := make([]uint32, n)
				for i, v := range l16 {
					if v != 0 {
						want16[i] = v + uint16(off)
						want32[i] = uint32(v) + uint32(off)
					}
				}
				got16 := make([]uint16, n)
				for i := range got16 {
					got16[i] = 7 // stale data in a reused buffer
				}
				var scratch []uint32
				unpackLabels(got16, packLabels(l16, 300, &scratch), off)
				require.Equal(t, want16, got16, "uint16, %d pixels, fill %v, offset %d", n, fill, off)
				if n > 1 {
					// A plane that does not start on an 8-byte boundary.
					got := make([]uint16, n-1)
					unpackLabels(got, packLabels(l16[1:], 300, &scratch), off)
					require.Equal(t, want16[1:], got, "uint16 from the second pixel, %d pixels, fill %v, offset %d", n, fill, off)
				}
				got32 := make([]uint32, n)
				p := packLabels(l32, 300, nil)
				require.Equal(t, 300, p.n)
				require.Equal(t, n, p.pixels)
				unpackLabels(got32, p, off)
				require.Equal(t, want32, got32, "uint32, %d pixels, fill %v, offset %d", n, fill, off)
			}
		}
	}
}

// A shared writer serves every task of a run once per plane: a plane
// written again, a task of another run, and the task after a failure get
// other writers, and the planes all land in the image.
func TestSharedWriter(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "img.ome.zarr")
	o := zarr.ImageOptions{ZarrFormat: 2, Name: "img", Shape: stack.Shape{Z: 4, Y: 8, X: 8}, Chunks: stack.Shape{Z: 1, Y: 8, X: 8}, DType: zarr.Uint16}
	iw, err := zarr.JoinImage(ctx, dir, o, zarr.Join{Create: true})
	require.NoError(t, err)
	require.NoError(t, iw.Release())
	opened := 0
	open := func() (*zarr.ImageWriter, error) {
		opened++
		return zarr.JoinImage(ctx, dir, o, zarr.Join{})
	}
	plane := make([]byte, 2*8*8)
	var s sharedWriter
	write := func(run int64, z int, fail error) *zarr.ImageWriter {
		w, done, err := s.writer(ctx, run, 0, z, open)
		require.NoError(t, err)
		plane[0] = byte(z + 1)
		if fail == nil {
			require.NoError(t, w.WritePlaneNow(ctx, z, plane))
		}
		require.Equal(t, fail, done(fail))
		return w
	}
	a := write(1, 0, nil)
	require.Same(t, a, write(1, 1, nil), "planes of one run share a writer")
	require.NotSame(t, a, write(1, 1, nil), "a plane written again gets a writer of its own")
	require.Equal(t, 2, opened)
	b := write(2, 2, nil)
	require.NotSame(t, a, b, "another run gets another writer")
	boom := errors.New("boom")
	write(2, 3, boom)
	c := write(2, 3, nil)
	require.NotSame(t, b, c, "after a failure the run gets a new writer")
	s.close()
	require.Equal(t, 4, opened)
	iw, err = zarr.JoinImage(ctx, dir, o, zarr.Join{})
	require.NoError(t, err)
	require.NoError(t, iw.Close())
	a2, err := zarr.Open(filepath.Join(dir, "0"))
	require.NoError(t, err)
	got := make([]byte, 4*len(plane))
	require.NoError(t, a2.Read(ctx, []int{0, 0, 0}, []int{4, 8, 8}, got))
	for z := range 4 {
		require.Equal(t, byte(z+1), got[z*len(plane)], "plane %d", z)
	}
}
