package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"
)

// tiffFixture is a file from stack/tiff's committed fixtures.
func tiffFixture(name string) string {
	return filepath.Join("..", "..", "stack", "tiff", "testdata", "fixtures", name)
}

// runTIFFCmd runs `segstack args...` in process with ctx and returns its
// output and error. Flags are reset afterwards so tests do not leak state.
func runTIFFCmd(t *testing.T, ctx context.Context, args ...string) (string, error) {
	t.Helper()
	if cmd, _, err := root.Find(args[:1]); err == nil {
		resetFlags(cmd)     // flags keep their values between in-process runs
		cmd.SetContext(ctx) // cobra keeps a subcommand's first context otherwise
	}
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	t.Cleanup(func() {
		root.SetOut(nil)
		root.SetErr(nil)
		root.SetArgs(nil)
		if cmd, _, err := root.Find(args[:1]); err == nil {
			resetFlags(cmd)
		}
	})
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

func resetFlags(cmd *cobra.Command) {
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		_ = f.Value.Set(f.DefValue)
		f.Changed = false
	})
}

func TestInfoJSON(t *testing.T) {
	out, err := runTIFFCmd(t, context.Background(), "info", "--json", tiffFixture("uint16_lzw2_strip_le.tif"))
	require.NoError(t, err, out)
	var rep map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	require.Equal(t, []any{3.0, 20.0, 17.0}, rep["shape"])
	require.Equal(t, "uint16", rep["dtype"])
	require.Equal(t, 3.0, rep["pages"])
	require.Equal(t, "lzw", rep["compression"])
	require.Equal(t, "horizontal", rep["predictor"])
	require.Equal(t, false, rep["bigtiff"])
	require.Equal(t, false, rep["tiled"])
	require.Equal(t, 7.0, rep["rows_per_strip"])
	require.Equal(t, "little", rep["byte_order"])

	out, err = runTIFFCmd(t, context.Background(), "info", "--json", tiffFixture("imagej_hyper_u16.tif"))
	require.NoError(t, err, out)
	var ij struct {
		Shape    []int `json:"shape"`
		Channels int   `json:"channels"`
		Metadata struct {
			Channels   int     `json:"channels"`
			Slices     int     `json:"slices"`
			PixelSizeX float64 `json:"pixel_size_x"`
			PixelSizeZ float64 `json:"pixel_size_z"`
			Unit       string  `json:"unit"`
			ImageJ     struct {
				Images int `json:"images"`
			} `json:"imagej"`
		} `json:"metadata"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &ij), out)
	require.Equal(t, []int{6, 20, 17}, ij.Shape)
	require.Equal(t, 2, ij.Channels)
	require.Equal(t, 3, ij.Metadata.Slices)
	require.Equal(t, 6, ij.Metadata.ImageJ.Images)
	require.InDelta(t, 0.25, ij.Metadata.PixelSizeX, 1e-9)
	require.InDelta(t, 1.5, ij.Metadata.PixelSizeZ, 1e-9)
	require.Equal(t, "micron", ij.Metadata.Unit)
}

func TestInfoText(t *testing.T) {
	out, err := runTIFFCmd(t, context.Background(), "info", tiffFixture("float32_zip3_tile_le.tif"))
	require.NoError(t, err, out)
	require.Contains(t, out, "shape:       3 x 20 x 17 (Z x Y x X)\n")
	require.Contains(t, out, "dtype:       float32\n")
	require.Contains(t, out, "compression: deflate (predictor float)\n")
	require.Contains(t, out, "layout:      tiles 16x16\n")
	require.Contains(t, out, "byte order:  little-endian\n")

	out, err = runTIFFCmd(t, context.Background(), "info", tiffFixture("ome_czyx_u16.tif"))
	require.NoError(t, err, out)
	require.Contains(t, out, "hyperstack:  2 channels x 3 slices x 1 frames (order XYZCT)\n")
	require.Contains(t, out, "ome:         SizeX=17 SizeY=20 SizeZ=3 SizeC=2 SizeT=1 DimensionOrder=XYZCT")

	out, err = runTIFFCmd(t, context.Background(), "info", tiffFixture("uint8_none1_tile_be.tif"))
	require.NoError(t, err, out)
	require.Contains(t, out, "byte order:  big-endian\n")
}

func TestInfoErrors(t *testing.T) {
	_, err := runTIFFCmd(t, context.Background(), "info", "does-not-exist.tif")
	require.ErrorContains(t, err, "does not exist")
	_, err = runTIFFCmd(t, context.Background(), "info", tiffFixture("unsupported_jpeg.tif"))
	require.ErrorContains(t, err, "unsupported feature: compression jpeg")
	_, err = runTIFFCmd(t, context.Background(), "info", "info_test.go")
	require.ErrorContains(t, err, "not a TIFF")
}
