package zarr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
)

// Axis is one axis of an OME-NGFF image.
type Axis struct {
	Name string `json:"name"`
	// Type is "space", "time", "channel" or empty.
	Type string `json:"type,omitempty"`
	// Unit is a UDUNITS-2 name such as "micrometer", or empty.
	Unit string `json:"unit,omitempty"`
}

// Level is one resolution level of a multiscale image.
type Level struct {
	// Path is the level's array, relative to the image group.
	Path string
	// Scale is the size of a pixel along each axis in the axis' unit,
	// global transformations included; Translation is the position of the
	// first pixel (nil when there is none).
	Scale, Translation []float64
}

// LabelColor is the display colour of one label value.
type LabelColor struct {
	Value int      `json:"label-value"`
	RGBA  [4]uint8 `json:"rgba"`
}

// ImageLabel is the "image-label" metadata of a label image.
type ImageLabel struct {
	Version string       `json:"version,omitempty"`
	Colors  []LabelColor `json:"colors,omitempty"`
	Source  *struct {
		Image string `json:"image"`
	} `json:"source,omitempty"`
}

// Image is an OME-NGFF multiscale image (or label image) group.
type Image struct {
	// Path is the group's directory.
	Path string
	// ZarrFormat is 2 or 3; Version the NGFF version ("0.4", "0.5", ...).
	ZarrFormat int
	Version    string
	// Name is the multiscale's name, if any.
	Name string
	// Axes describe the dimensions of every level, slowest first.
	Axes []Axis
	// Levels are the resolution levels, full resolution first.
	Levels []Level
	// Omero holds the "omero" rendering metadata as stored (nil if none).
	Omero json.RawMessage
	// Label is the image-label metadata of a label image, nil otherwise.
	Label *ImageLabel
	// Labels lists the label images in the image's "labels" group.
	Labels []string

	opts []Option
}

// ngffCoord is one coordinate transformation.
type ngffCoord struct {
	Type        string    `json:"type"`
	Scale       []float64 `json:"scale,omitempty"`
	Translation []float64 `json:"translation,omitempty"`
	Path        string    `json:"path,omitempty"`
}

type ngffDataset struct {
	Path      string      `json:"path"`
	Transform []ngffCoord `json:"coordinateTransformations,omitempty"`
}

type ngffMultiscale struct {
	Version   string          `json:"version,omitempty"`
	Name      string          `json:"name,omitempty"`
	Axes      json.RawMessage `json:"axes,omitempty"`
	Datasets  []ngffDataset   `json:"datasets"`
	Transform []ngffCoord     `json:"coordinateTransformations,omitempty"`
	Type      string          `json:"type,omitempty"`
	Metadata  json.RawMessage `json:"metadata,omitempty"`
}

// ngffAttrs is the part of a group's attributes NGFF defines, wherever the
// version puts it.
type ngffAttrs struct {
	Version     string           `json:"version,omitempty"`
	Multiscales []ngffMultiscale `json:"multiscales,omitempty"`
	Omero       json.RawMessage  `json:"omero,omitempty"`
	ImageLabel  *ImageLabel      `json:"image-label,omitempty"`
	Labels      []string         `json:"labels,omitempty"`
}

