"""Benchmarks of the segstack Python package against its anchors, in one
process per part:

overhead  the time of one call on a 4x4 array (maximum, label,
          gaussian_filter), segstack.ndi next to scipy.ndimage;
numpy     the numpy API on one square float32 plane next to scipy.ndimage,
          scikit-image and OpenCV (gaussian_filter, label, maximum,
          threshold_otsu, regionprops_table); run it on one core
          (GOMAXPROCS=1: cv2.setNumThreads(1) is set here);
tutorial  the tutorial's segmentation (per plane: gaussian_filter, a
          threshold at 0.33 of the plane's maximum, label) on a (Z, Y, X)
          dask array through segstack.dask and through dask + dask_image,
          the same code with only the import changed, on one LocalCluster.

Each output is checked against its anchor's before anything is timed (the
check is reported; an implementation whose output differs is not timed).
Rounds are interleaved, segstack and its anchors in turn, the order rotated
each round, so that each anchor time pairs with segstack's of the same
round. bench/compare (--python-group) runs this script and folds the JSON it
writes into its report; alone:

    GOMAXPROCS=1 SEGSTACK_LIBRARY=.../libsegstack.so PYTHONPATH=python \\
        python bench/python/bench_api.py --parts overhead,numpy [--size 2048] [--reps 5] [--json out.json]
    SEGSTACK_LIBRARY=... PYTHONPATH=python python bench/python/bench_api.py --parts tutorial \\
        [--stack 16,512,512] [--chunks 1,256,256] [--threads 2]

It prints a Markdown table per part, medians over --reps rounds.
"""

import argparse
import json
import logging
import os
import statistics
import sys
import time

import numpy as np


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def interleave(impls, reps, inner=1):
    """Times every (name, fn) of impls for reps rounds, in turn, the order
    rotated each round; returns {name: [seconds per call, one per round]}."""
    out = {name: [] for name, _ in impls}
    for r in range(reps):
        k = r % len(impls)
        for name, fn in impls[k:] + impls[:k]:
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            out[name].append((time.perf_counter() - t0) / inner)
    return out


def same_partition(a, b):
    """True when the label images a and b mark the same objects (labels may
    be numbered differently)."""
    if not np.array_equal(a > 0, b > 0):
        return False
    pairs = np.unique(np.stack([a[a > 0].astype(np.int64), b[b > 0].astype(np.int64)]), axis=1)
    return len(np.unique(pairs[0])) == len(np.unique(pairs[1])) == pairs.shape[1]


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
        got, want = seg(), ref()
        if isinstance(want, tuple):
            ok = all(np.array_equal(g, w) for g, w in zip(got, want))
        else:
            ok = np.allclose(got, want, rtol=1e-6, atol=0)
        t = interleave([("segstack", seg), ("scipy", ref)], reps, inner=2000)
        rows.append({"case": name, "impl": "segstack", "check": "reference", "ok": True, "seconds": t["segstack"]})
        rows.append({"case": name, "impl": "scipy", "check": "equal" if ok else "MISMATCH", "ok": bool(ok),
                     "seconds": t["scipy"]})
    return rows


