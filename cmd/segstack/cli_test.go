package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/segment"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/synth"
	"github.com/segstack/segstack/stack/tiff"
	"github.com/stretchr/testify/require"
)

// bin is the segstack binary built for these tests.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "segstack-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "segstack")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build segstack: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run runs the binary in dir and returns its stdout, stderr and exit code.
func run(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return stdout.String(), stderr.String(), code
}

func abs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	require.NoError(t, err)
	return a
}

func readLabels(t *testing.T, path string) *stack.Volume[uint32] {
	t.Helper()
	r, err := tiff.Open(path)
	require.NoError(t, err)
	defer r.Close()
	switch r.DType() {
	case stack.Uint16:
		v, err := tiff.ReadVolume[uint16](context.Background(), r)
		require.NoError(t, err)
		return stack.Convert[uint32](v)
	case stack.Uint32:
		v, err := tiff.ReadVolume[uint32](context.Background(), r)
		require.NoError(t, err)
		return v
	}
	t.Fatalf("labels are %s", r.DType())
	return nil
}

func TestDemo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, errOut, code := run(t, dir, "demo", "--out", "d", "--shape", "4,128,96")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "plane  objects  threshold")
	for _, f := range []string{"input.tif", "labels.tif", "objects.csv", "preview.png", "report.json"} {
		fi, err := os.Stat(filepath.Join(dir, "d", f))
		require.NoError(t, err, f)
		require.Positive(t, fi.Size(), f)
	}
	var rep segment.Report
	b, err := os.ReadFile(filepath.Join(dir, "d", "report.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &rep))
	require.Len(t, rep.Counts, 4)
	// The table lists each plane's count from the report.
	for z, n := range rep.Counts {
		require.Regexp(t, fmt.Sprintf(`(?m)^\s+%d\s+%d\s+`, z, n), out)
	}
	// The labels are those of segmenting the written input.
	lab := readLabels(t, filepath.Join(dir, "d", "labels.tif"))
	_, errOut, code = run(t, dir, "segment", "d/input.tif", "-o", "again.tif", "--workers", "1")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, lab.Data, readLabels(t, filepath.Join(dir, "again.tif")).Data)
	// A second demo overwrites its own folder.
	_, errOut, code = run(t, dir, "demo", "--out", "d", "--shape", "2,64,64", "-q")
	require.Equal(t, 0, code, errOut)
}

