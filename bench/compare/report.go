package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// targetSize is the stack the CLI issue's goals are stated on.
var targetSize = "64x1024x1024"

// targets evaluates the CLI issue's goals on the 64×1024×1024 stack.
func (h *harness) targets() {
	find := func(impl string) *PipelineRow {
		for i := range h.res.Pipeline {
			r := &h.res.Pipeline[i]
			if r.Size == targetSize && r.Impl == impl {
				return r
			}
		}
		return nil
	}
	ratio := func(name, impl string, want float64) Target {
		t := Target{Name: name, Want: fmt.Sprintf("≥ %g× faster (paired wall-time ratio)", want), Status: "not measured"}
		if r := find(impl); r != nil && r.Timed && r.Ratio > 0 {
			t.Got = r.Ratio
			t.Status = map[bool]string{true: "met", false: "not met"}[r.Ratio >= want]
		} else if r != nil && !r.Timed {
			t.Status = "not measured: " + r.Check
		}
		return t
	}
	h.res.Targets = []Target{
		ratio("segstack vs scipy, pipeline "+targetSize, "scipy", 3),
		ratio("segstack vs OpenCV, pipeline "+targetSize, "opencv", 3),
		ratio("segstack vs dask LocalCluster, pipeline "+targetSize, "dask-cluster", 30),
	}
	t := Target{Name: "segstack peak RSS, pipeline " + targetSize, Want: "< 100 MiB", Status: "not measured"}
	if r := find("segstack"); r != nil && r.PeakRSS > 0 {
		t.Got = r.PeakRSS
		t.Status = map[bool]string{true: "met", false: "not met"}[r.PeakRSS < 100]
	}
	h.res.Targets = append(h.res.Targets, t)
}

// write stores the JSON, the Markdown and the plots in cfg.Out.
func (h *harness) write() error {
	if err := os.MkdirAll(h.cfg.Out, 0o755); err != nil {
		return err
	}
	name := h.cfg.Name
	if name == "" {
		name = h.res.Machine.slug()
	}
	date, _ := time.Parse(time.RFC3339, h.res.Date)
	base := filepath.Join(h.cfg.Out, date.Format("2006-01-02")+"-"+name)
	js, err := jsonIndent(h.res)
	if err != nil {
		return err
	}
	if err := os.WriteFile(base+".json", append(js, '\n'), 0o644); err != nil {
		return err
	}
	pngs, err := h.plots(base)
	if err != nil {
		h.note("plots: %v", err)
	}
	md := markdown(h.res, filepath.Base(base), pngs)
	if err := os.WriteFile(base+".md", []byte(md), 0o644); err != nil {
		return err
	}
	h.res.Files = append([]string{base + ".json", base + ".md"}, pngs...)
	return nil
}

func fmtDur(s float64) string {
	switch {
	case s <= 0:
		return "—"
	case s < 1e-3:
		return fmt.Sprintf("%.1f µs", s*1e6)
	case s < 1:
		return fmt.Sprintf("%.2f ms", s*1e3)
	}
	return fmt.Sprintf("%.2f s", s)
}

func fmtRatio(r float64) string {
	if r <= 0 {
		return ""
	}
	if r >= 10 {
		return fmt.Sprintf("%.0f×", r)
	}
	return fmt.Sprintf("%.2f×", r)
}

