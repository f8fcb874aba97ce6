#!/usr/bin/python3
"""Single-thread anchors for the kernels package's Go benchmarks.

Times, on the same shapes and float32 data as kernels/gaussian_bench_test.go:
  cv2.GaussianBlur(img, (k, k), sigma, borderType=cv2.BORDER_REFLECT) with
      cv2.setNumThreads(1) and k = scipy's 2*int(4*sigma+0.5)+1,
  scipy.ndimage.gaussian_filter 2-D and 3-D (output float32),
  numpy max over a 64x512x512 volume,
and prints the median Mpix/s of several runs, one line per case, in the form
"name Mpix/s" so it can sit beside `go test -bench` output.

    /usr/bin/python3 bench/anchors/kernels_anchor.py [runs]
"""
import sys
import time

import cv2
import numpy as np
import scipy.ndimage as ndi

cv2.setNumThreads(1)
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
rng = np.random.default_rng(42)


def median_mpix(fn, pixels, runs=RUNS):
    fn()  # warm up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return pixels / float(np.median(times)) / 1e6


img = (rng.random((2048, 2048)) * 255).astype(np.float32)
vol = (rng.random((64, 512, 512)) * 255).astype(np.float32)
out2 = np.empty_like(img)
out3 = np.empty_like(vol)

for sigma in (1, 3):
    r = int(4.0 * sigma + 0.5)
    k = 2 * r + 1
    name = f"sigma={sigma}/2048x2048"
    mp = median_mpix(lambda: cv2.GaussianBlur(img, (k, k), sigma, borderType=cv2.BORDER_REFLECT), img.size)
    print(f"opencv/GaussianBlur2D/{name} {mp:.1f} Mpix/s", flush=True)
    mp = median_mpix(lambda: ndi.gaussian_filter(img, sigma, output=out2), img.size)
    print(f"scipy/gaussian_filter2D/{name} {mp:.1f} Mpix/s", flush=True)

mp = median_mpix(lambda: ndi.gaussian_filter(vol, 1.0, output=out3), vol.size, runs=max(3, RUNS // 2))
print(f"scipy/gaussian_filter3D/sigma=1/64x512x512 {mp:.1f} Mpix/s", flush=True)
mp = median_mpix(lambda: vol.max(), vol.size)
print(f"numpy/max/64x512x512 {mp:.1f} Mpix/s", flush=True)
