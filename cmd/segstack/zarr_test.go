package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/tiff"
	"github.com/segstack/segstack/stack/zarr"
	"github.com/stretchr/testify/require"
)

// writeTIFF writes planes of T as an ImageJ TIFF with a pixel size.
func writeTIFF[T stack.Elem](t *testing.T, path string, shape stack.Shape, channels int, px, pz float64, fill func(i int) T) {
	t.Helper()
	w, err := tiff.Create(path, tiff.WriterOptions{Shape: shape, DType: stack.DTypeOf[T](), Channels: channels,
		PixelSizeX: px, PixelSizeY: px, SpacingZ: pz, Unit: "micron"})
	require.NoError(t, err)
	plane := make([]T, shape.PlaneLen())
	for z := range shape.Z {
		for i := range plane {
			plane[i] = fill(z*len(plane) + i)
		}
		require.NoError(t, tiff.WritePlaneOf(w, plane))
	}
	require.NoError(t, w.Close())
}

// readZarrLabels reads the full-resolution level of an OME-Zarr (label)
// image, or a plain array, as uint32.
func readZarrLabels(t *testing.T, path string) (*stack.Volume[uint32], string) {
	t.Helper()
	a, err := zarr.Open(filepath.Join(path, "0"))
	if err != nil {
		a, err = zarr.Open(path)
	}
	require.NoError(t, err)
	p, err := a.Planes()
	require.NoError(t, err)
	switch a.DType() {
	case zarr.Uint16:
		v, err := zarr.ReadVolume[uint16](context.Background(), p)
		require.NoError(t, err)
		return stack.Convert[uint32](v), "uint16"
	case zarr.Uint32:
		v, err := zarr.ReadVolume[uint32](context.Background(), p)
		require.NoError(t, err)
		return v, "uint32"
	}
	t.Fatalf("labels are %v", a.DType())
	return nil, ""
}

func tiffDType(t *testing.T, path string) string {
	t.Helper()
	r, err := tiff.Open(path)
	require.NoError(t, err)
	defer r.Close()
	return r.DType().String()
}

// TestZarrConvertRoundTrip converts TIFFs of every sample type to OME-Zarr
// and plain Zarr (v2 and v3) and back: the pixels, the channels and the
// pixel size come back exactly.
func TestZarrConvertRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sized := filepath.Join(dir, "sized.tif")
	writeTIFF(t, sized, stack.Shape{Z: 6, Y: 700, X: 530}, 1, 0.25, 2, func(i int) uint16 { return uint16(i * 7919) })
	for _, in := range []string{
		sized,
		abs(t, tiffFixture("uint8_zip2_tile_be.tif")),
		abs(t, tiffFixture("int16_lzw1_strip_be.tif")),
		abs(t, tiffFixture("int32_packbits1_tile_le_big.tif")),
		abs(t, tiffFixture("float32_zip3_tile_le.tif")),
		abs(t, "testdata/twochannel.tif"),
	} {
		for _, c := range []struct{ ext, version, codec string }{
			{".ome.zarr", "2", "blosc-lz4"}, {".ome.zarr", "3", "blosc-zstd"}, {".zarr", "2", "zlib"}, {".zarr", "3", "none"},
		} {
			base := strings.TrimSuffix(filepath.Base(in), ".tif")
			mid := filepath.Join(dir, base+"-v"+c.version+"-"+c.codec+c.ext)
			back := mid + ".tif"
			_, stderr, code := run(t, dir, "convert", in, mid, "--zarr-version", c.version, "--compression", c.codec)
			require.Zero(t, code, stderr)
			if c.ext == ".ome.zarr" {
				// Written under a temporary name, named after the final one.
				im, err := zarr.OpenImage(mid)
				require.NoError(t, err)
				require.Equal(t, strings.TrimSuffix(filepath.Base(mid), ".ome.zarr"), im.Name)
			}
			_, stderr, code = run(t, dir, "convert", mid, back)
			require.Zero(t, code, stderr)
			src, want := readRawPlanes(t, in)
			dst, got := readRawPlanes(t, back)
			require.Equal(t, want, got, mid)
			require.Equal(t, src.DType(), dst.DType(), mid)
			ms, md := src.Metadata(), dst.Metadata()
			require.Equal(t, max(ms.Channels, 1), max(md.Channels, 1), mid)
			if c.ext == ".ome.zarr" && ms.Unit != "" {
				require.InDelta(t, ms.PixelSizeX, md.PixelSizeX, 1e-9, mid)
				require.InDelta(t, ms.PixelSizeY, md.PixelSizeY, 1e-9, mid)
				require.InDelta(t, ms.PixelSizeZ, md.PixelSizeZ, 1e-9, mid)
				require.Equal(t, "micron", md.Unit, mid)
			}
		}
	}
}

