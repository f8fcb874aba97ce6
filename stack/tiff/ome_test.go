package tiff

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

func TestIsOMEName(t *testing.T) {
	for name, want := range map[string]bool{
		"labels.ome.tif": true, "a/b.OME.TIFF": true, "x.ome.tiff": true,
		"labels.tif": false, "ome.tif": false, "x.ome.zarr": false,
	} {
		require.Equal(t, want, IsOMEName(name), name)
	}
}

func TestOMEUnit(t *testing.T) {
	for in, want := range map[string]string{"micron": "µm", "um": "µm", "µm": "µm", "micrometer": "µm", "nm": "nm", "inch": "in", "cm": "cm"} {
		got, ok := OMEUnit(in)
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
	_, ok := OMEUnit("furlong")
	require.False(t, ok)
}

// TestOMEWriteReadBack writes .ome.tif stacks and reads their OME-XML back.
func TestOMEWriteReadBack(t *testing.T) {
	dir := t.TempDir()
	s := stack.Shape{Z: 6, Y: 9, X: 7}
	path := filepath.Join(dir, "x.ome.tif")
	planes := testPlanes(stack.Uint32, s, 3)
	writePlanes(t, path, WriterOptions{Shape: s, DType: stack.Uint32, Channels: 2, PixelSizeX: 0.2, PixelSizeY: 0.3, SpacingZ: 1.5, Unit: "micron"}, planes)
	r, err := Open(path)
	require.NoError(t, err)
	defer r.Close()
	md := r.Metadata()
	require.NotNil(t, md.OME)
	require.Equal(t, OME{SizeX: 7, SizeY: 9, SizeZ: 3, SizeC: 2, SizeT: 1, DimensionOrder: "XYCZT", Type: "uint32",
		PhysicalSizeX: 0.2, PhysicalSizeY: 0.3, PhysicalSizeZ: 1.5,
		PhysicalSizeXUnit: "µm", PhysicalSizeYUnit: "µm", PhysicalSizeZUnit: "µm", Images: 1}, *md.OME)
	require.Equal(t, 2, r.Channels())
	require.True(t, strings.HasSuffix(md.Description, "</OME>"))
	for i, want := range planes {
		got := make([]byte, r.PlaneBytes())
		require.NoError(t, r.ReadPlaneInto(i, got))
		require.Equal(t, want, got)
	}

	// A unit OME does not know: no physical sizes rather than wrong ones.
	path = filepath.Join(dir, "y.ome.tiff")
	writePlanes(t, path, WriterOptions{Shape: s, DType: stack.Float32, PixelSizeX: 2, Unit: "furlong"}, testPlanes(stack.Float32, s, 1))
	r2, err := Open(path)
	require.NoError(t, err)
	defer r2.Close()
	require.Equal(t, "float", r2.Metadata().OME.Type)
	require.Zero(t, r2.Metadata().OME.PhysicalSizeX)
	require.Equal(t, 6, r2.Metadata().OME.SizeZ)
}

// TestOMEReadByTifffile checks with tifffile (Debian's and the venv's, the
// ones present) that an OME-TIFF written here is OME, has the series axes
// and shape of the stack, the pixels, and the physical sizes in µm; and,
// when the venv has xmlschema and ome-types' bundled schema, that the
// OME-XML is valid against the 2016-06 schema.
func TestOMEReadByTifffile(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		opts WriterOptions
		axes string
	}{
		{"zyx.ome.tif", WriterOptions{Shape: stack.Shape{Z: 5, Y: 12, X: 10}, DType: stack.Uint16, PixelSizeX: 0.25, PixelSizeY: 0.25, SpacingZ: 2, Unit: "micron"}, "ZYX"},
		{"labels32.ome.tif", WriterOptions{Shape: stack.Shape{Z: 4, Y: 12, X: 10}, DType: stack.Uint32, Compression: Deflate, PixelSizeX: 0.5, PixelSizeY: 0.5, SpacingZ: 1, Unit: "um"}, "ZYX"},
		{"czyx.ome.tif", WriterOptions{Shape: stack.Shape{Z: 6, Y: 12, X: 10}, DType: stack.Float32, Channels: 2, Tile: 16, Compression: Deflate}, "ZCYX"},
		{"tzyx.ome.tif", WriterOptions{Shape: stack.Shape{Z: 6, Y: 12, X: 10}, DType: stack.Uint8, Frames: 3}, "TZYX"},
	}
	script := `
import sys, json, numpy, tifffile
import xml.etree.ElementTree as ET
for spec in json.loads(sys.argv[1]):
    with tifffile.TiffFile(spec["file"]) as tf:
        assert tf.is_ome, "not OME"
        s = tf.series[0]
        assert s.axes == spec["axes"], (s.axes, spec["axes"])
        a = s.asarray()
        raw = numpy.fromfile(spec["raw"], dtype=a.dtype).reshape(a.shape)
        assert (a == raw).all(), "pixels differ"
        px = ET.fromstring(tf.ome_metadata).find(".//{*}Pixels").attrib
        for k in ("X", "Y", "Z"):
            want = spec.get("size" + k, 0)
            if want:
                assert float(px["PhysicalSize" + k]) == want, (k, px)
                assert px["PhysicalSize" + k + "Unit"] == "\u00b5m", px
            else:
                assert "PhysicalSize" + k not in px, px
print("ok")
`
	var specs []string
	for _, c := range cases {
		path := filepath.Join(dir, c.name)
		planes := testPlanes(c.opts.DType, c.opts.Shape, 4)
		writePlanes(t, path, c.opts, planes)
		raw := path + ".raw"
		var all []byte
		for _, p := range planes {
			all = append(all, p...)
		}
		if !nativeLE {
			swapBytes(all, c.opts.DType.Size())
		}
		require.NoError(t, os.WriteFile(raw, all, 0o644))
		specs = append(specs, `{"file": "`+path+`", "raw": "`+raw+`", "axes": "`+c.axes+`", "sizeX": `+ftoa(c.opts.PixelSizeX)+
			`, "sizeY": `+ftoa(c.opts.PixelSizeY)+`, "sizeZ": `+ftoa(c.opts.SpacingZ)+`}`)
	}
	spec := "[" + strings.Join(specs, ",") + "]"
	ran := 0
	for _, py := range []string{systemPython, venvPython} {
		if exec.Command(py, "-c", "import tifffile").Run() != nil {
			continue
		}
		out, err := exec.Command(py, "-c", script, spec).CombinedOutput()
		require.NoError(t, err, "%s: %s", py, out)
		require.Contains(t, string(out), "ok")
		ran++
	}
	if ran == 0 {
		t.Skip("SKIP: no python with tifffile")
	}
	validate := omeSchemaScript
	var files []string
	for _, c := range cases {
		files = append(files, filepath.Join(dir, c.name))
	}
	for _, py := range []string{os.Getenv("SEGSTACK_OME_PYTHON"), venvPython, systemPython} {
		if py == "" || exec.Command(py, "-c", "import xmlschema, ome_types, tifffile").Run() != nil {
			continue
		}
		out, err := exec.Command(py, append([]string{"-c", validate}, files...)...).CombinedOutput()
		require.NoError(t, err, "OME-XML schema validation: %s", out)
		return
	}
	t.Log("SKIP: no python with xmlschema and ome-types (for the OME 2016-06 schema); set SEGSTACK_OME_PYTHON to one")
}

// omeSchemaScript validates the OME-XML of the OME-TIFFs named in argv
// against the OME 2016-06 schema that ome-types ships, and checks that the
// check bites: each document with its DimensionOrder spoiled is invalid.
const omeSchemaScript = `
import glob, os, sys, xmlschema, ome_types, tifffile
xsd = glob.glob(os.path.join(os.path.dirname(ome_types.__file__), "**", "ome-2016-06.xsd"), recursive=True)
assert xsd, "ome-types ships no ome-2016-06.xsd"
schema = xmlschema.XMLSchema(xsd[0])
for f in sys.argv[1:]:
    with tifffile.TiffFile(f) as tf:
        xml = tf.ome_metadata
    schema.validate(xml)
    bad = xml.replace('DimensionOrder="', 'DimensionOrder="Q', 1)
    assert bad != xml and not schema.is_valid(bad), f + ": a spoiled document passes"
print("valid")
`

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
