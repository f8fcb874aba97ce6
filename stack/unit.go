package stack

import (
	"fmt"
	"strings"
)

// lengthUnit is one length unit under each of the spellings segstack reads
// and writes.
type lengthUnit struct {
	// name is the UDUNITS-2 name, which OME-NGFF requires.
	name string
	// symbol is an ASCII abbreviation, used in column names ("um").
	symbol string
	// ome is the OME-XML UnitsLength value ("µm").
	ome string
	// imagej is what ImageJ writes and Fiji reads in a TIFF's
	// ImageDescription ("micron").
	imagej string
	// aliases are the other spellings read, in lower case.
	aliases []string
}

var lengthUnits = []lengthUnit{
	{"micrometer", "um", "µm", "micron", []string{"micron", "microns", "um", "µm", "μm", "micrometre", "micrometers", "micrometres", `\u00b5m`}},
	{"nanometer", "nm", "nm", "nm", []string{"nm", "nanometre", "nanometers", "nanometres"}},
	{"millimeter", "mm", "mm", "mm", []string{"mm", "millimetre", "millimeters", "millimetres"}},
	{"centimeter", "cm", "cm", "cm", []string{"cm", "centimetre", "centimeters", "centimetres"}},
	{"meter", "m", "m", "m", []string{"m", "metre", "meters", "metres"}},
	{"picometer", "pm", "pm", "pm", []string{"pm", "picometre", "picometers", "picometres"}},
	{"angstrom", "angstrom", "Å", "Å", []string{"å", "ångström", "angstroms"}},
	{"inch", "in", "in", "inch", []string{"in", "inches"}},
}

// UnitError says that a length unit is not one segstack knows.
type UnitError struct {
	// Unit is the spelling given.
	Unit string
}

func (e *UnitError) Error() string {
	return fmt.Sprintf("unknown length unit %q (want e.g. micrometer, micron, µm, um, nm, mm)", e.Unit)
}

// lookupUnit finds the unit spelled s; ok is false for an unknown unit.
// The names of uncalibrated images ("", "pixel", "pixels", "px") give a
// nil unit and ok.
func lookupUnit(s string) (u *lengthUnit, ok bool) {
	l := strings.ToLower(strings.TrimSpace(s))
	switch l {
	case "", "pixel", "pixels", "px":
		return nil, true
	}
	for i := range lengthUnits {
		u := &lengthUnits[i]
		if l == u.name {
			return u, true
		}
		for _, a := range u.aliases {
			if l == a {
				return u, true
			}
		}
	}
	return nil, false
}

// CanonicalUnit returns the UDUNITS-2 name of a length unit, the spelling
// OME-NGFF requires ("micrometer"), from any of the spellings microscopy
// files use: "micron", "µm", "um", "micrometre", "micrometer" and their
// kin for nm, mm, cm, m, pm, Å and inch, in any case. The names of
// uncalibrated images ("", "pixel", "pixels", "px") give "" and no error;
// any other unknown unit gives a *UnitError.
func CanonicalUnit(s string) (string, error) {
	u, ok := lookupUnit(s)
	switch {
	case !ok:
		return "", &UnitError{Unit: s}
	case u == nil:
		return "", nil
	}
	return u.name, nil
}

// UnitSymbol returns an ASCII abbreviation of a length unit given in any
// spelling CanonicalUnit reads ("um" for micrometres), for names such as
// column headers; "" for an uncalibrated or unknown unit.
func UnitSymbol(s string) string {
	if u, _ := lookupUnit(s); u != nil {
		return u.symbol
	}
	return ""
}

// OMEUnit returns a length unit as OME-XML's UnitsLength spells it
// ("µm" for micrometres); "" for an uncalibrated or unknown unit.
func OMEUnit(s string) string {
	if u, _ := lookupUnit(s); u != nil {
		return u.ome
	}
	return ""
}

// ImageJUnit returns a length unit as ImageJ spells it in a TIFF's
// description ("micron" for micrometres, which Fiji shows as µm); an
// unknown unit is returned as given, trimmed.
func ImageJUnit(s string) string {
	if u, ok := lookupUnit(s); ok {
		if u == nil {
			return ""
		}
		return u.imagej
	}
	return strings.TrimSpace(s)
}
