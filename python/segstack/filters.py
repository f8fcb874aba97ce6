"""skimage.filters-named functions computed by segstack's Go kernels."""

from __future__ import annotations

import numpy as np

from . import _lib

__all__ = ["threshold_otsu"]


def threshold_otsu(image=None, nbins=256, *, hist=None):
    """skimage.filters.threshold_otsu for float32 or float64 images (256 bins,
    float64 images are rounded to float32 first), as a float32. Integer images are refused
    with a TypeError: scikit-image bins them by value."""
    if hist is not None or nbins != 256:
        raise NotImplementedError("segstack.filters.threshold_otsu: only nbins=256 on an image")
    a = _lib.prepare(image)
    if a.size == 0:
        raise ValueError("segstack.filters.threshold_otsu: empty image")
    out = _lib._dbl()
    nd, shp = _lib.shape_of(a)
    _lib.call(_lib.threshold_otsu, (a.ctypes.data, _lib.dtype_name(a.dtype), nd, shp, _lib.ctypes.addressof(out)), a.size)
    return np.float32(out.value)
