package main

import (
	"fmt"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/segment"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
	"github.com/spf13/cobra"
)

func init() {
	var (
		output, threshold string
		foreground        int
		channel           int
		force, quiet      bool
	)
	cmd := &cobra.Command{
		Use:   "threshold IN.tif -o MASK.tif",
		Short: "Threshold each plane of a TIFF stack into a uint8 mask",
		Long: `threshold writes a uint8 mask stack: --foreground (255 by default, ImageJ's
binary convention; use --foreground 1 for a 0/1 mask as numpy's "img > t"
gives) where a pixel is strictly greater than the threshold, 0 elsewhere.

The threshold is computed per plane: FRACTIONmax is that fraction of the
plane's maximum, otsu is Otsu's threshold of the plane (256 bins, as
skimage.filters.threshold_otsu), and a number is used as it is. The input is
not smoothed: run gaussian first, or use segment, which does both.`,
		Example: `  segstack threshold smooth.tif -o mask.tif --threshold otsu
  segstack threshold smooth.tif -o mask01.tif --threshold 0.33max --foreground 1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := kernels.ParseThreshold(threshold)
			if err != nil {
				return err
			}
			if foreground < 1 || foreground > 255 {
				return fmt.Errorf("--foreground %d: want 1 to 255", foreground)
			}
			if err := checkInput(args[0]); err != nil {
				return err
			}
			if err := checkOutput(output, force); err != nil {
				return err
			}
			src, closeSrc, err := segment.OpenTIFF(args[0], channel)
			if err != nil {
				return err
			}
			defer closeSrc()
			s := src.Shape()
			w, err := tiff.Create(output, tiff.WriterOptions{Shape: s, DType: stack.Uint8})
			if err != nil {
				return err
			}
			defer w.Abort()
			ctx := cmd.Context()
			ps := stack.Shape{Z: 1, Y: s.Y, X: s.X}
			in, mask := stack.New[float32](ps), stack.New[uint8](ps)
			bar := newProgress("planes", "planes", quiet)
			for z := range s.Z {
				if err := src.ReadPlane(ctx, z, in.Data); err != nil {
					return err
				}
				m, err := kernels.Max(ctx, in)
				if err != nil {
					return err
				}
				t := spec.Resolve(in.Data, m)
				if err := kernels.Threshold(ctx, mask, in, t); err != nil {
					return err
				}
				if foreground != 1 {
					for i, b := range mask.Data {
						mask.Data[i] = b * uint8(foreground)
					}
				}
				if err := tiff.WritePlaneOf(w, mask.Data); err != nil {
					return err
				}
				bar.update(z+1, s.Z)
			}
			bar.finish()
			if err := w.Close(); err != nil {
				return err
			}
			if !quiet {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %d planes %dx%d uint8 mask (0/%d), threshold %s per plane\n", output, s.Z, s.Y, s.X, foreground, spec)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&output, "output", "o", "", "uint8 mask TIFF to write (required)")
	fl.StringVar(&threshold, "threshold", "0.33max", "FRACTIONmax, otsu or a value, per plane")
	fl.IntVar(&foreground, "foreground", 255, "mask value of foreground pixels (1 to 255)")
	fl.IntVar(&channel, "channel", -1, "channel of a multi-channel stack (0-based; required there)")
	fl.BoolVar(&force, "force", false, "overwrite an existing output")
	fl.BoolVarP(&quiet, "quiet", "q", false, "no progress bar or summary")
	root.AddCommand(cmd)
}