// TestZarrSegmentMatchesTIFF segments the same stack into a TIFF and an
// OME-Zarr, in 2d and 3d, on Zarr v2 and v3: the labels agree voxel for
// voxel and in type, and the image beside them is the input.
func TestZarrSegmentMatchesTIFF(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := filepath.Join(dir, "cells.tif")
	_, stderr, code := run(t, dir, "gen", in, "--shape", "5,600,700", "--seed", "3")
	require.Zero(t, code, stderr)
	for _, mode := range []string{"2d", "3d"} {
		tifOut := filepath.Join(dir, "l-"+mode+".tif")
		_, stderr, code := run(t, dir, "segment", in, "-o", tifOut, "--mode", mode, "-q")
		require.Zero(t, code, stderr)
		want := readLabels(t, tifOut)
		// 256×256 chunks give a pyramid (the image copied plane by plane in
		// order); the default whole-plane chunks one level (planes copied by
		// several goroutines).
		for _, c := range []struct{ v, chunks string }{{"2", "1,256,256"}, {"3", "1,256,256"}, {"2", ""}} {
			v := c.v
			out := filepath.Join(dir, "l-"+mode+"-v"+v+"-"+c.chunks+".ome.zarr")
			args := []string{"segment", in, "-o", out, "--mode", mode, "--zarr-version", v, "-q"}
			if c.chunks != "" {
				args = append(args, "--zarr-chunks", c.chunks)
			}
			_, stderr, code := run(t, dir, args...)
			require.Zero(t, code, stderr)
			got, dt := readZarrLabels(t, filepath.Join(out, "labels", "cells"))
			require.Equal(t, want.Shape, got.Shape)
			require.Equal(t, want.Data, got.Data, out)
			require.Equal(t, tiffDType(t, tifOut), dt)
			img, _ := readZarrLabels(t, out)
			_, raw := readRawPlanes(t, in)
			require.Equal(t, len(raw), img.Shape.Z)
			for z, plane := range raw {
				want := make([]uint32, len(plane)/2)
				for i := range want {
					want[i] = uint32(binary.LittleEndian.Uint16(plane[2*i:]))
				}
				require.Equal(t, want, img.Plane(z), "%s: image plane %d", out, z)
			}
			im, err := zarr.OpenImage(out)
			require.NoError(t, err)
			require.Equal(t, []string{"cells"}, im.Labels)
			if c.chunks != "" {
				require.GreaterOrEqual(t, len(im.Levels), 2, "a pyramid down to one chunk")
			} else {
				require.Len(t, im.Levels, 1, "one chunk per plane")
			}
		}
		plain := filepath.Join(dir, "l-"+mode+".zarr")
		_, stderr, code = run(t, dir, "segment", in, "-o", plain, "--mode", mode, "-q")
		require.Zero(t, code, stderr)
		got, _ := readZarrLabels(t, plain)
		require.Equal(t, want.Data, got.Data, plain)
	}
}

