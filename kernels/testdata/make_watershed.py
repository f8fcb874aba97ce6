#!/opt/venv/bin/python
"""Regenerate watershed_cases.json and watershed_data.bin.gz.

Run with the current scikit-image (0.26 here), not Debian's 0.19, whose
watershed enters a pixel with its own value instead of max(own, parent's):
    /opt/venv/bin/python kernels/testdata/make_watershed.py

Watershed cases store a float32 image, uint32 markers, an optional uint8 mask
and skimage.segmentation.watershed's labels as little-endian arrays in
watershed_data.bin (gzipped); peak cases store a float32 image, optional uint32 labels
and peak_local_max's coordinates (in the JSON, as (Z, Y, X); 2-D images are
stored with Z = 1). Images are float32 on purpose: scikit-image turns them
into float64 exactly, and peak_local_max compares a float32 image with its
thresholds in float32, as segstack's float32 kernels do. Many images are
small and integer-valued, so that ties of value decide most of the results.
"""
import json
import os

import numpy as np
import skimage
from skimage.feature import peak_local_max
from skimage.segmentation import watershed

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261206)
cases = []
blob = bytearray()


def put(a, dt):
    global blob
    off = len(blob)
    blob += np.ascontiguousarray(a).astype(dt).tobytes()
    return off


def zshape(shape):
    return list(shape) if len(shape) == 3 else [1] + list(shape)


def rand_image(shape, kind):
    if kind == "levels":
        return rng.integers(0, 4, size=shape).astype(np.float32)
    if kind == "halves":
        return (rng.integers(-4, 5, size=shape) / 2).astype(np.float32)
    if kind == "smooth":
        from scipy import ndimage as ndi
        a = ndi.gaussian_filter(rng.random(shape), 2.0)
        return a.astype(np.float32)
    return rng.random(shape).astype(np.float32)


def rand_markers(shape, n, labels):
    m = np.zeros(shape, np.uint32)
    for i in range(n):
        idx = tuple(rng.integers(0, s) for s in shape)
        m[idx] = 1 + (i % labels)
    return m


def add_ws(name, img, markers, mask, conn):
    out = watershed(img, markers.astype(np.int64), connectivity=conn, mask=mask)
    cases.append(dict(
        kind="watershed", name=name, shape=zshape(img.shape),
        connectivity=conn, conn=(CONN2 if img.ndim == 2 else CONN3)[conn],
        image=put(img, "<f4"), markers=put(markers, "<u4"),
        mask=-1 if mask is None else put(mask, "u1"),
        output=put(out, "<u4")))


CONN2 = {1: 4, 2: 8}
CONN3 = {1: 6, 2: 18, 3: 26}

for kind in ["levels", "halves", "smooth", "uniform"]:
    for c, conn in CONN2.items():
        for t in range(12):
            shape = tuple(int(x) for x in rng.integers(1, 24, size=2))
            img = rand_image(shape, kind)
            mk = rand_markers(shape, int(rng.integers(1, 12)), int(rng.integers(1, 6)))
            mask = None
            if t % 3 == 1:
                mask = (rng.random(shape) < 0.8).astype(np.uint8)
            elif t % 3 == 2:
                mask = (rand_image(shape, "smooth") > 0.5).astype(np.uint8)
            add_ws(f"2d/{kind}/conn{conn}/{t}", img, mk, mask, c)
    for c, conn in CONN3.items():
        for t in range(6):
            shape = tuple(int(x) for x in rng.integers(2, 12, size=3))
            img = rand_image(shape, kind)
            mk = rand_markers(shape, int(rng.integers(1, 16)), int(rng.integers(1, 6)))
            mask = None if t % 2 == 0 else (rng.random(shape) < 0.85).astype(np.uint8)
            add_ws(f"3d/{kind}/conn{conn}/{t}", img, mk, mask, c)

