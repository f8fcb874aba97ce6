package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/segment"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
	"github.com/stretchr/testify/require"
)

// sweepDims are the extents every CLI path is swept over on each axis: 1,
// around the SIMD widths (8, 16), around a cache line of float32 (16),
// around 64, and small odd sizes, so that no tail, stride or tiny-plane
// path goes unchecked.
var sweepDims = []int{1, 2, 3, 7, 8, 15, 16, 17, 63, 64, 65}

// sweepShapes are the Z×Y×X shapes of the sweep: every Y and X of
// sweepDims for stacks of 1, 2 and 3 planes, and a coarser set of longer
// stacks (the Z tails of the 3-D paths).
func sweepShapes() []stack.Shape {
	var out []stack.Shape
	for _, z := range []int{1, 2, 3} {
		for _, y := range sweepDims {
			for _, x := range sweepDims {
				out = append(out, stack.Shape{Z: z, Y: y, X: x})
			}
		}
	}
	for _, z := range []int{7, 8, 15, 16, 17} {
		for _, yx := range [][2]int{{1, 1}, {1, 17}, {17, 1}, {2, 3}, {16, 16}, {17, 65}} {
			out = append(out, stack.Shape{Z: z, Y: yx[0], X: yx[1]})
		}
	}
	return out
}

// refGaussian is scipy.ndimage.gaussian_filter (reflect mode, truncate 4)
// on float64 lines, each pass rounded to float32 as scipy stores it, over
// the axes whose sigma is not 0.
func refGaussian(v []float32, s stack.Shape, sigma [3]float64) []float32 {
	cur := append([]float32(nil), v...)
	dims := s.Dims()
	for a := range 3 {
		k := kernels.Kernel1D(sigma[a], 4)
		if len(k) <= 1 {
			continue
		}
		r := len(k) / 2
		next := make([]float32, len(cur))
		for z := range s.Z {
			for y := range s.Y {
				for x := range s.X {
					p := [3]int{z, y, x}
					acc := 0.0
					for o := -r; o <= r; o++ {
						q := p
						j, _ := stack.Reflect.MapIndex(p[a]+o, dims[a])
						q[a] = j
						acc += k[o+r] * float64(cur[(q[0]*s.Y+q[1])*s.X+q[2]])
					}
					next[(z*s.Y+y)*s.X+x] = float32(acc)
				}
			}
		}
		cur = next
	}
	return cur
}

// refLabel numbers the connected components of fg by flood fill in raster
// order of their first voxel, as scipy.ndimage.label does; conn is 4 or 8
// (each plane on its own, numbered uniquely across the stack: a plane's
// labels follow the planes' before it, segstack's default) or 6, 18 or 26.
func refLabel(fg []bool, s stack.Shape, conn int) ([]uint32, []int) {
	lab := make([]uint32, len(fg))
	var offs [][3]int
	for dz := -1; dz <= 1; dz++ {
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				n := abs3(dz) + abs3(dy) + abs3(dx)
				switch {
				case n == 0:
				case conn == 4 && dz == 0 && n == 1, conn == 8 && dz == 0,
					conn == 6 && n == 1, conn == 18 && n <= 2, conn == 26:
					offs = append(offs, [3]int{dz, dy, dx})
				}
			}
		}
	}
	counts := make([]int, s.Z)
	next := uint32(0)
	var queue [][3]int
	for z := range s.Z {
		for y := range s.Y {
			for x := range s.X {
				i := (z*s.Y+y)*s.X + x
				if !fg[i] || lab[i] != 0 {
					continue
				}
				next++
				counts[z]++
				lab[i] = next
				queue = append(queue[:0], [3]int{z, y, x})
				for len(queue) > 0 {
					p := queue[len(queue)-1]
					queue = queue[:len(queue)-1]
					for _, o := range offs {
						q := [3]int{p[0] + o[0], p[1] + o[1], p[2] + o[2]}
						if q[0] < 0 || q[0] >= s.Z || q[1] < 0 || q[1] >= s.Y || q[2] < 0 || q[2] >= s.X {
							continue
						}
						j := (q[0]*s.Y+q[1])*s.X + q[2]
						if fg[j] && lab[j] == 0 {
							lab[j] = next
							queue = append(queue, q)
						}
					}
				}
			}
		}
	}
	return lab, counts
}

