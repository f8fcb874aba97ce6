package segment

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/synth"
	"github.com/segstack/segstack/stack/tiff"
	"github.com/segstack/segstack/stack/zarr"
	"github.com/stretchr/testify/require"
)

// An OME-Zarr image with a channel axis reads one channel at a time, as a
// multi-channel TIFF does.
func TestOpenZarrChannels(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "two.ome.zarr")
	shape := stack.Shape{Z: 3, Y: 20, X: 30}
	iw, err := zarr.CreateImage(ctx, root, zarr.ImageOptions{Shape: shape, Channels: 2, DType: zarr.Uint16, Chunks: stack.Shape{Z: 1, Y: 16, X: 16}, PixelSizeX: 0.5, PixelSizeY: 0.5, PixelSizeZ: 2, Unit: "µm"})
	require.NoError(t, err)
	plane := make([]uint16, shape.PlaneLen())
	for p := range 2 * shape.Z {
		for i := range plane {
			plane[i] = uint16(1000*p + i)
		}
		require.NoError(t, zarr.WriteImagePlane(ctx, iw, p, plane))
	}
	require.NoError(t, iw.Close())

	_, _, err = OpenSource(root, -1)
	var ce *ChannelError
	require.True(t, errors.As(err, &ce), "%v", err)
	require.Equal(t, 2, ce.Channels)
	_, _, err = OpenSource(root, 2)
	require.ErrorIs(t, err, ErrChannel)

	src, closeSrc, err := OpenSource(root, 1)
	require.NoError(t, err)
	defer closeSrc()
	require.Equal(t, shape, src.Shape())
	require.Equal(t, stack.Uint16, src.DType())
	dst := make([]float32, shape.PlaneLen())
	for z := range shape.Z {
		require.NoError(t, src.ReadPlane(ctx, z, dst))
		require.Equal(t, float32(1000*(shape.Z+z)+7), dst[7])
	}
	m := src.(*zarrSource).Metadata()
	require.Equal(t, [3]float64{2, 0.5, 0.5}, [3]float64{m.PixelSizeZ, m.PixelSizeY, m.PixelSizeX})
	require.Equal(t, "micrometer", m.Unit)
}

func TestFormatOfAndLabelName(t *testing.T) {
	t.Parallel()
	require.Equal(t, FormatOMEZarr, FormatOf("a/cells.ome.zarr/"))
	require.Equal(t, FormatZarr, FormatOf("cells.zarr"))
	require.Equal(t, FormatTIFF, FormatOf("cells.tif"))
	require.Equal(t, "cells", LabelNameOf("x/cells.ome.tif"))
	require.Equal(t, "cells", LabelNameOf("x/cells.ome.zarr/"))
	require.Equal(t, "cells.v2", LabelNameOf("cells.v2.tiff"))
	_, err := ParseOutputFormat("hdf5")
	require.Error(t, err)
}

// Run writes an OME-Zarr whose labels equal an in-memory run's.
func TestRunZarrSink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	v := stack.New[uint16](stack.Shape{Z: 4, Y: 50, X: 60})
	for i := range v.Data {
		if (i/60/6+i%60/6)%2 == 0 {
			v.Data[i] = 500
		}
	}
	opt := DefaultOptions()
	opt.Source, opt.Input = VolumeSource(v), "vol"
	opt.Output = filepath.Join(dir, "tif.tif")
	_, err := Run(context.Background(), opt)
	require.NoError(t, err)
	opt.Output = filepath.Join(dir, "v.ome.zarr")
	rep, err := Run(context.Background(), opt)
	require.NoError(t, err)
	require.Equal(t, "uint16", rep.LabelDType)
	im, err := zarr.OpenImage(opt.Output)
	require.NoError(t, err)
	require.Equal(t, []string{"vol"}, im.Labels)
	// A source without its raw samples is copied as float32.
	a, err := im.Open(0)
	require.NoError(t, err)
	require.Equal(t, zarr.Float32, a.DType())
	lab, err := im.OpenLabels("vol")
	require.NoError(t, err)
	la, err := lab.Open(0)
	require.NoError(t, err)
	lp, err := la.Planes()
	require.NoError(t, err)
	got, err := zarr.ReadVolume[uint16](context.Background(), lp)
	require.NoError(t, err)
	src, closeSrc, err := OpenTIFF(filepath.Join(dir, "tif.tif"), -1)
	require.NoError(t, err)
	defer closeSrc()
	want := make([]float32, v.Shape.PlaneLen())
	for z := range v.Shape.Z {
		require.NoError(t, src.ReadPlane(context.Background(), z, want))
		for i, w := range want {
			require.Equal(t, uint16(w), got.Plane(z)[i])
		}
	}
}