// TestZarrSegmentUpgradesToUint32 makes the automatic label type switch to
// uint32 after a plane was written as uint16: the OME-Zarr labels end up
// uint32, complete, and equal to the TIFF's.
func TestZarrSegmentUpgradesToUint32(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := filepath.Join(dir, "dots.tif")
	shape := stack.Shape{Z: 3, Y: 600, X: 600}
	writeTIFF(t, in, shape, 1, 0, 0, func(i int) uint8 {
		z, y, x := i/shape.PlaneLen(), (i/shape.X)%shape.Y, i%shape.X
		if z == 1 && (y+x)%2 == 0 || z != 1 && y < 10 && x < 10 {
			return 1
		}
		return 0
	})
	_, stderr, code := run(t, dir, "label", in, "-o", "l.tif", "-q")
	require.Zero(t, code, stderr)
	require.Equal(t, "uint32", tiffDType(t, filepath.Join(dir, "l.tif")))
	want := readLabels(t, filepath.Join(dir, "l.tif"))
	for _, out := range []string{"l.ome.zarr", "l.zarr"} {
		_, stderr, code = run(t, dir, "label", in, "-o", out, "-q")
		require.Zero(t, code, stderr)
		p := filepath.Join(dir, out)
		if strings.HasSuffix(out, ".ome.zarr") {
			p = filepath.Join(p, "labels", "dots")
		}
		got, dt := readZarrLabels(t, p)
		require.Equal(t, "uint32", dt)
		require.Equal(t, want.Data, got.Data)
	}
	// Forced uint16 fails, and leaves nothing behind.
	_, stderr, code = run(t, dir, "label", in, "-o", "u16.ome.zarr", "--label-dtype", "uint16", "-q")
	require.NotZero(t, code)
	require.Contains(t, stderr, "65535")
	_, err := os.Stat(filepath.Join(dir, "u16.ome.zarr"))
	require.True(t, os.IsNotExist(err), "a failed run leaves no output")
}

// TestZarrLabelsIntoExistingImage adds label images to an OME-Zarr image
// that exists: the image itself as input and output, then another stack's
// labels; the labels list keeps both, and a label image is not replaced
// without --force.
func TestZarrLabelsIntoExistingImage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, stderr, code := run(t, dir, "gen", "cells.tif", "--shape", "3,200,300", "--seed", "5")
	require.Zero(t, code, stderr)
	_, stderr, code = run(t, dir, "gen", "other.tif", "--shape", "3,200,300", "--seed", "6")
	require.Zero(t, code, stderr)
	_, stderr, code = run(t, dir, "convert", "cells.tif", "cells.ome.zarr")
	require.Zero(t, code, stderr)
	_, stderr, code = run(t, dir, "segment", "cells.ome.zarr", "-o", "cells.ome.zarr", "-q")
	require.Zero(t, code, stderr)
	_, stderr, code = run(t, dir, "segment", "other.tif", "-o", "cells.ome.zarr", "-q")
	require.Zero(t, code, stderr)
	im, err := zarr.OpenImage(filepath.Join(dir, "cells.ome.zarr"))
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"cells", "other"}, im.Labels)
	_, stderr, code = run(t, dir, "segment", "cells.tif", "-o", "l.tif", "-q")
	require.Zero(t, code, stderr)
	got, _ := readZarrLabels(t, filepath.Join(dir, "cells.ome.zarr", "labels", "cells"))
	require.Equal(t, readLabels(t, filepath.Join(dir, "l.tif")).Data, got.Data)
	// The image is untouched.
	_, stderr, code = run(t, dir, "convert", "cells.ome.zarr", "back.tif")
	require.Zero(t, code, stderr)
	_, a := readRawPlanes(t, filepath.Join(dir, "cells.tif"))
	_, b := readRawPlanes(t, filepath.Join(dir, "back.tif"))
	require.Equal(t, a, b)

	_, stderr, code = run(t, dir, "segment", "cells.ome.zarr", "-o", "cells.ome.zarr", "-q")
	require.NotZero(t, code)
	require.Contains(t, stderr, "exists")
	_, stderr, code = run(t, dir, "segment", "cells.ome.zarr", "-o", "cells.ome.zarr", "-q", "--force", "--mode", "3d")
	require.Zero(t, code, stderr)
}

