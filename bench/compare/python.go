package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The python group measures the Python package (python/, over the C ABI in
// capi/) in process against its anchors: the cost of one call, the numpy
// API against scipy.ndimage, scikit-image and OpenCV, and the tutorial's
// segmentation through segstack.dask against dask + dask_image on one
// LocalCluster. bench/python/bench_api.py does the measuring and checking;
// the harness builds libsegstack.so, runs the script and folds its JSON
// into the report.

// pythonOverheadTarget is the goal for one call of the numpy API on a tiny
// array, in microseconds.
const pythonOverheadTarget = 20

// PythonGroupConfig is the python group's part of Config.
type PythonGroupConfig struct {
	// On runs the group.
	On bool
	// Python is the interpreter, with numpy, scipy, scikit-image, OpenCV,
	// dask, distributed and dask-image.
	Python string
	// Size is the side of the numpy part's square float32 plane; Stack and
	// Chunks are the tutorial part's dask array (Z,Y,X each); no Stack, no
	// tutorial part.
	Size          int
	Stack, Chunks string
}

// PythonResults is what the python group measured.
type PythonResults struct {
	Versions map[string]string `json:"versions,omitempty"`
	Segstack map[string]any    `json:"segstack,omitempty"`
	Size     int               `json:"size"`
	Stack    string            `json:"tutorial_stack"`
	Chunks   string            `json:"tutorial_chunks"`
	Threads  int               `json:"tutorial_threads"`
	Overhead []PythonRow       `json:"overhead,omitempty"`
	NumPy    []PythonRow       `json:"numpy,omitempty"`
	Tutorial []PythonRow       `json:"tutorial,omitempty"`
	Commands []string          `json:"commands"`
}

// PythonRow is one case through one implementation.
type PythonRow struct {
	Case  string `json:"case"`
	Impl  string `json:"impl"`
	Check string `json:"check"`
	OK    bool   `json:"ok"`
	// Seconds per call, one per round (rounds interleaved with segstack's).
	Seconds []float64 `json:"seconds,omitempty"`
	Median  float64   `json:"median_s,omitempty"`
	// Ratio is the paired median of this time / segstack's of the same
	// case and round (how many times faster segstack was).
	Ratio float64 `json:"ratio_vs_segstack,omitempty"`
}

// pythonReply is the JSON bench_api.py writes.
type pythonReply struct {
	Versions map[string]string `json:"versions"`
	Segstack map[string]any    `json:"segstack"`
	Overhead []PythonRow       `json:"overhead"`
	NumPy    []PythonRow       `json:"numpy"`
	Tutorial []PythonRow       `json:"tutorial"`
	Threads  int               `json:"tutorial_threads"`
}

// pythonPhase builds libsegstack.so and runs bench/python/bench_api.py
// twice: the overhead and numpy parts on one core (GOMAXPROCS=1, OpenCV
// and BLAS at one thread), then the tutorial on cfg.Workers threads.
func (h *harness) pythonPhase(ctx context.Context) error {
	g := h.cfg.PythonGroup
	bin := filepath.Join(h.work, "bin")
	if h.cfg.BinDir != "" {
		bin = h.cfg.BinDir
	}
	lib := filepath.Join(bin, "libsegstack.so")
	if _, err := os.Stat(lib); err != nil || h.cfg.BinDir == "" {
		c := command{Args: []string{"go", "build", "-buildmode=c-shared", "-o", lib, "./capi"}, Dir: h.cfg.Root, Env: []string{"CGO_ENABLED=1"}}
		h.logf("python: %s", c)
		if _, err := c.run(ctx); err != nil {
			return fmt.Errorf("building libsegstack.so: %w", err)
		}
	}
	script := filepath.Join(h.cfg.Bench, "python", "bench_api.py")
	env := []string{"SEGSTACK_LIBRARY=" + lib, "PYTHONPATH=" + filepath.Join(h.cfg.Root, "python")}
	res := &PythonResults{Size: g.Size, Stack: g.Stack, Chunks: g.Chunks}
	h.res.Python = res
	reps := strconv.Itoa(h.cfg.Repeat)
	parts := []struct {
		name string
		args []string
		env  []string
	}{
		{"overhead,numpy", []string{"--size", strconv.Itoa(g.Size)}, []string{"GOMAXPROCS=1", "OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1"}},
		{"tutorial", []string{"--stack", g.Stack, "--chunks", g.Chunks, "--threads", strconv.Itoa(h.cfg.Workers)}, nil},
	}
	if g.Stack == "" {
		parts = parts[:1]
	}
	for i, part := range parts {
		out := filepath.Join(h.work, fmt.Sprintf("python-%d.json", i))
		c := command{Args: append([]string{g.Python, script, "--parts", part.name, "--reps", reps, "--json", out}, part.args...),
			Env: append(slices.Clone(part.env), env...)}
		shown := strings.ReplaceAll(c.String(), h.work, "$WORK")
		shown = strings.ReplaceAll(shown, h.cfg.Root+"/", "")
		res.Commands = append(res.Commands, shown)
		h.logf("python: %s", part.name)
		if _, err := c.run(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			h.note("python group, %s: %v", part.name, err)
			continue
		}
		var rep pythonReply
		b, err := os.ReadFile(out)
		if err == nil {
			err = json.Unmarshal(b, &rep)
		}
		os.Remove(out)
		if err != nil {
			h.note("python group, %s: reading its JSON: %v", part.name, err)
			continue
		}
		res.Versions, res.Segstack = rep.Versions, rep.Segstack
		res.Overhead = append(res.Overhead, pairRows(rep.Overhead)...)
		res.NumPy = append(res.NumPy, pairRows(rep.NumPy)...)
		if len(rep.Tutorial) > 0 {
			res.Tutorial, res.Threads = pairRows(rep.Tutorial), rep.Threads
		}
	}
	return nil
}

// pairRows fills in the medians and, for each anchor, the paired ratio to
// the segstack row of its case (the row whose Impl starts with
// "segstack").
func pairRows(rows []PythonRow) []PythonRow {
	ref := map[string][]float64{}
	for _, r := range rows {
		if strings.HasPrefix(r.Impl, "segstack") && r.OK {
			ref[r.Case] = r.Seconds
		}
	}
	for i := range rows {
		r := &rows[i]
		if !r.OK || len(r.Seconds) == 0 {
			continue
		}
		r.Median = median(r.Seconds)
		if s, ok := ref[r.Case]; ok && !strings.HasPrefix(r.Impl, "segstack") {
			r.Ratio = pairRatio(r.Seconds, s)
		}
	}
	return rows
}

// pythonTarget evaluates the call-overhead goal: every tiny call under
// pythonOverheadTarget µs (the slowest median counts).
func (h *harness) pythonTarget() {
	if h.res.Python == nil {
		return
	}
	t := Target{Name: "Python call overhead (numpy API, 4×4 arrays, one core)",
		Want: fmt.Sprintf("< %d µs per call (the slowest of maximum, label, gaussian_filter)", pythonOverheadTarget), Status: "not measured"}
	worst := 0.0
	for _, r := range h.res.Python.Overhead {
		if r.Impl == "segstack" && r.Median > 0 {
			worst = max(worst, r.Median*1e6)
		}
	}
	if worst > 0 {
		t.Got = worst
		t.Status = map[bool]string{true: "met", false: "not met"}[worst < pythonOverheadTarget]
	}
	h.res.Targets = append(h.res.Targets, t)
}

// pythonMarkdown renders the python group for the report.
func pythonMarkdown(res *Results, p func(string, ...any)) {
	py := res.Python
	if py == nil {
		return
	}
	p("## The Python package, in process\n\n")
	var vs []string
	for _, k := range []string{"python", "numpy", "scipy", "scikit-image", "opencv-python-headless", "opencv-python", "dask", "distributed", "dask-image"} {
		if v, ok := py.Versions[k]; ok {
			vs = append(vs, k+" "+v)
		}
	}
	if len(vs) > 0 {
		p("%s; segstack %v (SIMD %v).\n\n", strings.Join(vs, ", "), py.Segstack["version"], py.Segstack["simd"])
	}
	p("`bench/python/bench_api.py`: every output is checked against its anchor's before it is timed; rounds are " +
		"interleaved (segstack and its anchors in turn, the order rotated each round); ratio = paired median of " +
		"(anchor time ÷ segstack time). Commands:\n\n")
	for _, c := range py.Commands {
		p("    %s\n", c)
	}
	p("\n")
	table := func(rows []PythonRow, unit string) {
		p("| case | implementation | check | median %s | anchor ÷ segstack |\n|---|---|---|---|---|\n", unit)
		for _, r := range rows {
			t := "not timed"
			if r.Median > 0 {
				t = fmtDur(r.Median)
			}
			p("| %s | %s | %s | %s | %s |\n", r.Case, r.Impl, r.Check, t, fmtRatio(r.Ratio))
		}
		p("\n")
	}
	if len(py.Overhead) > 0 {
		p("### Call overhead: one call on a 4×4 array, one core\n\n")
		p("The mean of 2,000 calls per round: a ctypes call with the array's pointer, dtype and shape (no copy), the GIL released.\n\n")
		table(py.Overhead, "per call")
	}
	if len(py.NumPy) > 0 {
		p("### numpy API: one %d×%d float32 plane, one core (GOMAXPROCS=1, cv2.setNumThreads(1))\n\n", py.Size, py.Size)
		table(py.NumPy, "per call")
	}
	if len(py.Tutorial) > 0 {
		p("### The tutorial's segmentation: segstack.dask vs dask + dask_image\n\n")
		p("A (%s) float32 dask array in chunks (%s), persisted on one LocalCluster (processes=False, 1 worker, %d threads); "+
			"per plane gaussian_filter(sigma=[0, 1, 1]), a threshold at 0.33 of the plane's maximum and label, the same code "+
			"with only the import line changed.\n\n", py.Stack, py.Chunks, py.Threads)
		table(py.Tutorial, "per run")
	}
}