func TestSegmentOutputs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := abs(t, "../../segment/testdata/blobs_u16.tif")
	out, errOut, code := run(t, dir, "segment", in, "-o", "l.tif", "--stats", "s.csv", "--preview", "p.png", "--report", "r.json", "--workers", "2")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "56 objects")
	require.Empty(t, errOut, "no progress bar when stderr is not a terminal")
	var rep map[string]any
	b, err := os.ReadFile(filepath.Join(dir, "r.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &rep))
	for _, k := range []string{"wall_seconds", "mb_per_second", "planes_per_second", "peak_rss_bytes", "backend", "workers", "stage_seconds", "counts"} {
		require.Contains(t, rep, k)
	}
	st := rep["stage_seconds"].(map[string]any)
	for _, k := range []string{"read", "gaussian", "threshold", "label", "write"} {
		require.Contains(t, st, k)
	}
	require.Greater(t, rep["peak_rss_bytes"].(float64), float64(1<<20))
	csv, err := os.ReadFile(filepath.Join(dir, "s.csv"))
	require.NoError(t, err)
	require.Equal(t, 57, strings.Count(string(csv), "\n"), "a header and one row per object")

	// Same run in 3-D with otsu and 26-connectivity, and flag variants.
	_, errOut, code = run(t, dir, "segment", in, "-o", "l3.tif", "--mode", "3d", "--sigma", "1.5,1,1", "--threshold", "otsu", "--connectivity", "26", "--chunks", "2,16,16", "--label-dtype", "uint32")
	require.Equal(t, 0, code, errOut)
	r, err := tiff.Open(filepath.Join(dir, "l3.tif"))
	require.NoError(t, err)
	require.Equal(t, stack.Uint32, r.DType())
	r.Close()
}

func TestUserErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := abs(t, "../../segment/testdata/blobs_u16.tif")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "exists.tif"), []byte("x"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "text.tif"), []byte("plain text, not an image"), 0o644))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing file", []string{"segment", "nope.tif", "-o", "o.tif"}, "input nope.tif does not exist"},
		{"not a TIFF", []string{"segment", "text.tif", "-o", "o.tif"}, "not a TIFF"},
		{"unsupported pixels", []string{"segment", abs(t, "../../stack/tiff/testdata/fixtures/unsupported_jpeg.tif"), "-o", "o.tif"}, "unsupported feature: compression jpeg"},
		{"needs a channel", []string{"segment", abs(t, "testdata/twochannel.tif"), "-o", "o.tif"}, "2 channels: choose one with --channel"},
		{"no such channel", []string{"segment", abs(t, "testdata/twochannel.tif"), "-o", "o.tif", "--channel", "2"}, "the stack has 2 channels"},
		{"output exists", []string{"segment", in, "-o", "exists.tif"}, "exists.tif: output exists (use --force to overwrite)"},
		{"no output", []string{"segment", in}, "no output given"},
		{"conn for mode", []string{"segment", in, "-o", "o.tif", "--connectivity", "26"}, "not a 2d connectivity"},
		{"conn for 3d", []string{"segment", in, "-o", "o.tif", "--mode", "3d", "--connectivity", "4"}, "not a 3d connectivity"},
		{"bad conn", []string{"segment", in, "-o", "o.tif", "--connectivity", "five"}, "connectivity"},
		{"bad mode", []string{"segment", in, "-o", "o.tif", "--mode", "4d"}, "unknown mode"},
		{"bad threshold", []string{"segment", in, "-o", "o.tif", "--threshold", "lots"}, "threshold"},
		{"bad sigma", []string{"segment", in, "-o", "o.tif", "--sigma", "-1"}, "sigma"},
		{"3 sigmas in 2d", []string{"segment", in, "-o", "o.tif", "--sigma", "1,1,1"}, "2d mode takes one value or Y,X"},
		{"2 sigmas in 3d", []string{"segment", in, "-o", "o.tif", "--sigma", "1,1", "--mode", "3d"}, "3d mode takes one value or Z,Y,X"},
		{"bad dtype", []string{"segment", in, "-o", "o.tif", "--label-dtype", "int8"}, "label dtype"},
		{"bad chunks", []string{"segment", in, "-o", "o.tif", "--chunks", "0,1,1"}, "chunks"},
		{"bad device", []string{"segment", in, "-o", "o.tif", "--device", "tpu"}, "device"},
		{"unknown flag", []string{"segment", in, "-o", "o.tif", "--bogus"}, "unknown flag"},
		{"gen shape", []string{"gen", "g.tif", "--shape", "1,x,2"}, "shape"},
		{"gaussian mode", []string{"gaussian", in, "-o", "o.tif", "--mode", "edge"}, "boundary mode"},
		{"label conn", []string{"label", in, "-o", "o.tif", "--connectivity", "5"}, "connectivity"},
		{"threshold fg", []string{"threshold", in, "-o", "o.tif", "--foreground", "256"}, "foreground"},
		{"negative fraction", []string{"segment", in, "-o", "o.tif", "--threshold", "-0.5max"}, "the fraction of the maximum must not be negative"},
		{"threshold negative fraction", []string{"threshold", in, "-o", "o.tif", "--threshold", "-0.5max"}, "the fraction of the maximum must not be negative"},
	}
	for _, tc := range tests {
		_, errOut, code := run(t, dir, tc.args...)
		require.Equal(t, 1, code, "%s: %s", tc.name, errOut)
		require.Contains(t, errOut, tc.want, tc.name)
		_, err := os.Stat(filepath.Join(dir, "o.tif"))
		require.True(t, os.IsNotExist(err), "%s left an output", tc.name)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "exists.tif"))
	require.Equal(t, "x", string(b), "an existing output is kept")
	_, errOut, code := run(t, dir, "segment", in, "-o", "exists.tif", "--force")
	require.Equal(t, 0, code, errOut)

	// The two-channel stack, channel 1, equals that channel on its own.
	_, errOut, code = run(t, dir, "segment", abs(t, "testdata/twochannel.tif"), "-o", "c1.tif", "--channel", "1")
	require.Equal(t, 0, code, errOut)
	lab := readLabels(t, filepath.Join(dir, "c1.tif"))
	require.Equal(t, 3, lab.Shape.Z)
	require.NotZero(t, lab.At(0, 28, 36), "channel 1's own blob is labelled")
	_, errOut, code = run(t, dir, "segment", abs(t, "testdata/twochannel.tif"), "-o", "c0.tif", "--channel", "0")
	require.Equal(t, 0, code, errOut)
	require.Zero(t, readLabels(t, filepath.Join(dir, "c0.tif")).At(0, 28, 36), "channel 0 has no blob there")
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range ents {
		require.False(t, strings.HasPrefix(e.Name(), "."), "temporary file %s left behind", e.Name())
	}
}

