"""No memory leak over 10,000 calls: Python allocations (tracemalloc) and the
process's resident set stay flat."""

import gc
import tracemalloc

import numpy as np

import segstack
from segstack import filters, measure, ndi


def _rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _calls(a, m, lab):
    ndi.gaussian_filter(a, 1.0)
    ndi.label(m)
    ndi.maximum(a)
    filters.threshold_otsu(a)
    measure.regionprops_table(lab, a, properties=("label", "area", "centroid", "intensity_mean"))
    ndi.median_filter(a, 3)  # segstack_op with an output array
    ndi.mean(a, lab, [1, 2, 3])  # segstack_op with a result table
    try:
        ndi.uniform_filter(a, 3, mode="bogus")  # segstack_op failing
    except ValueError:
        pass
    try:
        ndi.gaussian_filter(a, -1)
    except ValueError:
        pass


def test_no_leak_over_10000_calls():
    rng = np.random.default_rng(0)
    a = rng.random((32, 32)).astype(np.float32)
    m = a > 0.5
    lab, _ = ndi.label(m)
    stack = (rng.random((2, 32, 32)) * 1000).astype(np.uint16)
    for _ in range(300):  # warm up: caches, Go heap, thread-local buffers
        _calls(a, m, lab)
    for _ in range(20):
        segstack.segment(stack)
    gc.collect()
    tracemalloc.start()
    snap0 = tracemalloc.take_snapshot()
    rss0 = _rss()
    for i in range(10_000):
        _calls(a, m, lab)
        if i % 50 == 0:
            segstack.segment(stack)
    gc.collect()
    snap1 = tracemalloc.take_snapshot()
    rss1 = _rss()
    tracemalloc.stop()
    grown = sum(s.size_diff for s in snap1.compare_to(snap0, "filename"))
    assert grown < 256 * 1024, f"Python allocations grew by {grown} bytes"
    assert rss1 - rss0 < 48 * 1024 * 1024, f"RSS grew by {(rss1 - rss0) / 2**20:.1f} MiB"
