package zarr

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

func TestNormalizeUnit(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"micron": "micrometer", "µm": "micrometer", "μm": "micrometer", "um": "micrometer",
		"micrometer": "micrometer", "Micrometers": "micrometer", "micrometre": "micrometer",
		"nm": "nanometer", "mm": "millimeter", "Å": "angstrom", "meter": "meter", "s": "second",
		"": "", "pixel": "", "px": "",
	} {
		got, err := NormalizeUnit(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	_, err := NormalizeUnit("furlong")
	var u UnsupportedError
	require.ErrorAs(t, err, &u)
}

func TestDownsample(t *testing.T) {
	t.Parallel()
	// 3×5 → 2×3, blocks clipped at the far edges.
	src := []int16{
		1, 2, 3, 4, 5,
		6, 7, 8, 9, -10,
		-11, -12, 13, 14, 15,
	}
	dst := make([]int16, 6)
	downsampleMean(asBytes(dst), asBytes(src), 3, 5, Int16)
	// (1+2+6+7)/4=4, (3+4+8+9)/4=6, (5-10)/2=-2.5→-2, (-11-12)/2=-11.5→-11, 27/2=13.5→14, 15
	require.Equal(t, []int16{4, 6, -2, -11, 14, 15}, dst)
	f := make([]float32, 6)
	fs := make([]float32, len(src))
	for i, v := range src {
		fs[i] = float32(v)
	}
	downsampleMean(asBytes(f), asBytes(fs), 3, 5, Float32)
	require.Equal(t, []float32{4, 6, -2.5, -11.5, 13.5, 15}, f)
	first := make([]int16, 6)
	downsampleFirst(asBytes(first), asBytes(src), 3, 5, 2)
	require.Equal(t, []int16{1, 3, 5, -11, 13, 15}, first)
	u32 := []uint32{math.MaxUint32, math.MaxUint32, math.MaxUint32, math.MaxUint32 - 1}
	o := make([]uint32, 1)
	downsampleMean(asBytes(o), asBytes(u32), 2, 2, Uint32)
	require.Equal(t, []uint32{math.MaxUint32}, o) // no overflow; 4·max−1 over 4 rounds up
}

// writeTestImage writes an image and its labels with segstack and returns
// the volumes written.
func writeTestImage(t *testing.T, root string, format int, shape stack.Shape, chunks stack.Shape) (*stack.Volume[uint16], *stack.Volume[uint32]) {
	t.Helper()
	ctx := context.Background()
	img := stack.New[uint16](shape)
	lab := stack.New[uint32](shape)
	for i := range img.Data {
		img.Data[i] = uint16(i*7%1000 + 100)
		lab.Data[i] = uint32(i / 37 % 5)
	}
	o := ImageOptions{ZarrFormat: format, Name: "cells", Shape: shape, DType: Uint16, Chunks: chunks,
		Codec: BloscLZ4(5), PixelSizeZ: 2, PixelSizeY: 0.5, PixelSizeX: 0.25, Unit: "micron"}
	iw, err := CreateImage(ctx, root, o)
	require.NoError(t, err)
	o.DType = Uint32
	o.Codec = Zstd(3)
	lw, err := CreateLabels(ctx, root, "cells", o)
	require.NoError(t, err)
	for z := 0; z < shape.Z; z++ {
		require.NoError(t, WriteImagePlane(ctx, iw, z, img.Plane(z)))
		require.NoError(t, WriteImagePlane(ctx, lw, z, lab.Plane(z)))
	}
	require.NoError(t, iw.Close())
	require.NoError(t, lw.Close())
	return img, lab
}

func TestImageRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, format := range []int{2, 3} {
		root := filepath.Join(t.TempDir(), "cells.ome.zarr")
		shape := stack.Shape{Z: 3, Y: 70, X: 45}
		img, lab := writeTestImage(t, root, format, shape, stack.Shape{Z: 1, Y: 16, X: 16})
		im, err := OpenImage(root)
		require.NoError(t, err)
		require.Equal(t, format, im.ZarrFormat)
		require.Equal(t, ngffVersion(format), im.Version)
		require.Equal(t, "cells", im.Name)
		require.Equal(t, []Axis{{"z", "space", "micrometer"}, {"y", "space", "micrometer"}, {"x", "space", "micrometer"}}, im.Axes)
		// 70×45 → 35×23 → 18×12 → 9×6: the last fits one 16×16 chunk.
		require.Len(t, im.Levels, 4)
		require.Equal(t, []float64{2, 4, 2}, im.Levels[3].Scale)
		require.Equal(t, []float64{0, 3.5 * 0.5, 3.5 * 0.25}, im.Levels[3].Translation) // centre of 8×8 pixels
		require.Equal(t, 1, im.AxisIndex("y"))
		require.Equal(t, -1, im.AxisIndex("c"))
		if format == 3 {
			a, err := im.Open(0)
			require.NoError(t, err)
			require.Equal(t, []string{"z", "y", "x"}, a.DimensionNames())
		}
		z, y, x, unit := im.PixelSize()
		require.Equal(t, []float64{2, 0.5, 0.25}, []float64{z, y, x})
		require.Equal(t, "micrometer", unit)
		require.Equal(t, []string{"cells"}, im.Labels)
		var omero struct {
			Channels []struct {
				Label  string
				Window struct{ Start, End, Min, Max float64 }
			}
		}
		require.NoError(t, json.Unmarshal(im.Omero, &omero))
		require.Len(t, omero.Channels, 1)
		require.Equal(t, struct{ Start, End, Min, Max float64 }{100, 1099, 0, 65535}, omero.Channels[0].Window)

		// Level pixels against a brute-force pyramid.
		want := img
		for l := range im.Levels {
			a, err := im.Open(l)
			require.NoError(t, err)
			p, err := a.Planes()
			require.NoError(t, err)
			got, err := ReadVolume[uint16](ctx, p)
			require.NoError(t, err)
			require.Equal(t, want.Shape, got.Shape, "level %d", l)
			require.Equal(t, want.Data, got.Data, "level %d", l)
			want = meanPyramidRef(want)
		}
		li, err := im.OpenLabels("cells")
		require.NoError(t, err)
		require.NotNil(t, li.Label)
		require.Equal(t, "../../", li.Label.Source.Image)
		require.Len(t, li.Label.Colors, 5) // 0..4
		require.Len(t, li.Levels, 4)
		wl := lab
		for l := range li.Levels {
			a, err := li.Open(l)
			require.NoError(t, err)
			p, err := a.Planes()
			require.NoError(t, err)
			got, err := ReadVolume[uint32](ctx, p)
			require.NoError(t, err)
			require.Equal(t, wl.Data, got.Data, "label level %d", l)
			wl = firstPyramidRef(wl)
		}
	}
}

