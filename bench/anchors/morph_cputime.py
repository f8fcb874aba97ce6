#!/usr/bin/python3
"""CPU time per call of OpenCV's 3x3 binary erosion/dilation, one thread, on the shapes of
kernels' BenchmarkBinaryMorphology: the anchor side of the CPU-time table in
bench/results/2026-12-06-morphology-2.md (segstack's side is go test -bench ... cpu-ms/op).

2-D: cv2.erode/cv2.dilate with MORPH_CROSS / MORPH_RECT 3x3, BORDER_CONSTANT, borderValue=0
(scipy's border rule). 3-D has no OpenCV function; the volume is done as OpenCV would do it:
the 2-D cross (6-connectivity) or box (26) on every plane, then cv2.min/cv2.max with the
planes above and below (the raw planes for the cross, the 2-D results for the box), the
z border being 0 like scipy's. Every output is checked against scipy.ndimage first."""
import sys
import time

import cv2
import numpy as np
from scipy import ndimage as ndi

cv2.setNumThreads(1)
rng = np.random.default_rng(1)


def blobs(shape):
    f = ndi.uniform_filter(rng.random(shape).astype(np.float32), 7)
    return (f > 0.5).astype(np.uint8)


def cpu(fn, n):
    fn()
    t = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - t) / n * 1e3


k8 = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
k4 = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 1000

m2 = blobs((1024, 1024))
out2 = np.empty_like(m2)
for name, fn, k, c, sfn in [("erode", cv2.erode, k4, 1, ndi.binary_erosion), ("erode", cv2.erode, k8, 2, ndi.binary_erosion),
                            ("dilate", cv2.dilate, k4, 1, ndi.binary_dilation), ("dilate", cv2.dilate, k8, 2, ndi.binary_dilation)]:
    run = lambda: fn(m2, k, dst=out2, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    run()
    assert (out2 == sfn(m2, ndi.generate_binary_structure(2, c))).all()
    print("opencv %s conn=%d 1x1024x1024 cpu-ms/op %.4f" % (name, 4 if c == 1 else 8, cpu(run, rounds)))

m3 = blobs((64, 256, 256))
out3 = np.empty_like(m3)
tmp = np.empty_like(m3)


def vol(fn, comb, k, box):
    # Planes through the 2-D operation, then the z neighbours (outside: 0).
    for z in range(m3.shape[0]):
        fn(m3[z], k, dst=tmp[z], borderType=cv2.BORDER_CONSTANT, borderValue=0)
    src = tmp if box else m3
    Z = m3.shape[0]
    zero = np.zeros_like(m3[0])
    for z in range(Z):
        comb(tmp[z], src[z - 1] if z > 0 else zero, dst=out3[z])
        comb(out3[z], src[z + 1] if z < Z - 1 else zero, dst=out3[z])


for name, fn, comb, sfn in [("erode", cv2.erode, cv2.min, ndi.binary_erosion), ("dilate", cv2.dilate, cv2.max, ndi.binary_dilation)]:
    for conn, k, box in [(6, k4, False), (26, k8, True)]:
        run = lambda: vol(fn, comb, k, box)
        run()
        assert (out3 == sfn(m3, ndi.generate_binary_structure(3, 1 if conn == 6 else 3))).all(), (name, conn)
        print("opencv %s conn=%d 64x256x256 cpu-ms/op %.4f" % (name, conn, cpu(run, max(10, rounds // 20))))
