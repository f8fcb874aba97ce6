#!/usr/bin/python3
"""Regenerate otsu_cases.json and otsu_data.bin.

Run with Debian's python3 (scikit-image 0.19, numpy 1.24):
    /usr/bin/python3 kernels/testdata/make_otsu.py

Each case is a float32 array (little-endian in otsu_data.bin) and the value
skimage.filters.threshold_otsu(image, nbins=256) returns for it, stored as
float32 bits so the comparison is exact.
"""
import json
import os

import numpy as np
import skimage
from skimage.filters import threshold_otsu

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(1125)
cases = []
blob = bytearray()


def add(name, a):
    a = np.asarray(a, dtype=np.float32)
    t = np.float32(threshold_otsu(a, nbins=256))
    global blob
    off = len(blob)
    blob += a.astype("<f4").tobytes()
    cases.append(dict(name=name, n=int(a.size), offset=off,
                      threshold_bits=int(t.view(np.uint32)), threshold=float(t)))


add("normal", rng.normal(100, 20, 5000))
add("bimodal", np.concatenate([rng.normal(30, 5, 3000), rng.normal(90, 12, 2000)]))
add("uniform", rng.random(4096) * 17.25 - 3.0)
add("negative", -rng.gamma(2, 3, 3000))
add("tiny-range", 1.0 + rng.random(2000) * 1e-5)
add("uint8-values", rng.integers(0, 256, 6000))              # many samples on bin edges
add("uint8-low-contrast", rng.integers(40, 60, 3000))
add("uint16-values", rng.integers(0, 4096, 6000))
add("two-values", [3.0, 7.0] * 10)
add("two-values-unbalanced", [0.0] * 97 + [1.0] * 3)
add("constant", [2.5] * 40)
add("single", [42.0])
add("three", [1.0, 2.0, 10.0])
# Samples exactly on the float32 bin edges numpy computes, and one ulp
# either side, to exercise its index corrections.
lo, hi = np.float32(-1.7), np.float32(13.3)
edges = np.linspace(lo, hi, 257, dtype=np.float32)
e = np.concatenate([edges, np.nextafter(edges, np.float32(-np.inf)), np.nextafter(edges, np.float32(np.inf))])
add("bin-edges", np.clip(e, lo, hi))
for k in range(8):
    n = int(rng.integers(50, 3000))
    scale = float(10 ** rng.uniform(-3, 4))
    a = rng.gamma(rng.uniform(0.5, 4), scale, n) + rng.normal(0, scale, 1)[0]
    add(f"random/{k}", a)
smooth = rng.gamma(2, 30, (64, 64)).astype(np.float32)
import scipy.ndimage as ndi
add("smoothed-image", ndi.gaussian_filter(smooth, 1.0))

with open(os.path.join(HERE, "otsu_data.bin"), "wb") as f:
    f.write(bytes(blob))
with open(os.path.join(HERE, "otsu_cases.json"), "w") as f:
    json.dump(dict(generator="skimage.filters.threshold_otsu", skimage=skimage.__version__,
                   numpy=np.__version__, cases=cases), f, indent=1)
print(len(cases), "cases,", len(blob), "bytes")
