package main

import (
	"context"
	"path/filepath"
	"testing"

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
