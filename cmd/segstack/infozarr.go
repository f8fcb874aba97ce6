package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/segstack/segstack/stack/zarr"
	"github.com/spf13/cobra"
)

// zarrInfo is what `segstack info --json` prints for a Zarr store.
type zarrInfo struct {
	File string `json:"file"`
	// Kind is "ome-zarr" or "zarr" (a plain array).
	Kind       string      `json:"kind"`
	ZarrFormat int         `json:"zarr_format"`
	NGFF       string      `json:"ngff_version,omitempty"`
	Axes       []string    `json:"axes,omitempty"`
	Shape      []int       `json:"shape"`
	DType      string      `json:"dtype"`
	Chunks     []int       `json:"chunks"`
	Codec      string      `json:"codec"`
	ByteOrder  string      `json:"byte_order"`
	FillValue  float64     `json:"fill_value"`
	Levels     []zarrLevel `json:"levels,omitempty"`
	Scale      []float64   `json:"scale,omitempty"`
	Unit       string      `json:"unit,omitempty"`
	Labels     []string    `json:"labels,omitempty"`
	Label      bool        `json:"label_image,omitempty"`
}

// zarrLevel is one resolution level of an OME-Zarr image.
type zarrLevel struct {
	Path  string    `json:"path"`
	Shape []int     `json:"shape"`
	Scale []float64 `json:"scale"`
}

func newZarrInfo(path string) (zarrInfo, error) {
	info := zarrInfo{File: path, Kind: "zarr"}
	var a *zarr.Array
	im, ierr := zarr.OpenImage(path)
	if ierr == nil {
		info.Kind, info.NGFF, info.Labels, info.Label = "ome-zarr", im.Version, im.Labels, im.Label != nil
		for _, ax := range im.Axes {
			info.Axes = append(info.Axes, ax.Name)
			if ax.Unit != "" {
				info.Unit = ax.Unit
			}
		}
		for i, l := range im.Levels {
			la, err := im.Open(i)
			if err != nil {
				return info, err
			}
			if i == 0 {
				a = la
				info.Scale = l.Scale
			}
			info.Levels = append(info.Levels, zarrLevel{Path: l.Path, Shape: la.Shape(), Scale: l.Scale})
		}
	} else {
		var err error
		if a, err = zarr.Open(path); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return info, ierr
			}
			return info, err
		}
		info.Axes = arrayAxes(a)
	}
	info.ZarrFormat = a.ZarrFormat()
	info.Shape, info.DType, info.Chunks = a.Shape(), a.DType().String(), a.Chunks()
	info.Codec, info.FillValue = a.Codec().String(), a.FillValue()
	info.ByteOrder = "little"
	if a.ByteOrder().String() == "BigEndian" {
		info.ByteOrder = "big"
	}
	return info, nil
}

func writeZarrInfoText(w io.Writer, info zarrInfo) error {
	var b strings.Builder
	line := func(k, format string, args ...any) {
		fmt.Fprintf(&b, "%-12s %s\n", k+":", fmt.Sprintf(format, args...))
	}
	ints := func(v []int) string {
		s := make([]string, len(v))
		for i, n := range v {
			s[i] = fmt.Sprint(n)
		}
		return strings.Join(s, " x ")
	}
	line("file", "%s", info.File)
	if info.Kind == "ome-zarr" {
		what := "image"
		if info.Label {
			what = "label image"
		}
		line("format", "OME-Zarr %s (NGFF %s on Zarr v%d)", what, info.NGFF, info.ZarrFormat)
	} else {
		line("format", "Zarr v%d array", info.ZarrFormat)
	}
	shape := ints(info.Shape)
	if len(info.Axes) == len(info.Shape) {
		shape += " (" + strings.Join(info.Axes, " x ") + ")"
	}
	line("shape", "%s", shape)
	line("dtype", "%s (%s-endian)", info.DType, info.ByteOrder)
	line("chunks", "%s", ints(info.Chunks))
	line("codec", "%s", info.Codec)
	line("fill value", "%g", info.FillValue)
	if len(info.Scale) > 0 {
		unit := info.Unit
		if unit == "" {
			unit = "(no unit)"
		}
		line("scale", "%v %s", info.Scale, unit)
	}
	for i, l := range info.Levels {
		line(fmt.Sprintf("level %d", i), "%s: %s, scale %v", l.Path, ints(l.Shape), l.Scale)
	}
	if info.Kind == "ome-zarr" && !info.Label {
		if len(info.Labels) == 0 {
			line("labels", "none")
		} else {
			line("labels", "%s (under labels/)", strings.Join(info.Labels, ", "))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// runInfoZarr describes the Zarr store at path.
func runInfoZarr(cmd *cobra.Command, path string, asJSON bool) error {
	info, err := newZarrInfo(path)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(info)
	}
	return writeZarrInfoText(cmd.OutOrStdout(), info)
}
