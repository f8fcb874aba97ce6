"""Benchmarks of the segstack Python package, in one process:

1. call overhead: the median time of a call on tiny arrays (a 4x4 maximum,
   label and gaussian_filter), next to scipy's;
2. the numpy API vs scipy.ndimage / scikit-image / OpenCV on one plane
   (gaussian_filter, label, maximum, threshold_otsu, regionprops_table), all on
   one core (GOMAXPROCS=1 for segstack, cv2.setNumThreads(1));
3. the tutorial's segmentation (per plane: gaussian_filter, 0.33 of the
   plane's maximum, label) on a (Z, Y, X) stack through segstack.dask vs
   dask + dask_image, on the same LocalCluster.

    GOMAXPROCS=1 SEGSTACK_LIBRARY=... python bench/python/bench_api.py [--size 2048] [--reps 7]

Prints a Markdown table per part; medians of --reps runs.
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np


def median_time(fn, reps, inner=1):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        ts.append((time.perf_counter() - t0) / inner)
    return statistics.median(ts)


def overhead(reps):
    import scipy.ndimage as sndi

    import segstack.ndi as ndi
    a = np.arange(16, dtype=np.float32).reshape(4, 4)
    m = a > 7
    rows = []
    for name, seg, ref in [
        ("maximum 4x4", lambda: ndi.maximum(a), lambda: sndi.maximum(a)),
        ("label 4x4", lambda: ndi.label(m), lambda: sndi.label(m)),
        ("gaussian_filter 4x4", lambda: ndi.gaussian_filter(a, 1), lambda: sndi.gaussian_filter(a, 1)),
    ]:
        for f in (seg, ref):
            f()
        rows.append((name, median_time(seg, reps, 2000) * 1e6, median_time(ref, reps, 2000) * 1e6))
    print("\n## Call overhead (median µs per call, tiny arrays)\n")
    print("| call | segstack µs | scipy µs |")
    print("| --- | ---: | ---: |")
    for r in rows:
        print(f"| {r[0]} | {r[1]:.1f} | {r[2]:.1f} |")


def numpy_api(size, reps):
    import cv2
    import scipy.ndimage as sndi
    import skimage.filters
    import skimage.measure

    import segstack
    from segstack import filters, measure, ndi
    cv2.setNumThreads(1)
    rng = np.random.default_rng(0)
    img = np.zeros((size, size), np.float32)
    img[rng.integers(0, size, size), rng.integers(0, size, size)] = 1
    img = sndi.gaussian_filter(img, 4) + rng.normal(0, 1e-4, img.shape).astype(np.float32)
    img = (img / img.max()).astype(np.float32)
    sm = sndi.gaussian_filter(img, 1)
    mask = sm > 0.33 * sm.max()
    lab, _ = sndi.label(mask)
    mask8 = mask.astype(np.uint8)
    props = ("label", "area", "bbox", "centroid", "intensity_mean")
    cases = [
        ("gaussian_filter σ=1", lambda: ndi.gaussian_filter(img, 1), [
            ("scipy", lambda: sndi.gaussian_filter(img, 1)),
            ("OpenCV GaussianBlur", lambda: cv2.GaussianBlur(img, (9, 9), 1, borderType=cv2.BORDER_REFLECT_101))]),
        ("label (4-conn)", lambda: ndi.label(mask), [
            ("scipy", lambda: sndi.label(mask)),
            ("OpenCV connectedComponents", lambda: cv2.connectedComponents(mask8, connectivity=4, ltype=cv2.CV_32S))]),
        ("maximum", lambda: ndi.maximum(img), [("scipy", lambda: sndi.maximum(img)), ("numpy max", lambda: img.max())]),
        ("threshold_otsu", lambda: filters.threshold_otsu(img), [("scikit-image", lambda: skimage.filters.threshold_otsu(img))]),
        ("regionprops_table", lambda: measure.regionprops_table(lab, img, properties=props),
         [("scikit-image", lambda: skimage.measure.regionprops_table(lab, img, properties=props))]),
    ]
    print(f"\n## numpy API, one {size}x{size} float32 plane, one core (median ms)\n")
    print(f"segstack {segstack.__version__}, SIMD {segstack.info()['simd']}, GOMAXPROCS {segstack.info()['gomaxprocs']}\n")
    print("| function | segstack ms | anchor | anchor ms | anchor / segstack |")
    print("| --- | ---: | --- | ---: | ---: |")
    for name, seg, anchors in cases:
        seg()
        ts = median_time(seg, reps)
        for an, af in anchors:
            af()
            ta = median_time(af, reps)
            print(f"| {name} | {ts * 1e3:.2f} | {an} | {ta * 1e3:.2f} | {ta / ts:.2f} |")


TUTORIAL = """
def run(stack):
    smoothed = gaussian_filter(stack, sigma=[0, 1, 1])
    mask = smoothed > 0.33 * smoothed.max(axis=(1, 2), keepdims=True)
    return dask.compute(*[label(mask[z])[1] for z in range(stack.shape[0])])
"""


def tutorial(shape, chunks, reps):
    import dask
    import dask.array as da
    from dask.distributed import Client, LocalCluster
    import logging
    logging.getLogger("distributed").setLevel(logging.ERROR)
    cluster = LocalCluster(processes=False, n_workers=1, threads_per_worker=os.cpu_count(), dashboard_address=":0")
    client = Client(cluster)
    stack = da.random.default_rng(0).random(shape, chunks=chunks).astype(np.float32).persist()
    res = {}
    for name, imports in [
        ("dask + dask_image", "from dask_image.ndfilters import gaussian_filter\nfrom dask_image.ndmeasure import label"),
        ("segstack.dask", "from segstack.dask.ndfilters import gaussian_filter\nfrom segstack.dask.ndmeasure import label"),
    ]:
        ns = {"dask": dask}
        exec(imports + TUTORIAL, ns)
        counts = ns["run"](stack)
        res[name] = (median_time(lambda: ns["run"](stack), reps), counts)
    client.close()
    cluster.close()
    a, b = res["dask + dask_image"], res["segstack.dask"]
    assert a[1] == b[1], "object counts differ"
    print(f"\n## The tutorial's segmentation, {shape} float32 in chunks {chunks}, one LocalCluster "
          f"(1 worker, {os.cpu_count()} threads), median s\n")
    print("| implementation | seconds | speed-up |")
    print("| --- | ---: | ---: |")
    print(f"| dask + dask_image | {a[0]:.3f} | 1.00 |")
    print(f"| segstack.dask | {b[0]:.3f} | {a[0] / b[0]:.2f} |")
    print(f"\nobjects per plane (equal in both): {[int(n) for n in b[1]][:8]}...")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=2048)
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--stack", default="16,512,512")
    p.add_argument("--chunks", default="1,256,256")
    a = p.parse_args()
    import segstack
    import scipy, skimage, dask, cv2
    import importlib.metadata as md
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, scipy {scipy.__version__}, "
          f"scikit-image {skimage.__version__}, opencv {cv2.__version__}, dask {dask.__version__}, "
          f"dask-image {md.version('dask-image')}, segstack {segstack.__version__}")
    overhead(a.reps)
    numpy_api(a.size, a.reps)
    tutorial(tuple(int(v) for v in a.stack.split(",")), tuple(int(v) for v in a.chunks.split(",")), max(3, a.reps // 2))


if __name__ == "__main__":
    main()
