package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/segment"
	"github.com/segstack/segstack/stack"
	"github.com/spf13/cobra"
)

// filterNames are the filters of `segstack filter`, scipy.ndimage's names
// with dashes (underscores are accepted too).
var filterNames = []string{
	"uniform", "median", "minimum", "maximum", "sobel", "prewitt", "laplace",
	"gaussian-laplace", "gaussian-gradient-magnitude",
	"correlate", "convolve", "correlate1d", "convolve1d",
}

// filterArgs are the parsed flags of `segstack filter`.
type filterArgs struct {
	name     string
	size     [3]int
	origin   [3]int
	sigma    [3]float64
	truncate float64
	mode     stack.Mode
	cval     float64
	axis     int
	weights1 []float64
	weightsN *kernels.Weights
	fp       *kernels.Footprint
	threeD   bool
}

func init() {
	var (
		pf                                   planeFlags
		size, origin, sigma, mode, axis, wts string
		footprint, dtype                     string
		cval, truncate                       float64
		threeD                               bool
	)
	cmd := &cobra.Command{
		Use:   "filter NAME IN.tif -o OUT.tif",
		Short: "Filter a stack with a scipy.ndimage filter (median, uniform, sobel, ...)",
		Long: `filter writes scipy.ndimage's filter NAME of a stack, with scipy's results:

  uniform, median, minimum, maximum   --size, --origin (and --footprint for
                                      median, minimum, maximum)
  sobel, prewitt                      --axis
  laplace
  gaussian-laplace,                   --sigma, --truncate
  gaussian-gradient-magnitude
  correlate, convolve                 --weights (N-D), --origin
  correlate1d, convolve1d             --weights (1-D), --axis, --origin

Every filter takes --mode (reflect, nearest, mirror, constant, wrap, or
scipy's grid-constant, grid-wrap, grid-mirror) and --cval.

The output has the input's type, as scipy's does by default (integer
results are truncated, and negative ones wrap in unsigned types, as
scipy's are), except gaussian-laplace and gaussian-gradient-magnitude,
which write float32; --dtype float32 converts the input to float32 first.

By default each plane is filtered on its own as a 2-D image, streamed
plane by plane. A size, origin or sigma of three values (Z,Y,X), weights
with several planes, or --3d filter the stack as one 3-D volume, held in
memory.`,
		Example: `  segstack filter median cells.tif -o median.tif --size 3
  segstack filter uniform cells.tif -o mean.tif --size 1,5,5 --mode nearest
  segstack filter sobel cells.tif -o edges.tif --axis y --dtype float32
  segstack filter gaussian-laplace cells.tif -o log.tif --sigma 2
  segstack filter correlate cells.tif -o out.tif --weights "0,1,0;1,-4,1;0,1,0" --dtype float32`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			fa := filterArgs{name: strings.ReplaceAll(strings.ToLower(args[0]), "_", "-"), cval: cval, truncate: truncate, threeD: threeD}
			known := false
			for _, n := range filterNames {
				known = known || n == fa.name
			}
			if !known {
				return fmt.Errorf("unknown filter %q (want one of %s)", args[0], strings.Join(filterNames, ", "))
			}
			var err error
			var n3 bool
			if fa.size, n3, err = parseInts("--size", size, 1); err != nil {
				return err
			}
			fa.threeD = fa.threeD || n3
			if fa.origin, n3, err = parseInts("--origin", origin, -1<<30); err != nil {
				return err
			}
			fa.threeD = fa.threeD || n3
			if strings.HasPrefix(fa.name, "gaussian") {
				if fa.sigma, n3, err = parseFloats("--sigma", sigma); err != nil {
					return err
				}
				fa.threeD = fa.threeD || n3
			}
			if fa.mode, err = stack.ParseMode(mode); err != nil {
				return fmt.Errorf("--mode: %w", err)
			}
			if truncate <= 0 {
				return fmt.Errorf("--truncate %g: want a positive number of sigmas", truncate)
			}
			if fa.axis, err = parseAxis(axis); err != nil {
				return err
			}
			switch fa.name {
			case "correlate1d", "convolve1d":
				if fa.weights1, err = parseWeights1(wts); err != nil {
					return err
				}
			case "correlate", "convolve":
				if fa.weightsN, err = parseWeightsN(wts); err != nil {
					return err
				}
				fa.threeD = fa.threeD || fa.weightsN.Shape.Z > 1
			}
			if footprint != "" {
				if fa.name != "median" && fa.name != "minimum" && fa.name != "maximum" {
					return fmt.Errorf("--footprint is for median, minimum and maximum, not %s", fa.name)
				}
				if fa.fp, err = parseFootprint(footprint); err != nil {
					return err
				}
				fa.threeD = fa.threeD || fa.fp.Shape.Z > 1
			}
			if !fa.threeD {
				// Per plane: the Z entries are unused.
				fa.size[0], fa.origin[0], fa.sigma[0] = 1, 0, 0
				if fa.axis == 0 {
					return fmt.Errorf("--axis z needs a 3-D filter (--3d)")
				}
			}
			return runFilterCmd(cmd, &pf, args[1], fa, dtype)
		},
	}
	fl := cmd.Flags()
	pf.add(cmd, "filtered")
	fl.StringVar(&size, "size", "3", "window: N, Y,X (per plane) or Z,Y,X (3-D)")
	fl.StringVar(&origin, "origin", "0", "window shift: N, Y,X or Z,Y,X (scipy's origin)")
	fl.StringVar(&footprint, "footprint", "", "neighbourhood for median, minimum, maximum: rows of 0/1 separated by ',' (\"010,111,010\"), planes by '/'")
	fl.StringVar(&sigma, "sigma", "1", "Gaussian sigma: S, SY,SX (per plane) or SZ,SY,SX (3-D)")
	fl.Float64Var(&truncate, "truncate", 4, "Gaussian kernel radius in sigmas")
	fl.StringVar(&mode, "mode", "reflect", "boundary mode: reflect, nearest, mirror, constant, wrap (or grid-constant, grid-wrap, grid-mirror)")
	fl.Float64Var(&cval, "cval", 0, "value outside the stack for --mode constant")
	fl.StringVar(&axis, "axis", "x", "axis of sobel, prewitt, correlate1d, convolve1d: z, y or x")
	fl.StringVar(&wts, "weights", "", "weights: a list \"1,2,1\" (1-D), rows separated by ';' and planes by '/' (N-D), or @FILE with the same text")
	fl.StringVar(&dtype, "dtype", "", "convert the input to this type first (float32 for signed or fractional results)")
	fl.BoolVar(&threeD, "3d", false, "filter the stack as one 3-D volume")
	root.AddCommand(cmd)
}

