"""dask_image.ndfilters drop-ins: each chunk with its halo through segstack.ndi.

Every filter takes dask_image's signature, returns an array of the input's
dtype and chunks (as dask_image does: scipy's default output per chunk) and
reads a halo of the filter's reach around each chunk (``map_overlap``: the
radius of the window, plus the absolute origin shift), so that the result
equals the segstack.ndi (and so scipy.ndimage) filter of the whole array
for every boundary mode. ``mode="wrap"`` takes its halo from the far side
of the array (dask_image's chunks wrap within themselves instead).
"""

from __future__ import annotations

import numbers

import dask.array as da
import numpy as np

from .. import ndi

__all__ = ["gaussian_filter", "gaussian", "gaussian_laplace", "gaussian_gradient_magnitude", "uniform_filter",
           "median_filter", "minimum_filter", "maximum_filter", "correlate", "convolve", "sobel", "prewitt",
           "laplace"]


def _per_axis(v, ndim, what):
    if isinstance(v, numbers.Number):
        return [v] * ndim
    v = list(v)
    if len(v) != ndim:
        raise RuntimeError(f"Must have an equal number of {what} values to image dimensions.")
    return v


def _radius(sigma, truncate, ndim):
    sigma = [float(s) for s in _per_axis(sigma, ndim, "sigma")]
    return sigma, tuple(int(truncate * s + 0.5) for s in sigma)


def _boundary(mode):
    # Blocks on the array's edges apply mode themselves, which is exact for
    # every mode but wrap: that one needs the far side's data as a halo.
    return "periodic" if mode in ("wrap", "grid-wrap") else "none"


def _overlap(fn, image, depth, mode, **kw):
    image = da.asarray(image)
    depth = tuple(int(d) for d in depth)
    if image.size == 0 or not any(depth):
        return image.map_blocks(fn, dtype=image.dtype, mode=mode, **kw)
    return image.map_overlap(fn, depth=depth, boundary=_boundary(mode), dtype=image.dtype,
                             meta=np.empty((0,) * image.ndim, image.dtype), mode=mode, **kw)


def _gauss_block(block, sigma, mode, cval, truncate):
    return ndi.gaussian_filter(block, sigma, mode=mode, cval=cval, truncate=truncate)


def gaussian_filter(image, sigma, order=0, mode="reflect", cval=0.0, truncate=4.0):
    """dask_image.ndfilters.gaussian_filter: the halo is the kernel's radius
    (``int(truncate * sigma + 0.5)``); the result has the input's dtype, as
    scipy's and dask_image's do (integer results equal scipy's, float ones
    to float32 rounding)."""
    if order != 0:
        raise NotImplementedError("segstack.dask.ndfilters.gaussian_filter: only order=0")
    image = da.asarray(image)
    sigma, depth = _radius(sigma, truncate, image.ndim)
    return _overlap(_gauss_block, image, depth, mode, sigma=sigma, cval=cval, truncate=truncate)


gaussian = gaussian_filter  # dask_image's short name


def _glaplace_block(block, sigma, mode, cval, truncate):
    return ndi.gaussian_laplace(block, sigma, mode=mode, cval=cval, truncate=truncate)


def gaussian_laplace(image, sigma, mode="reflect", cval=0.0, truncate=4.0, **kwargs):
    """dask_image.ndfilters.gaussian_laplace (floating-point images; the
    values are computed in float32)."""
    image = da.asarray(image)
    sigma, depth = _radius(sigma, kwargs.pop("truncate", truncate), image.ndim)
    return _overlap(_glaplace_block, image, depth, mode, sigma=sigma, cval=cval, truncate=truncate)


def _ggm_block(block, sigma, mode, cval, truncate):
    return ndi.gaussian_gradient_magnitude(block, sigma, mode=mode, cval=cval, truncate=truncate)


def gaussian_gradient_magnitude(image, sigma, mode="reflect", cval=0.0, truncate=4.0, **kwargs):
    """dask_image.ndfilters.gaussian_gradient_magnitude (as gaussian_laplace)."""
    image = da.asarray(image)
    sigma, depth = _radius(sigma, truncate, image.ndim)
    return _overlap(_ggm_block, image, depth, mode, sigma=sigma, cval=cval, truncate=truncate)


