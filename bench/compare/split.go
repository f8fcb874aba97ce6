package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
)

// splitTargetRatio is the goal for --split watershed on targetSize: at
// least this many times faster than the scipy + scikit-image script doing
// the same steps, one core each.
const splitTargetRatio = 10

// splitImpls are the implementations of the split phase: segstack's CLI
// and the reference script, both on one core.
var splitImpls = []string{"segstack --split watershed", "scipy+skimage split_reference.py"}

// denseInput returns the dense synthetic stack (segstack gen --density) of
// shape s, generating it the first time.
func (h *harness) denseInput(ctx context.Context, s stack.Shape) (string, error) {
	p := filepath.Join(h.work, fmt.Sprintf("dense-%g-%s.tif", h.cfg.SplitDensity, s))
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	c := command{Args: []string{h.segstack, "gen", p, "--shape", fmt.Sprintf("%d,%d,%d", s.Z, s.Y, s.X),
		"--seed", strconv.FormatUint(h.cfg.Seed, 10), "--density", strconv.FormatFloat(h.cfg.SplitDensity, 'g', -1, 64)}}
	h.logf("generating %v at density %g: %s", s, h.cfg.SplitDensity, c)
	if _, err := c.run(ctx); err != nil {
		return "", err
	}
	return p, nil
}

// splitCommand is the process that splits in into out with implementation
// i of splitImpls, on one core: segstack with one worker and GOMAXPROCS=1,
// the script (single-threaded numpy, scipy and scikit-image calls, labels
// numbered uniquely across the stack as segstack numbers them) with the
// BLAS and OpenMP pools at one thread. Both write uint32 labels: a dense
// 64-plane stack numbered across planes passes 65535 objects, and
// segstack's default (auto) would then rewrite the planes it had written
// as uint16, a cost of streaming that the script, holding the whole stack,
// does not have.
func (h *harness) splitCommand(i int, in, out, report string) command {
	if i == 0 {
		c := command{Args: []string{h.segstack, "segment", in, "-o", out, "--workers", "1", "--split", "watershed",
			"--label-dtype", "uint32", "--force", "--quiet"}, Env: []string{"GOMAXPROCS=1"}, Spawn: h.peakrss}
		if report != "" {
			c.Args = append(c.Args, "--report", report)
		}
		return c
	}
	return command{Args: []string{h.cfg.SplitPython, filepath.Join(h.anchors, "split_reference.py"), "run",
		"--in", in, "--out", out, "--unique", "--dtype", "uint32"}, Env: []string{"OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1"}, Spawn: h.peakrss}
}