def numpy_api(size, reps):
    import scipy.ndimage as sndi
    import skimage.filters
    import skimage.measure

    from segstack import filters, measure, ndi
    try:
        import cv2
        cv2.setNumThreads(1)
    except ImportError:
        cv2 = None
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

    def close(rel):
        def chk(got, want):
            err = float(np.max(np.abs(np.asarray(got, np.float64) - np.asarray(want, np.float64))))
            scale = float(np.max(np.abs(np.asarray(want, np.float64)))) or 1.0
            return err <= rel * scale, f"max difference {err / scale:.1e} of the largest value"
        return chk

    def equal(got, want):
        return bool(np.array_equal(got, want)), "equal"

    def labels_equal(got, want):
        ok = np.array_equal(got[0], want[0]) and int(got[1]) == int(want[1])
        return ok, f"labels and count equal ({int(want[1])} objects)"

    def partition(got, want):
        n, cvlab = want
        ok = int(got[1]) == n - 1 and same_partition(got[0], cvlab)
        return ok, f"same objects ({n - 1}), numbered alike up to a permutation"

    def table(got, want):
        ok = set(got) == set(want) and all(np.allclose(got[k], want[k], rtol=1e-6, atol=0) for k in want)
        return ok, f"every column equal to float32 rounding, 1e-6 ({len(want['label'])} rows)"

    cases = [
        ("gaussian_filter σ=1", lambda: ndi.gaussian_filter(img, 1), [
            ("scipy", lambda: sndi.gaussian_filter(img, 1), close(1e-6)),
            # scipy's "reflect" is OpenCV's BORDER_REFLECT; truncate 4 → 9 taps
            ("OpenCV GaussianBlur", lambda: cv2.GaussianBlur(img, (9, 9), 1, borderType=cv2.BORDER_REFLECT), close(1e-5))]),
        ("label (4-connected)", lambda: ndi.label(mask), [
            ("scipy", lambda: sndi.label(mask), labels_equal),
            ("OpenCV connectedComponents", lambda: cv2.connectedComponents(mask8, connectivity=4, ltype=cv2.CV_32S),
             partition)]),
        ("maximum", lambda: ndi.maximum(img), [("scipy", lambda: sndi.maximum(img), equal),
                                               ("numpy max", lambda: img.max(), equal)]),
        ("threshold_otsu", lambda: filters.threshold_otsu(img),
         [("scikit-image", lambda: skimage.filters.threshold_otsu(img), close(1e-6))]),
        ("regionprops_table (label, area, bbox, centroid, intensity_mean)",
         lambda: measure.regionprops_table(lab, img, properties=props),
         [("scikit-image", lambda: skimage.measure.regionprops_table(lab, img, properties=props), table)]),
    ]
    rows = []
    for name, seg, anchors in cases:
        got = seg()
        impls = [("segstack", seg)]
        checks = {"segstack": ("reference", True)}
        for an, af, chk in anchors:
            if an.startswith("OpenCV") and cv2 is None:
                checks[an] = ("not run: no cv2 module here (pip install opencv-python-headless)", False)
                continue
            ok, msg = chk(got, af())
            checks[an] = (msg if ok else "MISMATCH: " + msg, bool(ok))
            if ok:
                impls.append((an, af))
        t = interleave(impls, reps)
        for an, (msg, ok) in checks.items():
            rows.append({"case": name, "impl": an, "check": msg, "ok": ok, "seconds": t.get(an, [])})
    return rows


TUTORIAL = """
def run(stack):
    smoothed = gaussian_filter(stack, sigma=[0, 1, 1])
    mask = smoothed > 0.33 * smoothed.max(axis=(1, 2), keepdims=True)
    return dask.compute(*[label(mask[z])[1] for z in range(stack.shape[0])])
"""

TUTORIAL_IMPORTS = [
    ("dask + dask_image", "from dask_image.ndfilters import gaussian_filter\nfrom dask_image.ndmeasure import label"),
    ("segstack.dask", "from segstack.dask.ndfilters import gaussian_filter\nfrom segstack.dask.ndmeasure import label"),
]


def tutorial(shape, chunks, reps, threads):
    import dask
    import dask.array as da
    import scipy.ndimage as sndi
    from dask.distributed import Client, LocalCluster
    logging.getLogger("distributed").setLevel(logging.ERROR)
    cluster = LocalCluster(processes=False, n_workers=1, threads_per_worker=threads, dashboard_address=":0")
    client = Client(cluster)
    try:
        stack = da.random.default_rng(0).random(shape, chunks=chunks).astype(np.float32).persist()
        runs, counts = [], {}
        for name, imports in TUTORIAL_IMPORTS:
            ns = {"dask": dask}
            exec(imports + TUTORIAL, ns)
            counts[name] = [int(n) for n in ns["run"](stack)]
            runs.append((name, lambda run=ns["run"]: run(stack)))
        # scipy on the whole stack in memory, as the reference for the counts
        host = stack.compute()
        sm = sndi.gaussian_filter(host, sigma=[0, 1, 1])
        want = [int(sndi.label(p > 0.33 * p.max())[1]) for p in sm]
        t = interleave(runs, reps)
    finally:
        client.close()
        cluster.close()
    rows = []
    for name, _ in TUTORIAL_IMPORTS:
        ok = counts[name] == want
        msg = f"objects per plane equal to scipy's ({sum(want)} in {len(want)} planes)" if ok else \
            f"MISMATCH: objects per plane {counts[name][:6]}..., scipy {want[:6]}..."
        rows.append({"case": "tutorial", "impl": name, "check": msg, "ok": ok, "seconds": t[name] if ok else []})
    return rows


