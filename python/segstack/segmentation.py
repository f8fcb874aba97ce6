"""skimage.segmentation-named functions computed by segstack's Go kernels."""

from __future__ import annotations

import numpy as np

from . import _lib
from .morphology import _conn

__all__ = ["watershed"]


def watershed(image, markers=None, connectivity=1, offset=None, mask=None, compactness=0, watershed_line=False):
    """skimage.segmentation.watershed (scikit-image 0.26) of a 2-D or 3-D
    image from a markers array, with its flooding order, ties included; the
    image is compared in float32 (float64 images are rounded to float32).
    The labels are int32 (scikit-image returns the markers' integer type).
    ``markers`` must be an array of labels; ``offset``, ``compactness`` and
    ``watershed_line`` are not supported."""
    if markers is None or np.isscalar(markers):
        raise NotImplementedError("segstack.segmentation.watershed: markers must be a label array")
    if offset is not None or compactness or watershed_line:
        raise NotImplementedError("segstack.segmentation.watershed: offset, compactness and watershed_line "
                                  "are not supported")
    a = _lib.prepare(image)
    if a.ndim not in (2, 3):
        raise _lib.SegstackValueError(f"watershed: {a.ndim}-D images are not supported (want 2 or 3 dimensions)")
    if a.dtype == bool:
        a = a.view(np.uint8)
    m = _lib.prepare(markers)
    if m.shape != a.shape:
        raise ValueError(f"markers (shape {m.shape}) must have same shape as image (shape {a.shape})")
    if m.dtype == bool:
        m = m.view(np.uint8)
    mk = None
    if mask is not None:
        mk = _lib.prepare(mask)
        if mk.shape != a.shape:
            raise ValueError(f"mask (shape {mk.shape}) must have same shape as image (shape {a.shape})")
        if mk.dtype == bool:
            mk = mk.view(np.uint8)
    out = np.zeros(a.shape, np.int32)
    if a.size:
        _lib.op("watershed", {"conn": _conn(connectivity, a.ndim, "watershed")}, [a, m, out, mk], a.size)
    return out
