package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
)

// pipelineReply is what pipeline_bench.py prints.
type pipelineReply struct {
	Seconds       float64   `json:"seconds"`
	Objects       int64     `json:"objects"`
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
			"--label-dtype", "uint32", "--force", "--quiet"}, Env: im.Env}
		if report != "" {
			c.Args = append(c.Args, "--report", report)
		}
		return c
	}
	return command{Args: []string{h.cfg.Python, filepath.Join(h.anchors, "pipeline_bench.py"),
		"--impl", im.Python, "--in", in, "--out", out, "--threads", w,
		"--sigma", pipeSigma, "--frac", pipeFrac, "--conn", pipeConn, "--dtype", "uint32"}}
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
			row.Check, row.ok = checkLabels(got, refLabels, s.PlaneLen())
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
