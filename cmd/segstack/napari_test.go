package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// napariProbe opens each path of argv[1] (JSON: [{path, kwargs}]) in a
// napari ViewerModel (napari's viewer without Qt; viewer.open takes the
// same arguments) with the plugins napari would load, and prints one JSON
// line per attempt: the layers' type, name, dtype, shape and scale, or the
// error; each Labels layer's pixels are compared with the TIFF labels
// given as "same_as".
const napariProbe = `
import json, os, sys, warnings
warnings.simplefilter("ignore")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
import numpy, tifffile, napari
from napari.components import ViewerModel
from napari.plugins import _initialize_plugins
_initialize_plugins()
import napari_ome_zarr
from importlib.metadata import version
print(json.dumps({"napari": napari.__version__, "napari_ome_zarr": version("napari-ome-zarr")}))
for spec in json.loads(sys.argv[1]):
    vm = ViewerModel()
    res = {"path": os.path.basename(spec["path"]), "kwargs": spec["kwargs"]}
    try:
        vm.open(spec["path"], **spec["kwargs"])
    except Exception as e:
        res["error"] = type(e).__name__ + ": " + str(e)[:200]
        print(json.dumps(res)); continue
    res["layers"] = []
    for l in vm.layers:
        d = l.data[0] if l.multiscale else l.data
        lay = {"type": type(l).__name__, "name": l.name, "dtype": str(d.dtype), "shape": list(d.shape),
               "scale": [float(s) for s in l.scale]}
        if type(l).__name__ == "Labels" and spec.get("same_as"):
            lay["same"] = bool((numpy.asarray(d) == tifffile.imread(spec["same_as"])).all())
        res["layers"].append(lay)
    print(json.dumps(res))
`

type napariLayer struct {
	Type  string    `json:"type"`
	Name  string    `json:"name"`
	DType string    `json:"dtype"`
	Shape []int     `json:"shape"`
	Scale []float64 `json:"scale"`
	Same  *bool     `json:"same"`
}

type napariResult struct {
	Path   string         `json:"path"`
	Kwargs map[string]any `json:"kwargs"`
	Error  string         `json:"error"`
	Layers []napariLayer  `json:"layers"`
}

