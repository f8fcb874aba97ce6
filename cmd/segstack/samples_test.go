package main

import (
	"bytes"
	"encoding/binary"
	"math"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
	"github.com/stretchr/testify/require"
)

// makeSampleTIFFs writes the multi-sample TIFFs of
// stack/tiff/testdata/make_samples.py with the venv's tifffile into a
// temporary folder, skipping when it is absent.
func makeSampleTIFFs(t *testing.T) string {
	t.Helper()
	const py = "/opt/venv/bin/python"
	if err := exec.Command(py, "-c", "import tifffile, imagecodecs, numpy").Run(); err != nil {
		t.Skipf("SKIP: %s with tifffile and imagecodecs not available: %v", py, err)
	}
	dir := t.TempDir()
	out, err := exec.Command(py, filepath.Join("..", "..", "stack", "tiff", "testdata", "make_samples.py"), dir).CombinedOutput()
	require.NoError(t, err, string(out))
	return dir
}

// extractChannel writes channel c of a multi-channel TIFF as a plain stack.
func extractChannel(t *testing.T, in, out string, c int) {
	t.Helper()
	r, planes := readRawPlanes(t, in)
	md := r.Metadata()
	nc := r.Channels()
	sh := r.Shape()
	sh.Z /= nc
	w, err := tiff.Create(out, tiff.WriterOptions{Shape: sh, DType: r.DType()})
	require.NoError(t, err)
	for z := range sh.Z {
		i, err := md.PlaneIndex(c, z%max(md.Slices, 1), z/max(md.Slices, 1))
		require.NoError(t, err)
		require.NoError(t, w.WritePlane(planes[i]))
	}
	require.NoError(t, w.Close())
}

// TestMultiSampleTIFFsEveryCommand checks that the samples of RGB and
// multi-sample TIFFs are channels everywhere: convert keeps them
// pixel-exact (as the channels of a hyperstack), info shows them, and
// segment, gaussian, threshold and label with --channel C give what they
// give on a file holding only that channel.
func TestMultiSampleTIFFsEveryCommand(t *testing.T) {
	src := makeSampleTIFFs(t)
	dir := t.TempDir()
	for _, name := range []string{"rgb_contig_u8", "stack_rgb_planar_u16_rows7", "rgba_contig_u16_lzw_pred", "rgb_tiled_contig_u8_lzw"} {
		t.Run(name, func(t *testing.T) {
			in := filepath.Join(src, name+".tif")
			conv := filepath.Join(dir, name+".conv.tif")
			_, stderr, code := run(t, dir, "convert", in, conv)
			require.Zero(t, code, stderr)
			_, want := readRawPlanes(t, in)
			cr, got := readRawPlanes(t, conv)
			require.Equal(t, want, got, "convert is pixel-exact")
			require.Equal(t, 1, cr.SamplesPerPixel(), "convert writes the samples as channels")
			require.Equal(t, len(want), cr.Shape().Z)

			stdout, stderr, code := run(t, dir, "info", in)
			require.Zero(t, code, stderr)
			require.Contains(t, stdout, "samples:")

			_, stderr, code = run(t, dir, "segment", in, "-o", filepath.Join(dir, "x.tif"), "-q")
			require.Equal(t, 1, code)
			require.Contains(t, stderr, "--channel")

			one := filepath.Join(dir, name+".c1.tif")
			extractChannel(t, in, one, 1)
			for _, cmd := range [][]string{
				{"segment", "--sigma", "1"},
				{"gaussian", "--sigma", "1.5"},
				{"threshold", "--threshold", "otsu"},
				{"label"},
			} {
				a := filepath.Join(dir, name+"."+cmd[0]+".a.tif")
				b := filepath.Join(dir, name+"."+cmd[0]+".b.tif")
				_, stderr, code := run(t, dir, append([]string{cmd[0], in, "-o", a, "--channel", "1", "-q"}, cmd[1:]...)...)
				require.Zero(t, code, "%v: %s", cmd, stderr)
				_, stderr, code = run(t, dir, append([]string{cmd[0], one, "-o", b, "-q"}, cmd[1:]...)...)
				require.Zero(t, code, "%v: %s", cmd, stderr)
				_, pa := readRawPlanes(t, a)
				_, pb := readRawPlanes(t, b)
				require.True(t, bytes.Equal(bytes.Join(pa, nil), bytes.Join(pb, nil)), "%v --channel 1", cmd)
			}
		})
	}
}

// TestFloat64BilevelPaletteCommands checks convert and segment on float64,
// 1-bit and palette TIFFs: convert keeps the values exactly (float64 stays
// float64; bilevel becomes uint8 0/1; palette images their indices), and
// segment on float64 input equals segment on the same values rounded to
// float32, the type it computes in.
func TestFloat64BilevelPaletteCommands(t *testing.T) {
	src := makeSampleTIFFs(t)
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		dt   stack.DType
	}{
		{"f64_stack_be_lzw_fpred", stack.Float64}, {"f64_tiled_packbits", stack.Float64},
		{"bilevel_miniswhite", stack.Uint8}, {"bilevel_stack_packbits_rows3", stack.Uint8},
		{"palette_u8_stack_lzw", stack.Uint8}, {"palette_u16_deflate", stack.Uint16},
	} {
		in := filepath.Join(src, c.name+".tif")
		conv := filepath.Join(dir, c.name+".tif")
		_, stderr, code := run(t, dir, "convert", in, conv)
		require.Zero(t, code, "%s: %s", c.name, stderr)
		_, want := readRawPlanes(t, in)
		cr, got := readRawPlanes(t, conv)
		require.Equal(t, want, got, "%s: convert is exact", c.name)
		require.Equal(t, c.dt, cr.DType(), c.name)
		ir, err := tiff.Open(in)
		require.NoError(t, err)
		require.Equal(t, ir.ColorMap(), cr.ColorMap(), "%s: convert keeps the palette", c.name)
		ir.Close()
		_, stderr, code = run(t, dir, "segment", in, "-o", filepath.Join(dir, c.name+".labels.tif"), "-q")
		require.Zero(t, code, "%s: %s", c.name, stderr)
	}

	// float64 is rounded to float32 once, on reading.
	in := filepath.Join(src, "f64_stack_be_lzw_fpred.tif")
	r, planes := readRawPlanes(t, in)
	f32 := filepath.Join(dir, "as_f32.tif")
	w, err := tiff.Create(f32, tiff.WriterOptions{Shape: r.Shape(), DType: stack.Float32})
	require.NoError(t, err)
	for _, p := range planes {
		v := make([]float32, len(p)/8)
		for i := range v {
			v[i] = float32(math.Float64frombits(binary.NativeEndian.Uint64(p[8*i:])))
		}
		require.NoError(t, tiff.WritePlaneOf(w, v))
	}
	require.NoError(t, w.Close())
	a, b := filepath.Join(dir, "a.tif"), filepath.Join(dir, "b.tif")
	for _, args := range [][]string{{"segment", in, "-o", a, "-q"}, {"segment", f32, "-o", b, "-q"}} {
		_, stderr, code := run(t, dir, args...)
		require.Zero(t, code, stderr)
	}
	_, pa := readRawPlanes(t, a)
	_, pb := readRawPlanes(t, b)
	require.Equal(t, pb, pa)
}
