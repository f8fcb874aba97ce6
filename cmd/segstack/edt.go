package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
	"github.com/spf13/cobra"
)

// parseSampling reads "z,y,x" (or "y,x") voxel spacings.
func parseSampling(s string) ([3]float64, error) {
	var w [3]float64
	if strings.TrimSpace(s) == "" {
		return [3]float64{1, 1, 1}, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 3 && len(parts) != 2 {
		return w, fmt.Errorf("--sampling %q: want z,y,x (or y,x)", s)
	}
	off := 3 - len(parts)
	w[0] = 1
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || !(v > 0) || v > 1e300 {
			return w, fmt.Errorf("--sampling %q: each spacing must be a positive number", s)
		}
		w[off+i] = v
	}
	return w, nil
}

func init() {
	var (
		pf       planeFlags
		mf       maskFlags
		sampling string
	)
	cmd := &cobra.Command{
		Use:   "edt IN -o DIST",
		Short: "Euclidean distance transform of a mask stack, as scipy.ndimage",
		Long: `edt writes a float32 stack: for every foreground voxel (non-zero, or above
--threshold), its Euclidean distance to the nearest background voxel, and 0
on the background — scipy.ndimage.distance_transform_edt, each value its
float64 result rounded to float32. The input is a mask or a label stack (TIFF
or Zarr).

--mode 2d (the default) measures within each plane; --mode 3d over the whole
stack, which it holds in memory. --sampling z,y,x gives the voxel spacing
(anisotropic Z: 3,1,1); in 2d mode only y,x are used.`,
		Example: `  segstack edt mask.tif -o dist.tif
  segstack edt labels.tif -o dist3d.tif --mode 3d --sampling 3,1,1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			w, err := parseSampling(sampling)
			if err != nil {
				return err
			}
			var threeD bool
			switch strings.ToLower(mf.mode) {
			case "", "2d":
			case "3d":
				threeD = true
			default:
				return fmt.Errorf("--mode %q: want 2d or 3d", mf.mode)
			}
			if _, _, err := mf.spec(); err != nil {
				return err
			}
			p, err := pf.open(args[0], stack.Float32)
			if err != nil {
				return err
			}
			defer p.close()
			if threeD && p.shape.Z == 1 {
				threeD = false
			}
			ctx := cmd.Context()
			err = runMasked(ctx, p, mf, threeD, func(out *stack.Volume[float32], mask *stack.Volume[uint8]) error {
				return kernels.EDT(ctx, out, mask, w)
			})
			if err != nil {
				return err
			}
			if !pf.quiet {
				mode := "2d"
				if threeD {
					mode = "3d"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: distance transform of %d planes %dx%d, %s, sampling %g,%g,%g, float32\n",
					pf.output, p.shape.Z, p.shape.Y, p.shape.X, mode, w[0], w[1], w[2])
			}
			return nil
		},
	}
	pf.add(cmd, "float32 distance")
	mf.add(cmd)
	cmd.Flags().StringVar(&sampling, "sampling", "", "voxel spacing z,y,x (or y,x); default 1,1,1")
	root.AddCommand(cmd)
}
