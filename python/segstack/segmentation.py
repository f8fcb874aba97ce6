"""skimage.segmentation-named functions computed by segstack's Go kernels."""

from __future__ import annotations

import itertools
import numbers

import numpy as np

from . import _lib, ndi
from .morphology import _conn

__all__ = ["watershed"]


def _neighbour_slices(shape, conn):
    """For each neighbour offset of generate_binary_structure(ndim, conn),
    the pair of slices (here, there) such that a[there] is the neighbour of
    a[here] at that offset."""
    out = []
    for d in itertools.product((-1, 0, 1), repeat=len(shape)):
        k = sum(map(abs, d))
        if k == 0 or k > conn:
            continue
        here = tuple(slice(max(-o, 0), n - max(o, 0)) for o, n in zip(d, shape))
        there = tuple(slice(max(o, 0), n - max(-o, 0)) for o, n in zip(d, shape))
        out.append((here, there))
    return out


def _local_minima(a, conn):
    """skimage.morphology.local_minima(a, connectivity=conn) (scikit-image
    0.26, allow_borders=True): the plateaus (connected sets of equal
    values) all of whose neighbours are greater; a plateau at the image's
    maximum never is one (scikit-image compares the border against the
    image's extreme value, so a constant image has no minimum)."""
    nb = _neighbour_slices(a.shape, conn)
    lower = np.zeros(a.shape, bool)
    for here, there in nb:
        lower[here] |= a[there] < a[here]
    cand = ~lower
    # Two neighbouring candidates have equal values (else one would have a
    # lower neighbour): the connected sets of candidates are plateaus, and
    # one is a minimum unless it meets an equal pixel that is no candidate.
    spoilt = np.zeros(a.shape, bool)
    for here, there in nb:
        spoilt[here] |= (a[there] == a[here]) & lower[there]
    lab, n = ndi.label(cand, structure=_structure(a.ndim, conn))
    keep = np.ones(n + 1, bool)
    keep[0] = False
    keep[np.unique(lab[spoilt & cand])] = False
    minima = keep[lab]
    minima &= a != a.max()
    return minima


def _structure(ndim, conn):
    d = np.indices((3,) * ndim) - 1
    return np.abs(d).sum(axis=0) <= conn


def watershed(image, markers=None, connectivity=1, offset=None, mask=None, compactness=0, watershed_line=False):
    """skimage.segmentation.watershed (scikit-image 0.26) of a 2-D or 3-D
    image from a markers array, with its flooding order, ties included; the
    image is compared in float32 (float64 images are rounded to float32).
    The labels are int32 (scikit-image returns the markers' integer type).

    ``markers=None`` floods from the image's local minima (within ``mask``),
    each connected set of them one marker numbered in raster order, as
    scikit-image does; the minima are found on the image as given. A number
    of markers, ``offset``, ``compactness`` and ``watershed_line`` are not
    supported."""
    if markers is not None and np.isscalar(markers):
        raise NotImplementedError("segstack.segmentation.watershed: markers must be a label array or None "
                                  "(a number of markers on a regular grid is not supported)")
    if offset is not None or compactness or watershed_line:
        raise NotImplementedError("segstack.segmentation.watershed: offset, compactness and watershed_line "
                                  "are not supported")
    image = np.asarray(image)
    a = _lib.prepare(image)
    if a.ndim not in (2, 3):
        raise _lib.SegstackValueError(f"watershed: {a.ndim}-D images are not supported (want 2 or 3 dimensions)")
    if markers is None:
        if not isinstance(connectivity, numbers.Integral):
            raise NotImplementedError("segstack.segmentation.watershed: markers=None needs an integer connectivity")
        _conn(connectivity, a.ndim, "watershed")  # says what is wrong with it
        k = int(connectivity)
        if a.size == 0:
            markers = np.zeros(a.shape, np.int32)
        else:
            seeds = _local_minima(image, k)
            if mask is not None:
                mk0 = np.asarray(mask)
                if mk0.shape != a.shape:
                    raise ValueError(f"mask (shape {mk0.shape}) must have same shape as image (shape {a.shape})")
                seeds &= mk0.astype(bool)
            markers = ndi.label(seeds, structure=_structure(a.ndim, k))[0]
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