// TestZarrPlaneCommands runs gaussian, threshold and label from and to
// Zarr: each output equals the one written from and to TIFF.
func TestZarrPlaneCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, stderr, code := run(t, dir, "gen", "in.tif", "--shape", "3,100,120", "--seed", "2")
	require.Zero(t, code, stderr)
	_, stderr, code = run(t, dir, "convert", "in.tif", "in.zarr", "--zarr-version", "3")
	require.Zero(t, code, stderr)
	for _, c := range [][]string{{"gaussian", "--sigma", "2"}, {"threshold", "--threshold", "otsu"}} {
		_, stderr, code = run(t, dir, append([]string{c[0], "in.tif", "-o", c[0] + ".tif", "-q"}, c[1:]...)...)
		require.Zero(t, code, stderr)
		_, stderr, code = run(t, dir, append([]string{c[0], "in.zarr", "-o", c[0] + ".ome.zarr", "-q"}, c[1:]...)...)
		require.Zero(t, code, stderr)
		_, stderr, code = run(t, dir, "convert", c[0]+".ome.zarr", c[0]+"-back.tif")
		require.Zero(t, code, stderr)
		_, want := readRawPlanes(t, filepath.Join(dir, c[0]+".tif"))
		_, got := readRawPlanes(t, filepath.Join(dir, c[0]+"-back.tif"))
		require.Equal(t, want, got, c[0])
	}
}

// TestZarrInfo describes an OME-Zarr image, its label image and a plain
// array.
func TestZarrInfo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTIFF(t, filepath.Join(dir, "s.tif"), stack.Shape{Z: 2, Y: 1100, X: 600}, 1, 0.5, 3, func(i int) uint16 { return uint16(i) })
	_, stderr, code := run(t, dir, "segment", "s.tif", "-o", "s.ome.zarr", "-q", "--zarr-version", "3", "--compression", "zstd", "--zarr-chunks", "1,512,512")
	require.Zero(t, code, stderr)
	out, stderr, code := run(t, dir, "info", "--json", "s.ome.zarr")
	require.Zero(t, code, stderr)
	var info zarrInfo
	require.NoError(t, json.Unmarshal([]byte(out), &info))
	require.Equal(t, "ome-zarr", info.Kind)
	require.Equal(t, 3, info.ZarrFormat)
	require.Equal(t, "0.5", info.NGFF)
	require.Equal(t, []int{2, 1100, 600}, info.Shape)
	require.Equal(t, []string{"z", "y", "x"}, info.Axes)
	require.Equal(t, "uint16", info.DType)
	require.Equal(t, []int{1, 512, 512}, info.Chunks)
	require.Equal(t, "zstd", strings.Split(info.Codec, ":")[0])
	require.Equal(t, []float64{3, 0.5, 0.5}, info.Scale)
	require.Equal(t, "micrometer", info.Unit)
	require.Equal(t, []string{"s"}, info.Labels)
	require.Len(t, info.Levels, 3) // 1100 → 550 → 275 fits one 512 chunk
	out, stderr, code = run(t, dir, "info", "s.ome.zarr/labels/s")
	require.Zero(t, code, stderr)
	require.Contains(t, out, "OME-Zarr label image (NGFF 0.5 on Zarr v3)")
	require.Contains(t, out, "scale:       [3 0.5 0.5] micrometer")
}

