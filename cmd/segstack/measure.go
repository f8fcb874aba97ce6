package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/segstack/segstack/internal/outfile"
	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/segment"
	"github.com/segstack/segstack/stack"
	"github.com/spf13/cobra"
)

// measureSpec is what segstack measure computes.
type measureSpec struct {
	what        kernels.MeasureSet
	findObjects bool
	index       []uint32 // nil: 1..max label
	histogram   bool
	histMin     float64
	histMax     float64
	histBins    int
}

func init() {
	var (
		intensity, output, stats, index, histogram string
		channel                                    int
		force                                      bool
	)
	cmd := &cobra.Command{
		Use:   "measure LABELS --intensity IMAGE -o STATS.csv",
		Short: "Per-label statistics of an image, as scipy.ndimage's measurements",
		Long: `measure writes one CSV row per label with the statistics of the intensity
image over that label, as the scipy.ndimage functions of the same names
compute them (dask_image.ndmeasure gives the same):

  sum, mean, variance, standard_deviation, minimum, maximum, median,
  minimum_position, maximum_position, center_of_mass, find_objects,
  extrema (minimum, maximum and both positions), all (the default)

Columns: label, count (voxels), then the statistics asked for; positions,
centres of mass and find_objects boxes take one column per axis (Y, X for a
single plane, Z, Y, X for a stack): minimum_position-0, ..., and for
find_objects the lower corner then the upper one, half-open
(find_objects-0..2 lower, -3..5 upper in 3-D). --histogram MIN,MAX,BINS adds
scipy.ndimage.histogram's counts as histogram-0, ... Labels without voxels
get scipy's values (nan for mean, variance and center_of_mass, 0 for sums,
extrema and positions; empty histogram and find_objects cells).

Both stacks are read into memory; the statistics come from one parallel
pass over them (two with variance or standard_deviation, and a grouping
pass for median and histogram).`,
		Example: `  segstack measure labels.tif --intensity cells.tif -o stats.csv
  segstack measure labels.tif --intensity cells.tif -o stats.csv --stats mean,standard_deviation,center_of_mass
  segstack measure out.ome.zarr/labels/cells --intensity out.ome.zarr -o stats.csv --index 1,2,5 --histogram 0,4096,16`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if intensity == "" {
				return errors.New("no intensity image given: use --intensity IMAGE")
			}
			if output == "" {
				return errors.New("no output given: use -o STATS.csv")
			}
			spec, err := parseMeasureFlags(stats, index, histogram)
			if err != nil {
				return err
			}
			for _, in := range []string{args[0], intensity} {
				if err := checkInput(in); err != nil {
					return err
				}
			}
			if err := checkOutput(output, force); err != nil {
				return err
			}
			ctx := cmd.Context()
			labSrc, closeLab, err := segment.OpenSource(args[0], -1)
			if err != nil {
				return err
			}
			defer closeLab()
			imgSrc, closeImg, err := segment.OpenSource(intensity, channel)
			if err != nil {
				return err
			}
			defer closeImg()
			if labSrc.Shape() != imgSrc.Shape() {
				return fmt.Errorf("labels %s (%v) and intensity %s (%v) differ in shape", args[0], labSrc.Shape(), intensity, imgSrc.Shape())
			}
			labels, err := readLabelStack(ctx, labSrc)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			f, err := outfile.Create(output)
			if err != nil {
				return err
			}
			defer f.Abort() // after Commit, a no-op
			w := bufio.NewWriter(f)
			if err := measureSource(ctx, w, labels, imgSrc, spec); err != nil {
				return err
			}
			if err := w.Flush(); err != nil {
				return err
			}
			return f.Commit()
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&intensity, "intensity", "", "intensity image (TIFF, .zarr or .ome.zarr) of the labels' shape (required)")
	fl.StringVarP(&output, "output", "o", "", "CSV file to write (required)")
	fl.StringVar(&stats, "stats", "all", "comma-separated scipy.ndimage measurements, extrema, find_objects or all")
	fl.StringVar(&index, "index", "", "comma-separated labels to report, 0 (background) allowed (default every label 1..max)")
	fl.StringVar(&histogram, "histogram", "", "MIN,MAX,BINS: add scipy.ndimage.histogram's counts")
	fl.IntVar(&channel, "channel", -1, "channel of a multi-channel intensity image (0-based; required there)")
	fl.BoolVar(&force, "force", false, "overwrite an existing output")
	root.AddCommand(cmd)
}