// requireGaussClose checks got against the reference within float32
// rounding of a few passes.
func requireGaussClose(t *testing.T, want, got []float32, what string) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i := range want {
		if d := math.Abs(float64(want[i] - got[i])); d > 1e-5*math.Abs(float64(want[i]))+1e-3 {
			require.Failf(t, "mismatch", "%s: voxel %d: reference %v, got %v", what, i, want[i], got[i])
		}
	}
}

// sweepInput writes a random stack of shape s and type dt (values 0..999,
// sparse blobs of 0 and 1000 in masks) to path and returns it as float32.
func sweepInput(t *testing.T, path string, s stack.Shape, dt stack.DType, rng *rand.Rand) []float32 {
	t.Helper()
	vals := make([]float32, s.Len())
	for i := range vals {
		vals[i] = float32(rng.IntN(1000))
		if dt == stack.Uint8 {
			vals[i] = float32(255 * rng.IntN(2))
		}
	}
	var err error
	switch dt {
	case stack.Uint8:
		err = tiff.WriteVolume(context.Background(), path, convertVol[uint8](s, vals), tiff.WriterOptions{})
	case stack.Uint16:
		err = tiff.WriteVolume(context.Background(), path, convertVol[uint16](s, vals), tiff.WriterOptions{})
	case stack.Int16:
		err = tiff.WriteVolume(context.Background(), path, convertVol[int16](s, vals), tiff.WriterOptions{})
	case stack.Uint32:
		err = tiff.WriteVolume(context.Background(), path, convertVol[uint32](s, vals), tiff.WriterOptions{})
	case stack.Float32:
		err = tiff.WriteVolume(context.Background(), path, convertVol[float32](s, vals), tiff.WriterOptions{})
	default:
		t.Fatalf("no sweep input of %s", dt)
	}
	require.NoError(t, err)
	return vals
}

func convertVol[T stack.Elem](s stack.Shape, vals []float32) *stack.Volume[T] {
	v := stack.New[T](s)
	for i, f := range vals {
		v.Data[i] = T(f)
	}
	return v
}

func readFloat32(t *testing.T, path string) (*stack.Volume[float32], stack.Shape) {
	t.Helper()
	v, err := tiff.ReadFile[float32](context.Background(), path)
	require.NoError(t, err)
	return v, v.Shape
}

// TestCLIShapeSweep runs gaussian (2-D and 3-D), threshold, label (per
// plane and 3-D, uint16 and uint32 labels) and segment (2d and 3d, with
// statistics) on stacks of every shape of sweepShapes, in every input type
// the commands read, and checks each output against a brute-force
// reference: scipy's Gaussian in float64, a flood-fill labeller, and the
// threshold applied to the separately checked smoothed stack.
func TestCLIShapeSweep(t *testing.T) {
	shapes := sweepShapes()
	dtypes := []stack.DType{stack.Uint16, stack.Uint8, stack.Float32, stack.Int16, stack.Uint32}
	dir := t.TempDir()
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []string
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				s := shapes[i]
				ok := t.Run(fmt.Sprintf("%dx%dx%d", s.Z, s.Y, s.X), func(t *testing.T) {
					sweepOne(t, filepath.Join(dir, fmt.Sprint(w)), s, dtypes[i%len(dtypes)], rand.New(rand.NewPCG(uint64(i), 9)))
				})
				if !ok {
					mu.Lock()
					failed = append(failed, s.String())
					mu.Unlock()
				}
			}
		}()
	}
	for i := range shapes {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	require.Empty(t, failed)
	t.Logf("swept %d shapes through gaussian, threshold, label and segment", len(shapes))
}