// Ctrl-C stops a run, removes its partial outputs and exits non-zero.
func TestInterrupt(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("writes a 48 MiB stack")
	}
	dir := t.TempDir()
	_, errOut, code := run(t, dir, "gen", "big.tif", "--shape", "96,512,512", "--seed", "2")
	require.Equal(t, 0, code, errOut)
	cmd := exec.Command(bin, "segment", "big.tif", "-o", "l.tif", "--stats", "s.csv", "--report", "r.json", "--workers", "1", "--chunks", "1,64,64", "--mode", "3d")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	// Signal once the run has created its outputs, unnamed until the end
	// on Linux (seen among the process's open files) or temporaries.
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ents, _ := os.ReadDir(dir); len(ents) > 1 || openOutputs(cmd.Process.Pid, dir) > 0 {
			break
		}
	}
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	err := cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	require.True(t, ok, "the run was stopped: %v %s", err, stderr.String())
	require.Equal(t, 130, ee.ExitCode(), stderr.String())
	require.Contains(t, stderr.String(), "interrupted; partial outputs removed")
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, ents, 1, "only the input is left")
}

// openOutputs counts the files in dir, other than big.tif, that process
// pid has open, as Linux's /proc shows them (0 elsewhere).
func openOutputs(pid int, dir string) int {
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	n := 0
	for _, fd := range fds {
		target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(target, dir+"/") && !strings.HasSuffix(target, "/big.tif") {
			n++
		}
	}
	return n
}

// gaussian, threshold and label chain into the same labels as segment, and
// each matches a direct computation.
func TestToolChain(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	vol := synth.Nuclei(stack.Shape{Z: 3, Y: 70, X: 60}, 4)
	in := filepath.Join(dir, "in.tif")
	require.NoError(t, tiff.WriteVolume(context.Background(), in, vol, tiff.WriterOptions{}))
	for _, args := range [][]string{
		{"gaussian", "in.tif", "-o", "s.tif", "--sigma", "1"},
		{"gaussian", "in.tif", "-o", "s3.tif", "--sigma", "1,1.5,2", "--mode", "nearest"},
		{"threshold", "s.tif", "-o", "m.tif"},
		{"threshold", "s.tif", "-o", "m1.tif", "--threshold", "otsu", "--foreground", "1"},
		{"label", "m.tif", "-o", "l.tif", "--connectivity", "8"},
		{"label", "m.tif", "-o", "l26.tif", "--connectivity", "26"},
		{"segment", "in.tif", "-o", "seg.tif", "--connectivity", "8"},
		{"segment", "in.tif", "-o", "seg26.tif", "--mode", "3d", "--sigma", "0,1,1", "--connectivity", "26", "--threshold", "0.33max"},
	} {
		_, errOut, code := run(t, dir, args...)
		require.Equal(t, 0, code, "%v: %s", args, errOut)
	}
	ctx := context.Background()
	f := stack.Convert[float32](vol)

	want2 := stack.New[float32](vol.Shape)
	for z := range vol.Shape.Z {
		_, err := kernels.Gaussian(ctx, want2.PlaneVolume(z), f.PlaneVolume(z), kernels.GaussianOptions{Sigma: [3]float64{0, 1, 1}})
		require.NoError(t, err)
	}
	s2, err := tiff.ReadFile[float32](ctx, filepath.Join(dir, "s.tif"))
	require.NoError(t, err)
	require.Equal(t, want2.Data, s2.Data)
	want3 := stack.New[float32](vol.Shape)
	_, err = kernels.Gaussian(ctx, want3, f, kernels.GaussianOptions{Sigma: [3]float64{1, 1.5, 2}, Mode: stack.Nearest})
	require.NoError(t, err)
	s3, err := tiff.ReadFile[float32](ctx, filepath.Join(dir, "s3.tif"))
	require.NoError(t, err)
	require.Equal(t, want3.Data, s3.Data)

	// Masks: brute force against each plane's own maximum or Otsu value.
	m, err := tiff.ReadFile[uint8](ctx, filepath.Join(dir, "m.tif"))
	require.NoError(t, err)
	m1, err := tiff.ReadFile[uint8](ctx, filepath.Join(dir, "m1.tif"))
	require.NoError(t, err)
	for z := range vol.Shape.Z {
		p := s2.Plane(z)
		mx := p[0]
		for _, v := range p {
			mx = max(mx, v)
		}
		t033 := float32(0.33 * float64(mx))
		tot := kernels.Otsu(p)
		for i, v := range p {
			want := uint8(0)
			if v > t033 {
				want = 255
			}
			require.Equal(t, want, m.Plane(z)[i])
			want = 0
			if v > tot {
				want = 1
			}
			require.Equal(t, want, m1.Plane(z)[i])
		}
	}

	// Labels of the mask are the labels segment makes, and a flood fill's.
	l := readLabels(t, filepath.Join(dir, "l.tif"))
	require.Equal(t, readLabels(t, filepath.Join(dir, "seg.tif")).Data, l.Data)
	// Each plane's labels follow the planes' before it.
	offset := uint32(0)
	for z := range vol.Shape.Z {
		want := floodFill(m.Slab(z, z+1), 8)
		n := uint32(0)
		for i, v := range want {
			if v != 0 {
				n = max(n, v)
				want[i] = v + offset
			}
		}
		require.Equal(t, want, l.Plane(z))
		offset += n
	}
	l26 := readLabels(t, filepath.Join(dir, "l26.tif"))
	require.Equal(t, floodFill(m, 26), l26.Data)
	// In 3-D the threshold is a fraction of the volume's maximum.
	vmax := s2.Data[0]
	for _, v := range s2.Data {
		vmax = max(vmax, v)
	}
	t3 := float32(0.33 * float64(vmax))
	fg := stack.New[uint8](vol.Shape)
	for i, v := range s2.Data {
		if v > t3 {
			fg.Data[i] = 1
		}
	}
	require.Equal(t, floodFill(fg, 26), readLabels(t, filepath.Join(dir, "seg26.tif")).Data)
}