// TestZarrBadInput: damaged Zarr input gets a clear error, never a panic;
// a missing chunk reads as the fill value.
func TestZarrBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, stderr, code := run(t, dir, "gen", "in.tif", "--shape", "2,64,64", "--seed", "2")
	require.Zero(t, code, stderr)
	_, stderr, code = run(t, dir, "convert", "in.tif", "a.zarr", "--chunks", "1,32,32")
	require.Zero(t, code, stderr)

	// A missing chunk is the fill value (0).
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "a.zarr", "1", "0", "1")))
	_, stderr, code = run(t, dir, "convert", "a.zarr", "back.tif")
	require.Zero(t, code, stderr)
	_, want := readRawPlanes(t, filepath.Join(dir, "in.tif"))
	_, got := readRawPlanes(t, filepath.Join(dir, "back.tif"))
	require.Equal(t, want[0], got[0])
	for y := range 32 {
		row := got[1][(y*64+32)*2 : (y*64+64)*2]
		require.Equal(t, make([]byte, 64), row, "row %d of the missing chunk", y)
		require.Equal(t, want[1][y*128:y*128+64], got[1][y*128:y*128+64])
	}

	// A truncated chunk names the chunk.
	chunk := filepath.Join(dir, "a.zarr", "0", "0", "0")
	b, err := os.ReadFile(chunk)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(chunk, b[:len(b)/2], 0o644))
	_, stderr, code = run(t, dir, "segment", "a.zarr", "-o", "l.tif", "-q")
	require.NotZero(t, code)
	require.Contains(t, stderr, "chunk")
	require.NotContains(t, stderr, "panic")
	_, err = os.Stat(filepath.Join(dir, "l.tif"))
	require.True(t, os.IsNotExist(err))

	// Damaged metadata.
	meta := filepath.Join(dir, "a.zarr", ".zarray")
	require.NoError(t, os.WriteFile(meta, []byte(`{"zarr_format": 2, "shape": [2, 64`), 0o644))
	for _, args := range [][]string{{"info", "a.zarr"}, {"convert", "a.zarr", "x.tif"}, {"segment", "a.zarr", "-o", "y.tif"}} {
		_, stderr, code = run(t, dir, args...)
		require.NotZero(t, code, args)
		require.Contains(t, stderr, "zarr: invalid format", args)
		require.NotContains(t, stderr, "panic")
	}
	require.NoError(t, os.WriteFile(meta, []byte(`{"zarr_format": 2, "shape": [2, 64, 64], "chunks": [1, 32, 32], "dtype": "<u2", "compressor": {"id": "lzma"}, "fill_value": 0, "order": "C", "filters": null}`), 0o644))
	_, stderr, code = run(t, dir, "segment", "a.zarr", "-o", "y.tif")
	require.NotZero(t, code)
	require.Contains(t, stderr, "unsupported")

	// Bad flags.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"segment", "in.tif", "-o", "o.zarr", "--zarr-version", "4"}, "--zarr-version"},
		{[]string{"segment", "in.tif", "-o", "o.zarr", "--compression", "snappy"}, "--compression"},
		{[]string{"segment", "in.tif", "-o", "o.zarr", "--format", "hdf5"}, "--format"},
		{[]string{"convert", "in.tif", "o.zarr", "--chunks", "0,1"}, "--chunks"},
	} {
		_, stderr, code = run(t, dir, c.args...)
		require.NotZero(t, code, c.args)
		require.Contains(t, stderr, c.want, c.args)
	}
}

// TestZarrPythonReaders reads segstack's OME-Zarr with zarr-python 2 (v2)
// and with zarr-python 3 and ome-zarr (v3): pixels, label image found
// under labels/, axes and scale.
func TestZarrPythonReaders(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTIFF(t, filepath.Join(dir, "cells.tif"), stack.Shape{Z: 4, Y: 300, X: 520}, 1, 0.5, 2,
		func(i int) uint16 { return uint16((i%520/40)%2*1000 + (i/520%300/30)%2*1000 + i%7) })
	_, stderr, code := run(t, dir, "segment", "cells.tif", "-o", "l.tif", "-q")
	require.Zero(t, code, stderr)
	for _, v := range []string{"2", "3"} {
		_, stderr, code = run(t, dir, "segment", "cells.tif", "-o", "v"+v+".ome.zarr", "--zarr-version", v, "-q")
		require.Zero(t, code, stderr)
	}
	check := func(python, script string) {
		if _, err := os.Stat(python); err != nil {
			t.Skipf("SKIP: %s not found", python)
		}
		cmd := exec.Command(python, "-c", script)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if strings.Contains(string(out), "ModuleNotFoundError") {
			t.Skipf("SKIP: %s lacks a module: %s", python, out)
		}
		require.NoError(t, err, string(out))
		require.Contains(t, string(out), "OK")
	}
	check("/usr/bin/python3", `
import zarr, tifffile, numpy as np, json
img = tifffile.imread("cells.tif"); lab = tifffile.imread("l.tif")
g = zarr.open_group("v2.ome.zarr", mode="r")
assert (g["0"][:] == img).all()
assert (g["labels/cells/0"][:] == lab).all()
ms = g.attrs["multiscales"][0]
assert [a["name"] for a in ms["axes"]] == ["z", "y", "x"]
assert ms["datasets"][0]["coordinateTransformations"][0]["scale"] == [2, 0.5, 0.5]
assert g["labels"].attrs["labels"] == ["cells"]
il = g["labels/cells"].attrs["image-label"]
assert il["source"]["image"] == "../../"
print("OK")
`)
	check("/opt/venv/bin/python", `
import zarr, tifffile, numpy as np
from ome_zarr.io import parse_url
from ome_zarr.reader import Reader, Label
img = tifffile.imread("cells.tif"); lab = tifffile.imread("l.tif")
g = zarr.open_group("v3.ome.zarr", mode="r")
assert g.metadata.zarr_format == 3
assert (g["0"][:] == img).all() and (g["labels/cells/0"][:] == lab).all()
nodes = list(Reader(parse_url("v3.ome.zarr"))())
image = nodes[0]
assert [a["name"] for a in image.metadata["axes"]] == ["z", "y", "x"]
assert image.metadata["axes"][2]["unit"] == "micrometer"
assert image.metadata["coordinateTransformations"][0][0]["scale"] == [2, 0.5, 0.5]
labels = [n for n in nodes if any(isinstance(s, Label) for s in n.specs)]
assert len(labels) == 1, nodes
assert (np.asarray(labels[0].data[0]) == lab).all()
print("OK")
`)
}