// meanPyramidRef halves Y and X by block means, written the slow way.
func meanPyramidRef(v *stack.Volume[uint16]) *stack.Volume[uint16] {
	s := stack.Shape{Z: v.Shape.Z, Y: (v.Shape.Y + 1) / 2, X: (v.Shape.X + 1) / 2}
	out := stack.New[uint16](s)
	for z := 0; z < s.Z; z++ {
		for y := 0; y < s.Y; y++ {
			for x := 0; x < s.X; x++ {
				sum, n := 0.0, 0.0
				for dy := 0; dy < 2; dy++ {
					for dx := 0; dx < 2; dx++ {
						if 2*y+dy < v.Shape.Y && 2*x+dx < v.Shape.X {
							sum += float64(v.At(z, 2*y+dy, 2*x+dx))
							n++
						}
					}
				}
				out.Set(z, y, x, uint16(math.Floor(sum/n+0.5)))
			}
		}
	}
	return out
}

func firstPyramidRef(v *stack.Volume[uint32]) *stack.Volume[uint32] {
	s := stack.Shape{Z: v.Shape.Z, Y: (v.Shape.Y + 1) / 2, X: (v.Shape.X + 1) / 2}
	out := stack.New[uint32](s)
	for z := 0; z < s.Z; z++ {
		for y := 0; y < s.Y; y++ {
			for x := 0; x < s.X; x++ {
				out.Set(z, y, x, v.At(z, 2*y, 2*x))
			}
		}
	}
	return out
}

