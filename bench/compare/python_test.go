package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPairRowsPairsEachAnchorWithSegstacksRound(t *testing.T) {
	rows := pairRows([]PythonRow{
		{Case: "label", Impl: "segstack", OK: true, Seconds: []float64{1, 2, 4}},
		{Case: "label", Impl: "scipy", OK: true, Seconds: []float64{3, 2, 40}},
		{Case: "label", Impl: "OpenCV", OK: false, Check: "MISMATCH"},
		{Case: "tutorial", Impl: "dask + dask_image", OK: true, Seconds: []float64{10, 30}},
		{Case: "tutorial", Impl: "segstack.dask", OK: true, Seconds: []float64{1, 2}},
	})
	require.Equal(t, 2.0, rows[0].Median)
	require.Zero(t, rows[0].Ratio, "segstack has no ratio to itself")
	// rounds 3/1, 2/2, 40/4: median 3, not median(3,2,40)/median(1,2,4) = 1.5
	require.Equal(t, 3.0, rows[1].Ratio)
	require.Equal(t, 3.0, rows[1].Median)
	require.Zero(t, rows[2].Median, "a mismatched anchor is not timed")
	require.Zero(t, rows[2].Ratio)
	require.Equal(t, 12.5, rows[3].Ratio, "segstack.dask is the tutorial's reference: (10/1 + 30/2) / 2")
}

func TestPythonTargetJudgesTheSlowestCall(t *testing.T) {
	h := &harness{res: &Results{Python: &PythonResults{Overhead: pairRows([]PythonRow{
		{Case: "maximum 4x4", Impl: "segstack", OK: true, Seconds: []float64{5e-6, 6e-6, 7e-6}},
		{Case: "maximum 4x4", Impl: "scipy", OK: true, Seconds: []float64{1e-6, 1e-6, 1e-6}},
		{Case: "gaussian_filter 4x4", Impl: "segstack", OK: true, Seconds: []float64{9e-6, 25e-6, 12e-6}},
	})}}}
	h.pythonTarget()
	require.Len(t, h.res.Targets, 1)
	require.InDelta(t, 12.0, h.res.Targets[0].Got, 1e-9)
	require.Equal(t, "met", h.res.Targets[0].Status)

	h.res.Python.Overhead[2].Median = 21e-6
	h.res.Targets = nil
	h.pythonTarget()
	require.Equal(t, "not met", h.res.Targets[0].Status)

	h = &harness{res: &Results{}}
	h.pythonTarget()
	require.Empty(t, h.res.Targets, "no python group, no target")
}

// TestPythonGroupEndToEnd builds libsegstack.so and runs the group's
// overhead and numpy parts on a small plane with /opt/venv's Python (made
// by .ci/install-deps.sh): every segstack output must pass its check
// against scipy and scikit-image, and the report must carry the figures.
func TestPythonGroupEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIP: builds libsegstack.so and runs Python (not with -short)")
	}
	py := "/opt/venv/bin/python"
	if err := exec.Command(py, "-c", "import numpy, scipy, skimage").Run(); err != nil {
		t.Skipf("SKIP: %s with numpy, scipy and scikit-image is needed (run .ci/install-deps.sh): %v", py, err)
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("SKIP: no gcc to build libsegstack.so with cgo")
	}
	out := t.TempDir()
	res, err := Run(context.Background(), Config{
		Repeat: 2, Out: out, Name: "pytest", Workers: 2, BinDir: binDir,
		PythonGroup: PythonGroupConfig{On: true, Python: py, Size: 96},
	})
	require.NoError(t, err)
	require.Empty(t, res.Notes)
	b, err := os.ReadFile(res.Files[0])
	require.NoError(t, err)
	var back Results
	require.NoError(t, json.Unmarshal(b, &back))
	require.NotNil(t, back.Python)
	require.Empty(t, back.Python.Tutorial, "no stack, no tutorial part")
	require.Len(t, back.Python.Overhead, 6)
	cases := map[string]bool{}
	for _, r := range append(back.Python.Overhead, back.Python.NumPy...) {
		if strings.HasPrefix(r.Check, "not run") { // OpenCV, where it is not installed
			continue
		}
		require.True(t, r.OK, "%s / %s: %s", r.Case, r.Impl, r.Check)
		require.Len(t, r.Seconds, 2, "%s / %s", r.Case, r.Impl)
		require.Greater(t, r.Median, 0.0)
		if r.Impl != "segstack" {
			require.Greater(t, r.Ratio, 0.0, "%s / %s", r.Case, r.Impl)
		}
		cases[r.Case] = true
	}
	require.Len(t, cases, 8, "three tiny calls and five numpy functions: %v", cases)
	require.Len(t, back.Targets, 1)
	require.Contains(t, []string{"met", "not met"}, back.Targets[0].Status)
	md, err := os.ReadFile(res.Files[1])
	require.NoError(t, err)
	require.Contains(t, string(md), "## The Python package, in process")
	require.Contains(t, string(md), "| label (4-connected) | scipy | labels and count equal")
	require.Contains(t, string(md), "Python call overhead")
}
