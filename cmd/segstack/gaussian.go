package main

import (
	"fmt"
	"strings"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/segment"
	"github.com/segstack/segstack/stack"
	"github.com/spf13/cobra"
)

func init() {
	var (
		pf             planeFlags
		sigma, mode    string
		cval, truncate float64
	)
	cmd := &cobra.Command{
		Use:   "gaussian IN.tif -o OUT.tif",
		Short: "Gaussian-smooth a TIFF stack into a float32 stack",
		Long: `gaussian writes scipy.ndimage.gaussian_filter of a stack as float32.

With one or two sigmas (S, or SY,SX) each plane is smoothed on its own in
2-D, streamed plane by plane. With three sigmas (SZ,SY,SX) the stack is
smoothed in 3-D; the whole stack is then held in memory.`,
		Example: `  segstack gaussian cells.tif -o smooth.tif --sigma 2
  segstack gaussian cells.tif -o smooth3d.tif --sigma 1,2,2 --mode nearest`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sig, err := segment.ParseSigma(sigma)
			if err != nil {
				return err
			}
			threeD := len(strings.Split(sigma, ",")) == 3
			m, err := stack.ParseMode(mode)
			if err != nil {
				return err
			}
			if truncate <= 0 {
				return fmt.Errorf("--truncate %g: want a positive number of sigmas", truncate)
			}
			p, err := pf.open(args[0], stack.Float32)
			if err != nil {
				return err
			}
			defer p.close()
			s := p.shape
			opt := kernels.GaussianOptions{Sigma: sig, Truncate: truncate, Mode: m, Cval: cval}
			ctx := cmd.Context()
			if threeD {
				v := stack.New[float32](s)
				for z := range s.Z {
					if err := p.src.ReadPlane(ctx, z, v.Plane(z)); err != nil {
						return err
					}
				}
				if _, err := kernels.Gaussian(ctx, v, v, opt); err != nil {
					return err
				}
				err = writePlanes(ctx, p, func(z int) ([]float32, error) { return v.Plane(z), nil })
			} else {
				opt.Sigma[0] = 0
				ps := stack.Shape{Z: 1, Y: s.Y, X: s.X}
				in, out := stack.New[float32](ps), stack.New[float32](ps)
				err = writePlanes(ctx, p, func(z int) ([]float32, error) {
					if err := p.src.ReadPlane(ctx, z, in.Data); err != nil {
						return nil, err
					}
					if _, err := kernels.Gaussian(ctx, out, in, opt); err != nil {
						return nil, err
					}
					return out.Data, nil
				})
			}
			if err != nil {
				return err
			}
			if !pf.quiet {
				dims := fmt.Sprintf("Y,X %g,%g per plane", sig[1], sig[2])
				if threeD {
					dims = fmt.Sprintf("Z,Y,X %g,%g,%g in 3-D", sig[0], sig[1], sig[2])
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %d planes %dx%d float32, sigma %s, mode %s\n", pf.output, s.Z, s.Y, s.X, dims, m)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	pf.add(cmd, "float32")
	fl.StringVar(&sigma, "sigma", "1", "S or SY,SX (2-D per plane), or SZ,SY,SX (3-D)")
	fl.StringVar(&mode, "mode", "reflect", "boundary mode: reflect, nearest, mirror, constant or wrap")
	fl.Float64Var(&cval, "cval", 0, "value outside the stack for --mode constant")
	fl.Float64Var(&truncate, "truncate", 4, "kernel radius in sigmas")
	root.AddCommand(cmd)
}