// parseMeasureFlags reads --stats, --index and --histogram.
func parseMeasureFlags(stats, index, histogram string) (measureSpec, error) {
	var spec measureSpec
	var names []string
	for _, n := range strings.Split(stats, ",") {
		switch n = strings.TrimSpace(n); n {
		case "find_objects":
			spec.findObjects = true
		case "all":
			spec.findObjects = true
			names = append(names, n)
		default:
			names = append(names, n)
		}
	}
	if len(names) > 0 {
		w, err := kernels.ParseMeasureSet(strings.Join(names, ","))
		if err != nil {
			return spec, fmt.Errorf("--stats: %w", err)
		}
		spec.what = w
	}
	if index != "" {
		spec.index = []uint32{}
		for _, f := range strings.Split(index, ",") {
			v, err := strconv.ParseUint(strings.TrimSpace(f), 10, 32)
			if err != nil {
				return spec, fmt.Errorf("--index %q: want comma-separated labels (0 to %d)", index, uint32(math.MaxUint32))
			}
			spec.index = append(spec.index, uint32(v))
		}
	}
	if histogram != "" {
		p := strings.Split(histogram, ",")
		var err error
		if len(p) == 3 {
			spec.histMin, err = strconv.ParseFloat(strings.TrimSpace(p[0]), 64)
			if err == nil {
				spec.histMax, err = strconv.ParseFloat(strings.TrimSpace(p[1]), 64)
			}
			if err == nil {
				spec.histBins, err = strconv.Atoi(strings.TrimSpace(p[2]))
			}
		}
		if len(p) != 3 || err != nil {
			return spec, fmt.Errorf("--histogram %q: want MIN,MAX,BINS", histogram)
		}
		if _, err := kernels.HistogramEdges(spec.histMin, spec.histMax, spec.histBins); err != nil {
			return spec, fmt.Errorf("--histogram %q: %w", histogram, err)
		}
		spec.histogram = true
	}
	return spec, nil
}

