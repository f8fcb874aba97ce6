package kernels

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels/internal/fixtures"
	"github.com/segstack/segstack/stack"
)

// labelFixture is one case of testdata/label/label_cases.jsonl.gz.
type labelFixture = fixtures.Label

func loadLabelFixtures(t *testing.T) []*labelFixture {
	t.Helper()
	out, err := fixtures.LoadLabels("testdata")
	require.NoError(t, err)
	require.Greater(t, len(out), 150)
	return out
}

// TestLabelFixtures holds Label, LabelAbove and the strip-parallel path to
// scipy.ndimage.label's output, numbering included.
func TestLabelFixtures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, c := range loadLabelFixtures(t) {
		conn := Connectivity(c.Conn)
		dst := stack.New[uint32](c.Mask.Shape)
		n, err := Label(ctx, dst, c.Mask, conn)
		require.NoError(t, err, c.Name)
		require.Equal(t, c.N, n, "%s conn %d", c.Name, c.Conn)
		require.Equal(t, c.Labels, dst.Data, "%s conn %d", c.Name, c.Conn)

		src := stack.Convert[float32](c.Mask)
		for i := range src.Data {
			src.Data[i] -= 0.5
		}
		clear(dst.Data)
		n, err = LabelAbove(ctx, dst, src, 0, conn)
		require.NoError(t, err, c.Name)
		require.Equal(t, c.N, n, c.Name)
		require.Equal(t, c.Labels, dst.Data, c.Name)

		for _, ns := range []int{2, 3, 5} {
			clear(dst.Data)
			n, _, err = labelVolume(ctx, dst, c.Mask.Shape, len(c.Mask.Data), maskRunFunc(c.Mask), conn, nil, false, ns)
			require.NoError(t, err)
			require.Equal(t, c.N, n, c.Name)
			require.Equal(t, c.Labels, dst.Data, "%s strips %d", c.Name, ns)
		}
	}
}

// TestLabelStatsFixtures checks the region statistics against
// skimage.measure.regionprops and scipy.ndimage's labelled reductions.
func TestLabelStatsFixtures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	seen := 0
	for _, c := range loadLabelFixtures(t) {
		if c.Intensity == nil {
			continue
		}
		seen++
		conn := Connectivity(c.Conn)
		for _, ns := range []int{0, 1, 3} {
			dst := stack.New[uint32](c.Mask.Shape)
			var regions []Region
			var n int
			var err error
			if ns == 0 {
				n, regions, err = LabelWithStats(ctx, dst, c.Mask, c.Intensity, conn)
			} else {
				n, regions, err = labelVolume(ctx, dst, c.Mask.Shape, len(c.Mask.Data), maskRunFunc(c.Mask), conn, c.Intensity, true, ns)
			}
			require.NoError(t, err)
			require.Equal(t, c.N, n)
			require.Equal(t, c.Labels, dst.Data)
			checkRegions(t, c, regions)
		}
		// The fused threshold path with a separate intensity volume.
		src := stack.Convert[float32](c.Mask)
		dst := stack.New[uint32](c.Mask.Shape)
		n, regions, err := LabelAboveWithStats(ctx, dst, src, 0.5, conn, c.Intensity)
		require.NoError(t, err)
		require.Equal(t, c.N, n)
		checkRegions(t, c, regions)
	}
	require.GreaterOrEqual(t, seen, 5)
}

func checkRegions(t *testing.T, c *labelFixture, regions []Region) {
	t.Helper()
	require.Len(t, regions, c.N, c.Name)
	require.Len(t, c.Props, c.N, c.Name)
	for i, p := range c.Props {
		r := regions[i]
		require.Equal(t, p.Label, r.Label, c.Name)
		require.Equal(t, p.Area, r.Area, c.Name)
		want := stack.Box{Lo: [3]int{p.BBox[0], p.BBox[1], p.BBox[2]}, Hi: [3]int{p.BBox[3], p.BBox[4], p.BBox[5]}}
		require.Equal(t, want, r.BBox, "%s label %d", c.Name, p.Label)
		for a := range 3 {
			require.InDelta(t, p.Centroid[a], r.Centroid[a], 1e-9, c.Name)
		}
		// regionprops averages float32 in float32; scipy sums in float64.
		require.InEpsilon(t, p.Mean, r.MeanIntensity, 1e-5, c.Name)
		require.InEpsilon(t, c.Ndi.Mean[i], r.MeanIntensity, 1e-12, c.Name)
		require.InEpsilon(t, c.Ndi.Sum[i], r.MeanIntensity*float64(r.Area), 1e-12, c.Name)
		require.Equal(t, p.Min, r.MinIntensity, c.Name)
		require.Equal(t, p.Max, r.MaxIntensity, c.Name)
		require.Equal(t, c.Ndi.Minimum[i], r.MinIntensity, c.Name)
		require.Equal(t, c.Ndi.Maximum[i], r.MaxIntensity, c.Name)
	}
}
