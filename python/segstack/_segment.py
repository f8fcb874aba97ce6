"""segstack.segment: the whole pipeline (smooth, threshold, label, measure) in process."""

from __future__ import annotations

import json
import numbers
import os
from typing import NamedTuple

import numpy as np

from . import _lib


class Segmentation(NamedTuple):
    """What segment returns."""

    labels: np.ndarray
    """uint32 labels of the input's shape, 0 for background."""
    table: dict
    """Per-object statistics: a dict of numpy arrays with regionprops_table's
    columns (label, area, bbox-*, centroid-*, intensity_mean/max/min), then
    ``plane`` in 2-D mode; axes are those of each object's plane in 2-D mode,
    Z, Y, X in 3-D."""
    report: dict
    """The run report (timings per stage, counts, thresholds, backend, ...)."""


_INT_COLUMNS = ("label", "plane")


def _sigma3(sigma, mode):
    if isinstance(sigma, numbers.Real):
        return [float(sigma)] * 3
    s = [float(v) for v in sigma]
    if len(s) == 1:
        return s * 3
    if len(s) == 2:
        return [0.0] + s
    if len(s) == 3:
        return s
    raise ValueError(f"segstack.segment: sigma {sigma!r}: give one value, (Y, X) or (Z, Y, X)")


def segment(path_or_array, *, mode="2d", sigma=1.0, threshold="0.33max", connectivity=None,
            labels="unique", channel=None, workers=0, device="auto", split=None, seeds="intensity",
            min_distance=3, fill_holes=False, min_size=20, max_size=0):
    """Segments a stack: Gaussian smoothing (sigma per axis), a threshold
    (``"0.33max"`` — a fraction of each plane's maximum in 2-D mode, of the
    volume's in 3-D —, ``"otsu"`` or a number; foreground is strictly
    greater), connected-component labelling (connectivity 4 or 8 in 2-D,
    6, 18 or 26 in 3-D) and per-object statistics, as ``segstack segment``
    does.

    ``path_or_array`` is a numpy array (2-D: one plane; 3-D: Z, Y, X) or the
    path of a TIFF stack, Zarr array or OME-Zarr image. In 2-D mode objects
    are numbered uniquely across the stack (``labels="unique"``) or from 1
    in every plane (``labels="per-plane"``).

    ``split="watershed"`` splits touching objects as ``segstack segment
    --split watershed`` does: seeds at the local maxima (``min_distance``
    apart) of the smoothed intensity (``seeds="intensity"``) or of the
    mask's distance transform (``"distance"``), a seeded watershed within
    the mask (its holes filled first with ``fill_holes``), then objects of
    fewer than ``min_size`` (or, when ``max_size`` > 0, more than
    ``max_size``) elements dropped. ``split=None`` or ``"none"`` labels the
    mask's connected components and ignores those options.

    Returns a Segmentation (labels, table, report).
    """
    sp = b""
    if split not in (None, "none"):
        sp = json.dumps({"method": str(split), "seeds": str(seeds), "min_distance": int(min_distance),
                         "fill_holes": bool(fill_holes), "min_size": int(min_size),
                         "max_size": int(max_size)}).encode()
    sig = (_lib._dbl * 3)(*_sigma3(sigma, mode))
    if isinstance(threshold, numbers.Real) and not isinstance(threshold, bool):
        threshold = repr(float(threshold))
    conn = 0 if connectivity is None else int(connectivity)
    ch = -1 if channel is None else int(channel)
    h = _lib._i64()
    if isinstance(path_or_array, (str, os.PathLike)):
        path = os.fsencode(path_or_array)
        shape = (_lib._i64 * 3)()
        dbuf = _lib.ctypes.create_string_buffer(32)
        buf = _lib.errbuf()
        _lib.check(_lib.source_shape(path, ch, shape, dbuf, 32, buf, _lib.ERRLEN), buf)
        out = np.empty(tuple(shape), np.uint32)
        src, dname, nd, shp = None, None, 0, None
        size = out.size
    else:
        a = _lib.prepare(path_or_array)
        if a.dtype == bool:
            a = a.view(np.uint8)
        if a.ndim not in (2, 3):
            raise ValueError(f"segstack.segment: a {a.ndim}-D array; want 2-D (one plane) or 3-D (Z, Y, X)")
        path = None
        out = np.empty(a.shape, np.uint32)
        nd, shp = _lib.shape_of(a)
        src, dname = a.ctypes.data, _lib.dtype_name(a.dtype)
        size = a.size
    lshape = (_lib._i64 * 3)(*((1,) * (3 - out.ndim) + out.shape))
    _lib.call(_lib.segment, (src, dname, nd, shp, path, ch, str(mode).encode(), sig,
                             str(threshold).encode(), conn, str(labels).encode(), int(workers),
                             str(device).encode(), sp, out.ctypes.data, lshape, _lib.ctypes.addressof(h)),
              max(size, _lib.CANCELLABLE_ELEMENTS))
    t, text = _lib.take_result(h.value)
    table = {}
    for k, v in t.items():
        if k in _INT_COLUMNS or k.startswith("bbox"):
            v = v.astype(np.int64)
        table[k] = v
    return Segmentation(out, table, json.loads(text))
