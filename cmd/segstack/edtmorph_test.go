package main

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
	"github.com/stretchr/testify/require"
)

// writeBlobStack writes a uint16 stack of random blobs (labels-like
// values) and returns it with its non-zero mask.
func writeBlobStack(t *testing.T, path string, s stack.Shape) *stack.Volume[uint8] {
	t.Helper()
	rng := rand.New(rand.NewPCG(9, 10))
	v := stack.New[uint16](s)
	mask := stack.New[uint8](s)
	for range 12 {
		cz, cy, cx, r := rng.IntN(s.Z), rng.IntN(s.Y), rng.IntN(s.X), 2+rng.IntN(4)
		id := uint16(1 + rng.IntN(500))
		for z := range s.Z {
			for y := range s.Y {
				for x := range s.X {
					if (z-cz)*(z-cz)+(y-cy)*(y-cy)+(x-cx)*(x-cx) <= r*r && rng.IntN(9) != 0 {
						v.Set(z, y, x, id)
						mask.Set(z, y, x, 1)
					}
				}
			}
		}
	}
	w, err := tiff.Create(path, tiff.WriterOptions{Shape: s, DType: stack.Uint16})
	require.NoError(t, err)
	for z := range s.Z {
		require.NoError(t, tiff.WritePlaneOf(w, v.Plane(z)))
	}
	require.NoError(t, w.Close())
	return mask
}

func TestEDTAndMorphCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s := stack.Shape{Z: 5, Y: 30, X: 37}
	in := filepath.Join(dir, "in.tif")
	mask := writeBlobStack(t, in, s)

	// edt, 2d: each plane on its own.
	_, stderr, code := run(t, dir, "edt", in, "-o", "d2.tif", "-q", "--sampling", "1,0.5,2")
	require.Zero(t, code, stderr)
	got, err := tiff.ReadFile[float32](ctx, filepath.Join(dir, "d2.tif"))
	require.NoError(t, err)
	want := stack.New[float32](s)
	for z := range s.Z {
		require.NoError(t, kernels.EDT(ctx, want.PlaneVolume(z), mask.PlaneVolume(z), [3]float64{1, 0.5, 2}))
	}
	require.Equal(t, want.Data, got.Data)

	// edt, 3d, anisotropic.
	_, stderr, code = run(t, dir, "edt", in, "-o", "d3.tif", "-q", "--mode", "3d", "--sampling", "3,1,1")
	require.Zero(t, code, stderr)
	got, err = tiff.ReadFile[float32](ctx, filepath.Join(dir, "d3.tif"))
	require.NoError(t, err)
	require.NoError(t, kernels.EDT(ctx, want, mask, [3]float64{3, 1, 1}))
	require.Equal(t, want.Data, got.Data)

	// morph: every operation in 2d and 3d.
	for _, c := range []struct {
		op, conn string
		it       int
	}{{"erode", "8", 1}, {"dilate", "4", 2}, {"open", "26", 1}, {"close", "6", 1}, {"fill-holes", "4", 1}, {"fill-holes", "18", 1}, {"erode", "6", -1}} {
		out := c.op + c.conn + ".tif"
		_, stderr, code := run(t, dir, "morph", c.op, in, "-o", out, "-q", "--connectivity", c.conn,
			"--iterations", strconv.Itoa(c.it), "--foreground", "1")
		require.Zero(t, code, stderr)
		m, err := tiff.ReadFile[uint8](ctx, filepath.Join(dir, out))
		require.NoError(t, err)
		n, err := strconv.Atoi(c.conn)
		require.NoError(t, err)
		conn := kernels.Connectivity(n)
		opt := kernels.MorphOptions{Conn: conn, Iterations: c.it}
		fn := map[string]func(context.Context, *stack.Volume[uint8], *stack.Volume[uint8], kernels.MorphOptions) error{
			"erode": kernels.BinaryErosion, "dilate": kernels.BinaryDilation,
			"open": kernels.BinaryOpening, "close": kernels.BinaryClosing,
			"fill-holes": func(ctx context.Context, d, s *stack.Volume[uint8], o kernels.MorphOptions) error {
				return kernels.FillHoles(ctx, d, s, o.Conn)
			},
		}[c.op]
		ref := stack.New[uint8](s)
		if conn == kernels.Conn4 || conn == kernels.Conn8 {
			for z := range s.Z {
				require.NoError(t, fn(ctx, ref.PlaneVolume(z), mask.PlaneVolume(z), opt))
			}
		} else {
			require.NoError(t, fn(ctx, ref, mask, opt))
		}
		require.Equal(t, ref.Data, m.Data, "%+v", c)
	}

	// Mistakes name the flag.
	_, stderr, code = run(t, dir, "morph", "erode", in, "-o", "x.tif", "--mode", "2d", "--connectivity", "6")
	require.NotZero(t, code)
	require.Contains(t, stderr, "--mode 3d")
	_, stderr, code = run(t, dir, "morph", "shrink", in, "-o", "x.tif")
	require.NotZero(t, code)
	require.Contains(t, stderr, "unknown operation")
	_, stderr, code = run(t, dir, "edt", in, "-o", "x.tif", "--sampling", "1,-1,1")
	require.NotZero(t, code)
	require.Contains(t, stderr, "--sampling")
}
