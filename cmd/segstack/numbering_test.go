package main

import (
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The demo's labels.tif, read by scikit-image as one ZYX volume, holds as
// many regions as objects.csv has rows: 2d objects are numbered uniquely
// across the stack by default.
func TestDemoLabelsMatchRegionprops(t *testing.T) {
	t.Parallel()
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("SKIP: no /usr/bin/python3")
	}
	if err := exec.Command(py, "-c", "import tifffile, skimage.measure").Run(); err != nil {
		t.Skip("SKIP: python3 lacks tifffile or scikit-image")
	}
	dir := t.TempDir()
	_, errOut, code := run(t, dir, "demo", "--out", "d", "--shape", "6,160,128", "-q")
	require.Equal(t, 0, code, errOut)
	f, err := os.Open(filepath.Join(dir, "d", "objects.csv"))
	require.NoError(t, err)
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	require.NoError(t, err)
	require.Greater(t, len(rows), 20)

	script := `import sys, tifffile
from skimage.measure import regionprops_table
t = regionprops_table(tifffile.imread(sys.argv[1]), properties=("label",))
print(len(t["label"]), int(t["label"].max()))`
	out, err := exec.Command(py, "-c", script, filepath.Join(dir, "d", "labels.tif")).CombinedOutput()
	require.NoError(t, err, string(out))
	f2 := strings.Fields(string(out))
	require.Equal(t, []string{strconv.Itoa(len(rows) - 1), strconv.Itoa(len(rows) - 1)}, f2,
		"regions in labels.tif, largest label; objects.csv has %d rows", len(rows)-1)

	// Per-plane numbering restarts in every plane: fewer regions.
	_, errOut, code = run(t, dir, "demo", "--out", "p", "--shape", "6,160,128", "-q", "--labels", "per-plane")
	require.Equal(t, 0, code, errOut)
	out, err = exec.Command(py, "-c", script, filepath.Join(dir, "p", "labels.tif")).CombinedOutput()
	require.NoError(t, err, string(out))
	n, err := strconv.Atoi(strings.Fields(string(out))[0])
	require.NoError(t, err)
	require.Less(t, n, len(rows)-1)
}

// --labels picks the numbering; --unique-labels still works, says on
// stderr that it is deprecated, and may not contradict --labels.
func TestLabelsFlag(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := abs(t, "../../segment/testdata/blobs_u16.tif")
	_, errOut, code := run(t, dir, "segment", in, "-o", "u.tif", "-q")
	require.Equal(t, 0, code, errOut)
	require.Empty(t, errOut)
	_, errOut, code = run(t, dir, "segment", in, "-o", "p.tif", "-q", "--labels", "per-plane")
	require.Equal(t, 0, code, errOut)
	_, errOut, code = run(t, dir, "segment", in, "-o", "a.tif", "-q", "--unique-labels")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, errOut, "--unique-labels is deprecated")
	uniq, per, alias := readLabels(t, filepath.Join(dir, "u.tif")), readLabels(t, filepath.Join(dir, "p.tif")), readLabels(t, filepath.Join(dir, "a.tif"))
	require.Equal(t, uniq.Data, alias.Data)
	require.NotEqual(t, uniq.Data, per.Data)
	maxOf := func(v []uint32) (m uint32) {
		for _, l := range v {
			m = max(m, l)
		}
		return m
	}
	require.Equal(t, uint32(56), maxOf(uniq.Data), "the stack's 56 objects numbered 1..56")
	require.Less(t, maxOf(per.Data), uint32(56))

	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--labels", "sometimes"}, "--labels"},
		{[]string{"--labels", "per-plane", "--unique-labels"}, "contradicts"},
		{[]string{"--labels", "per-plane", "--mode", "3d"}, "applies to 2d"},
	} {
		args := append([]string{"segment", in, "-o", "x.tif", "-q"}, c.args...)
		_, errOut, code := run(t, dir, args...)
		require.NotEqual(t, 0, code, "%v", c.args)
		require.Contains(t, errOut, c.msg, "%v", c.args)
	}
	_, errOut, code = run(t, dir, "label", in, "-o", "l.tif", "-q", "--labels", "per-plane")
	require.Equal(t, 0, code, errOut)
	_, errOut, code = run(t, dir, "label", in, "-o", "l26.tif", "-q", "--connectivity", "26", "--labels", "per-plane")
	require.NotEqual(t, 0, code)
	require.Contains(t, errOut, "applies to 2d")
}