func sweepOne(t *testing.T, dir string, s stack.Shape, dt stack.DType, rng *rand.Rand) {
	require.NoError(t, os.MkdirAll(dir, 0o755))
	p := func(n string) string { return filepath.Join(dir, n) }
	in := sweepInput(t, p("in.tif"), s, dt, rng)
	what := fmt.Sprintf("%v %s", s, dt)
	cli := func(args ...string) {
		t.Helper()
		_, errOut, code := run(t, dir, append(args, "--force", "-q")...)
		require.Equal(t, 0, code, "%s: %v: %s", what, args, errOut)
	}

	// gaussian, per plane and in 3-D.
	cli("gaussian", "in.tif", "-o", "g2.tif", "--sigma", "1")
	g2, gs := readFloat32(t, p("g2.tif"))
	require.Equal(t, s, gs, what)
	requireGaussClose(t, refGaussian(in, s, [3]float64{0, 1, 1}), g2.Data, what+" gaussian 2-D")
	cli("gaussian", "in.tif", "-o", "g3.tif", "--sigma", "1,1,1")
	g3, _ := readFloat32(t, p("g3.tif"))
	requireGaussClose(t, refGaussian(in, s, [3]float64{1, 1, 1}), g3.Data, what+" gaussian 3-D")

	// threshold at an absolute value: the uint8 mask of in > 500.
	cli("threshold", "in.tif", "-o", "m.tif", "--threshold", "500", "--foreground", "1")
	m, err := tiff.ReadFile[uint8](context.Background(), p("m.tif"))
	require.NoError(t, err, what)
	fg := make([]bool, len(in))
	for i, v := range in {
		fg[i] = v > 500
		require.Equal(t, map[bool]uint8{true: 1}[fg[i]], m.Data[i], "%s: threshold voxel %d", what, i)
	}

	// label, per plane and 3-D, both label types.
	for _, conn := range []int{4, 8, 6, 26} {
		want, _ := refLabel(fg, s, conn)
		for _, ldt := range []string{"uint16", "uint32"} {
			cli("label", "m.tif", "-o", "l.tif", "--connectivity", fmt.Sprint(conn), "--label-dtype", ldt)
			r, err := tiff.Open(p("l.tif"))
			require.NoError(t, err)
			require.Equal(t, ldt, r.DType().String(), what)
			r.Close()
			require.Equal(t, want, readLabels(t, p("l.tif")).Data, "%s: label conn %d %s", what, conn, ldt)
		}
	}

	// segment 2d with statistics and uint32 labels, and 3d: the labels of
	// the smoothed stack (checked above) above the reported thresholds.
	for _, mode := range []string{"2d", "3d"} {
		cli("segment", "in.tif", "-o", "seg.tif", "--mode", mode, "--label-dtype", "uint32", "--stats", "seg.csv", "--report", "seg.json")
		var rep segment.Report
		b, err := os.ReadFile(p("seg.json"))
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &rep))
		sm, conn := g2.Data, 4
		if mode == "3d" {
			sm, conn = g3.Data, 6
		}
		sfg := make([]bool, len(sm))
		pl := s.Y * s.X
		for i, v := range sm {
			sfg[i] = v > rep.Thresholds[min(i/pl, len(rep.Thresholds)-1)]
		}
		want, counts := refLabel(sfg, s, conn)
		require.Equal(t, want, readLabels(t, p("seg.tif")).Data, "%s: segment %s", what, mode)
		if mode == "2d" {
			require.Equal(t, counts, rep.Counts, "%s: segment 2d counts", what)
		}
	}
}

// TestCLIShapeSweepScipy runs testdata/sweep_scipy.py: the same sweep on
// stacks written and read by tifffile, checked against scipy.ndimage.
func TestCLIShapeSweepScipy(t *testing.T) {
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import tifffile, scipy, numpy").Run(); err != nil {
		t.Skip("SKIP: /usr/bin/python3 lacks tifffile, scipy or numpy (apt-get install python3-tifffile python3-scipy)")
	}
	out, err := exec.Command(py, "testdata/sweep_scipy.py", bin, t.TempDir()).CombinedOutput()
	require.NoError(t, err, "%s", out)
	t.Logf("%s", bytes.TrimSpace(out))
}
