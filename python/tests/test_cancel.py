"""Ctrl-C (SIGINT) cancels a running call: the library stops and the caller
gets KeyboardInterrupt, having done far less work than the whole call
takes, and only once the library has let go of the arrays (a later call,
after the arrays are freed, runs normally)."""

import os
import signal
import subprocess
import sys
import time

CHILD = r"""
import signal, sys, time
# A shell that starts a job in the background without job control (nohup
# ... &, some CI runners) makes it ignore SIGINT, and Python then installs
# no KeyboardInterrupt handler: install it, as an interactive session has.
signal.signal(signal.SIGINT, signal.default_int_handler)
import numpy as np
import segstack
from segstack import ndi
a = np.random.default_rng(0).random((24, 512, 512)).astype(np.float32)
# A wide kernel on a stack made deep enough that one call takes at least a
# second here, so that an interrupt 1/5 of the way in stands out from the
# delays of a loaded machine.
for _ in range(6):
    t0, c0 = time.perf_counter(), time.process_time()
    ndi.gaussian_filter(a, 12)
    full, fullcpu = time.perf_counter() - t0, time.process_time() - c0
    if full >= 1.0:
        break
    a = np.concatenate([a, a])
# Time the full call again, warm as the interrupted one will be: the first
# call on a new size also pays for fresh memory, and measured against it a
# call that ran to the end could pass for one cut short.
t0, c0 = time.perf_counter(), time.process_time()
ndi.gaussian_filter(a, 12)
full, fullcpu = time.perf_counter() - t0, time.process_time() - c0
print("full", full, fullcpu, flush=True)
print("ready", flush=True)
t0, c0 = time.perf_counter(), time.process_time()
try:
    ndi.gaussian_filter(a, 12)
    print("finished", time.perf_counter() - t0, time.process_time() - c0, flush=True)
except KeyboardInterrupt:
    print("interrupted", time.perf_counter() - t0, time.process_time() - c0, flush=True)
# The cancelled call's output is freed by now; free its input too and map
# fresh memory of the same size: a library still writing would crash this
# process or scribble on the zeros.
shape = a.shape
del a
b = np.zeros(shape, np.float32)
time.sleep(0.2)
print("after", int(ndi.label(b[0] == 0)[1]), int(np.count_nonzero(b)), flush=True)
"""


def test_sigint_cancels_a_running_call():
    env = dict(os.environ)
    p = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True, env=env)
    _, full, fullcpu = p.stdout.readline().split()
    full, fullcpu = float(full), float(fullcpu)
    assert p.stdout.readline().strip() == "ready"
    time.sleep(full / 5)
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=120)
    lines = out.split("\n")
    kind, took, cpu = lines[0].split()
    assert kind == "interrupted", out
    # CPU seconds, not wall time: on a loaded machine the wall clock of
    # either call says little about how much of the work was done.
    assert float(cpu) < 0.75 * fullcpu, (took, cpu, full, fullcpu)
    assert lines[1] == "after 1 0"
