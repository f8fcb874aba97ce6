#!/usr/bin/python3
"""End-to-end pipeline anchors for bench/compare: TIFF in, TIFF out, per plane

    smoothed  = gaussian(plane as float32, sigma)
    threshold = frac * max(smoothed)
    labels    = label(smoothed > threshold)       # numbered 1..N per plane

done the usual Python ways. Run with Debian's python3:

    pipeline_bench.py --impl scipy|skimage|opencv|dask-delayed|dask-cluster \
        --in IN.tif --out OUT.tif [--sigma 1] [--frac 0.33] [--conn 4] \
        [--dtype auto|uint16|uint32] [--threads 2]

--dtype auto (the default, segstack's default too) writes uint16 labels when
every plane's labels fit, else uint32: each plane comes out as the narrowest
of the two for its own count, and np.stack widens to uint32 if any plane
needs it.

Prints one JSON object: the seconds from just after the imports to the
output file's close (cluster start-up, reading and writing included), and
the peak RSS of this process and, for dask-cluster, of each worker.
"""

import argparse
import json
import os
import sys
import time

T_START = time.perf_counter()

import numpy as np  # noqa: E402
import tifffile  # noqa: E402



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

def ksize(sigma):
    return 2 * int(4.0 * sigma + 0.5) + 1


def threshold_of(smoothed, frac):
    # frac * max in float64, as "0.33 * smoothed.max()" computes it; numpy
    # then compares the float32 data with it rounded to float32.
    return frac * float(smoothed.max())


def label_dtype(dtype, n):
    """The output type of a plane with n labels."""
    if dtype == "auto":
        return np.uint16 if n <= 65535 else np.uint32
    return np.dtype(dtype)


def scipy_plane(plane, sigma, frac, conn, dtype):
    from scipy import ndimage as ndi
    sm = ndi.gaussian_filter(plane.astype(np.float32), sigma=sigma, mode="reflect",
                             truncate=4.0, output=np.float32)
    st = ndi.generate_binary_structure(2, 1 if conn == 4 else 2)
    lab, n = ndi.label(sm > threshold_of(sm, frac), structure=st)
    return lab.astype(label_dtype(dtype, n), copy=False)


def skimage_plane(plane, sigma, frac, conn, dtype):
    from skimage import filters, measure
    sm = filters.gaussian(plane.astype(np.float32), sigma=sigma, mode="reflect",
                          truncate=4.0, preserve_range=True, channel_axis=None)
    lab, n = measure.label(sm > threshold_of(sm, frac), connectivity=1 if conn == 4 else 2,
                           return_num=True)
    return lab.astype(label_dtype(dtype, n), copy=False)


def opencv_plane(plane, sigma, frac, conn, dtype):
    import cv2
    k = ksize(sigma)
    sm = cv2.GaussianBlur(plane.astype(np.float32), (k, k), sigmaX=sigma, sigmaY=sigma,
                          borderType=cv2.BORDER_REFLECT)
    mask = (sm > threshold_of(sm, frac)).view(np.uint8)
    n, lab = cv2.connectedComponents(mask, connectivity=conn, ltype=cv2.CV_32S)
    return lab.astype(label_dtype(dtype, n - 1), copy=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--impl", required=True)
    ap.add_argument("--in", dest="inp", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--sigma", type=float, default=1.0)
    ap.add_argument("--frac", type=float, default=0.33)
    ap.add_argument("--conn", type=int, default=4)
    ap.add_argument("--dtype", default="auto")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    args = (a.sigma, a.frac, a.conn, a.dtype)

    imported = time.perf_counter()
    cluster = client = None
    workers_rss = None
    if a.impl in ("scipy", "skimage"):
        fn = scipy_plane if a.impl == "scipy" else skimage_plane
        stack = tifffile.imread(a.inp)
        out = np.stack([fn(stack[z], *args) for z in range(stack.shape[0])])
    elif a.impl == "opencv":
        import cv2
        cv2.setNumThreads(a.threads)
        stack = tifffile.imread(a.inp)
        out = np.stack([opencv_plane(stack[z], *args) for z in range(stack.shape[0])])
    elif a.impl == "dask-delayed":
        import dask
        stack = tifffile.imread(a.inp)
        tasks = [dask.delayed(scipy_plane)(stack[z], *args) for z in range(stack.shape[0])]
        out = np.stack(dask.compute(*tasks, scheduler="threads", num_workers=a.threads))
    elif a.impl == "dask-cluster":
        from distributed import Client, LocalCluster
        cluster = LocalCluster(n_workers=a.threads, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
        stack = tifffile.imread(a.inp)
        futs = [client.submit(scipy_plane, stack[z], *args, pure=False)
                for z in range(stack.shape[0])]
        out = np.stack(client.gather(futs))
    else:
        raise SystemExit("unknown implementation %r" % a.impl)
    tifffile.imwrite(a.out, out, photometric="minisblack")
    seconds = time.perf_counter() - imported

    if client is not None:
        workers_rss = sorted(client.run(peak_rss_mib).values())
        client.close()
        cluster.close()
    doc = {
        "impl": a.impl,
        "seconds": seconds,
        "import_s": imported - T_START,
        "planes": int(out.shape[0]),
        "objects": int(sum(int(out[z].max()) for z in range(out.shape[0]))),
        "self_peak_rss_mb": peak_rss_mib(),
    }
    if workers_rss is not None:
        doc["worker_peak_rss_mb"] = workers_rss
    json.dump(doc, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
