package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/segstack/segstack/segment"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/synth"
	"github.com/segstack/segstack/stack/tiff"
	"github.com/stretchr/testify/require"
)

// gen --density writes NucleiDense's stack and --truth its ground truth.
func TestGenDensityTruth(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := stack.Shape{Z: 3, Y: 96, X: 80}
	out, errOut, code := run(t, dir, "gen", "d.tif", "--shape", "3,96,80", "--seed", "4", "--density", "0.4",
		"--truth", "t.tif", "--truth-level", "900")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "ground truth at level 900")
	img, err := tiff.ReadFile[uint16](context.Background(), filepath.Join(dir, "d.tif"))
	require.NoError(t, err)
	want, err := synth.NucleiDense(s, 4, 0.4)
	require.NoError(t, err)
	require.Equal(t, want.Data, img.Data)
	truth, err := tiff.ReadFile[uint32](context.Background(), filepath.Join(dir, "t.tif"))
	require.NoError(t, err)
	wantTruth, err := synth.Truth(s, 4, 0.4, 900)
	require.NoError(t, err)
	require.Equal(t, wantTruth.Data, truth.Data)

	_, errOut, code = run(t, dir, "gen", "e.tif", "--density", "0.8")
	require.NotEqual(t, 0, code)
	require.Contains(t, errOut, "--density")

	// The default is the sparse stack, unchanged.
	_, errOut, code = run(t, dir, "gen", "s.tif", "--shape", "2,40,40", "--seed", "3")
	require.Equal(t, 0, code, errOut)
	sparse, err := tiff.ReadFile[uint16](context.Background(), filepath.Join(dir, "s.tif"))
	require.NoError(t, err)
	require.Equal(t, synth.Nuclei(stack.Shape{Z: 2, Y: 40, X: 40}, 3).Data, sparse.Data)
}

// demo --density reports the true count next to what it found; plain
// labelling undercounts touching nuclei.
func TestDemoDensity(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, errOut, code := run(t, dir, "demo", "--out", "d", "--shape", "2,256,256", "--density", "0.4", "-q")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "density 0.4")
	require.Regexp(t, `ground truth: \d+ nuclei of at least 20 pixels above the threshold; found \d+`, out)
}

// segment --split watershed splits the touching nuclei of a dense stack;
// its flags need --split and say which flag is wrong.
func TestSegmentSplitFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, errOut, code := run(t, dir, "gen", "d.tif", "--shape", "3,192,192", "--seed", "5", "--density", "0.45")
	require.Equal(t, 0, code, errOut)
	_, errOut, code = run(t, dir, "segment", "d.tif", "-o", "plain.tif", "-q", "--report", "plain.json")
	require.Equal(t, 0, code, errOut)
	_, errOut, code = run(t, dir, "segment", "d.tif", "-o", "split.tif", "-q", "--report", "split.json",
		"--split", "watershed", "--seeds", "distance", "--min-distance", "2", "--fill-holes", "--min-size", "15", "--max-size", "5000")
	require.Equal(t, 0, code, errOut)
	plain, split := readReport(t, filepath.Join(dir, "plain.json")), readReport(t, filepath.Join(dir, "split.json"))
	require.Greater(t, split.Objects, plain.Objects)
	require.Equal(t, &segment.SplitReport{Method: "watershed", Seeds: "distance", MinDistance: 2, FillHoles: true, MinSize: 15, MaxSize: 5000}, split.Split)
	require.Nil(t, plain.Split)

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--seeds", "distance"}, "--seeds applies to splitting touching objects: add --split watershed"},
		{[]string{"--min-size", "3"}, "--min-size applies"},
		{[]string{"--split", "voronoi"}, "--split: unknown split"},
		{[]string{"--split", "watershed", "--seeds", "edges"}, "--seeds: unknown seeds"},
		{[]string{"--split", "watershed", "--min-distance", "0"}, "--min-distance 0: want 1 or more"},
		{[]string{"--split", "watershed", "--min-size", "50", "--max-size", "10"}, "--max-size is below --min-size"},
	} {
		_, errOut, code := run(t, dir, append([]string{"segment", "d.tif", "-o", "x.tif", "-q", "--force"}, c.args...)...)
		require.NotEqual(t, 0, code, "%v", c.args)
		require.Contains(t, errOut, c.want, "%v", c.args)
	}
}

func readReport(t *testing.T, path string) segment.Report {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var rep segment.Report
	require.NoError(t, json.Unmarshal(b, &rep))
	return rep
}

// The library's split errors get the flag's name.
func TestSplitErrorHint(t *testing.T) {
	t.Parallel()
	err := withFlagHints(fmt.Errorf("run: %w", &segment.SplitError{Field: "min distance", Reason: "-1 is negative"}))
	require.EqualError(t, err, "run: --min-distance: -1 is negative")
	err = withFlagHints(&segment.SplitError{Field: "method", Reason: "7 is not one of none and watershed"})
	require.EqualError(t, err, "--split: 7 is not one of none and watershed")
}

// demo --density --split watershed finds the true count within 5%.
func TestDemoSplit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, errOut, code := run(t, dir, "demo", "--out", "d", "--shape", "4,384,384", "--density", "0.45", "--split", "watershed", "-q")
	require.Equal(t, 0, code, errOut)
	m := regexp.MustCompile(`ground truth: (\d+) nuclei of at least 20 pixels above the threshold; found (\d+)`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	want, _ := strconv.Atoi(m[1])
	got, _ := strconv.Atoi(m[2])
	require.InDelta(t, 1, float64(got)/float64(want), 0.05, out)
	require.FileExists(t, filepath.Join(dir, "d", "preview.png"))
}
