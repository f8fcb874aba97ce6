"""segstack.dask.segment: the segmentation pipeline on a dask array."""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np

from .. import filters, ndi
from .._segment import segment as _segment_array
from . import ndfilters, ndmeasure


def _plane_block(block, sigma, threshold, connectivity, numbering):
    r = _segment_array(block, mode="2d", sigma=sigma, threshold=threshold, connectivity=connectivity,
                       labels=numbering)
    return r.labels.reshape(block.shape)


def _count(labels):
    return int(labels.max()) if labels.size else 0


def _offset_block(block, counts, block_id=None):
    off = int(np.sum(counts[: block_id[0]]))
    out = block.copy()
    out[out > 0] += np.uint32(off)
    return out


def segment(darr, *, mode="2d", sigma=1.0, threshold="0.33max", connectivity=None, labels="unique"):
    """Segments a dask array chunk by chunk, as segstack.segment segments a
    numpy array, and returns the labels as a lazy uint32 dask array.

    2-D mode (``darr`` of shape (Z, Y, X) or (Y, X)): the array is rechunked
    to whole planes and each chunk of planes runs the pipeline (Gaussian with
    sigma (Y, X), the threshold of each plane — ``"0.33max"``, ``"otsu"`` or a
    number —, labelling with connectivity 4 or 8); with ``labels="unique"``
    each chunk's labels are offset past the objects of the chunks before it,
    so the numbering is the stack's, as ``segstack segment`` writes it.

    3-D mode: gaussian_filter over the volume (a halo per chunk), the
    threshold of the whole smoothed volume, and labelling across chunks
    numbered as scipy.ndimage.label numbers the volume.
    """
    darr = da.asarray(darr)
    if mode == "2d":
        plane = darr.ndim == 2
        x = darr[None] if plane else darr
        if x.ndim != 3:
            raise ValueError(f"segstack.dask.segment: a {darr.ndim}-D array; want (Y, X) or (Z, Y, X)")
        x = x.rechunk({1: -1, 2: -1})
        numbering = "per-plane" if labels == "per-plane" else "unique"
        lab = x.map_blocks(_plane_block, sigma=sigma, threshold=threshold, connectivity=connectivity,
                           numbering=numbering, dtype=np.uint32, meta=np.empty((0, 0, 0), np.uint32))
        if numbering == "unique" and lab.numblocks[0] > 1:
            counts = [dask.delayed(_count, pure=True)(b) for b in lab.to_delayed().ravel()]
            counts = dask.delayed(np.array, pure=True)(counts)
            lab = lab.map_blocks(_offset_block, counts, dtype=np.uint32, meta=np.empty((0, 0, 0), np.uint32))
        return lab[0] if plane else lab
    if mode != "3d":
        raise ValueError(f"segstack.dask.segment: unknown mode {mode!r} (want 2d or 3d)")
    sm = ndfilters.gaussian_filter(darr.astype(np.float32), sigma)  # smoothed in float32, as segment does
    t = str(threshold).strip().lower()
    if t == "otsu":
        thr = dask.delayed(filters.threshold_otsu, pure=True)(sm)
    elif t.endswith("max"):
        frac = float(t[:-3])
        thr = dask.delayed(lambda m: np.float32(frac * float(m)), pure=True)(sm.max())
    else:
        thr = np.float32(float(t))
    thr = da.from_delayed(dask.delayed(np.float32)(thr), shape=(), dtype=np.float32)
    mask = sm > thr
    st = None
    if connectivity not in (None, 0):
        k = {4: 1, 6: 1, 8: 2, 18: 2, 26: 3}.get(int(connectivity))
        if k is None:
            raise ValueError(f"segstack.dask.segment: connectivity {connectivity} (want 6, 18 or 26 in 3d)")
        st = ndi.generate_binary_structure(darr.ndim, min(k, darr.ndim))
    lab, _ = ndmeasure.label(mask, structure=st)
    return lab.astype(np.uint32)
