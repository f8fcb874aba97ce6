package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/stack"
)

// binDir holds the binaries the tests share, built by the first Run.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "segstack-bench-bin-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runQuick runs the harness on a tiny stack into a temporary directory and
// returns the decoded JSON and the Markdown.
func runQuick(t *testing.T, cfg Config) (*Results, string, []string) {
	t.Helper()
	out := t.TempDir()
	cfg.Quick = true
	cfg.KernelSizes = []stack.Shape{{Z: 3, Y: 48, X: 40}}
	cfg.PipelineSizes = []stack.Shape{{Z: 3, Y: 48, X: 40}}
	if cfg.Repeat == 0 {
		cfg.Repeat = 2
	}
	cfg.MinTime = 0.001
	cfg.Seed = 7
	cfg.Out = out
	cfg.Name = "test"
	cfg.Workers = 2
	cfg.Python = "/usr/bin/python3"
	cfg.BinDir = binDir
	res, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	require.Len(t, res.Files, 4, "JSON, Markdown and two plots: %v", res.Files)

	b, err := os.ReadFile(res.Files[0])
	require.NoError(t, err)
	var back Results
	require.NoError(t, json.Unmarshal(b, &back))
	md, err := os.ReadFile(res.Files[1])
	require.NoError(t, err)
	for _, png := range res.Files[2:] {
		b, err := os.ReadFile(png)
		require.NoError(t, err)
		require.True(t, len(b) > 1000 && string(b[1:4]) == "PNG", "%s is not a PNG", png)
	}
	require.True(t, strings.HasPrefix(filepath.Base(res.Files[0]), back.Date[:10]+"-test"))
	return &back, string(md), res.Files
}

// TestQuickWithoutAnchors is CI's smoke test: segstack alone, every kernel
// and the pipeline timed, the files written.
func TestQuickWithoutAnchors(t *testing.T) {
	res, md, _ := runQuick(t, Config{Anchors: false})

	require.NotEmpty(t, res.Machine.Backend)
	require.Contains(t, strings.Join(res.Notes, "\n"), "anchors skipped")
	byKernel := map[string]KernelRow{}
	for _, r := range res.Kernels {
		require.Contains(t, []string{"segstack", "segstack-1t"}, r.Impl)
		if r.Impl == "segstack" {
			byKernel[r.Kernel] = r
		}
	}
	for _, k := range kernelNames {
		r, ok := byKernel[k]
		require.True(t, ok, "no segstack row for %s", k)
		require.Equal(t, checkReference, r.Check, k)
		require.True(t, r.Timed, k)
		require.Len(t, r.Seconds, 2, k)
		require.Greater(t, r.Median, 0.0, k)
		require.Greater(t, r.MvoxPerS, 0.0, k)
	}
	for _, r := range res.Kernels {
		if r.Impl == "segstack-1t" {
			// The same code on one thread must give segstack's outputs.
			require.True(t, r.Check == checkOK || strings.HasPrefix(r.Check, checkOK+" (max rel err 0"), "%s: %s", r.Kernel, r.Check)
			require.Greater(t, r.Ratio, 0.0)
		}
	}
	require.NotEmpty(t, res.KernelProcesses)
	require.Greater(t, res.KernelProcesses[0].PeakRSS, 1.0)

	require.Len(t, res.Pipeline, 1)
	p := res.Pipeline[0]
	require.Equal(t, "segstack", p.Impl)
	require.Equal(t, checkReference, p.Check)
	require.Greater(t, p.MedianWall, 0.0)
	require.Greater(t, p.PeakRSS, 1.0)
	require.NotEmpty(t, p.Stages)

	require.Contains(t, md, "## Kernels")
	require.Contains(t, md, "## Pipeline, end to end")
	require.Contains(t, md, "| gauss2d-s1 |")
	require.Contains(t, md, "anchors skipped")
}