// markdown renders the results as tables: kernels per size (median time,
// throughput, ratio to segstack), process memory, the pipeline, the
// targets, and the commands.
func markdown(res *Results, base string, pngs []string) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	m := res.Machine
	p("# segstack benchmark comparison — %s\n\n", res.Date)
	virt := ""
	if m.Virtual {
		virt = ", virtual machine"
	}
	p("Machine: **%s** (%s, cache %s%s), %d logical cores (GOMAXPROCS %d), %.1f GiB, %s; segstack backend **%s**; %s.\n",
		m.CPU, m.CPUID, m.Cache, virt, m.Cores, m.GOMAXPROCS, m.MemoryGiB, m.Kernel, m.Backend, m.Go)
	if len(m.CPUFlags) > 0 {
		p("CPU SIMD flags: %s.\n", strings.Join(m.CPUFlags, " "))
	}
	if len(m.Python) > 0 {
		var vs []string
		for _, k := range []string{"python", "numpy", "scipy", "skimage", "cv2", "tifffile", "dask", "distributed"} {
			if v, ok := m.Python[k]; ok {
				vs = append(vs, k+" "+v)
			}
		}
		p("Anchors: %s.\n", strings.Join(vs, ", "))
	}
	p("\n> %s Load average %.2f at the start, %.2f at the end.\n\n", m.Note, m.LoadStart, m.LoadEnd)
	c := res.Config
	p("Command: `%s` — %d timed rounds per implementation, interleaved (every implementation once per round, "+
		"as its own process), medians over rounds; ratio = paired median of (implementation time ÷ segstack time "+
		"in the same round), so **> 1 means segstack is faster**. Seed %d. Harness run took %.0f s.\n\n",
		c.Command, c.Repeat, c.Seed, res.Seconds)
	if len(res.Notes) > 0 {
		p("Notes:\n\n")
		for _, n := range res.Notes {
			p("- %s\n", n)
		}
		p("\n")
	}

	if len(res.Kernels) > 0 {
		p("## Kernels\n\n")
		p("In-process time of one call on the whole stack (inputs already in memory; a call repeated to span ≥ %g s and averaged), "+
			"from `bench/cmd/kernelrun` (segstack) and `bench/anchors/kernel_bench.py`. 2-D kernels work plane by plane "+
			"(Gaussian sigma (0, s, s); labels numbered per plane), 3-D kernels on the volume. Before any time is "+
			"reported each implementation's output is compared with segstack's (labels equal, Gaussians within 1e-5 relative); "+
			"a mismatch is shown instead of a time.\n\n", c.MinTime)
		sizes := uniq(res.Kernels, func(r KernelRow) string { return r.Size })
		for _, size := range sizes {
			var rows []KernelRow
			for _, r := range res.Kernels {
				if r.Size == size {
					rows = append(rows, r)
				}
			}
			impls := implOrder(uniq(rows, func(r KernelRow) string { return r.Impl }))
			kernels := uniq(rows, func(r KernelRow) string { return r.Kernel })
			p("### %s (%d voxels)\n\n| kernel |", size, rows[0].Voxels)
			for _, im := range impls {
				p(" %s |", im)
			}
			p("\n|---|")
			for range impls {
				p("---|")
			}
			p("\n")
			for _, k := range kernels {
				p("| %s |", k)
				for _, im := range impls {
					cell := ""
					for _, r := range rows {
						if r.Kernel == k && r.Impl == im {
							cell = kernelCell(r)
						}
					}
					p(" %s |", cell)
				}
				p("\n")
			}
			p("\nCells: median time per call · Mvoxel/s · time ÷ segstack's (> 1: segstack faster).")
			var notes []string
			worst := 0.0
			for _, r := range rows {
				var e float64
				if _, err := fmt.Sscanf(r.Check, checkOK+" (max rel err %g)", &e); err == nil {
					worst = max(worst, e)
					continue
				}
				if r.Check != checkReference && r.Check != checkOK {
					notes = append(notes, fmt.Sprintf("%s %s: %s", r.Impl, r.Kernel, r.Check))
				}
			}
			p(" Every timed output matched segstack's")
			if worst > 0 {
				p(" (Gaussians within %.1e relative at worst)", worst)
			}
			p(".\n\n")
			for _, n := range notes {
				p("- %s\n", n)
			}
			if len(notes) > 0 {
				p("\n")
			}
		}
		if len(res.KernelProcesses) > 0 {
			p("Peak RSS of each kernel process (all kernels of one size run in one process; dask's worker processes listed apart; "+
				"each process's own ru_maxrss, started through `bench/cmd/peakrss`, which hands on a floor of %.1f MiB):\n\n", m.RSSFloorMiB)
			p("| size | implementation | threads | peak RSS (MiB) | setup |\n|---|---|---|---|---|\n")
			for _, pr := range res.KernelProcesses {
				rss := fmt.Sprintf("%.0f", pr.PeakRSS)
				if len(pr.WorkerPeakRSS) > 0 {
					rss += " + workers " + joinF(pr.WorkerPeakRSS)
				}
				p("| %s | %s | %s | %s | %s |\n", pr.Size, pr.Impl, pr.Threads, rss, fmtDur(pr.SetupS))
			}
			p("\n")
		}
	}

	if len(res.Pipeline) > 0 {
		p("## Pipeline, end to end\n\n")
		p("Per plane: Gaussian sigma 1 (reflect), threshold 0.33 × the plane's maximum (strictly above), labels with "+
			"4-connectivity numbered per plane; uint16 TIFF in, label TIFF out as uint16 when every label fits (uint32 otherwise), all I/O included, %d cores offered. "+
			"Wall = the process from start to exit (interpreter start-up and imports included); in-process = what "+
			"the program reports (Python: after the imports until the output is closed, cluster start-up included; "+
			"segstack: its report's wall time). Every output's labels were compared with segstack's before timing.\n\n", c.Workers)
		p("Peak RSS: the process's own ru_maxrss (through `bench/cmd/peakrss`, floor %.1f MiB), with the figure the program "+
			"reports for itself (VmHWM) in brackets; dask's workers apart.\n\n", m.RSSFloorMiB)
		p("| size | implementation | threads | check | wall (median) | in-process (median) | wall ÷ segstack | peak RSS (MiB) |\n")
		p("|---|---|---|---|---|---|---|---|\n")
		for _, r := range res.Pipeline {
			rss := ""
			if r.PeakRSS > 0 {
				rss = fmt.Sprintf("%.0f", r.PeakRSS)
			}
			if r.SelfPeakRSS > 0 {
				rss += fmt.Sprintf(" (%.0f)", r.SelfPeakRSS)
			}
			if len(r.WorkerPeakRSS) > 0 {
				rss += " + workers " + joinF(r.WorkerPeakRSS)
			}
			chk := r.Check
			if r.Error != "" {
				chk += "; " + r.Error
			}
			p("| %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Size, r.Impl, r.Threads, chk,
				fmtDur(r.MedianWall), fmtDur(r.MedianInProcess), fmtRatio(r.Ratio), rss)
		}
		p("\n")
		for _, r := range res.Pipeline {
			if r.Impl == "segstack" && len(r.Stages) > 0 {
				keys := make([]string, 0, len(r.Stages))
				for k := range r.Stages {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				var parts []string
				for _, k := range keys {
					parts = append(parts, fmt.Sprintf("%s %s", k, fmtDur(r.Stages[k])))
				}
				p("segstack stages at %s (seconds summed over workers, medians): %s.\n\n", r.Size, strings.Join(parts, ", "))
			}
		}
	}

	splitMarkdown(res, p)
	pythonMarkdown(res, p)
	if len(res.Targets) > 0 {
		p("## Targets\n\n| goal | want | got | status |\n|---|---|---|---|\n")
		for _, t := range res.Targets {
			got := ""
			if t.Got > 0 {
				got = fmt.Sprintf("%.2f", t.Got)
			}
			p("| %s | %s | %s | %s |\n", t.Name, t.Want, got, t.Status)
		}
		p("\n")
	}
	if len(pngs) > 0 {
		p("## Plots\n\n")
		for _, f := range pngs {
			p("![%s](%s)\n\n", filepath.Base(f), filepath.Base(f))
		}
	}
	if len(res.Commands) > 0 {
		p("## Commands\n\nThe checked runs ($WORK is the harness's scratch directory; the timed rounds run the same lines " +
			"without --outdir, or with an output path of their own, each under `bench/cmd/peakrss`):\n\n```sh\n")
		for _, cmd := range res.Commands {
			p("%s\n", cmd)
		}
		p("```\n")
	}
	return b.String()
}

func kernelCell(r KernelRow) string {
	if !r.Timed {
		if strings.HasPrefix(r.Check, "MISMATCH") {
			return "MISMATCH"
		}
		return "error"
	}
	if r.Median <= 0 {
		return "failed"
	}
	s := fmt.Sprintf("%s · %.0f", fmtDur(r.Median), r.MvoxPerS)
	if r.MvoxPerS < 10 {
		s = fmt.Sprintf("%s · %.2f", fmtDur(r.Median), r.MvoxPerS)
	}
	if r.Ratio > 0 {
		s += " · " + fmtRatio(r.Ratio)
	}
	return s
}

func joinF(xs []float64) string {
	var s []string
	for _, x := range xs {
		s = append(s, fmt.Sprintf("%.0f", x))
	}
	return strings.Join(s, ", ")
}

func uniq[T any](xs []T, key func(T) string) []string {
	var out []string
	for _, x := range xs {
		if k := key(x); !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}