// storeFiles maps every file under root to its bytes.
func storeFiles(t *testing.T, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files[rel] = string(b)
		return nil
	}))
	return files
}

// Labels added to an existing OME-Zarr image: a run that fails, labels of
// that name there or not, leaves the store as it was (no label folder
// without metadata, no temporary); one that succeeds adds its labels to
// the list, keeping the others.
func TestLabelsAddedInPlace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	vol := synth.Nuclei(stack.Shape{Z: 6, Y: 40, X: 40}, 3)
	opt := DefaultOptions()
	opt.Source, opt.Input = VolumeSource(vol), "vol"
	opt.Output = filepath.Join(dir, "v.ome.zarr")
	_, err := Run(context.Background(), opt)
	require.NoError(t, err)
	before := storeFiles(t, opt.Output)

	for _, name := range []string{"vol", "other"} {
		bad := opt
		bad.Force = true
		bad.Zarr.LabelName = name
		bad.Source = failingSource{VolumeSource(vol), 4, fmt.Errorf("read: %w", syscall.EIO)}
		_, err = Run(context.Background(), bad)
		require.ErrorIs(t, err, syscall.EIO)
		require.Equal(t, before, storeFiles(t, opt.Output), "labels %q: a failed run leaves the store as it was", name)
	}

	more := opt
	more.Zarr.LabelName = "other"
	_, err = Run(context.Background(), more)
	require.NoError(t, err)
	im, err := zarr.OpenImage(opt.Output)
	require.NoError(t, err)
	require.Equal(t, []string{"vol", "other"}, im.Labels)
	after := storeFiles(t, opt.Output)
	for p, b := range before {
		if !strings.HasPrefix(p, filepath.Join("labels", ".z")) && p != filepath.Join("labels", "zarr.json") {
			require.Equal(t, b, after[p], "%s is kept", p)
		}
	}
	for p := range after {
		require.NotContains(t, p, ".segstack-tmp-")
	}
	_, err = Run(context.Background(), more)
	require.ErrorIs(t, err, ErrExists, "the labels are there now")
}

// The image copied into an OME-Zarr output is written as the pipeline
// reads each plane (tee), once even if a plane is read twice, and the
// planes the pipeline never read are copied at finish: the copy equals
// the input either way.
func TestZarrSinkTee(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	vol := synth.Nuclei(stack.Shape{Z: 5, Y: 40, X: 48}, 2)
	tifPath := filepath.Join(dir, "in.tif")
	w, err := tiff.Create(tifPath, tiff.WriterOptions{Shape: vol.Shape, DType: stack.Uint16})
	require.NoError(t, err)
	for z := range vol.Shape.Z {
		require.NoError(t, w.WritePlane(bytesOf(vol.Plane(z))))
	}
	require.NoError(t, w.Close())
	src, closeSrc, err := OpenTIFF(tifPath, -1)
	require.NoError(t, err)
	defer closeSrc()

	out := filepath.Join(dir, "o.ome.zarr")
	s, err := newZarrSink(ctx, out, true, src, LabelUint16, nil, ZarrOutput{}, tifPath, kernels.CPU())
	require.NoError(t, err)
	teed := s.tee(src)
	require.NotSame(t, src, teed, "a TIFF of uint16 feeds the copy through the pipeline's reads")
	f32 := make([]float32, vol.Shape.PlaneLen())
	for _, z := range []int{3, 0, 3} { // plane 3 read twice, 1, 2 and 4 never
		require.NoError(t, teed.ReadPlane(ctx, z, f32))
		for i, v := range vol.Plane(z) {
			require.Equal(t, float32(v), f32[i])
		}
	}
	lab := make([]uint16, vol.Shape.PlaneLen())
	for z := range vol.Shape.Z {
		require.NoError(t, s.write(ctx, z, nil, lab, 0))
	}
	require.NoError(t, s.finish())
	require.NoError(t, s.publish())

	im, err := zarr.OpenImage(out)
	require.NoError(t, err)
	a, err := im.Open(0)
	require.NoError(t, err)
	p, err := a.Planes()
	require.NoError(t, err)
	got, err := zarr.ReadVolume[uint16](ctx, p)
	require.NoError(t, err)
	require.Equal(t, vol.Data, got.Data)
}

