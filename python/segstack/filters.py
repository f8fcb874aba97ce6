"""skimage.filters-named functions computed by segstack's Go kernels."""

from __future__ import annotations

import numpy as np

from . import _lib

__all__ = ["threshold_otsu"]


def threshold_otsu(image=None, nbins=256, *, hist=None):
    """skimage.filters.threshold_otsu.

    Floating-point images: 256 bins over [min, max] as scikit-image bins
    them (float64 images are rounded to float32 first); the result is a
    float32. Integer images: one bin per value from the minimum to the
    maximum, as scikit-image's histogram bins integers (nbins is ignored,
    as there); the result is an int64 value. An image whose values are all
    equal gives that value in its own dtype, as scikit-image returns it.
    """
    if hist is not None:
        raise NotImplementedError("segstack.filters.threshold_otsu: only an image (no hist)")
    a = _lib.prepare(image)
    if a.size == 0:
        raise ValueError("segstack.filters.threshold_otsu: empty image")
    if a.dtype.kind == "f" and nbins != 256:
        raise NotImplementedError("segstack.filters.threshold_otsu: only nbins=256 on a floating-point image")
    if a.dtype == bool:
        a = a.view(np.uint8)
        boolean = True
    else:
        boolean = False
    out = _lib._dbl()
    nd, shp = _lib.shape_of(a)
    _lib.call(_lib.threshold_otsu, (a.ctypes.data, _lib.dtype_name(a.dtype), nd, shp, _lib.ctypes.addressof(out)), a.size)
    if a.dtype.kind in "iu":
        first = a.reshape(-1)[0]
        if out.value == first and not (a != first).any():
            return np.bool_(first) if boolean else first
        return np.int64(out.value)
    return np.float32(out.value)
