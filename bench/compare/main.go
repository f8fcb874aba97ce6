// Command compare runs segstack's kernels and its end-to-end pipeline next
// to the anchors — scipy.ndimage, scikit-image, OpenCV (one thread and all
// threads) and dask (dask.delayed per plane; a distributed LocalCluster with
// client.submit per plane) — on the same synthetic stacks, checks that every
// anchor produced segstack's labels before its time is reported, and writes
// the results as JSON, a Markdown table and PNG plots.
//
//	cd bench && go run ./compare [--quick] [--sizes 10x100x100,16x512x512] [--repeat 5] [--out results]
//
// The harness is its own module (bench/go.mod), so it runs from inside
// bench/ (or as go -C bench run ./compare from the repository root).
//
// Every implementation runs as its own subprocess, rounds interleaved
// (A B C … A B C …), so that each process's peak RSS is its own and a slow
// moment of a shared machine hits every implementation alike. Ratios are
// paired: the median over rounds of anchor time / segstack time.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/segstack/segstack/stack"
)

// Config is one harness run.
type Config struct {
	// Quick shrinks everything for a smoke test that finishes in well under
	// two minutes.
	Quick bool
	// KernelSizes and PipelineSizes are the stacks compared.
	KernelSizes, PipelineSizes []stack.Shape
	// Repeat is the number of timed rounds (the medians are over these).
	Repeat int
	// MinTime is the least time each kernel timing spans inside a process
	// (small inputs run the kernel several times and report the mean).
	MinTime float64
	// Seed is the synthetic stacks' seed.
	Seed uint64
	// Out is where results are written (Bench/results when empty); Name
	// names the files (<date>-<name>.json and so on).
	Out, Name string
	// Python is the interpreter for the anchors; Anchors false skips them.
	Python  string
	Anchors bool
	// Only, when not empty, restricts the implementations by name.
	Only []string
	// Kernels restricts the kernels compared (all when empty).
	Kernels []string
	// Workers is the number of cores the pipeline uses (segstack --workers,
	// OpenCV threads, dask workers).
	Workers int
	// Work is the scratch directory (a temporary one when empty); Keep
	// leaves it behind.
	Work string
	Keep bool
	// Root is segstack's module root (the repository), where the CLI is
	// built; Bench is the bench module's root, where the kernel runner is
	// built and the anchors and results live. Both are found with the go
	// command when empty.
	Root, Bench string
	// BinDir, when set, holds the built binaries and is reused: they are
	// built only when absent there.
	BinDir string
	// SplitSizes are the stacks of the split phase (segment --split
	// watershed against bench/anchors/split_reference.py); none by default.
	// SplitDensity is their density (segstack gen --density) and
	// SplitPython the interpreter of the reference (scikit-image 0.26).
	SplitSizes   []stack.Shape
	SplitDensity float64
	SplitPython  string
	// PythonGroup is the python group (python.go): the Python package
	// against scipy, scikit-image, OpenCV and dask-image; off by default.
	PythonGroup PythonGroupConfig
	// Log receives progress lines.
	Log *os.File
}

var (
	defaultKernelSizes   = []stack.Shape{{Z: 10, Y: 100, X: 100}, {Z: 16, Y: 512, X: 512}}
	defaultPipelineSizes = []stack.Shape{{Z: 10, Y: 100, X: 100}, {Z: 16, Y: 512, X: 512}, {Z: 64, Y: 1024, X: 1024}}
	quickSizes           = []stack.Shape{{Z: 10, Y: 100, X: 100}}
	bigSize              = stack.Shape{Z: 256, Y: 2048, X: 2048}
)

func parseSizes(s string) ([]stack.Shape, error) {
	var out []stack.Shape
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		sh, err := stack.ParseShape(strings.ReplaceAll(strings.ToLower(f), "x", ","))
		if err != nil {
			return nil, err
		}
		out = append(out, sh)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no sizes in %q", s)
	}
	return out, nil
}

