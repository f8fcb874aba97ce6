package tiff

import "github.com/segstack/segstack/stack"

// LengthUnit is Unit as its UDUNITS-2 name, the spelling OME-NGFF requires
// ("micrometer" for "micron", "µm", "um" and kin: stack.CanonicalUnit);
// "" for an uncalibrated stack or a unit segstack does not know.
func (m Metadata) LengthUnit() string {
	u, err := stack.CanonicalUnit(m.Unit)
	if err != nil {
		return ""
	}
	return u
}
