"""scipy.ndimage-named functions on numpy arrays, computed by segstack's Go kernels.

Names, parameters and defaults follow scipy.ndimage; the differences are
stated on each function (gaussian_filter returns float32; label numbers
objects exactly as scipy does).
"""

from __future__ import annotations

import numbers

import numpy as np

from . import _lib

__all__ = ["gaussian_filter", "label", "maximum", "minimum", "sum", "sum_labels", "mean",
           "generate_binary_structure"]

_MODES = {"reflect", "nearest", "mirror", "constant", "wrap", "grid-wrap", "grid-mirror", "grid-constant"}


def _sigmas(sigma, ndim, what="sigma"):
    if isinstance(sigma, numbers.Real):
        return [float(sigma)] * ndim
    s = [float(v) for v in sigma]
    if len(s) != ndim:
        raise ValueError(f"segstack: {what} has {len(s)} values for a {ndim}-D input (give one, or one per axis)")
    return s


def gaussian_filter(input, sigma, order=0, output=None, mode="reflect", cval=0.0, truncate=4.0, *,
                    radius=None, axes=None):
    """scipy.ndimage.gaussian_filter for 1- to 3-D arrays of any numeric dtype.

    The result is float32 (scipy returns the input's dtype); ``output`` may
    name another dtype, or be an array of the input's shape to write into.
    Only ``order=0``, one mode for every axis, ``radius=None`` and
    ``axes=None`` are supported.
    """
    if order not in (0, None) and np.any(np.asarray(order) != 0):
        raise NotImplementedError("segstack.ndi.gaussian_filter: only order=0 (smoothing) is supported")
    if radius is not None or axes is not None:
        raise NotImplementedError("segstack.ndi.gaussian_filter: radius and axes are not supported")
    if not isinstance(mode, str):
        modes = set(mode)
        if len(modes) != 1:
            raise NotImplementedError("segstack.ndi.gaussian_filter: one mode for every axis only")
        mode = modes.pop()
    a = _lib.prepare(input)
    sig = _sigmas(sigma, a.ndim) if a.ndim else []
    if a.size == 0 and a.ndim:
        res = np.empty(a.shape, np.float32)
    else:
        res = np.empty(a.shape, np.float32)
        nd, shp = _lib.shape_of(a)
        sarr = (_lib._dbl * max(len(sig), 1))(*sig)
        _lib.call(_lib.gaussian, (a.ctypes.data, _lib.dtype_name(a.dtype), nd, shp, sarr,
                                  float(truncate), mode.encode(), float(cval), res.ctypes.data), a.size)
    return _to_output(res, output)


def _to_output(res, output):
    if output is None:
        return res
    if isinstance(output, np.ndarray):
        if output.shape != res.shape:
            raise ValueError(f"segstack: output shape {output.shape} does not match {res.shape}")
        output[...] = res
        return output
    return res.astype(output, copy=False)


def generate_binary_structure(rank, connectivity):
    """scipy.ndimage.generate_binary_structure: the neighbours at most
    ``connectivity`` unit steps from the centre."""
    if connectivity < 1:
        connectivity = 1
    idx = np.indices((3,) * rank) - 1
    return np.abs(idx).sum(axis=0) <= connectivity


def _connectivity(structure, ndim):
    """The segstack connectivity of a scipy structure (0: the default)."""
    if structure is None:
        return 0
    s = np.asarray(structure).astype(bool)
    if s.ndim != ndim:
        raise RuntimeError("structure and input must have equal rank")
    if s.shape != (3,) * ndim:
        raise ValueError(f"segstack.ndi.label: structure of shape {s.shape}; only 3x...x3 structures are supported")
    for k in range(1, ndim + 1):
        if np.array_equal(s, generate_binary_structure(ndim, k)):
            if ndim == 1:
                return 0
            if ndim == 2:
                return 4 if k == 1 else 8
            return {1: 6, 2: 18, 3: 26}[k]
    raise ValueError("segstack.ndi.label: only the structures of generate_binary_structure(rank, k) "
                     "(face, edge or corner connectivity) are supported")


def label(input, structure=None, output=None):
    """scipy.ndimage.label: ``(labels, n)``, objects numbered 1..n in raster
    order of their first element, exactly as scipy numbers them.

    ``input`` is any numeric array (non-zero is foreground); ``structure``
    is None or one of generate_binary_structure's. Labels are int32 like
    scipy's; ``output`` may be a dtype (np.int32 or np.uint32 without a
    copy), or an int32/uint32 array to fill, in which case only n is
    returned, as scipy does.
    """
    a = _lib.prepare(input)
    if a.ndim == 0:
        raise TypeError("segstack.ndi.label: a 0-D input cannot be labelled")
    conn = _connectivity(structure, a.ndim)
    given = isinstance(output, np.ndarray)
    if given:
        if output.shape != a.shape or output.dtype not in (np.int32, np.uint32) or not output.flags.c_contiguous:
            raise ValueError("segstack.ndi.label: output must be a C-contiguous int32 or uint32 array of the input's shape")
        out = output
    elif output is None or np.dtype(output) in (np.int32, np.uint32):
        out = np.empty(a.shape, np.int32 if output is None else np.dtype(output))
    else:
        out = np.empty(a.shape, np.int32)
    if a.size == 0:
        return (0 if given else (out, 0))
    n = _lib._i64()
    nd, shp = _lib.shape_of(a)
    _lib.call(_lib.label, (a.ctypes.data, _lib.dtype_name(a.dtype), nd, shp, conn, out.ctypes.data,
                           _lib.ctypes.addressof(n)), a.size)
    if given:
        return int(n.value)
    if output is not None and out.dtype != np.dtype(output):
        out = out.astype(output)
    return out, int(n.value)


def _reduce(name, op, input, labels, index):
    if labels is not None or index is not None:
        raise NotImplementedError(f"segstack.ndi.{name}: labels and index are not supported; "
                                  "only the reduction of the whole array")
    a = _lib.prepare(input)
    if a.size == 0:
        raise ValueError(f"segstack.ndi.{name}: empty input")
    out = _lib._dbl()
    nd, shp = _lib.shape_of(a)
    _lib.call(_lib.reduce, (a.ctypes.data, _lib.dtype_name(a.dtype), nd, shp, op, _lib.ctypes.addressof(out)), a.size)
    return a, out.value


def maximum(input, labels=None, index=None):
    """scipy.ndimage.maximum of the whole array (a scalar of its dtype)."""
    a, v = _reduce("maximum", 0, input, labels, index)
    return a.dtype.type(v)


def minimum(input, labels=None, index=None):
    """scipy.ndimage.minimum of the whole array (a scalar of its dtype)."""
    a, v = _reduce("minimum", 1, input, labels, index)
    return a.dtype.type(v)


def sum_labels(input, labels=None, index=None):
    """scipy.ndimage.sum_labels of the whole array, accumulated in float64
    (an int for integer input)."""
    a, v = _reduce("sum_labels", 2, input, labels, index)
    if a.dtype.kind in "iub":
        return int(v)
    return v


sum = sum_labels  # scipy.ndimage.sum, the older name


def mean(input, labels=None, index=None):
    """scipy.ndimage.mean of the whole array, computed in float64."""
    _, v = _reduce("mean", 3, input, labels, index)
    return v
