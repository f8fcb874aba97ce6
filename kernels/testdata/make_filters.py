#!/usr/bin/python3
"""Regenerate filters_cases.json and filters_data.bin.

Run with Debian's python3 (scipy 1.10, numpy 1.24):
    /usr/bin/python3 kernels/testdata/make_filters.py

Each case runs one scipy.ndimage filter on a small random 2-D or 3-D array
of uint8, uint16 or float32 and stores its input and output as
little-endian arrays in filters_data.bin; the JSON manifest gives the
filter, shape (Z, Y, X; 2-D arrays as Z = 1 with ndim 2), dtypes,
parameters (per-axis lists padded to Z, Y, X) and byte offsets. Outputs
keep the input's dtype (scipy's default) except for the Gaussian
derivative filters, which write float32.
"""
import json
import os

import numpy as np
import scipy.ndimage as ndi

HERE = os.path.dirname(os.path.abspath(__file__))
MODES = ["reflect", "nearest", "mirror", "constant", "wrap",
         "grid-constant", "grid-wrap", "grid-mirror"]
DTYPES = ["uint8", "uint16", "float32"]
rng = np.random.default_rng(20261206)

cases = []
blob = bytearray()


def image(shape, dtype):
    if dtype == "uint8":
        return rng.integers(0, 256, size=shape, dtype=np.uint8)
    if dtype == "uint16":
        return rng.integers(0, 65536, size=shape, dtype=np.uint16)
    return (rng.normal(0, 50, size=shape) + 20).astype(np.float32)


def pad3(seq, ndim, fill):
    seq = list(seq)
    return seq if ndim == 3 else [fill] + seq


def store(arr):
    global blob
    off = len(blob)
    blob += np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
    return off


def shape_for(ndim):
    if ndim == 2:
        return tuple(int(v) for v in rng.integers(1, 9, size=2))
    # segstack filters a volume of one plane as a 2-D image, so 3-D
    # cases have at least two planes.
    return (int(rng.integers(2, 6)),) + tuple(int(v) for v in rng.integers(1, 6, size=2))


def add(func, ndim, dtype, mode, cval=0.0, **p):
    shape = p.pop("shape", None) or shape_for(ndim)
    img = image(shape, dtype)
    kw = dict(mode=mode, cval=cval)
    case = dict(func=func, ndim=ndim, dtype=dtype, mode=mode, cval=cval,
                shape=pad3(shape, ndim, 1))
    if func in ("uniform", "minimum", "maximum", "median"):
        if "footprint" in p:
            fp = p["footprint"]
            kw["footprint"] = fp
            case["fshape"] = pad3(fp.shape, ndim, 1)
            case["footprint"] = [bool(v) for v in fp.ravel()]
        else:
            kw["size"] = p["size"]
            case["size"] = pad3(p["size"], ndim, 1)
        kw["origin"] = p["origin"]
        case["origin"] = pad3(p["origin"], ndim, 0)
        out = getattr(ndi, func + "_filter")(img, **kw)
    elif func in ("correlate1d", "convolve1d"):
        w = p["weights"]
        out = getattr(ndi, func)(img, w, axis=p["axis"], origin=p["origin"], **kw)
        case["weights"] = [float(v) for v in w]
        case["axis"] = p["axis"] + (3 - ndim)
        o = [0] * 3
        o[case["axis"]] = p["origin"]
        case["origin"] = o
    elif func in ("correlate", "convolve"):
        w = p["weights"]
        out = getattr(ndi, func)(img, w, origin=p["origin"], **kw)
        case["weights"] = [float(v) for v in w.ravel()]
        case["wshape"] = pad3(w.shape, ndim, 1)
        case["origin"] = pad3(p["origin"], ndim, 0)
    elif func in ("sobel", "prewitt"):
        out = getattr(ndi, func)(img, axis=p["axis"], **kw)
        case["axis"] = p["axis"] + (3 - ndim)
    elif func == "laplace":
        out = ndi.laplace(img, **kw)
    elif func in ("gaussian_laplace", "gaussian_gradient_magnitude"):
        sig = p["sigma"]
        out = getattr(ndi, func)(img, sig, output=np.float32,
                                 truncate=p["truncate"], **kw)
        case["sigma"] = pad3(sig, ndim, 0.0)
        case["truncate"] = p["truncate"]
    else:
        raise ValueError(func)
    case["out_dtype"] = str(out.dtype)
    case["input"] = store(img)
    case["output"] = store(out)
    case["name"] = "%s/%dd/%s/%s/%d" % (func, ndim, dtype, mode, len(cases))
    cases.append(case)


