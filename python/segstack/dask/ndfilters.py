"""dask_image.ndfilters drop-ins: each chunk with its halo through segstack.ndi."""

from __future__ import annotations

import numbers

import dask.array as da
import numpy as np

from .. import ndi

__all__ = ["gaussian_filter"]


def _depth(sigma, truncate, ndim):
    if isinstance(sigma, numbers.Real):
        sigma = [sigma] * ndim
    sigma = [float(s) for s in sigma]
    if len(sigma) != ndim:
        raise RuntimeError("Must have an equal number of sigmas to image dimensions.")
    return sigma, tuple(int(truncate * s + 0.5) for s in sigma)


def _gauss_block(block, sigma, mode, cval, truncate):
    return ndi.gaussian_filter(block, sigma, mode=mode, cval=cval, truncate=truncate)


def gaussian_filter(image, sigma, order=0, mode="reflect", cval=0.0, truncate=4.0):
    """dask_image.ndfilters.gaussian_filter: each chunk is filtered with a halo of
    the kernel's radius (``int(truncate * sigma + 0.5)``) and the array's edges
    get ``mode``, so the result equals scipy.ndimage.gaussian_filter of the whole
    array; the result is float32 (dask_image keeps the input's dtype)."""
    if order != 0:
        raise NotImplementedError("segstack.dask.ndfilters.gaussian_filter: only order=0")
    image = da.asarray(image)
    sigma, depth = _depth(sigma, truncate, image.ndim)
    # Blocks on the array's edges filter with mode themselves, which is exact
    # for every mode but wrap: that one needs the far side's data as a halo.
    boundary = "periodic" if mode in ("wrap", "grid-wrap") else "none"
    return image.map_overlap(_gauss_block, depth=depth, boundary=boundary, dtype=np.float32,
                             meta=np.empty((0,) * image.ndim, np.float32),
                             sigma=sigma, mode=mode, cval=cval, truncate=truncate)
