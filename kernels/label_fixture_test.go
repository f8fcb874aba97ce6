package kernels

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/stack"
)

// labelFixture is one case of testdata/label/label_cases.jsonl.gz, made by
// testdata/label/gen_label.py with scipy.ndimage and skimage.measure.
type labelFixture struct {
	Name      string `json:"name"`
	Shape     [3]int `json:"shape"`
	Rank      int    `json:"rank"`
	Conn      int    `json:"conn"`
	N         int    `json:"n"`
	Mask      string `json:"mask"`
	Labels    string `json:"labels"`
	Intensity string `json:"intensity"`
	Props     []struct {
		Label    uint32     `json:"label"`
		Area     int        `json:"area"`
		BBox     [6]int     `json:"bbox"`
		Centroid [3]float64 `json:"centroid"`
		Mean     float64    `json:"mean"`
		Min      float64    `json:"min"`
		Max      float64    `json:"max"`
	} `json:"props"`
	Ndi struct {
		Sum     []float64 `json:"sum"`
		Mean    []float64 `json:"mean"`
		Maximum []float64 `json:"maximum"`
		Minimum []float64 `json:"minimum"`
	} `json:"ndi"`

	mask      *stack.Volume[uint8]
	labels    []uint32
	intensity *stack.Volume[float32]
}

func loadLabelFixtures(t *testing.T) []*labelFixture {
	t.Helper()
	f, err := os.Open("testdata/label/label_cases.jsonl.gz")
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var out []*labelFixture
	for sc.Scan() {
		c := &labelFixture{}
		require.NoError(t, json.Unmarshal(sc.Bytes(), c))
		s := stack.ShapeOf(c.Shape)
		bitsPacked, err := base64.StdEncoding.DecodeString(c.Mask)
		require.NoError(t, err)
		c.mask = stack.New[uint8](s)
		for i := range c.mask.Data {
			if bitsPacked[i/8]>>(7-i%8)&1 != 0 {
				c.mask.Data[i] = uint8(1 + i%200) // any non-zero value is foreground
			}
		}
		fgLabels, err := base64.StdEncoding.DecodeString(c.Labels)
		require.NoError(t, err)
		c.labels = make([]uint32, s.Len())
		k := 0
		for i, m := range c.mask.Data {
			if m != 0 {
				c.labels[i] = uint32(binary.LittleEndian.Uint16(fgLabels[2*k:]))
				k++
			}
		}
		require.Equal(t, len(fgLabels)/2, k, c.Name)
		if c.Intensity != "" {
			raw, err := base64.StdEncoding.DecodeString(c.Intensity)
			require.NoError(t, err)
			c.intensity = stack.New[float32](s)
			for i := range c.intensity.Data {
				c.intensity.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
		}
		out = append(out, c)
	}
	require.NoError(t, sc.Err())
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
		dst := stack.New[uint32](c.mask.Shape)
		n, err := Label(ctx, dst, c.mask, conn)
		require.NoError(t, err, c.Name)
		require.Equal(t, c.N, n, "%s conn %d", c.Name, c.Conn)
		require.Equal(t, c.labels, dst.Data, "%s conn %d", c.Name, c.Conn)

		src := stack.Convert[float32](c.mask)
		for i := range src.Data {
			src.Data[i] -= 0.5
		}
		clear(dst.Data)
		n, err = LabelAbove(ctx, dst, src, 0, conn)
		require.NoError(t, err, c.Name)
		require.Equal(t, c.N, n, c.Name)
		require.Equal(t, c.labels, dst.Data, c.Name)

		for _, ns := range []int{2, 3, 5} {
			clear(dst.Data)
			n, _, err = labelVolume(ctx, dst, c.mask.Shape, len(c.mask.Data), maskRunFunc(c.mask), conn, nil, false, ns)
			require.NoError(t, err)
			require.Equal(t, c.N, n, c.Name)
			require.Equal(t, c.labels, dst.Data, "%s strips %d", c.Name, ns)
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
		if c.intensity == nil {
			continue
		}
		seen++
		conn := Connectivity(c.Conn)
		for _, ns := range []int{0, 1, 3} {
			dst := stack.New[uint32](c.mask.Shape)
			var regions []Region
			var n int
			var err error
			if ns == 0 {
				n, regions, err = LabelWithStats(ctx, dst, c.mask, c.intensity, conn)
			} else {
				n, regions, err = labelVolume(ctx, dst, c.mask.Shape, len(c.mask.Data), maskRunFunc(c.mask), conn, c.intensity, true, ns)
			}
			require.NoError(t, err)
			require.Equal(t, c.N, n)
			require.Equal(t, c.labels, dst.Data)
			checkRegions(t, c, regions)
		}
		// The fused threshold path with a separate intensity volume.
		src := stack.Convert[float32](c.mask)
		dst := stack.New[uint32](c.mask.Shape)
		n, regions, err := LabelAboveWithStats(ctx, dst, src, 0.5, conn, c.intensity)
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