func TestLabelsListIsMerged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, format := range []int{2, 3} {
		root := filepath.Join(t.TempDir(), "img.zarr")
		// A labels group made by another tool, with a name and a key of its own.
		var attrs map[string]any
		if format == 2 {
			attrs = map[string]any{"labels": []string{"nuclei"}, "note": "keep me"}
		} else {
			attrs = map[string]any{"ome": map[string]any{"version": "0.5", "labels": []string{"nuclei"}}, "note": "keep me"}
		}
		require.NoError(t, writeGroup(filepath.Join(root, "labels"), format, attrs, false))
		shape := stack.Shape{Z: 1, Y: 8, X: 8}
		for _, name := range []string{"cells", "cells", "membranes"} {
			lw, err := CreateLabels(ctx, root, name, ImageOptions{ZarrFormat: format, Shape: shape, DType: Uint8})
			require.NoError(t, err)
			require.NoError(t, lw.WritePlane(ctx, 0, make([]byte, 64)))
			require.NoError(t, lw.Close())
		}
		got, f, err := readGroupAttrs(filepath.Join(root, "labels"))
		require.NoError(t, err)
		require.Equal(t, format, f)
		require.JSONEq(t, `"keep me"`, string(got["note"]))
		names, err := labelNames(filepath.Join(root, "labels"))
		require.NoError(t, err)
		require.Equal(t, []string{"nuclei", "cells", "membranes"}, names)

		// Damaged metadata is reported, not overwritten.
		bad := filepath.Join(root, "labels", v2AttrsFile)
		if format == 3 {
			bad = filepath.Join(root, "labels", v3File)
		}
		require.NoError(t, os.WriteFile(bad, []byte("{not json"), 0o644))
		lw, err := CreateLabels(ctx, root, "more", ImageOptions{ZarrFormat: format, Shape: shape, DType: Uint8})
		require.NoError(t, err)
		require.NoError(t, lw.WritePlane(ctx, 0, make([]byte, 64)))
		require.Error(t, lw.Close())
		b, err := os.ReadFile(bad)
		require.NoError(t, err)
		require.Equal(t, "{not json", string(b))
	}
}

func TestImageRewriteRemovesStaleLevels(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "img.zarr")
	writeTestImage(t, root, 2, stack.Shape{Z: 2, Y: 64, X: 64}, stack.Shape{Z: 1, Y: 8, X: 8})
	im, err := OpenImage(root)
	require.NoError(t, err)
	require.Len(t, im.Levels, 4)
	// Rewrite with bigger chunks: fewer levels, the old ones go.
	iw, err := CreateImage(ctx, root, ImageOptions{Shape: stack.Shape{Z: 2, Y: 64, X: 64}, DType: Uint16,
		Chunks: stack.Shape{Z: 1, Y: 32, X: 32}})
	require.NoError(t, err)
	// While it is being written the group has no metadata.
	_, err = OpenImage(root)
	require.Error(t, err)
	plane := make([]uint16, 64*64)
	for z := 0; z < 2; z++ {
		require.NoError(t, WriteImagePlane(ctx, iw, z, plane))
	}
	require.NoError(t, iw.Close())
	im, err = OpenImage(root)
	require.NoError(t, err)
	require.Len(t, im.Levels, 2)
	for _, l := range []string{"2", "3"} {
		_, err := os.Stat(filepath.Join(root, l))
		require.True(t, os.IsNotExist(err), l)
	}
	require.Equal(t, []string{"cells"}, im.Labels, "the labels survive")
	var omero map[string]any
	require.NoError(t, json.Unmarshal(im.Omero, &omero))
	require.Equal(t, "0.4", omero["version"])
}

