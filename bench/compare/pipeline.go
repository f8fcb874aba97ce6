package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
)

// pipelineReply is what pipeline_bench.py prints.
type pipelineReply struct {
	Seconds       float64   `json:"seconds"`
	Objects       int64     `json:"objects"`
	SelfPeakRSS   float64   `json:"self_peak_rss_mb"`
	WorkerPeakRSS []float64 `json:"worker_peak_rss_mb"`
}

// segstackReport is the part of `segstack segment --report` the harness
// reads.
type segstackReport struct {
	Objects      int64              `json:"objects"`
	Stages       map[string]float64 `json:"stage_seconds"`
	WallSeconds  float64            `json:"wall_seconds"`
	PeakRSSBytes int64              `json:"peak_rss_bytes"`
	Backend      string             `json:"backend"`
	LabelDType   string             `json:"label_dtype"`
}

// pipeline workload parameters: the reference workload of DESIGN.md.
const (
	pipeSigma = "1"
	pipeFrac  = "0.33"
	pipeConn  = "4"
	// pipeDType is the workload's label type: uint16 when every label of
	// the stack fits, else uint32 (segstack's default), in every
	// implementation.
	pipeDType = "auto"
)

// pipelineCommand is the process that segments in into out with im.
func (h *harness) pipelineCommand(im impl, in, out, report string) command {
	w := strconv.Itoa(h.cfg.Workers)
	if im.Python == "" {
		c := command{Args: []string{h.segstack, "segment", in, "-o", out, "--workers", w,
			"--sigma", pipeSigma, "--threshold", pipeFrac + "max", "--connectivity", pipeConn,
			"--label-dtype", pipeDType, "--force", "--quiet"}, Env: im.Env, Spawn: h.peakrss}
		if report != "" {
			c.Args = append(c.Args, "--report", report)
		}
		return c
	}
	return command{Args: []string{h.cfg.Python, filepath.Join(h.anchors, "pipeline_bench.py"),
		"--impl", im.Python, "--in", in, "--out", out, "--threads", w,
		"--sigma", pipeSigma, "--frac", pipeFrac, "--conn", pipeConn, "--dtype", pipeDType}, Spawn: h.peakrss}
}

// pipelinePhase checks and times the end-to-end pipeline on one size.
func (h *harness) pipelinePhase(ctx context.Context, s stack.Shape) error {
	in, err := h.input(ctx, s)
	if err != nil {
		return err
	}
	dir := filepath.Join(h.work, "pipeline-"+s.String())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	var impls []impl
	for _, im := range h.impls {
		if im.Pipeline {
			impls = append(impls, im)
		}
	}
	rows := map[string]*PipelineRow{}
	var order []string
	ref := filepath.Join(dir, "ref.tif")
	haveRef := false
	report := filepath.Join(dir, "report.json")

	for _, im := range impls {
		out := filepath.Join(dir, "check-"+im.Name+".tif")
		if im.Name == "segstack" {
			out = ref
		}
		c := h.pipelineCommand(im, in, out, report)
		row := &PipelineRow{Size: s.String(), Voxels: s.Len(), Impl: im.Name, Threads: im.Threads,
			Command: c.String()}
		h.addCommand(c)
		rows[im.Name] = row
		order = append(order, im.Name)
		h.logf("pipeline %v: checking %s", s, im.Name)
		if _, err := c.run(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			row.Check = "error: " + err.Error()
			continue
		}
		if im.Name == "segstack" {
			haveRef = true
			row.Check, row.ok = checkReference, true
		} else if !haveRef {
			row.Check = "not checked: segstack produced no reference"
		} else {
			row.Check, row.ok = checkPipeline(ctx, out, ref, in, s)
		}
		if out != ref {
			os.Remove(out)
		}
		row.Timed = row.ok
		if row.ok {
			row.Wall = make([]float64, h.cfg.Repeat)
			row.InProcess = make([]float64, h.cfg.Repeat)
		}
	}
	os.Remove(ref)

	stages := map[string][]float64{}
	for r := range h.cfg.Repeat {
		for _, im := range rounds(impls, r) {
			row := rows[im.Name]
			if row == nil || !row.ok {
				continue
			}
			out := filepath.Join(dir, "out-"+im.Name+".tif")
			h.logf("pipeline %v: round %d/%d %s", s, r+1, h.cfg.Repeat, im.Name)
			c := h.pipelineCommand(im, in, out, report)
			p, err := c.run(ctx)
			os.Remove(out)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				row.Error = fmt.Sprintf("round %d: %v", r+1, err)
				continue
			}
			row.Wall[r] = p.Wall.Seconds()
			row.PeakRSS = max(row.PeakRSS, p.PeakRSS)
			if im.Python == "" {
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
			} else {
				var rep pipelineReply
				if err := json.Unmarshal(lastLine(p.Stdout), &rep); err != nil {
					row.Error = fmt.Sprintf("round %d: reply: %v", r+1, err)
					continue
				}
				row.InProcess[r] = rep.Seconds
				row.SelfPeakRSS = max(row.SelfPeakRSS, rep.SelfPeakRSS)
				if len(rep.WorkerPeakRSS) > 0 {
					row.WorkerPeakRSS = rep.WorkerPeakRSS
				}
			}
		}
	}
	for _, name := range order {
		row := rows[name]
		if row.ok {
			row.MedianWall = median(nonZero(row.Wall))
			row.MedianInProcess = median(nonZero(row.InProcess))
			if ref := rows["segstack"]; ref != nil && name != "segstack" {
				row.Ratio = pairRatio(row.Wall, ref.Wall)
			}
			if name == "segstack" && len(stages) > 0 {
				row.Stages = map[string]float64{}
				for k, v := range stages {
					row.Stages[k] = median(v)
				}
			}
		}
		h.res.Pipeline = append(h.res.Pipeline, *row)
	}
	return nil
}

