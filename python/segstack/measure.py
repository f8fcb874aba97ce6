"""skimage.measure-named functions computed by segstack's Go kernels."""

from __future__ import annotations

import numpy as np

from . import _lib

__all__ = ["regionprops_table", "PROPERTIES"]

#: The properties regionprops_table computes.
PROPERTIES = ("label", "area", "bbox", "centroid", "intensity_mean", "intensity_max", "intensity_min")


def regionprops_table(label_image, intensity_image=None, properties=("label", "bbox"), *, cache=True,
                      separator="-", extra_properties=None, spacing=None, offset=None):
    """skimage.measure.regionprops_table for 2-D and 3-D label images, with the
    properties in PROPERTIES: a dict of numpy arrays, one row per label in
    increasing order, columns named as scikit-image names them."""
    if extra_properties or spacing is not None or offset is not None:
        raise NotImplementedError("segstack.measure.regionprops_table: extra_properties, spacing and offset are not supported")
    props = list(properties)
    bad = [p for p in props if p not in PROPERTIES]
    if bad:
        raise NotImplementedError(f"segstack.measure.regionprops_table: unsupported properties {bad} (supported: {PROPERTIES})")
    lab = _lib.prepare(label_image)
    if lab.ndim not in (2, 3):
        raise TypeError("Only 2-D and 3-D images supported.")
    if lab.dtype == bool:
        lab = lab.view(np.uint8)
    inten = None
    if intensity_image is not None:
        inten = _lib.prepare(intensity_image)
        if inten.shape != lab.shape:
            raise ValueError("Label and intensity image shapes must match, except for channel (last) axis.")
        if inten.dtype == bool:
            inten = inten.view(np.uint8)
    elif any(p.startswith("intensity_") for p in props):
        raise AttributeError("Attribute 'intensity_image' unavailable when `intensity_image` has not been specified.")
    h = _lib._i64()
    nd, shp = _lib.shape_of(lab)
    _lib.call(_lib.regionprops, (lab.ctypes.data, _lib.dtype_name(lab.dtype),
                                 None if inten is None else inten.ctypes.data,
                                 None if inten is None else _lib.dtype_name(inten.dtype),
                                 nd, shp, _lib.ctypes.addressof(h)), lab.size)
    t, _ = _lib.take_result(h.value)
    return _table(t, props, lab.ndim, inten, separator)


def _table(t, props, ndim, inten, sep="-"):
    """scikit-image's columns from the library's Z, Y, X table."""
    axes = range(3 - ndim, 3)
    out = {}
    for p in props:
        if p == "label":
            out["label"] = t["label"].astype(np.int64)
        elif p == "area":
            out["area"] = t["area"].copy()
        elif p == "bbox":
            cols = [t[f"bbox-{a}"] for a in axes] + [t[f"bbox-{a + 3}"] for a in axes]
            for i, c in enumerate(cols):
                out[f"bbox{sep}{i}"] = c.astype(np.int64)
        elif p == "centroid":
            for i, a in enumerate(axes):
                out[f"centroid{sep}{i}"] = t[f"centroid-{a}"].copy()
        elif p == "intensity_mean":
            out[p] = t[p].copy()
        else:  # intensity_max, intensity_min keep the image's dtype, as scikit-image's do
            out[p] = t[p].astype(inten.dtype)
    return out