// WriteLabelPlane takes the caller's largest label instead of scanning the
// plane, and is refused for images that are not label images.
func TestWriteLabelPlane(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "img.ome.zarr")
	o := ImageOptions{Shape: stack.Shape{Z: 2, Y: 8, X: 8}, DType: Uint16}
	img, err := CreateImage(ctx, root, o)
	require.NoError(t, err)
	plane := make([]uint16, 64)
	require.Error(t, img.WriteLabelPlane(ctx, 0, asBytes(plane), 3))
	require.NoError(t, img.Abort())
	lw, err := CreateLabels(ctx, root, "cells", o)
	require.NoError(t, err)
	for z := range 2 {
		for i := range plane {
			plane[i] = uint16(i % (3 + z))
		}
		require.NoError(t, lw.WriteLabelPlane(ctx, z, asBytes(plane), uint64(2+z)))
	}
	require.Error(t, lw.WriteLabelPlane(ctx, 2, asBytes(plane), 1))
	require.NoError(t, lw.Close())
	im, err := OpenImage(filepath.Join(root, "labels", "cells"))
	require.NoError(t, err)
	var values []int
	for _, c := range im.Label.Colors {
		values = append(values, c.Value)
	}
	require.Contains(t, values, 3)
	require.NotContains(t, values, 4)
}

// TestWritePlaneNow writes images with WritePlaneNow, each goroutine
// scribbling over its one plane buffer as soon as a call returns, and
// reads back every level against planes written with WritePlane: chunks one
// plane deep (several chunks per plane, edge chunks, a pyramid), one level
// of one chunk per plane (WritesNow: three goroutines, planes in any
// order), and chunks two planes deep (the call falls back to WritePlane).
// Without WritesNow one goroutine writes the planes in order.
func TestWritePlaneNow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	shape := stack.Shape{Z: 7, Y: 70, X: 45}
	src := stack.New[uint16](shape)
	for i := range src.Data {
		src.Data[i] = uint16(i*13%5000 + 20)
	}
	for _, chunks := range []stack.Shape{{Z: 1, Y: 16, X: 16}, {Z: 1, Y: 128, X: 128}, {Z: 2, Y: 32, X: 32}} {
		dir := t.TempDir()
		o := ImageOptions{Shape: shape, DType: Uint16, Chunks: chunks, Codec: BloscLZ4(5)}
		ref, err := CreateImage(ctx, filepath.Join(dir, "ref.ome.zarr"), o)
		require.NoError(t, err)
		for z := range shape.Z {
			require.NoError(t, WriteImagePlane(ctx, ref, z, src.Plane(z)))
		}
		require.NoError(t, ref.Close())

		now, err := CreateImage(ctx, filepath.Join(dir, "now.ome.zarr"), o)
		require.NoError(t, err)
		var wg sync.WaitGroup
		errs := make([]error, 3)
		// One level of chunks one plane deep: planes in any order, from
		// any number of goroutines.
		require.Equal(t, chunks == stack.Shape{Z: 1, Y: 128, X: 128}, now.WritesNow(), "chunks %v", chunks)
		workers := 1
		if now.WritesNow() {
			workers = 3
		}
		for g := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := make([]uint16, shape.PlaneLen())
				for z := g; z < shape.Z; z += workers {
					copy(buf, src.Plane(z))
					if err := now.WritePlaneNow(ctx, z, asBytes(buf)); err != nil {
						errs[g] = err
						return
					}
					for i := range buf {
						buf[i] = 0xdead
					}
				}
			}()
		}
		wg.Wait()
		require.NoError(t, errors.Join(errs...))
		require.Error(t, now.WritePlaneNow(ctx, 0, asBytes(src.Plane(0))), "plane 0 again")
		require.NoError(t, now.Close())

		a, err := OpenImage(filepath.Join(dir, "ref.ome.zarr"))
		require.NoError(t, err)
		b, err := OpenImage(filepath.Join(dir, "now.ome.zarr"))
		require.NoError(t, err)
		require.Equal(t, a.Omero, b.Omero, "chunks %v", chunks)
		require.Len(t, b.Levels, len(a.Levels))
		for l := range a.Levels {
			var vols [2]*stack.Volume[uint16]
			for i, im := range []*Image{a, b} {
				arr, err := im.Open(l)
				require.NoError(t, err)
				p, err := arr.Planes()
				require.NoError(t, err)
				vols[i], err = ReadVolume[uint16](ctx, p)
				require.NoError(t, err)
			}
			require.Equal(t, vols[0].Data, vols[1].Data, "chunks %v level %d", chunks, l)
			if l == 0 {
				require.Equal(t, src.Data, vols[1].Data, "chunks %v", chunks)
			}
		}
	}
}