// TestQuickWithAnchors runs two anchors (scipy, and OpenCV for its different
// label numbering) when Debian's Python is present, and checks that their
// outputs passed the check against segstack's and were timed.
func TestQuickWithAnchors(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import scipy, cv2, tifffile").Run(); err != nil {
		t.Skip("no Debian python3 with scipy, OpenCV and tifffile")
	}
	res, md, _ := runQuick(t, Config{Anchors: true, Repeat: 1, Only: []string{"scipy", "opencv-1t", "opencv"}})
	seen := map[string]bool{}
	for _, r := range res.Kernels {
		if r.Impl == "scipy" || r.Impl == "opencv-1t" {
			seen[r.Impl+"/"+r.Kernel] = true
			require.True(t, r.Timed, "%s %s: %s", r.Impl, r.Kernel, r.Check)
			require.True(t, strings.HasPrefix(r.Check, checkOK), "%s %s: %s", r.Impl, r.Kernel, r.Check)
			require.Greater(t, r.Ratio, 0.0)
		}
	}
	for _, k := range []string{"scipy/gauss2d-s1", "scipy/gauss3d-s3", "scipy/max", "scipy/label2d-c8", "scipy/label3d-c26",
		"opencv-1t/gauss2d-s3", "opencv-1t/label2d-c4", "opencv-1t/label2d-c8"} {
		require.True(t, seen[k], "no row for %s", k)
	}
	require.False(t, seen["opencv-1t/gauss3d-s1"], "OpenCV has no 3-D Gaussian: no row")
	var impls []string
	for _, r := range res.Pipeline {
		impls = append(impls, r.Impl)
		require.True(t, r.Timed, "%s: %s", r.Impl, r.Check)
	}
	require.ElementsMatch(t, []string{"segstack", "scipy", "opencv"}, impls)
	require.Contains(t, md, "scipy")
	require.NotEmpty(t, res.Machine.Python["scipy"])
}

func TestRoundsRotate(t *testing.T) {
	xs := []string{"a", "b", "c"}
	require.Equal(t, []string{"a", "b", "c"}, rounds(xs, 0))
	require.Equal(t, []string{"b", "c", "a"}, rounds(xs, 1))
	require.Equal(t, []string{"a", "b", "c"}, rounds(xs, 3))
	require.Equal(t, []string{"a", "b", "c"}, xs)
}

func TestParseSizes(t *testing.T) {
	s, err := parseSizes("10x100x100, 16X512x512")
	require.NoError(t, err)
	require.Equal(t, []stack.Shape{{Z: 10, Y: 100, X: 100}, {Z: 16, Y: 512, X: 512}}, s)
	_, err = parseSizes("10x0x5")
	require.Error(t, err)
	_, err = parseSizes("")
	require.Error(t, err)
}

// TestPeakRSSIsTheChilds checks that a process started through peakrss does
// not report the harness's own peak: the harness touches 256 MiB first,
// which a directly started child's ru_maxrss would carry.
func TestPeakRSSIsTheChilds(t *testing.T) {
	dir := t.TempDir()
	spawn := filepath.Join(dir, "peakrss")
	_, bench, err := moduleDirs()
	require.NoError(t, err)
	_, err = (command{Args: []string{"go", "build", "-o", spawn, "./cmd/peakrss"}, Dir: bench}).run(context.Background())
	require.NoError(t, err)
	big := make([]byte, 256<<20)
	for i := 0; i < len(big); i += 4096 {
		big[i] = 1
	}
	direct, err := (command{Args: []string{"/bin/true"}}).run(context.Background())
	require.NoError(t, err)
	via, err := (command{Args: []string{"/bin/true"}, Spawn: spawn}).run(context.Background())
	require.NoError(t, err)
	require.Equal(t, byte(1), big[4096])
	require.Greater(t, direct.PeakRSS, 200.0, "the kernel behaviour this works around")
	require.Less(t, via.PeakRSS, 20.0)
	require.Greater(t, via.Wall, time.Duration(0))
}
