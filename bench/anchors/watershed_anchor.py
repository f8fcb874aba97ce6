#!/opt/venv/bin/python
"""Anchor timings for segstack's watershed: scikit-image on the same inputs.

The inputs are the ones kernels' Go benchmarks flood (BenchmarkWatershed):
blurred noise as float and quantised to uint8 levels, and the float field
inside its 0.5 mask, seeded on a grid. Write them (with segstack's labels),
then time and check:

    d=$(mktemp -d)
    SEGSTACK_WATERSHED_BENCH_DIR=$d go test ./kernels -run TestWriteWatershedBench -count 1
    /opt/venv/bin/python bench/anchors/watershed_anchor.py $d

Run it with the current scikit-image (/opt/venv/bin/python): Debian's 0.19
floods by a pixel's own value instead of max(own, parent's) and gives other
labels. Every timing is single-threaded (skimage's watershed is serial) and
is the median of --repeat runs (wall time and CPU time, which a shared
machine disturbs less) of
skimage.segmentation.watershed(image, markers, connectivity, mask) on the
float32 image. Each line says whether the labels equal segstack's.
"""
import argparse
import os
import statistics
import time

import numpy as np
import skimage
from skimage.segmentation import watershed

SHAPES = {"1024x1024": (1024, 1024), "64x256x256": (64, 256, 256)}
KINDS = ["float", "uint8", "masked"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    print(f"# scikit-image {skimage.__version__}, numpy {np.__version__}")
    for name, shape in SHAPES.items():
        conn = 2 if len(shape) == 2 else 3
        for kind in KINDS:
            base = os.path.join(a.dir, f"{kind}_{name}")
            img = np.fromfile(base + ".image.f4", "<f4").reshape(shape)
            mk = np.fromfile(base + ".markers.u4", "<u4").reshape(shape).astype(np.int32)
            mask = None
            if os.path.exists(base + ".mask.u1"):
                mask = np.fromfile(base + ".mask.u1", np.uint8).reshape(shape).astype(bool)
            want = np.fromfile(base + ".segstack.u4", "<u4").reshape(shape)
            out = watershed(img, mk, connectivity=conn, mask=mask)
            same = np.array_equal(out.astype(np.uint32), want)
            times, cpu = [], []
            for _ in range(a.repeat):
                t, c = time.perf_counter(), time.process_time()
                watershed(img, mk, connectivity=conn, mask=mask)
                times.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)
            med = statistics.median(times)
            cmed = statistics.median(cpu)
            c = 8 if len(shape) == 2 else 26
            print(f"skimage/watershed/{kind}/conn={c}/{name} {img.size / med / 1e6:.3f} Mpix/s "
                  f"{cmed * 1e3:.1f} cpu-ms/op equal={same}", flush=True)


if __name__ == "__main__":
    main()
