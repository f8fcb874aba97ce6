#!/usr/bin/python3
"""Anchor timings for segstack's labeller: OpenCV and scipy on the same masks.

The masks are the ones kernels' Go benchmarks label (blurred noise thresholded
at 0.5, about half the voxels set). Write them first, then time:

    mkdir -p /tmp/labelmask
    SEGSTACK_LABEL_MASK_DIR=/tmp/labelmask go test ./kernels -run TestWriteBenchMask -count 1
    /usr/bin/python3 bench/anchors/label_anchor.py /tmp/labelmask

Every timing is single-threaded (cv2.setNumThreads(1); scipy is serial) and
is the median of --repeat runs. Output: one line per case, in the units of the
Go benchmarks (Mpix/s of wall time, and CPU milliseconds per call, which a
shared machine disturbs less), so ratios can be read off directly.
"""

import argparse
import os
import statistics
import sys
import time

import cv2
import numpy as np
from scipy import ndimage

SHAPES = {"2048x2048": (2048, 2048), "64x512x512": (64, 512, 512)}


def load(directory, name):
    path = os.path.join(directory, "labelmask_%s.u8" % name)
    data = np.fromfile(path, dtype=np.uint8)
    return data.reshape(SHAPES[name])


def median_time(fn, repeat):
    """Median wall and CPU (process) seconds of repeat calls."""
    fn()  # warm up caches and lazy initialisation
    wall, cpu = [], []
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def report(name, npix, t, count):
    wall, cpu = t
    print("%-40s %10.3f ms %10.1f Mpix/s %10.3f cpu-ms  n=%d" % (name, wall * 1e3, npix / wall / 1e6, cpu * 1e3, count))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("maskdir")
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--no-scipy-2d", action="store_true", help="skip scipy on the 2-D mask")
    args = ap.parse_args()
    cv2.setNumThreads(1)

    m2 = load(args.maskdir, "2048x2048")
    print("# density 2-D %.3f, OpenCV %s, scipy %s" % (m2.mean(), cv2.__version__, __import__("scipy").__version__))
    for conn in (8, 4):
        n = cv2.connectedComponents(m2, connectivity=conn, ltype=cv2.CV_32S)[0] - 1
        t = median_time(lambda: cv2.connectedComponents(m2, connectivity=conn, ltype=cv2.CV_32S), args.repeat)
        report("cv2.connectedComponents conn=%d 2048x2048" % conn, m2.size, t, n)
    if not args.no_scipy_2d:
        for conn, rank in ((8, 2), (4, 1)):
            st = ndimage.generate_binary_structure(2, rank)
            n = ndimage.label(m2, structure=st)[1]
            t = median_time(lambda: ndimage.label(m2, structure=st), args.repeat)
            report("scipy.ndimage.label conn=%d 2048x2048" % conn, m2.size, t, n)

    m3 = load(args.maskdir, "64x512x512")
    print("# density 3-D %.3f" % m3.mean())
    for conn, rank in ((26, 3), (6, 1), (18, 2)):
        st = ndimage.generate_binary_structure(3, rank)
        n = ndimage.label(m3, structure=st)[1]
        t = median_time(lambda: ndimage.label(m3, structure=st), max(3, args.repeat // 3))
        report("scipy.ndimage.label conn=%d 64x512x512" % conn, m3.size, t, n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
