package engine

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/segstack/segstack/segment"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/synth"
	"github.com/segstack/segstack/stack/tiff"
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
	plane16 := int64(sh.Y * sh.X * 2)

	for _, c := range []struct {
		name       string
		dtype      segment.LabelDType
		numbering  segment.Numbering
		budget     int64
		kept, miss int64
	}{
		{"all kept", segment.LabelAuto, segment.NumberUnique, 0, 9, 0},
		{"none kept", segment.LabelAuto, segment.NumberUnique, -1, 0, 9},
		{"three kept", segment.LabelAuto, segment.NumberUnique, 3 * plane16, 3, 6},
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
			require.Equal(t, c.kept, wk.kept.Load(), "write tasks that found their labels kept")
			require.Equal(t, c.miss, wk.relabelled.Load(), "write tasks that labelled their plane again")
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
		m := map[string][]byte{}
		require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			rel, _ := filepath.Rel(root, p)
			m[rel] = b
			return err
		}))
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
