#!/usr/bin/python3
"""Writes fixtures.json: inputs made by the same counter-based generator as
array.Random, and numpy's (and dask's, for chunk layouts) answers for the
operations that array implements. Run with Debian's python3:

    /usr/bin/python3 array/testdata/make_fixtures.py
"""
import json
import os

import dask
import dask.array as da
import numpy as np
from scipy import ndimage

GOLD = np.uint64(0x9E3779B97F4A7C15)


def random(shape, seed):
    """array.Random: SplitMix64 of seed + (i+1)*golden, top 53 bits."""
    n = int(np.prod(shape))
    with np.errstate(over="ignore"):
        i = np.arange(n, dtype=np.uint64)
        z = np.uint64(seed) + (i + np.uint64(1)) * GOLD
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return ((z >> np.uint64(11)).astype(np.float64) * 2.0**-53).reshape(shape)


# Inputs; the Go test builds the same arrays with the chunk shapes noted.
A = random((12, 10), 1)                                   # chunks (5, 4)
B = random((12, 10), 2)                                   # chunks (5, 4)
U16 = (random((12, 10), 3) * 60000).astype(np.uint16)     # chunks (5, 4)
U16B = (random((12, 10), 4) * 60000).astype(np.uint16)    # chunks (4, 3)
I16 = (random((12, 10), 5) * 60000 - 30000).astype(np.int16)
U8 = (random((12, 10), 6) * 256).astype(np.uint8)
F32 = random((12, 10), 7).astype(np.float32)
I32 = (random((12, 10), 8) * 2e6 - 1e6).astype(np.int32)
V3 = random((6, 7, 9), 9)                                 # chunks (4, 3, 5)
I32V = (V3 * 2e6 - 1e6).astype(np.int32)
L1 = random((23,), 10)                                    # chunks (5,)

cases = {
    # element-wise, arrays
    "add": A + B,
    "sub_u16": U16 - U16B,
    "mul_u8": U8 * U8,
    "div_u16": U16 / U16B,
    "add_u8_i16": U8 + I16,
    "add_u16_i16": U16 + I16,
    "mul_f32_u16": F32 * U16,
    "add_f32_i32": F32 + I32,
    "minimum_u16": np.minimum(U16, U16B),
    "maximum": np.maximum(A, B),
    "gt": (A > B).astype(np.uint8),
    "eq_u16": (U16 == U16).astype(np.uint8),
    "le_i16_u8": (I16 <= U8).astype(np.uint8),
    # element-wise, scalars
    "axpy": A * 3 + 1,
    "add_u16_7": U16 + 7,
    "sub_u8_1": U8 - 1,
    "mul_u16_half": U16 * 0.5,
    "mul_f32_half": F32 * 0.5,
    "rsub": 1 - A,
    "rdiv": 2 / (A + 1),
    "div_i16_4": I16 / 4,
    "ge_u16": (U16 >= 30000).astype(np.uint8),
    "lt_f32": (F32 < 0.25).astype(np.uint8),
    # astype
    "astype_i16": (A * 1000 - 500).astype(np.int16),
    "astype_u8": (A * 255).astype(np.uint8),
    "astype_f32": A.astype(np.float32),
    # transposes
    "T": A.T,
    "TT": A.T.T,
    "v3_t102": V3.transpose(1, 0, 2),
    "v3_t201": V3.transpose(2, 0, 1),
    "v3_T": V3.T,
    "v3_swap02": np.swapaxes(V3, 0, 2),
    # slicing
    "s_every2": A[::2],
    "s_every2_from5": A[::2, 5:],
    "s_last3_rev": A[-3:, ::-1],
    "s_1m1_3_rev2": A[1:-1:3, ::-2],
    "s_at3": A[3],
    "s_col_last": A[:, -1],
    "s_v3": V3[1:5, ::2, -4:],
    "s_v3_rev_at": V3[::-2, 3, :],
    "s_v3_point": V3[2, 3, 4],
    "s_v3_neg_step_bounds": V3[4:0:-3, -1:-8:-2, 7:1:-1],
    "s_1d": L1[3:20:4],
    "s_1d_rev": L1[::-3],
    # reductions
    "sum": A.sum(),
    "mean0": A.mean(axis=0),
    "mean1": A.mean(axis=1),
    "std": A.std(),
    "std0": A.std(axis=0),
    "min1": A.min(axis=1),
    "max": A.max(),
    "sum_u16": U16.sum(),
    "sum0_i16": I16.sum(axis=0),
    "mean_u16": U16.mean(),
    "sum1_f32": F32.sum(axis=1),
    "mean_f32": F32.mean(),
    "std_f32": F32.std(),
    "max_u8": U8.max(),
    "v3_sum02": V3.sum(axis=(0, 2)),
    "v3_max1": V3.max(axis=1),
    "v3_std01": V3.std(axis=(0, 1)),
    "v3i_sum2": I32V.sum(axis=2),
    "v3i_min": I32V.min(),
    "v3i_mean12": I32V.mean(axis=(1, 2)),
    "l1_sum": L1.sum(),
}


def enc(a):
    a = np.asarray(a)
    vals = a.ravel().tolist()
    return {"shape": list(a.shape), "dtype": str(a.dtype), "data": vals}


out = {"cases": {k: enc(v) for k, v in cases.items()}}

# Dask's chunk layouts after slicing, for the same input chunks.
dA = da.from_array(A, chunks=(5, 4))
dV = da.from_array(V3, chunks=(4, 3, 5))
out["chunks"] = {
    "s_every2": dA[::2].chunks,
    "s_every2_from5": dA[::2, 5:].chunks,
    "s_last3_rev": dA[-3:, ::-1].chunks,
    "s_1m1_3_rev2": dA[1:-1:3, ::-2].chunks,
    "s_v3": dV[1:5, ::2, -4:].chunks,
    "s_v3_rev_at": dV[::-2, 3, :].chunks,
}

# The tutorial's array cells on our random data.
x = random((100, 100), 0)
y = x + x.T
dx = da.from_array(x, chunks=(10, 10))
dy = dx + dx.T
dz = dy[::2, 50:].mean(axis=1)
out["tutorial"] = {
    "y_every2_shape": list(y[::2].shape),
    "z": y[::2, 50:].mean(axis=1).tolist(),
    "z_chunks": dz.chunks,
    "z_dask_tasks": len(dict(dz.__dask_graph__())),
    "y_sum": float(y.sum()),
    "x_nbytes": int(x.nbytes),
}

# The segmentation exercises: per plane, smooth (sigma 1, float32 as our
# kernels compute), threshold at 0.33 of the plane's max, label.
st = random((10, 100, 100), 0).astype(np.float32)
counts, fg = [], []
for plane in st:
    sm = ndimage.gaussian_filter(plane, sigma=1)
    mask = sm > 0.33 * sm.max()
    _, n = ndimage.label(mask)
    counts.append(int(n))
    fg.append(int(mask.sum()))
# A sparser variant whose labels are less trivial: threshold at 0.9 max.
counts9 = []
for plane in st:
    sm = ndimage.gaussian_filter(plane, sigma=1)
    _, n = ndimage.label(sm > 0.9 * sm.max())
    counts9.append(int(n))
out["segmentation"] = {"labels": counts, "foreground": fg, "labels_0.9": counts9}

# MapOverlap equals the whole-array Gaussian (sigma 1.5, reflect).
g = ndimage.gaussian_filter(random((3, 20, 30), 11).astype(np.float32), sigma=(0, 1.5, 1.5))
out["gaussian"] = enc(g)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
print("wrote", path, os.path.getsize(path), "bytes")
