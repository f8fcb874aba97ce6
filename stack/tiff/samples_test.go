package tiff

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

// venvPython has tifffile 2026 with imagecodecs, which writes the
// compressed layouts Debian's tifffile cannot.
const venvPython = "/opt/venv/bin/python"

// sampleCase is one entry of the manifest make_samples.py writes.
type sampleCase struct {
	Name     string `json:"name"`
	DType    string `json:"dtype"`
	Planes   int    `json:"planes"`
	Channels int    `json:"channels"`
	Y        int    `json:"y"`
	X        int    `json:"x"`
	Pages    int    `json:"pages"`
	// ColormapHead is the first four colours of a palette image's map.
	ColormapHead [][3]uint16 `json:"colormap_head"`
	ColormapLen  int         `json:"colormap_len"`
}

// makeSamples runs testdata/make_samples.py into a temporary folder and
// returns the folder and its cases, skipping when the venv's tifffile with
// imagecodecs is absent.
func makeSamples(t *testing.T) (string, []sampleCase) {
	t.Helper()
	if err := exec.Command(venvPython, "-c", "import tifffile, imagecodecs, numpy").Run(); err != nil {
		t.Skipf("SKIP: %s with tifffile and imagecodecs not available: %v", venvPython, err)
	}
	var cases []sampleCase
	dir := runTestdata(t, "make_samples.py", "manifest.json", &cases)
	require.NotEmpty(t, cases)
	return dir, cases
}

// runTestdata runs testdata/script with the venv's Python, which writes its
// files into a new folder, and decodes the manifest it writes there into
// cases; it returns the folder.
func runTestdata(t *testing.T, script, manifest string, cases any) string {
	t.Helper()
	dir := t.TempDir()
	var stderr bytes.Buffer
	cmd := exec.Command(venvPython, filepath.Join("testdata", script), dir)
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	b, err := os.ReadFile(filepath.Join(dir, manifest))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, cases))
	return dir
}

// requireCopyReads writes every plane of r into a new file with r's
// WriterOptions and checks that the copy reads back as want.
func requireCopyReads(t *testing.T, r *Reader, want []byte) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "copy.tif")
	w, err := Create(out, r.WriterOptions())
	require.NoError(t, err)
	for i := range r.Pages() {
		buf := make([]byte, r.PlaneBytes())
		require.NoError(t, r.ReadPlaneInto(i, buf))
		require.NoError(t, w.WritePlane(buf))
	}
	require.NoError(t, w.Close())
	_, back := readAllPlanes(t, out)
	require.True(t, bytes.Equal(want, back), "the copy differs")
}

// readAllPlanes reads every plane of path, in order, as little-endian bytes.
func readAllPlanes(t *testing.T, path string) (*Reader, []byte) {
	t.Helper()
	r, err := Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	var all []byte
	for i := range r.Pages() {
		buf := make([]byte, r.PlaneBytes())
		require.NoError(t, r.ReadPlaneInto(i, buf))
		// The zero-copy path, where the plane is stored raw, agrees.
		var view []byte
		ok, err := r.ReadView(i, func(v []byte) { view = append(view, v...) })
		require.NoError(t, err)
		if ok {
			require.Equal(t, buf, view, "ReadView of plane %d", i)
		}
		if !nativeLE {
			swapBytes(buf, r.DType().Size())
		}
		all = append(all, buf...)
	}
	return r, all
}

