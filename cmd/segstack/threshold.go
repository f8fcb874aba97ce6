package main

import (
	"fmt"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
	"github.com/spf13/cobra"
)

func init() {
	var (
		pf         planeFlags
		threshold  string
		foreground int
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
			p, err := pf.open(args[0], stack.Uint8)
			if err != nil {
				return err
			}
			defer p.close()
			s := p.shape
			ctx := cmd.Context()
			ps := stack.Shape{Z: 1, Y: s.Y, X: s.X}
			in, mask := stack.New[float32](ps), stack.New[uint8](ps)
			err = writePlanes(ctx, p, func(z int) ([]uint8, error) {
				if err := p.src.ReadPlane(ctx, z, in.Data); err != nil {
					return nil, err
				}
				m, err := kernels.Max(ctx, in)
				if err != nil {
					return nil, err
				}
				t := spec.Resolve(in.Data, m)
				if err := kernels.Threshold(ctx, mask, in, t); err != nil {
					return nil, err
				}
				if foreground != 1 {
					for i, b := range mask.Data {
						mask.Data[i] = b * uint8(foreground)
					}
				}
				return mask.Data, nil
			})
			if err != nil {
				return err
			}
			if !pf.quiet {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %d planes %dx%d uint8 mask (0/%d), threshold %s per plane\n", pf.output, s.Z, s.Y, s.X, foreground, spec)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	pf.add(cmd, "uint8 mask")
	fl.StringVar(&threshold, "threshold", "0.33max", "FRACTIONmax, otsu or a value, per plane")
	fl.IntVar(&foreground, "foreground", 255, "mask value of foreground pixels (1 to 255)")
	root.AddCommand(cmd)
}
