package zarr

import (
	"strings"

	"github.com/segstack/segstack/stack"
)

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

// timeAliases maps the usual abbreviations of time units to UDUNITS names;
// length units are read by stack.CanonicalUnit, the one table of length
// spellings segstack has.
var timeAliases = map[string]string{
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
	if n, err := stack.CanonicalUnit(s); err == nil && n != "" {
		return n, nil
	}
	if n, ok := timeAliases[s]; ok {
		return n, nil
	}
	l := strings.ToLower(s)
	if n, ok := timeAliases[l]; ok {
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
