"""The napari plugin (npe2 manifest: napari.yaml): a reader for segstack's
TIFF and OME-Zarr outputs that opens labels as labels layers, and a widget
that segments the active image layer."""

from __future__ import annotations

import json
import os

import numpy as np

from ._segment import segment

_LABEL_DTYPES = (np.uint8, np.uint16, np.uint32, np.int32, np.uint64, np.int64)


def _is_labels_name(path):
    stem = os.path.basename(os.path.normpath(path)).lower()
    return "label" in stem


def _read_tiff(path):
    import tifffile

    data = tifffile.imread(path)
    name = os.path.splitext(os.path.basename(path))[0]
    if _is_labels_name(path) and data.dtype in _LABEL_DTYPES:
        return [(data, {"name": name}, "labels")]
    return [(data, {"name": name}, "image")]


def _multiscale_arrays(group):
    attrs = dict(group.attrs)
    ms = attrs.get("multiscales") or attrs.get("ome", {}).get("multiscales")
    if not ms:
        return None
    return [group[d["path"]] for d in ms[0]["datasets"]]


def _read_zarr(path):
    import zarr

    root = zarr.open_group(path, mode="r")
    name = os.path.basename(os.path.normpath(path))
    layers = []
    arrays = _multiscale_arrays(root)
    if arrays is not None:
        layers.append((np.asarray(arrays[0]), {"name": name}, "image"))
        if "labels" in root:
            lg = root["labels"]
            names = dict(lg.attrs).get("labels") or dict(lg.attrs).get("ome", {}).get("labels") or []
            for ln in names:
                la = _multiscale_arrays(lg[ln])
                if la:
                    layers.append((np.asarray(la[0]), {"name": ln}, "labels"))
        return layers
    return None


def get_reader(path):
    """napari reader hook: a reader for a segstack TIFF (``*label*`` files of an
    integer type open as labels) or OME-Zarr image (its ``labels/`` open as
    labels layers), else None."""
    if isinstance(path, list):
        if len(path) != 1:
            return None
        path = path[0]
    p = str(path)
    low = p.lower().rstrip("/")
    if low.endswith((".tif", ".tiff")):
        return lambda _p: _read_tiff(p)
    if low.endswith(".zarr") or os.path.isdir(p):
        try:
            import zarr

            g = zarr.open_group(p, mode="r")
            if _multiscale_arrays(g) is None:
                return None
        except Exception:
            return None
        return lambda _p: _read_zarr(p)
    return None


def segment_widget():
    """napari widget: segments the chosen image layer with segstack.segment
    (sigma, threshold, connectivity, 2d/3d, and split "watershed" to split
    touching objects) and adds the labels (and the per-object table as the
    layer's features)."""
    from magicgui import magic_factory
    import napari
    from napari.utils import progress

    @magic_factory(
        call_button="Segment",
        mode={"choices": ["2d", "3d"]},
        split={"choices": ["none", "watershed"]},
        sigma={"min": 0.0, "max": 50.0, "step": 0.1},
        connectivity={"choices": [0, 4, 8, 6, 18, 26]},
    )
    def widget(image: "napari.layers.Image", sigma: float = 1.0, threshold: str = "0.33max",
               connectivity: int = 0, mode: str = "2d", split: str = "none") -> "napari.types.LayerDataTuple":
        if image is None:
            raise ValueError("segstack: choose an image layer")
        data = np.asarray(image.data)
        with progress(total=2, desc="segstack segment") as pbar:
            pbar.set_description("segmenting")
            res = segment(data, mode=mode, sigma=sigma, threshold=threshold,
                          connectivity=connectivity or None, split=split)
            pbar.update(1)
            meta = {"name": f"{image.name} labels", "features": res.table,
                    "metadata": {"segstack_report": json.dumps(res.report)}}
            pbar.update(1)
        return (res.labels, meta, "labels")

    return widget()