// readGroupAttrs reads the attributes of the group in dir: .zattrs (v2) or
// the attributes of zarr.json (v3). A missing group gives fs.ErrNotExist.
func readGroupAttrs(dir string) (attrs map[string]json.RawMessage, format int, err error) {
	if b, err := os.ReadFile(filepath.Join(dir, v3File)); err == nil {
		n, err := parseV3Node(b)
		if err != nil {
			return nil, 3, err
		}
		if n.NodeType != "group" {
			return nil, 3, formatErrorf("%s describes a %q, not a group", v3File, n.NodeType)
		}
		attrs = map[string]json.RawMessage{}
		if a := bytes.TrimSpace(n.Attributes); len(a) > 0 && string(a) != "null" {
			if err := json.Unmarshal(a, &attrs); err != nil {
				return nil, 3, formatErrorf("%s attributes: %v", v3File, err)
			}
		}
		return attrs, 3, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, 0, err
	}
	if _, err := os.Stat(filepath.Join(dir, v2GroupFile)); err != nil {
		if _, aerr := os.Stat(filepath.Join(dir, v2ArrayFile)); aerr == nil {
			return nil, 2, formatErrorf("an array, not a group")
		}
		return nil, 0, err
	}
	attrs = map[string]json.RawMessage{}
	b, err := os.ReadFile(filepath.Join(dir, v2AttrsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return attrs, 2, nil
	}
	if err != nil {
		return nil, 2, err
	}
	if err := json.Unmarshal(b, &attrs); err != nil {
		return nil, 2, formatErrorf("%s is not a JSON object: %v", v2AttrsFile, err)
	}
	return attrs, 2, nil
}

// ngffOf extracts the NGFF attributes: under "ome" (0.5) or at the top
// (0.4 and before).
func ngffOf(attrs map[string]json.RawMessage) (ngffAttrs, error) {
	var a ngffAttrs
	src := attrs
	if ome, ok := attrs["ome"]; ok {
		if err := json.Unmarshal(ome, &src); err != nil {
			return a, formatErrorf("\"ome\" attributes: %v", err)
		}
	}
	for key, dst := range map[string]any{"version": &a.Version, "multiscales": &a.Multiscales,
		"omero": &a.Omero, "image-label": &a.ImageLabel, "labels": &a.Labels} {
		if raw, ok := src[key]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				return a, formatErrorf("NGFF %q: %v", key, err)
			}
		}
	}
	return a, nil
}