// readVolumeOf reads every plane of src as T.
func readVolumeOf[T stack.Elem](ctx context.Context, src segment.Source) (*stack.Volume[T], error) {
	v := stack.New[T](src.Shape())
	for z := range v.Shape.Z {
		if err := segment.ReadPlaneOf(ctx, src, z, v.Plane(z)); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// readLabelStack reads a label stack of any integer type as uint32.
func readLabelStack(ctx context.Context, src segment.Source) (*stack.Volume[uint32], error) {
	switch dt := src.DType(); dt {
	case stack.Uint32:
		return readVolumeOf[uint32](ctx, src)
	case stack.Uint8:
		return widenLabels[uint8](ctx, src)
	case stack.Uint16:
		return widenLabels[uint16](ctx, src)
	case stack.Int16:
		return widenLabels[int16](ctx, src)
	case stack.Int32:
		return widenLabels[int32](ctx, src)
	default:
		return nil, fmt.Errorf("labels are %s samples, want an integer type", dt)
	}
}

func widenLabels[T stack.Elem](ctx context.Context, src segment.Source) (*stack.Volume[uint32], error) {
	v, err := readVolumeOf[T](ctx, src)
	if err != nil {
		return nil, err
	}
	out := stack.New[uint32](v.Shape)
	for i, l := range v.Data {
		if l < 0 {
			return nil, fmt.Errorf("negative label %v", l)
		}
		out.Data[i] = uint32(l)
	}
	return out, nil
}

// measureSource reads the intensity image in its own type and writes the
// measurements as CSV.
func measureSource(ctx context.Context, w io.Writer, labels *stack.Volume[uint32], src segment.Source, spec measureSpec) error {
	switch dt := src.DType(); dt {
	case stack.Uint8:
		return measureStack[uint8](ctx, w, labels, src, spec)
	case stack.Uint16:
		return measureStack[uint16](ctx, w, labels, src, spec)
	case stack.Int16:
		return measureStack[int16](ctx, w, labels, src, spec)
	case stack.Uint32:
		return measureStack[uint32](ctx, w, labels, src, spec)
	case stack.Int32:
		return measureStack[int32](ctx, w, labels, src, spec)
	default:
		// float32, and float64 read through float32 as every command does.
		return measureStack[float32](ctx, w, labels, src, spec)
	}
}

func measureStack[T stack.Elem](ctx context.Context, w io.Writer, labels *stack.Volume[uint32], src segment.Source, spec measureSpec) error {
	img, err := readVolumeOf[T](ctx, src)
	if err != nil {
		return err
	}
	return writeMeasureCSV(ctx, w, labels, img, spec)
}

// writeMeasureCSV measures img over labels and writes the CSV.
func writeMeasureCSV[T stack.Elem](ctx context.Context, w io.Writer, labels *stack.Volume[uint32], img *stack.Volume[T], spec measureSpec) error {
	index := spec.index
	if index == nil {
		var err error
		if index, err = kernels.AllLabels(ctx, labels); err != nil {
			return err
		}
	}
	m, err := kernels.Measure(ctx, labels, img, index, spec.what)
	if err != nil {
		return err
	}
	var boxes []stack.Box
	if spec.findObjects {
		hi := uint32(0)
		for _, l := range index {
			hi = max(hi, l)
		}
		if hi > 0 {
			if boxes, err = kernels.FindObjects(ctx, labels, int(hi)); err != nil {
				return err
			}
		}
	}
	var hist [][]int64
	if spec.histogram {
		if hist, err = kernels.HistogramLabels(ctx, labels, img, spec.histMin, spec.histMax, spec.histBins, index); err != nil {
			return err
		}
	}
	ndim := 3
	if labels.Shape.Z == 1 {
		ndim = 2
	}
	axes := func(name string, n int) []string {
		var h []string
		for i := range n {
			h = append(h, name+"-"+strconv.Itoa(i))
		}
		return h
	}
	head := []string{"label", "count"}
	var scalars [][]float64
	for _, c := range []struct {
		bit  kernels.MeasureSet
		name string
		vals []float64
	}{
		{kernels.MeasureSum, "sum", m.Sum}, {kernels.MeasureMean, "mean", m.Mean},
		{kernels.MeasureVariance, "variance", m.Variance}, {kernels.MeasureStandardDeviation, "standard_deviation", m.StandardDeviation},
		{kernels.MeasureMinimum, "minimum", m.Minimum}, {kernels.MeasureMaximum, "maximum", m.Maximum},
		{kernels.MeasureMedian, "median", m.Median},
	} {
		if spec.what&c.bit != 0 {
			head = append(head, c.name)
			scalars = append(scalars, c.vals)
		}
	}
	if m.MinimumPosition != nil {
		head = append(head, axes("minimum_position", ndim)...)
	}
	if m.MaximumPosition != nil {
		head = append(head, axes("maximum_position", ndim)...)
	}
	if m.CenterOfMass != nil {
		head = append(head, axes("center_of_mass", ndim)...)
	}
	if spec.findObjects {
		head = append(head, axes("find_objects", 2*ndim)...)
	}
	if spec.histogram {
		head = append(head, axes("histogram", spec.histBins)...)
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, strings.Join(head, ","))
	num := csvFloat
	row := make([]string, 0, len(head))
	for i, l := range index {
		if err := ctx.Err(); err != nil {
			return err
		}
		row = append(row[:0], strconv.FormatUint(uint64(l), 10), strconv.FormatInt(m.Count[i], 10))
		for _, s := range scalars {
			row = append(row, num(s[i]))
		}
		for _, p := range [][][3]int{m.MinimumPosition, m.MaximumPosition} {
			if p != nil {
				for _, c := range p[i][3-ndim:] {
					row = append(row, strconv.Itoa(c))
				}
			}
		}
		if m.CenterOfMass != nil {
			for _, c := range m.CenterOfMass[i][3-ndim:] {
				row = append(row, num(c))
			}
		}
		if spec.findObjects {
			var b stack.Box
			if l > 0 && boxes != nil {
				b = boxes[l-1]
			}
			if b.Hi[2] > b.Lo[2] {
				for _, c := range slices.Concat(b.Lo[3-ndim:], b.Hi[3-ndim:]) {
					row = append(row, strconv.Itoa(c))
				}
			} else {
				for range 2 * ndim {
					row = append(row, "")
				}
			}
		}
		if spec.histogram {
			if h := hist[i]; h != nil {
				for _, c := range h {
					row = append(row, strconv.FormatInt(c, 10))
				}
			} else {
				for range spec.histBins {
					row = append(row, "")
				}
			}
		}
		fmt.Fprintln(bw, strings.Join(row, ","))
	}
	return bw.Flush()
}

// csvFloat writes v as Python's repr writes a float: the shortest digits
// that read back the same value, positional from 1e-4 to 1e16, and nan,
// inf, -inf.
func csvFloat(v float64) string {
	switch a := math.Abs(v); {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	case a == 0 || a >= 1e-4 && a < 1e16:
		s := strconv.FormatFloat(v, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	default:
		return strconv.FormatFloat(v, 'e', -1, 64)
	}
}