func lastLine(b []byte) []byte {
	end := len(b)
	for end > 0 && (b[end-1] == '\n' || b[end-1] == '\r') {
		end--
	}
	i := end - 1
	for i >= 0 && b[i] != '\n' {
		i--
	}
	return b[i+1 : end]
}

// thresholdTol is how near the threshold, relative to it, a smoothed value
// may be for the voxel to count as on the threshold.
const thresholdTol = 1e-5

// checkPipeline compares the per-plane labels in the TIFF at gotPath with
// segstack's at refPath, a plane at a time. Gaussians that agree to float32
// rounding (1e-7 relative) can still put a voxel whose smoothed value is on
// the threshold on different sides of it; such voxels are allowed to differ,
// found by smoothing their plane of the input again (segstack's Gaussian,
// sigma 1) and checking that the value is within thresholdTol of 0.33 of the
// plane's maximum. Every other voxel must be foreground in both or in
// neither, and the objects must be the same (numbering may differ).
func checkPipeline(ctx context.Context, gotPath, refPath, input string, s stack.Shape) (string, bool) {
	open := func(p string) (*tiff.Reader, error) {
		r, err := tiff.Open(p)
		if err == nil && r.Shape() != s {
			r.Close()
			err = fmt.Errorf("%s: shape %v, want %v", filepath.Base(p), r.Shape(), s)
		}
		return r, err
	}
	rg, err := open(gotPath)
	if err != nil {
		return "MISMATCH: " + err.Error(), false
	}
	defer rg.Close()
	rr, err := open(refPath)
	if err != nil {
		return "no reference: " + err.Error(), false
	}
	defer rr.Close()
	var in *tiff.Reader
	defer func() {
		if in != nil {
			in.Close()
		}
	}()
	n := s.PlaneLen()
	got, ref := make([]uint32, n), make([]uint32, n)
	renumbered, onThreshold, worst := false, 0, 0.0
	for z := range s.Z {
		if err := readLabelPlane(rg, z, got); err != nil {
			return "MISMATCH: " + err.Error(), false
		}
		if err := readLabelPlane(rr, z, ref); err != nil {
			return "no reference: " + err.Error(), false
		}
		msg, ok := checkLabels(got, ref, 0)
		if !ok {
			var diff []int
			for i := range ref {
				if (got[i] == 0) != (ref[i] == 0) {
					diff = append(diff, i)
				}
			}
			if len(diff) == 0 {
				return fmt.Sprintf("MISMATCH in plane %d: %s", z, msg), false
			}
			if in == nil {
				if in, err = tiff.Open(input); err != nil {
					return "error: " + err.Error(), false
				}
			}
			sm, t, err := smoothPlane(ctx, in, z, s)
			if err != nil {
				return "error: " + err.Error(), false
			}
			for _, i := range diff {
				rel := math.Abs(float64(sm[i])-float64(t)) / math.Abs(float64(t))
				if rel > thresholdTol {
					return fmt.Sprintf("MISMATCH in plane %d: %d voxels differ in foreground, one %.1e from the threshold",
						z, len(diff), rel), false
				}
				worst = max(worst, rel)
				// Leave the voxel out of the comparison of objects.
				got[i], ref[i] = 0, 0
			}
			onThreshold += len(diff)
			if msg, ok = checkLabels(got, ref, 0); !ok {
				return fmt.Sprintf("MISMATCH in plane %d besides %d voxels on the threshold: %s", z, len(diff), msg), false
			}
		}
		renumbered = renumbered || msg == checkRenumber
	}
	switch {
	case onThreshold > 0:
		what := "voxels"
		if onThreshold == 1 {
			what = "voxel"
		}
		return fmt.Sprintf("%s (%d %s on the threshold differ, within %.0e of it; objects otherwise the same)",
			checkOK, onThreshold, what, math.Max(worst, 1e-9)), true
	case renumbered:
		return checkRenumber, true
	}
	return checkOK, true
}

// readLabelPlane reads plane z of a uint8, uint16 or uint32 TIFF into dst.
func readLabelPlane(r *tiff.Reader, z int, dst []uint32) error {
	switch r.DType() {
	case stack.Uint32:
		return tiff.ReadPlane(r, z, dst)
	case stack.Uint16:
		buf := make([]uint16, len(dst))
		if err := tiff.ReadPlane(r, z, buf); err != nil {
			return err
		}
		for i, v := range buf {
			dst[i] = uint32(v)
		}
		return nil
	case stack.Uint8:
		buf := make([]uint8, len(dst))
		if err := tiff.ReadPlane(r, z, buf); err != nil {
			return err
		}
		for i, v := range buf {
			dst[i] = uint32(v)
		}
		return nil
	}
	return fmt.Errorf("labels of type %v", r.DType())
}

// smoothPlane returns plane z of the input smoothed with sigma 1 and the
// pipeline's threshold for it.
func smoothPlane(ctx context.Context, r *tiff.Reader, z int, s stack.Shape) ([]float32, float32, error) {
	raw := make([]uint16, s.PlaneLen())
	if err := tiff.ReadPlane(r, z, raw); err != nil {
		return nil, 0, err
	}
	ps := stack.Shape{Z: 1, Y: s.Y, X: s.X}
	src := stack.New[float32](ps)
	kernels.ToFloat32(src.Data, raw)
	dst := stack.New[float32](ps)
	m, err := kernels.Gaussian(ctx, dst, src, kernels.GaussianOptions{Sigma: [3]float64{0, 1, 1}})
	if err != nil {
		return nil, 0, err
	}
	return dst.Data, float32(0.33 * float64(m)), nil
}