// TestNapariOpensOutputs checks what napari does with segstack's outputs,
// as the README states it: TIFF labels open as a Labels layer when they
// are uint32 (any name, OME-TIFF or not) and as an Image layer when uint16
// unless asked for labels; an OME-Zarr (NGFF 0.4 and 0.5) opens with
// napari-ome-zarr as the image plus its labels as a Labels layer, scaled
// by the pixel size, and not with napari's built-in reader (which
// viewer.open uses unless told otherwise). napari takes a few minutes to
// install and is not in CI: the test runs where SEGSTACK_NAPARI_PYTHON, or
// /opt/venv/bin/python, imports napari and napari-ome-zarr.
func TestNapariOpensOutputs(t *testing.T) {
	py := os.Getenv("SEGSTACK_NAPARI_PYTHON")
	if py == "" {
		py = "/opt/venv/bin/python"
	}
	if err := exec.Command(py, "-c", "import napari, napari_ome_zarr, tifffile").Run(); err != nil {
		t.Skipf("SKIP: %s does not import napari and napari-ome-zarr (set SEGSTACK_NAPARI_PYTHON to a python that does): %v", py, err)
	}
	dir := t.TempDir()
	_, stderr, code := run(t, dir, "gen", "plain.tif", "--shape", "5,64,48", "--seed", "5")
	require.Zero(t, code, stderr)
	out, err := exec.Command(py, "-c", `
import sys, tifffile
a = tifffile.imread(sys.argv[1])
tifffile.imwrite(sys.argv[2], a, imagej=True, resolution=(4, 4), metadata={"axes": "ZYX", "spacing": 2.0, "unit": "micron"})
`, filepath.Join(dir, "plain.tif"), filepath.Join(dir, "cells.tif")).CombinedOutput()
	require.NoError(t, err, string(out))
	for _, args := range [][]string{
		{"-o", "labels.tif"},
		{"-o", "labels32.tif", "--label-dtype", "uint32"},
		{"-o", "labels.ome.tif"},
		{"-o", "labels32.ome.tif", "--label-dtype", "uint32"},
		{"-o", "cells.ome.zarr"},
		{"-o", "cells3.ome.zarr", "--zarr-version", "3"},
	} {
		_, stderr, code := run(t, dir, append([]string{"segment", "cells.tif", "-q"}, args...)...)
		require.Zero(t, code, stderr)
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	labels := p("labels.tif")
	type spec struct {
		Path   string         `json:"path"`
		Kwargs map[string]any `json:"kwargs"`
		Same   string         `json:"same_as"`
	}
	specs := []spec{
		{p("labels.tif"), map[string]any{}, labels},
		{p("labels.tif"), map[string]any{"layer_type": "labels"}, labels},
		{p("labels32.tif"), map[string]any{}, labels},
		{p("labels.ome.tif"), map[string]any{}, labels},
		{p("labels32.ome.tif"), map[string]any{}, labels},
	}
	for _, z := range []string{"cells.ome.zarr", "cells3.ome.zarr"} {
		specs = append(specs,
			spec{p(z), map[string]any{}, ""},
			spec{p(z), map[string]any{"plugin": nil}, ""},
			spec{p(z), map[string]any{"plugin": "napari-ome-zarr"}, labels},
			spec{p(z + "/labels/cells"), map[string]any{"plugin": "napari-ome-zarr"}, labels},
		)
	}
	js, err := json.Marshal(specs)
	require.NoError(t, err)
	cmd := exec.Command(py, "-c", napariProbe, string(js))
	cmd.Env = append(os.Environ(), "QT_QPA_PLATFORM=offscreen")
	raw, err := cmd.Output()
	require.NoError(t, err, string(raw))
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	var got []napariResult
	for _, l := range lines {
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var r napariResult
		if json.Unmarshal([]byte(l), &r) == nil && r.Path != "" {
			got = append(got, r)
			continue
		}
		t.Logf("versions: %s", l)
	}
	require.Len(t, got, len(specs), string(raw))
	one := func(i int, typ, dtype string) napariLayer {
		r := got[i]
		require.Empty(t, r.Error, "%s %v", r.Path, r.Kwargs)
		require.Len(t, r.Layers, 1, "%s %v", r.Path, r.Kwargs)
		l := r.Layers[0]
		require.Equal(t, typ, l.Type, "%s %v", r.Path, r.Kwargs)
		require.Equal(t, dtype, l.DType)
		require.Equal(t, []int{5, 64, 48}, l.Shape)
		return l
	}
	// TIFF: the dtype decides, the name plays no part; napari's TIFF
	// reader ignores the pixel size.
	one(0, "Image", "uint16")
	require.True(t, *one(1, "Labels", "uint16").Same)
	require.True(t, *one(2, "Labels", "uint32").Same)
	one(3, "Image", "uint16")
	l := one(4, "Labels", "uint32")
	require.True(t, *l.Same)
	require.Equal(t, []float64{1, 1, 1}, l.Scale)
	for k := 5; k < len(got); k += 4 {
		// viewer.open's default reader is napari's own, which finds no
		// array in an OME-Zarr; with none named, two readers qualify.
		require.Contains(t, got[k].Error, "No arrays found in zarr group", got[k].Path)
		require.Contains(t, got[k+1].Error, "MultipleReaderError", got[k+1].Path)
		r := got[k+2]
		require.Empty(t, r.Error, r.Path)
		require.Len(t, r.Layers, 2, r.Path)
		require.Equal(t, "Image", r.Layers[0].Type)
		require.Equal(t, "Labels", r.Layers[1].Type)
		for _, l := range r.Layers {
			require.Equal(t, []float64{2, 0.25, 0.25}, l.Scale, r.Path)
		}
		require.True(t, *r.Layers[1].Same, r.Path)
		// The label image's own path opens its source image too (from
		// image-label's source), then the labels, scaled.
		r = got[k+3]
		require.Empty(t, r.Error, r.Path)
		require.Len(t, r.Layers, 2, r.Path)
		require.Equal(t, "Image", r.Layers[0].Type)
		last := r.Layers[1]
		require.Equal(t, "Labels", last.Type, r.Path)
		require.Equal(t, []float64{2, 0.25, 0.25}, last.Scale, r.Path)
		require.True(t, *last.Same, r.Path)
	}
}