// parseInts parses N, Y,X or Z,Y,X (each at least lo); n3 reports three
// values. The caller sets the Z entry of a per-plane value.
func parseInts(flag, s string, lo int) ([3]int, bool, error) {
	parts := strings.Split(s, ",")
	var v []int
	for _, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < lo {
			return [3]int{}, false, fmt.Errorf("%s %q: %q is not a valid integer", flag, s, p)
		}
		v = append(v, n)
	}
	switch len(v) {
	case 1:
		return [3]int{v[0], v[0], v[0]}, false, nil
	case 2:
		return [3]int{v[0], v[0], v[1]}, false, nil
	case 3:
		return [3]int{v[0], v[1], v[2]}, true, nil
	}
	return [3]int{}, false, fmt.Errorf("%s %q: want 1, 2 or 3 comma-separated values", flag, s)
}

func parseFloats(flag, s string) ([3]float64, bool, error) {
	parts := strings.Split(s, ",")
	var v []float64
	for _, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || !(f >= 0) {
			return [3]float64{}, false, fmt.Errorf("%s %q: %q is not a non-negative number", flag, s, p)
		}
		v = append(v, f)
	}
	switch len(v) {
	case 1:
		return [3]float64{v[0], v[0], v[0]}, false, nil
	case 2:
		return [3]float64{v[0], v[0], v[1]}, false, nil
	case 3:
		return [3]float64{v[0], v[1], v[2]}, true, nil
	}
	return [3]float64{}, false, fmt.Errorf("%s %q: want 1, 2 or 3 comma-separated values", flag, s)
}

func parseAxis(s string) (int, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "z", "0":
		return 0, nil
	case "y", "1":
		return 1, nil
	case "x", "2", "-1":
		return 2, nil
	}
	return 0, fmt.Errorf("--axis %q: want z, y or x", s)
}

