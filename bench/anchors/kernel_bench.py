#!/usr/bin/python3
"""Kernel anchors for bench/compare: the same kernels segstack runs, done the
usual Python ways, timed inside one process.

Run with Debian's python3 (python3-scipy, -skimage, -opencv, -dask,
-distributed). Protocol, shared with bench/cmd/kernelrun:

    kernel_bench.py --impl IMPL --inputs DIR --kernels K1,K2,... \
        [--outdir DIR] [--min-time SECONDS]
    kernel_bench.py --probe

DIR holds input.npy (float32 Z,Y,X), mask2d.npy and mask3d.npy (uint8). With
--outdir each kernel runs once and writes OUTDIR/<kernel>.npy (scalars go in
the JSON) for the harness to check against segstack; without it each kernel
runs once to warm up and then as many times as fill --min-time, and the mean
per call is reported. One JSON object goes to stdout.
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np

# Every kernel the harness knows; an implementation lists those it has.
KERNELS = [
    "gauss2d-s1", "gauss2d-s3", "gauss3d-s1", "gauss3d-s3", "max", "otsu",
    "label2d-c4", "label2d-c8", "label3d-c6", "label3d-c18", "label3d-c26",
    "edt2d", "edt3d",
    "erode2d-c4", "erode2d-c8", "dilate2d-c4", "dilate2d-c8", "erode3d-c6", "dilate3d-c26",
]

MORPH_FAMILIES = ("erode2d", "dilate2d", "erode3d", "dilate3d")



def peak_rss_mib():
    """This process's own peak RSS: VmHWM, which (unlike ru_maxrss) does not
    carry over the high-water mark of the parent that started it."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource as r
    return r.getrusage(r.RUSAGE_SELF).ru_maxrss / 1024.0

def sigma_of(kernel):
    return float(kernel.split("-s")[1])


def conn_of(kernel):
    return int(kernel.split("-c")[1])


def ksize(sigma):
    """Odd window covering scipy's radius int(4*sigma + 0.5)."""
    return 2 * int(4.0 * sigma + 0.5) + 1


# --- scipy.ndimage (and numpy for max) -------------------------------------

def scipy_plane_gauss(plane, sigma):
    from scipy import ndimage as ndi
    return ndi.gaussian_filter(plane, sigma=sigma, mode="reflect", truncate=4.0,
                               output=np.float32)


def scipy_plane_label(mask, conn):
    from scipy import ndimage as ndi
    st = ndi.generate_binary_structure(2, 1 if conn == 4 else 2)
    lab, _ = ndi.label(mask, structure=st)
    return lab


def scipy_kernels():
    from scipy import ndimage as ndi

    def gauss2d(x, s):
        return ndi.gaussian_filter(x, sigma=(0, s, s), mode="reflect", truncate=4.0,
                                   output=np.float32)

    def gauss3d(x, s):
        return ndi.gaussian_filter(x, sigma=s, mode="reflect", truncate=4.0,
                                   output=np.float32)

    def label2d(m, c):
        st = ndi.generate_binary_structure(2, 1 if c == 4 else 2)
        out = np.empty(m.shape, np.int32)
        for z in range(m.shape[0]):
            ndi.label(m[z], structure=st, output=out[z])
        return out

    def label3d(m, c):
        st = ndi.generate_binary_structure(3, {6: 1, 18: 2, 26: 3}[c])
        out = np.empty(m.shape, np.int32)
        ndi.label(m, structure=st, output=out)
        return out

    def edt2d(m):
        out = np.empty(m.shape, np.float32)
        for z in range(m.shape[0]):
            out[z] = ndi.distance_transform_edt(m[z])
        return out

    def morph(fn, m, c, planes):
        if planes:
            st = ndi.generate_binary_structure(2, 1 if c == 4 else 2)
            out = np.empty(m.shape, np.uint8)
            for z in range(m.shape[0]):
                out[z] = fn(m[z], structure=st)
            return out
        st = ndi.generate_binary_structure(3, {6: 1, 18: 2, 26: 3}[c])
        return fn(m, structure=st).astype(np.uint8)

    return {"gauss2d": gauss2d, "gauss3d": gauss3d, "max": lambda x: np.max(x),
            "label2d": label2d, "label3d": label3d,
            "edt2d": edt2d, "edt3d": lambda m: ndi.distance_transform_edt(m).astype(np.float32),
            "erode2d": lambda m, c: morph(ndi.binary_erosion, m, c, True),
            "dilate2d": lambda m, c: morph(ndi.binary_dilation, m, c, True),
            "erode3d": lambda m, c: morph(ndi.binary_erosion, m, c, False),
            "dilate3d": lambda m, c: morph(ndi.binary_dilation, m, c, False)}


