// Command kernelrun runs segstack's kernels for bench/compare, in a process
// of its own so that its peak RSS is its own. It speaks the protocol of
// bench/anchors/kernel_bench.py:
//
//	kernelrun info
//	kernelrun prep --in STACK.tif --outdir DIR
//	kernelrun --inputs DIR --kernels K1,K2,… [--outdir DIR] [--min-time S]
//
// prep writes DIR/input.npy (the stack as float32), DIR/mask2d.npy (each
// plane's Gaussian sigma 1 above 0.33 of that plane's maximum) and
// DIR/mask3d.npy (the 3-D Gaussian sigma 1 above 0.33 of the volume's
// maximum), the inputs every implementation is given. The timing form runs
// each kernel once to warm up and then as many times as fill --min-time and
// prints the mean per call; with --outdir it runs each kernel once and
// writes DIR/<kernel>.npy (scalar results go in the JSON) for the harness's
// check. One JSON object goes to stdout.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/segstack/segstack/bench/internal/npy"
	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
)

func main() {
	ctx := context.Background()
	var err error
	switch {
	case len(os.Args) > 1 && os.Args[1] == "info":
		err = json.NewEncoder(os.Stdout).Encode(map[string]any{
			"backend": kernels.CPU().Name(), "gomaxprocs": runtime.GOMAXPROCS(0),
		})
	case len(os.Args) > 1 && os.Args[1] == "prep":
		fs := flag.NewFlagSet("prep", flag.ExitOnError)
		in := fs.String("in", "", "input TIFF stack")
		out := fs.String("outdir", "", "directory for input.npy, mask2d.npy, mask3d.npy")
		fs.Parse(os.Args[2:])
		err = prep(ctx, *in, *out)
	default:
		fs := flag.NewFlagSet("kernelrun", flag.ExitOnError)
		inputs := fs.String("inputs", "", "directory written by prep")
		list := fs.String("kernels", "", "comma-separated kernels")
		outdir := fs.String("outdir", "", "write each output here (check mode)")
		minTime := fs.Float64("min-time", 0.2, "seconds each timing spans at least")
		fs.Parse(os.Args[1:])
		err = runKernels(ctx, *inputs, strings.Split(*list, ","), *outdir, *minTime)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kernelrun:", err)
		os.Exit(1)
	}
}

// threshold is 0.33 × m as numpy computes "0.33 * a.max()" and compares
// float32 data with it.
func threshold(m float32) float32 { return float32(0.33 * float64(m)) }

func prep(ctx context.Context, in, outdir string) error {
	raw, err := tiff.ReadFile[uint16](ctx, in)
	if err != nil {
		return err
	}
	s := raw.Shape
	dims := []int{s.Z, s.Y, s.X}
	src := stack.New[float32](s)
	kernels.ToFloat32(src.Data, raw.Data)
	if err := npy.Write(filepath.Join(outdir, "input.npy"), dims, src.Data); err != nil {
		return err
	}
	sm := stack.New[float32](s)
	if _, err := kernels.Gaussian(ctx, sm, src, kernels.GaussianOptions{Sigma: [3]float64{0, 1, 1}}); err != nil {
		return err
	}
	mask := stack.New[uint8](s)
	for z := range s.Z {
		pm, err := kernels.Max(ctx, sm.PlaneVolume(z))
		if err != nil {
			return err
		}
		if err := kernels.Threshold(ctx, mask.PlaneVolume(z), sm.PlaneVolume(z), threshold(pm)); err != nil {
			return err
		}
	}
	if err := npy.Write(filepath.Join(outdir, "mask2d.npy"), dims, mask.Data); err != nil {
		return err
	}
	m, err := kernels.Gaussian(ctx, sm, src, kernels.GaussianOptions{Sigma: [3]float64{1, 1, 1}})
	if err != nil {
		return err
	}
	if err := kernels.Threshold(ctx, mask, sm, threshold(m)); err != nil {
		return err
	}
	return npy.Write(filepath.Join(outdir, "mask3d.npy"), dims, mask.Data)
}

