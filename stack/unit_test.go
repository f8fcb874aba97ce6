package stack

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCanonicalUnit(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, name, symbol, ome, imagej string }{
		{"micron", "micrometer", "um", "µm", "micron"},
		{"microns", "micrometer", "um", "µm", "micron"},
		{"µm", "micrometer", "um", "µm", "micron"},
		{"μm", "micrometer", "um", "µm", "micron"}, // Greek mu
		{"um", "micrometer", "um", "µm", "micron"},
		{"UM", "micrometer", "um", "µm", "micron"},
		{" micrometer ", "micrometer", "um", "µm", "micron"},
		{"micrometre", "micrometer", "um", "µm", "micron"},
		{`\u00B5m`, "micrometer", "um", "µm", "micron"},
		{"nm", "nanometer", "nm", "nm", "nm"},
		{"nanometer", "nanometer", "nm", "nm", "nm"},
		{"mm", "millimeter", "mm", "mm", "mm"},
		{"cm", "centimeter", "cm", "cm", "cm"},
		{"inch", "inch", "in", "in", "inch"},
		{"Å", "angstrom", "angstrom", "Å", "Å"},
		{"", "", "", "", ""},
		{"pixel", "", "", "", ""},
		{"px", "", "", "", ""},
	} {
		got, err := CanonicalUnit(c.in)
		require.NoError(t, err, c.in)
		require.Equal(t, c.name, got, c.in)
		require.Equal(t, c.symbol, UnitSymbol(c.in), c.in)
		require.Equal(t, c.ome, OMEUnit(c.in), c.in)
		require.Equal(t, c.imagej, ImageJUnit(c.in), c.in)
		// Every output spelling reads back as the same unit.
		for _, s := range []string{got, UnitSymbol(c.in), OMEUnit(c.in), ImageJUnit(c.in)} {
			back, err := CanonicalUnit(s)
			require.NoError(t, err, s)
			require.Equal(t, c.name, back, "%q from %q", s, c.in)
		}
	}
	_, err := CanonicalUnit("furlong")
	var ue *UnitError
	require.True(t, errors.As(err, &ue))
	require.Equal(t, "furlong", ue.Unit)
	require.Equal(t, "", UnitSymbol("furlong"))
	require.Equal(t, "furlong", ImageJUnit("furlong"), "ImageJ keeps units it does not know")
}
