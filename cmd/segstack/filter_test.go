package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// segstack filter writes scipy.ndimage's result, per plane and in 3-D,
// with the input's type (or float32 for the Gaussian derivatives):
// scipy runs on the same TIFF and the two files are compared, exactly or,
// for the Gaussian derivatives, to float32 rounding.
func TestFilterCommandMatchesScipy(t *testing.T) {
	t.Parallel()
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("SKIP: no /usr/bin/python3")
	}
	if err := exec.Command(py, "-c", "import tifffile, scipy.ndimage").Run(); err != nil {
		t.Skip("SKIP: python3 lacks tifffile or scipy")
	}
	dir := t.TempDir()
	_, errOut, code := run(t, dir, "gen", "in.tif", "--shape", "4,40,70")
	require.Equal(t, 0, code, errOut)
	cases := []struct {
		args  []string
		scipy string // a Python expression of a (the input array)
	}{
		{[]string{"median", "--size", "3"}, "np.stack([ndi.median_filter(p, 3) for p in a])"},
		{[]string{"median", "--size", "3,5,3", "--mode", "constant", "--cval", "7"}, "ndi.median_filter(a, (3, 5, 3), mode='constant', cval=7)"},
		{[]string{"median", "--footprint", "010,111,010", "--mode", "wrap"}, "np.stack([ndi.median_filter(p, footprint=[[0,1,0],[1,1,1],[0,1,0]], mode='wrap') for p in a])"},
		{[]string{"uniform", "--size", "4,5", "--origin", "1", "--mode", "mirror"}, "np.stack([ndi.uniform_filter(p, (4, 5), origin=1, mode='mirror') for p in a])"},
		{[]string{"maximum", "--size", "2,3,4", "--mode", "nearest"}, "ndi.maximum_filter(a, (2, 3, 4), mode='nearest')"},
		{[]string{"minimum", "--size", "5"}, "np.stack([ndi.minimum_filter(p, 5) for p in a])"},
		{[]string{"sobel", "--axis", "y", "--dtype", "float32"}, "np.stack([ndi.sobel(p.astype(np.float32), axis=0) for p in a])"},
		{[]string{"prewitt", "--axis", "z", "--3d"}, "ndi.prewitt(a, axis=0)"},
		{[]string{"laplace", "--mode", "grid-wrap"}, "np.stack([ndi.laplace(p, mode='grid-wrap') for p in a])"},
		{[]string{"correlate", "--weights", "0,1,0;1,-4,1;0,1,0", "--dtype", "float32"}, "np.stack([ndi.correlate(p.astype(np.float32), [[0,1,0],[1,-4,1],[0,1,0]]) for p in a])"},
		{[]string{"convolve1d", "--weights", "1,2,3,4", "--axis", "x", "--mode", "constant", "--cval", "3"}, "np.stack([ndi.convolve1d(p, [1,2,3,4], axis=1, mode='constant', cval=3) for p in a])"},
		{[]string{"gaussian-laplace", "--sigma", "1.5"}, "np.stack([ndi.gaussian_laplace(p, 1.5, output=np.float32) for p in a])"},
		{[]string{"gaussian-gradient-magnitude", "--sigma", "1,1,2"}, "ndi.gaussian_gradient_magnitude(a, (1, 1, 2), output=np.float32)"},
	}
	script := `import sys, numpy as np, tifffile, scipy.ndimage as ndi
a = tifffile.imread(sys.argv[1])
want = eval(sys.argv[3])
got = tifffile.imread(sys.argv[2])
assert got.dtype == want.dtype, (got.dtype, want.dtype)
assert got.shape == want.shape, (got.shape, want.shape)
if want.dtype == np.float32 and 'gaussian' in sys.argv[3]:
    tol = 2 * np.spacing(np.abs(want)) + 1e-6 * np.abs(want).max()
    bad = np.abs(got.astype(np.float64) - want) > tol
    assert not bad.any(), (int(bad.sum()), np.abs(got - want).max())
else:
    assert np.array_equal(got, want), (int((got != want).sum()), got[got != want][:5], want[got != want][:5])
print("ok")
`
	for i, c := range cases {
		out := filepath.Join(dir, "out"+strings.Repeat("x", i)+".tif")
		args := append([]string{"filter", c.args[0], "in.tif", "-o", out, "-q"}, c.args[1:]...)
		_, errOut, code := run(t, dir, args...)
		require.Equal(t, 0, code, "%v: %s", c.args, errOut)
		res, err := exec.Command(py, "-c", script, filepath.Join(dir, "in.tif"), out, c.scipy).CombinedOutput()
		require.NoError(t, err, "%v: %s", c.args, res)
	}

	// Errors name the flag.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"filter", "blur", "in.tif", "-o", "e.tif"}, "unknown filter"},
		{[]string{"filter", "median", "in.tif", "-o", "e.tif", "--size", "3,x"}, "--size"},
		{[]string{"filter", "uniform", "in.tif", "-o", "e.tif", "--footprint", "11"}, "--footprint"},
		{[]string{"filter", "sobel", "in.tif", "-o", "e.tif", "--axis", "z"}, "--3d"},
		{[]string{"filter", "correlate", "in.tif", "-o", "e.tif", "--weights", "1,2;3"}, "--weights"},
		{[]string{"filter", "median", "in.tif", "-o", "e.tif", "--mode", "bogus"}, "--mode"},
	} {
		_, errOut, code := run(t, dir, c.args...)
		require.NotEqual(t, 0, code, "%v", c.args)
		require.Contains(t, errOut, c.want, "%v", c.args)
	}
}