def _window_depth(shape, origin, ndim):
    origin = _per_axis(origin, ndim, "origin")
    return tuple(s // 2 + abs(int(o)) for s, o in zip(shape, origin))


def _uniform_block(block, size, mode, cval, origin):
    return ndi.uniform_filter(block, size, mode=mode, cval=cval, origin=origin)


def uniform_filter(image, size=3, mode="reflect", cval=0.0, origin=0):
    """dask_image.ndfilters.uniform_filter."""
    image = da.asarray(image)
    size = [int(s) for s in _per_axis(size, image.ndim, "size")]
    return _overlap(_uniform_block, image, _window_depth(size, origin, image.ndim), mode, size=size, cval=cval,
                    origin=origin)


def _rank_block(block, fname, size, footprint, mode, cval, origin):
    return getattr(ndi, fname)(block, size=size, footprint=footprint, mode=mode, cval=cval, origin=origin)


def _rank(name, image, size, footprint, mode, cval, origin):
    image = da.asarray(image)
    if footprint is not None:
        footprint = np.asarray(footprint).astype(bool)
        shape = footprint.shape
        size = None
    elif size is not None:
        shape = size = [int(s) for s in _per_axis(size, image.ndim, "size")]
    else:
        raise RuntimeError("Must provide either size or footprint.")
    return _overlap(_rank_block, image, _window_depth(shape, origin, image.ndim), mode, fname=name, size=size,
                    footprint=footprint, cval=cval, origin=origin)


def median_filter(image, size=None, footprint=None, mode="reflect", cval=0.0, origin=0):
    """dask_image.ndfilters.median_filter."""
    return _rank("median_filter", image, size, footprint, mode, cval, origin)


def minimum_filter(image, size=None, footprint=None, mode="reflect", cval=0.0, origin=0):
    """dask_image.ndfilters.minimum_filter."""
    return _rank("minimum_filter", image, size, footprint, mode, cval, origin)


def maximum_filter(image, size=None, footprint=None, mode="reflect", cval=0.0, origin=0):
    """dask_image.ndfilters.maximum_filter."""
    return _rank("maximum_filter", image, size, footprint, mode, cval, origin)


def _weights_block(block, fname, weights, mode, cval, origin):
    return getattr(ndi, fname)(block, weights, mode=mode, cval=cval, origin=origin)


def _weighted(name, image, weights, mode, cval, origin):
    image = da.asarray(image)
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != image.ndim:
        raise RuntimeError("filter weights array has incorrect shape.")
    return _overlap(_weights_block, image, _window_depth(weights.shape, origin, image.ndim), mode, fname=name,
                    weights=weights, cval=cval, origin=origin)


def correlate(image, weights, mode="reflect", cval=0.0, origin=0):
    """dask_image.ndfilters.correlate."""
    return _weighted("correlate", image, weights, mode, cval, origin)


def convolve(image, weights, mode="reflect", cval=0.0, origin=0):
    """dask_image.ndfilters.convolve."""
    return _weighted("convolve", image, weights, mode, cval, origin)


def _deriv_block(block, fname, axis, mode, cval):
    if fname == "laplace":
        return ndi.laplace(block, mode=mode, cval=cval)
    return getattr(ndi, fname)(block, axis=axis, mode=mode, cval=cval)


def sobel(image, axis=-1, mode="reflect", cval=0.0):
    """dask_image.ndfilters.sobel."""
    image = da.asarray(image)
    return _overlap(_deriv_block, image, (1,) * image.ndim, mode, fname="sobel", axis=axis, cval=cval)


def prewitt(image, axis=-1, mode="reflect", cval=0.0):
    """dask_image.ndfilters.prewitt."""
    image = da.asarray(image)
    return _overlap(_deriv_block, image, (1,) * image.ndim, mode, fname="prewitt", axis=axis, cval=cval)


def laplace(image, mode="reflect", cval=0.0):
    """dask_image.ndfilters.laplace."""
    image = da.asarray(image)
    return _overlap(_deriv_block, image, (1,) * image.ndim, mode, fname="laplace", axis=None, cval=cval)
