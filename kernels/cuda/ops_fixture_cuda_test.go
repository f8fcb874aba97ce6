//go:build cuda

package cuda

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/internal/fixtures"
	"github.com/segstack/segstack/stack"
)

// The scipy fixtures of package kernels (testdata/, made by the scripts
// beside them), run through the device kernels.

// TestGaussianFixtures: on every case of testdata/gaussian_cases.json the
// device gives the CPU backend's bits (which are within a few float32 ulps
// of scipy's, as package kernels tests), and scipy's values within the
// same tolerance.
func TestGaussianFixtures(t *testing.T) {
	cases, blob, err := fixtures.Load[fixtures.Gauss]("../testdata", "gaussian")
	require.NoError(t, err)
	require.NotEmpty(t, cases)
	g, s := opsGPU(t)
	fewBlocks(t, 4)
	ctx := context.Background()
	for _, c := range cases {
		shape := stack.ShapeOf(c.Shape)
		n := shape.Len()
		mode, err := stack.ParseMode(c.Mode)
		require.NoError(t, err)
		opt := kernels.GaussianOptions{Sigma: c.Sigma, Truncate: c.Truncate, Mode: mode, Cval: c.Cval}
		want := stack.New[float32](shape)
		var wantMax float32
		var raw []byte
		size := 4
		switch c.DType {
		case "float32":
			src, _ := stack.FromSlice(shape, fixtures.F32s(blob, c.Input, n))
			wantMax, err = kernels.Gaussian(ctx, want, src, opt)
			raw = blob[c.Input : c.Input+4*n]
		case "uint8":
			src, _ := stack.FromSlice(shape, append([]uint8(nil), blob[c.Input:c.Input+n]...))
			wantMax, err = kernels.GaussianOf(ctx, want, src, opt)
			raw, size = blob[c.Input:c.Input+n], 1
		case "uint16":
			src, _ := stack.FromSlice(shape, fixtures.U16s(blob, c.Input, n))
			wantMax, err = kernels.GaussianOf(ctx, want, src, opt)
			raw, size = blob[c.Input:c.Input+2*n], 2
		default:
			t.Fatalf("%s: dtype %s", c.Name, c.DType)
		}
		require.NoError(t, err, c.Name)
		src := upload(t, g, s, raw)
		dst := alloc(t, g, 4*n)
		mb := alloc(t, g, 4)
		require.NoError(t, g.GaussianOf(s, dst, src, mb, size, shape, opt), c.Name)
		got := download[float32](t, g, s, dst, n)
		requireBits(t, want.Data, got, c.Name)
		requireBits(t, []float32{wantMax}, download[float32](t, g, s, mb, 1), c.Name+" max")
		scipy := fixtures.F32s(blob, c.Output, n)
		scale := 0.0
		for _, v := range scipy {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		for i := range scipy {
			d := math.Abs(float64(scipy[i]) - float64(got[i]))
			require.LessOrEqual(t, d, 1e-5*math.Abs(float64(scipy[i]))+1e-6*scale, "%s: element %d", c.Name, i)
		}
		require.NoError(t, g.Free(src))
		require.NoError(t, g.Free(dst))
		require.NoError(t, g.Free(mb))
	}
}

// TestLabelFixtures: on every case of testdata/label/label_cases.jsonl.gz
// (scipy.ndimage.label and skimage.measure.regionprops) the device's labels,
// numbering and count are scipy's, and its region statistics are the
// CPU's.
func TestLabelFixtures(t *testing.T) {
	all, err := fixtures.LoadLabels("../testdata")
	require.NoError(t, err)
	g, s := opsGPU(t)
	fewBlocks(t, 1)
	cases := 0
	for _, c := range all {
		shape := stack.ShapeOf(c.Shape)
		src := stack.New[float32](shape)
		for i, m := range c.Mask.Data {
			src.Data[i] = -0.5
			if m != 0 {
				src.Data[i] = 0.5
			}
		}
		want := c.Labels
		conn := kernels.Connectivity(c.Conn)
		widths := []int{4}
		if cases%4 == 0 {
			widths = append(widths, 2) // uint16 labels on a quarter of the cases
		}
		for _, es := range widths {
			got, n := gpuLabel(t, g, s, src, 0, conn, es)
			require.Equal(t, c.N, n, "%s conn %d", c.Name, c.Conn)
			require.Equal(t, want, got, "%s conn %d, %d-byte labels", c.Name, c.Conn, es)
		}
		if in := c.Intensity; in != nil {
			lv := stack.New[uint32](shape)
			_, regs, err := kernels.LabelAboveWithStats(context.Background(), lv, src, 0, conn, in)
			require.NoError(t, err)
			lb := upload(t, g, s, want)
			ib := upload(t, g, s, in.Data)
			out := alloc(t, g, max(g.RegionStatsBytes(c.N), 1))
			require.NoError(t, g.RegionStats(s, out, lb, ib, shape, c.N))
			got := g.DecodeRegions(download[byte](t, g, s, out, g.RegionStatsBytes(c.N)), c.N, true)
			requireRegions(t, regs, got, c.Name)
			require.NoError(t, g.Free(lb))
			require.NoError(t, g.Free(ib))
			require.NoError(t, g.Free(out))
		}
		cases++
	}
	require.Greater(t, cases, 150)
}

// requireRegions requires equal regions, except that the mean intensity,
// a float64 sum of float32s whose order differs between the CPU's runs and
// the device's atomics, may differ in its last bits.
func requireRegions(t *testing.T, want, got []kernels.Region, msg string) {
	t.Helper()
	require.Len(t, got, len(want), msg)
	for i := range want {
		w, g := want[i], got[i]
		require.InEpsilon(t, w.MeanIntensity+1, g.MeanIntensity+1, 1e-12, "%s: label %d mean", msg, w.Label)
		w.MeanIntensity, g.MeanIntensity = 0, 0
		require.Equal(t, w, g, "%s: label %d", msg, w.Label)
	}
}
