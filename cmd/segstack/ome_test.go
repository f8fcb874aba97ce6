package main

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOMETIFFOutput segments an ImageJ stack with a pixel size into
// labels.ome.tif and checks with tifffile that the output is an OME-TIFF
// with axes ZYX, the input's physical sizes in µm, and the labels of the
// same run written as ImageJ TIFF (which stays the default for .tif).
func TestOMETIFFOutput(t *testing.T) {
	const py = "/usr/bin/python3"
	if exec.Command(py, "-c", "import tifffile, numpy").Run() != nil {
		t.Skip("SKIP: /usr/bin/python3 with tifffile not available")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "cells.tif")
	_, stderr, code := run(t, dir, "gen", "plain.tif", "--shape", "6,48,40", "--seed", "3")
	require.Zero(t, code, stderr)
	out, err := exec.Command(py, "-c", `
import sys, tifffile
a = tifffile.imread(sys.argv[1])
tifffile.imwrite(sys.argv[2], a, imagej=True, resolution=(4, 4), metadata={"axes": "ZYX", "spacing": 2.5, "unit": "micron"})
`, filepath.Join(dir, "plain.tif"), in).CombinedOutput()
	require.NoError(t, err, string(out))
	_, stderr, code = run(t, dir, "segment", in, "-o", "labels.ome.tif", "-q")
	require.Zero(t, code, stderr)
	_, stderr, code = run(t, dir, "segment", in, "-o", "labels.tif", "-q")
	require.Zero(t, code, stderr)
	out, err = exec.Command(py, "-c", `
import sys, tifffile
import xml.etree.ElementTree as ET
ome, ij = sys.argv[1], sys.argv[2]
with tifffile.TiffFile(ome) as tf:
    assert tf.is_ome and not tf.is_imagej
    s = tf.series[0]
    assert s.axes == "ZYX", s.axes
    assert s.shape == (6, 48, 40), s.shape
    px = ET.fromstring(tf.ome_metadata).find(".//{*}Pixels").attrib
    assert float(px["PhysicalSizeX"]) == 0.25 and float(px["PhysicalSizeY"]) == 0.25, px
    assert float(px["PhysicalSizeZ"]) == 2.5, px
    assert px["PhysicalSizeXUnit"] == px["PhysicalSizeZUnit"] == "\u00b5m", px
    a = s.asarray()
with tifffile.TiffFile(ij) as tf:
    assert tf.is_imagej and not tf.is_ome
    assert (tf.asarray() == a).all()
print("ok")
`, filepath.Join(dir, "labels.ome.tif"), filepath.Join(dir, "labels.tif")).CombinedOutput()
	require.NoError(t, err, string(out))

	// info reads the OME-XML back.
	stdout, stderr, code := run(t, dir, "info", "labels.ome.tif")
	require.Zero(t, code, stderr)
	require.Contains(t, stdout, "DimensionOrder=XYCZT")
	require.Contains(t, stdout, "0.25 x 0.25 x 2.5 µm")

	// The OME-XML of uint16 and uint32 labels is valid against the OME
	// 2016-06 schema (ome-types ships it; xmlschema checks).
	_, stderr, code = run(t, dir, "segment", in, "-o", "labels32.ome.tif", "--label-dtype", "uint32", "-q")
	require.Zero(t, code, stderr)
	const venv = "/opt/venv/bin/python"
	if exec.Command(venv, "-c", "import xmlschema, ome_types, tifffile").Run() != nil {
		t.Skip("SKIP: /opt/venv/bin/python with xmlschema, ome-types and tifffile not available for the schema check")
	}
	out, err = exec.Command(venv, "-c", `
import glob, os, sys, xmlschema, ome_types, tifffile
schema = xmlschema.XMLSchema(glob.glob(os.path.join(os.path.dirname(ome_types.__file__), "**", "ome-2016-06.xsd"), recursive=True)[0])
for f in sys.argv[1:]:
    with tifffile.TiffFile(f) as tf:
        schema.validate(tf.ome_metadata)
print("valid")
`, filepath.Join(dir, "labels.ome.tif"), filepath.Join(dir, "labels32.ome.tif")).CombinedOutput()
	require.NoError(t, err, "OME-XML schema validation: %s", out)
	require.Contains(t, string(out), "valid")
}
