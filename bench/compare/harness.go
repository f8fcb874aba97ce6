package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segstack/segstack/stack"
)

// harness holds what one Run shares between its phases.
type harness struct {
	cfg       Config
	work      string
	segstack  string // the CLI binary
	kernelrun string // the kernel runner binary
	peakrss   string // the spawner that measures a process's own peak RSS
	anchors   string // bench/anchors
	impls     []impl
	res       *Results
	inputs    map[stack.Shape]string // generated stacks, by shape
}

func (h *harness) logf(format string, args ...any) {
	if h.cfg.Log != nil {
		fmt.Fprintf(h.cfg.Log, "compare: "+format+"\n", args...)
	}
}

func (h *harness) note(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	h.res.Notes = append(h.res.Notes, s)
	h.logf("%s", s)
}

// Run builds segstack's binaries, runs every comparison of cfg and writes
// the results into cfg.Out.
func Run(ctx context.Context, cfg Config) (*Results, error) {
	start := time.Now()
	if cfg.Root == "" || cfg.Bench == "" {
		root, bench, err := moduleDirs()
		if err != nil {
			return nil, err
		}
		if cfg.Root == "" {
			cfg.Root = root
		}
		if cfg.Bench == "" {
			cfg.Bench = bench
		}
	}
	if cfg.Out == "" {
		cfg.Out = filepath.Join(cfg.Bench, "results")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.Repeat < 1 {
		cfg.Repeat = 1
	}
	h := &harness{cfg: cfg, anchors: filepath.Join(cfg.Bench, "anchors"), inputs: map[stack.Shape]string{}}
	h.res = &Results{
		Date:    start.UTC().Format(time.RFC3339),
		Machine: describeMachine(),
		Config: ConfigDoc{
			Command: strings.TrimSpace("cd bench && go run ./compare " + strings.Join(os.Args[1:], " ")),
			Quick:   cfg.Quick, Repeat: cfg.Repeat, MinTime: cfg.MinTime, Seed: cfg.Seed,
			Workers: cfg.Workers, Anchors: cfg.Anchors,
		},
		Notes: []string{},
	}
	h.res.Machine.Note = fmt.Sprintf("%d logical cores shared with other work (compilers, tests) while this ran: "+
		"absolute times are noisy; compare implementations through the paired ratios of one run.", h.res.Machine.Cores)
	for _, s := range cfg.KernelSizes {
		h.res.Config.KernelSizes = append(h.res.Config.KernelSizes, s.String())
	}
	for _, s := range cfg.PipelineSizes {
		h.res.Config.PipelineSizes = append(h.res.Config.PipelineSizes, s.String())
	}
	for _, s := range cfg.SplitSizes {
		h.res.Config.SplitSizes = append(h.res.Config.SplitSizes, s.String())
	}
	if len(cfg.SplitSizes) > 0 {
		h.res.Config.SplitDensity = cfg.SplitDensity
	}

	if cfg.Work == "" {
		dir, err := os.MkdirTemp("", "segstack-bench-")
		if err != nil {
			return nil, err
		}
		h.work = dir
		if !cfg.Keep {
			defer os.RemoveAll(dir)
		}
	} else {
		h.work = cfg.Work
		if err := os.MkdirAll(h.work, 0o755); err != nil {
			return nil, err
		}
	}
	if err := h.build(ctx); err != nil {
		return nil, err
	}
	if len(cfg.KernelSizes)+len(cfg.PipelineSizes) > 0 {
		h.selectImpls(ctx) // the anchors of the kernels and the pipeline
	}

	for _, s := range cfg.KernelSizes {
		if err := h.kernelPhase(ctx, s); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			h.note("kernels %v: %v", s, err)
		}
	}
	for _, s := range cfg.PipelineSizes {
		if err := h.pipelinePhase(ctx, s); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			h.note("pipeline %v: %v", s, err)
		}
	}
	for _, s := range cfg.SplitSizes {
		if err := h.splitPhase(ctx, s); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			h.note("split %v: %v", s, err)
		}
	}
	if cfg.PythonGroup.On {
		if err := h.pythonPhase(ctx); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			h.note("python group: %v", err)
		}
	}
	if len(cfg.PipelineSizes) > 0 {
		h.targets()
	}
	h.splitTarget()
	h.pythonTarget()
	h.res.Machine.LoadEnd = loadAvg()
	h.res.Seconds = time.Since(start).Seconds()
	if err := h.write(); err != nil {
		return nil, err
	}
	return h.res, nil
}

// moduleDirs returns the directories of segstack's module (the repository
// root) and of the bench module inside it, asking the go command from the
// working directory, which must lie inside the bench module.
func moduleDirs() (root, bench string, err error) {
	dir := func(args ...string) (string, error) {
		out, err := exec.Command("go", append([]string{"list", "-m", "-f", "{{.Dir}}"}, args...)...).Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) && len(ee.Stderr) > 0 {
				return "", fmt.Errorf("go list -m %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(ee.Stderr)))
			}
			return "", fmt.Errorf("go list -m %s: %w", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out)), nil
	}
	if bench, err = dir(benchModule); err != nil {
		return "", "", fmt.Errorf("run from inside the bench module (cd bench): %w", err)
	}
	if root, err = dir(segstackModule); err != nil {
		return "", "", err
	}
	if bench == "" || root == "" {
		return "", "", errors.New("run from inside the bench module (cd bench)")
	}
	return root, bench, nil
}

