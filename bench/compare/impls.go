package main

import (
	"path/filepath"
	"strconv"
	"strings"
)

// kernelNames lists every kernel the harness compares, in report order:
// Gaussian sigma 1 and 3 per plane (2-D) and over the volume (3-D), the
// maximum, Otsu's threshold, and labelling per plane (4/8) and in 3-D
// (6/18/26); then the distance transform per plane (edt2d) and over the
// volume (edt3d), and binary erosion / dilation per plane (c4/c8) and in
// 3-D (c6/c26), one iteration, border value 0.
var kernelNames = []string{
	"gauss2d-s1", "gauss2d-s3", "gauss3d-s1", "gauss3d-s3", "max", "otsu",
	"label2d-c4", "label2d-c8", "label3d-c6", "label3d-c18", "label3d-c26",
	"edt2d", "edt3d",
	"erode2d-c4", "erode2d-c8", "dilate2d-c4", "dilate2d-c8", "erode3d-c6", "dilate3d-c26",
}

// family is a kernel name without its parameter ("gauss2d-s1" → "gauss2d").
func family(kernel string) string {
	f, _, _ := strings.Cut(kernel, "-")
	return f
}

// impl is one way of running the kernels or the pipeline. segstack is the
// reference the others are checked against; a new column (a CuPy anchor on
// a GPU machine, a segstack build with -tags cuda) is one more entry here:
// a Python anchor names its implementation in kernel_bench.py /
// pipeline_bench.py, a Go one builds its own kernelrun / segstack binary.
type impl struct {
	Name string
	// Python is the implementation name the anchor scripts take; empty for
	// segstack's own binaries.
	Python string
	// Env is extra environment for the subprocess.
	Env []string
	// Pipeline says whether the end-to-end pipeline runs this way too.
	Pipeline bool
	// Kernels says whether the kernel comparison runs this way.
	Kernels bool
	// Threads describes the cores used, for the report.
	Threads string
}

// allImpls builds the implementation table for a machine with ncpu cores.
func allImpls(ncpu int) []impl {
	n := strconv.Itoa(ncpu)
	return []impl{
		{Name: "segstack", Pipeline: true, Kernels: true, Threads: n + " (all cores)"},
		{Name: "segstack-1t", Env: []string{"GOMAXPROCS=1"}, Kernels: true, Threads: "1 (GOMAXPROCS=1)"},
		{Name: "scipy", Python: "scipy", Pipeline: true, Kernels: true, Threads: "1"},
		{Name: "skimage", Python: "skimage", Pipeline: true, Kernels: true, Threads: "1"},
		{Name: "opencv-1t", Python: "opencv-1t", Kernels: true, Threads: "1 (cv2.setNumThreads(1))"},
		{Name: "opencv-all", Python: "opencv-all", Kernels: true, Threads: n + " (cv2.setNumThreads(" + n + "))"},
		{Name: "opencv", Python: "opencv", Pipeline: true, Threads: n + " (cv2.setNumThreads(" + n + "))"},
		{Name: "dask-delayed", Python: "dask-delayed", Pipeline: true, Kernels: true, Threads: n + " (threaded scheduler)"},
		{Name: "dask-cluster", Python: "dask-cluster", Pipeline: true, Kernels: true, Threads: n + " (LocalCluster " + n + " workers × 1 thread)"},
	}
}

// kernelCommand is the subprocess that runs impl's kernels on the inputs in
// dir; with outdir set it writes each output there once.
func (h *harness) kernelCommand(im impl, inputs, outdir string, kernels []string) command {
	var c command
	if im.Python == "" {
		c.Args = []string{h.kernelrun}
		c.Env = im.Env
	} else {
		c.Args = []string{h.cfg.Python, filepath.Join(h.anchors, "kernel_bench.py"), "--impl", im.Python}
	}
	c.Spawn = h.peakrss
	c.Args = append(c.Args, "--inputs", inputs, "--kernels", strings.Join(kernels, ","),
		"--min-time", strconv.FormatFloat(h.cfg.MinTime, 'g', -1, 64))
	if outdir != "" {
		c.Args = append(c.Args, "--outdir", outdir)
	}
	return c
}
