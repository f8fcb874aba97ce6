package tiff

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"

	"github.com/segstack/segstack/stack"
)

// IsOMEName reports whether a file name asks for OME-TIFF: it ends in
// ".ome.tif" or ".ome.tiff" (any case).
func IsOMEName(path string) bool {
	p := strings.ToLower(path)
	return strings.HasSuffix(p, ".ome.tif") || strings.HasSuffix(p, ".ome.tiff")
}

// omeNamespace is the OME schema the description follows.
const omeNamespace = "http://www.openmicroscopy.org/Schemas/OME/2016-06"

// omePixelType is the OME Pixels Type of a segstack element type.
func omePixelType(dt stack.DType) string {
	switch dt {
	case stack.Float32:
		return "float"
	case stack.Float64:
		return "double"
	}
	return dt.String() // uint8, uint16, uint32, int16, int32
}

// OMEUnit returns the symbol OME's UnitsLength uses for a length unit
// written any of the usual ways ("micron", "um", "µm", "micrometer" are
// "µm"), and false for units it does not know.
func OMEUnit(unit string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(unit)) {
	case "µm", "μm", "um", "micron", "microns", "micrometer", "micrometre", "micrometers", "micrometres", `\u00b5m`:
		return "µm", true
	case "nm", "nanometer", "nanometre", "nanometers", "nanometres":
		return "nm", true
	case "mm", "millimeter", "millimetre", "millimeters", "millimetres":
		return "mm", true
	case "cm", "centimeter", "centimetre", "centimeters", "centimetres":
		return "cm", true
	case "m", "meter", "metre", "meters", "metres":
		return "m", true
	case "in", "inch", "inches":
		return "in", true
	case "å", "angstrom", "ångström":
		return "Å", true
	case "pm", "picometer", "picometre":
		return "pm", true
	}
	return "", false
}

// formatOME builds an OME-XML (schema 2016-06) document describing the
// stack as one Image whose pages are its planes, channel fastest, then Z,
// then T (DimensionOrder XYCZT), all in this file starting at IFD 0.
// Physical sizes are written only with a unit OME knows.
func formatOME(o *WriterOptions, name string) string {
	c, t := max(o.Channels, 1), max(o.Frames, 1)
	z := o.Shape.Z / (c * t)
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
	fmt.Fprintf(&b, `<OME xmlns="%s" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="%s %s/ome.xsd" Creator="segstack">`,
		omeNamespace, omeNamespace, omeNamespace)
	b.WriteString(`<Image ID="Image:0" Name="`)
	xml.EscapeText(&b, []byte(name))
	fmt.Fprintf(&b, `"><Pixels ID="Pixels:0" DimensionOrder="XYCZT" Type="%s" SizeX="%d" SizeY="%d" SizeZ="%d" SizeC="%d" SizeT="%d" BigEndian="false" Interleaved="false"`,
		omePixelType(o.DType), o.Shape.X, o.Shape.Y, z, c, t)
	if unit, ok := OMEUnit(o.Unit); ok {
		size := func(attr string, v float64) {
			if v > 0 {
				fmt.Fprintf(&b, ` %s="%s" %sUnit="%s"`, attr, strconv.FormatFloat(v, 'g', -1, 64), attr, unit)
			}
		}
		size("PhysicalSizeX", o.PixelSizeX)
		size("PhysicalSizeY", o.PixelSizeY)
		size("PhysicalSizeZ", o.SpacingZ)
	}
	b.WriteString(">")
	for i := range c {
		fmt.Fprintf(&b, `<Channel ID="Channel:0:%d" SamplesPerPixel="1"/>`, i)
	}
	fmt.Fprintf(&b, `<TiffData IFD="0" PlaneCount="%d"/>`, o.Shape.Z)
	b.WriteString(`</Pixels></Image></OME>`)
	return b.String()
}
