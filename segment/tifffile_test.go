package segment

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

// pythonTifffile returns Debian's python3 if it can import tifffile and
// numpy, and skips the test otherwise.
func pythonTifffile(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	if err := exec.Command(py, "-c", "import tifffile, numpy").Run(); err != nil {
		t.Skip("python3 lacks tifffile or numpy")
	}
	return py
}

// describe prints what tifffile makes of a labels file, and the sum and
// maximum of its labels as a check of the pixel data.
const describe = `
import sys, tifffile, numpy as np
with tifffile.TiffFile(sys.argv[1]) as t:
    s = t.series[0]
    a = s.asarray().astype(np.uint64)
    print(t.is_imagej, s.axes, s.dtype, "x".join(map(str, s.shape)), int(a.sum()), int(a.max()))
`

func TestLabelsOpenInTifffile(t *testing.T) {
	py := pythonTifffile(t)
	dir := t.TempDir()
	sum := func(v *stack.Volume[uint32]) (s, m uint64) {
		for _, l := range v.Data {
			s += uint64(l)
			m = max(m, uint64(l))
		}
		return s, m
	}

	// uint16 labels: an ImageJ hyperstack with axes ZYX.
	opt := DefaultOptions()
	opt.Input = "testdata/gen_a.tif"
	opt.Output = filepath.Join(dir, "labels16.tif")
	_, err := Run(context.Background(), opt)
	require.NoError(t, err)
	lab, _ := readLabels(t, opt.Output)
	s, m := sum(lab)
	out, err := exec.Command(py, "-c", describe, opt.Output).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Equal(t, []string{"True", "ZYX", "uint16", "8x96x96", itoa(int(s)), itoa(int(m))}, strings.Fields(string(out)))

	// uint32 labels: tifffile's shaped description gives the same shape.
	opt.Output = filepath.Join(dir, "labels32.tif")
	opt.LabelDType = LabelUint32
	_, err = Run(context.Background(), opt)
	require.NoError(t, err)
	out, err = exec.Command(py, "-c", describe, opt.Output).CombinedOutput()
	require.NoError(t, err, string(out))
	f := strings.Fields(string(out))
	require.Len(t, f, 6, string(out))
	require.Equal(t, []string{"uint32", "8x96x96", itoa(int(s)), itoa(int(m))}, f[2:], string(out))
}

// napari's built-in reader opens a TIFF with imageio.v3.imread (series 0
// through tifffile) and makes a labels layer of int32, uint32, int64 and
// uint64 arrays only (napari.layers.image._image_utils.guess_labels): the
// labels read as one ZYX array, uint16 by default (an image layer unless
// opened as labels) and uint32 with LabelUint32 (a labels layer).
func TestLabelsReadByNapariBuiltinReader(t *testing.T) {
	const py = "/opt/venv/bin/python"
	if err := exec.Command(py, "-c", "import imageio.v3, tifffile").Run(); err != nil {
		t.Skip("SKIP: /opt/venv/bin/python with imageio and tifffile not available")
	}
	dir := t.TempDir()
	for _, c := range []struct {
		dtype LabelDType
		want  string
	}{{LabelAuto, "uint16"}, {LabelUint32, "uint32"}} {
		opt := DefaultOptions()
		opt.Input = "testdata/gen_a.tif"
		opt.Output = filepath.Join(dir, c.want+".tif")
		opt.LabelDType = c.dtype
		rep, err := Run(context.Background(), opt)
		require.NoError(t, err)
		out, err := exec.Command(py, "-c", `import sys, imageio.v3 as iio
a = iio.imread(sys.argv[1])
print(a.dtype, "x".join(map(str, a.shape)), int(a.max()))`, opt.Output).CombinedOutput()
		require.NoError(t, err, string(out))
		require.Equal(t, []string{c.want, "8x96x96", itoa(int(rep.Objects))}, strings.Fields(string(out)))
	}
}
