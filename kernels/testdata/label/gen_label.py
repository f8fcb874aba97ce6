#!/usr/bin/python3
"""Generate kernels' labelling fixtures with scipy.ndimage and scikit-image.

Run from this directory with Debian's python (scipy 1.10, scikit-image 0.19):

    /usr/bin/python3 gen_label.py

It writes label_cases.jsonl.gz: one JSON object per line with
  name, shape [Z, Y, X], rank (2: labelled as a 2-D image, 3: as a volume),
  conn (4/8 for rank 2, 6/18/26 for rank 3), n (scipy's object count),
  mask (np.packbits of the flattened boolean mask, base64),
  labels (scipy's labels of the foreground voxels only, in raster order,
          little-endian uint16, base64),
and, for the cases with an intensity image,
  intensity (little-endian float32, base64),
  props (per label, from skimage.measure.regionprops: area, bbox as
         [z0, y0, x0, z1, y1, x1], centroid [z, y, x], intensity_mean,
         intensity_min, intensity_max), and
  ndi (scipy.ndimage.sum / mean / maximum / minimum per label).
"""

import base64
import gzip
import json

import numpy as np
from scipy import ndimage
from skimage import measure

RANK_OF = {4: (2, 1), 8: (2, 2), 6: (3, 1), 18: (3, 2), 26: (3, 3)}


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


def case(name, mask, conn, intensity=None):
    rank, sconn = RANK_OF[conn]
    mask = np.asarray(mask, dtype=bool)
    img = mask if rank == 3 else mask.reshape(mask.shape[-2:])
    if rank == 3 and img.ndim == 2:
        img = img[None]
    st = ndimage.generate_binary_structure(rank, sconn)
    lab, n = ndimage.label(img, structure=st)
    shape = list(mask.shape) if mask.ndim == 3 else [1] + list(mask.shape)
    assert n < 65536
    out = {
        "name": name,
        "shape": shape,
        "rank": rank,
        "conn": conn,
        "n": int(n),
        "mask": b64(np.packbits(mask.ravel())),
        "labels": b64(lab.ravel()[mask.ravel()].astype("<u2")),
    }
    if intensity is not None:
        inten = np.asarray(intensity, dtype=np.float32).reshape(img.shape)
        out["intensity"] = b64(inten.astype("<f4"))
        props = []
        for p in measure.regionprops(lab, intensity_image=inten):
            bb = list(p.bbox)
            cen = list(p.centroid)
            if rank == 2:
                bb = [0, bb[0], bb[1], 1, bb[2], bb[3]]
                cen = [0.0] + cen
            props.append({
                "label": int(p.label),
                "area": int(p.area),
                "bbox": [int(v) for v in bb],
                "centroid": [float(v) for v in cen],
                "mean": float(p.intensity_mean),
                "min": float(p.intensity_min),
                "max": float(p.intensity_max),
            })
        out["props"] = props
        idx = np.arange(1, n + 1)
        out["ndi"] = {
            "sum": [float(v) for v in np.atleast_1d(ndimage.sum(inten, lab, idx))],
            "mean": [float(v) for v in np.atleast_1d(ndimage.mean(inten, lab, idx))],
            "maximum": [float(v) for v in np.atleast_1d(ndimage.maximum(inten, lab, idx))],
            "minimum": [float(v) for v in np.atleast_1d(ndimage.minimum(inten, lab, idx))],
        }
    return out


def blob(rng, shape, sigma, frac=0.5):
    f = ndimage.gaussian_filter(rng.random(shape), sigma)
    return f > np.quantile(f, 1 - frac)


def spiral(n):
    m = np.zeros((n, n), bool)
    y, x, lo, hi = 0, 0, 0, n - 1
    while lo <= hi:
        m[lo, lo:hi + 1] = True
        m[lo:hi + 1, hi] = True
        m[hi, lo:hi + 1] = True
        if lo + 2 <= hi:
            m[lo + 2:hi + 1, lo] = True
            m[lo + 2, lo:lo + 3] = True
        lo += 2
        hi -= 2
    return m


