package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWidenedTIFFsEveryCommand runs info, convert (to TIFF, to OME-Zarr
// and back) and segment on TIFFs whose samples are read widened (int8,
// 12-bit RGB, float16, 24-bit, signed 12-bit) or are subsampled YCbCr,
// compressed with Deflate, LZMA and Zstandard, made by
// stack/tiff/testdata/make_depths.py: info says how the samples are
// stored, and every copy holds exactly what libtiff decodes, widened.
func TestWidenedTIFFsEveryCommand(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("SKIP: the expected planes are little-endian")
	}
	const py = "/opt/venv/bin/python"
	if err := exec.Command(py, "-c", "import tifffile, imagecodecs, numpy").Run(); err != nil {
		t.Skipf("SKIP: %s with tifffile and imagecodecs not available: %v", py, err)
	}
	if _, err := exec.LookPath("tiffcp"); err != nil {
		t.Skip("SKIP: tiffcp (libtiff-tools) not installed")
	}
	src := t.TempDir()
	out, err := exec.Command(py, filepath.Join("..", "..", "stack", "tiff", "testdata", "make_depths.py"), src).CombinedOutput()
	require.NoError(t, err, string(out))
	dir := t.TempDir()
	for _, c := range []struct{ name, dtype, stored, line string }{
		{"i8_pred2_zip", "int16", "int8", "8-bit samples (int8), read exactly as int16"},
		{"u12_rgb_lzma", "uint16", "uint12", "12-bit samples (uint12), read exactly as uint16"},
		{"f16_pred3_zstd_tiled", "float32", "float16", "16-bit samples (float16), read exactly as float32"},
		{"u24_be_lzw", "uint32", "uint24", "24-bit samples (uint24), read exactly as uint32"},
		{"i12_rgb_zip", "int16", "int12", "12-bit samples (int12), read exactly as int16"},
		{"ycbcr_sub42_zip", "uint8", "", "YCbCr chroma 4x2, replicated over the pixels it covers"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := filepath.Join(src, c.name+".tif")
			want, err := os.ReadFile(filepath.Join(src, c.name+".raw"))
			require.NoError(t, err)
			stdout, stderr, code := run(t, dir, "info", in)
			require.Zero(t, code, stderr)
			require.Contains(t, stdout, c.line)
			stdout, stderr, code = run(t, dir, "info", "--json", in)
			require.Zero(t, code, stderr)
			var rep struct {
				DType    string `json:"dtype"`
				StoredAs string `json:"stored_as"`
			}
			require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
			require.Equal(t, c.dtype, rep.DType)
			require.Equal(t, c.stored, rep.StoredAs)

			concat := func(path string) []byte {
				_, planes := readRawPlanes(t, path)
				return bytes.Join(planes, nil)
			}
			conv := filepath.Join(dir, c.name+".tif")
			_, stderr, code = run(t, dir, "convert", in, conv)
			require.Zero(t, code, stderr)
			require.True(t, bytes.Equal(want, concat(conv)), "convert to TIFF changed the pixels")
			zarrOut := filepath.Join(dir, c.name+".ome.zarr")
			_, stderr, code = run(t, dir, "convert", in, zarrOut)
			require.Zero(t, code, stderr)
			back := filepath.Join(dir, c.name+".back.tif")
			_, stderr, code = run(t, dir, "convert", zarrOut, back)
			require.Zero(t, code, stderr)
			require.True(t, bytes.Equal(want, concat(back)), "TIFF -> OME-Zarr -> TIFF changed the pixels")

			args := []string{"segment", in, "-o", filepath.Join(dir, c.name+".labels.tif")}
			if rep.StoredAs == "uint12" || rep.StoredAs == "int12" || c.stored == "" {
				args = append(args, "--channel", "1")
			}
			_, stderr, code = run(t, dir, args...)
			require.Zero(t, code, stderr)
		})
	}
}
