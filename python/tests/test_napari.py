"""The napari plugin, headless (QT_QPA_PLATFORM=offscreen); skipped without napari."""

import os

import numpy as np
import pytest

napari = pytest.importorskip("napari", reason="SKIP: napari is not installed")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import segstack  # noqa: E402
from segstack import _napari  # noqa: E402
from _data import blobs, write_ome_zarr  # noqa: E402


def test_manifest_is_valid():
    from npe2 import PluginManifest

    m = PluginManifest.from_distribution("segstack")
    assert {c.id for c in m.contributions.commands} == {"segstack.get_reader", "segstack.segment_widget"}


def test_reader_opens_tiff_labels_as_labels(tmp_path):
    import tifffile

    stack = blobs(np.random.default_rng(0), (3, 40, 40))
    res = segstack.segment(stack)
    tifffile.imwrite(tmp_path / "input.tif", stack, photometric="minisblack")
    tifffile.imwrite(tmp_path / "labels.tif", res.labels, photometric="minisblack")
    layers = _napari.get_reader(str(tmp_path / "labels.tif"))(str(tmp_path / "labels.tif"))
    assert layers[0][2] == "labels"
    np.testing.assert_array_equal(layers[0][0], res.labels)
    assert _napari.get_reader(str(tmp_path / "input.tif"))(None)[0][2] == "image"
    assert _napari.get_reader(str(tmp_path / "notes.txt")) is None


def test_reader_opens_ome_zarr_with_labels(tmp_path):
    pytest.importorskip("zarr")
    img = blobs(np.random.default_rng(1), (2, 32, 32))
    lab = segstack.segment(img).labels
    write_ome_zarr(tmp_path / "cells.ome.zarr", img, lab)
    layers = _napari.get_reader(str(tmp_path / "cells.ome.zarr"))(None)
    assert [t for _, _, t in layers] == ["image", "labels"]
    np.testing.assert_array_equal(layers[1][0], lab)


def test_widget_segments_the_active_image():
    from napari.components import ViewerModel
    from napari.layers import Labels

    viewer = ViewerModel()  # the viewer's model; the widget itself is a Qt (offscreen) widget
    stack = blobs(np.random.default_rng(2), (2, 48, 48))
    layer = viewer.add_image(stack, name="cells")
    w = _napari.segment_widget()
    data, meta, kind = w(image=layer, sigma=1.5)  # as the Segment button calls it
    assert kind == "labels"
    np.testing.assert_array_equal(data, segstack.segment(stack, sigma=1.5).labels)
    assert len(meta["features"]["label"]) == int(data.max())
    viewer.add_layer(Labels(data, name=meta["name"], features=meta["features"]))
    assert isinstance(viewer.layers["cells labels"], Labels)
    split, _, _ = w(image=layer, sigma=1.5, split="watershed")
    np.testing.assert_array_equal(split, segstack.segment(stack, sigma=1.5, split="watershed").labels)



def test_manifest_commands_resolve():
    """The manifest's python_names resolve to the reader and to a widget
    factory (a napari.Viewer cannot be opened here: no OpenGL offscreen)."""
    import importlib

    from magicgui.widgets import FunctionGui
    from npe2 import PluginManifest

    m = PluginManifest.from_distribution("segstack")
    cmds = {c.id: c.python_name for c in m.contributions.commands}
    mod, _, attr = cmds["segstack.segment_widget"].partition(":")
    assert isinstance(getattr(importlib.import_module(mod), attr)(), FunctionGui)
    mod, _, attr = cmds["segstack.get_reader"].partition(":")
    assert getattr(importlib.import_module(mod), attr) is _napari.get_reader
    assert [w.display_name for w in m.contributions.widgets] == ["Segment (segstack)"]
    assert m.contributions.readers[0].accepts_directories