// The image copy is compressed with Blosc LZ4 (byte shuffle) unless told
// otherwise; the labels default to Blosc LZ4 without shuffle, and the
// copy and the labels read back exactly.
func TestZarrImageCodecFollowsInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	v := stack.New[uint16](stack.Shape{Z: 3, Y: 40, X: 50})
	for i := range v.Data {
		v.Data[i] = uint16(i * 7919 % 3001)
		if i/50%10 < 5 && i%50 < 25 && i/2000 != 1 {
			v.Data[i] += 40000
		}
	}
	raw := zarr.BloscZstd(3)
	for k, tc := range []struct {
		comp       tiff.Compression
		codec      *zarr.Codec
		image      *zarr.Codec
		wantImage  string
		wantLabels string
	}{
		{tiff.None, nil, nil, "blosc-lz4:1", "blosc-lz4-noshuffle:1"},
		{tiff.Deflate, nil, nil, "blosc-lz4:1", "blosc-lz4-noshuffle:1"},
		{tiff.None, &raw, nil, "blosc-zstd:3", "blosc-zstd:3"},
		{tiff.None, nil, &raw, "blosc-zstd:3", "blosc-lz4-noshuffle:1"},
	} {
		name := fmt.Sprintf("%v-%v-%v", tc.comp, tc.codec, tc.image)
		dir := filepath.Join(dir, fmt.Sprint(k))
		require.NoError(t, os.Mkdir(dir, 0o755))
		in := filepath.Join(dir, "in.tif")
		require.NoError(t, tiff.WriteVolume(ctx, in, v, tiff.WriterOptions{Compression: tc.comp}))
		opt := DefaultOptions()
		opt.Input = in
		opt.Output = filepath.Join(dir, "o.ome.zarr")
		opt.Zarr.Codec, opt.Zarr.ImageCodec = tc.codec, tc.image
		_, err := Run(ctx, opt)
		require.NoError(t, err, name)
		im, err := zarr.OpenImage(opt.Output)
		require.NoError(t, err)
		a, err := im.Open(0)
		require.NoError(t, err)
		require.Equal(t, tc.wantImage, a.Codec().String(), name)
		p, err := a.Planes()
		require.NoError(t, err)
		got, err := zarr.ReadVolume[uint16](ctx, p)
		require.NoError(t, err)
		require.Equal(t, v.Data, got.Data, name)
		lab, err := im.OpenLabels("in")
		require.NoError(t, err)
		la, err := lab.Open(0)
		require.NoError(t, err)
		require.Equal(t, tc.wantLabels, la.Codec().String(), name)
	}
}

// Run's OME-Zarr outputs are one plane deep by default (as the engine
// writes them), as deep as told otherwise (deeper chunks are encoded a
// plane at a time), and read back exactly either way.
func TestRunZarrChunkDepth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for k, tc := range []struct {
		shape  stack.Shape
		chunks stack.Shape
		wantZ  int
	}{
		{stack.Shape{Z: 5, Y: 40, X: 48}, stack.Shape{}, 1},
		{stack.Shape{Z: 5, Y: 40, X: 48}, stack.Shape{Z: 2}, 2},
		{stack.Shape{Z: 3, Y: 1100, X: 8}, stack.Shape{}, 1},
		{stack.Shape{Z: 5, Y: 40, X: 48}, stack.Shape{Z: 1}, 1},
		{stack.Shape{Z: 5, Y: 40, X: 48}, stack.Shape{Z: 3}, 3},
	} {
		dir := t.TempDir()
		vol := synth.Nuclei(tc.shape, uint64(k+1))
		in := filepath.Join(dir, "in.tif")
		require.NoError(t, tiff.WriteVolume(ctx, in, vol, tiff.WriterOptions{}))
		opt := DefaultOptions()
		opt.Input = in
		opt.Output = filepath.Join(dir, "o.ome.zarr")
		opt.Zarr.Chunks = tc.chunks
		_, err := Run(ctx, opt)
		require.NoError(t, err)
		im, err := zarr.OpenImage(opt.Output)
		require.NoError(t, err)
		a, err := im.Open(0)
		require.NoError(t, err)
		require.Equal(t, tc.wantZ, a.Chunks()[0], "image chunks of %v", tc.shape)
		p, err := a.Planes()
		require.NoError(t, err)
		got, err := zarr.ReadVolume[uint16](ctx, p)
		require.NoError(t, err)
		require.Equal(t, vol.Data, got.Data)
		lab, err := im.OpenLabels("in")
		require.NoError(t, err)
		la, err := lab.Open(0)
		require.NoError(t, err)
		require.Equal(t, tc.wantZ, la.Chunks()[0], "label chunks of %v", tc.shape)
		lp, err := la.Planes()
		require.NoError(t, err)
		gotLab, err := zarr.ReadVolume[uint16](ctx, lp)
		require.NoError(t, err)
		opt.Output = filepath.Join(dir, "l.tif")
		_, err = Run(ctx, opt)
		require.NoError(t, err)
		wantLab, _ := readLabels(t, opt.Output)
		require.Len(t, gotLab.Data, len(wantLab.Data))
		for i, v := range wantLab.Data {
			if uint32(gotLab.Data[i]) != v {
				t.Fatalf("%v: label %d at %d, the TIFF run's is %d", tc.shape, gotLab.Data[i], i, v)
			}
		}
	}
}