// TestMultiSampleMatchesTifffileAndLibtiff reads TIFFs with several samples
// per pixel (RGB, RGBA, two- and four-sample grey; contiguous and separate
// planes; strips and tiles; none, LZW, Deflate and PackBits; predictors 2
// and 3; both byte orders; ImageJ and OME descriptions), float64 samples,
// 1-bit bilevel images (BlackIsZero and WhiteIsZero) and palette images,
// and checks that every sample reads as a channel holding exactly what
// tifffile decodes, and what libtiff decodes (tiffcp to uncompressed data).
func TestMultiSampleMatchesTifffileAndLibtiff(t *testing.T) {
	dir, cases := makeSamples(t)
	_, tiffcpErr := exec.LookPath("tiffcp")
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(dir, c.Name+".raw"))
			require.NoError(t, err)
			path := filepath.Join(dir, c.Name+".tif")
			r, got := readAllPlanes(t, path)
			require.Equal(t, c.DType, r.DType().String())
			require.Equal(t, stack.Shape{Z: c.Planes, Y: c.Y, X: c.X}, r.Shape())
			md := r.Metadata()
			require.Equal(t, c.Channels, max(md.Samples, 1))
			if c.ColormapLen > 0 {
				require.Equal(t, 3, r.Photometric())
				require.Len(t, r.ColorMap(), c.ColormapLen)
				require.Equal(t, c.ColormapHead, r.ColorMap()[:4])
				// Written back with the palette, tifffile sees the same
				// colour map and indices.
				out := filepath.Join(t.TempDir(), "palette.tif")
				opts := r.WriterOptions()
				w, err := Create(out, opts)
				require.NoError(t, err)
				for i := range r.Pages() {
					buf := make([]byte, r.PlaneBytes())
					require.NoError(t, r.ReadPlaneInto(i, buf))
					require.NoError(t, w.WritePlane(buf))
				}
				require.NoError(t, w.Close())
				msg, err := exec.Command(venvPython, "-c", `
import sys, numpy, tifffile
a, b = tifffile.TiffFile(sys.argv[1]), tifffile.TiffFile(sys.argv[2])
assert b.pages[0].photometric == 3, b.pages[0].photometric
assert (a.pages[0].colormap == b.pages[0].colormap).all()
assert all((p.asarray() == q.asarray()).all() for p, q in zip(a.pages, b.pages))
print("ok")
`, path, out).CombinedOutput()
				require.NoError(t, err, string(msg))
			} else {
				require.Nil(t, r.ColorMap())
			}
			require.Equal(t, strings.HasPrefix(c.Name, "bilevel"), r.Bilevel())
			// Samples are channels, fastest varying; an ImageJ description's
			// own channels (tifffile's imagej RGB stack) multiply them.
			require.Zero(t, r.Channels()%c.Channels)
			require.Equal(t, c.Planes, md.Channels*md.Slices*md.Frames)
			require.True(t, bytes.Equal(want, got), "pixels differ from tifffile's")
			for ch := range c.Channels {
				i, err := md.PlaneIndex(ch, 0, 0)
				require.NoError(t, err)
				require.Equal(t, ch, i, "channel %d is sample %d of the first page", ch, ch)
			}
			if strings.Contains(c.Name, "tiled_planar") {
				// tiffcp (libtiff 4.5) copies tiled separate-plane images
				// wrongly whatever the compression: its output differs from
				// the array tifffile wrote, which tifffile and segstack read
				// back exactly.
				return
			}
			if tiffcpErr != nil {
				t.Skip("SKIP: tiffcp (libtiff-tools) not installed")
			}
			plain := filepath.Join(t.TempDir(), "plain.tif")
			out, err := exec.Command("tiffcp", "-c", "none", path, plain).CombinedOutput()
			require.NoError(t, err, string(out))
			_, viaLibtiff := readAllPlanes(t, plain)
			require.True(t, bytes.Equal(want, viaLibtiff), "libtiff's decoding differs")
			// libtiff compresses what tifffile cannot (sub-byte samples,
			// among others): every codec reads the same.
			for _, codec := range []string{"lzw", "zip", "packbits"} {
				packed := filepath.Join(t.TempDir(), codec+".tif")
				out, err := exec.Command("tiffcp", "-c", codec, path, packed).CombinedOutput()
				require.NoError(t, err, string(out))
				_, got := readAllPlanes(t, packed)
				require.True(t, bytes.Equal(want, got), "tiffcp -c %s: pixels differ", codec)
			}
		})
	}
}
