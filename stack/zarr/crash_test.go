package zarr

import (
	"context"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"

	"syscall"
	"testing"
	"time"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

const crashEnv = "SEGSTACK_ZARR_CRASH_CHILD"

var crashShape = stack.Shape{Z: 16, Y: 96, X: 96}

// crashPlane is plane z of the stack the crash tests write.
func crashPlane(z int) []uint16 {
	p := make([]uint16, crashShape.PlaneLen())
	for i := range p {
		p[i] = uint16(z*1000 + i%977)
	}
	return p
}

// writeCrashOutputs writes an array and an OME-NGFF image with labels
// under dir, the work the crash test kills.
func writeCrashOutputs(dir string) error {
	ctx := context.Background()
	w, err := Create(filepath.Join(dir, "a.zarr"), ArrayOptions{Shape: []int{crashShape.Z, crashShape.Y, crashShape.X},
		Chunks: []int{1, 32, 32}, DType: Uint16, Codec: BloscLZ4(5)})
	if err != nil {
		return err
	}
	pw, err := NewPlaneWriter(ctx, w, 2)
	if err != nil {
		return err
	}
	o := ImageOptions{ZarrFormat: 3, Shape: crashShape, DType: Uint16, Chunks: stack.Shape{Z: 1, Y: 32, X: 32}, Codec: Zstd(1)}
	img, err := CreateImage(ctx, filepath.Join(dir, "img.ome.zarr"), o)
	if err != nil {
		return err
	}
	o.DType = Uint16
	lab, err := CreateLabels(ctx, filepath.Join(dir, "img.ome.zarr"), "cells", o)
	if err != nil {
		return err
	}
	for z := 0; z < crashShape.Z; z++ {
		p := crashPlane(z)
		for _, err := range []error{WritePlaneOf(ctx, pw, z, p), WriteImagePlane(ctx, img, z, p), WriteImagePlane(ctx, lab, z, p)} {
			if err != nil {
				return err
			}
		}
	}
	if err := pw.Close(); err != nil {
		return err
	}
	if err := w.Commit(); err != nil {
		return err
	}
	if err := img.Close(); err != nil {
		return err
	}
	return lab.Close()
}

// TestCrashChild is the child process of TestKilledWritersLeaveNoPartialOutput.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("SKIP: runs only as the child of TestKilledWritersLeaveNoPartialOutput")
	}
	for i := 0; ; i++ { // write again and again until killed
		if err := writeCrashOutputs(dir); err != nil {
			t.Fatal(err)
		}
	}
}

// checkCrashOutputs checks that what a killed writer left is either absent
// (no metadata) or complete and right.
func checkCrashOutputs(t *testing.T, dir string) (complete int) {
	t.Helper()
	ctx := context.Background()
	want := make([]uint16, 0, crashShape.Len())
	for z := 0; z < crashShape.Z; z++ {
		want = append(want, crashPlane(z)...)
	}
	if a, err := Open(filepath.Join(dir, "a.zarr")); err == nil {
		p, err := a.Planes()
		require.NoError(t, err)
		got, err := ReadVolume[uint16](ctx, p)
		require.NoError(t, err, "a committed array reads whole")
		require.Equal(t, want, got.Data)
		complete++
	}
	for _, path := range []string{"img.ome.zarr", "img.ome.zarr/labels/cells"} {
		im, err := OpenImage(filepath.Join(dir, path))
		if err != nil {
			continue
		}
		a, err := im.Open(0)
		require.NoError(t, err, "%s: metadata names a level that is not there", path)
		p, err := a.Planes()
		require.NoError(t, err)
		got, err := ReadVolume[uint16](ctx, p)
		require.NoError(t, err)
		require.Equal(t, want, got.Data)
		for l := range im.Levels {
			_, err := im.Open(l)
			require.NoError(t, err)
		}
		complete++
	}
	return complete
}

func countTemporaries(t *testing.T, dir string) int {
	n := 0
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (isTemporary(d.Name()) || d.Name() == pendingFile) {
			n++
		}
		return nil
	}))
	return n
}

// TestKilledWritersLeaveNoPartialOutput kills a process writing an array
// and an OME-NGFF image at random moments with SIGKILL: readers must find
// either no array or a complete one, and the next write must replace
// everything and leave no temporary behind.
func TestKilledWritersLeaveNoPartialOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIP: starts child processes; not run with -short")
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	dir := t.TempDir()
	leftovers, completes := 0, 0
	for round := 0; round < 6; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		require.NoError(t, cmd.Start())
		time.Sleep(time.Duration(20+rng.IntN(1000)) * time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		completes += checkCrashOutputs(t, dir)
		leftovers += countTemporaries(t, dir)
	}
	t.Logf("after %d kills: %d complete outputs found, %d temporaries or pending marks left by killed writes", 6, completes, leftovers)
	// The next run replaces everything and leaves no temporaries.
	require.NoError(t, writeCrashOutputs(dir))
	require.Equal(t, 3, checkCrashOutputs(t, dir))
	require.Zero(t, countTemporaries(t, dir))
	n, err := RemoveTemporaries(dir)
	require.NoError(t, err)
	require.Zero(t, n)

}

// TestCreateOverKilledCreate: a writer killed after Create made the
// directory and while its pending mark was still a temporary file leaves a
// directory of temporaries only; the next Create must take it over, not
// refuse it as a foreign directory.
func TestCreateOverKilledCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a.zarr")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "."+pendingFile+tmpMarker+"123"), []byte("{"), 0o644))
	require.True(t, isTemporary("."+pendingFile+tmpMarker+"123"))
	w, err := Create(dir, ArrayOptions{Shape: []int{2, 2}, Chunks: []int{2, 2}, DType: Uint8})
	require.NoError(t, err)
	require.NoError(t, w.Commit())
	require.Zero(t, countTemporaries(t, dir))
	// A directory with a file that is not a temporary is still refused.
	other := filepath.Join(t.TempDir(), "b")
	require.NoError(t, os.MkdirAll(other, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(other, "notes.txt"), nil, 0o644))
	_, err = Create(other, ArrayOptions{Shape: []int{2, 2}, Chunks: []int{2, 2}, DType: Uint8})
	require.ErrorContains(t, err, "not a Zarr array")
}