// TestLabelsReplacedInOneStep adds a label image to an image that has one
// of that name already: until Close the old one reads as before (the new
// one is written under a temporary name), after it the new one, with no
// temporary left; a label image a killed writer left under its temporary
// name is removed by the next CreateLabels, and one aborted leaves the old
// one as it was.
func TestLabelsReplacedInOneStep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	shape := stack.Shape{Z: 2, Y: 8, X: 8}
	for _, format := range []int{2, 3} {
		root := filepath.Join(t.TempDir(), "img.zarr")
		writeTestImage(t, root, format, shape, stack.Shape{Z: 1, Y: 4, X: 4})
		dir := filepath.Join(root, "labels")
		readLabels := func() []uint32 {
			t.Helper()
			im, err := OpenImage(filepath.Join(dir, "cells"))
			require.NoError(t, err)
			a, err := im.Open(0)
			require.NoError(t, err)
			p, err := a.Planes()
			require.NoError(t, err)
			v, err := ReadVolume[uint32](ctx, p)
			require.NoError(t, err)
			return v.Data
		}
		old := readLabels()

		// What a writer killed before Close leaves: its label image
		// under a temporary name of a process that is gone.
		dead := exec.Command("true")
		require.NoError(t, dead.Run())
		stale := filepath.Join(dir, ".cells"+tmpMarker+strconv.Itoa(dead.Process.Pid)+"-5")
		require.NoError(t, os.MkdirAll(filepath.Join(stale, "0"), 0o755))

		o := ImageOptions{ZarrFormat: format, Shape: shape, DType: Uint32, Chunks: stack.Shape{Z: 1, Y: 4, X: 4}, Codec: BloscLZ4(5)}
		lw, err := CreateLabels(ctx, root, "cells", o)
		require.NoError(t, err)
		require.NoDirExists(t, stale, "CreateLabels removes what killed writers left")
		require.Equal(t, filepath.Join(dir, "cells"), lw.Path())
		plane := make([]uint32, shape.PlaneLen())
		for i := range plane {
			plane[i] = 9
		}
		for z := 0; z < shape.Z; z++ {
			require.NoError(t, WriteImagePlane(ctx, lw, z, plane))
		}
		require.NoError(t, lw.Finish())
		require.Equal(t, old, readLabels(), "the old label image reads until Close")
		require.NoError(t, lw.Close())
		got := readLabels()
		require.Len(t, got, shape.Len())
		for _, v := range got {
			require.EqualValues(t, 9, v)
		}
		names, err := labelNames(dir)
		require.NoError(t, err)
		require.Equal(t, []string{"cells"}, names)
		require.Zero(t, countTemporaries(t, root))
		ents, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, e := range ents {
			require.False(t, isTemporary(e.Name()), "left in labels/: %s", e.Name())
		}

		// An aborted writer leaves the label image there as it was.
		lw, err = CreateLabels(ctx, root, "cells", o)
		require.NoError(t, err)
		require.NoError(t, WriteImagePlane(ctx, lw, 0, make([]uint32, shape.PlaneLen())))
		require.NoError(t, lw.Abort())
		require.Equal(t, got, readLabels())
		ents, err = os.ReadDir(dir)
		require.NoError(t, err)
		require.Len(t, ents, 1+map[int]int{2: 2, 3: 1}[format], "cells and the group's metadata only")
	}
}

// TestWritePlaneNowRange holds the omero window of uint16 images written
// by WritePlaneNow, whose range is gathered while Blosc shuffles the
// planes where it can, to the least and greatest values of each channel
// found by brute force: chunks that are the plane (the gathered range,
// shuffled in vectors and in the Go tail, and stored raw when noise does
// not compress), larger than the plane, and other codecs.
func TestWritePlaneNowRange(t *testing.T) { withVectors(t, testWritePlaneNowRange) }

