#!/usr/bin/env python3
"""Fixtures for segstack's labelled measurements (kernels/measure*.go).

Run from kernels/testdata with Debian's python3-scipy (1.10) or any later
scipy (the arithmetic of scipy.ndimage._measurements is the same):

    python3 make_measure.py

It writes measure_cases.json (parameters and results, floats as the bits of
their float64 values so that they compare exactly) and measure_data.bin
(labels as little-endian uint32, then the intensities in their dtype, per
case).

minimum_position and maximum_position are taken per label with a scalar
index, the path on which scipy returns the first position in raster order;
its list-index path sorts with an unstable sort and may return another of
several tied voxels.
"""
import json
import struct

import numpy as np
import scipy
import scipy.ndimage as ndi


def bits(values):
    return [struct.unpack("<Q", struct.pack("<d", float(v)))[0] for v in np.ravel(values)]


def blobs(rng, shape, nlab):
    """Labels in blobs (runs along rows) with noise, some labels left out."""
    coarse = rng.integers(0, nlab + 1, size=tuple(max(1, s // 4) for s in shape))
    lab = coarse
    for ax, s in enumerate(shape):
        lab = np.repeat(lab, 4, axis=ax)
        lab = np.take(lab, np.arange(s), axis=ax, mode="clip")
    noise = rng.random(shape) < 0.15
    lab = np.where(noise, rng.integers(0, nlab + 1, size=shape), lab)
    return lab.astype(np.uint32)


def intensity(rng, shape, dtype):
    if dtype == "uint8":
        return rng.integers(0, 8, size=shape).astype(np.uint8)  # many ties
    if dtype == "uint16":
        return rng.integers(0, 65536, size=shape).astype(np.uint16)
    if dtype == "int16":
        return rng.integers(-300, 300, size=shape).astype(np.int16)
    if dtype == "float32":
        v = rng.normal(100, 40, size=shape) * np.where(rng.random(shape) < 0.2, 1e-6, 1)
        return v.astype(np.float32)
    raise ValueError(dtype)


def case(rng, name, shape, dtype, nlab, drop, extra, remap=False):
    lab = blobs(rng, shape, nlab)
    for d in drop:
        lab[lab == d] = 0
    if remap:
        # Large, sparse label values: scipy's np.unique path.
        lab = np.where(lab > 0, lab * 100003, 0).astype(np.uint32)
        drop = [d * 100003 for d in drop]
    img = intensity(rng, shape, dtype)
    present = [int(v) for v in np.unique(lab)]
    index = sorted(set(present) | set(drop) | set(extra))
    index = index + index[1:3]  # duplicates
    idx = np.array(index)
    c = {"name": name, "shape": list((1,) * (3 - len(shape)) + shape), "ndim": len(shape),
         "dtype": dtype, "index": index}
    c["sum"] = bits(ndi.sum_labels(img, lab, idx))
    c["count"] = [int(v) for v in ndi.sum_labels(np.ones(shape), lab, idx)]
    with np.errstate(invalid="ignore", divide="ignore"):
        c["mean"] = bits(ndi.mean(img, lab, idx))
        c["variance"] = bits(ndi.variance(img, lab, idx))
        c["standard_deviation"] = bits(ndi.standard_deviation(img, lab, idx))
        com = np.array(ndi.center_of_mass(img, lab, idx), dtype=np.float64)
    pad = [0] * (3 - len(shape))
    c["center_of_mass"] = [bits(pad + list(p)) for p in com]
    c["minimum"] = bits(ndi.minimum(img, lab, idx))
    c["maximum"] = bits(ndi.maximum(img, lab, idx))
    c["median"] = bits(ndi.median(img, lab, idx))
    mins, maxs, minp, maxp = ndi.extrema(img, lab, idx)
    assert (np.asarray(mins) == ndi.minimum(img, lab, idx)).all()
    pos = {"minimum_position": [], "maximum_position": []}
    for i, l in enumerate(index):
        if l in present:
            p0 = ndi.minimum_position(img, lab, l)
            p1 = ndi.maximum_position(img, lab, l)
        else:
            p0, p1 = minp[i], maxp[i]
        pos["minimum_position"].append(pad + [int(v) for v in p0])
        pos["maximum_position"].append(pad + [int(v) for v in p1])
    c.update(pos)
    hi_lab = int(lab.max())
    if not remap:
        objs = ndi.find_objects(lab)
        c["find_objects"] = [None if o is None else
                             {"lo": pad + [s.start for s in o], "hi": [1] * len(pad) + [s.stop for s in o]}
                             for o in objs]
        c["find_objects_max"] = max(1, hi_lab - 2)
        c["find_objects_limited"] = [None if o is None else
                                     {"lo": pad + [s.start for s in o], "hi": [1] * len(pad) + [s.stop for s in o]}
                                     for o in ndi.find_objects(lab, max_label=c["find_objects_max"])]
    f64 = img.astype(np.float64)
    lo, hi = float(np.percentile(f64, 10)), float(np.percentile(f64, 95))
    bins = 7
    h = ndi.histogram(img, lo, hi, bins, lab, idx)
    c["histogram"] = {"min": bits([lo])[0], "max": bits([hi])[0], "bins": bins,
                      "counts": [None if v is None else [int(x) for x in v] for v in h]}
    c["comprehension"] = bits(ndi.labeled_comprehension(
        img, lab, idx, lambda v: np.float64(v.max()) - np.float64(v.min()), np.float64, -1.5))
    c["comprehension_positions"] = [int(v) for v in ndi.labeled_comprehension(
        img, lab, idx, lambda v, p: p.min() + 7 * len(p), np.int64, -1, pass_positions=True)]
    return c, lab, img


def main():
    rng = np.random.default_rng(20261206)
    cases, blob = [], bytearray()
    specs = [
        ("2d-uint8", (40, 50), "uint8", 12, [5], [0, 30]),
        ("2d-uint16", (33, 47), "uint16", 9, [2, 3], [40]),
        ("2d-float32", (40, 52), "float32", 15, [7], [16, 99]),
        ("2d-int16", (29, 31), "int16", 6, [], [0, 8]),
        ("3d-uint8", (6, 20, 30), "uint8", 20, [4, 11], [0, 25]),
        ("3d-uint16", (5, 17, 23), "uint16", 10, [1], [12]),
        ("3d-float32", (6, 20, 30), "float32", 20, [9], [21]),
        ("3d-int16", (4, 12, 9), "int16", 5, [], []),
        ("3d-uint16-sparse-labels", (4, 16, 20), "uint16", 8, [3], [], True),
        # Several blocks of 65536 voxels: float sums merged block by block.
        ("3d-float32-blocks", (17, 64, 64), "float32", 6, [], [0, 9]),
        ("3d-uint16-blocks", (17, 64, 64), "uint16", 6, [], [0]),
    ]
    for spec in specs:
        name, shape, dtype, nlab, drop, extra = spec[:6]
        remap = len(spec) > 6 and spec[6]
        c, lab, img = case(rng, name, shape, dtype, nlab, drop, extra, remap)
        c["labels"] = len(blob)
        blob += lab.astype("<u4").tobytes()
        c["intensity"] = len(blob)
        blob += img.astype(img.dtype.newbyteorder("<")).tobytes()
        cases.append(c)
    with open("measure_cases.json", "w") as f:
        json.dump({"scipy": scipy.__version__, "numpy": np.__version__, "cases": cases}, f)
    with open("measure_data.bin", "wb") as f:
        f.write(blob)


if __name__ == "__main__":
    main()