func main() {
	var (
		cfg                              Config
		sizes, ksizes, psizes, only, kns string
		big, noAnchors, splitOnly        bool
		ssizes                           string
	)
	flag.BoolVar(&cfg.Quick, "quick", false, "smoke test: one small size, 2 rounds, no dask cluster for the kernels (under 2 minutes)")
	flag.StringVar(&sizes, "sizes", "", "stack sizes ZxYxX,… for both the kernels and the pipeline")
	flag.StringVar(&ksizes, "kernel-sizes", "", "stack sizes for the kernels (default 10x100x100,16x512x512)")
	flag.StringVar(&psizes, "pipeline-sizes", "", "stack sizes for the pipeline (default 10x100x100,16x512x512,64x1024x1024)")
	flag.BoolVar(&big, "big", false, "add 256x2048x2048 to the pipeline sizes (8 GiB of anchor memory, long)")
	flag.IntVar(&cfg.Repeat, "repeat", 5, "timed rounds per implementation (medians over these)")
	flag.Float64Var(&cfg.MinTime, "min-time", 0.2, "seconds each in-process kernel timing spans at least")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "seed of the synthetic stacks")
	flag.StringVar(&cfg.Out, "out", "", "directory for the JSON, Markdown and PNG results (default bench/results)")
	flag.StringVar(&cfg.Name, "name", "", "machine name in the file names (default from the CPU and core count)")
	flag.StringVar(&cfg.Python, "python", "/usr/bin/python3", "Python with scipy, scikit-image, OpenCV, tifffile, dask, distributed")
	flag.BoolVar(&noAnchors, "no-anchors", false, "run segstack only")
	flag.StringVar(&only, "impls", "", "only these implementations (comma-separated names)")
	flag.StringVar(&kns, "kernels", "", "only these kernels (comma-separated; default all)")
	flag.IntVar(&cfg.Workers, "workers", runtime.NumCPU(), "cores for the pipeline")
	flag.StringVar(&cfg.Work, "work", "", "scratch directory (default a temporary one)")
	flag.BoolVar(&cfg.Keep, "keep", false, "keep the scratch directory")
	flag.StringVar(&ssizes, "split-sizes", "", "stack sizes for the split of touching nuclei (--split watershed vs split_reference.py, one core); none by default")
	flag.Float64Var(&cfg.SplitDensity, "split-density", 0.3, "density of the split phase's stacks (segstack gen --density)")
	flag.StringVar(&cfg.SplitPython, "split-python", "/opt/venv/bin/python", "Python with scikit-image 0.26, scipy and tifffile for split_reference.py")
	flag.BoolVar(&splitOnly, "split-only", false, "run only the split phase (no kernels, no pipeline)")
	var pythonOnly bool
	flag.BoolVar(&cfg.PythonGroup.On, "python-group", false, "add the python group: the Python package (built from capi/ and python/) against scipy, scikit-image, OpenCV and dask-image, in process")
	flag.BoolVar(&pythonOnly, "python-only", false, "run only the python group (no kernels, no pipeline, no split)")
	flag.StringVar(&cfg.PythonGroup.Python, "python-group-python", "/opt/venv/bin/python", "Python of the python group, with numpy, scipy, scikit-image, OpenCV, dask, distributed and dask-image")
	flag.IntVar(&cfg.PythonGroup.Size, "python-group-size", 2048, "side of the python group's float32 plane (numpy API; --quick: 512)")
	flag.StringVar(&cfg.PythonGroup.Stack, "python-group-stack", "16,512,512", "the python group's tutorial stack Z,Y,X (--quick: 4,128,128)")
	flag.StringVar(&cfg.PythonGroup.Chunks, "python-group-chunks", "1,256,256", "the python group's tutorial chunks Z,Y,X (--quick: 1,64,64)")
	flag.Parse()

	cfg.Anchors = !noAnchors
	cfg.Log = os.Stderr
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(2)
	}
	var err error
	cfg.KernelSizes, cfg.PipelineSizes = defaultKernelSizes, defaultPipelineSizes
	if cfg.Quick {
		cfg.KernelSizes, cfg.PipelineSizes = quickSizes, quickSizes
		if !flagSet("repeat") {
			cfg.Repeat = 2
		}
		if !flagSet("min-time") {
			cfg.MinTime = 0.05
		}
	}
	if sizes != "" {
		if cfg.KernelSizes, err = parseSizes(sizes); err != nil {
			fail(err)
		}
		cfg.PipelineSizes = cfg.KernelSizes
	}
	if ksizes != "" {
		if cfg.KernelSizes, err = parseSizes(ksizes); err != nil {
			fail(err)
		}
	}
	if psizes != "" {
		if cfg.PipelineSizes, err = parseSizes(psizes); err != nil {
			fail(err)
		}
	}
	if big {
		cfg.PipelineSizes = append(cfg.PipelineSizes, bigSize)
	}
	if ssizes != "" {
		if cfg.SplitSizes, err = parseSizes(ssizes); err != nil {
			fail(err)
		}
	}
	if splitOnly {
		if len(cfg.SplitSizes) == 0 {
			fail(fmt.Errorf("--split-only needs --split-sizes"))
		}
		cfg.KernelSizes, cfg.PipelineSizes = nil, nil
	}
	if pythonOnly {
		cfg.PythonGroup.On = true
		cfg.KernelSizes, cfg.PipelineSizes, cfg.SplitSizes = nil, nil, nil
	}
	if cfg.Quick && cfg.PythonGroup.On {
		for name, set := range map[string]func(){
			"python-group-size":   func() { cfg.PythonGroup.Size = 512 },
			"python-group-stack":  func() { cfg.PythonGroup.Stack = "4,128,128" },
			"python-group-chunks": func() { cfg.PythonGroup.Chunks = "1,64,64" },
		} {
			if !flagSet(name) {
				set()
			}
		}
	}
	if only != "" {
		cfg.Only = strings.Split(only, ",")
	}
	if kns != "" {
		cfg.Kernels = strings.Split(kns, ",")
	}
	if cfg.Repeat < 1 {
		fail(fmt.Errorf("--repeat %d: need at least 1", cfg.Repeat))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	res, err := Run(ctx, cfg)
	if err != nil {
		fail(err)
	}
	fmt.Fprintf(os.Stderr, "compare: done in %s; wrote %s\n", time.Since(start).Round(time.Second), strings.Join(res.Files, ", "))
}

func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