// TestZarrInterrupt stops a run writing an OME-Zarr with Ctrl-C, and
// another that adds labels to an existing image: no output remains, and
// the existing image keeps no trace of the aborted label image.
func TestZarrInterrupt(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("writes a 48 MiB stack")
	}
	dir := t.TempDir()
	_, errOut, code := run(t, dir, "gen", "big.tif", "--shape", "96,512,512", "--seed", "2")
	require.Equal(t, 0, code, errOut)
	_, errOut, code = run(t, dir, "convert", "big.tif", "img.ome.zarr")
	require.Equal(t, 0, code, errOut)
	for _, c := range []struct{ out, left string }{{"l.ome.zarr", ""}, {"img.ome.zarr", "img.ome.zarr/labels/big"}} {
		cmd := exec.Command(bin, "segment", "big.tif", "-o", c.out, "--workers", "1", "--chunks", "1,64,64", "--mode", "3d")
		cmd.Dir = dir
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Start())
		// A new store is written under a temporary name beside its final
		// one, labels added to an image under a temporary name in its
		// labels/ group.
		target := filepath.Join(dir, c.out)
		watch := filepath.Join(dir, "."+c.out+".segstack-tmp-*")
		if c.left != "" {
			target = filepath.Join(dir, c.left)
			watch = filepath.Join(filepath.Dir(target), "."+filepath.Base(target)+".segstack-tmp-*")
		}
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if m, _ := filepath.Glob(watch); len(m) > 0 {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
		err := cmd.Wait()
		ee, ok := err.(*exec.ExitError)
		require.True(t, ok, "the run was stopped: %v %s", err, stderr.String())
		require.Equal(t, 130, ee.ExitCode(), stderr.String())
		_, err = os.Stat(target)
		require.True(t, os.IsNotExist(err), "%s remains", target)
		m, _ := filepath.Glob(filepath.Join(dir, ".*segstack-tmp*"))
		require.Empty(t, m, "temporaries remain after an interrupted run")
		m, _ = filepath.Glob(watch)
		require.Empty(t, m, "temporaries remain after an interrupted run")
	}
	im, err := zarr.OpenImage(filepath.Join(dir, "img.ome.zarr"))
	require.NoError(t, err)
	require.Empty(t, im.Labels)
}

// Labels of another shape are not added to an image.
func TestZarrLabelsShapeMismatch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, stderr, code := run(t, dir, "gen", "a.tif", "--shape", "2,64,64", "--seed", "1")
	require.Zero(t, code, stderr)
	_, stderr, code = run(t, dir, "gen", "b.tif", "--shape", "2,64,80", "--seed", "1")
	require.Zero(t, code, stderr)
	_, stderr, code = run(t, dir, "convert", "a.tif", "a.ome.zarr")
	require.Zero(t, code, stderr)
	_, stderr, code = run(t, dir, "segment", "b.tif", "-o", "a.ome.zarr", "-q")
	require.NotZero(t, code)
	require.Contains(t, stderr, "the image is 2x64x64")
	_, err := os.Stat(filepath.Join(dir, "a.ome.zarr", "labels", "b"))
	require.True(t, os.IsNotExist(err))
}
