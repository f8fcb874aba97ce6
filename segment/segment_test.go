package segment

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
	"github.com/stretchr/testify/require"
)

// refCase is one entry of testdata/cases.json, made by reference.py.
type refCase struct {
	Name         string    `json:"name"`
	Input        string    `json:"input"`
	Shape        []int     `json:"shape"`
	Mode         string    `json:"mode"`
	Sigma        []float64 `json:"sigma"`
	Threshold    string    `json:"threshold"`
	Connectivity int       `json:"connectivity"`
	Counts       []int     `json:"counts"`
	Labels       string    `json:"labels"`
	Stats        string    `json:"stats"`
	Ambiguous    [][3]int  `json:"ambiguous"`
}

func loadCases(t *testing.T) []refCase {
	t.Helper()
	b, err := os.ReadFile("testdata/cases.json")
	require.NoError(t, err)
	var cases []refCase
	require.NoError(t, json.Unmarshal(b, &cases))
	require.NotEmpty(t, cases)
	return cases
}

func (c refCase) labels(t *testing.T) []uint32 {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", c.Labels))
	require.NoError(t, err)
	defer f.Close()
	g, err := gzip.NewReader(f)
	require.NoError(t, err)
	b, err := io.ReadAll(g)
	require.NoError(t, err)
	out := make([]uint32, len(b)/4)
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return out
}

func (c refCase) options(t *testing.T, dir string) Options {
	t.Helper()
	mode, err := ParseMode(c.Mode)
	require.NoError(t, err)
	thr, err := kernels.ParseThreshold(c.Threshold)
	require.NoError(t, err)
	return Options{
		Input:        filepath.Join("testdata", c.Input),
		Channel:      -1,
		Output:       filepath.Join(dir, "labels.tif"),
		Stats:        filepath.Join(dir, "stats.csv"),
		Mode:         mode,
		Sigma:        [3]float64{c.Sigma[0], c.Sigma[1], c.Sigma[2]},
		Threshold:    thr,
		Connectivity: kernels.Connectivity(c.Connectivity),
		Device:       "cpu",
	}
}

// readLabels reads a labels TIFF of either label type as uint32.
func readLabels(t *testing.T, path string) (*stack.Volume[uint32], stack.DType) {
	t.Helper()
	r, err := tiff.Open(path)
	require.NoError(t, err)
	defer r.Close()
	switch r.DType() {
	case stack.Uint16:
		v, err := tiff.ReadVolume[uint16](context.Background(), r)
		require.NoError(t, err)
		return stack.Convert[uint32](v), stack.Uint16
	case stack.Uint32:
		v, err := tiff.ReadVolume[uint32](context.Background(), r)
		require.NoError(t, err)
		return v, stack.Uint32
	}
	t.Fatalf("labels are %s", r.DType())
	return nil, 0
}

// requireLabelsMatch allows differences only at pixels whose smoothed value
// lies within 1e-5 (relative) of the threshold in the reference.
func requireLabelsMatch(t *testing.T, c refCase, want, got []uint32) {
	t.Helper()
	require.Len(t, got, len(want))
	amb := map[int]bool{}
	for _, p := range c.Ambiguous {
		amb[(p[0]*c.Shape[1]+p[1])*c.Shape[2]+p[2]] = true
	}
	for i := range want {
		if want[i] != got[i] && !amb[i] {
			z, rem := i/(c.Shape[1]*c.Shape[2]), i%(c.Shape[1]*c.Shape[2])
			t.Fatalf("%s: label at (%d,%d,%d) is %d, scipy says %d", c.Name, z, rem/c.Shape[2], rem%c.Shape[2], got[i], want[i])
		}
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	return rows
}

// requireStatsMatch compares two stats tables: integers exactly, floats to
// 1e-9 relative.
func requireStatsMatch(t *testing.T, name string, want, got [][]string) {
	t.Helper()
	require.Equal(t, want[0], got[0], "%s: header", name)
	require.Len(t, got, len(want), "%s: rows", name)
	for i := 1; i < len(want); i++ {
		require.Len(t, got[i], len(want[i]))
		for j := range want[i] {
			w, err := strconv.ParseFloat(want[i][j], 64)
			require.NoError(t, err)
			g, err := strconv.ParseFloat(got[i][j], 64)
			require.NoError(t, err, "%s row %d col %s", name, i, want[0][j])
			require.InDelta(t, w, g, 1e-9*math.Max(1, math.Abs(w)), "%s row %d col %s", name, i, want[0][j])
		}
	}
}

func TestMatchesScipy(t *testing.T) {
	for _, c := range loadCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			dir := t.TempDir()
			opt := c.options(t, dir)
			rep, err := Run(context.Background(), opt)
			require.NoError(t, err)
			got, dt := readLabels(t, opt.Output)
			require.Equal(t, stack.Uint16, dt, "few labels: auto writes uint16")
			require.Equal(t, c.Shape, []int{got.Shape.Z, got.Shape.Y, got.Shape.X})
			requireLabelsMatch(t, c, c.labels(t), got.Data)
			require.Equal(t, c.Counts, rep.Counts)
			requireStatsMatch(t, c.Name, readCSV(t, filepath.Join("testdata", c.Stats)), readCSV(t, opt.Stats))
		})
	}
}

// The streaming histogram of 3-D mode, added up from parts, gives
// kernels.Otsu's answer for the whole.
func TestOtsuHistMatchesKernels(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	for iter := range 200 {
		n := 1 + r.IntN(5000)
		v := make([]float32, n)
		scale, off := float32(r.Float64()*3000+1e-3), float32(r.Float64()*200-100)
		for i := range v {
			v[i] = float32(r.Float64())*scale + off
		}
		if iter%7 == 0 {
			for i := range v {
				v[i] = float32(int(v[i])) // ties
			}
		}
		lo, hi := minMax(v)
		h := kernels.NewOtsuHistogram(lo, hi)
		cut := r.IntN(n + 1)
		a, b := kernels.NewOtsuHistogram(lo, hi), kernels.NewOtsuHistogram(lo, hi)
		a.Add(v[:cut])
		b.Add(v[cut:])
		require.NoError(t, h.Merge(a))
		require.NoError(t, h.Merge(b))
		require.Equal(t, kernels.Otsu(v), h.Threshold(), "iter %d n %d", iter, n)
	}
}

func csvOf(t *testing.T, b []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	require.NoError(t, err)
	return rows
}

func itoa(i int) string { return strconv.Itoa(i) }

func kernelsConn(c int) kernels.Connectivity { return kernels.Connectivity(c) }

// minMax is the reference minimum and maximum the tests compare with.
func minMax(v []float32) (lo, hi float32) {
	if len(v) == 0 {
		return 0, 0
	}
	lo, hi = v[0], v[0]
	for _, x := range v[1:] {
		lo = min(lo, x)
		hi = max(hi, x)
	}
	return lo, hi
}
