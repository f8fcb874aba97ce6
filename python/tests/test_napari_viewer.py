"""The napari plugin inside a real napari.Viewer: its reader through
viewer.open and its widget docked from the plugin menu's entry, as a user
reaches them. A Viewer draws on an OpenGL canvas, which Qt's offscreen
platform does not provide, so this runs under a virtual X server
(scripts/test-python.sh runs it with xvfb-run) and skips elsewhere."""

import os

import numpy as np
import pytest
import scipy.ndimage as sndi

napari = pytest.importorskip("napari", reason="SKIP: napari is not installed")
if not os.environ.get("DISPLAY") or os.environ.get("QT_QPA_PLATFORM") == "offscreen":
    pytest.skip("SKIP: a napari.Viewer needs an X display with OpenGL (run under xvfb-run)", allow_module_level=True)

import segstack  # noqa: E402
from _data import blobs, write_ome_zarr  # noqa: E402


@pytest.fixture
def viewer():
    v = napari.Viewer(show=False)
    yield v
    v.close()


def _scipy_labels(stack, sigma):
    """The plugin's default pipeline in scipy: per plane, Gaussian, strictly
    above 0.33 of the plane's maximum, 4-connected labels numbered on from
    the planes before."""
    out = np.zeros(stack.shape, np.int64)
    off = 0
    for z, plane in enumerate(stack):
        sm = sndi.gaussian_filter(plane.astype(np.float32), sigma, output=np.float32)
        lab, n = sndi.label(sm > np.float32(0.33 * float(sm.max())))
        out[z] = np.where(lab > 0, lab + off, 0)
        off += n
    return out


def test_viewer_opens_tiff_and_ome_zarr_with_the_plugin(viewer, tmp_path):
    import tifffile

    stack = blobs(np.random.default_rng(3), (3, 40, 40))
    lab = segstack.segment(stack).labels
    tifffile.imwrite(tmp_path / "labels.tif", lab, photometric="minisblack")
    tifffile.imwrite(tmp_path / "input.tif", stack, photometric="minisblack")
    (got,) = viewer.open(str(tmp_path / "labels.tif"), plugin="segstack")
    assert isinstance(got, napari.layers.Labels)
    np.testing.assert_array_equal(got.data, lab)
    (img,) = viewer.open(str(tmp_path / "input.tif"), plugin="segstack")
    assert isinstance(img, napari.layers.Image)
    np.testing.assert_array_equal(img.data, stack)

    write_ome_zarr(tmp_path / "cells.ome.zarr", stack, lab)
    layers = viewer.open(str(tmp_path / "cells.ome.zarr"), plugin="segstack")
    assert [type(layer).__name__ for layer in layers] == ["Image", "Labels"]
    np.testing.assert_array_equal(layers[1].data, lab)
    assert len(viewer.layers) == 4


def test_docked_widget_segments_the_chosen_layer(viewer):
    stack = blobs(np.random.default_rng(4), (3, 56, 48))
    viewer.add_image(np.zeros((3, 56, 48), np.uint16), name="empty")
    cells = viewer.add_image(stack, name="cells")
    _, w = viewer.window.add_plugin_dock_widget("segstack", "Segment (segstack)")
    assert list(w.image.choices) == [viewer.layers["empty"], cells]
    w.image.value = cells
    w.sigma.value = 1.5
    w.call_button.clicked()  # as a click on "Segment" does
    labels = viewer.layers["cells labels"]
    assert isinstance(labels, napari.layers.Labels)
    want = _scipy_labels(stack, 1.5)
    assert want.max() > 3
    np.testing.assert_array_equal(labels.data, want)
    np.testing.assert_array_equal(labels.features["label"], np.arange(1, want.max() + 1))
    np.testing.assert_array_equal(labels.features["area"], np.bincount(want.ravel())[1:])


def test_docked_widget_reports_a_bad_threshold(viewer):
    viewer.add_image(blobs(np.random.default_rng(5), (2, 32, 32)), name="cells")
    _, w = viewer.window.add_plugin_dock_widget("segstack", "Segment (segstack)")
    w.threshold.value = "half"
    with pytest.raises(Exception, match="threshold"):
        w()
    assert [layer.name for layer in viewer.layers] == ["cells"]
