package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/segstack/segstack/internal/outfile"
	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/segment"
	"github.com/segstack/segstack/stack"
	"github.com/spf13/cobra"
)

// maxExactLabel is the largest label a float32 plane read holds exactly.
const maxExactLabel = 1 << 24

// openSide opens a second input stack (markers, mask, labels) that must have
// the shape s.
func openSide(path, what string, s stack.Shape) (segment.Source, func() error, error) {
	if err := checkInput(path); err != nil {
		return nil, nil, err
	}
	src, closeSrc, err := segment.OpenSource(path, -1)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	if src.Shape() != s {
		_ = closeSrc()
		return nil, nil, fmt.Errorf("%s %s has shape %v, the image %v", what, path, src.Shape(), s)
	}
	return src, closeSrc, nil
}

// readMarkerPlane reads plane z of src into dst as labels: non-negative integers
// below 2^24 (what a float32 read keeps exactly).
func readMarkerPlane(ctx context.Context, src segment.Source, z int, buf []float32, dst []uint32, what string) error {
	if err := src.ReadPlane(ctx, z, buf); err != nil {
		return err
	}
	for i, v := range buf {
		if v < 0 || v != float32(math.Trunc(float64(v))) || v > maxExactLabel {
			return fmt.Errorf("%s: plane %d holds %g, not a label (an integer from 0 to %d)", what, z, v, maxExactLabel)
		}
		dst[i] = uint32(v)
	}
	return nil
}

// readMask reads plane z of src into dst: 1 where the plane is not 0.
func readMask(ctx context.Context, src segment.Source, z int, buf []float32, dst []uint8) error {
	if err := src.ReadPlane(ctx, z, buf); err != nil {
		return err
	}
	for i, v := range buf {
		dst[i] = 0
		if v != 0 {
			dst[i] = 1
		}
	}
	return nil
}

func parseWatershedConn(s string) (kernels.Connectivity, bool, error) {
	switch s {
	case "4", "8":
		c, _ := strconv.Atoi(s)
		return kernels.Connectivity(c), false, nil
	case "6", "18", "26":
		c, _ := strconv.Atoi(s)
		return kernels.Connectivity(c), true, nil
	}
	return 0, false, fmt.Errorf("--connectivity %q: want 4 or 8 (per plane), 6, 18 or 26 (3-D)", s)
}