def cval_for(dtype, mode):
    if mode not in ("constant", "grid-constant"):
        return 0.0
    if dtype == "float32":
        return float(rng.choice([0.0, 1.5, -20.25, 100.0]))
    return float(rng.choice([0, 7, 200]))


def origins(sizes):
    return [int(rng.integers(-(s // 2), (s - 1) // 2 + 1)) for s in sizes]


for ndim in (2, 3):
    for dtype in DTYPES:
        for mode in MODES:
            for _ in range(6):
                for func in ("uniform", "minimum", "maximum", "median"):
                    sizes = [int(v) for v in rng.integers(1, 6, size=ndim)]
                    add(func, ndim, dtype, mode, cval_for(dtype, mode),
                        size=sizes, origin=origins(sizes))
            for func in ("minimum", "maximum", "median"):
                for _ in range(3):
                    fs = [int(v) for v in rng.integers(1, 5, size=ndim)]
                    fp = rng.random(fs) < 0.6
                    fp.ravel()[0] = True
                    add(func, ndim, dtype, mode, cval_for(dtype, mode),
                        footprint=fp, origin=origins(fs))
            # The 3x3 median on planes, on rows long enough for the vector
            # network.
            if ndim == 2:
                add("median", 2, dtype, mode, cval_for(dtype, mode),
                    shape=(5, 77), size=[3, 3], origin=[0, 0])
            for func in ("correlate1d", "convolve1d"):
                for _ in range(3):
                    n = int(rng.integers(1, 6))
                    kind = rng.integers(0, 3)
                    if kind == 0:
                        w = np.round(rng.normal(size=n), 3)
                    elif kind == 1:
                        h = np.round(rng.normal(size=n // 2 + 1), 3)
                        w = np.concatenate([h[:-1], h[-1:], h[:-1][::-1]])[:n] if n % 2 else np.round(rng.normal(size=n), 3)
                    else:
                        h = np.round(rng.normal(size=n // 2), 3)
                        w = np.concatenate([h, [0.0], -h[::-1]]) if n % 2 else np.round(rng.normal(size=n), 3)
                    add(func, ndim, dtype, mode, cval_for(dtype, mode),
                        weights=w, axis=int(rng.integers(0, ndim)),
                        origin=origins([len(w)])[0])
            for func in ("correlate", "convolve"):
                for _ in range(2):
                    ws = [int(v) for v in rng.integers(1, 4, size=ndim)]
                    w = np.round(rng.normal(size=ws), 3)
                    w.ravel()[rng.integers(0, w.size)] = 0.0
                    add(func, ndim, dtype, mode, cval_for(dtype, mode),
                        weights=w, origin=origins(ws))
            for func in ("sobel", "prewitt"):
                add(func, ndim, dtype, mode, cval_for(dtype, mode),
                    axis=int(rng.integers(0, ndim)))
            add("laplace", ndim, dtype, mode, cval_for(dtype, mode))
            for func in ("gaussian_laplace", "gaussian_gradient_magnitude"):
                sig = [float(rng.choice([0.0, 0.5, 1.0, 1.7])) for _ in range(ndim)]
                add(func, ndim, dtype, mode, cval_for(dtype, mode),
                    sigma=sig, truncate=float(rng.choice([2.0, 4.0])))

with open(os.path.join(HERE, "filters_cases.json"), "w") as f:
    json.dump({"cases": cases}, f, separators=(",", ":"))
with open(os.path.join(HERE, "filters_data.bin"), "wb") as f:
    f.write(blob)
print(len(cases), "cases,", len(blob), "bytes")