// weightsText reads @FILE or returns s.
func weightsText(s string) (string, error) {
	if rest, ok := strings.CutPrefix(s, "@"); ok {
		b, err := os.ReadFile(rest)
		if err != nil {
			return "", fmt.Errorf("--weights: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return s, nil
}

func parseNumbers(s string) ([]float64, error) {
	var v []float64
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", p)
		}
		v = append(v, f)
	}
	return v, nil
}

func parseWeights1(s string) ([]float64, error) {
	t, err := weightsText(s)
	if err != nil {
		return nil, err
	}
	v, err := parseNumbers(t)
	if err != nil || len(v) == 0 {
		return nil, fmt.Errorf("--weights %q: want a comma-separated list of numbers (%v)", s, err)
	}
	return v, nil
}

// parseWeightsN parses planes separated by '/', rows by ';' or new lines,
// values by ',' or spaces.
func parseWeightsN(s string) (*kernels.Weights, error) {
	t, err := weightsText(s)
	if err != nil {
		return nil, err
	}
	if t == "" {
		return nil, fmt.Errorf("--weights: correlate and convolve need weights")
	}
	var w []float64
	var sh stack.Shape
	for zi, plane := range strings.Split(t, "/") {
		rows := strings.FieldsFunc(plane, func(r rune) bool { return r == ';' || r == '\n' })
		for yi, row := range rows {
			v, err := parseNumbers(row)
			if err != nil {
				return nil, fmt.Errorf("--weights: %w", err)
			}
			if (zi > 0 || yi > 0) && len(v) != sh.X || len(v) == 0 {
				return nil, fmt.Errorf("--weights %q: every row needs the same number of values", s)
			}
			sh.X = len(v)
			w = append(w, v...)
		}
		if zi > 0 && len(rows) != sh.Y {
			return nil, fmt.Errorf("--weights %q: every plane needs the same number of rows", s)
		}
		sh.Y = len(rows)
		sh.Z = zi + 1
	}
	return &kernels.Weights{Shape: sh, W: w}, nil
}

func parseFootprint(s string) (*kernels.Footprint, error) {
	var m []bool
	var sh stack.Shape
	for zi, plane := range strings.Split(s, "/") {
		rows := strings.Split(plane, ",")
		for yi, row := range rows {
			row = strings.TrimSpace(row)
			if (zi > 0 || yi > 0) && len(row) != sh.X || row == "" {
				return nil, fmt.Errorf("--footprint %q: every row needs the same number of 0/1 values", s)
			}
			sh.X = len(row)
			for _, c := range row {
				if c != '0' && c != '1' {
					return nil, fmt.Errorf("--footprint %q: %q is not 0 or 1", s, c)
				}
				m = append(m, c == '1')
			}
		}
		if zi > 0 && len(rows) != sh.Y {
			return nil, fmt.Errorf("--footprint %q: every plane needs the same number of rows", s)
		}
		sh.Y = len(rows)
		sh.Z = zi + 1
	}
	return &kernels.Footprint{Shape: sh, Mask: m}, nil
}

// runFilterCmd opens the input, picks the element type and runs the
// filter per plane or on the whole volume.
func runFilterCmd(cmd *cobra.Command, pf *planeFlags, in string, fa filterArgs, dtype string) error {
	if err := checkInput(in); err != nil {
		return err
	}
	// The input's type decides the computation's; open it once to learn it.
	dt, err := inputDType(in, pf.channel)
	if err != nil {
		return err
	}
	if dtype != "" {
		if dt, err = stack.ParseDType(dtype); err != nil || !dt.IsElem() {
			return fmt.Errorf("--dtype %q: want uint8, uint16, uint32, int16, int32 or float32", dtype)
		}
	}
	switch dt {
	case stack.Uint8:
		return filterStack[uint8](cmd, pf, in, fa)
	case stack.Uint16:
		return filterStack[uint16](cmd, pf, in, fa)
	case stack.Uint32:
		return filterStack[uint32](cmd, pf, in, fa)
	case stack.Int16:
		return filterStack[int16](cmd, pf, in, fa)
	case stack.Int32:
		return filterStack[int32](cmd, pf, in, fa)
	}
	return filterStack[float32](cmd, pf, in, fa)
}

func filterStack[T stack.Elem](cmd *cobra.Command, pf *planeFlags, in string, fa filterArgs) error {
	outDT := stack.DTypeOf[T]()
	if strings.HasPrefix(fa.name, "gaussian") {
		outDT = stack.Float32
	}
	p, err := pf.open(in, outDT)
	if err != nil {
		return err
	}
	defer p.close()
	s := p.shape
	ctx := cmd.Context()
	buf := make([]float32, s.PlaneLen())
	read := func(z int, dst []T) error {
		if err := p.src.ReadPlane(ctx, z, buf); err != nil {
			return err
		}
		for i, v := range buf {
			dst[i] = T(v)
		}
		return nil
	}
	if fa.threeD {
		v := stack.New[T](s)
		for z := range s.Z {
			if err := read(z, v.Plane(z)); err != nil {
				return err
			}
		}
		if outDT == stack.Float32 {
			out := stack.New[float32](s)
			if err := applyFilter(ctx, fa, any(out), v); err != nil {
				return err
			}
			err = writePlanes(ctx, p, func(z int) ([]float32, error) { return out.Plane(z), nil })
		} else {
			out := stack.New[T](s)
			if err := applyFilter(ctx, fa, any(out), v); err != nil {
				return err
			}
			err = writePlanes(ctx, p, func(z int) ([]T, error) { return out.Plane(z), nil })
		}
	} else {
		ps := stack.Shape{Z: 1, Y: s.Y, X: s.X}
		v := stack.New[T](ps)
		if outDT == stack.Float32 {
			out := stack.New[float32](ps)
			err = writePlanes(ctx, p, func(z int) ([]float32, error) {
				if err := read(z, v.Data); err != nil {
					return nil, err
				}
				return out.Data, applyFilter(ctx, fa, any(out), v)
			})
		} else {
			out := stack.New[T](ps)
			err = writePlanes(ctx, p, func(z int) ([]T, error) {
				if err := read(z, v.Data); err != nil {
					return nil, err
				}
				return out.Data, applyFilter(ctx, fa, any(out), v)
			})
		}
	}
	if err != nil {
		return err
	}
	if !pf.quiet {
		how := "per plane"
		if fa.threeD {
			how = "in 3-D"
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s: %d planes %dx%d %s, %s %s, mode %s\n", pf.output, s.Z, s.Y, s.X, outDT, fa.name, how, fa.mode)
	}
	return nil
}

// applyFilter runs fa on src into dst (a *stack.Volume[T], or
// *stack.Volume[float32] for the Gaussian derivatives).
func applyFilter[T stack.Elem](ctx context.Context, fa filterArgs, dst any, src *stack.Volume[T]) error {
	opt := kernels.FilterOptions{Size: fa.size, Origin: fa.origin, Mode: fa.mode, Cval: fa.cval, Footprint: fa.fp}
	gopt := kernels.GaussDerivOptions{Sigma: fa.sigma, Truncate: fa.truncate, Mode: fa.mode, Cval: fa.cval}
	if fa.name == "gaussian-laplace" {
		return kernels.GaussianLaplace(ctx, dst.(*stack.Volume[float32]), src, gopt)
	}
	if fa.name == "gaussian-gradient-magnitude" {
		return kernels.GaussianGradientMagnitude(ctx, dst.(*stack.Volume[float32]), src, gopt)
	}
	d := dst.(*stack.Volume[T])
	switch fa.name {
	case "uniform":
		return kernels.UniformFilter(ctx, d, src, opt)
	case "median":
		return kernels.MedianFilter(ctx, d, src, opt)
	case "minimum":
		return kernels.MinimumFilter(ctx, d, src, opt)
	case "maximum":
		return kernels.MaximumFilter(ctx, d, src, opt)
	case "sobel":
		return kernels.Sobel(ctx, d, src, fa.axis, opt)
	case "prewitt":
		return kernels.Prewitt(ctx, d, src, fa.axis, opt)
	case "laplace":
		return kernels.Laplace(ctx, d, src, opt)
	case "correlate":
		return kernels.Correlate(ctx, d, src, fa.weightsN, opt)
	case "convolve":
		return kernels.Convolve(ctx, d, src, fa.weightsN, opt)
	case "correlate1d":
		o := opt
		o.Origin = [3]int{}
		o.Origin[fa.axis] = fa.origin[2]
		return kernels.Correlate1D(ctx, d, src, fa.weights1, fa.axis, o)
	case "convolve1d":
		o := opt
		o.Origin = [3]int{}
		o.Origin[fa.axis] = fa.origin[2]
		return kernels.Convolve1D(ctx, d, src, fa.weights1, fa.axis, o)
	}
	return fmt.Errorf("unknown filter %q", fa.name)
}

// inputDType is the element type of the stack in (channel ch).
func inputDType(in string, ch int) (stack.DType, error) {
	src, closeSrc, err := segment.OpenSource(in, ch)
	if err != nil {
		return stack.Invalid, err
	}
	dt := src.DType()
	if err := closeSrc(); err != nil {
		return stack.Invalid, err
	}
	return dt, nil
}
