package zarr

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

type ngffLevelEntry struct {
	Shape      []int       `json:"shape"`
	Raw        string      `json:"raw"`
	DType      string      `json:"dtype"`
	Scale      []float64   `json:"scale,omitempty"`
	Transforms []ngffCoord `json:"transforms,omitempty"`
}

type ngffLabelEntry struct {
	Raw    string `json:"raw"`
	Shape  []int  `json:"shape"`
	DType  string `json:"dtype"`
	Levels int    `json:"levels"`
	Colors int    `json:"colors,omitempty"`
}

type ngffEntry struct {
	Name       string                    `json:"name"`
	Path       string                    `json:"path"`
	ZarrFormat int                       `json:"zarr_format"`
	Version    string                    `json:"version"`
	Axes       []string                  `json:"axes"`
	Unit       string                    `json:"unit,omitempty"`
	Levels     []ngffLevelEntry          `json:"levels"`
	Labels     map[string]ngffLabelEntry `json:"labels"`
	LabelList  []string                  `json:"label_list,omitempty"`
	Omero      bool                      `json:"omero,omitempty"`
}

// TestReadNGFFWrittenByOmeZarr reads images and labels ome-zarr wrote as
// NGFF 0.4 (Zarr v2) and 0.5 (Zarr v3): metadata, every level's pixels and
// the label image.
func TestReadNGFFWrittenByOmeZarr(t *testing.T) {
	versions := requirePython(t, venvPython, "zarr", "numcodecs", "ome_zarr", "numpy")
	t.Logf("writer: %s", versions)
	ctx := context.Background()
	dir := t.TempDir()
	runInterop(t, venvPython, "ngff-write", dir)
	var m struct {
		Images []ngffEntry `json:"images"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &m))
	require.Len(t, m.Images, 4)
	for _, e := range m.Images {
		t.Run(e.Name, func(t *testing.T) {
			im, err := OpenImage(filepath.Join(dir, e.Path))
			require.NoError(t, err)
			require.Equal(t, e.ZarrFormat, im.ZarrFormat)
			require.Equal(t, e.Version, im.Version)
			var names []string
			for _, a := range im.Axes {
				names = append(names, a.Name)
				if a.Type == "space" {
					require.Equal(t, "micrometer", a.Unit)
				}
			}
			require.Equal(t, e.Axes, names)
			require.Len(t, im.Levels, len(e.Levels))
			z, y, x, unit := im.PixelSize()
			require.Equal(t, []float64{2, 0.5, 0.5}, []float64{z, y, x})
			require.Equal(t, "micrometer", unit)
			for i, want := range e.Levels {
				scale, trans, err := transforms(want.Transforms, len(e.Axes))
				require.NoError(t, err)
				require.Equal(t, scale, im.Levels[i].Scale)
				require.Equal(t, trans, im.Levels[i].Translation)
				a, err := im.Open(i)
				require.NoError(t, err)
				require.Equal(t, want.Shape, a.Shape())
				dt, err := ParseDType(want.DType)
				require.NoError(t, err)
				raw := readRaw(t, filepath.Join(dir, want.Raw), dt)
				got := make([]byte, len(raw))
				require.NoError(t, a.Read(ctx, make([]int, len(want.Shape)), want.Shape, got))
				require.Equal(t, raw, got, "level %d", i)
			}
			for name, want := range e.Labels {
				require.Contains(t, im.Labels, name)
				li, err := im.OpenLabels(name)
				require.NoError(t, err)
				require.NotNil(t, li.Label)
				require.Equal(t, []LabelColor{{Value: 1, RGBA: [4]uint8{255, 0, 0, 255}}}, li.Label.Colors)
				require.Len(t, li.Levels, want.Levels)
				a, err := li.Open(0)
				require.NoError(t, err)
				p, err := a.Planes()
				require.NoError(t, err)
				got, err := ReadVolume[uint32](ctx, p)
				require.NoError(t, err)
				require.Equal(t, readRaw(t, filepath.Join(dir, want.Raw), Uint32), asBytes(got.Data))
			}
		})
	}
}

// TestOmeZarrReadsNGFFWrittenBySegstack writes images (one and two
// channels) with two label images as NGFF 0.4 on Zarr v2 and 0.5 on Zarr v3
// and has ome-zarr's reader find every level, its pixels and scale, the
// axes and units, the omero channels and the labels.
func TestOmeZarrReadsNGFFWrittenBySegstack(t *testing.T) {
	versions := requirePython(t, venvPython, "zarr", "numcodecs", "ome_zarr", "numpy")
	ctx := context.Background()
	dir := t.TempDir()
	var entries []ngffEntry
	saveRaw := func(name string, data []byte, dt DType) string {
		b := append([]byte(nil), data...)
		if !nativeLE {
			swapBytes(b, dt.Size())
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
		return name
	}
	for _, format := range []int{2, 3} {
		for _, channels := range []int{1, 2} {
			name := fmt.Sprintf("segstack-v%d-c%d.ome.zarr", format, channels)
			root := filepath.Join(dir, name)
			shape := stack.Shape{Z: 3, Y: 100, X: 130}
			o := ImageOptions{ZarrFormat: format, Name: "cells", Shape: shape, Channels: channels, DType: Uint16,
				Chunks: stack.Shape{Z: 1, Y: 32, X: 48}, Codec: BloscZstd(3), PixelSizeZ: 2, PixelSizeY: 0.5,
				PixelSizeX: 0.5, Unit: "µm", ChannelNames: []string{"dapi", "gfp"}}
			iw, err := CreateImage(ctx, root, o)
			require.NoError(t, err)
			vols := make([]*stack.Volume[uint16], channels)
			for c := range vols {
				vols[c] = stack.New[uint16](shape)
				for i := range vols[c].Data {
					vols[c].Data[i] = uint16((i*13+c*1000)%4000 + i%7)
				}
				for z := 0; z < shape.Z; z++ {
					require.NoError(t, WriteImagePlane(ctx, iw, c*shape.Z+z, vols[c].Plane(z)))
				}
			}
			require.NoError(t, iw.Close())
			e := ngffEntry{Name: name, Path: name, ZarrFormat: format, Version: ngffVersion(format),
				Axes: []string{"z", "y", "x"}, Unit: "micrometer", Labels: map[string]ngffLabelEntry{}, Omero: true}
			if channels > 1 {
				e.Axes = append([]string{"c"}, e.Axes...)
			}
			for l, s := range iw.Levels() {
				var data []byte
				for c := range vols {
					data = append(data, asBytes(vols[c].Data)...)
					vols[c] = meanPyramidRef(vols[c])
				}
				lshape := []int{s.Z, s.Y, s.X}
				f := float64(int(1) << l)
				scale := []float64{2, 0.5 * f, 0.5 * f}
				if channels > 1 {
					lshape = append([]int{channels}, lshape...)
					scale = append([]float64{1}, scale...)
				}
				e.Levels = append(e.Levels, ngffLevelEntry{Shape: lshape, DType: "uint16", Scale: scale,
					Raw: saveRaw(fmt.Sprintf("%s.level%d.raw", name, l), data, Uint16)})
			}
			if channels == 1 {
				for li, lname := range []string{"cells", "nuclei"} {
					lab := stack.New[uint32](shape)
					for i := range lab.Data {
						lab.Data[i] = uint32((i/50 + li) % 9)
					}
					lo := o
					lo.DType, lo.Codec = Uint32, Zstd(0)
					lw, err := CreateLabels(ctx, root, lname, lo)
					require.NoError(t, err)
					for z := 0; z < shape.Z; z++ {
						require.NoError(t, WriteImagePlane(ctx, lw, z, lab.Plane(z)))
					}
					require.NoError(t, lw.Close())
					e.Labels[lname] = ngffLabelEntry{Shape: []int{3, 100, 130}, DType: "uint32",
						Levels: len(lw.Levels()), Colors: 9,
						Raw: saveRaw(fmt.Sprintf("%s.%s.raw", name, lname), asBytes(lab.Data), Uint32)}
				}
				e.LabelList = []string{"cells", "nuclei"}
			} else {
				require.NoError(t, writeGroup(filepath.Join(root, "labels"), format, map[string]any{}, false))
				e.LabelList = nil
			}
			entries = append(entries, e)
		}
	}
	manifest := filepath.Join(dir, "manifest.json")
	b, err := json.MarshalIndent(map[string]any{"images": entries}, "", " ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(manifest, b, 0o644))
	var rep struct {
		OmeZarr string `json:"ome_zarr"`
		Zarr    string `json:"zarr"`
		Results []struct {
			Name     string   `json:"name"`
			OK       bool     `json:"ok"`
			Problems []string `json:"problems"`
		} `json:"results"`
	}
	require.NoError(t, json.Unmarshal(runInterop(t, venvPython, "ngff-check", manifest), &rep))
	require.Len(t, rep.Results, len(entries))
	for _, r := range rep.Results {
		require.True(t, r.OK, "%s: %v", r.Name, r.Problems)
	}
	t.Logf("ome-zarr %s (zarr %s; %s) read %d images with their levels and labels", rep.OmeZarr, rep.Zarr, versions, len(rep.Results))
}