// OpenImage opens the OME-NGFF image group in directory path (NGFF 0.4 on
// Zarr v2 or 0.5 on Zarr v3; older versions are read where their axes can
// be told) and reads its metadata; the pixels are read through the Array
// each Level opens. opts apply to those arrays.
func OpenImage(path string, opts ...Option) (*Image, error) {
	im, err := openImage(path, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return im, nil
}

func openImage(path string, opts []Option) (*Image, error) {
	attrs, format, err := readGroupAttrs(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, formatErrorf("not a Zarr group: neither %s nor %s found", v3File, v2GroupFile)
	}
	if err != nil {
		return nil, err
	}
	a, err := ngffOf(attrs)
	if err != nil {
		return nil, err
	}
	if len(a.Multiscales) == 0 {
		return nil, formatErrorf("a Zarr group without OME-NGFF multiscales")
	}
	ms := a.Multiscales[0]
	im := &Image{Path: path, ZarrFormat: format, Version: a.Version, Name: ms.Name, Omero: a.Omero,
		Label: a.ImageLabel, opts: opts}
	if im.Version == "" {
		im.Version = ms.Version
	}
	if len(ms.Datasets) == 0 {
		return nil, formatErrorf("multiscales without datasets")
	}
	if im.Axes, err = parseAxes(ms.Axes); err != nil {
		return nil, err
	}
	if im.Axes == nil { // NGFF 0.1 and 0.2: the dimensions of the first level
		first, err := Open(filepath.Join(path, filepath.FromSlash(ms.Datasets[0].Path)), opts...)
		if err != nil {
			return nil, err
		}
		names := "tczyx"
		nd := len(first.Shape())
		if nd > len(names) {
			return nil, formatErrorf("%d dimensions without axes", nd)
		}
		for _, c := range names[len(names)-nd:] {
			ax := Axis{Name: string(c), Type: "space"}
			if c == 'c' {
				ax.Type = "channel"
			} else if c == 't' {
				ax.Type = "time"
			}
			im.Axes = append(im.Axes, ax)
		}
	}
	nd := len(im.Axes)
	global, gtrans, err := transforms(ms.Transform, nd)
	if err != nil {
		return nil, err
	}
	for _, d := range ms.Datasets {
		if d.Path == "" {
			return nil, formatErrorf("dataset without a path")
		}
		scale, trans, err := transforms(d.Transform, nd)
		if err != nil {
			return nil, fmt.Errorf("dataset %q: %w", d.Path, err)
		}
		for i := range scale {
			scale[i] *= global[i]
			if trans != nil || gtrans != nil {
				if trans == nil {
					trans = make([]float64, nd)
				}
				trans[i] *= global[i]
				if gtrans != nil {
					trans[i] += gtrans[i]
				}
			}
		}
		im.Levels = append(im.Levels, Level{Path: d.Path, Scale: scale, Translation: trans})
	}
	if names, err := labelNames(filepath.Join(path, "labels")); err == nil {
		im.Labels = names
	}
	return im, nil
}

// parseAxes reads NGFF 0.4+ axes (objects) or 0.3 axes (names).
func parseAxes(raw json.RawMessage) ([]Axis, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	var axes []Axis
	if err := json.Unmarshal(raw, &axes); err == nil {
		for _, a := range axes {
			if a.Name == "" {
				return nil, formatErrorf("an axis without a name")
			}
		}
		return axes, nil
	}
	var names []string
	if err := json.Unmarshal(raw, &names); err != nil {
		return nil, formatErrorf("axes %s: %v", raw, err)
	}
	for _, n := range names {
		t := "space"
		switch n {
		case "c":
			t = "channel"
		case "t":
			t = "time"
		}
		axes = append(axes, Axis{Name: n, Type: t})
	}
	return axes, nil
}

// transforms composes a list of scale and translation transformations
// into one scale and translation (nil when there is none).
func transforms(list []ngffCoord, nd int) (scale, trans []float64, err error) {
	scale = make([]float64, nd)
	for i := range scale {
		scale[i] = 1
	}
	for _, c := range list {
		switch c.Type {
		case "scale":
			if len(c.Scale) != nd {
				return nil, nil, formatErrorf("scale %v for %d axes", c.Scale, nd)
			}
			for i, s := range c.Scale {
				if !(s > 0) || math.IsInf(s, 0) {
					return nil, nil, formatErrorf("scale %v is not positive", c.Scale)
				}
				scale[i] *= s
				if trans != nil {
					trans[i] *= s
				}
			}
		case "translation":
			if len(c.Translation) != nd {
				return nil, nil, formatErrorf("translation %v for %d axes", c.Translation, nd)
			}
			if trans == nil {
				trans = make([]float64, nd)
			}
			for i, t := range c.Translation {
				trans[i] += t
			}
		case "identity":
		default:
			return nil, nil, unsupportedf("coordinate transformation %q", c.Type)
		}
	}
	return scale, trans, nil
}

// labelNames lists the label images of a "labels" group.
func labelNames(dir string) ([]string, error) {
	attrs, _, err := readGroupAttrs(dir)
	if err != nil {
		return nil, err
	}
	a, err := ngffOf(attrs)
	if err != nil {
		return nil, err
	}
	return a.Labels, nil
}

// Open opens the array of level i.
func (im *Image) Open(level int) (*Array, error) {
	if level < 0 || level >= len(im.Levels) {
		return nil, fmt.Errorf("zarr: level %d out of range [0, %d)", level, len(im.Levels))
	}
	a, err := Open(filepath.Join(im.Path, filepath.FromSlash(im.Levels[level].Path)), im.opts...)
	if err != nil {
		return nil, err
	}
	if len(a.Shape()) != len(im.Axes) {
		return nil, fmt.Errorf("%s: %w", a.Path(), formatErrorf("level %d has %d dimensions for %d axes", level, len(a.Shape()), len(im.Axes)))
	}
	return a, nil
}

// OpenLabels opens the label image name of the image's "labels" group.
func (im *Image) OpenLabels(name string) (*Image, error) {
	return OpenImage(filepath.Join(im.Path, "labels", name), im.opts...)
}

// PixelSize returns the full-resolution pixel size along the z, y and x
// axes (1 where an axis is missing) and the unit of the x axis, normalised
// to its UDUNITS name ("" when unknown).
func (im *Image) PixelSize() (z, y, x float64, unit string) {
	z, y, x = 1, 1, 1
	for i, a := range im.Axes {
		s := im.Levels[0].Scale[i]
		switch a.Name {
		case "z":
			z = s
		case "y":
			y = s
		case "x":
			x = s
			unit, _ = NormalizeUnit(a.Unit)
		}
	}
	return z, y, x, unit
}

// AxisIndex returns the position of the axis with the given name, or -1.
func (im *Image) AxisIndex(name string) int {
	for i, a := range im.Axes {
		if a.Name == name {
			return i
		}
	}
	return -1
}

// levelName is the path of level i.
func levelName(i int) string { return strconv.Itoa(i) }
