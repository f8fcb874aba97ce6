"""ctypes bindings of libsegstack.so, the C ABI that capi/ builds from the Go code.

Every call passes C-contiguous numpy buffers by pointer (no copy when the input
is already C-contiguous and of a supported dtype), releases the GIL while Go
runs (ctypes does so for CDLL functions) and turns a non-zero return code into
a Python exception carrying the Go message.
"""

from __future__ import annotations

import ctypes
import json
import os
import threading

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
LIBRARY_PATH = os.environ.get("SEGSTACK_LIBRARY") or os.path.join(_HERE, "libsegstack.so")

try:
    lib = ctypes.CDLL(LIBRARY_PATH)
except OSError as e:  # pragma: no cover - only without a built library
    raise ImportError(
        f"segstack: cannot load {LIBRARY_PATH} ({e}); build it with "
        "CGO_ENABLED=1 go build -buildmode=c-shared -o libsegstack.so ./capi "
        "or install a segstack wheel"
    ) from e

_i64 = ctypes.c_int64
_p = ctypes.c_void_p
_s = ctypes.c_char_p
_int = ctypes.c_int
_size = ctypes.c_size_t
_dbl = ctypes.c_double
_P64 = ctypes.POINTER(_i64)
_PD = ctypes.POINTER(_dbl)