def versions():
    import importlib.metadata as md
    v = {"python": sys.version.split()[0], "numpy": np.__version__}
    for dist in ("scipy", "scikit-image", "opencv-python-headless", "opencv-python", "dask", "distributed", "dask-image"):
        try:
            v[dist] = md.version(dist)
        except md.PackageNotFoundError:
            pass
    return v


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--parts", default="overhead,numpy,tutorial", help="comma-separated: overhead, numpy, tutorial")
    p.add_argument("--size", type=int, default=2048, help="side of the numpy part's square plane")
    p.add_argument("--reps", type=int, default=5, help="timed rounds (medians over these)")
    p.add_argument("--stack", default="16,512,512", help="the tutorial's stack, Z,Y,X")
    p.add_argument("--chunks", default="1,256,256", help="the tutorial's chunks, Z,Y,X")
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="the LocalCluster worker's threads")
    p.add_argument("--json", help="also write the results as JSON to this file")
    a = p.parse_args()
    parts = [s.strip() for s in a.parts.split(",") if s.strip()]
    bad = [s for s in parts if s not in ("overhead", "numpy", "tutorial")]
    if bad:
        p.error(f"unknown parts {bad}")
    import segstack
    info = segstack.info()
    res = {"versions": versions(), "segstack": {"version": segstack.__version__, "simd": info["simd"],
                                                  "gomaxprocs": info.get("gomaxprocs")},
           "size": a.size, "reps": a.reps}
    print(" ".join(f"{k} {v}" for k, v in res["versions"].items()) + f", segstack {segstack.__version__} ({info['simd']})")
    if "overhead" in parts:
        res["overhead"] = overhead(a.reps)
        print("\n## Call overhead (median µs per call on a 4x4 array)\n")
        print("| call | implementation | check | µs |\n| --- | --- | --- | ---: |")
        for r in res["overhead"]:
            print(f"| {r['case']} | {r['impl']} | {r['check']} | {statistics.median(r['seconds']) * 1e6:.1f} |")
    if "numpy" in parts:
        res["numpy"] = numpy_api(a.size, a.reps)
        print(f"\n## numpy API, one {a.size}x{a.size} float32 plane (median ms)\n")
        print("| function | implementation | check | ms |\n| --- | --- | --- | ---: |")
        for r in res["numpy"]:
            ms = f"{statistics.median(r['seconds']) * 1e3:.2f}" if r["seconds"] else "not timed"
            print(f"| {r['case']} | {r['impl']} | {r['check']} | {ms} |")
    if "tutorial" in parts:
        shape = tuple(int(v) for v in a.stack.split(","))
        chunks = tuple(int(v) for v in a.chunks.split(","))
        res["tutorial"] = tutorial(shape, chunks, a.reps, a.threads)
        res["tutorial_stack"], res["tutorial_chunks"], res["tutorial_threads"] = list(shape), list(chunks), a.threads
        print(f"\n## The tutorial's segmentation, {shape} float32 in chunks {chunks}, one LocalCluster "
              f"(1 worker, {a.threads} threads), median s\n")
        print("| implementation | check | seconds |\n| --- | --- | ---: |")
        for r in res["tutorial"]:
            sec = f"{statistics.median(r['seconds']):.3f}" if r["seconds"] else "not timed"
            print(f"| {r['impl']} | {r['check']} | {sec} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
