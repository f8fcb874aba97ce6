"""skimage.morphology-named functions computed by segstack's Go kernels."""

from __future__ import annotations

import warnings

import numpy as np

from . import _lib
from .ndi import _input

__all__ = ["remove_small_objects", "remove_small_holes"]

_DEPRECATED = object()


def _conn(connectivity, ndim, name):
    k = int(connectivity)
    if ndim == 2 and k in (1, 2):
        return {1: 4, 2: 8}[k]
    if ndim == 3 and k in (1, 2, 3):
        return {1: 6, 2: 18, 3: 26}[k]
    raise ValueError(f"segstack.morphology.{name}: connectivity {connectivity} for a {ndim}-D image "
                     f"(want 1..{ndim}; 2-D and 3-D images only)")


def _min_size(name, old, max_size, oldname):
    """The kernel's minimum size: objects below it are removed."""
    if old is not _DEPRECATED:
        # scikit-image 0.26 passes the deprecated value on as max_size.
        warnings.warn(f"Parameter `{oldname}` is deprecated; use `max_size` (removes objects of at most "
                      f"max_size elements) instead", FutureWarning, stacklevel=3)
        return int(old) + 1
    return int(max_size) + 1


def remove_small_objects(ar, min_size=_DEPRECATED, connectivity=1, *, max_size=64, out=None):
    """skimage.morphology.remove_small_objects (scikit-image 0.26): removes
    the connected components of at most ``max_size`` elements (the
    deprecated ``min_size`` is taken as max_size, as scikit-image 0.26 takes it). A boolean image is
    labelled with ``connectivity``; an integer image holds labels already,
    each label an object, as in scikit-image."""
    a = np.asarray(ar)
    if a.dtype != bool and a.dtype.kind not in "iu":
        raise TypeError("Only bool or integer image types are supported. Got %s." % a.dtype)
    ms = _min_size("remove_small_objects", min_size, max_size, "min_size")
    if out is None:
        out = a.copy()
    elif out is not a:
        out[...] = a
    if a.dtype != bool:
        if a.size and a.min() < 0:
            raise ValueError("Negative value labels are not supported. Try relabeling the input with "
                             "`scipy.ndimage.label` or `skimage.morphology.label`.")
        sizes = np.bincount(a.ravel())
        if len(sizes) == 2:
            warnings.warn("Only one label was provided to `remove_small_objects`. "
                          "Did you mean to use a boolean array?", UserWarning, stacklevel=2)
        small = sizes < ms
        small[0] = False
        out[small[a]] = 0
        return out
    if ms <= 1 or a.size == 0:
        return out
    _, k = _input(a, "remove_small_objects")
    res = np.empty(a.shape, np.uint8)
    _lib.op("remove_small_objects", {"min_size": ms, "conn": _conn(connectivity, a.ndim, "remove_small_objects")},
            [k.view(np.uint8), res], a.size)
    out[...] = res.view(bool)
    return out


def remove_small_holes(ar, area_threshold=_DEPRECATED, connectivity=1, *, max_size=64, out=None):
    """skimage.morphology.remove_small_holes (scikit-image 0.26): fills the
    connected components of background of at most ``max_size`` elements
    (the deprecated ``area_threshold`` taken as max_size, as in 0.26); holes
    touching the image's edge count too, as in scikit-image. Returns a
    boolean image."""
    a = np.asarray(ar)
    if a.dtype != bool and a.dtype.kind not in "iu":
        raise TypeError("Only bool or integer image types are supported. Got %s." % a.dtype)
    if a.dtype != bool:
        warnings.warn("Any labeled images will be returned as a boolean array. Did you mean to use a boolean array?",
                      UserWarning, stacklevel=2)
    if out is not None and out.dtype != bool:
        raise TypeError("out dtype must be bool")
    ms = _min_size("remove_small_holes", area_threshold, max_size, "area_threshold")
    m = a.astype(bool)
    res = np.empty(a.shape, np.uint8)
    if a.size:
        if ms <= 1:
            res[...] = m
        else:
            _lib.op("remove_small_holes", {"min_size": ms, "conn": _conn(connectivity, a.ndim, "remove_small_holes")},
                    [np.ascontiguousarray(m).view(np.uint8), res], a.size)
    if out is None:
        return res.view(bool)
    out[...] = res.view(bool)
    return out
