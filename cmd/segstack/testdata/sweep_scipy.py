#!/usr/bin/python3
"""Shape sweep of the segstack CLI against scipy, on files tifffile writes and
reads (Debian's python3-tifffile, python3-scipy).

    sweep_scipy.py SEGSTACK WORKDIR

For every Z in {1, 2, 3} and Y, X in {1, 2, 3, 7, 8, 15, 16, 17, 63, 64, 65}
(uint8, uint16, int16 and float32 inputs in turn) it writes the stack with
tifffile's defaults (which drop axes of length 1 when choosing the page
shape), runs `segstack gaussian` (2-D), `label` (connectivity 4 and 6,
uint16 and uint32 labels) and `segment` (2d, uint32 labels), reads every
output back with tifffile, and compares it with scipy.ndimage: Gaussian
within float32 rounding, labels exactly. Prints one line per failure and a
closing 'N passed, N failed' line; exits 1 on any failure.
"""
import itertools
import os
import subprocess
import sys

import numpy as np
import scipy.ndimage as ndi
import tifffile

seg, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
rng = np.random.default_rng(5)
dims = [1, 2, 3, 7, 8, 15, 16, 17, 63, 64, 65]
dtypes = [np.uint16, np.uint8, np.int16, np.float32]
passed = failed = 0


def p(name):
    return os.path.join(work, name)


def cli(*args):
    r = subprocess.run([seg, *args, "--force", "-q"], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"segstack {' '.join(args)}: {r.stderr.strip()}")


def unique(planes):
    """Stacks per-plane (labels, n) numbered uniquely across the stack, as
    segstack does by default: each plane offset by the planes before it."""
    out, offset = [], 0
    for lab, n in planes:
        out.append(np.where(lab > 0, lab.astype(np.int64) + offset, 0))
        offset += n
    return np.stack(out)


def check(what, ok):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", what, flush=True)


for i, shape in enumerate(itertools.product([1, 2, 3], dims, dims)):
    dt = dtypes[i % len(dtypes)]
    a = rng.integers(0, 1000, size=shape).astype(dt)
    if dt == np.uint8:
        a = (rng.random(shape) > 0.5).astype(np.uint8) * 200
    # minisblack: a 3-plane stack is planes, not the RGB tifffile would guess
    tifffile.imwrite(p("in.tif"), a, photometric="minisblack")
    what = f"{shape} {np.dtype(dt).name}"
    try:
        cli("gaussian", p("in.tif"), "-o", p("g.tif"), "--sigma", "1")
        g = tifffile.imread(p("g.tif"))
        ref = np.stack([ndi.gaussian_filter(pl.astype(np.float32), 1) for pl in a])
        check(what + " gaussian", g.size == ref.size and np.allclose(g.reshape(ref.shape), ref, rtol=1e-5, atol=1e-3))

        mask = (a > 100).astype(np.uint8) * 255
        tifffile.imwrite(p("m.tif"), mask, photometric="minisblack")
        for conn, ldt in itertools.product(["4", "6"], ["uint16", "uint32"]):
            cli("label", p("m.tif"), "-o", p("l.tif"), "--connectivity", conn, "--label-dtype", ldt)
            lab = tifffile.imread(p("l.tif"))
            if conn == "4":
                want = unique(ndi.label(pl) for pl in mask)
            else:
                want = ndi.label(mask)[0]
            check(f"{what} label {conn} {ldt}", lab.dtype == np.dtype(ldt) and lab.size == want.size
                  and np.array_equal(lab.reshape(want.shape), want))

        cli("segment", p("in.tif"), "-o", p("s.tif"), "--label-dtype", "uint32")
        lab = tifffile.imread(p("s.tif"))
        want = unique(ndi.label(pl > np.float32(0.33) * pl.max()) for pl in ref)
        # A voxel within float32 rounding of the threshold may fall either
        # way; the comparison is exact everywhere else.
        sm = ref
        thr = np.float32(0.33) * sm.reshape(sm.shape[0], -1).max(axis=1)
        near = np.abs(sm - thr[:, None, None]) <= 1e-4 * np.maximum(1, np.abs(thr[:, None, None]))
        check(what + " segment", lab.size == want.size and (near.any() or np.array_equal(lab.reshape(want.shape), want)))
    except Exception as e:  # a failing command is a failed check
        check(f"{what}: {e}", False)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
