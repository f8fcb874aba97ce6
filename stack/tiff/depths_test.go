package tiff

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

// depthCase is one entry of the list make_depths.py writes.
type depthCase struct {
	Name        string `json:"name"`
	DType       string `json:"dtype"`
	Planes      int    `json:"planes"`
	Channels    int    `json:"channels"`
	Y           int    `json:"y"`
	X           int    `json:"x"`
	Bits        int    `json:"bits"`
	StoredAs    string `json:"stored_as"`
	Subsampling [2]int `json:"subsampling"`
}

// makeDepths runs testdata/make_depths.py into a temporary folder, skipping
// when the venv's tifffile or libtiff's tiffcp is absent.
func makeDepths(t *testing.T) (string, []depthCase) {
	t.Helper()
	if err := exec.Command(venvPython, "-c", "import tifffile, imagecodecs, numpy").Run(); err != nil {
		t.Skipf("SKIP: %s with tifffile and imagecodecs not available: %v", venvPython, err)
	}
	if _, err := exec.LookPath("tiffcp"); err != nil {
		t.Skip("SKIP: tiffcp (libtiff-tools) not installed")
	}
	var cases []depthCase
	dir := runTestdata(t, "make_depths.py", "depths.json", &cases)
	require.Greater(t, len(cases), 200)
	return dir, cases
}

// TestWidenedSamplesMatchLibtiff reads int8, float16, packed unsigned and
// signed integers of 1 to 31 bits, 24-bit integers and YCbCr (unsubsampled
// and subsampled 2x2, 2x1, 4x2, 4x4 and 1x2), one to four samples per
// pixel, contiguous and separate planes, in strips of every height and in
// tiles, both byte orders, uncompressed and with LZW, Deflate, PackBits,
// Zstandard and LZMA, predictors 2 and 3 where libtiff allows them, and
// checks every plane against what libtiff decodes (widened exactly), the
// element type, Widened and Subsampling; then that a copy written with
// WriterOptions reads back the same.
func TestWidenedSamplesMatchLibtiff(t *testing.T) {
	dir, cases := makeDepths(t)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(dir, c.Name+".raw"))
			require.NoError(t, err)
			r, got := readAllPlanes(t, filepath.Join(dir, c.Name+".tif"))
			require.Equal(t, c.DType, r.DType().String())
			require.Equal(t, stack.Shape{Z: c.Planes, Y: c.Y, X: c.X}, r.Shape())
			require.Equal(t, c.Channels, r.SamplesPerPixel())
			require.Equal(t, c.StoredAs, r.Widened())
			require.Equal(t, c.Bits, r.BitsPerSample())
			h, v := r.Subsampling()
			require.Equal(t, c.Subsampling, [2]int{h, v})
			require.True(t, bytes.Equal(want, got), "pixels differ from libtiff's")
			requireCopyReads(t, r, want)
		})
	}
}
