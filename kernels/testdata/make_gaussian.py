#!/usr/bin/python3
"""Regenerate gaussian_cases.json and gaussian_data.bin.

Run with Debian's python3 (scipy 1.10, numpy 1.24):
    /usr/bin/python3 kernels/testdata/make_gaussian.py

Each case stores its input and scipy.ndimage.gaussian_filter's output
(output=np.float32) as little-endian arrays in gaussian_data.bin; the JSON
manifest gives shape (Z, Y, X), dtype, parameters and byte offsets. 2-D
cases are filtered as 2-D arrays and stored with Z = 1.
"""
import json
import os

import numpy as np
import scipy.ndimage as ndi

HERE = os.path.dirname(os.path.abspath(__file__))
MODES = ["reflect", "nearest", "mirror", "constant", "wrap"]
rng = np.random.default_rng(20261125)


def image(shape, dtype):
    if dtype == "uint8":
        return rng.integers(0, 256, size=shape, dtype=np.uint8)
    if dtype == "uint16":
        return rng.integers(0, 65536, size=shape, dtype=np.uint16)
    # Smooth-ish positive data with structure plus noise, like microscopy.
    a = rng.gamma(2.0, 30.0, size=shape).astype(np.float32)
    return a


cases = []
blob = bytearray()


def add(name, shape, sigma, mode="reflect", truncate=4.0, cval=0.0, dtype="float32"):
    img = image(shape, dtype)
    out = ndi.gaussian_filter(img, sigma=sigma, mode=mode, cval=cval,
                              truncate=truncate, output=np.float32)
    z_shape = list(shape) if len(shape) == 3 else [1] + list(shape)
    sig3 = list(sigma) if len(sigma) == 3 else [0.0] + list(sigma)
    global blob
    in_off = len(blob)
    blob += img.astype(img.dtype.newbyteorder("<")).tobytes()
    out_off = len(blob)
    blob += out.astype("<f4").tobytes()
    cases.append(dict(name=name, shape=z_shape, dtype=dtype, sigma=sig3,
                      mode=mode, truncate=truncate, cval=cval,
                      input=in_off, output=out_off, ndim=len(shape)))


for m in MODES:
    cv = 3.5 if m == "constant" else 0.0
    add(f"2d/{m}/s1", (32, 29), (1.0, 1.0), m, cval=cv)
    add(f"2d/{m}/aniso", (17, 40), (2.0, 0.5), m, cval=cv)
    add(f"2d/{m}/tiny", (5, 7), (3.0, 3.0), m, cval=cv)        # radius 12 > size
    add(f"2d/{m}/zero-y", (20, 21), (0.0, 2.0), m, cval=cv)
    add(f"2d/{m}/zero-x", (20, 21), (1.2, 0.0), m, cval=cv)
    add(f"2d/{m}/one-px-wide", (9, 1), (1.0, 1.0), m, cval=cv)
    add(f"3d/{m}/s1", (8, 13, 10), (1.0, 1.0, 1.0), m, cval=cv)
    add(f"3d/{m}/aniso", (7, 12, 9), (2.0, 0.7, 1.3), m, cval=cv)
    add(f"3d/{m}/planes", (4, 10, 10), (0.0, 1.0, 1.0), m, cval=cv)
    add(f"3d/{m}/z-only", (9, 6, 5), (1.5, 0.0, 0.0), m, cval=cv)
    add(f"3d/{m}/tiny", (3, 4, 5), (3.0, 2.5, 5.0), m, cval=cv)
add("2d/even/s2", (16, 16), (2.0, 2.0))
add("2d/even/s5", (24, 18), (5.0, 5.0), "mirror")
add("2d/wide/s1", (6, 70), (1.0, 1.0))                       # vector tails
add("2d/truncate/2.5", (19, 23), (1.5, 1.5), truncate=2.5)
add("2d/truncate/1.0", (19, 23), (5.0, 3.0), "nearest", truncate=1.0)
add("2d/small-sigma", (11, 12), (0.1, 0.3))                   # radius 0 and 1
add("2d/all-zero-sigma", (6, 5), (0.0, 0.0))
add("2d/uint8", (24, 24), (1.0, 1.0), dtype="uint8")
add("2d/uint16", (15, 33), (2.0, 1.0), "wrap", dtype="uint16")
add("3d/uint16", (5, 11, 12), (1.0, 2.0, 1.0), "nearest", dtype="uint16")
add("3d/uint8/constant", (4, 9, 17), (1.0, 1.0, 1.0), "constant", cval=7.0, dtype="uint8")

with open(os.path.join(HERE, "gaussian_data.bin"), "wb") as f:
    f.write(bytes(blob))
with open(os.path.join(HERE, "gaussian_cases.json"), "w") as f:
    json.dump(dict(generator="scipy.ndimage.gaussian_filter", scipy=__import__("scipy").__version__,
                   numpy=np.__version__, cases=cases), f, indent=1)
print(len(cases), "cases,", len(blob), "bytes")
