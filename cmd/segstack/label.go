package main

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/segment"
	"github.com/spf13/cobra"
)

func init() {
	var (
		pf                               planeFlags
		connectivity, labelDType, chunks string
		labels                           string
		workers                          int
		unique                           bool
	)
	cmd := &cobra.Command{
		Use:   "label MASK.tif -o LABELS.tif",
		Short: "Label the connected components of a mask stack",
		Long: `label numbers the connected components of the non-zero voxels of a stack, as
scipy.ndimage.label does: 1..N in raster order of each object's first voxel.

Connectivity 4 or 8 labels each plane on its own, numbering the objects
uniquely across the stack by default (each plane's offset by the objects of
the planes before; --labels per-plane restarts from 1 in every plane);
6, 18 or 26 labels the stack as one volume, streamed in slabs.`,
		Example: `  segstack label mask.tif -o labels.tif
  segstack label mask.tif -o labels3d.tif --connectivity 26`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opt := segment.DefaultOptions()
			if pf.output == "" {
				return errors.New("no output given: use -o LABELS.tif")
			}
			if err := checkInput(args[0]); err != nil {
				return err
			}
			switch connectivity {
			case "4", "8":
				opt.Mode = segment.Mode2D
			case "6", "18", "26":
				opt.Mode = segment.Mode3D
			default:
				return fmt.Errorf("--connectivity %q: want 4 or 8 (per plane), 6, 18 or 26 (3-D)", connectivity)
			}
			var err error
			if opt.Connectivity, err = segment.ParseConnectivity(connectivity, opt.Mode); err != nil {
				return err
			}
			if opt.LabelDType, err = segment.ParseLabelDType(labelDType); err != nil {
				return err
			}
			if chunks != "" {
				if opt.Chunks, err = segment.ParseChunks(chunks); err != nil {
					return err
				}
			}
			if opt.Numbering, err = numbering(cmd, labels, unique, opt.Mode); err != nil {
				return err
			}
			if opt.Format, err = pf.zf.outputFormat(pf.output); err != nil {
				return err
			}
			if opt.Zarr, err = pf.zf.zarrOutput(pf.zf.compression); err != nil {
				return err
			}
			src, closeSrc, err := segment.OpenSource(args[0], pf.channel)
			if err != nil {
				return err
			}
			defer closeSrc()
			// No smoothing, and foreground is |x| > 0, that is x != 0.
			opt.Input, opt.Source = args[0], nonzero{src}
			opt.Sigma = [3]float64{}
			opt.Threshold = kernels.ThresholdSpec{Kind: kernels.ThresholdAbsolute, Value: 0}
			opt.Output, opt.Force, opt.Workers = pf.output, pf.force, workers
			return runSegment(cmd, opt, pf.quiet)
		},
	}
	fl := cmd.Flags()
	pf.add(cmd, "labels")
	fl.StringVar(&connectivity, "connectivity", "4", "4 or 8 (per plane); 6, 18 or 26 (3-D)")
	addNumberingFlags(cmd, &labels, &unique)
	fl.StringVar(&labelDType, "label-dtype", "auto", "uint16, uint32, or auto (uint16 when every label fits)")
	fl.StringVar(&chunks, "chunks", "", "Z,Y,X work chunks (Z: planes per 3-D slab)")
	fl.IntVar(&workers, "workers", 0, "worker count (default GOMAXPROCS)")
	root.AddCommand(cmd)
}

// nonzero presents a stack as |x|, so that "above 0" means "not 0".
type nonzero struct{ segment.Source }

func (n nonzero) ReadPlane(ctx context.Context, z int, dst []float32) error {
	if err := n.Source.ReadPlane(ctx, z, dst); err != nil {
		return err
	}
	for i, v := range dst {
		dst[i] = float32(math.Abs(float64(v)))
	}
	return nil
}
