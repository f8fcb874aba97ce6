#!/usr/bin/python3
"""Reference segmentations for segment's tests, from scipy.ndimage and
scikit-image (Debian's python3-scipy / python3-skimage / python3-tifffile).

Run from this directory:  /usr/bin/python3 reference.py

Inputs:
  blobs_u16.tif, blobs_u8.tif   made here from seeded numpy random blobs
  gen_*.tif                     made by `segstack gen` (committed; read if present)
Outputs (committed, so tests run without Python):
  cases.json                    one entry per case: input, parameters, outputs
  <case>.labels.gz              gzip of the labels, raw little-endian uint32, ZYX
  <case>.stats.csv              regionprops_table of each object (raw intensities),
                                2d labels numbered uniquely across the stack
"""
import glob
import gzip
import json
import os

import numpy as np
import tifffile
from scipy import ndimage as ndi
from skimage.filters import threshold_otsu
from skimage.measure import regionprops_table

REL = 1e-5  # pixels this close (relative) to the threshold may go either way


def blobs(shape, nblobs, seed, dtype, amp, noise):
    rng = np.random.default_rng(seed)
    z, y, x = np.indices(shape, dtype=np.float64)
    vol = np.zeros(shape, np.float64)
    for _ in range(nblobs):
        c = rng.uniform((0, 0, 0), shape)
        r = rng.uniform((0.8, 1.5, 1.5), (2.5, 6.0, 6.0))
        a = rng.uniform(0.4, 1.0) * amp
        d2 = ((z - c[0]) / r[0]) ** 2 + ((y - c[1]) / r[1]) ** 2 + ((x - c[2]) / r[2]) ** 2
        vol = np.maximum(vol, a * np.exp(-d2))
    vol += rng.normal(noise * 3, noise, shape)
    info = np.iinfo(dtype)
    return np.clip(np.rint(vol), info.min, info.max).astype(dtype)


def threshold(sm, how):
    if how.endswith("max"):
        return float(how[:-3]) * float(sm.max())
    if how == "otsu":
        return float(threshold_otsu(sm, nbins=256))
    return float(how)


PROPS = ("label", "area", "bbox", "centroid", "intensity_mean", "intensity_max", "intensity_min")


def stats_rows(labels, raw, plane):
    """Rows of regionprops_table, in its column order, then the plane (2d)."""
    t = regionprops_table(labels, intensity_image=raw.astype(np.float64), properties=PROPS)
    cols = list(t.keys())
    rows = []
    for i in range(len(t["label"])):
        r = [t[c][i].item() for c in cols]
        if plane is not None:
            r.append(plane)
        rows.append(r)
    return cols + (["plane"] if plane is not None else []), rows


def run_case(name, path, vol, mode, sigma, how, conn):
    f = vol.astype(np.float32)
    labels = np.zeros(vol.shape, np.uint32)
    ambiguous = []
    counts = []
    rows = []
    if mode == "2d":
        # segstack's default numbering: each plane in scipy's order, offset
        # by the objects of the planes before it.
        st = ndi.generate_binary_structure(2, 1 if conn == 4 else 2)
        offset = 0
        for z in range(vol.shape[0]):
            sm = ndi.gaussian_filter(f[z], sigma=sigma[-2:], mode="reflect", truncate=4.0)
            t = threshold(sm, how)
            lab, n = ndi.label(sm > np.float32(t), structure=st)
            lab = np.where(lab > 0, lab.astype(np.uint32) + offset, 0).astype(np.uint32)
            offset += int(n)
            labels[z] = lab
            counts.append(int(n))
            for y, x in zip(*np.nonzero(np.abs(sm.astype(np.float64) - t) <= REL * abs(t))):
                ambiguous.append([z, int(y), int(x)])
            cols, r = stats_rows(lab, vol[z], z)
            rows += r
        head = ",".join(cols)
    else:
        st = ndi.generate_binary_structure(3, {6: 1, 18: 2, 26: 3}[conn])
        sm = ndi.gaussian_filter(f, sigma=sigma, mode="reflect", truncate=4.0)
        t = threshold(sm, how)
        lab, n = ndi.label(sm > np.float32(t), structure=st)
        labels[:] = lab
        counts.append(int(n))
        for z, y, x in zip(*np.nonzero(np.abs(sm.astype(np.float64) - t) <= REL * abs(t))):
            ambiguous.append([int(z), int(y), int(x)])
        cols, rows = stats_rows(lab, vol, None)
        head = ",".join(cols)
    with gzip.GzipFile(name + ".labels.gz", "wb", mtime=0) as g:
        g.write(labels.astype("<u4").tobytes())
    with open(name + ".stats.csv", "w") as fh:
        fh.write(head + "\n")
        for r in rows:
            fh.write(",".join(repr(v) if isinstance(v, float) else str(v) for v in r) + "\n")
    return {
        "name": name, "input": path, "shape": list(vol.shape), "mode": mode,
        "sigma": list(sigma), "threshold": how, "connectivity": conn,
        "counts": counts, "labels": name + ".labels.gz", "stats": name + ".stats.csv",
        "ambiguous": ambiguous,
    }


def main():
    os.chdir(os.path.dirname(os.path.abspath(__file__)))
    tifffile.imwrite("blobs_u16.tif", blobs((5, 48, 64), 40, 1, np.uint16, 3000, 40), photometric="minisblack")
    tifffile.imwrite("blobs_u8.tif", blobs((4, 40, 50), 30, 2, np.uint8, 200, 6), photometric="minisblack")
    inputs = ["blobs_u16.tif", "blobs_u8.tif"] + sorted(glob.glob("gen_*.tif"))
    plans = [
        ("2d", (1, 1, 1), "0.33max", 4),
        ("2d", (1, 1, 1), "0.33max", 8),
        ("2d", (1, 1.5, 2), "otsu", 4),
        ("3d", (1, 1, 1), "0.33max", 6),
        ("3d", (1, 1, 1), "0.33max", 18),
        ("3d", (1.5, 1, 1), "0.33max", 26),
        ("3d", (1, 1, 1), "otsu", 6),
    ]
    cases = []
    for path in inputs:
        vol = tifffile.imread(path)
        if vol.ndim == 2:
            vol = vol[None]
        stem = os.path.splitext(path)[0]
        for mode, sigma, how, conn in plans:
            name = "%s_%s_c%d_%s" % (stem, mode, conn, how.replace(".", ""))
            cases.append(run_case(name, path, vol, mode, sigma, how, conn))
    # An absolute threshold, between the background and the blobs.
    vol = tifffile.imread("blobs_u16.tif")
    cases.append(run_case("blobs_u16_2d_c8_v900", "blobs_u16.tif", vol, "2d", (1, 1, 1), "900", 8))
    with open("cases.json", "w") as fh:
        json.dump(cases, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