def nested_u(h, w, k):
    m = np.zeros((h, w), bool)
    for i in range(k):
        l, r, b = 3 * i, w - 1 - 3 * i, h - 1 - 2 * i
        if l >= r or b < 0:
            break
        m[:b + 1, l] = True
        m[:b + 1, r] = True
        m[b, l:r + 1] = True
    return m


def main():
    rng = np.random.default_rng(20240601)
    cases = []
    # 2-D
    sizes2 = [(1, 1), (1, 37), (29, 1), (7, 13), (32, 48), (40, 130)]
    for (h, w) in sizes2:
        for d in (0.1, 0.3, 0.5, 0.7, 0.9):
            m = rng.random((h, w)) < d
            for conn in (4, 8):
                cases.append(case("rand2d_%dx%d_d%.1f" % (h, w, d), m, conn))
    for i, sig in enumerate((1.0, 2.0, 3.0)):
        m = blob(rng, (96, 100), sig)
        inten = rng.random((96, 100)).astype(np.float32) * 100
        for conn in (4, 8):
            cases.append(case("blob2d_s%.0f" % sig, m, conn, inten if i == 1 else None))
    pats = {}
    z = np.zeros((20, 70), bool)
    h = z.copy(); h[::2, :] = True; pats["hlines"] = h
    v = z.copy(); v[:, ::2] = True; pats["vlines"] = v
    dg = np.zeros((40, 40), bool); np.fill_diagonal(dg, True); dg |= dg[:, ::-1]; pats["diagonals"] = dg
    adg = np.zeros((30, 70), bool)
    for k in range(0, 100, 4):
        for y in range(30):
            x = k - y
            if 0 <= x < 70:
                adg[y, x] = True
    pats["antidiag_stripes"] = adg
    pats["spiral"] = spiral(41)
    yy, xx = np.mgrid[:33, :67]
    pats["checker"] = (yy + xx) % 2 == 0
    pats["nested_u"] = nested_u(40, 81, 12)
    pats["empty"] = np.zeros((9, 17), bool)
    pats["full"] = np.ones((9, 17), bool)
    pats["single"] = np.ones((1, 1), bool)
    for name, m in pats.items():
        for conn in (4, 8):
            cases.append(case("pat2d_" + name, m, conn))
    # 3-D
    sizes3 = [(5, 9, 11), (1, 6, 7), (3, 1, 7), (2, 1, 1), (1, 1, 5), (4, 20, 70)]
    for s in sizes3:
        for d in (0.1, 0.3, 0.5, 0.7, 0.9):
            m = rng.random(s) < d
            for conn in (6, 18, 26):
                cases.append(case("rand3d_%dx%dx%d_d%.1f" % (s + (d,)), m, conn))
    for i, sig in enumerate((1.0, 1.5)):
        m = blob(rng, (10, 24, 30), sig)
        inten = (rng.random((10, 24, 30)) * 1000 - 200).astype(np.float32)
        for conn in (6, 18, 26):
            cases.append(case("blob3d_s%.1f" % sig, m, conn, inten if i == 0 else None))
    zz, yy, xx = np.mgrid[:5, :9, :11]
    pats3 = {
        "checker3": (zz + yy + xx) % 2 == 0,
        "diag3": (zz == yy) | (zz == xx) | (yy + zz == 8),
        "xy_checker_z_alternating": ((yy + xx) % 2 == 0) ^ (zz % 2 == 1),
        "empty3": np.zeros((3, 4, 5), bool),
        "full3": np.ones((3, 4, 5), bool),
        "single3": np.ones((1, 1, 1), bool),
    }
    for name, m in pats3.items():
        for conn in (6, 18, 26):
            cases.append(case("pat3d_" + name, m, conn))
    text = "".join(json.dumps(c, separators=(",", ":")) + "\n" for c in cases)
    # mtime=0 keeps the file byte-identical from one run to the next.
    with open("label_cases.jsonl.gz", "wb") as raw:
        with gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=9, mtime=0) as f:
            f.write(text.encode("ascii"))
    print("wrote %d cases" % len(cases))


if __name__ == "__main__":
    main()
