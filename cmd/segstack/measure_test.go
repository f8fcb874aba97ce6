package main

import (
	"context"
	"encoding/csv"
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

// measureInputs writes a uint32 label stack (labels 1, 2, 3 and big, which
// may be above 2^24, where float32 cannot hold it) and a float32 intensity
// stack into dir.
func measureInputs(t *testing.T, dir string, s stack.Shape, big uint32) (*stack.Volume[uint32], *stack.Volume[float32]) {
	t.Helper()
	r := rand.New(rand.NewPCG(5, 6))
	labels := stack.New[uint32](s)
	img := stack.New[float32](s)
	for i := range labels.Data {
		labels.Data[i] = []uint32{0, 1, 2, 3, big}[(i/7+r.IntN(2))%5]
		img.Data[i] = float32(r.NormFloat64()*30 + 100)
	}
	ctx := context.Background()
	require.NoError(t, tiff.WriteVolume(ctx, filepath.Join(dir, "labels.tif"), labels, tiff.WriterOptions{}))
	require.NoError(t, tiff.WriteVolume(ctx, filepath.Join(dir, "img.tif"), img, tiff.WriterOptions{}))
	return labels, img
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

func TestMeasureCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := stack.Shape{Z: 3, Y: 20, X: 30}
	labels, img := measureInputs(t, dir, s, 16777217)
	_, errOut, code := run(t, dir, "measure", "labels.tif", "--intensity", "img.tif", "-o", "stats.csv",
		"--index", "3,16777217,0,7", "--histogram", "50,150,5")
	require.Equal(t, 0, code, errOut)
	rows := readCSV(t, filepath.Join(dir, "stats.csv"))
	require.Equal(t, []string{"label", "count", "sum", "mean", "variance", "standard_deviation", "minimum", "maximum", "median",
		"minimum_position-0", "minimum_position-1", "minimum_position-2", "maximum_position-0", "maximum_position-1", "maximum_position-2",
		"center_of_mass-0", "center_of_mass-1", "center_of_mass-2",
		"find_objects-0", "find_objects-1", "find_objects-2", "find_objects-3", "find_objects-4", "find_objects-5",
		"histogram-0", "histogram-1", "histogram-2", "histogram-3", "histogram-4"}, rows[0])
	require.Len(t, rows, 5)
	index := []uint32{3, 16777217, 0, 7}
	ctx := context.Background()
	m, err := kernels.Measure(ctx, labels, img, index, kernels.MeasureAll)
	require.NoError(t, err)
	h, err := kernels.HistogramLabels(ctx, labels, img, 50, 150, 5, index)
	require.NoError(t, err)
	boxes, err := kernels.FindObjects(ctx, labels, 16777217)
	require.NoError(t, err)
	for i, l := range index {
		row := rows[i+1]
		require.Equal(t, strconv.FormatUint(uint64(l), 10), row[0])
		require.Equal(t, strconv.FormatInt(m.Count[i], 10), row[1])
		for k, v := range []float64{m.Sum[i], m.Mean[i], m.Variance[i], m.StandardDeviation[i], m.Minimum[i], m.Maximum[i], m.Median[i]} {
			got, err := strconv.ParseFloat(row[2+k], 64)
			require.NoError(t, err)
			if math.IsNaN(v) {
				require.True(t, math.IsNaN(got))
			} else {
				require.Equal(t, v, got, "%s of label %d", rows[0][2+k], l)
			}
		}
		for d := range 3 {
			require.Equal(t, strconv.Itoa(m.MinimumPosition[i][d]), row[9+d])
			require.Equal(t, strconv.Itoa(m.MaximumPosition[i][d]), row[12+d])
			require.Equal(t, csvFloat(m.CenterOfMass[i][d]), row[15+d])
		}
		if l == 0 || l == 7 {
			require.Equal(t, []string{"", "", "", "", "", ""}, row[18:24], "label %d has no box", l)
		} else {
			b := boxes[l-1]
			for d := range 3 {
				require.Equal(t, strconv.Itoa(b.Lo[d]), row[18+d])
				require.Equal(t, strconv.Itoa(b.Hi[d]), row[21+d])
			}
		}
		if h[i] == nil {
			require.Equal(t, []string{"", "", "", "", ""}, row[24:])
		} else {
			for k, c := range h[i] {
				require.Equal(t, strconv.FormatInt(c, 10), row[24+k])
			}
		}
	}
	require.Equal(t, "0", rows[4][1], "label 7 is absent")
	require.Equal(t, "nan", rows[4][3])

	// A subset of statistics, on one plane: two axes per position.
	plane := stack.Shape{Z: 1, Y: 20, X: 30}
	d2 := t.TempDir()
	measureInputs(t, d2, plane, 5)
	_, errOut, code = run(t, d2, "measure", "labels.tif", "--intensity", "img.tif", "-o", "s.csv", "--stats", "mean,center_of_mass,find_objects")
	require.Equal(t, 0, code, errOut)
	rows = readCSV(t, filepath.Join(d2, "s.csv"))
	require.Equal(t, []string{"label", "count", "mean", "center_of_mass-0", "center_of_mass-1",
		"find_objects-0", "find_objects-1", "find_objects-2", "find_objects-3"}, rows[0])
	require.Len(t, rows, 5+1, "every label 1..max")
	require.Equal(t, "4", rows[4][0])
	require.Equal(t, "0", rows[4][1], "label 4 is absent")
}

func TestMeasureCommandErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	measureInputs(t, dir, stack.Shape{Z: 2, Y: 5, X: 6}, 4)
	other := stack.New[uint8](stack.Shape{Z: 2, Y: 6, X: 5})
	require.NoError(t, tiff.WriteVolume(context.Background(), filepath.Join(dir, "other.tif"), other, tiff.WriterOptions{}))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"measure", "labels.tif", "-o", "x.csv"}, "--intensity"},
		{[]string{"measure", "labels.tif", "--intensity", "img.tif"}, "-o"},
		{[]string{"measure", "labels.tif", "--intensity", "img.tif", "-o", "x.csv", "--stats", "mode"}, "--stats"},
		{[]string{"measure", "labels.tif", "--intensity", "img.tif", "-o", "x.csv", "--index", "1,-2"}, "--index"},
		{[]string{"measure", "labels.tif", "--intensity", "img.tif", "-o", "x.csv", "--histogram", "5,1,3"}, "--histogram"},
		{[]string{"measure", "labels.tif", "--intensity", "other.tif", "-o", "x.csv"}, "differ in shape"},
		{[]string{"measure", "img.tif", "--intensity", "img.tif", "-o", "x.csv"}, "integer"},
	} {
		_, errOut, code := run(t, dir, c.args...)
		require.NotEqual(t, 0, code, c.args)
		require.Contains(t, errOut, c.want, c.args)
		_, err := os.Stat(filepath.Join(dir, "x.csv"))
		require.True(t, os.IsNotExist(err), "no partial output")
	}
}

func TestCSVFloatAsPython(t *testing.T) {
	for v, want := range map[float64]string{1158182: "1158182.0", 0.1: "0.1", 1e16: "1e+16", 1.5e-05: "1.5e-05",
		-2.5: "-2.5", 0: "0.0", 123456789012345.6: "123456789012345.6"} {
		require.Equal(t, want, csvFloat(v))
	}
	require.Equal(t, "nan", csvFloat(math.NaN()))
	require.Equal(t, "-inf", csvFloat(math.Inf(-1)))
}
