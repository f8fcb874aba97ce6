#!/usr/bin/env python3
"""Fixtures for kernels.EDT, the binary morphology, FillHoles and the small
object / hole removal, made with scipy.ndimage and scikit-image.

    python3 kernels/testdata/make_edt_morph.py

writes edt_morph_cases.json and edt_morph_data.bin beside this script. The
blob holds every case's input mask (uint8) and expected output (uint8 masks,
or the distance as float32: scipy's float64 value rounded). Debian's
python3 (scipy 1.10, scikit-image 0.19) and a current scikit-image (0.26,
where min_size / area_threshold are deprecated in favour of the inclusive
max_size = min_size - 1) write identical files.
"""
import json
import os
import warnings

import numpy as np
from scipy import ndimage as ndi
import skimage
from skimage import morphology

HERE = os.path.dirname(os.path.abspath(__file__))
SK_MAJOR_MINOR = tuple(int(p) for p in skimage.__version__.split(".")[:2])

rng = np.random.default_rng(20261206)
blob = bytearray()
cases = []


def put(arr):
    off = len(blob)
    blob.extend(np.ascontiguousarray(arr).tobytes())
    return off


def as3(a):
    return a.reshape((1,) + a.shape) if a.ndim == 2 else a


def mask(shape, p):
    m = (rng.random(shape) < p).astype(np.uint8)
    # Non-zero values other than 1 count as foreground too.
    m[m != 0] = rng.integers(1, 255, size=int(m.sum()), dtype=np.uint8)
    return m


def remove_small_objects(m, n, conn):
    if SK_MAJOR_MINOR >= (0, 26):
        return morphology.remove_small_objects(m.astype(bool), max_size=n - 1, connectivity=conn)
    return morphology.remove_small_objects(m.astype(bool), min_size=n, connectivity=conn)


def remove_small_holes(m, n, conn):
    if SK_MAJOR_MINOR >= (0, 26):
        return morphology.remove_small_holes(m.astype(bool), max_size=n - 1, connectivity=conn)
    return morphology.remove_small_holes(m.astype(bool), area_threshold=n, connectivity=conn)


# Distance transform.
edt_inputs = []
for shape, p in [((17, 23), 0.8), ((40, 31), 0.95), ((1, 50), 0.9), ((33, 1), 0.7),
                 ((6, 9, 11), 0.85), ((12, 10, 7), 0.97), ((3, 20, 25), 0.9)]:
    edt_inputs.append(mask(shape, p))
edt_inputs.append(np.ones((5, 7), np.uint8))          # no background at all
edt_inputs.append(np.ones((3, 4, 5), np.uint8))
one_zero = np.ones((9, 13), np.uint8)
one_zero[4, 6] = 0
edt_inputs.append(one_zero)
for m in edt_inputs:
    samplings = [None, (1.0, 1.0, 1.0)[: m.ndim]]
    samplings += [(0.7, 1.3)] if m.ndim == 2 else [(2.5, 0.7, 1.3), (4.0, 1.0, 1.0)]
    for s in samplings:
        d = ndi.distance_transform_edt(m, sampling=s)
        samp = [0.0, 0.0, 0.0] if s is None else ([0.0] + list(s) if m.ndim == 2 else list(s))
        cases.append({
            "kind": "edt", "shape": list(as3(m).shape), "sampling": samp,
            "input": put(m), "output": put(d.astype(np.float32)),
        })

# Binary morphology: every op, connectivity, iterations and border value.
ops = {
    "erode": ndi.binary_erosion, "dilate": ndi.binary_dilation,
    "open": ndi.binary_opening, "close": ndi.binary_closing,
}
conns = {2: {4: 1, 8: 2}, 3: {6: 1, 18: 2, 26: 3}}
for shape, p in [((13, 17), 0.6), ((16, 16), 0.8), ((5, 7, 9), 0.6), ((4, 6, 5), 0.8)]:
    m = mask(shape, p)
    for conn, c in conns[m.ndim].items():
        st = ndi.generate_binary_structure(m.ndim, c)
        for op, fn in ops.items():
            for it in (1, 2, -1):
                for bv in (0, 1):
                    out = fn(m, structure=st, iterations=it, border_value=bv)
                    cases.append({
                        "kind": op, "shape": list(as3(m).shape), "conn": conn,
                        "iterations": it, "border_value": bv,
                        "input": put(m), "output": put(out.astype(np.uint8)),
                    })

# Hole filling and the small object / hole filters.
for shape, p in [((20, 24), 0.55), ((24, 20), 0.7), ((6, 8, 9), 0.6), ((5, 9, 8), 0.75)]:
    m = mask(shape, p)
    for conn, c in conns[m.ndim].items():
        st = ndi.generate_binary_structure(m.ndim, c)
        out = ndi.binary_fill_holes(m, structure=st)
        cases.append({"kind": "fill-holes", "shape": list(as3(m).shape), "conn": conn,
                      "input": put(m), "output": put(out.astype(np.uint8))})
        for n in (0, 1, 3, 6):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                so = remove_small_objects(m, n, c)
                sh = remove_small_holes(m, n, c)
            cases.append({"kind": "small-objects", "shape": list(as3(m).shape), "conn": conn,
                          "size": n, "input": put(m), "output": put(so.astype(np.uint8))})
            cases.append({"kind": "small-holes", "shape": list(as3(m).shape), "conn": conn,
                          "size": n, "input": put(m), "output": put(sh.astype(np.uint8))})

import scipy  # noqa: E402

with open(os.path.join(HERE, "edt_morph_data.bin"), "wb") as f:
    f.write(bytes(blob))
with open(os.path.join(HERE, "edt_morph_cases.json"), "w") as f:
    json.dump({"scipy": scipy.__version__, "skimage": skimage.__version__, "cases": cases}, f, indent=0)
    f.write("\n")
print(len(cases), "cases,", len(blob), "bytes")