# Larger: the watershed on -distance between peaks, the nuclei-splitting use.
from scipy import ndimage as ndi
for t in range(3):
    yy, xx = np.mgrid[:96, :96]
    fg = np.zeros((96, 96), bool)
    for _ in range(8):
        cy, cx, r = rng.integers(10, 86), rng.integers(10, 86), rng.integers(6, 14)
        fg |= (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
    d = ndi.distance_transform_edt(fg).astype(np.float32)
    pk = peak_local_max(d, min_distance=3, labels=ndi.label(fg)[0], exclude_border=False)
    mk = np.zeros(fg.shape, np.uint32)
    mk[tuple(pk.T)] = np.arange(1, len(pk) + 1)
    add_ws(f"2d/nuclei/{t}", -d, mk, fg.astype(np.uint8), 1 + t % 2)


def add_peaks(name, img, md, tabs, trel, eb, num, labels):
    kw = dict(min_distance=md, exclude_border=(eb if eb >= 0 else True))
    if eb == 0:
        kw["exclude_border"] = False
    if tabs is not None:
        kw["threshold_abs"] = tabs
    if trel is not None:
        kw["threshold_rel"] = trel
    if num:
        kw["num_peaks"] = num
    if labels is not None:
        kw["labels"] = labels.astype(np.int64)
    pk = peak_local_max(img, **kw)
    coords = [[0] + [int(v) for v in p] if img.ndim == 2 else [int(v) for v in p] for p in pk]
    cases.append(dict(
        kind="peaks", name=name, shape=zshape(img.shape), image=put(img, "<f4"),
        labels=-1 if labels is None else put(labels, "<u4"),
        min_distance=md, threshold_abs=tabs, threshold_rel=trel,
        exclude_border=eb, num_peaks=num, coords=coords))


def peak_image(shape, kind):
    if kind == "levels":
        return rng.integers(0, 5, size=shape).astype(np.float32)
    if kind == "flat":
        return np.full(shape, 2.5, np.float32)
    a = ndi.gaussian_filter(rng.random(shape), 1.5).astype(np.float32)
    if kind == "quant":
        a = np.round(a * 40).astype(np.float32) / 4
    return a


def peak_labels(shape, kind):
    if kind == "flat":
        lab = np.zeros(shape, np.uint32)
        lab[tuple(slice(1, s - 1) for s in shape)] = 1
        return lab
    fg = ndi.gaussian_filter(rng.random(shape), 2.0) > 0.5
    lab = ndi.label(fg)[0].astype(np.uint32)
    if rng.random() < 0.3:
        lab[lab == 2] = 7  # a gap in the numbering
    return lab


n = 0
for ndim in (2, 3):
    for kind in ["smooth", "levels", "quant", "flat"]:
        for md in [0, 1, 2, 4]:
            for eb in [-1, 0, 2]:
                for opt in range(4):
                    shape = tuple(int(x) for x in rng.integers(8, 32 if ndim == 2 else 13, size=ndim))
                    img = peak_image(shape, kind)
                    tabs = trel = None
                    num = 0
                    labels = None
                    if opt == 1:
                        tabs = float(np.quantile(img, 0.6)) + 0.001
                        num = int(rng.integers(1, 6))
                    elif opt == 2:
                        trel = 0.5
                        labels = peak_labels(shape, kind)
                    elif opt == 3:
                        tabs = float(np.quantile(img, 0.3))
                        trel = 0.3
                        labels = peak_labels(shape, kind)
                        num = int(rng.integers(1, 8)) if n % 2 else 0
                    add_peaks(f"{ndim}d/{kind}/md{md}/eb{eb}/opt{opt}", img, md, tabs, trel, eb, num, labels)
                    n += 1

import gzip
with gzip.GzipFile(os.path.join(HERE, "watershed_data.bin.gz"), "wb", mtime=0) as f:
    f.write(blob)
with open(os.path.join(HERE, "watershed_cases.json"), "w") as f:
    json.dump(dict(generator="make_watershed.py", skimage=skimage.__version__,
                   numpy=np.__version__, cases=cases), f, indent=0)
print(len(cases), "cases,", len(blob), "bytes")
