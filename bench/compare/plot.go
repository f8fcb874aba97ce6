package main

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// plots draws base-kernels.png (throughput per kernel per implementation
// on the largest kernel size) and base-pipeline.png (end-to-end wall time
// against stack size, log-log) and returns the files written.
func (h *harness) plots(base string) (files []string, err error) {
	// gonum/plot panics on some degenerate inputs; a plot is not worth the
	// results it would take down with it.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("plot: %v", r)
		}
	}()
	if f, err := kernelPlot(h.res, base+"-kernels.png"); err != nil {
		return files, err
	} else if f != "" {
		files = append(files, f)
	}
	if f, err := pipelinePlot(h.res, base+"-pipeline.png"); err != nil {
		return files, err
	} else if f != "" {
		files = append(files, f)
	}
	return files, nil
}

func kernelPlot(res *Results, path string) (string, error) {
	// The largest size with timings.
	size, vox := "", 0
	for _, r := range res.Kernels {
		if r.Timed && r.Voxels > vox {
			size, vox = r.Size, r.Voxels
		}
	}
	if size == "" {
		return "", nil
	}
	var rows []KernelRow
	for _, r := range res.Kernels {
		if r.Size == size && r.Timed && r.MvoxPerS > 0 {
			rows = append(rows, r)
		}
	}
	kernels := uniq(rows, func(r KernelRow) string { return r.Kernel })
	impls := implOrder(uniq(rows, func(r KernelRow) string { return r.Impl }))

	p := plot.New()
	p.Title.Text = fmt.Sprintf("Kernel throughput, %s stack (higher is better)", size)
	p.Y.Label.Text = "Mvoxel/s"
	p.Legend.Top = true
	w := vg.Points(60 / float64(len(impls)+1))
	for i, im := range impls {
		vals := make(plotter.Values, len(kernels))
		for j, k := range kernels {
			for _, r := range rows {
				if r.Kernel == k && r.Impl == im {
					vals[j] = r.MvoxPerS
				}
			}
		}
		bars, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return "", err
		}
		bars.LineStyle.Width = 0
		bars.Color = plotutil.Color(i)
		bars.Offset = w * vg.Length(float64(i)-float64(len(impls)-1)/2)
		p.Add(bars)
		p.Legend.Add(im, bars)
	}
	p.NominalX(kernels...)
	p.Add(plotter.NewGrid())
	if err := p.Save(vg.Length(80+70*len(kernels))*vg.Points(1), 420, path); err != nil {
		return "", err
	}
	return path, nil
}

func pipelinePlot(res *Results, path string) (string, error) {
	impls := implOrder(uniq(res.Pipeline, func(r PipelineRow) string { return r.Impl }))
	p := plot.New()
	p.Title.Text = "End-to-end pipeline, TIFF in → labels TIFF out (lower is better)"
	p.X.Label.Text = "voxels in the stack"
	p.Y.Label.Text = "wall time per stack (s)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	p.Legend.Top, p.Legend.Left = true, true
	n := 0
	xmin, xmax, ymin, ymax := math.Inf(1), 0.0, math.Inf(1), 0.0
	for i, im := range impls {
		var xys plotter.XYs
		for _, r := range res.Pipeline {
			if r.Impl == im && r.Timed && r.MedianWall > 0 {
				xys = append(xys, plotter.XY{X: float64(r.Voxels), Y: r.MedianWall})
				xmin, xmax = min(xmin, float64(r.Voxels)), max(xmax, float64(r.Voxels))
				ymin, ymax = min(ymin, r.MedianWall), max(ymax, r.MedianWall)
			}
		}
		if len(xys) == 0 {
			continue
		}
		slices.SortFunc(xys, func(a, b plotter.XY) int { return int(a.X - b.X) })
		l, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return "", err
		}
		l.Color, pts.Color = plotutil.Color(i), plotutil.Color(i)
		pts.Shape = plotutil.Shape(i)
		p.Add(l, pts)
		p.Legend.Add(im, l, pts)
		n++
	}
	if n == 0 {
		return "", nil
	}
	// Explicit ranges: a single point would otherwise give a zero-width
	// range, which a log scale cannot draw.
	p.X.Min, p.X.Max = xmin/2, xmax*2
	p.Y.Min, p.Y.Max = ymin/2, ymax*2
	p.Add(plotter.NewGrid())
	if err := p.Save(640, 440, path); err != nil {
		return "", err
	}
	return path, nil
}