// splitPhase checks and times `segstack segment --split watershed` against
// bench/anchors/split_reference.py (its defaults are segstack's) on a dense
// stack of shape s: the labels must be equal voxel for voxel, then both
// run cfg.Repeat rounds in alternating order.
func (h *harness) splitPhase(ctx context.Context, s stack.Shape) error {
	in, err := h.denseInput(ctx, s)
	if err != nil {
		return err
	}
	dir := filepath.Join(h.work, "split-"+s.String())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	report := filepath.Join(dir, "report.json")
	rows := make([]*PipelineRow, len(splitImpls))
	outs := make([]string, len(splitImpls))
	for i, name := range splitImpls {
		outs[i] = filepath.Join(dir, fmt.Sprintf("check-%d.tif", i))
		c := h.splitCommand(i, in, outs[i], report)
		h.addCommand(c)
		rows[i] = &PipelineRow{Size: s.String(), Voxels: s.Len(), Impl: name, Threads: "1", Command: c.String()}
		h.logf("split %v: checking %s", s, name)
		if _, err := c.run(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			rows[i].Check = "error: " + err.Error()
		}
	}
	if rows[0].Check == "" {
		rows[0].Check, rows[0].ok = checkReference, true
		if rows[1].Check == "" {
			rows[1].Check, rows[1].ok = checkSplit(ctx, outs[1], outs[0], in, s)
		}
	} else if rows[1].Check == "" {
		rows[1].Check = "not checked: segstack produced no reference"
	}
	for i, row := range rows {
		os.Remove(outs[i])
		row.Timed = row.ok
		if row.ok {
			row.Wall = make([]float64, h.cfg.Repeat)
			row.InProcess = make([]float64, h.cfg.Repeat)
			row.CPU = make([]float64, h.cfg.Repeat)
		}
	}
	stages := map[string][]float64{}
	order := []int{0, 1}
	for r := range h.cfg.Repeat {
		for _, i := range rounds(order, r) {
			row := rows[i]
			if !row.ok {
				continue
			}
			out := filepath.Join(dir, fmt.Sprintf("out-%d.tif", i))
			h.logf("split %v: round %d/%d %s", s, r+1, h.cfg.Repeat, row.Impl)
			p, err := h.splitCommand(i, in, out, report).run(ctx)
			os.Remove(out)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				row.Error = fmt.Sprintf("round %d: %v", r+1, err)
				continue
			}
			row.Wall[r] = p.Wall.Seconds()
			row.CPU[r] = p.CPU.Seconds()
			row.PeakRSS = max(row.PeakRSS, p.PeakRSS)
			if i == 0 {
				var rep segstackReport
				b, err := os.ReadFile(report)
				if err == nil {
					err = json.Unmarshal(b, &rep)
				}
				if err != nil {
					row.Error = fmt.Sprintf("round %d: report: %v", r+1, err)
					continue
				}
				row.InProcess[r] = rep.WallSeconds
				row.SelfPeakRSS = max(row.SelfPeakRSS, float64(rep.PeakRSSBytes)/(1<<20))
				for k, v := range rep.Stages {
					stages[k] = append(stages[k], v)
				}
				continue
			}
			var rep struct {
				Seconds float64 `json:"seconds"`
				PeakRSS float64 `json:"peak_rss_mib"`
			}
			if err := json.Unmarshal(lastLine(p.Stdout), &rep); err != nil {
				row.Error = fmt.Sprintf("round %d: reply: %v", r+1, err)
				continue
			}
			row.InProcess[r] = rep.Seconds
			row.SelfPeakRSS = max(row.SelfPeakRSS, rep.PeakRSS)
		}
	}
	for i, row := range rows {
		if row.ok {
			row.MedianWall = median(nonZero(row.Wall))
			row.MedianInProcess = median(nonZero(row.InProcess))
			row.MedianCPU = median(nonZero(row.CPU))
			if i > 0 && rows[0].ok {
				row.Ratio = pairRatio(row.Wall, rows[0].Wall)
				row.CPURatio = pairRatio(row.CPU, rows[0].CPU)
			}
			if i == 0 && len(stages) > 0 {
				row.Stages = map[string]float64{}
				for k, v := range stages {
					row.Stages[k] = median(v)
				}
			}
		}
		h.res.Split = append(h.res.Split, *row)
	}
	return nil
}

// checkSplit compares the labels at gotPath with segstack's at refPath,
// voxel for voxel: both number each plane's objects in raster order, so
// the labels themselves must be equal. As in checkPipeline, Gaussians that
// agree to float32 rounding may put a voxel whose smoothed value is on the
// threshold on different sides of it: such voxels (within thresholdTol of
// the threshold, smoothing the input's plane again) may differ, and are
// counted in the message; any other difference is a mismatch.
func checkSplit(ctx context.Context, gotPath, refPath, input string, s stack.Shape) (string, bool) {
	rg, err := tiff.Open(gotPath)
	if err != nil {
		return "MISMATCH: " + err.Error(), false
	}
	defer rg.Close()
	rr, err := tiff.Open(refPath)
	if err != nil {
		return "no reference: " + err.Error(), false
	}
	defer rr.Close()
	if rg.Shape() != s || rr.Shape() != s {
		return fmt.Sprintf("MISMATCH: shapes %v and %v, want %v", rg.Shape(), rr.Shape(), s), false
	}
	var in *tiff.Reader
	defer func() {
		if in != nil {
			in.Close()
		}
	}()
	onThreshold := 0
	got, ref := make([]uint32, s.PlaneLen()), make([]uint32, s.PlaneLen())
	for z := range s.Z {
		if err := readLabelPlane(rg, z, got); err != nil {
			return "MISMATCH: " + err.Error(), false
		}
		if err := readLabelPlane(rr, z, ref); err != nil {
			return "no reference: " + err.Error(), false
		}
		var sm []float32
		var t float32
		for i := range ref {
			if got[i] == ref[i] {
				continue
			}
			if sm == nil {
				if in == nil {
					if in, err = tiff.Open(input); err != nil {
						return "error: " + err.Error(), false
					}
				}
				if sm, t, err = smoothPlane(ctx, in, z, s); err != nil {
					return "error: " + err.Error(), false
				}
			}
			if rel := math.Abs(float64(sm[i])-float64(t)) / math.Abs(float64(t)); rel > thresholdTol {
				return fmt.Sprintf("MISMATCH in plane %d at (%d, %d): %d, segstack %d, %.1e from the threshold", z, i/s.X, i%s.X, got[i], ref[i], rel), false
			}
			onThreshold++
		}
	}
	if onThreshold > 0 {
		what := "voxels"
		if onThreshold == 1 {
			what = "voxel"
		}
		return fmt.Sprintf("labels equal but for %d %s on the threshold (within %.0e of it)", onThreshold, what, thresholdTol), true
	}
	return "labels equal, voxel for voxel", true
}

