"""CPU time per call of OpenCV's erode/dilate on one thread, plane by plane
over a 16x1024x1024 uint8 mask, as bench/anchors/kernel_bench.py calls them
(3x3 cross or box, constant 0 border: scipy's border_value=0). The paired
segstack figure is the cpu-ms/op of
`GOMAXPROCS=1 go test ./kernels -run XXX -bench BinaryMorphologyStack`,
run alternately with this script. Binary morphology costs the same
whatever the mask holds, so the two need not share one.

Usage: /usr/bin/python3 bench/results/2026-12-06-morphology-5-opencv-cpu.py
"""
import statistics
import time

import cv2
import numpy as np

cv2.setNumThreads(1)
rng = np.random.default_rng(1)
mask = (rng.random((16, 1024, 1024)) < 0.5).astype(np.uint8)
out = np.empty_like(mask)
for name, fn, shape in [("erode/conn=4", cv2.erode, cv2.MORPH_CROSS),
                        ("dilate/conn=4", cv2.dilate, cv2.MORPH_CROSS),
                        ("erode/conn=8", cv2.erode, cv2.MORPH_RECT),
                        ("dilate/conn=8", cv2.dilate, cv2.MORPH_RECT)]:
    k = cv2.getStructuringElement(shape, (3, 3))

    def run():
        for z in range(mask.shape[0]):
            fn(mask[z], k, dst=out[z], borderType=cv2.BORDER_CONSTANT, borderValue=0)

    run()
    cpu, wall = [], []
    for _ in range(15):
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(10):
            run()
        cpu.append((time.process_time() - c0) / 10 * 1e3)
        wall.append((time.perf_counter() - w0) / 10 * 1e3)
    print(f"opencv {name:14s} cpu-ms/op {statistics.median(cpu):.3f}  wall-ms/op {statistics.median(wall):.3f}")