# --- scikit-image ----------------------------------------------------------

def skimage_kernels():
    from skimage import filters, measure

    def gauss(x, sig):
        return filters.gaussian(x, sigma=sig, mode="reflect", truncate=4.0,
                                preserve_range=True, channel_axis=None)

    def label2d(m, c):
        out = np.empty(m.shape, np.int64)
        for z in range(m.shape[0]):
            out[z] = measure.label(m[z], connectivity=1 if c == 4 else 2, background=0)
        return out

    def label3d(m, c):
        return measure.label(m, connectivity={6: 1, 18: 2, 26: 3}[c], background=0)

    return {
        "gauss2d": lambda x, s: gauss(x, (0, s, s)),
        "gauss3d": lambda x, s: gauss(x, s),
        "otsu": lambda x: filters.threshold_otsu(x, nbins=256),
        "label2d": label2d,
        "label3d": label3d,
    }


# --- OpenCV ----------------------------------------------------------------

def opencv_kernels(threads):
    import cv2
    cv2.setNumThreads(threads)

    def gauss2d(x, s):
        out = np.empty_like(x)
        k = ksize(s)
        for z in range(x.shape[0]):
            cv2.GaussianBlur(x[z], (k, k), sigmaX=s, sigmaY=s, dst=out[z],
                             borderType=cv2.BORDER_REFLECT)
        return out

    def vmax(x):
        return max(cv2.minMaxLoc(x[z])[1] for z in range(x.shape[0]))

    def label2d(m, c):
        out = np.empty(m.shape, np.int32)
        for z in range(m.shape[0]):
            cv2.connectedComponents(m[z], out[z], connectivity=c, ltype=cv2.CV_32S)
        return out

    def edt2d(m):
        # DIST_L2 with the precise mask: the exact Euclidean transform.
        out = np.empty(m.shape, np.float32)
        for z in range(m.shape[0]):
            cv2.distanceTransform(m[z], cv2.DIST_L2, cv2.DIST_MASK_PRECISE, dst=out[z])
        return out

    def morph(fn, m, c):
        # scipy's border_value=0: a constant 0 border (OpenCV's default
        # border for erosion is +inf, which would keep edge voxels).
        k = cv2.getStructuringElement(cv2.MORPH_RECT if c == 8 else cv2.MORPH_CROSS, (3, 3))
        out = np.empty_like(m)
        for z in range(m.shape[0]):
            fn(m[z], k, dst=out[z], borderType=cv2.BORDER_CONSTANT, borderValue=0)
        return out

    return {"gauss2d": gauss2d, "max": vmax, "label2d": label2d, "edt2d": edt2d,
            "erode2d": lambda m, c: morph(cv2.erode, m, c),
            "dilate2d": lambda m, c: morph(cv2.dilate, m, c)}


# --- dask: the tutorial's two ways, one task per plane ----------------------

def dask_delayed_kernels():
    import dask

    def per_plane(fn, x, *args):
        tasks = [dask.delayed(fn)(x[z], *args) for z in range(x.shape[0])]
        return dask.compute(*tasks)

    return {
        "gauss2d": lambda x, s: np.stack(per_plane(scipy_plane_gauss, x, s)),
        "max": lambda x: max(per_plane(np.max, x)),
        "label2d": lambda m, c: np.stack(per_plane(scipy_plane_label, m, c)),
    }


class Cluster:
    """distributed.LocalCluster(n_workers=2, threads_per_worker=1) + Client."""

    def __init__(self):
        from distributed import Client, LocalCluster
        self.cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                    dashboard_address=None)
        self.client = Client(self.cluster)

    def per_plane(self, fn, x, *args):
        futs = [self.client.submit(fn, x[z], *args, pure=False) for z in range(x.shape[0])]
        return self.client.gather(futs)

    def worker_peak_rss_mb(self):
        return sorted(self.client.run(peak_rss_mib).values())

    def close(self):
        self.client.close()
        self.cluster.close()


def dask_cluster_kernels(cl):
    return {
        "gauss2d": lambda x, s: np.stack(cl.per_plane(scipy_plane_gauss, x, s)),
        "max": lambda x: max(cl.per_plane(np.max, x)),
        "label2d": lambda m, c: np.stack(cl.per_plane(scipy_plane_label, m, c)),
    }


