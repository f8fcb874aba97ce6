package tiff

import (
	"bufio"
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

const systemPython = "/usr/bin/python3"

// requireExternalTools skips the test unless Debian's python with tifffile
// and libtiff's tiffinfo and tiffcp are installed.
func requireExternalTools(t *testing.T) {
	t.Helper()
	if err := exec.Command(systemPython, "-c", "import tifffile, numpy").Run(); err != nil {
		t.Skipf("%s with tifffile not available: %v", systemPython, err)
	}
	for _, tool := range []string{"tiffinfo", "tiffcp"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not available", tool)
		}
	}
}

// TestWrittenFilesReadByTifffileAndLibtiff writes every writer combination
// plus ImageJ hyperstacks and checks them with tifffile (pixels, dtype,
// series shape, metadata) and libtiff (tiffinfo -D decodes every strip).
func TestWrittenFilesReadByTifffileAndLibtiff(t *testing.T) {
	requireExternalTools(t)
	dir := t.TempDir()
	type specEntry struct {
		File      string         `json:"file"`
		Raw       string         `json:"raw"`
		DType     string         `json:"dtype"`
		Shape     []int          `json:"shape"`
		ImageJ    map[string]any `json:"imagej,omitempty"`
		Shaped    []int          `json:"shaped,omitempty"`
		PixelSize float64        `json:"pixel_size,omitempty"`
	}
	var spec []specEntry
	add := func(name string, opts WriterOptions, planes [][]byte) {
		path := filepath.Join(dir, name+".tif")
		writePlanes(t, path, opts, planes)
		raw := filepath.Join(dir, name+".raw")
		var all []byte
		for _, p := range planes {
			all = append(all, p...)
		}
		if !nativeLE {
			all = append([]byte(nil), all...)
			swapBytes(all, opts.DType.Size())
		}
		require.NoError(t, os.WriteFile(raw, all, 0o644))
		e := specEntry{File: path, Raw: raw, DType: opts.DType.String(), Shape: []int{opts.Shape.Z, opts.Shape.Y, opts.Shape.X}, PixelSize: opts.PixelSizeX}
		c, f := max(opts.Channels, 1), max(opts.Frames, 1)
		switch opts.DType {
		case stack.Uint8, stack.Uint16, stack.Float32:
			e.ImageJ = map[string]any{"images": opts.Shape.Z, "channels": c, "frames": f, "slices": opts.Shape.Z / (c * f)}
			if opts.SpacingZ > 0 {
				e.ImageJ["spacing"] = opts.SpacingZ
			}
			if opts.Unit != "" {
				e.ImageJ["unit"] = opts.Unit
			}
		default:
			e.Shaped = e.Shape
		}
		spec = append(spec, e)
	}
	s := stack.Shape{Z: 3, Y: 37, X: 29}
	for _, c := range writeCases() {
		add(c.String(), WriterOptions{Shape: s, DType: c.dt, Compression: c.comp, Predictor: c.pred, Tile: c.tile, BigTIFF: c.big},
			testPlanes(c.dt, s, 9))
	}
	hs := stack.Shape{Z: 12, Y: 20, X: 17}
	for _, dt := range []stack.DType{stack.Uint8, stack.Uint16, stack.Float32} {
		add("hyper_"+dt.String(), WriterOptions{Shape: hs, DType: dt, Channels: 2, Frames: 2, PixelSizeX: 0.25, PixelSizeY: 0.25, SpacingZ: 1.5, Unit: "micron", Compression: Deflate},
			testPlanes(dt, hs, 4))
	}
	add("multistrip", WriterOptions{Shape: stack.Shape{Z: 2, Y: 700, X: 300}, DType: stack.Uint16, Compression: LZW, Predictor: Horizontal},
		testPlanes(stack.Uint16, stack.Shape{Z: 2, Y: 700, X: 300}, 5))

	specPath := filepath.Join(dir, "spec.json")
	b, err := json.Marshal(spec)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(specPath, b, 0o644))
	cmd := exec.Command(systemPython, "testdata/verify_tifffile.py", specPath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var res struct {
			File  string `json:"file"`
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &res))
		require.True(t, res.OK, "%s: %s", filepath.Base(res.File), res.Error)
		n++
	}
	require.Equal(t, len(spec), n, "one verdict per file")

	for _, e := range spec {
		cmd := exec.Command("tiffinfo", "-D", e.File)
		var errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = nil, &errOut
		require.NoError(t, cmd.Run(), "tiffinfo -D %s: %s", filepath.Base(e.File), errOut.String())
		require.False(t, strings.Contains(strings.ToLower(errOut.String()), "error"), "tiffinfo -D %s: %s", filepath.Base(e.File), errOut.String())
	}
}
