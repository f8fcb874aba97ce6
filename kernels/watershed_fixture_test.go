package kernels

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/stack"
)

// wsCase is one entry of testdata/watershed_cases.json, made by
// testdata/make_watershed.py with scikit-image 0.26.
type wsCase struct {
	Kind  string `json:"kind"`
	Name  string `json:"name"`
	Shape [3]int `json:"shape"`
	Image int    `json:"image"`
	// watershed
	Conn    int `json:"conn"`
	Markers int `json:"markers"`
	Mask    int `json:"mask"`
	Output  int `json:"output"`
	// peaks
	Labels        int      `json:"labels"`
	MinDistance   int      `json:"min_distance"`
	ThresholdAbs  *float64 `json:"threshold_abs"`
	ThresholdRel  *float64 `json:"threshold_rel"`
	ExcludeBorder int      `json:"exclude_border"`
	NumPeaks      int      `json:"num_peaks"`
	Coords        [][3]int `json:"coords"`
}

func loadWatershedFixtures(t *testing.T) ([]wsCase, []byte) {
	t.Helper()
	js, err := os.ReadFile(filepath.Join("testdata", "watershed_cases.json"))
	require.NoError(t, err)
	var m struct {
		Cases []wsCase `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(js, &m))
	require.NotEmpty(t, m.Cases)
	gz, err := os.ReadFile(filepath.Join("testdata", "watershed_data.bin.gz"))
	require.NoError(t, err)
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	require.NoError(t, err)
	blob, err := io.ReadAll(zr)
	require.NoError(t, err)
	return m.Cases, blob
}

func u32s(b []byte, off, n int) []uint32 {
	out := make([]uint32, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(b[off+4*i:])
	}
	return out
}

func TestWatershedFixtures(t *testing.T) {
	t.Parallel()
	cases, blob := loadWatershedFixtures(t)
	ctx := context.Background()
	nws, npk := 0, 0
	for _, c := range cases {
		s := stack.ShapeOf(c.Shape)
		n := s.Len()
		img := &stack.Volume[float32]{Shape: s, Data: f32s(blob, c.Image, n)}
		switch c.Kind {
		case "watershed":
			nws++
			mk := &stack.Volume[uint32]{Shape: s, Data: u32s(blob, c.Markers, n)}
			var mask *stack.Volume[uint8]
			if c.Mask >= 0 {
				mask = &stack.Volume[uint8]{Shape: s, Data: append([]uint8(nil), blob[c.Mask:c.Mask+n]...)}
			}
			want := u32s(blob, c.Output, n)
			dst := stack.New[uint32](s)
			require.NoError(t, Watershed(ctx, dst, img, mk, mask, Connectivity(c.Conn)), c.Name)
			require.Equal(t, want, dst.Data, c.Name)
			if s.Z == 1 {
				require.NoError(t, WatershedPlanes(ctx, dst, img, mk, mask, Connectivity(c.Conn), 1), c.Name)
				require.Equal(t, want, dst.Data, c.Name)
			}
			require.Equal(t, want, refWatershed(img, mk, mask, Connectivity(c.Conn)), "reference: %s", c.Name)
		case "peaks":
			npk++
			opt := PeakOptions{MinDistance: c.MinDistance, ExcludeBorder: c.ExcludeBorder, NumPeaks: c.NumPeaks}
			if c.ThresholdAbs != nil {
				opt.ThresholdAbs, opt.HasThresholdAbs = *c.ThresholdAbs, true
			}
			if c.ThresholdRel != nil {
				opt.ThresholdRel = *c.ThresholdRel
			}
			if c.Labels >= 0 {
				opt.Labels = &stack.Volume[uint32]{Shape: s, Data: u32s(blob, c.Labels, n)}
			}
			got, err := PeakLocalMax(ctx, img, opt)
			require.NoError(t, err, c.Name)
			want := c.Coords
			if want == nil {
				want = [][3]int{}
			}
			if got == nil {
				got = [][3]int{}
			}
			require.Equal(t, want, got, c.Name)
			ref := refPeaks(img, opt)
			if ref == nil {
				ref = [][3]int{}
			}
			require.Equal(t, want, ref, "reference: %s", c.Name)
		default:
			t.Fatalf("unknown fixture kind %q", c.Kind)
		}
	}
	require.Positive(t, nws)
	require.Positive(t, npk)
}
