"""skimage.feature-named functions computed by segstack's Go kernels."""

from __future__ import annotations

import math

import numpy as np

from . import _lib

__all__ = ["peak_local_max"]


def peak_local_max(image, min_distance=1, threshold_abs=None, threshold_rel=None, exclude_border=True,
                   num_peaks=np.inf, footprint=None, labels=None, num_peaks_per_label=np.inf, p_norm=np.inf):
    """skimage.feature.peak_local_max (scikit-image 0.26) for 2-D and 3-D
    images: the (N, ndim) int64 coordinates of the peaks, in scikit-image's
    order. The image is compared in float32 (as scikit-image compares a
    float32 image); ``footprint``, ``num_peaks_per_label`` and a finite
    ``p_norm`` are not supported."""
    if footprint is not None or not math.isinf(num_peaks_per_label) or not math.isinf(p_norm):
        raise NotImplementedError("segstack.feature.peak_local_max: footprint, num_peaks_per_label and p_norm "
                                  "are not supported")
    a = _lib.prepare(image)
    if a.ndim not in (2, 3):
        raise _lib.SegstackValueError(f"peak_local_max: {a.ndim}-D images are not supported (want 2 or 3 dimensions)")
    if a.dtype == bool:
        a = a.view(np.uint8)
    if min_distance < 0:
        raise ValueError("`min_distance` must be a non-negative integer")
    if isinstance(exclude_border, bool):
        eb = -1 if exclude_border else 0
    else:
        eb = int(exclude_border)
        if eb < 0:
            raise ValueError("`exclude_border` cannot be a negative value")
    if threshold_rel == 0:
        # scikit-image raises the threshold to 0 * max = 0.
        threshold_abs = 0.0 if threshold_abs is None else max(float(threshold_abs), 0.0)
        threshold_rel = None
    p = {"min_distance": int(min_distance), "exclude_border": eb,
         "num_peaks": 0 if math.isinf(num_peaks) else int(num_peaks)}
    if threshold_abs is not None:
        p["threshold_abs"] = float(threshold_abs)
    if threshold_rel is not None:
        p["threshold_rel"] = float(threshold_rel)
    lab = None
    if labels is not None:
        lab = _lib.prepare(labels)
        if lab.shape != a.shape:
            raise ValueError("segstack.feature.peak_local_max: labels must have the image's shape")
        if lab.dtype == bool:
            lab = lab.view(np.uint8)
    if a.size == 0 or (p["num_peaks"] == 0 and not math.isinf(num_peaks)):
        return np.empty((0, a.ndim), np.int64)
    t = _lib.op("peak_local_max", p, [a, lab], a.size, result=True)
    cols = ["z", "y", "x"][3 - a.ndim:]
    return np.stack([t[c] for c in cols], axis=1).astype(np.int64).reshape(-1, a.ndim)