IMPLS = ["scipy", "skimage", "opencv-1t", "opencv-all", "dask-delayed", "dask-cluster"]


def load_impl(name, cl=None):
    if name == "scipy":
        return scipy_kernels(), 1
    if name == "skimage":
        return skimage_kernels(), 1
    if name == "opencv-1t":
        return opencv_kernels(1), 1
    if name == "opencv-all":
        return opencv_kernels(os.cpu_count() or 1), os.cpu_count() or 1
    if name == "dask-delayed":
        return dask_delayed_kernels(), os.cpu_count() or 1
    if name == "dask-cluster":
        return dask_cluster_kernels(cl), 2
    raise SystemExit("unknown implementation %r" % name)


def bind(table, kernel, inputs):
    """Returns a no-argument call for kernel, or None if table lacks it."""
    fam = kernel.split("-")[0]
    fn = table.get(fam)
    if fn is None:
        return None
    if fam in ("gauss2d", "gauss3d"):
        return lambda: fn(inputs("input"), sigma_of(kernel))
    if fam in ("max", "otsu"):
        return lambda: fn(inputs("input"))
    if fam in ("edt2d", "edt3d"):
        return lambda: fn(inputs("mask2d" if fam == "edt2d" else "mask3d"))
    if fam in MORPH_FAMILIES:
        return lambda: fn(inputs("mask2d" if fam.endswith("2d") else "mask3d"), conn_of(kernel))
    return lambda: fn(inputs("mask2d" if fam == "label2d" else "mask3d"), conn_of(kernel))


def probe():
    """Prints which implementations can run here."""
    have = {}
    for name, mod in [("scipy", "scipy.ndimage"), ("skimage", "skimage.filters"),
                      ("opencv-1t", "cv2"), ("opencv-all", "cv2"),
                      ("dask-delayed", "dask"), ("dask-cluster", "distributed")]:
        try:
            __import__(mod)
            have[name] = True
        except Exception as e:  # an absent or broken package
            have[name] = "%s: %s" % (type(e).__name__, e)
    import platform
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    for mod in ["scipy", "skimage", "cv2", "tifffile", "dask", "distributed"]:
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:
            pass
    print(json.dumps({"impls": have, "versions": versions}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--probe", action="store_true")
    ap.add_argument("--impl")
    ap.add_argument("--inputs")
    ap.add_argument("--kernels", default=",".join(KERNELS))
    ap.add_argument("--outdir")
    ap.add_argument("--min-time", type=float, default=0.2)
    a = ap.parse_args()
    if a.probe:
        probe()
        return

    t0 = time.perf_counter()
    cl = Cluster() if a.impl == "dask-cluster" else None
    table, threads = load_impl(a.impl, cl)
    setup = time.perf_counter() - t0

    cache = {}

    def inputs(name):
        if name not in cache:
            cache[name] = np.load(os.path.join(a.inputs, name + ".npy"))
        return cache[name]

    results = []
    for k in a.kernels.split(","):
        call = bind(table, k, inputs)
        if call is None:
            results.append({"kernel": k, "error": "unsupported"})
            continue
        r = {"kernel": k}
        try:
            if a.outdir:
                t = time.perf_counter()
                out = call()
                r["seconds"], r["calls"] = time.perf_counter() - t, 1
                if np.ndim(out) == 0:
                    r["value"] = float(out)
                else:
                    out = np.asarray(out)
                    if k.startswith("gauss") or k.startswith("edt"):
                        out = out.astype(np.float32, copy=False)
                    np.save(os.path.join(a.outdir, k + ".npy"), out)
            else:
                t = time.perf_counter()
                call()
                once = time.perf_counter() - t
                n = max(1, min(100, int(math.ceil(a.min_time / max(once, 1e-9)))))
                t = time.perf_counter()
                for _ in range(n):
                    call()
                r["seconds"], r["calls"] = (time.perf_counter() - t) / n, n
        except Exception as e:
            r["error"] = "%s: %s" % (type(e).__name__, e)
        results.append(r)

    doc = {"impl": a.impl, "threads": threads, "setup_s": setup, "kernels": results}
    if cl is not None:
        doc["worker_peak_rss_mb"] = cl.worker_peak_rss_mb()
        cl.close()
    doc["self_peak_rss_mb"] = peak_rss_mib()
    json.dump(doc, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
