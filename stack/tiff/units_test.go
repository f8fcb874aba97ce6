package tiff

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/stack"
)

// An ImageJ description spells micrometres as ImageJ does ("micron"),
// whichever spelling the writer was given, and every spelling reads back
// as the UDUNITS name.
func TestImageJUnitSpelling(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	v := stack.New[uint16](stack.Shape{Z: 2, Y: 3, X: 4})
	for _, in := range []string{"micrometer", "micron", "µm", "um"} {
		path := filepath.Join(dir, in+".tif")
		require.NoError(t, WriteVolume(context.Background(), path, v,
			WriterOptions{PixelSizeX: 0.5, PixelSizeY: 0.5, SpacingZ: 2, Unit: in}))
		r, err := Open(path)
		require.NoError(t, err)
		md := r.Metadata()
		r.Close()
		require.Contains(t, md.Description, "\nunit=micron\n", in)
		require.Equal(t, "micron", md.Unit, in)
		require.Equal(t, "micrometer", md.LengthUnit(), in)
		require.Equal(t, 2.0, md.PixelSizeZ, in)
	}
	for _, c := range []struct{ desc, unit string }{
		{"ImageJ=1.54f\nimages=2\nunit=um\n", "micrometer"},
		{"ImageJ=1.54f\nimages=2\nunit=\\u00B5m\n", "micrometer"},
		{"ImageJ=1.54f\nimages=2\nunit=nm\n", "nanometer"},
		{"ImageJ=1.54f\nimages=2\nunit=pixel\n", ""},
		{"ImageJ=1.54f\nimages=2\nunit=furlong\n", ""},
	} {
		md := buildMetadata(c.desc, "", resolution{x: 2, y: 2, unit: 1})
		require.Equal(t, c.unit, md.LengthUnit(), c.desc)
	}

	// tifffile reads the unit as written, with the physical sizes.
	if err := exec.Command(systemPython, "-c", "import tifffile").Run(); err != nil {
		t.Skip("SKIP: /usr/bin/python3 with tifffile not available")
	}
	out, err := exec.Command(systemPython, "-c", `import sys, tifffile
with tifffile.TiffFile(sys.argv[1]) as t:
    m = t.imagej_metadata
    n, d = t.pages[0].tags["XResolution"].value
    print(m["unit"], float(m["spacing"]), n / d)`, filepath.Join(dir, "micrometer.tif")).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Equal(t, "micron 2.0 2.0", strings.TrimSpace(string(out)))
}