// splitTarget evaluates the split goal on targetSize.
func (h *harness) splitTarget() {
	if len(h.res.Split) == 0 {
		return
	}
	t := Target{Name: "segstack --split watershed vs scipy + scikit-image, one core, " + targetSize,
		Want: fmt.Sprintf("≥ %d× faster (paired ratio of CPU seconds, one core each; the wall-time ratio is in the table)", splitTargetRatio), Status: "not measured"}
	for _, r := range h.res.Split {
		if r.Size != targetSize || r.Impl != splitImpls[1] {
			continue
		}
		if r.Timed && r.CPURatio > 0 {
			t.Got = r.CPURatio
			t.Status = map[bool]string{true: "met", false: "not met"}[r.CPURatio >= splitTargetRatio]
		} else {
			t.Status = "not measured: " + r.Check
		}
	}
	h.res.Targets = append(h.res.Targets, t)
}

// splitMarkdown renders the split phase for the report.
func splitMarkdown(res *Results, p func(string, ...any)) {
	if len(res.Split) == 0 {
		return
	}
	p("## Splitting touching nuclei, end to end\n\n")
	p("`segstack segment --split watershed` (its defaults: seeds at the peaks of the smoothed intensity, min distance 3, "+
		"watershed within the mask, objects of at least 20 pixels) against `bench/anchors/split_reference.py run`, the same "+
		"steps in scipy + scikit-image, on a stack of touching nuclei (`segstack gen --density %g`), per plane, one core each; "+
		"uint16 TIFF in, uint32 labels TIFF out (the stack passes 65535 objects), all I/O included. The labels were compared voxel for voxel before timing (voxels whose smoothed value lies within 1e-5 of the threshold may differ: the Gaussians agree to float32 rounding).\n\n", res.Config.SplitDensity)
	p("CPU = the process's user + system seconds: on a machine shared with other work it is the fairer measure of one " +
		"core's work, and the goal is judged on it; the wall-time ratio is given beside it.\n\n")
	p("| size | implementation | threads | check | wall (median) | CPU (median) | wall ÷ segstack | CPU ÷ segstack | peak RSS (MiB) |\n")
	p("|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range res.Split {
		chk := r.Check
		if r.Error != "" {
			chk += "; " + r.Error
		}
		rss := ""
		if r.PeakRSS > 0 {
			rss = fmt.Sprintf("%.0f", r.PeakRSS)
		}
		p("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Size, r.Impl, r.Threads, chk,
			fmtDur(r.MedianWall), fmtDur(r.MedianCPU), fmtRatio(r.Ratio), fmtRatio(r.CPURatio), rss)
	}
	p("\n")
	for _, r := range res.Split {
		if len(r.Stages) > 0 {
			p("segstack stages at %s (medians, seconds): %s.\n\n", r.Size, fmtStages(r.Stages))
		}
	}
}

// fmtStages lists stage timings in a fixed order.
func fmtStages(st map[string]float64) string {
	out := ""
	for _, k := range []string{"read", "gaussian", "threshold", "label", "split", "merge", "write"} {
		if v, ok := st[k]; ok && v > 0 {
			if out != "" {
				out += ", "
			}
			out += fmt.Sprintf("%s %s", k, fmtDur(v))
		}
	}
	return out
}