type result struct {
	Kernel  string   `json:"kernel"`
	Seconds float64  `json:"seconds,omitempty"`
	Calls   int      `json:"calls,omitempty"`
	Value   *float64 `json:"value,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// job is one kernel bound to its inputs: run computes, save writes the
// output of the last run.
type job struct {
	run  func() error
	save func(path string) error
	val  func() float64
}

func loadF32(path string) (*stack.Volume[float32], error) {
	a, err := npy.Read(path)
	if err != nil {
		return nil, err
	}
	d, err := a.Float32()
	if err != nil {
		return nil, err
	}
	return volume(a.Shape, d)
}

func loadU8(path string) (*stack.Volume[uint8], error) {
	a, err := npy.Read(path)
	if err != nil {
		return nil, err
	}
	if a.Descr != "|u1" {
		return nil, fmt.Errorf("%s: want uint8, have %s", path, a.Descr)
	}
	return volume(a.Shape, a.Data)
}

func volume[T stack.Elem](shape []int, data []T) (*stack.Volume[T], error) {
	if len(shape) != 3 {
		return nil, fmt.Errorf("want a Z,Y,X array, have shape %v", shape)
	}
	return stack.FromSlice(stack.Shape{Z: shape[0], Y: shape[1], X: shape[2]}, data)
}

func dimsOf(s stack.Shape) []int { return []int{s.Z, s.Y, s.X} }

func runKernels(ctx context.Context, dir string, names []string, outdir string, minTime float64) error {
	start := time.Now()
	var (
		input          *stack.Volume[float32]
		mask2d, mask3d *stack.Volume[uint8]
		err            error
	)
	need := func(name string) error {
		switch {
		case name == "input" && input == nil:
			input, err = loadF32(filepath.Join(dir, "input.npy"))
		case name == "mask2d" && mask2d == nil:
			mask2d, err = loadU8(filepath.Join(dir, "mask2d.npy"))
		case name == "mask3d" && mask3d == nil:
			mask3d, err = loadU8(filepath.Join(dir, "mask3d.npy"))
		}
		return err
	}

	var results []result
	for _, k := range names {
		r := result{Kernel: k}
		j, err := bind(ctx, k, need, func() *stack.Volume[float32] { return input },
			func() *stack.Volume[uint8] { return mask2d }, func() *stack.Volume[uint8] { return mask3d })
		if err != nil {
			r.Error = err.Error()
			results = append(results, r)
			continue
		}
		if err := measure(j, &r, outdir, minTime); err != nil {
			r.Error = err.Error()
		}
		results = append(results, r)
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"impl": "segstack", "threads": runtime.GOMAXPROCS(0), "backend": kernels.CPU().Name(),
		"setup_s": time.Since(start).Seconds() - total(results), "kernels": results,
		"self_peak_rss_mb": selfPeakRSSMiB(),
	})
}

func total(rs []result) float64 {
	t := 0.0
	for _, r := range rs {
		t += r.Seconds * float64(max(r.Calls, 1))
	}
	return t
}

func measure(j job, r *result, outdir string, minTime float64) error {
	if outdir != "" {
		t := time.Now()
		if err := j.run(); err != nil {
			return err
		}
		r.Seconds, r.Calls = time.Since(t).Seconds(), 1
		if j.val != nil {
			v := j.val()
			r.Value = &v
			return nil
		}
		return j.save(filepath.Join(outdir, r.Kernel+".npy"))
	}
	t := time.Now()
	if err := j.run(); err != nil {
		return err
	}
	once := time.Since(t).Seconds()
	n := max(1, min(100, int(math.Ceil(minTime/max(once, 1e-9)))))
	t = time.Now()
	for range n {
		if err := j.run(); err != nil {
			return err
		}
	}
	r.Seconds, r.Calls = time.Since(t).Seconds()/float64(n), n
	return nil
}

var errUnsupported = errors.New("unsupported")

// bind prepares kernel k: its inputs loaded, its output allocated once.
func bind(ctx context.Context, k string, need func(string) error, input func() *stack.Volume[float32],
	mask2d, mask3d func() *stack.Volume[uint8]) (job, error) {
	fam, param, _ := strings.Cut(k, "-")
	switch fam {
	case "gauss2d", "gauss3d":
		sigma, err := strconv.ParseFloat(strings.TrimPrefix(param, "s"), 64)
		if err != nil {
			return job{}, errUnsupported
		}
		if err := need("input"); err != nil {
			return job{}, err
		}
		src := input()
		dst := stack.New[float32](src.Shape)
		opt := kernels.GaussianOptions{Sigma: [3]float64{sigma, sigma, sigma}}
		if fam == "gauss2d" {
			opt.Sigma[0] = 0
		}
		return job{
			run: func() error { _, err := kernels.Gaussian(ctx, dst, src, opt); return err },
			save: func(p string) error {
				return npy.Write(p, dimsOf(dst.Shape), dst.Data)
			},
		}, nil
	case "max":
		if err := need("input"); err != nil {
			return job{}, err
		}
		src := input()
		var m float32
		return job{
			run: func() error { var err error; m, err = kernels.Max(ctx, src); return err },
			val: func() float64 { return float64(m) },
		}, nil
	case "otsu":
		if err := need("input"); err != nil {
			return job{}, err
		}
		src := input()
		var t float32
		return job{
			run: func() error { t = kernels.Otsu(src.Data); return nil },
			val: func() float64 { return float64(t) },
		}, nil
	case "label2d", "label3d":
		c, err := strconv.Atoi(strings.TrimPrefix(param, "c"))
		if err != nil {
			return job{}, errUnsupported
		}
		conn := kernels.Connectivity(c)
		var mask *stack.Volume[uint8]
		if fam == "label2d" {
			if err := need("mask2d"); err != nil {
				return job{}, err
			}
			mask = mask2d()
		} else {
			if err := need("mask3d"); err != nil {
				return job{}, err
			}
			mask = mask3d()
		}
		dst := stack.New[uint32](mask.Shape)
		run := func() error { _, err := kernels.Label(ctx, dst, mask, conn); return err }
		if fam == "label2d" {
			// Plane by plane, numbered per plane, as the anchors do.
			run = func() error {
				for z := range mask.Shape.Z {
					if _, err := kernels.Label(ctx, dst.PlaneVolume(z), mask.PlaneVolume(z), conn); err != nil {
						return err
					}
				}
				return nil
			}
		}
		return job{
			run:  run,
			save: func(p string) error { return npy.Write(p, dimsOf(dst.Shape), dst.Data) },
		}, nil
	case "edt2d", "edt3d":
		m, err := maskFor(fam, need, mask2d, mask3d)
		if err != nil {
			return job{}, err
		}
		dst := stack.New[float32](m.Shape)
		run := func() error { return kernels.EDT(ctx, dst, m, [3]float64{}) }
		if fam == "edt2d" {
			run = func() error {
				for z := range m.Shape.Z {
					if err := kernels.EDT(ctx, dst.PlaneVolume(z), m.PlaneVolume(z), [3]float64{}); err != nil {
						return err
					}
				}
				return nil
			}
		}
		return job{run: run, save: func(p string) error { return npy.Write(p, dimsOf(dst.Shape), dst.Data) }}, nil
	case "erode2d", "dilate2d", "erode3d", "dilate3d":
		c, err := strconv.Atoi(strings.TrimPrefix(param, "c"))
		if err != nil {
			return job{}, errUnsupported
		}
		m, err := maskFor(fam, need, mask2d, mask3d)
		if err != nil {
			return job{}, err
		}
		op := kernels.BinaryErosion
		if strings.HasPrefix(fam, "dilate") {
			op = kernels.BinaryDilation
		}
		opt := kernels.MorphOptions{Conn: kernels.Connectivity(c), Iterations: 1}
		dst := stack.New[uint8](m.Shape)
		run := func() error { return op(ctx, dst, m, opt) }
		if strings.HasSuffix(fam, "2d") {
			run = func() error {
				for z := range m.Shape.Z {
					if err := op(ctx, dst.PlaneVolume(z), m.PlaneVolume(z), opt); err != nil {
						return err
					}
				}
				return nil
			}
		}
		return job{run: run, save: func(p string) error { return npy.Write(p, dimsOf(dst.Shape), dst.Data) }}, nil
	}
	return job{}, errUnsupported
}

// maskFor loads the per-plane mask for a 2-D family, the 3-D one otherwise.
func maskFor(fam string, need func(string) error, mask2d, mask3d func() *stack.Volume[uint8]) (*stack.Volume[uint8], error) {
	if strings.HasSuffix(fam, "2d") {
		if err := need("mask2d"); err != nil {
			return nil, err
		}
		return mask2d(), nil
	}
	if err := need("mask3d"); err != nil {
		return nil, err
	}
	return mask3d(), nil
}