func testWritePlaneNowRange(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(13, 14))
	shape := stack.Shape{Z: 3, Y: 70, X: 46}
	for _, c := range []struct {
		name   string
		chunks stack.Shape
		codec  Codec
		noise  bool
	}{
		{"plane-chunks/lz4-1", stack.Shape{Z: 1, Y: 70, X: 46}, BloscLZ4(1), false},
		{"plane-chunks/lz4-5", stack.Shape{Z: 1, Y: 70, X: 46}, BloscLZ4(5), false},
		{"plane-chunks/noise", stack.Shape{Z: 1, Y: 70, X: 46}, BloscLZ4(1), true},
		{"larger-chunks", stack.Shape{Z: 1, Y: 80, X: 64}, BloscLZ4(1), false},
		{"raw", stack.Shape{Z: 1, Y: 70, X: 46}, Codec{}, false},
		{"zstd", stack.Shape{Z: 1, Y: 70, X: 46}, Zstd(1), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "r.ome.zarr")
			iw, err := CreateImage(ctx, root, ImageOptions{Shape: shape, Channels: 2, DType: Uint16, Chunks: c.chunks, Codec: c.codec})
			require.NoError(t, err)
			require.True(t, iw.WritesNow())
			want := [2][2]float64{{65535, 0}, {65535, 0}}
			for p := range iw.Planes() {
				plane := make([]uint16, shape.PlaneLen())
				for i := range plane {
					v := 1000 + uint16(i/7) + uint16(p*50)
					if c.noise {
						v = uint16(rng.IntN(30000) + 1000)
					}
					plane[i] = v
				}
				// Extremes in the vector part and in the Go tail.
				plane[rng.IntN(len(plane)-64)] = uint16(100 + p)
				plane[len(plane)-1-rng.IntN(20)] = uint16(60000 + p)
				ch := p / shape.Z
				for _, v := range plane {
					want[ch][0] = min(want[ch][0], float64(v))
					want[ch][1] = max(want[ch][1], float64(v))
				}
				require.NoError(t, iw.WritePlaneNow(ctx, p, asBytes(plane)))
			}
			require.NoError(t, iw.Close())
			im, err := OpenImage(root)
			require.NoError(t, err)
			var omero struct {
				Channels []struct{ Window struct{ Start, End float64 } }
			}
			require.NoError(t, json.Unmarshal(im.Omero, &omero))
			require.Len(t, omero.Channels, 2)
			for ch := range 2 {
				require.Equal(t, want[ch], [2]float64{omero.Channels[ch].Window.Start, omero.Channels[ch].Window.End}, "channel %d", ch)
			}
		})
	}
}

// TestWriteLabelPlaneStoreFails: a label plane's file, written by the
// label image's goroutines after WriteLabelPlane returns, that cannot be
// written fails the label image: Close (or a later write) reports it, and
// the labels are not published.
func TestWriteLabelPlaneStoreFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "img.ome.zarr")
	o := ImageOptions{Shape: stack.Shape{Z: 2, Y: 32, X: 40}, DType: Uint16, Chunks: stack.Shape{Z: 1, Y: 32, X: 40}, Codec: BloscLZ4(1)}
	iw, err := CreateImage(ctx, root, o)
	require.NoError(t, err)
	plane := make([]uint16, o.Shape.PlaneLen())
	plane[5] = 3
	for z := range 2 {
		require.NoError(t, iw.WritePlaneNow(ctx, z, asBytes(plane)))
	}
	require.NoError(t, iw.Close())
	lw, err := CreateLabels(ctx, root, "cells", o)
	require.NoError(t, err)
	// A file where plane 1's chunk directory goes.
	require.NoError(t, os.WriteFile(filepath.Join(lw.levels[0].w.path, "1"), nil, 0o644))
	require.NoError(t, lw.WriteLabelPlane(ctx, 0, asBytes(plane), 3))
	err = errors.Join(lw.WriteLabelPlane(ctx, 1, asBytes(plane), 3), lw.Close())
	require.ErrorContains(t, err, "not a directory")
	im, err := OpenImage(root)
	require.NoError(t, err)
	require.Empty(t, im.Labels)
}
