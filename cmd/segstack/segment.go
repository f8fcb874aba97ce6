package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/segment"
	"github.com/spf13/cobra"
)

// segmentFlags are the flags of `segstack segment`.
type segmentFlags struct {
	output, sigma, threshold, connectivity, mode, labelDType, chunks string
	device, stats, preview, report, dashboard, labels                string
	workers, channel                                                 int
	unique, force, quiet                                             bool
	zf                                                               zarrFlags
	split                                                            splitFlags
	// engine runs the job on the distributed engine (engine.go).
	engine connFlags
}

func init() {
	var f segmentFlags
	cmd := &cobra.Command{
		Use:   "segment IN.tif -o LABELS.tif",
		Short: "Smooth, threshold and label a TIFF stack, plane by plane or in 3D",
		Long: `segment runs the reference workload on a TIFF stack, streamed plane by plane:

    smoothed  = gaussian(plane, sigma)          (reflect boundaries, truncate 4)
    threshold = 0.33 * max(smoothed)            (or otsu, or a value)
    labels    = label(smoothed > threshold)     (scipy.ndimage.label numbering)

and writes the labels as a TIFF stack (uint16 when every label fits, else
uint32), or as an OME-Zarr holding the image and, under labels/, its
labels (-o NAME.ome.zarr; see --format, --zarr-version, --compression),
with optional per-object statistics (CSV), a preview (PNG) and a run report
(JSON).

In 2d mode objects are numbered uniquely across the stack by default: each
plane's objects in scipy.ndimage.label's raster order, offset by the objects
of the planes before it, so that scikit-image, napari and Fiji, reading the
labels as one ZYX volume, see every object once. --labels per-plane numbers
every plane from 1 instead.

The --stats CSV has scikit-image's regionprops_table columns and values:
label, area, bbox-0.., centroid-0.., intensity_mean, intensity_max, then
intensity_min, plane (2d), and, when the input carries a pixel size with a
unit, area_um2 (2d) or volume_um3 (3d) and centroid_um-0.. (named with the
unit's symbol: um, nm, mm, ...). Coordinates are those of the plane in 2d
(Y, X) and of the volume in 3d (Z, Y, X); intensities are the raw input's.

With --mode 3d the stack is smoothed in 3-D, thresholded
against the whole volume and labelled across planes.

--split watershed splits touching nuclei, which labelling merges: the mask
(smoothed > threshold, holes filled with --fill-holes) is seeded at the
peaks of the smoothed intensity (--seeds intensity, the default) or of its
distance transform (--seeds distance), at least --min-distance pixels apart
(peak_local_max, one component at a time), flooded from the seeds by a
watershed of the negated surface within the mask, and objects outside
--min-size..--max-size are dropped; labels are then numbered, measured and
written as without it. Every step gives scipy's and scikit-image's result.
In 3d mode the split holds the volume in memory (about 26 bytes a voxel).

Memory stays proportional to the number of workers times a plane (times
the 2r+1 planes the Z kernel spans in 3-D mode, 9 for sigma 1), whatever
the size of the stack. Outputs appear only when
the run succeeds; on an error or Ctrl-C every partial output is removed.`,
		Example: `  segstack segment cells.tif -o labels.tif
  segstack segment cells.tif -o labels.tif --stats objects.csv --preview preview.png
  segstack segment cells.tif -o labels.tif --mode 3d --sigma 1,2,2 --connectivity 26
  segstack segment dense.tif -o labels.tif --split watershed --stats objects.csv
  segstack segment hyper.tif -o labels.tif --channel 1 --threshold otsu
  segstack segment cells.tif -o cells.ome.zarr --zarr-version 3
  segstack segment cells.ome.zarr -o cells.ome.zarr`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opt, err := f.options(cmd, args[0])
			if err != nil {
				return err
			}
			if f.engine.url != "" {
				return runEngineSegment(cmd, opt, &f.engine, f.quiet)
			}
			return runSegment(cmd, opt, f.quiet)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "", "labels TIFF, or OME-Zarr (.ome.zarr: the image with its labels under labels/), or Zarr array (.zarr) to write (required)")
	fl.StringVar(&f.sigma, "sigma", "1", "Gaussian sigma: one value for every axis the mode uses, or Y,X (2d) or Z,Y,X (3d)")
	fl.StringVar(&f.threshold, "threshold", "0.33max", "FRACTIONmax (of each plane's max, or the volume's in 3d), otsu, or a value")
	fl.StringVar(&f.connectivity, "connectivity", "", "4 or 8 in 2d (default 4); 6, 18 or 26 in 3d (default 6)")
	fl.StringVar(&f.mode, "mode", "2d", "2d: each plane on its own; 3d: the stack as one volume")
	addNumberingFlags(cmd, &f.labels, &f.unique)
	fl.StringVar(&f.labelDType, "label-dtype", "auto", "labels type: uint16, uint32, or auto (uint16 when every label fits)")
	fl.StringVar(&f.chunks, "chunks", "", "Z,Y,X work chunks: Z planes per 3d labelling slab (default 1), Y,X tiles for the Gaussian (default whole planes)")
	fl.IntVar(&f.workers, "workers", 0, "worker count (default GOMAXPROCS)")
	fl.StringVar(&f.device, "device", "auto", "auto, cpu or cuda[:N]")
	fl.IntVar(&f.channel, "channel", -1, "channel to segment in a multi-channel stack (0-based; required there)")
	fl.StringVar(&f.stats, "stats", "", "write one CSV row per object: scikit-image regionprops_table columns (label, area, bbox-*, centroid-*, intensity_mean/max/min), plane (2d), physical size and centroid when the input has a pixel size")
	fl.StringVar(&f.preview, "preview", "", "write a PNG montage of a few planes with coloured labels")
	fl.StringVar(&f.report, "report", "", "write a JSON report: stage timings, throughput, device, peak memory")
	fl.StringVar(&f.dashboard, "dashboard", "", "serve the scheduler's live dashboard on ADDR (e.g. localhost:8787) while running")
	fl.BoolVar(&f.force, "force", false, "overwrite existing outputs")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress bar or summary")
	f.zf.add(cmd, "zarr-chunks", true)
	fl.StringVar(&f.zf.imageCompression, "image-compression", "auto", "codec of the image copy in an OME-Zarr output (names as --compression); auto: --compression if given, else blosc-lz4")
	f.split.add(cmd)
	f.engine.add(cmd, "run on the distributed engine: nats://HOST:PORT of a NATS JetStream server with segstack workers, or embedded (a server and workers in this process); writes OME-Zarr (-o NAME.ome.zarr)")
	root.AddCommand(cmd)
}

