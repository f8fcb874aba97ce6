package segment

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/synth"
	"github.com/segstack/segstack/stack/tiff"
)

// pythonSkimage returns Debian's python3 if it can import scikit-image and
// tifffile, and skips the test otherwise.
func pythonSkimage(t *testing.T) string {
	t.Helper()
	py := pythonTifffile(t)
	if err := exec.Command(py, "-c", "import skimage.measure").Run(); err != nil {
		t.Skip("SKIP: python3 lacks scikit-image")
	}
	return py
}

// regionpropsTable prints, as CSV, scikit-image's regionprops_table of a
// labels TIFF over a raw TIFF: of the volume (3d) or of each plane (2d, a
// plane column added), with the physical columns computed from the sizes
// given (Z, Y, X) and the unit symbol.
const regionpropsTable = `
import sys, numpy as np, tifffile
from skimage.measure import regionprops_table
labels_path, raw_path, mode, sizes, sym = sys.argv[1:6]
lab = tifffile.imread(labels_path)
raw = tifffile.imread(raw_path).astype(np.float64)
if lab.ndim == 2:
    lab, raw = lab[None], raw[None]
size = [float(s) for s in sizes.split(",")] if sizes else None
props = ("label", "area", "bbox", "centroid", "intensity_mean", "intensity_max", "intensity_min")
out = []
def emit(t, plane, nd):
    cols = list(t.keys())
    extra = []
    if plane is not None:
        extra.append("plane")
    if size is not None:
        s = size[3 - nd:]
        extra.append(("volume_%s3" if nd == 3 else "area_%s2") % sym)
        extra += ["centroid_%s-%d" % (sym, a) for a in range(nd)]
    if not out:
        out.append(",".join(cols + extra))
    for i in range(len(t["label"])):
        row = [repr(t[c][i].item()) for c in cols]
        if plane is not None:
            row.append(str(plane))
        if size is not None:
            row.append(repr(float(t["area"][i]) * float(np.prod(s))))
            row += [repr(float(t["centroid-%d" % a][i]) * s[a]) for a in range(nd)]
        out.append(",".join(row))
if mode == "3d":
    emit(regionprops_table(lab, intensity_image=raw, properties=props), None, 3)
else:
    for z in range(lab.shape[0]):
        emit(regionprops_table(lab[z], intensity_image=raw[z], properties=props), z, 2)
print("\n".join(out))
`

// objects.csv is scikit-image's regionprops_table, column for column, in
// 2-D and 3-D mode, with and without a pixel size: integers exactly,
// centroids and means within float rounding.
func TestStatsMatchRegionpropsTable(t *testing.T) {
	py := pythonSkimage(t)
	dir := t.TempDir()
	vol := synth.Nuclei(stack.Shape{Z: 6, Y: 70, X: 90}, 11)
	calibrated := filepath.Join(dir, "calibrated.tif")
	require.NoError(t, tiff.WriteVolume(context.Background(), calibrated, vol,
		tiff.WriterOptions{PixelSizeX: 0.25, PixelSizeY: 0.25, SpacingZ: 1.5, Unit: "micron"}))
	plain := filepath.Join(dir, "plain.tif")
	require.NoError(t, tiff.WriteVolume(context.Background(), plain, vol, tiff.WriterOptions{}))

	for _, c := range []struct {
		name, input string
		mode        Mode
		sizes, sym  string
	}{
		{"2d", plain, Mode2D, "", ""},
		{"2d/um", calibrated, Mode2D, "1.5,0.25,0.25", "um"},
		{"3d", plain, Mode3D, "", ""},
		{"3d/um", calibrated, Mode3D, "1.5,0.25,0.25", "um"},
	} {
		t.Run(c.name, func(t *testing.T) {
			opt := DefaultOptions()
			opt.Input = c.input
			opt.Mode = c.mode
			opt.Output = filepath.Join(dir, strings.ReplaceAll(c.name, "/", "_")+".labels.tif")
			opt.Stats = filepath.Join(dir, strings.ReplaceAll(c.name, "/", "_")+".csv")
			opt.Device = "cpu"
			rep, err := Run(context.Background(), opt)
			require.NoError(t, err)
			require.Positive(t, rep.Objects)
			got := readCSV(t, opt.Stats)
			require.Len(t, got, 1+int(rep.Objects), "one row per object")

			out, err := exec.Command(py, "-c", regionpropsTable, opt.Output, c.input, c.mode.String(), c.sizes, c.sym).CombinedOutput()
			require.NoError(t, err, string(out))
			want := csvOf(t, out)
			requireStatsMatch(t, c.name, want, got)
		})
	}
}
