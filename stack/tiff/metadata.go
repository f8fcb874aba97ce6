package tiff

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"

	"github.com/segstack/segstack/stack"
)

// Metadata is what a stack's tags and first ImageDescription say about it.
// The physical sizes are merged from whichever source has them (OME-XML,
// then ImageJ and the resolution tags); zero means unknown.
type Metadata struct {
	// Description is the first page's ImageDescription, verbatim.
	Description string `json:"description,omitempty"`
	// Software is the first page's Software tag.
	Software string `json:"software,omitempty"`

	// Channels, Slices and Frames describe how the pages form a
	// hyperstack. Without ImageJ or OME metadata every page is a slice.
	// Their product is the page count for files that declare it
	// consistently.
	Channels int `json:"channels"`
	Slices   int `json:"slices"`
	Frames   int `json:"frames"`
	// Samples is the TIFF's samples per pixel (RGB has 3) when above one.
	// Each sample is read as a channel: Channels counts them.
	Samples int `json:"samples_per_pixel,omitempty"`
	// DimensionOrder names the page order, fastest varying first, as OME
	// does: ImageJ stores "XYCZT" (channel fastest). Empty when unknown.
	DimensionOrder string `json:"dimension_order,omitempty"`

	// PixelSizeX, PixelSizeY and PixelSizeZ are the sample spacing in Unit.
	PixelSizeX float64 `json:"pixel_size_x,omitempty"`
	PixelSizeY float64 `json:"pixel_size_y,omitempty"`
	PixelSizeZ float64 `json:"pixel_size_z,omitempty"`
	// Unit is the length unit of the pixel sizes, e.g. "micron" or "µm".
	Unit string `json:"unit,omitempty"`

	// ImageJ is the parsed ImageJ description, nil if there is none.
	ImageJ *ImageJ `json:"imagej,omitempty"`
	// OME is the parsed OME-XML of the first image, nil if there is none.
	OME *OME `json:"ome,omitempty"`
	// Shaped is the shape in tifffile's JSON description
	// ({"shape": [...]}), nil if there is none.
	Shaped []int `json:"shaped,omitempty"`
}

// ImageJ holds the fields of an ImageJ hyperstack description.
type ImageJ struct {
	Version    string  `json:"version"`
	Images     int     `json:"images"`
	Channels   int     `json:"channels,omitempty"`
	Slices     int     `json:"slices,omitempty"`
	Frames     int     `json:"frames,omitempty"`
	Hyperstack bool    `json:"hyperstack,omitempty"`
	Spacing    float64 `json:"spacing,omitempty"`
	Unit       string  `json:"unit,omitempty"`
	Loop       bool    `json:"loop,omitempty"`
	// Min and Max are the display range, when present.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// Extra holds the other key=value lines, verbatim.
	Extra map[string]string `json:"extra,omitempty"`
}

// OME holds the Pixels attributes of the first Image in OME-XML.
type OME struct {
	SizeX          int     `json:"size_x"`
	SizeY          int     `json:"size_y"`
	SizeZ          int     `json:"size_z"`
	SizeC          int     `json:"size_c"`
	SizeT          int     `json:"size_t"`
	DimensionOrder string  `json:"dimension_order"`
	Type           string  `json:"type,omitempty"`
	PhysicalSizeX  float64 `json:"physical_size_x,omitempty"`
	PhysicalSizeY  float64 `json:"physical_size_y,omitempty"`
	PhysicalSizeZ  float64 `json:"physical_size_z,omitempty"`
	// PhysicalSizeXUnit etc. default to "µm" as in the OME schema.
	PhysicalSizeXUnit string `json:"physical_size_x_unit,omitempty"`
	PhysicalSizeYUnit string `json:"physical_size_y_unit,omitempty"`
	PhysicalSizeZUnit string `json:"physical_size_z_unit,omitempty"`
	// Images is the number of Image elements in the document.
	Images int `json:"images"`
}

// PlaneIndex returns the page holding channel c, slice z and frame t,
// following DimensionOrder (ImageJ's XYCZT when unknown).
func (m *Metadata) PlaneIndex(c, z, t int) (int, error) {
	nc, nz, nt := max(m.Channels, 1), max(m.Slices, 1), max(m.Frames, 1)
	if c < 0 || c >= nc || z < 0 || z >= nz || t < 0 || t >= nt {
		return 0, fmt.Errorf("tiff: plane (c=%d, z=%d, t=%d) outside %d channels × %d slices × %d frames", c, z, t, nc, nz, nt)
	}
	order := m.DimensionOrder
	if len(order) != 5 {
		order = "XYCZT"
	}
	idx, stride := 0, 1
	for _, d := range order[2:] {
		switch d {
		case 'C':
			idx += c * stride
			stride *= nc
		case 'Z':
			idx += z * stride
			stride *= nz
		case 'T':
			idx += t * stride
			stride *= nt
		}
	}
	return idx, nil
}