func init() {
	var (
		pf                    planeFlags
		markers, mask, connec string
	)
	cmd := &cobra.Command{
		Use:   "watershed IMAGE.tif --markers MARKERS.tif -o LABELS.tif",
		Short: "Flood an image from seed markers (seeded watershed)",
		Long: `watershed floods IMAGE from the labelled seeds of MARKERS, as
skimage.segmentation.watershed(image, markers, connectivity=c, mask=mask)
does in scikit-image 0.26, ties included: low values first, and among equal
values the pixel queued first. Pixels take the label of the seed that reaches
them first; pixels outside --mask, and those no seed reaches, are 0.

Connectivity 4 or 8 floods every plane on its own (streamed plane by plane);
6, 18 or 26 floods the stack as one volume, held in memory. MARKERS and MASK
must have IMAGE's shape; marker labels are integers up to 16777216. The
output is uint32.`,
		Example: `  segstack watershed inverted-distance.tif --markers seeds.tif -o labels.tif --mask nuclei.tif
  segstack watershed gradient.tif --markers seeds.tif -o labels3d.tif --connectivity 26`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if markers == "" {
				return errors.New("no markers given: use --markers MARKERS.tif")
			}
			conn, threeD, err := parseWatershedConn(connec)
			if err != nil {
				return err
			}
			p, err := pf.open(args[0], stack.Uint32)
			if err != nil {
				return err
			}
			defer p.close()
			s := p.shape
			mk, closeMk, err := openSide(markers, "markers", s)
			if err != nil {
				return err
			}
			defer closeMk()
			var ms segment.Source
			if mask != "" {
				var closeMs func() error
				if ms, closeMs, err = openSide(mask, "mask", s); err != nil {
					return err
				}
				defer closeMs()
			}
			ctx := cmd.Context()
			ps := stack.Shape{Z: 1, Y: s.Y, X: s.X}
			buf := make([]float32, ps.Len())
			if threeD {
				img, lab := stack.New[float32](s), stack.New[uint32](s)
				var m *stack.Volume[uint8]
				if ms != nil {
					m = stack.New[uint8](s)
				}
				for z := range s.Z {
					if err := p.src.ReadPlane(ctx, z, img.Plane(z)); err != nil {
						return err
					}
					if err := readMarkerPlane(ctx, mk, z, buf, lab.Plane(z), "markers"); err != nil {
						return err
					}
					if m != nil {
						if err := readMask(ctx, ms, z, buf, m.Plane(z)); err != nil {
							return err
						}
					}
				}
				if err := kernels.Watershed(ctx, lab, img, lab, m, conn); err != nil {
					return err
				}
				err = writePlanes(ctx, p, func(z int) ([]uint32, error) { return lab.Plane(z), nil })
			} else {
				img, lab := stack.New[float32](ps), stack.New[uint32](ps)
				var m *stack.Volume[uint8]
				if ms != nil {
					m = stack.New[uint8](ps)
				}
				err = writePlanes(ctx, p, func(z int) ([]uint32, error) {
					if err := p.src.ReadPlane(ctx, z, img.Data); err != nil {
						return nil, err
					}
					if err := readMarkerPlane(ctx, mk, z, buf, lab.Data, "markers"); err != nil {
						return nil, err
					}
					if m != nil {
						if err := readMask(ctx, ms, z, buf, m.Data); err != nil {
							return nil, err
						}
					}
					if err := kernels.Watershed(ctx, lab, img, lab, m, conn); err != nil {
						// The kernel sees one plane: name it in the stack.
						return nil, fmt.Errorf("plane %d: %w", z, err)
					}
					return lab.Data, nil
				})
			}
			if err != nil {
				return err
			}
			if !pf.quiet {
				how := "per plane"
				if threeD {
					how = "in 3-D"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %d planes %dx%d uint32 labels, connectivity %d %s\n", pf.output, s.Z, s.Y, s.X, conn, how)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	pf.add(cmd, "uint32 labels")
	fl.StringVar(&markers, "markers", "", "seed labels, the image's shape (required)")
	fl.StringVar(&mask, "mask", "", "flood only where this stack is not 0")
	fl.StringVar(&connec, "connectivity", "4", "4 or 8 (per plane); 6, 18 or 26 (3-D)")
	root.AddCommand(cmd)
}

func init() {
	var (
		pf                    planeFlags
		minDistance, border   int
		numPeaks              int
		thrAbs, thrRel        float64
		labels, csvPath, mode string
	)
	cmd := &cobra.Command{
		Use:   "peaks IMAGE.tif -o MARKERS.tif",
		Short: "Find local maxima (seeds) and write them as a marker stack",
		Long: `peaks finds the local maxima of IMAGE as skimage.feature.peak_local_max
does in scikit-image 0.26 and writes a uint32 marker stack: 0 everywhere and
1..N at the peaks, in peak_local_max's order (by decreasing value, then raster
order; per label with --labels).

--mode 2d (the default) finds the peaks of each plane on its own, numbering
them on from the peaks of the planes before, so every seed has its own label
in the stack; --mode 3d treats the stack as one volume, held in memory.
--exclude-border -1 (the default, as scikit-image's True) excludes a border
of --min-distance pixels; --csv writes one row per peak: label,z,y,x,value.`,
		Example: `  segstack peaks distance.tif -o seeds.tif --min-distance 5 --labels nuclei.tif
  segstack peaks smooth.tif -o seeds.tif --threshold-rel 0.3 --csv seeds.csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			threeD := false
			switch mode {
			case "2d":
			case "3d":
				threeD = true
			default:
				return fmt.Errorf("--mode %q: want 2d or 3d", mode)
			}
			if minDistance < 0 {
				return fmt.Errorf("--min-distance %d: want 0 or more", minDistance)
			}
			if border < -1 {
				return fmt.Errorf("--exclude-border %d: want -1 (min-distance), 0 (none) or a width", border)
			}
			if numPeaks < 0 {
				return fmt.Errorf("--num-peaks %d: want 0 (all) or more", numPeaks)
			}
			opt := kernels.PeakOptions{MinDistance: minDistance, ExcludeBorder: border, NumPeaks: numPeaks}
			if cmd.Flags().Changed("threshold-abs") {
				opt.ThresholdAbs, opt.HasThresholdAbs = thrAbs, true
			}
			opt.ThresholdRel = thrRel
			var csvOut *outfile.File
			if csvPath != "" {
				if err := checkOutput(csvPath, pf.force); err != nil {
					return err
				}
			}
			p, err := pf.open(args[0], stack.Uint32)
			if err != nil {
				return err
			}
			defer p.close()
			s := p.shape
			var ls segment.Source
			if labels != "" {
				var closeLs func() error
				if ls, closeLs, err = openSide(labels, "labels", s); err != nil {
					return err
				}
				defer closeLs()
			}
			var cw *bufio.Writer
			if csvPath != "" {
				if csvOut, err = outfile.Create(csvPath); err != nil {
					return err
				}
				defer csvOut.Abort()
				cw = bufio.NewWriter(csvOut)
				fmt.Fprintln(cw, "label,z,y,x,value")
			}
			ctx := cmd.Context()
			ps := stack.Shape{Z: 1, Y: s.Y, X: s.X}
			buf := make([]float32, ps.Len())
			total := 0
			emit := func(img *stack.Volume[float32], peaks [][3]int, z0 int) {
				if cw == nil {
					return
				}
				for i, c := range peaks {
					v := img.Data[(c[0]*img.Shape.Y+c[1])*img.Shape.X+c[2]]
					fmt.Fprintf(cw, "%d,%d,%d,%d,%s\n", total+i+1, c[0]+z0, c[1], c[2], strconv.FormatFloat(float64(v), 'g', -1, 32))
				}
			}
			if threeD {
				img := stack.New[float32](s)
				if ls != nil {
					opt.Labels = stack.New[uint32](s)
				}
				for z := range s.Z {
					if err := p.src.ReadPlane(ctx, z, img.Plane(z)); err != nil {
						return err
					}
					if ls != nil {
						if err := readMarkerPlane(ctx, ls, z, buf, opt.Labels.Plane(z), "labels"); err != nil {
							return err
						}
					}
				}
				peaks, err := kernels.PeakLocalMax(ctx, img, opt)
				if err != nil {
					return err
				}
				emit(img, peaks, 0)
				total = len(peaks)
				out := stack.New[uint32](s)
				if err := kernels.Markers(out, peaks); err != nil {
					return err
				}
				err = writePlanes(ctx, p, func(z int) ([]uint32, error) { return out.Plane(z), nil })
				if err != nil {
					return err
				}
			} else {
				img, out := stack.New[float32](ps), stack.New[uint32](ps)
				if ls != nil {
					opt.Labels = stack.New[uint32](ps)
				}
				err = writePlanes(ctx, p, func(z int) ([]uint32, error) {
					if err := p.src.ReadPlane(ctx, z, img.Data); err != nil {
						return nil, err
					}
					if ls != nil {
						if err := readMarkerPlane(ctx, ls, z, buf, opt.Labels.Data, "labels"); err != nil {
							return nil, err
						}
					}
					peaks, err := kernels.PeakLocalMax(ctx, img, opt)
					if err != nil {
						return nil, err
					}
					if uint64(total)+uint64(len(peaks)) >= math.MaxUint32 {
						return nil, fmt.Errorf("more than %d peaks do not fit uint32 markers", uint64(math.MaxUint32-1))
					}
					emit(img, peaks, z)
					if err := kernels.Markers(out, peaks); err != nil {
						return nil, err
					}
					if total > 0 {
						for i, v := range out.Data {
							if v != 0 {
								out.Data[i] = v + uint32(total)
							}
						}
					}
					total += len(peaks)
					return out.Data, nil
				})
				if err != nil {
					return err
				}
			}
			if cw != nil {
				if err := cw.Flush(); err != nil {
					return err
				}
				if err := csvOut.Commit(); err != nil {
					return err
				}
			}
			if !pf.quiet {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %d peaks in %d planes %dx%d (%s)\n", pf.output, total, s.Z, s.Y, s.X, mode)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	pf.add(cmd, "uint32 markers")
	fl.IntVar(&minDistance, "min-distance", 1, "peaks are maxima of a (2D+1)-wide window and at least D apart")
	fl.Float64Var(&thrAbs, "threshold-abs", 0, "minimum value of a peak (exclusive; default the image's minimum)")
	fl.Float64Var(&thrRel, "threshold-rel", 0, "minimum value as a fraction of the maximum (0: none)")
	fl.IntVar(&border, "exclude-border", -1, "border width without peaks: -1 = min-distance, 0 = none")
	fl.IntVar(&numPeaks, "num-peaks", 0, "keep at most N peaks (per plane in 2d; 0: all)")
	fl.StringVar(&labels, "labels", "", "label stack: find peaks in each label on its own")
	fl.StringVar(&csvPath, "csv", "", "write label,z,y,x,value of every peak")
	fl.StringVar(&mode, "mode", "2d", "2d (per plane) or 3d (the stack as one volume)")
	root.AddCommand(cmd)
}