def _sig(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


cancel_new = _sig("segstack_cancel_new", _i64)
cancel = _sig("segstack_cancel", None, _i64)
cancel_free = _sig("segstack_cancel_free", None, _i64)
_info = _sig("segstack_info", _i64, _s, _size)
gaussian = _sig("segstack_gaussian", _int, _i64, _p, _s, _int, _p, _p, _dbl, _s, _dbl, _p, _s, _size)
label = _sig("segstack_label", _int, _i64, _p, _s, _int, _p, _int, _p, _p, _s, _size)
reduce = _sig("segstack_reduce", _int, _i64, _p, _s, _int, _p, _int, _p, _s, _size)
threshold_otsu = _sig("segstack_threshold_otsu", _int, _i64, _p, _s, _int, _p, _p, _s, _size)
regionprops = _sig("segstack_regionprops", _int, _i64, _p, _s, _p, _s, _int, _p, _p, _s, _size)
free = _sig("segstack_free", None, _i64)
result_shape = _sig("segstack_result_shape", _int, _i64, _P64, _P64)
result_columns = _sig("segstack_result_columns", _i64, _i64, _s, _size)
result_table = _sig("segstack_result_table", _int, _i64, _p)
result_text = _sig("segstack_result_text", _i64, _i64, _s, _size)
source_shape = _sig("segstack_source_shape", _int, _s, _int, _p, _s, _size, _s, _size)
segment = _sig(
    "segstack_segment", _int,
    _i64, _p, _s, _int, _p,  # tok, src, dtype, ndim, shape
    _s, _int, _s, _p, _s, _int,  # path, channel, mode, sigma, threshold, conn
    _s, _int, _s, _s, _p, _p,  # numbering, workers, device, split, labels, lshape
    _p, _s, _size,  # res, errbuf, errlen
)


class SegstackError(Exception):
    """An error reported by the segstack library (the message is Go's)."""


class SegstackValueError(SegstackError, ValueError):
    """A bad argument: shape, sigma, mode, connectivity, threshold."""


class SegstackTypeError(SegstackError, TypeError):
    """An element type the function does not take."""


class SegstackIOError(SegstackError, OSError):
    """A file could not be read or written."""


class Cancelled(SegstackError):
    """The call was cancelled through its cancel token."""


_ERRORS = {1: SegstackValueError, 2: SegstackTypeError, 3: Cancelled, 4: SegstackIOError}

ERRLEN = 2048
_tls = threading.local()


def errbuf():
    """This thread's error buffer (calls on one thread never overlap)."""
    b = getattr(_tls, "buf", None)
    if b is None:
        b = _tls.buf = ctypes.create_string_buffer(ERRLEN)
    return b


def check(rc, buf):
    """Raises the exception of return code rc with the message in buf."""
    if rc == 0:
        return
    msg = buf.value.decode("utf-8", "replace")
    raise _ERRORS.get(rc, SegstackError)(msg)


# Calls on arrays of at least this many elements run on a helper thread while
# the main thread waits, so that Ctrl-C (which Python only sees between
# bytecodes of the main thread) can trip the call's cancel token.
CANCELLABLE_ELEMENTS = 1 << 18


def call(fn, args, size=0):
    """Calls fn(tok, *args, errbuf, errlen), cancellable by Ctrl-C when the
    work is large and this is the main thread; raises on error."""
    if size < CANCELLABLE_ELEMENTS or threading.current_thread() is not threading.main_thread():
        buf = errbuf()
        check(fn(0, *args, buf, ERRLEN), buf)
        return
    tok = cancel_new()
    buf = ctypes.create_string_buffer(ERRLEN)
    out = {}
    entered, done = threading.Event(), threading.Event()

    def run():
        entered.set()
        try:
            out["rc"] = fn(tok, *args, buf, ERRLEN)
        finally:
            done.set()

    # The arrays must outlive the call: after Ctrl-C the token is tripped
    # and this thread waits for the library to return before raising, however
    # many more interrupts come. Events, not Thread.join: a join interrupted
    # by KeyboardInterrupt can mark a running thread as finished (Python
    # 3.11), and a later join then returns at once.
    interrupted = None
    t = threading.Thread(target=run, name="segstack-call", daemon=True)
    try:
        try:
            t.start()
        except BaseException as e:
            interrupted = e
            cancel(tok)
        waiting = interrupted is None or entered.is_set()
        while waiting:
            try:
                if done.wait(0.05):
                    break
            except BaseException as e:
                interrupted = interrupted or e
                cancel(tok)
    finally:
        # A call that starts after this finds its token gone and returns an
        # error before touching any array.
        cancel_free(tok)
    if interrupted is not None:
        raise interrupted
    check(out["rc"], buf)


_DTYPES = {"bool", "uint8", "uint16", "uint32", "int16", "int32", "float32", "uint64", "int64", "float64"}
_NAMES = {}


def dtype_name(dt):
    """The dtype's name as bytes, as the C ABI takes it."""
    b = _NAMES.get(dt)
    if b is None:
        b = _NAMES[dt] = dt.name.encode()
    return b


def prepare(a, name="input"):
    """Returns a C-contiguous, native-order numpy array for a (a itself when
    it already is one: no copy)."""
    a = np.asarray(a)
    if not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    if not a.flags.c_contiguous:
        a = np.ascontiguousarray(a)
    return a


def shape_of(a):
    """(ndim, pointer to int64 extents); ndim above 3 is passed on so that
    the library reports it."""
    nd = a.ndim
    arr = (_i64 * max(nd, 1))(*a.shape) if nd else (_i64 * 1)(0)
    return nd, arr


def ptr(a):
    return a.ctypes.data


def info():
    """A dict describing the library: version, SIMD path, CUDA availability, devices."""
    n = _info(None, 0)
    buf = ctypes.create_string_buffer(int(n))
    _info(buf, n)
    return json.loads(buf.value.decode())


def take_result(h):
    """Reads and frees a result handle: (dict of column arrays, text)."""
    try:
        rows, cols = _i64(), _i64()
        if result_shape(h, ctypes.byref(rows), ctypes.byref(cols)) != 0:
            raise SegstackError("segstack: unknown result handle")
        n = result_columns(h, None, 0)
        buf = ctypes.create_string_buffer(int(n))
        result_columns(h, buf, n)
        names = buf.value.decode().split(",") if buf.value else []
        data = np.zeros((cols.value, rows.value), dtype=np.float64)
        if data.size:
            result_table(h, data.ctypes.data)
        n = result_text(h, None, 0)
        tbuf = ctypes.create_string_buffer(int(n))
        result_text(h, tbuf, n)
        table = {name: data[i] for i, name in enumerate(names)}
        return table, tbuf.value.decode()
    finally:
        free(h)


class Array(ctypes.Structure):
    """segstack_array: a buffer's pointer, dtype name and up to 3 extents."""
    _fields_ = [("data", _p), ("dtype", _s), ("ndim", _int), ("shape", _i64 * 3)]


_op = _sig("segstack_op", _int, _i64, _s, _s, ctypes.POINTER(Array), _int, _p, _s, _size)
_NONE = Array()


def describe(a):
    """An Array describing the prepared numpy array a (None: left out)."""
    if a is None:
        return _NONE
    d = Array()
    d.data = a.ctypes.data
    d.dtype = dtype_name(a.dtype)
    d.ndim = a.ndim
    for i, e in enumerate(a.shape[:3]):
        d.shape[i] = e
    return d


def op(name, params, arrays, size=0, result=False):
    """Runs segstack_op(name, params, arrays): params a dict (sent as JSON),
    arrays prepared numpy arrays or None; returns the result table (a dict
    of float64 columns) when result is set."""
    for a in arrays:
        if a is not None and a.ndim > 3:
            raise SegstackValueError(f"{name}: {a.ndim}-D arrays are not supported (want 1, 2 or 3 dimensions)")
    descs = (Array * max(len(arrays), 1))(*[describe(a) for a in arrays])
    h = _i64(0)
    js = json.dumps(params).encode() if params else None
    call(_op, (name.encode(), js, descs, len(arrays), ctypes.addressof(h)), size)
    if result:
        t, _ = take_result(h.value)
        return t
    if h.value:
        free(h.value)
    return None
