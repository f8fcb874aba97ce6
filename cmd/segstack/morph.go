package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
	"github.com/spf13/cobra"
)

// maskFlags are the flags shared by edt and morph: how the input becomes a
// mask, and whether planes are processed one by one or as one volume.
type maskFlags struct {
	threshold string
	mode      string
}

func (m *maskFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&m.threshold, "threshold", "", "foreground above this (a value, FRACTIONmax or otsu; default: non-zero)")
	fl.StringVar(&m.mode, "mode", "", "2d (each plane on its own) or 3d (the stack as one volume)")
}

// spec parses --threshold; ok is false for the default (non-zero).
func (m *maskFlags) spec() (kernels.ThresholdSpec, bool, error) {
	if strings.TrimSpace(m.threshold) == "" {
		return kernels.ThresholdSpec{}, false, nil
	}
	s, err := kernels.ParseThreshold(m.threshold)
	if err != nil {
		return s, false, fmt.Errorf("--threshold: %w", err)
	}
	return s, true, nil
}

// toMask sets mask to 1 where img is foreground: above the threshold when
// one is given (resolved on img), non-zero otherwise.
func toMask(ctx context.Context, mask *stack.Volume[uint8], img *stack.Volume[float32], spec kernels.ThresholdSpec, thresh bool) error {
	if !thresh {
		for i, v := range img.Data {
			if v != 0 {
				mask.Data[i] = 1
			} else {
				mask.Data[i] = 0
			}
		}
		return nil
	}
	m, err := kernels.Max(ctx, img)
	if err != nil {
		return err
	}
	return kernels.Threshold(ctx, mask, img, spec.Resolve(img.Data, m))
}

