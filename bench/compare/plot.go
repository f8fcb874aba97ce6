package main

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
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
	lo, hi := math.Inf(1), 0.0
	for _, r := range res.Kernels {
		if r.Size == size && r.Timed && r.MvoxPerS > 0 {
			rows = append(rows, r)
			lo, hi = min(lo, r.MvoxPerS), max(hi, r.MvoxPerS)
		}
	}
	kernels := uniq(rows, func(r KernelRow) string { return r.Kernel })
	impls := implOrder(uniq(rows, func(r KernelRow) string { return r.Impl }))

	p := plot.New()
	p.Title.Text = fmt.Sprintf("Kernel throughput, %s stack (higher is better)", size)
	p.Y.Label.Text = "Mvoxel/s (log scale)"
	// A log scale: the kernels' throughputs span four decades.
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	base := math.Pow(10, math.Floor(math.Log10(lo)))
	p.Y.Min, p.Y.Max = base, hi*8 // headroom for the legend
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.Padding = 2
	w := vg.Points(60 / float64(len(impls)+1))
	p.Add(plotter.NewGrid())
	for i, im := range impls {
		b := &logBars{base: base, width: w, color: implColor(im, i),
			offset: w * vg.Length(float64(i)-float64(len(impls)-1)/2)}
		for j, k := range kernels {
			for _, r := range rows {
				if r.Kernel == k && r.Impl == im {
					b.x = append(b.x, float64(j))
					b.y = append(b.y, r.MvoxPerS)
				}
			}
		}
		p.Add(b)
		p.Legend.Add(im, b)
	}
	p.NominalX(kernels...)
	p.X.Min, p.X.Max = -0.6, float64(len(kernels))-0.4
	if err := p.Save(vg.Length(80+70*len(kernels))*vg.Points(1), 440, path); err != nil {
		return "", err
	}
	return path, nil
}

// logBars draws bars from base up to each value, which plotter.BarChart
// cannot do on a log scale (its bars start at 0).
type logBars struct {
	x, y   []float64
	base   float64
	width  vg.Length
	offset vg.Length
	color  color.Color
}

// Plot implements plot.Plotter.
func (b *logBars) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	for i, x := range b.x {
		x0 := trX(x) + b.offset - b.width/2
		y0, y1 := trY(b.base), trY(b.y[i])
		c.FillPolygon(b.color, c.ClipPolygonY([]vg.Point{{X: x0, Y: y0}, {X: x0 + b.width, Y: y0},
			{X: x0 + b.width, Y: y1}, {X: x0, Y: y1}}))
	}
}

// Thumbnail implements plot.Thumbnailer for the legend.
func (b *logBars) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	c.FillPolygon(b.color, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}})
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
		l.Color, pts.Color = implColor(im, i), implColor(im, i)
		l.Width = vg.Points(1.5)
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
	p.Y.Min, p.Y.Max = ymin/2, ymax*6 // headroom for the legend
	p.Add(plotter.NewGrid())
	if err := p.Save(640, 440, path); err != nil {
		return "", err
	}
	return path, nil
}

// palette gives each implementation the same colour in every plot.
var palette = map[string]color.RGBA{
	"segstack":     {0xE1, 0x57, 0x59, 0xff},
	"segstack-1t":  {0xFF, 0x9D, 0xA7, 0xff},
	"scipy":        {0x4E, 0x79, 0xA7, 0xff},
	"skimage":      {0x76, 0xB7, 0xB2, 0xff},
	"opencv-1t":    {0x59, 0xA1, 0x4F, 0xff},
	"opencv-all":   {0xED, 0xC9, 0x48, 0xff},
	"opencv":       {0x59, 0xA1, 0x4F, 0xff},
	"dask-delayed": {0xB0, 0x7A, 0xA1, 0xff},
	"dask-cluster": {0x9C, 0x75, 0x5F, 0xff},
}

func implColor(name string, i int) color.Color {
	if c, ok := palette[name]; ok {
		return c
	}
	return plotutil.Color(i)
}
