package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/segstack/segstack/segment"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/synth"
	"github.com/segstack/segstack/stack/tiff"
	"github.com/spf13/cobra"
)

func init() {
	var (
		out, shape, labels string
		seed               uint64
		quiet, unique      bool
		density            float64
		split              splitFlags
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Segment a generated stack and write every output into a folder",
		Long: `demo generates a synthetic stack of nuclei in memory, segments it with the
reference workload (Gaussian sigma 1, threshold 0.33 x each plane's max,
connectivity 4), prints the objects found in each plane, and writes the
input stack, the labels (numbered uniquely across the stack unless
--labels per-plane), the per-object statistics (scikit-image's
regionprops_table columns), a preview and a run report into --out (created
if needed; files in it are overwritten). --density packs the nuclei so that
they touch (the fraction of the volume they fill, up to 0.6); the demo then
also prints how many nuclei are truly there. --split watershed (and its
flags, as on segment) splits touching nuclei:

    segstack demo --density 0.45 --split watershed`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := stack.ParseShape(shape)
			if err != nil {
				return fmt.Errorf("--shape: %w", err)
			}
			if int64(s.Len()) > 1<<30 {
				return fmt.Errorf("--shape %v: the demo keeps the stack in memory; use gen and segment for large stacks", s)
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "generating a %d x %d x %d uint16 stack of nuclei (seed %d, density %g)\n", s.Z, s.Y, s.X, seed, density)
			vol, err := synth.NucleiDense(s, seed, density)
			if err != nil {
				return fmt.Errorf("--density: %w", err)
			}
			input := filepath.Join(out, "input.tif")
			if err := tiff.WriteVolume(cmd.Context(), input, vol, tiff.WriterOptions{}); err != nil {
				return err
			}

			opt := segment.DefaultOptions()
			opt.Input = input
			opt.Source = segment.VolumeSource(vol)
			opt.Output = filepath.Join(out, "labels.tif")
			opt.Stats = filepath.Join(out, "objects.csv")
			opt.Preview = filepath.Join(out, "preview.png")
			opt.Report = filepath.Join(out, "report.json")
			opt.Force = true
			if opt.Numbering, err = numbering(cmd, labels, unique, opt.Mode); err != nil {
				return err
			}
			if opt.Split, err = split.options(cmd); err != nil {
				return err
			}
			bar := newProgress("planes", "planes", quiet)
			opt.Progress = bar.update
			rep, err := segment.Run(cmd.Context(), opt)
			bar.finish()
			if err != nil {
				return err
			}

			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "plane\tobjects\tthreshold\t")
			for z, n := range rep.Counts {
				fmt.Fprintf(tw, "%d\t%d\t%.1f\t\n", z, n, rep.Thresholds[z])
			}
			tw.Flush()
			fmt.Fprintf(w, "%d objects in %d planes in %.3fs (%.1f MB/s, %.1f planes/s) on %s, %d workers, peak RSS %.0f MiB\n",
				rep.Objects, s.Z, rep.WallSeconds, rep.MBPerSecond, rep.PlanesPerSec, rep.Backend, rep.Workers, float64(rep.PeakRSSBytes)/(1<<20))
			if density > 0 {
				minSize := demoMinSize
				if opt.Split.Method != segment.SplitNone {
					minSize = max(1, opt.Split.MinSize)
				}
				if err := printTruth(w, s, seed, density, &rep, minSize); err != nil {
					return err
				}
			}
			fmt.Fprintf(w, "wrote %s/: input.tif, labels.tif (%s labels), objects.csv, preview.png, report.json\n", filepath.Clean(out), rep.LabelDType)
			fmt.Fprintf(w, "next: segstack segment YOUR.tif -o labels.tif --stats objects.csv --preview preview.png\n")
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&out, "out", "segstack-demo", "folder for the outputs")
	fl.StringVar(&shape, "shape", "16,512,512", "stack shape Z,Y,X")
	fl.Uint64Var(&seed, "seed", 1, "random seed")
	fl.BoolVarP(&quiet, "quiet", "q", false, "no progress bar")
	fl.Float64Var(&density, "density", 0, "fraction of the volume the nuclei fill, packed so they touch (0 < D <= 0.6); 0: the sparse default")
	addNumberingFlags(cmd, &labels, &unique)
	split.add(cmd)
	root.AddCommand(cmd)
}

// demoMinSize is the smallest nucleus section, in pixels, that the demo
// counts as a true object.
const demoMinSize = 20

// printTruth prints how many objects a segmentation of the dense stack
// should find, next to how many rep found: the sections of at least minSize
// pixels of the ground truth (synth.Truth) at the brightness the run's
// threshold sees (its mean threshold less the background).
func printTruth(w io.Writer, s stack.Shape, seed uint64, density float64, rep *segment.Report, minSize int) error {
	var thr float64
	for _, t := range rep.Thresholds {
		thr += float64(t)
	}
	level := thr/float64(max(1, len(rep.Thresholds))) - synth.Background
	truth, err := synth.Truth(s, seed, density, level)
	if err != nil {
		return err
	}
	perPlane, volume := synth.CountObjects(truth, minSize)
	want := volume
	if rep.Mode == "2d" {
		want = 0
		for _, n := range perPlane {
			want += n
		}
	}
	fmt.Fprintf(w, "ground truth: %d nuclei of at least %d pixels above the threshold; found %d (%.1f%%)\n",
		want, minSize, rep.Objects, 100*float64(rep.Objects)/float64(max(1, want)))
	return nil
}