// parseImageJ parses an ImageJ description ("ImageJ=1.xx\nimages=...").
func parseImageJ(desc string) *ImageJ {
	if !strings.HasPrefix(desc, "ImageJ=") {
		return nil
	}
	ij := &ImageJ{}
	for _, line := range strings.Split(desc, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		atoi := func() int { n, _ := strconv.Atoi(v); return max(n, 0) }
		atof := func() float64 { f, _ := strconv.ParseFloat(v, 64); return f }
		switch k {
		case "ImageJ":
			ij.Version = v
		case "images":
			ij.Images = atoi()
		case "channels":
			ij.Channels = atoi()
		case "slices":
			ij.Slices = atoi()
		case "frames":
			ij.Frames = atoi()
		case "hyperstack":
			ij.Hyperstack = v == "true"
		case "spacing":
			ij.Spacing = atof()
		case "unit":
			ij.Unit = unescapeImageJ(v)
		case "loop":
			ij.Loop = v == "true"
		case "min":
			f := atof()
			ij.Min = &f
		case "max":
			f := atof()
			ij.Max = &f
		default:
			if ij.Extra == nil {
				ij.Extra = map[string]string{}
			}
			ij.Extra[k] = v
		}
	}
	return ij
}

// unescapeImageJ decodes the \uXXXX escapes ImageJ uses for units ("\u00B5m").
func unescapeImageJ(s string) string {
	if !strings.Contains(s, `\u`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+5 < len(s) && s[i+1] == 'u' {
			if r, err := strconv.ParseUint(s[i+2:i+6], 16, 32); err == nil {
				b.WriteRune(rune(r))
				i += 5
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// escapeImageJ writes non-ASCII runes as \uXXXX, as ImageJ does, since TIFF
// ASCII fields hold 7-bit text.
func escapeImageJ(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 && r != '\n' && r != '\r' {
			b.WriteRune(r)
		} else if r < 0x10000 && r >= 0x80 {
			fmt.Fprintf(&b, `\u%04X`, r)
		}
	}
	return b.String()
}

// formatImageJ builds the description ImageJ and tifffile read for a
// hyperstack of channels × slices × frames pages.
func formatImageJ(channels, slices, frames int, spacing float64, unit string, minmax *[2]float64) string {
	var b strings.Builder
	b.WriteString("ImageJ=1.11a\n")
	fmt.Fprintf(&b, "images=%d\n", channels*slices*frames)
	if channels > 1 {
		fmt.Fprintf(&b, "channels=%d\n", channels)
	}
	if slices > 1 {
		fmt.Fprintf(&b, "slices=%d\n", slices)
	}
	if frames > 1 {
		fmt.Fprintf(&b, "frames=%d\n", frames)
	}
	if channels > 1 || frames > 1 {
		b.WriteString("hyperstack=true\n")
	}
	if channels > 1 {
		b.WriteString("mode=grayscale\n")
	}
	// ImageJ's own spelling ("micron", not NGFF's "micrometer"), which
	// Fiji reads as µm.
	if unit = stack.ImageJUnit(unit); unit != "" {
		fmt.Fprintf(&b, "unit=%s\n", escapeImageJ(unit))
	}
	if spacing > 0 {
		fmt.Fprintf(&b, "spacing=%s\n", strconv.FormatFloat(spacing, 'g', -1, 64))
	}
	b.WriteString("loop=false\n")
	if minmax != nil {
		fmt.Fprintf(&b, "min=%s\nmax=%s\n", strconv.FormatFloat(minmax[0], 'g', -1, 64), strconv.FormatFloat(minmax[1], 'g', -1, 64))
	}
	return b.String()
}

// omeXML mirrors the parts of an OME document we read. Element names are
// matched without namespace, so every OME schema version parses.
type omeXML struct {
	Images []struct {
		Pixels struct {
			SizeX             int     `xml:"SizeX,attr"`
			SizeY             int     `xml:"SizeY,attr"`
			SizeZ             int     `xml:"SizeZ,attr"`
			SizeC             int     `xml:"SizeC,attr"`
			SizeT             int     `xml:"SizeT,attr"`
			DimensionOrder    string  `xml:"DimensionOrder,attr"`
			Type              string  `xml:"Type,attr"`
			PhysicalSizeX     float64 `xml:"PhysicalSizeX,attr"`
			PhysicalSizeY     float64 `xml:"PhysicalSizeY,attr"`
			PhysicalSizeZ     float64 `xml:"PhysicalSizeZ,attr"`
			PhysicalSizeXUnit string  `xml:"PhysicalSizeXUnit,attr"`
			PhysicalSizeYUnit string  `xml:"PhysicalSizeYUnit,attr"`
			PhysicalSizeZUnit string  `xml:"PhysicalSizeZUnit,attr"`
		} `xml:"Pixels"`
	} `xml:"Image"`
}

// parseOME parses OME-XML, returning nil when desc is not OME-XML or holds
// no Image.
func parseOME(desc string) *OME {
	t := strings.TrimSpace(desc)
	if !strings.HasPrefix(t, "<") || !strings.Contains(t, "<OME") {
		return nil
	}
	var doc omeXML
	if err := xml.Unmarshal([]byte(t), &doc); err != nil || len(doc.Images) == 0 {
		return nil
	}
	p := doc.Images[0].Pixels
	unit := func(u string) string {
		if u == "" {
			return "µm"
		}
		return u
	}
	return &OME{
		SizeX: p.SizeX, SizeY: p.SizeY, SizeZ: p.SizeZ, SizeC: p.SizeC, SizeT: p.SizeT,
		DimensionOrder: p.DimensionOrder, Type: p.Type,
		PhysicalSizeX: p.PhysicalSizeX, PhysicalSizeY: p.PhysicalSizeY, PhysicalSizeZ: p.PhysicalSizeZ,
		PhysicalSizeXUnit: unit(p.PhysicalSizeXUnit), PhysicalSizeYUnit: unit(p.PhysicalSizeYUnit),
		PhysicalSizeZUnit: unit(p.PhysicalSizeZUnit),
		Images:            len(doc.Images),
	}
}

// parseShaped reads tifffile's {"shape": [...]} description.
func parseShaped(desc string) []int {
	t := strings.TrimSpace(desc)
	if !strings.HasPrefix(t, "{") {
		return nil
	}
	var v struct {
		Shape []int `json:"shape"`
	}
	if json.Unmarshal([]byte(t), &v) != nil || len(v.Shape) == 0 || len(v.Shape) > 32 {
		return nil
	}
	return v.Shape
}

// formatShaped builds tifffile's shaped description for a Z×Y×X stack.
func formatShaped(z, y, x int) string {
	return fmt.Sprintf(`{"shape": [%d, %d, %d]}`, z, y, x)
}

// resolution holds the X/YResolution and ResolutionUnit tags.
type resolution struct {
	x, y float64 // pixels per unit, 0 if absent
	unit int     // 1 none, 2 inch, 3 centimetre
}

// buildMetadata merges the description and resolution tags of the first
// page into a Metadata.
func buildMetadata(desc, software string, res resolution) Metadata {
	m := Metadata{Description: desc, Software: software, Channels: 1, Slices: 1, Frames: 1}
	if res.x > 0 {
		m.PixelSizeX = 1 / res.x
	}
	if res.y > 0 {
		m.PixelSizeY = 1 / res.y
	}
	if res.x > 0 || res.y > 0 {
		switch res.unit {
		case 2:
			m.Unit = "inch"
		case 3:
			m.Unit = "cm"
		}
	}
	if ij := parseImageJ(desc); ij != nil {
		m.ImageJ = ij
		m.Channels, m.Slices, m.Frames = max(ij.Channels, 1), max(ij.Slices, 1), max(ij.Frames, 1)
		if ij.Channels <= 1 && ij.Slices <= 1 && ij.Frames <= 1 && ij.Images > 1 {
			m.Slices = ij.Images
		}
		m.DimensionOrder = "XYCZT"
		m.PixelSizeZ = ij.Spacing
		if ij.Unit != "" {
			m.Unit = ij.Unit
		}
	}
	if ome := parseOME(desc); ome != nil {
		m.OME = ome
		m.Channels, m.Slices, m.Frames = max(ome.SizeC, 1), max(ome.SizeZ, 1), max(ome.SizeT, 1)
		m.DimensionOrder = ome.DimensionOrder
		m.PixelSizeX, m.PixelSizeY, m.PixelSizeZ = ome.PhysicalSizeX, ome.PhysicalSizeY, ome.PhysicalSizeZ
		m.Unit = ome.PhysicalSizeXUnit
	}
	if s := parseShaped(desc); s != nil {
		m.Shaped = s
	}
	return m
}
