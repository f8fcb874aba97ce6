package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/segstack/segstack/stack/tiff"
	"github.com/stretchr/testify/require"
)

// readRawPlanes reads every plane of a TIFF as bytes.
func readRawPlanes(t *testing.T, path string) (*tiff.Reader, [][]byte) {
	t.Helper()
	r, err := tiff.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	var planes [][]byte
	for i := 0; i < r.Pages(); i++ {
		b := make([]byte, r.PlaneBytes())
		require.NoError(t, r.ReadPlaneInto(i, b))
		planes = append(planes, b)
	}
	return r, planes
}

func TestConvertPixelExact(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		in   string
		args []string
		comp tiff.Compression
		tile bool
		big  bool
	}{
		{"uint16_lzw2_strip_le.tif", []string{"--compression", "deflate"}, tiff.Deflate, false, false},
		{"float32_zip3_tile_le.tif", []string{"--compression", "lzw", "--tile", "0"}, tiff.LZW, false, false},
		{"int32_packbits1_tile_le_big.tif", []string{"--tile", "32", "--bigtiff"}, tiff.PackBits, true, true},
		{"uint8_zip2_tile_be.tif", nil, tiff.Deflate, true, false},
		{"tifffile_tiles_be_big.tif", []string{"--compression", "none"}, tiff.None, true, false},
		{"int16_none1_strip_le_big.tif", []string{"--compression", "lzw", "--predictor", "horizontal"}, tiff.LZW, false, false},
	} {
		out := filepath.Join(dir, c.in)
		msg, err := runTIFFCmd(t, context.Background(), append([]string{"convert", tiffFixture(c.in), out}, c.args...)...)
		require.NoError(t, err, msg)
		require.Contains(t, msg, out)
		src, want := readRawPlanes(t, tiffFixture(c.in))
		dst, got := readRawPlanes(t, out)
		require.Equal(t, want, got, c.in)
		require.Equal(t, src.Shape(), dst.Shape())
		require.Equal(t, src.DType(), dst.DType())
		require.Equal(t, c.comp, dst.Compression(), c.in)
		require.Equal(t, c.tile, dst.Tiled(), c.in)
		require.Equal(t, c.big, dst.BigTIFF(), c.in)
	}
}

func TestConvertKeepsImageJMetadata(t *testing.T) {
	out := filepath.Join(t.TempDir(), "hyper.tif")
	msg, err := runTIFFCmd(t, context.Background(), "convert", tiffFixture("imagej_hyper_u16.tif"), out, "--compression", "lzw")
	require.NoError(t, err, msg)
	_, want := readRawPlanes(t, tiffFixture("imagej_hyper_u16.tif"))
	r, got := readRawPlanes(t, out)
	require.Equal(t, want, got)
	md := r.Metadata()
	require.NotNil(t, md.ImageJ)
	require.Equal(t, 6, md.ImageJ.Images)
	require.Equal(t, []int{2, 3, 1}, []int{md.Channels, md.Slices, md.Frames})
	require.InDelta(t, 0.25, md.PixelSizeX, 1e-9)
	require.InDelta(t, 1.5, md.PixelSizeZ, 1e-12)
	require.Equal(t, "micron", md.Unit)
}

func TestConvertRefusesOverwrite(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.tif")
	require.NoError(t, os.WriteFile(out, []byte("keep me"), 0o644))
	_, err := runTIFFCmd(t, context.Background(), "convert", tiffFixture("uint8_none1_tile_be.tif"), out)
	require.ErrorContains(t, err, "exists")
	b, _ := os.ReadFile(out)
	require.Equal(t, "keep me", string(b))
	msg, err := runTIFFCmd(t, context.Background(), "convert", tiffFixture("uint8_none1_tile_be.tif"), out, "--force")
	require.NoError(t, err, msg)
	_, got := readRawPlanes(t, out)
	require.Len(t, got, 3)

	_, err = runTIFFCmd(t, context.Background(), "convert", tiffFixture("uint8_none1_tile_be.tif"), filepath.Join(dir, "x.tif"), "--compression", "jpeg")
	require.ErrorContains(t, err, "--compression")
	_, err = runTIFFCmd(t, context.Background(), "convert", tiffFixture("uint8_none1_tile_be.tif"), filepath.Join(dir, "x.tif"), "--predictor", "float", "--compression", "lzw")
	require.ErrorContains(t, err, "predictor float does not apply to uint8")
	_, err = runTIFFCmd(t, context.Background(), "convert", tiffFixture("uint8_none1_tile_be.tif"), filepath.Join(dir, "x.tif"), "--tile", "10")
	require.ErrorContains(t, err, "--tile")
	entries, _ := os.ReadDir(dir)
	require.Len(t, entries, 1, "only out.tif")
}

// cancelAfter is a context whose Err reports cancellation from the n-th
// call on, to interrupt a conversion part-way like Ctrl-C does.
type cancelAfter struct {
	context.Context
	n *int
}

func (c cancelAfter) Err() error {
	if *c.n--; *c.n <= 0 {
		return context.Canceled
	}
	return nil
}

func TestConvertCancelledLeavesNothing(t *testing.T) {
	for _, after := range []int{1, 2, 3, 4} {
		dir := t.TempDir()
		n := after
		_, err := runTIFFCmd(t, cancelAfter{context.Background(), &n}, "convert", tiffFixture("uint16_lzw2_strip_le.tif"), filepath.Join(dir, "out.tif"))
		require.ErrorIs(t, err, context.Canceled, "cancelled at check %d", after)
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Empty(t, entries, "no output and no temporary file")
	}
}
