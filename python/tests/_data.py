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


def write_ome_zarr(path, image, labels, name="cells", label_name="nuclei"):
    """An OME-Zarr (NGFF 0.4, one level) holding image and, under labels/,
    labels, written with zarr-python: what the napari reader opens."""
    import zarr

    def multiscales(n):
        return [{"version": "0.4", "name": n, "axes": [{"name": a, "type": "space"} for a in "zyx"],
                 "datasets": [{"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1, 1, 1]}]}]}]

    root = zarr.open_group(str(path), mode="w")
    root.create_array("0", data=image)
    root.attrs["multiscales"] = multiscales(name)
    lg = root.create_group("labels")
    lg.attrs["labels"] = [label_name]
    ng = lg.create_group(label_name)
    ng.create_array("0", data=labels)
    ng.attrs["multiscales"] = multiscales(label_name)