// floodFill labels the non-zero voxels of v by breadth-first search from
// each unlabelled voxel in raster order, which numbers objects as scipy
// does. conn is 4, 8 (per plane: v must be one plane), 6, 18 or 26.
func floodFill(v *stack.Volume[uint8], conn int) []uint32 {
	s := v.Shape
	out := make([]uint32, s.Len())
	var offs [][3]int
	for dz := -1; dz <= 1; dz++ {
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				n := abs3(dz) + abs3(dy) + abs3(dx)
				if n == 0 || (conn <= 8 && dz != 0) {
					continue
				}
				if (conn == 4 || conn == 6) && n > 1 || conn == 18 && n > 2 {
					continue
				}
				offs = append(offs, [3]int{dz, dy, dx})
			}
		}
	}
	var next uint32
	var queue [][3]int
	for i := range v.Data {
		if v.Data[i] == 0 || out[i] != 0 {
			continue
		}
		next++
		out[i] = next
		queue = append(queue[:0], [3]int{i / (s.Y * s.X), i / s.X % s.Y, i % s.X})
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			for _, o := range offs {
				z, y, x := p[0]+o[0], p[1]+o[1], p[2]+o[2]
				if z < 0 || y < 0 || x < 0 || z >= s.Z || y >= s.Y || x >= s.X {
					continue
				}
				j := v.Index(z, y, x)
				if v.Data[j] != 0 && out[j] == 0 {
					out[j] = next
					queue = append(queue, [3]int{z, y, x})
				}
			}
		}
	}
	return out
}

func abs3(a int) int {
	if a < 0 {
		return -a
	}
	return a
}

// A full disk stops the run with a message that says so, and the partial
// labels file is removed. The disk is a 256 KiB tmpfs, which needs root;
// the test skips where mounting is not allowed.
func TestDiskFull(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	full := filepath.Join(dir, "full")
	require.NoError(t, os.Mkdir(full, 0o755))
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", full).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs: %v %s", err, out)
	}
	defer exec.Command("umount", full).Run()
	_, errOut, code := run(t, dir, "gen", "in.tif", "--shape", "8,256,256")
	require.Equal(t, 0, code, errOut)
	_, errOut, code = run(t, dir, "segment", "in.tif", "-o", "full/labels.tif", "--stats", "full/objects.csv")
	require.Equal(t, 1, code, errOut)
	require.Contains(t, errOut, "disk full; the partial outputs were removed")
	ents, err := os.ReadDir(full)
	require.NoError(t, err)
	require.Empty(t, ents, "nothing left on the full disk")
}