// options validates the flags and turns them into segment.Options.
func (f *segmentFlags) options(cmd *cobra.Command, input string) (segment.Options, error) {
	opt := segment.DefaultOptions()
	if f.output == "" {
		return opt, errors.New("no output given: use -o LABELS.tif")
	}
	if err := checkInput(input); err != nil {
		return opt, err
	}
	var err error
	if opt.Mode, err = segment.ParseMode(f.mode); err != nil {
		return opt, err
	}
	if opt.Sigma, err = parseSigma(f.sigma, opt.Mode == segment.Mode3D); err != nil {
		return opt, err
	}
	if opt.Threshold, err = kernels.ParseThreshold(f.threshold); err != nil {
		return opt, err
	}
	if opt.Connectivity, err = segment.ParseConnectivity(f.connectivity, opt.Mode); err != nil {
		return opt, err
	}
	if opt.LabelDType, err = segment.ParseLabelDType(f.labelDType); err != nil {
		return opt, err
	}
	if f.chunks != "" {
		if opt.Chunks, err = segment.ParseChunks(f.chunks); err != nil {
			return opt, err
		}
	}
	if f.workers < 0 {
		return opt, fmt.Errorf("--workers %d: want a positive count (or 0 for GOMAXPROCS)", f.workers)
	}
	if opt.Numbering, err = numbering(cmd, f.labels, f.unique, opt.Mode); err != nil {
		return opt, err
	}
	if f.channel < -1 {
		return opt, fmt.Errorf("--channel %d: want 0 or more", f.channel)
	}
	if opt.Format, err = f.zf.outputFormat(f.output); err != nil {
		return opt, err
	}
	if opt.Zarr, err = f.zf.zarrOutput(f.zf.compression); err != nil {
		return opt, err
	}
	if opt.Split, err = f.split.options(cmd); err != nil {
		return opt, err
	}
	opt.Input, opt.Output = input, f.output
	opt.Stats, opt.Preview, opt.Report = f.stats, f.preview, f.report
	opt.Force = f.force
	opt.Workers, opt.Device, opt.Channel = f.workers, f.device, f.channel
	opt.Dashboard = f.dashboard
	return opt, nil
}

