"""Synthetic nuclei-like stacks for the tests."""

import numpy as np
import scipy.ndimage as sndi


def blobs(rng, shape, n=30, dtype=np.uint16):
    """Bright round objects on a noisy background, as dtype."""
    img = np.zeros(shape, np.float64)
    idx = tuple(rng.integers(0, s, n) for s in shape)
    img[idx] = 1.0
    img = sndi.gaussian_filter(img, 3.0)
    img = img / img.max() * 3000 + rng.normal(200, 30, shape)
    return np.clip(img, 0, None).astype(dtype)
