package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/segstack/segstack/stack"
)

// kernelReply is what kernelrun and kernel_bench.py print.
type kernelReply struct {
	Impl    string  `json:"impl"`
	Threads int     `json:"threads"`
	SetupS  float64 `json:"setup_s"`
	Kernels []struct {
		Kernel  string   `json:"kernel"`
		Seconds float64  `json:"seconds"`
		Calls   int      `json:"calls"`
		Value   *float64 `json:"value"`
		Error   string   `json:"error"`
	} `json:"kernels"`
	WorkerPeakRSS []float64 `json:"worker_peak_rss_mb"`
}

const unsupported = "unsupported"

func (h *harness) kernelList() []string {
	if len(h.cfg.Kernels) == 0 {
		return kernelNames
	}
	var ks []string
	for _, k := range kernelNames {
		if slices.Contains(h.cfg.Kernels, k) {
			ks = append(ks, k)
		}
	}
	return ks
}

// kernelPhase checks and then times every implementation's kernels on one
// stack size.
func (h *harness) kernelPhase(ctx context.Context, s stack.Shape) error {
	tif, err := h.input(ctx, s)
	if err != nil {
		return err
	}
	dir := filepath.Join(h.work, "kernels-"+s.String())
	inputs := filepath.Join(dir, "inputs")
	if err := os.MkdirAll(inputs, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	prep := command{Args: []string{h.kernelrun, "prep", "--in", tif, "--outdir", inputs}}
	h.logf("kernels %v: preparing inputs", s)
	if _, err := prep.run(ctx); err != nil {
		return err
	}

	var impls []impl
	for _, im := range h.impls {
		if im.Name == "dask-cluster" && h.cfg.Quick {
			// Its start-up alone is seconds a round; the pipeline still has it.
			h.note("kernels %v: dask-cluster left out in quick mode (the pipeline runs it)", s)
			continue
		}
		if im.Kernels {
			impls = append(impls, im)
		}
	}
	if len(impls) == 0 || impls[0].Name != "segstack" {
		return fmt.Errorf("segstack is not among the implementations")
	}
	kernels := h.kernelList()
	rows := map[string]*KernelRow{} // impl/kernel
	key := func(im, k string) string { return im + "/" + k }
	var order []string
	procs := map[string]*ProcRow{}

	// Check: each implementation writes its outputs once; segstack's are the
	// reference. This run also warms the page cache and the code.
	refDir := filepath.Join(dir, "out-segstack")
	refVals := map[string]*float64{}
	for _, im := range impls {
		out := filepath.Join(dir, "out-"+im.Name)
		if err := os.MkdirAll(out, 0o755); err != nil {
			return err
		}
		ks := kernels
		if im.Name != "segstack" {
			ks = nil
			for _, k := range kernels {
				if r := rows[key("segstack", k)]; r != nil && r.ok {
					ks = append(ks, k)
				}
			}
			if len(ks) == 0 {
				continue
			}
		}
		c := h.kernelCommand(im, inputs, out, ks)
		h.addCommand(c)
		h.logf("kernels %v: checking %s", s, im.Name)
		var rep kernelReply
		if _, err := c.runJSON(ctx, &rep); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			h.note("kernels %v: %s failed: %v", s, im.Name, err)
			continue
		}
		for _, kr := range rep.Kernels {
			if kr.Error == unsupported {
				continue
			}
			row := &KernelRow{Kernel: kr.Kernel, Size: s.String(), Voxels: s.Len(), Impl: im.Name}
			rows[key(im.Name, kr.Kernel)] = row
			order = append(order, key(im.Name, kr.Kernel))
			switch {
			case kr.Error != "":
				row.Check = "error: " + kr.Error
			case im.Name == "segstack":
				row.Check, row.ok = checkReference, true
				refVals[kr.Kernel] = kr.Value
			default:
				row.Check, row.ok = checkKernelOutput(kr.Kernel,
					filepath.Join(out, kr.Kernel+".npy"), filepath.Join(refDir, kr.Kernel+".npy"),
					kr.Value, refVals[kr.Kernel])
			}
			row.Timed = row.ok
			if row.ok {
				row.Seconds = make([]float64, h.cfg.Repeat)
			}
		}
		if im.Name != "segstack" {
			os.RemoveAll(out)
		}
	}
	os.RemoveAll(refDir)

	// Time: rounds of every implementation in turn.
	for r := range h.cfg.Repeat {
		for _, im := range rounds(impls, r) {
			var ks []string
			for _, k := range kernels {
				if row := rows[key(im.Name, k)]; row != nil && row.ok {
					ks = append(ks, k)
				}
			}
			if len(ks) == 0 {
				continue
			}
			h.logf("kernels %v: round %d/%d %s", s, r+1, h.cfg.Repeat, im.Name)
			var rep kernelReply
			p, err := h.kernelCommand(im, inputs, "", ks).runJSON(ctx, &rep)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				h.note("kernels %v: %s round %d failed: %v", s, im.Name, r+1, err)
				continue
			}
			pr := procs[im.Name]
			if pr == nil {
				pr = &ProcRow{Impl: im.Name, Size: s.String(), Threads: im.Threads}
				procs[im.Name] = pr
			}
			pr.PeakRSS = max(pr.PeakRSS, p.PeakRSS)
			pr.SetupS = rep.SetupS
			if len(rep.WorkerPeakRSS) > 0 {
				pr.WorkerPeakRSS = rep.WorkerPeakRSS
			}
			for _, kr := range rep.Kernels {
				row := rows[key(im.Name, kr.Kernel)]
				if row == nil || !row.ok {
					continue
				}
				if kr.Error != "" {
					row.Error = fmt.Sprintf("round %d: %s", r+1, kr.Error)
					continue
				}
				row.Seconds[r] = kr.Seconds
			}
		}
	}

	for _, k := range order {
		row := rows[k]
		if row.ok {
			row.Median = median(nonZero(row.Seconds))
			if row.Median > 0 {
				row.MvoxPerS = float64(row.Voxels) / row.Median / 1e6
			}
			if ref := rows[key("segstack", row.Kernel)]; ref != nil && row.Impl != "segstack" {
				row.Ratio = pairRatio(row.Seconds, ref.Seconds)
			}
		}
		h.res.Kernels = append(h.res.Kernels, *row)
	}
	for _, im := range impls {
		if pr := procs[im.Name]; pr != nil {
			h.res.KernelProcesses = append(h.res.KernelProcesses, *pr)
		}
	}
	return nil
}

func nonZero(xs []float64) []float64 {
	var out []float64
	for _, x := range xs {
		if x > 0 {
			out = append(out, x)
		}
	}
	return out
}

// impl names for display in tables, in table order.
func implOrder(rows []string) []string {
	var names []string
	for _, im := range allImpls(2) {
		if slices.Contains(rows, im.Name) {
			names = append(names, im.Name)
		}
	}
	for _, r := range rows {
		if !slices.Contains(names, r) {
			names = append(names, r)
		}
	}
	return names
}