// addNumberingFlags adds --labels and its deprecated alias --unique-labels.
func addNumberingFlags(cmd *cobra.Command, labels *string, unique *bool) {
	fl := cmd.Flags()
	fl.StringVar(labels, "labels", "unique", "2d label numbering: unique (across the stack, each plane offset by the planes before) or per-plane (from 1 in every plane)")
	fl.BoolVar(unique, "unique-labels", false, "deprecated: unique numbering is the default (--labels unique)")
}

// numbering reads --labels and --unique-labels (a deprecated alias, which
// says so on stderr: true is --labels unique, false --labels per-plane).
func numbering(cmd *cobra.Command, labels string, unique bool, mode segment.Mode) (segment.Numbering, error) {
	n, err := segment.ParseNumbering(labels)
	if err != nil {
		return n, fmt.Errorf("--labels: %w", err)
	}
	if cmd.Flags().Changed("unique-labels") {
		fmt.Fprintln(cmd.ErrOrStderr(), "segstack: --unique-labels is deprecated: unique numbering is the default; use --labels unique or --labels per-plane")
		alias := segment.NumberPerPlane
		if unique {
			alias = segment.NumberUnique
		}
		if cmd.Flags().Changed("labels") && alias != n {
			return n, fmt.Errorf("--unique-labels=%v contradicts --labels %s", unique, labels)
		}
		n = alias
	}
	if n == segment.NumberPerPlane && mode == segment.Mode3D {
		return n, errors.New("--labels per-plane applies to 2d (per-plane) labelling; 3d labels are unique across the volume")
	}
	return n, nil
}

// parseSigma reads --sigma for a mode: one value for every axis, or Y,X in
// 2d, or Z,Y,X in 3d.
func parseSigma(s string, threeD bool) ([3]float64, error) {
	sig, err := segment.ParseSigma(s)
	if err != nil {
		return sig, err
	}
	n := len(strings.Split(s, ","))
	switch {
	case threeD && n == 2:
		return sig, fmt.Errorf("--sigma %q: 3d mode takes one value or Z,Y,X", s)
	case !threeD && n == 3:
		return sig, fmt.Errorf("--sigma %q: 2d mode takes one value or Y,X (use --mode 3d to smooth along Z)", s)
	}
	return sig, nil
}

// segmentHook, when not nil, may change a run's options just before it
// starts; tests use it to pace the input.
var segmentHook func(*segment.Options)

// runSegment runs the pipeline with a progress bar and prints a summary.
func runSegment(cmd *cobra.Command, opt segment.Options, quiet bool) error {
	bar := newProgress("planes", "planes", quiet)
	if opt.Mode == segment.Mode3D {
		bar = newProgress("3d passes", "planes", quiet)
	}
	opt.Progress = bar.update
	if !quiet {
		errw := cmd.ErrOrStderr()
		opt.OnDashboard = func(addr string) { fmt.Fprintf(errw, "dashboard: http://%s/\n", addr) }
	}
	if segmentHook != nil {
		segmentHook(&opt)
	}
	rep, err := segment.Run(cmd.Context(), opt)
	bar.finish()
	if err != nil {
		return err
	}
	if !quiet {
		w := cmd.OutOrStdout()
		fmt.Fprintf(w, "%s: %d planes %dx%d %s, %d objects (%s mode, labels %s) in %.2fs: %.1f MB/s, %.1f planes/s on %s with %d workers\n",
			opt.Input, rep.Shape[0], rep.Shape[1], rep.Shape[2], rep.InputDType, rep.Objects, rep.Mode, rep.LabelDType,
			rep.WallSeconds, rep.MBPerSecond, rep.PlanesPerSec, rep.Backend, rep.Workers)
		for _, o := range []struct{ what, path string }{{"labels", opt.Output}, {"stats", opt.Stats}, {"preview", opt.Preview}, {"report", opt.Report}} {
			if o.path != "" {
				fmt.Fprintf(w, "  %-8s %s\n", o.what+":", o.path)
			}
		}
	}
	return nil
}
