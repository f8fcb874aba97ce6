package zarr

import "strings"

// spaceUnits and timeUnits are the units OME-NGFF allows on space and time
// axes: UDUNITS-2 names.
var spaceUnits = []string{
	"angstrom", "attometer", "centimeter", "decimeter", "exameter", "femtometer", "foot",
	"gigameter", "hectometer", "inch", "kilometer", "megameter", "meter", "micrometer", "mile",
	"millimeter", "nanometer", "parsec", "petameter", "picometer", "terameter", "yard",
	"yoctometer", "yottameter", "zeptometer", "zettameter",
}

var timeUnits = []string{
	"attosecond", "centisecond", "day", "decisecond", "exasecond", "femtosecond", "gigasecond",
	"hectosecond", "hour", "kilosecond", "megasecond", "microsecond", "millisecond", "minute",
	"nanosecond", "petasecond", "picosecond", "second", "terasecond", "yoctosecond",
	"yottasecond", "zeptosecond", "zettasecond",
}

// unitAliases maps the spellings microscopy files use to UDUNITS names.
var unitAliases = map[string]string{
	"micron": "micrometer", "microns": "micrometer", "um": "micrometer", "µm": "micrometer",
	"μm": "micrometer", "micrometre": "micrometer", "micrometres": "micrometer",
	"nm": "nanometer", "nanometre": "nanometer", "mm": "millimeter", "millimetre": "millimeter",
	"cm": "centimeter", "m": "meter", "metre": "meter", "km": "kilometer", "pm": "picometer",
	"å": "angstrom", "Å": "angstrom", "ångström": "angstrom", "angstroms": "angstrom",
	"in": "inch", "ft": "foot",
	"s": "second", "sec": "second", "seconds": "second", "ms": "millisecond", "us": "microsecond",
	"µs": "microsecond", "μs": "microsecond", "ns": "nanosecond", "min": "minute", "h": "hour",
	"hr": "hour",
}

// NormalizeUnit returns the UDUNITS-2 name OME-NGFF uses for a length or
// time unit, accepting the usual spellings ("micron", "µm", "um", "nm",
// "s", ...). The names of uncalibrated images ("", "pixel", "pixels",
// "px") give "" and no error; anything else unknown is an
// UnsupportedError.
func NormalizeUnit(u string) (string, error) {
	s := strings.TrimSpace(u)
	switch strings.ToLower(s) {
	case "", "pixel", "pixels", "px":
		return "", nil
	}
	if n, ok := unitAliases[s]; ok {
		return n, nil
	}
	l := strings.ToLower(s)
	if n, ok := unitAliases[l]; ok {
		return n, nil
	}
	l = strings.TrimSuffix(strings.ReplaceAll(l, "metre", "meter"), "s")
	for _, list := range [][]string{spaceUnits, timeUnits} {
		for _, n := range list {
			if l == n {
				return n, nil
			}
		}
	}
	return "", unsupportedf("unit %q (OME-NGFF wants a UDUNITS name such as \"micrometer\")", u)
}

// isSpaceUnit reports whether u is an NGFF space unit.
func isSpaceUnit(u string) bool {
	for _, n := range spaceUnits {
		if u == n {
			return true
		}
	}
	return false
}
