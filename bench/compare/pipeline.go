package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
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
)

// pipelineCommand is the process that segments in into out with im.
func (h *harness) pipelineCommand(im impl, in, out, report string) command {
	w := strconv.Itoa(h.cfg.Workers)
	if im.Python == "" {
		c := command{Args: []string{h.segstack, "segment", in, "-o", out, "--workers", w,
			"--sigma", pipeSigma, "--threshold", pipeFrac + "max", "--connectivity", pipeConn,
			"--label-dtype", "uint32", "--force", "--quiet"}, Env: im.Env, Spawn: h.peakrss}
		if report != "" {
			c.Args = append(c.Args, "--report", report)
		}
		return c
	}
	return command{Args: []string{h.cfg.Python, filepath.Join(h.anchors, "pipeline_bench.py"),
		"--impl", im.Python, "--in", in, "--out", out, "--threads", w,
		"--sigma", pipeSigma, "--frac", pipeFrac, "--conn", pipeConn, "--dtype", "uint32"}, Spawn: h.peakrss}
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
	var refLabels []uint32
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
		got, err := readLabels(out)
		if err != nil {
			row.Check = "error: " + err.Error()
			continue
		}
		if im.Name == "segstack" {
			refLabels = got
			row.Check, row.ok = checkReference, true
		} else if refLabels == nil {
			row.Check = "not checked: segstack produced no reference"
		} else {
			row.Check, row.ok = checkPipelineLabels(ctx, got, refLabels, s, in)
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
	refLabels = nil
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

// readLabels reads a label TIFF (uint8, uint16 or uint32 planes) into one
// uint32 slice.
func readLabels(path string) ([]uint32, error) {
	r, err := tiff.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	sh := r.Shape()
	size := r.DType().Size()
	switch r.DType() {
	case stack.Uint8, stack.Uint16, stack.Uint32:
	default:
		return nil, fmt.Errorf("%s: labels of type %v", path, r.DType())
	}
	out := make([]uint32, 0, sh.Len())
	buf := make([]byte, r.PlaneBytes())
	for z := range sh.Z {
		if err := r.ReadPlaneInto(z, buf); err != nil {
			return nil, err
		}
		for i := 0; i < len(buf); i += size {
			switch size {
			case 1:
				out = append(out, uint32(buf[i]))
			case 2:
				out = append(out, uint32(binary.NativeEndian.Uint16(buf[i:])))
			default:
				out = append(out, binary.NativeEndian.Uint32(buf[i:]))
			}
		}
	}
	return out, nil
}

// thresholdTol is how near the threshold, relative to it, a smoothed value
// may be for the voxel to count as on the threshold.
const thresholdTol = 1e-5

// checkPipelineLabels compares per-plane labels with segstack's. Gaussians
// that agree to float32 rounding (1e-7 relative) can still put a voxel whose
// smoothed value is on the threshold on different sides of it; such voxels
// are allowed to differ, found by smoothing their plane again (segstack's
// Gaussian, sigma 1) and checking that the value is within thresholdTol of
// 0.33 of the plane's maximum. Every other voxel must be foreground in both
// or in neither, and the objects must be the same (numbering may differ).
func checkPipelineLabels(ctx context.Context, got, ref []uint32, s stack.Shape, input string) (string, bool) {
	if msg, ok := checkLabels(got, ref, s.PlaneLen()); ok {
		return msg, ok
	}
	if len(got) != len(ref) {
		return fmt.Sprintf("MISMATCH: %d voxels, want %d", len(got), len(ref)), false
	}
	var r *tiff.Reader
	defer func() {
		if r != nil {
			r.Close()
		}
	}()
	n := s.PlaneLen()
	onThreshold, worst := 0, 0.0
	g2, r2 := slices.Clone(got), slices.Clone(ref)
	for z := range s.Z {
		var diff []int
		for i := z * n; i < (z+1)*n; i++ {
			if (got[i] == 0) != (ref[i] == 0) {
				diff = append(diff, i-z*n)
			}
		}
		if len(diff) == 0 {
			continue
		}
		if r == nil {
			var err error
			if r, err = tiff.Open(input); err != nil {
				return "error: " + err.Error(), false
			}
		}
		sm, t, err := smoothPlane(ctx, r, z, s)
		if err != nil {
			return "error: " + err.Error(), false
		}
		for _, i := range diff {
			rel := math.Abs(float64(sm[i])-float64(t)) / math.Abs(float64(t))
			if rel > thresholdTol {
				return fmt.Sprintf("MISMATCH: plane %d voxel %d: foreground differs %.1e from the threshold", z, i, rel), false
			}
			worst = max(worst, rel)
			onThreshold++
			// Leave these voxels out of the comparison of objects.
			g2[z*n+i], r2[z*n+i] = 0, 0
		}
	}
	msg, ok := checkLabels(g2, r2, n)
	if !ok {
		return msg + " (besides voxels on the threshold)", false
	}
	return fmt.Sprintf("%s (%d voxels on the threshold differ, within %.0e of it; objects otherwise the same)",
		checkOK, onThreshold, math.Max(worst, 1e-9)), true
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
