"""Ctrl-C (SIGINT) cancels a running call: the library stops and the caller
gets KeyboardInterrupt, long before the call would have finished."""

import os
import signal
import subprocess
import sys
import time

CHILD = r"""
import sys, time
import numpy as np
import segstack
from segstack import ndi
a = np.random.default_rng(0).random((24, 512, 512)).astype(np.float32)
t0 = time.perf_counter()
ndi.gaussian_filter(a, 12)  # a wide kernel: seconds of work
full = time.perf_counter() - t0
print("full", full, flush=True)
print("ready", flush=True)
t0 = time.perf_counter()
try:
    ndi.gaussian_filter(a, 12)
    print("finished", time.perf_counter() - t0, flush=True)
except KeyboardInterrupt:
    print("interrupted", time.perf_counter() - t0, flush=True)
# the library still works after a cancelled call
print("after", int(ndi.label(a[0] > 0.5)[1] > 0), flush=True)
"""


def test_sigint_cancels_a_running_call():
    env = dict(os.environ)
    p = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True, env=env)
    full = float(p.stdout.readline().split()[1])
    assert p.stdout.readline().strip() == "ready"
    time.sleep(min(0.2, full / 5))
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=120)
    lines = out.split("\n")
    kind, took = lines[0].split()
    assert kind == "interrupted", out
    assert float(took) < 0.6 * full, (took, full)
    assert lines[1] == "after 1"