// The module paths of the harness and of the code it measures.
const (
	benchModule    = "github.com/segstack/segstack/bench"
	segstackModule = "github.com/segstack/segstack"
)

// build compiles the segstack CLI and the kernel runner into the scratch
// directory, so that each timed process is a plain binary.
func (h *harness) build(ctx context.Context) error {
	bin := filepath.Join(h.work, "bin")
	if h.cfg.BinDir != "" {
		bin = h.cfg.BinDir
	}
	h.segstack = filepath.Join(bin, "segstack")
	h.kernelrun = filepath.Join(bin, "kernelrun")
	h.peakrss = filepath.Join(bin, "peakrss")
	// The CLI builds in segstack's module, the runners in the bench module.
	for _, b := range []struct{ out, pkg, dir string }{
		{h.segstack, "./cmd/segstack", h.cfg.Root},
		{h.kernelrun, "./cmd/kernelrun", h.cfg.Bench},
		{h.peakrss, "./cmd/peakrss", h.cfg.Bench},
	} {
		if _, err := os.Stat(b.out); err == nil && h.cfg.BinDir != "" {
			continue
		}
		c := command{Args: []string{"go", "build", "-o", b.out, b.pkg}, Dir: b.dir}
		if _, err := c.run(ctx); err != nil {
			return fmt.Errorf("building %s: %w", b.pkg, err)
		}
	}
	var info struct {
		Backend string `json:"backend"`
	}
	if _, err := (command{Args: []string{h.kernelrun, "info"}}).runJSON(ctx, &info); err != nil {
		return err
	}
	h.res.Machine.Backend = info.Backend
	// What the spawner hands on to each child's peak RSS.
	var floor struct {
		MaxRSSKB float64 `json:"floor_kib"`
	}
	f := filepath.Join(h.work, "floor.json")
	if _, err := (command{Args: []string{h.peakrss, "--out", f, "--", h.kernelrun, "info"}}).run(ctx); err != nil {
		return err
	}
	if b, err := os.ReadFile(f); err == nil && json.Unmarshal(b, &floor) == nil {
		h.res.Machine.RSSFloorMiB = floor.MaxRSSKB / 1024
	}
	return nil
}

// selectImpls keeps segstack and the anchors this machine can run, noting
// the ones it cannot.
func (h *harness) selectImpls(ctx context.Context) {
	all := allImpls(h.cfg.Workers)
	wanted := func(name string) bool {
		return len(h.cfg.Only) == 0 || name == "segstack" || slices.Contains(h.cfg.Only, name)
	}
	var have map[string]any
	if h.cfg.Anchors {
		var probe struct {
			Impls    map[string]any    `json:"impls"`
			Versions map[string]string `json:"versions"`
		}
		c := command{Args: []string{h.cfg.Python, filepath.Join(h.anchors, "kernel_bench.py"), "--probe"}}
		if _, err := c.runJSON(ctx, &probe); err != nil {
			h.note("Python anchors skipped: %s does not run them (%v)", h.cfg.Python, err)
		} else {
			have = probe.Impls
			h.res.Machine.Python = probe.Versions
		}
	} else {
		h.note("Python anchors skipped (--no-anchors): segstack figures only, no ratios")
	}
	for _, im := range all {
		if !wanted(im.Name) {
			continue
		}
		if im.Python != "" {
			if have == nil {
				continue
			}
			key := im.Python
			if key == "opencv" {
				key = "opencv-1t"
			}
			if v, ok := have[key]; !ok || v != true {
				h.note("anchor %s skipped: %v", im.Name, v)
				continue
			}
		}
		h.impls = append(h.impls, im)
	}
}

// input returns the synthetic uint16 TIFF stack of shape s, generating it
// with `segstack gen` the first time.
func (h *harness) input(ctx context.Context, s stack.Shape) (string, error) {
	if p, ok := h.inputs[s]; ok {
		return p, nil
	}
	p := filepath.Join(h.work, "in-"+s.String()+".tif")
	c := command{Args: []string{h.segstack, "gen", p, "--shape", fmt.Sprintf("%d,%d,%d", s.Z, s.Y, s.X),
		"--seed", strconv.FormatUint(h.cfg.Seed, 10)}}
	h.logf("generating %v: %s", s, c)
	if _, err := c.run(ctx); err != nil {
		return "", err
	}
	h.inputs[s] = p
	return p, nil
}

// addCommand records a command line for the report, once per distinct form.
func (h *harness) addCommand(c command) {
	s := strings.ReplaceAll(c.String(), h.work, "$WORK")
	s = strings.ReplaceAll(s, h.cfg.Root+"/", "")
	if !slices.Contains(h.res.Commands, s) {
		h.res.Commands = append(h.res.Commands, s)
	}
}

// rounds returns the implementations in the order of round r: rotated by
// one each round, so that no implementation always runs first.
func rounds[T any](xs []T, r int) []T {
	if len(xs) == 0 {
		return nil
	}
	k := r % len(xs)
	return append(slices.Clone(xs[k:]), xs[:k]...)
}

func jsonIndent(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") }