// readAll reads every plane of p's input into one volume.
func readAll(ctx context.Context, p *planeStream) (*stack.Volume[float32], error) {
	v := stack.New[float32](p.shape)
	for z := range p.shape.Z {
		if err := p.src.ReadPlane(ctx, z, v.Plane(z)); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// runMasked runs op on the input as a mask, plane by plane (2d) or on the
// whole volume (3d), and writes what op returns for each plane.
func runMasked[T stack.Elem](ctx context.Context, p *planeStream, mf maskFlags, threeD bool,
	op func(out *stack.Volume[T], mask *stack.Volume[uint8]) error) error {
	spec, thresh, err := mf.spec()
	if err != nil {
		return err
	}
	s := p.shape
	if threeD {
		img, err := readAll(ctx, p)
		if err != nil {
			return err
		}
		mask := stack.New[uint8](s)
		if err := toMask(ctx, mask, img, spec, thresh); err != nil {
			return err
		}
		out := stack.New[T](s)
		if err := op(out, mask); err != nil {
			return err
		}
		return writePlanes(ctx, p, func(z int) ([]T, error) { return out.Plane(z), nil })
	}
	ps := stack.Shape{Z: 1, Y: s.Y, X: s.X}
	img, mask, out := stack.New[float32](ps), stack.New[uint8](ps), stack.New[T](ps)
	return writePlanes(ctx, p, func(z int) ([]T, error) {
		if err := p.src.ReadPlane(ctx, z, img.Data); err != nil {
			return nil, err
		}
		if err := toMask(ctx, mask, img, spec, thresh); err != nil {
			return nil, err
		}
		if err := op(out, mask); err != nil {
			return nil, fmt.Errorf("plane %d: %w", z, err)
		}
		return out.Data, nil
	})
}

// morphMode resolves --mode and --connectivity: an explicit mode must
// agree with the connectivity; without one, 6, 18 and 26 mean 3d.
func morphMode(mode, conn string, planes int) (bool, kernels.Connectivity, error) {
	var c kernels.Connectivity
	if conn != "" {
		n, err := strconv.Atoi(conn)
		if err != nil {
			return false, 0, fmt.Errorf("--connectivity %q: want 4 or 8 (2d), 6, 18 or 26 (3d)", conn)
		}
		c = kernels.Connectivity(n)
	}
	var threeD bool
	switch strings.ToLower(mode) {
	case "":
		threeD = c == kernels.Conn6 || c == kernels.Conn18 || c == kernels.Conn26
	case "2d":
	case "3d":
		threeD = true
	default:
		return false, 0, fmt.Errorf("--mode %q: want 2d or 3d", mode)
	}
	switch {
	case c == 0 && threeD:
		c = kernels.Conn6
	case c == 0:
		c = kernels.Conn4
	case !threeD && c != kernels.Conn4 && c != kernels.Conn8:
		return false, 0, fmt.Errorf("--connectivity %d is not a 2d connectivity (want 4 or 8; 6, 18 and 26 need --mode 3d)", c)
	case threeD && c != kernels.Conn6 && c != kernels.Conn18 && c != kernels.Conn26:
		return false, 0, fmt.Errorf("--connectivity %d is not a 3d connectivity (want 6, 18 or 26; 4 and 8 need --mode 2d)", c)
	}
	if threeD && planes == 1 {
		return false, 0, fmt.Errorf("--mode 3d: the stack has a single plane, which is 2-D; use --mode 2d with --connectivity 4 or 8")
	}
	return threeD, c, nil
}

func init() {
	var (
		pf           planeFlags
		mf           maskFlags
		connectivity string
		iterations   int
		borderValue  int
		foreground   int
	)
	ops := map[string]func(ctx context.Context, dst, src *stack.Volume[uint8], opt kernels.MorphOptions) error{
		"erode":  kernels.BinaryErosion,
		"dilate": kernels.BinaryDilation,
		"open":   kernels.BinaryOpening,
		"close":  kernels.BinaryClosing,
		"fill-holes": func(ctx context.Context, dst, src *stack.Volume[uint8], opt kernels.MorphOptions) error {
			return kernels.FillHoles(ctx, dst, src, opt.Conn)
		},
	}
	cmd := &cobra.Command{
		Use:   "morph erode|dilate|open|close|fill-holes IN -o OUT",
		Short: "Binary morphology of a mask stack, as scipy.ndimage",
		Long: `morph runs scipy.ndimage's binary_erosion, binary_dilation, binary_opening,
binary_closing or binary_fill_holes on the non-zero voxels of a mask or label
stack (or on the voxels above --threshold) and writes a uint8 mask: --foreground
(255 by default, as threshold writes) where the result is set, 0 elsewhere.

The structuring element is scipy's generate_binary_structure(rank,
connectivity): --connectivity 4 (a cross) or 8 (a 3x3 box) works on each
plane on its own (--mode 2d, the default); 6, 18 or 26 works on the stack as
one volume (--mode 3d). --iterations repeats the operation (0 or less: until
nothing changes); --border-value is what lies outside the image (scipy's
border_value, 0 by default, so erosion and closing eat objects at the edge).
fill-holes sets every background voxel that cannot reach the edge through
background connected by --connectivity.`,
		Example: `  segstack morph fill-holes mask.tif -o filled.tif
  segstack morph open mask.tif -o opened.tif --connectivity 8 --iterations 2
  segstack morph erode labels.zarr -o eroded.tif --connectivity 6`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			fn, ok := ops[args[0]]
			if !ok {
				return fmt.Errorf("unknown operation %q: want erode, dilate, open, close or fill-holes", args[0])
			}
			if foreground < 1 || foreground > 255 {
				return fmt.Errorf("--foreground %d: want 1 to 255", foreground)
			}
			if borderValue != 0 && borderValue != 1 {
				return fmt.Errorf("--border-value %d: want 0 or 1", borderValue)
			}
			if _, _, err := mf.spec(); err != nil {
				return err
			}
			p, err := pf.open(args[1], stack.Uint8)
			if err != nil {
				return err
			}
			defer p.close()
			threeD, conn, err := morphMode(mf.mode, connectivity, p.shape.Z)
			if err != nil {
				return err
			}
			opt := kernels.MorphOptions{Conn: conn, Iterations: iterations, BorderValue: uint8(borderValue)}
			ctx := cmd.Context()
			err = runMasked(ctx, p, mf, threeD, func(out *stack.Volume[uint8], mask *stack.Volume[uint8]) error {
				if err := fn(ctx, out, mask, opt); err != nil {
					return err
				}
				if foreground != 1 {
					for i, b := range out.Data {
						out.Data[i] = b * uint8(foreground)
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			if !pf.quiet {
				mode := "2d"
				if threeD {
					mode = "3d"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s of %d planes %dx%d, %s, connectivity %d, uint8 mask (0/%d)\n",
					pf.output, args[0], p.shape.Z, p.shape.Y, p.shape.X, mode, conn, foreground)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	pf.add(cmd, "uint8 mask")
	mf.add(cmd)
	fl.StringVar(&connectivity, "connectivity", "", "4 or 8 (2d), 6, 18 or 26 (3d); default 4, or 6 with --mode 3d")
	fl.IntVar(&iterations, "iterations", 1, "repeat count; 0 or less repeats until nothing changes")
	fl.IntVar(&borderValue, "border-value", 0, "value outside the image, 0 or 1")
	fl.IntVar(&foreground, "foreground", 255, "mask value of foreground voxels (1 to 255)")
	root.AddCommand(cmd)
}
