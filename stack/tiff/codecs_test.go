package tiff

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

// codecCase is one entry of the list make_codecs.py writes.
type codecCase struct {
	Name   string `json:"name"`
	DType  string `json:"dtype"`
	Planes int    `json:"planes"`
	Y      int    `json:"y"`
	X      int    `json:"x"`
}

// TestRareCodecsMatchLibtiff reads NeXT and ThunderScan files (every code
// of each format, rows of odd widths, several strips, both byte orders),
// PixarLog files written by libtiff (8- and 16-bit and float samples), 24-
// bit floats (specials, subnormals and NaN payloads included), 64-bit
// integers (extremes included), JBIG files (libtiff's and jbigkit's
// options) and LERC files (every data type, lossless and lossy, every blob
// version and coding) and checks every plane against what libtiff decodes
// (imagecodecs for 24-bit floats, which libtiff leaves undecoded; the
// written arrays for 64-bit integers and the LERC layouts libtiff 4.5
// fails on); then that a copy written with WriterOptions reads back the
// same, and that the files libtiff fails to decode are refused.
func TestRareCodecsMatchLibtiff(t *testing.T) {
	check := "import tifffile, imagecodecs, numpy, ctypes; t = ctypes.CDLL('libtiff.so.6'); ctypes.CDLL('libjbig.so.0'); " +
		"assert t.TIFFIsCODECConfigured(34661) and t.TIFFIsCODECConfigured(34887) and imagecodecs.LERC.available"
	if err := exec.Command(venvPython, "-c", check).Run(); err != nil {
		t.Skipf("SKIP: %s with tifffile and imagecodecs (with LERC), or libtiff.so.6 with JBIG and LERC and libjbig.so.0, not available: %v", venvPython, err)
	}
	var cases []codecCase
	dir := runTestdata(t, "make_codecs.py", "codecs.json", &cases)
	require.Len(t, cases, 82)
	// Files libtiff fails to decode are refused, with an error of this
	// package's kinds.
	b, err := os.ReadFile(filepath.Join(dir, "refused.json"))
	require.NoError(t, err)
	var refused []string
	require.NoError(t, json.Unmarshal(b, &refused))
	require.NotEmpty(t, refused)
	for _, name := range refused {
		t.Run(name, func(t *testing.T) {
			r, err := Open(filepath.Join(dir, name+".tif"))
			if err == nil {
				err = r.ReadPlaneInto(0, make([]byte, r.PlaneBytes()))
				r.Close()
			}
			var ue UnsupportedError
			var fe FormatError
			require.True(t, errors.As(err, &ue) || errors.As(err, &fe), "want a refusal, got %v", err)
		})
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(dir, c.Name+".raw"))
			require.NoError(t, err)
			r, got := readAllPlanes(t, filepath.Join(dir, c.Name+".tif"))
			require.Equal(t, c.DType, r.DType().String())
			require.Equal(t, stack.Shape{Z: c.Planes, Y: c.Y, X: c.X}, r.Shape())
			require.True(t, bytes.Equal(want, got), "pixels differ from libtiff's")
			requireCopyReads(t, r, want)
		})
	}
}
