#!/usr/bin/python3
"""CPU time per call of OpenCV's and scipy's distance transform and 3x3 erosion/dilation on one
1024x1024 plane, one thread: the anchor side of the CPU-time table in
bench/results/2026-12-06-edt-morphology.md (segstack's side is go test -bench ... cpu-ms/op)."""
import numpy as np, cv2, time
from scipy import ndimage as ndi
cv2.setNumThreads(1)
rng = np.random.default_rng(1)
f = ndi.uniform_filter(ndi.uniform_filter(rng.random((1024, 1024)).astype(np.float32), 7), 7)
m = (f > 0.5).astype(np.uint8)
def cpu(fn, n):
    fn(); t = time.process_time()
    for _ in range(n): fn()
    return (time.process_time() - t) / n * 1e3
k8 = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)); k4 = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
out = np.empty_like(m)
for name, fn, k in [("erode c4", cv2.erode, k4), ("erode c8", cv2.erode, k8), ("dilate c4", cv2.dilate, k4), ("dilate c8", cv2.dilate, k8)]:
    print("opencv %s cpu-ms/op %.4f" % (name, cpu(lambda: fn(m, k, dst=out, borderType=cv2.BORDER_CONSTANT, borderValue=0), 3000)))
d = np.empty(m.shape, np.float32)
print("opencv edt cpu-ms/op %.2f" % cpu(lambda: cv2.distanceTransform(m, cv2.DIST_L2, cv2.DIST_MASK_PRECISE, dst=d), 20))
print("scipy edt cpu-ms/op %.2f" % cpu(lambda: ndi.distance_transform_edt(m), 5))
