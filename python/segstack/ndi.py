"""scipy.ndimage-named functions on numpy arrays, computed by segstack's Go kernels.

Names, parameters, defaults and output dtypes follow scipy.ndimage. Arrays
have 1 to 3 dimensions. The kernels hold 8- to 32-bit integers and float32;
the other dtypes are handled as follows, and each function says so where it
matters:

- float64 (and float16) data are computed in float32 and returned in
  scipy's dtype: results equal scipy's to float32 rounding, not bit for bit;
- int64 / uint64 data are computed as int32 / uint32 when every value fits
  and the function's results stay within the input's range (the smoothing,
  rank and uniform filters, the measurements); other 64-bit integer inputs
  raise a TypeError naming the dtype;
- integer outputs of the filters are computed exactly as scipy computes
  them (float64 sums per pass, C truncation when stored).
"""

from __future__ import annotations

import numbers

import numpy as np

from . import _lib

__all__ = ["gaussian_filter", "gaussian_laplace", "gaussian_gradient_magnitude", "uniform_filter",
           "median_filter", "minimum_filter", "maximum_filter", "correlate", "convolve", "correlate1d",
           "convolve1d", "sobel", "prewitt", "laplace", "label", "find_objects", "maximum", "minimum", "sum",
           "sum_labels", "mean", "variance", "standard_deviation", "median", "minimum_position",
           "maximum_position", "extrema", "center_of_mass", "histogram", "distance_transform_edt",
           "binary_erosion", "binary_dilation", "binary_opening", "binary_closing", "binary_fill_holes",
           "generate_binary_structure", "labeled_comprehension"]

# The element types the kernels hold.
_KERNEL = {np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.int16, np.int32, np.float32)}
_NARROW = {np.dtype(np.int64): np.dtype(np.int32), np.dtype(np.uint64): np.dtype(np.uint32)}


def _sigmas(sigma, ndim, what="sigma"):
    if isinstance(sigma, numbers.Real):
        return [float(sigma)] * ndim
    s = [float(v) for v in sigma]
    if len(s) != ndim:
        raise ValueError(f"segstack: {what} has {len(s)} values for a {ndim}-D input (give one, or one per axis)")
    return s


def _per_axis(v, ndim, what, axes=None, fill=0):
    """One value per axis from a scalar or a sequence (over axes when given)."""
    if axes is None:
        if isinstance(v, numbers.Number):
            return [v] * ndim
        v = list(v)
        if len(v) != ndim:
            raise ValueError(f"segstack: {what} has {len(v)} values for a {ndim}-D input (give one, or one per axis)")
        return v
    ax = _axes(axes, ndim)
    vals = [v] * len(ax) if isinstance(v, numbers.Number) else list(v)
    if len(vals) != len(ax):
        raise ValueError(f"segstack: {what} has {len(vals)} values for {len(ax)} axes")
    out = [fill] * ndim
    for a, x in zip(ax, vals):
        out[a] = x
    return out


def _axes(axes, ndim):
    if axes is None:
        return list(range(ndim))
    if isinstance(axes, numbers.Integral):
        axes = [axes]
    out = []
    for a in axes:
        a = int(a)
        if a < -ndim or a >= ndim:
            raise ValueError(f"segstack: axis {a} is out of range for a {ndim}-D input")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError("segstack: axes must be unique")
    return out


def _mode(mode, name):
    if isinstance(mode, str):
        return mode
    modes = set(mode)
    if len(modes) != 1:
        raise NotImplementedError(f"segstack.ndi.{name}: one mode for every axis only")
    return modes.pop()


def _input(input, name, range_preserving=True):
    """(the array as given, prepared; the array the kernels get)."""
    a = _lib.prepare(input)
    if a.ndim == 0:
        raise _lib.SegstackValueError(f"{name}: 0-D arrays are not supported (want 1, 2 or 3 dimensions)")
    if a.ndim > 3:
        raise _lib.SegstackValueError(f"{name}: {a.ndim}-D arrays are not supported (want 1, 2 or 3 dimensions)")
    k = a
    if a.dtype == bool:
        k = a
    elif a.dtype in (np.float64, np.float16):
        k = a.astype(np.float32)
    elif a.dtype in _NARROW:
        nt = _NARROW[a.dtype]
        info = np.iinfo(nt)
        if not range_preserving:
            raise _lib.SegstackTypeError(f"unsupported dtype: {name}: {a.dtype} (want bool, uint8, uint16, uint32, "
                                         "int16, int32, float32 or float64)")
        if a.size and (a.min() < info.min or a.max() > info.max):
            raise _lib.SegstackTypeError(f"unsupported dtype: {name}: {a.dtype} values beyond {nt}'s range")
        k = a.astype(nt)
    elif a.dtype not in _KERNEL:
        raise _lib.SegstackTypeError(f"unsupported dtype: {name}: {a.dtype} (want bool, uint8, uint16, uint32, "
                                     "int16, int32, float32, float64, int64 or uint64)")
    return a, k


def _kernel_dtype(dt):
    """The kernel dtype that computes results of dtype dt."""
    dt = np.dtype(dt)
    if dt in _KERNEL:
        return dt
    if dt in (np.float64, np.float16):
        return np.dtype(np.float32)
    if dt in _NARROW:
        return _NARROW[dt]
    raise _lib.SegstackTypeError(f"unsupported dtype: output {dt} (want uint8, uint16, uint32, int16, int32, "
                                 "float32, float64, int64 or uint64)")


def _want(output, a):
    """scipy's output dtype: output's (a dtype or an array's), else a's."""
    if output is None:
        return a.dtype
    if isinstance(output, np.ndarray):
        if output.shape != a.shape:
            raise RuntimeError("output shape not correct")
        return output.dtype
    return np.dtype(output)


def _finish(res, want, output):
    if isinstance(output, np.ndarray):
        output[...] = res
        return output
    if res.dtype != want:
        res = res.astype(want)
    return res


def _run_filter(name, input, output, params, extra=(), same_type=False, range_preserving=True, kout=None):
    a, k = _input(input, name, range_preserving)
    want = _want(output, a)
    if kout is None:
        kout = k.dtype if same_type else _kernel_dtype(want)
        if kout == bool:
            kout = np.dtype(np.uint8)
        if k.dtype == bool and not same_type and kout == np.uint8 and want == bool:
            kout = np.dtype(np.uint8)
        if k.dtype != np.float32 and a.dtype.kind in "iub" and want in _NARROW and not range_preserving:
            raise _lib.SegstackTypeError(f"unsupported dtype: {name}: output {want}")
    res = np.empty(a.shape, kout)
    kin = k.view(np.uint8) if k.dtype == bool and not same_type else k
    if same_type and k.dtype == bool:
        res = np.empty(a.shape, np.uint8)
        kin = k.view(np.uint8)
    if a.size:
        _lib.op(name, params, [kin, res, *extra], a.size)
    if res.dtype == np.uint8 and k.dtype == bool and same_type:
        res = res.view(bool)
    return _finish(res, want, output)


def gaussian_filter(input, sigma, order=0, output=None, mode="reflect", cval=0.0, truncate=4.0, *,
                    radius=None, axes=None):
    """scipy.ndimage.gaussian_filter for 1- to 3-D arrays.

    The result has scipy's dtype: the input's, or ``output``'s (a dtype or
    an array of the input's shape to write into). Integer outputs are
    computed as scipy computes them, one pass per axis stored into the
    output's type (float64 sums, C truncation), so they are equal to
    scipy's. Floating-point outputs are computed in float32 (separable
    passes with SIMD) and equal scipy's to float32 rounding; a float64
    result holds those float32 values. Only ``order=0`` and
    ``radius=None`` are supported; ``axes`` limits the axes smoothed.
    """
    if order not in (0, None) and np.any(np.asarray(order) != 0):
        raise NotImplementedError("segstack.ndi.gaussian_filter: only order=0 (smoothing) is supported")
    if radius is not None:
        raise NotImplementedError("segstack.ndi.gaussian_filter: radius is not supported (use truncate)")
    mode = _mode(mode, "gaussian_filter")
    a = _lib.prepare(input)
    if a.ndim == 0 or a.ndim > 3:
        raise _lib.SegstackValueError(f"gaussian_filter: {a.ndim}-D arrays are not supported (want 1, 2 or 3 dimensions)")
    sig = _sigmas(sigma, a.ndim) if axes is None else _per_axis(sigma, a.ndim, "sigma", axes, 0.0)
    sig = [float(s) for s in sig]
    want = _want(output, a)
    if want.kind == "f" or a.dtype not in _KERNEL and a.dtype.kind not in "iub":
        # The float32 fast path (every float output, and float inputs).
        res = np.empty(a.shape, np.float32)
        if a.size:
            nd, shp = _lib.shape_of(a)
            sarr = (_lib._dbl * len(sig))(*sig)
            _lib.call(_lib.gaussian, (a.ctypes.data, _lib.dtype_name(a.dtype), nd, shp, sarr,
                                      float(truncate), mode.encode(), float(cval), res.ctypes.data), a.size)
        return _finish(res, want, output)
    return _run_filter("gaussian_filter", a, output,
                       {"sigma": sig, "truncate": float(truncate), "mode": mode, "cval": float(cval)})


def _float32_only(name, a, output):
    want = _want(output, a)
    if want.kind != "f":
        raise _lib.SegstackTypeError(f"unsupported dtype: {name}: output {want}; segstack computes it in "
                                     "float32 (pass output=np.float32 or np.float64)")


def gaussian_laplace(input, sigma, output=None, mode="reflect", cval=0.0, *, axes=None, truncate=4.0):
    """scipy.ndimage.gaussian_laplace, computed in float32 (results equal
    scipy's to float32 rounding). Integer inputs need a floating-point
    ``output`` (scipy would store each axis's term into the integer type)."""
    a = _lib.prepare(input)
    _float32_only("gaussian_laplace", a, output)
    sig = _per_axis(sigma, a.ndim, "sigma", axes, 0.0) if a.ndim else []
    return _run_filter("gaussian_laplace", a, output, {"sigma": [float(s) for s in sig], "truncate": float(truncate),
                                                       "mode": _mode(mode, "gaussian_laplace"), "cval": float(cval)},
                       kout=np.dtype(np.float32))


def gaussian_gradient_magnitude(input, sigma, output=None, mode="reflect", cval=0.0, *, axes=None, truncate=4.0):
    """scipy.ndimage.gaussian_gradient_magnitude, computed in float32 (as
    gaussian_laplace)."""
    a = _lib.prepare(input)
    _float32_only("gaussian_gradient_magnitude", a, output)
    sig = _per_axis(sigma, a.ndim, "sigma", axes, 0.0) if a.ndim else []
    return _run_filter("gaussian_gradient_magnitude", a, output,
                       {"sigma": [float(s) for s in sig], "truncate": float(truncate),
                        "mode": _mode(mode, "gaussian_gradient_magnitude"), "cval": float(cval)},
                       kout=np.dtype(np.float32))


def _window(name, a, size, footprint, origin, axes):
    nd = a.ndim
    p = {}
    extra = []
    if footprint is not None:
        fp = np.asarray(footprint).astype(bool)
        if fp.ndim != nd:
            raise RuntimeError("footprint array has incorrect shape.")
        if axes is not None:
            raise NotImplementedError(f"segstack.ndi.{name}: axes with a footprint is not supported")
        extra = [np.ascontiguousarray(fp)]
        shape = fp.shape
    else:
        if size is None:
            raise RuntimeError("no footprint provided")
        shape = [int(s) for s in _per_axis(size, nd, "size", axes, 1)]
        p["size"] = shape
    org = [int(o) for o in _per_axis(origin, nd, "origin", axes, 0)]
    for o, s in zip(org, shape):
        if s >= 1 and not (-(s // 2) <= o <= (s - 1) // 2):
            raise ValueError("invalid origin")
    p["origin"] = org
    return p, extra


def uniform_filter(input, size=3, output=None, mode="reflect", cval=0.0, origin=0, *, axes=None):
    """scipy.ndimage.uniform_filter: output dtype and values as scipy's
    (float64 running means, stored with scipy's cast)."""
    a = _lib.prepare(input)
    p, _ = _window("uniform_filter", a, size, None, origin, axes) if a.ndim else ({}, [])
    p.update(mode=_mode(mode, "uniform_filter"), cval=float(cval))
    return _run_filter("uniform_filter", a, output, p)


def _rank(name, input, size, footprint, output, mode, cval, origin, axes):
    a = _lib.prepare(input)
    if size is None and footprint is None:
        raise RuntimeError("no footprint provided")
    p, extra = _window(name, a, size, footprint, origin, axes) if a.ndim else ({}, [])
    p.update(mode=_mode(mode, name), cval=float(cval))
    return _run_filter(name, a, output, p, extra, same_type=True)


def median_filter(input, size=None, footprint=None, output=None, mode="reflect", cval=0.0, origin=0, *, axes=None):
    """scipy.ndimage.median_filter (the element of rank count // 2)."""
    return _rank("median_filter", input, size, footprint, output, mode, cval, origin, axes)


def minimum_filter(input, size=None, footprint=None, output=None, mode="reflect", cval=0.0, origin=0, *, axes=None):
    """scipy.ndimage.minimum_filter."""
    return _rank("minimum_filter", input, size, footprint, output, mode, cval, origin, axes)


def maximum_filter(input, size=None, footprint=None, output=None, mode="reflect", cval=0.0, origin=0, *, axes=None):
    """scipy.ndimage.maximum_filter."""
    return _rank("maximum_filter", input, size, footprint, output, mode, cval, origin, axes)


def _weighted(name, input, weights, output, mode, cval, origin):
    a = _lib.prepare(input)
    w = np.ascontiguousarray(np.asarray(weights, dtype=np.float64))
    if w.ndim != a.ndim:
        raise RuntimeError("filter weights array has incorrect shape.")
    org = [int(o) for o in _per_axis(origin, a.ndim, "origin")] if a.ndim else []
    return _run_filter(name, a, output, {"origin": org, "mode": _mode(mode, name), "cval": float(cval)}, [w],
                       range_preserving=False)


def correlate(input, weights, output=None, mode="reflect", cval=0.0, origin=0):
    """scipy.ndimage.correlate (float64 sums in scipy's order, scipy's cast)."""
    return _weighted("correlate", input, weights, output, mode, cval, origin)


def convolve(input, weights, output=None, mode="reflect", cval=0.0, origin=0):
    """scipy.ndimage.convolve."""
    return _weighted("convolve", input, weights, output, mode, cval, origin)


def _weighted1d(name, input, weights, axis, output, mode, cval, origin):
    a = _lib.prepare(input)
    w = np.ascontiguousarray(np.asarray(weights, dtype=np.float64))
    if w.ndim != 1 or w.size < 1:
        raise RuntimeError("no filter weights given")
    return _run_filter(name, a, output, {"axis": int(axis), "origin": [int(origin)], "mode": mode, "cval": float(cval)},
                       [w], range_preserving=False)


def correlate1d(input, weights, axis=-1, output=None, mode="reflect", cval=0.0, origin=0):
    """scipy.ndimage.correlate1d."""
    return _weighted1d("correlate1d", input, weights, axis, output, mode, cval, origin)


def convolve1d(input, weights, axis=-1, output=None, mode="reflect", cval=0.0, origin=0):
    """scipy.ndimage.convolve1d."""
    return _weighted1d("convolve1d", input, weights, axis, output, mode, cval, origin)


def sobel(input, axis=-1, output=None, mode="reflect", cval=0.0):
    """scipy.ndimage.sobel (each pass stored into the output's type)."""
    return _run_filter("sobel", input, output, {"axis": int(axis), "mode": _mode(mode, "sobel"), "cval": float(cval)},
                       range_preserving=False)


def prewitt(input, axis=-1, output=None, mode="reflect", cval=0.0):
    """scipy.ndimage.prewitt."""
    return _run_filter("prewitt", input, output, {"axis": int(axis), "mode": _mode(mode, "prewitt"), "cval": float(cval)},
                       range_preserving=False)


def laplace(input, output=None, mode="reflect", cval=0.0):
    """scipy.ndimage.laplace."""
    return _run_filter("laplace", input, output, {"mode": _mode(mode, "laplace"), "cval": float(cval)},
                       range_preserving=False)


def generate_binary_structure(rank, connectivity):
    """scipy.ndimage.generate_binary_structure: the neighbours at most
    ``connectivity`` unit steps from the centre."""
    if connectivity < 1:
        connectivity = 1
    idx = np.indices((3,) * rank) - 1
    return np.abs(idx).sum(axis=0) <= connectivity


def _connectivity(structure, ndim, name="label"):
    """The segstack connectivity of a scipy structure (0: the default)."""
    if structure is None:
        return 0
    s = np.asarray(structure).astype(bool)
    if s.ndim != ndim:
        raise RuntimeError("structure and input must have equal rank")
    if s.shape != (3,) * ndim:
        raise ValueError(f"segstack.ndi.{name}: structure of shape {s.shape}; only 3x...x3 structures are supported")
    for k in range(1, ndim + 1):
        if np.array_equal(s, generate_binary_structure(ndim, k)):
            if ndim == 1:
                return 0
            if ndim == 2:
                return 4 if k == 1 else 8
            return {1: 6, 2: 18, 3: 26}[k]
    raise ValueError(f"segstack.ndi.{name}: only the structures of generate_binary_structure(rank, k) "
                     "(face, edge or corner connectivity) are supported")


def label(input, structure=None, output=None):
    """scipy.ndimage.label: ``(labels, n)``, objects numbered 1..n in raster
    order of their first element, exactly as scipy numbers them.

    ``input`` is any numeric array (non-zero is foreground); ``structure``
    is None or one of generate_binary_structure's. Labels are int32 like
    scipy's; ``output`` may be a dtype (np.int32 or np.uint32 without a
    copy), or an int32/uint32 array to fill, in which case only n is
    returned, as scipy does.
    """
    a = _lib.prepare(input)
    if a.ndim == 0:
        raise TypeError("segstack.ndi.label: a 0-D input cannot be labelled")
    conn = _connectivity(structure, a.ndim)
    given = isinstance(output, np.ndarray)
    if given:
        if output.shape != a.shape or output.dtype not in (np.int32, np.uint32) or not output.flags.c_contiguous:
            raise ValueError("segstack.ndi.label: output must be a C-contiguous int32 or uint32 array of the input's shape")
        out = output
    elif output is None or np.dtype(output) in (np.int32, np.uint32):
        out = np.empty(a.shape, np.int32 if output is None else np.dtype(output))
    else:
        out = np.empty(a.shape, np.int32)
    if a.size == 0:
        return (0 if given else (out, 0))
    n = _lib._i64()
    nd, shp = _lib.shape_of(a)
    _lib.call(_lib.label, (a.ctypes.data, _lib.dtype_name(a.dtype), nd, shp, conn, out.ctypes.data,
                           _lib.ctypes.addressof(n)), a.size)
    if given:
        return int(n.value)
    if output is not None and out.dtype != np.dtype(output):
        out = out.astype(output)
    return out, int(n.value)


def find_objects(input, max_label=0):
    """scipy.ndimage.find_objects: for each label 1..max_label (the largest
    label when 0), a tuple of slices, or None for a label without elements."""
    a = _lib.prepare(input)
    if a.dtype.kind not in "iub":
        raise TypeError("Cannot convert the input to a label array (want an integer type)")
    if a.ndim == 0 or a.ndim > 3:
        raise _lib.SegstackValueError(f"find_objects: {a.ndim}-D arrays are not supported (want 1, 2 or 3 dimensions)")
    if a.size == 0:
        return [None] * int(max_label)
    lab = a.view(np.uint8) if a.dtype == bool else a
    t = _lib.op("find_objects", {"max_label": int(max_label)}, [lab], a.size, result=True)
    axes = range(3 - a.ndim, 3)
    out = []
    for i in range(len(t["present"])):
        if not t["present"][i]:
            out.append(None)
            continue
        out.append(tuple(slice(int(t[f"lo-{k}"][i]), int(t[f"hi-{k}"][i])) for k in axes))
    return out


# Measurements ------------------------------------------------------------

def _measure_args(name, input, labels, index):
    """(prepared input, kernel intensity, kernel labels, index array or None,
    scalar index?) for labels given; scipy pools every label > 0 when index
    is None."""
    a, k = _input(input, name)
    if k.dtype == bool:
        k = k.view(np.uint8)
    lab = np.asarray(labels)
    if lab.shape != a.shape:
        lab = np.broadcast_to(lab, a.shape)
    if lab.dtype.kind not in "iub":
        if lab.dtype.kind == "f" and np.all(lab == np.round(lab)):
            lab = lab.astype(np.int64)
        else:
            raise TypeError(f"segstack.ndi.{name}: labels of {lab.dtype} (want an integer type)")
    if index is None:
        lab = (lab > 0).view(np.uint8)
        idx, scalar = np.array([1], np.uint32), True
    else:
        scalar = np.isscalar(index) or np.ndim(index) == 0
        iv = np.atleast_1d(np.asarray(index))
        if iv.size and (iv.min() < 0 or iv.max() > np.iinfo(np.uint32).max):
            raise ValueError(f"segstack.ndi.{name}: index values must lie in [0, 2**32 - 1]")
        idx = np.ascontiguousarray(iv.astype(np.uint32).ravel())
        if lab.dtype == bool:
            lab = lab.view(np.uint8)
    lab = _lib.prepare(lab)
    if lab.dtype in (np.int64, np.uint64, np.int16, np.int8):
        if lab.size and lab.min() < 0:
            raise ValueError(f"segstack.ndi.{name}: negative labels are not supported")
    if lab.dtype == np.int8:
        lab = lab.astype(np.uint8)
    return a, k, lab, idx, scalar, (None if index is None else np.shape(index))


def _measure(name, what, input, labels, index):
    a, k, lab, idx, scalar, ishape = _measure_args(name, input, labels, index)
    if a.size == 0 or idx.size == 0:
        return a, None, scalar, ishape
    t = _lib.op("measure", {"what": what}, [lab, k, idx], a.size, result=True)
    return a, t, scalar, ishape


def _sum_type(dt):
    return np.add.reduce(np.zeros(1, dt)).dtype


def _shaped(v, scalar, ishape, typ):
    if scalar:
        return typ(v[0])
    return np.asarray(v).astype(typ).reshape(ishape) if ishape else np.asarray(v).astype(typ)


def _whole(name, op, input):
    a = _lib.prepare(input)
    if a.size == 0 and a.ndim:
        raise ValueError(f"segstack.ndi.{name}: empty input")
    if a.ndim > 3 or a.ndim == 0:
        raise _lib.SegstackValueError(f"reduce: {a.ndim}-D arrays are not supported (want 1, 2 or 3 dimensions)")
    out = _lib._dbl()
    nd, shp = _lib.shape_of(a)
    _lib.call(_lib.reduce, (a.ctypes.data, _lib.dtype_name(a.dtype), nd, shp, op, _lib.ctypes.addressof(out)), a.size)
    return a, out.value


def _labelled(name, what, col, input, labels, index, typ=None):
    a, t, scalar, ishape = _measure(name, what, input, labels, index)
    typ = typ or a.dtype.type
    if t is None:
        return _shaped(np.zeros(0), False, ishape, typ) if not scalar else typ(0)
    return _shaped(t[col], scalar, ishape, typ)


def maximum(input, labels=None, index=None):
    """scipy.ndimage.maximum: of the whole array, or of each label of index
    (of every label > 0 together when index is None); the input's dtype."""
    if labels is None:
        a, v = _whole("maximum", 0, input)
        return a.dtype.type(v)
    return _labelled("maximum", "maximum", "maximum", input, labels, index)


def minimum(input, labels=None, index=None):
    """scipy.ndimage.minimum, as maximum."""
    if labels is None:
        a, v = _whole("minimum", 1, input)
        return a.dtype.type(v)
    return _labelled("minimum", "minimum", "minimum", input, labels, index)


def sum_labels(input, labels=None, index=None):
    """scipy.ndimage.sum_labels, accumulated in float64: numpy's sum type for
    the whole array or a scalar index, float64 for a sequence of labels."""
    if labels is None:
        a, v = _whole("sum_labels", 2, input)
        return _sum_type(a.dtype).type(v)
    a, t, scalar, ishape = _measure("sum_labels", "sum", input, labels, index)
    if scalar:
        return _sum_type(a.dtype).type(0 if t is None else t["sum"][0])
    return _shaped(np.zeros(0) if t is None else t["sum"], False, ishape, np.float64)


sum = sum_labels  # scipy.ndimage.sum, the older name


def mean(input, labels=None, index=None):
    """scipy.ndimage.mean, in float64."""
    if labels is None:
        _, v = _whole("mean", 3, input)
        return np.float64(v)
    return _labelled("mean", "mean", "mean", input, labels, index, np.float64)


def variance(input, labels=None, index=None):
    """scipy.ndimage.variance (population variance), in float64."""
    if labels is None:
        labels, index = np.ones(np.shape(input), np.uint8), 1
    return _labelled("variance", "variance", "variance", input, labels, index, np.float64)


def standard_deviation(input, labels=None, index=None):
    """scipy.ndimage.standard_deviation, in float64."""
    if labels is None:
        labels, index = np.ones(np.shape(input), np.uint8), 1
    return _labelled("standard_deviation", "standard_deviation", "standard_deviation", input, labels, index, np.float64)


def median(input, labels=None, index=None):
    """scipy.ndimage.median: float64, or the input's floating-point type."""
    if labels is None:
        labels, index = np.ones(np.shape(input), np.uint8), 1
    dt = np.asarray(input).dtype
    return _labelled("median", "median", "median", input, labels, index, dt.type if dt.kind == "f" else np.float64)


def _positions(t, col, a, scalar, ishape, typ=np.int64):
    axes = range(3 - a.ndim, 3)
    if t is None:
        rows = []
    else:
        rows = [tuple(typ(t[f"{col}-{k}"][i]) for k in axes) for i in range(len(t["index"]))]
    if scalar:
        return rows[0] if rows else tuple(typ(0) for _ in axes)
    return rows


def _position(name, input, labels, index):
    whole = labels is None
    if whole:
        labels, index = np.ones(np.shape(input), np.uint8), 1
    a, t, scalar, ishape = _measure(name, name, input, labels, index)
    return _positions(t, name, a, scalar, ishape)


def minimum_position(input, labels=None, index=None):
    """scipy.ndimage.minimum_position: the first element (in raster order)
    holding the minimum, a tuple of coordinates, or a list of them. (Where
    the minimum occurs more than once, scipy picks one by an unstable sort;
    segstack always the first.)"""
    return _position("minimum_position", input, labels, index)


def maximum_position(input, labels=None, index=None):
    """scipy.ndimage.maximum_position, as minimum_position."""
    return _position("maximum_position", input, labels, index)


def extrema(input, labels=None, index=None):
    """scipy.ndimage.extrema: (minimum, maximum, minimum_position,
    maximum_position), from one pass."""
    if labels is None:
        labels, index = np.ones(np.shape(input), np.uint8), 1
    a, t, scalar, ishape = _measure("extrema", "extrema", input, labels, index)
    typ = a.dtype.type
    if t is None:
        lo = hi = np.zeros(0, a.dtype)
    else:
        lo, hi = _shaped(t["minimum"], scalar, ishape, typ), _shaped(t["maximum"], scalar, ishape, typ)
    return (lo, hi, _positions(t, "minimum_position", a, scalar, ishape),
            _positions(t, "maximum_position", a, scalar, ishape))


def center_of_mass(input, labels=None, index=None):
    """scipy.ndimage.center_of_mass: a tuple of float64 coordinates, or a
    list of them for a sequence of labels."""
    if labels is None:
        labels, index = np.ones(np.shape(input), np.uint8), 1
    a, t, scalar, ishape = _measure("center_of_mass", "center_of_mass", input, labels, index)
    return _positions(t, "center_of_mass", a, scalar, ishape, np.float64)


def histogram(input, min, max, bins, labels=None, index=None):
    """scipy.ndimage.histogram: int64 counts of ``bins`` equal bins over
    [min, max]; an object array of them (None for a label without elements)
    for a sequence of labels."""
    if labels is None:
        labels, index = np.ones(np.shape(input), np.uint8), 1
    a, k, lab, idx, scalar, ishape = _measure_args("histogram", input, labels, index)
    bins = int(bins)
    t = _lib.op("histogram", {"min": float(min), "max": float(max), "bins": bins}, [lab, k, idx], a.size, result=True)
    rows = []
    for i in range(len(t["present"])):
        rows.append(np.array([t[f"bin-{b}"][i] for b in range(bins)], np.int64) if t["present"][i] else None)
    if scalar:
        return rows[0] if rows[0] is not None else np.zeros(bins, np.int64)
    out = np.empty(len(rows), object)
    out[:] = rows
    return out


def _per_label(a, lab, idx, func, out_dtype, default, pass_positions, stable):
    """func over the elements of each label of the 1-D idx: an out_dtype
    array of idx's length, default where a label has no element. The
    elements (and, with pass_positions, their flat positions as a second
    argument) go to func grouped by a sort of the labels: numpy's default
    sort (scipy's order) or a stable one (raster order, dask_image's)."""
    flat, vals = lab.ravel(), a.ravel()
    sel = (flat >= idx.min()) & (flat <= idx.max())
    pos = np.flatnonzero(sel)
    flat = flat[pos]
    order = flat.argsort(kind="stable") if stable else flat.argsort()
    flat, vals, pos = flat[order], vals[pos][order], pos[order]
    by = idx.argsort()
    sidx = idx[by]
    lo, hi = np.searchsorted(flat, sidx, side="left"), np.searchsorted(flat, sidx, side="right")
    got = np.empty(idx.shape, out_dtype)
    got[:] = default
    for i, (s, e) in enumerate(zip(lo, hi)):
        if s < e:
            got[i] = func(vals[s:e], pos[s:e]) if pass_positions else func(vals[s:e])
    out = np.zeros(idx.shape, out_dtype)
    out[by] = got
    return out


def labeled_comprehension(input, labels, index, func, out_dtype, default, pass_positions=False):
    """scipy.ndimage.labeled_comprehension: ``func`` applied to the values
    of ``input`` under each label of ``index`` (and, with
    ``pass_positions``, to their flat positions as a second argument), the
    results in an ``out_dtype`` array of ``index``'s shape, ``default``
    for a label without elements; a scalar for a scalar index. ``labels``
    None applies func to the whole input, ``index`` None to every label
    above 0 together. func receives each label's values in the order scipy
    gives them, so order-dependent functions and floating-point sums agree
    with scipy's exactly."""
    a = np.asarray(input)
    if labels is None:
        if index is not None:
            raise ValueError("index without defined labels")
        return func(a.ravel(), np.arange(a.size)) if pass_positions else func(a.ravel())
    lab = np.asarray(labels)
    try:
        a, lab = np.broadcast_arrays(a, lab)
    except ValueError:
        raise ValueError("input and labels must have the same shape (excepting dimensions with width 1)") from None
    if index is None:
        sel = lab > 0
        return func(a[sel], np.flatnonzero(sel)) if pass_positions else func(a[sel])
    scalar = np.isscalar(index)
    idx = np.atleast_1d(index)
    if np.any(idx.astype(lab.dtype).astype(idx.dtype) != idx):
        raise ValueError(f"Cannot convert index values from <{idx.dtype}> to <{lab.dtype}> "
                         "(labels' type) without loss of precision")
    idx = idx.astype(lab.dtype)
    out = _per_label(a, lab, idx.ravel(), func, out_dtype, default, pass_positions, stable=False).reshape(idx.shape)
    return out[0] if scalar else out


# Distance transform and binary morphology ----------------------------------

def distance_transform_edt(input, sampling=None, return_distances=True, return_indices=False,
                           distances=None, indices=None):
    """scipy.ndimage.distance_transform_edt: float64 distances, each scipy's
    float64 distance rounded to float32 (the transform is exact; the values
    are stored as float32). ``return_indices`` is not supported."""
    if return_indices or indices is not None or not return_distances:
        raise NotImplementedError("segstack.ndi.distance_transform_edt: only the distances (no indices)")
    a, k = _input(input, "distance_transform_edt")
    if k.dtype == bool:
        k = k.view(np.uint8)
    p = {}
    if sampling is not None:
        p["sampling"] = [float(s) for s in _per_axis(sampling, a.ndim, "sampling")]
    res = np.empty(a.shape, np.float32)
    if a.size:
        _lib.op("distance_transform_edt", p, [k, res], a.size)
    res = res.astype(np.float64)
    if distances is not None:
        if distances.shape != a.shape or distances.dtype != np.float64:
            raise RuntimeError("distances array has wrong shape or type")
        distances[...] = res
        return None
    return res


def _binary(name, input, structure, output, params, origin=0, mask=None, axes=None):
    if mask is not None:
        raise NotImplementedError(f"segstack.ndi.{name}: mask is not supported")
    if axes is not None:
        raise NotImplementedError(f"segstack.ndi.{name}: axes is not supported")
    if np.any(np.asarray(origin) != 0):
        raise NotImplementedError(f"segstack.ndi.{name}: only origin=0 is supported")
    a, k = _input(input, name)
    if a.ndim < 2:
        raise NotImplementedError(f"segstack.ndi.{name}: 2-D and 3-D inputs only")
    if k.dtype == bool:
        k = k.view(np.uint8)
    params = dict(params, conn=_connectivity(structure, a.ndim, name))
    res = np.empty(a.shape, np.uint8)
    if a.size:
        _lib.op(name, params, [k, res], a.size)
    res = res.view(bool)
    if isinstance(output, np.ndarray):
        output[...] = res
        return output
    if output is not None:
        return res.astype(output)
    return res


def binary_erosion(input, structure=None, iterations=1, mask=None, output=None, border_value=0, origin=0,
                   brute_force=False, *, axes=None):
    """scipy.ndimage.binary_erosion with a generate_binary_structure
    structure (iterations < 1 repeat until nothing changes)."""
    return _binary("binary_erosion", input, structure, output,
                   {"iterations": int(iterations), "border_value": int(bool(border_value))}, origin, mask, axes)


def binary_dilation(input, structure=None, iterations=1, mask=None, output=None, border_value=0, origin=0,
                    brute_force=False, *, axes=None):
    """scipy.ndimage.binary_dilation, as binary_erosion."""
    return _binary("binary_dilation", input, structure, output,
                   {"iterations": int(iterations), "border_value": int(bool(border_value))}, origin, mask, axes)


def binary_opening(input, structure=None, iterations=1, output=None, origin=0, mask=None, border_value=0,
                   brute_force=False, *, axes=None):
    """scipy.ndimage.binary_opening: erosions then dilations."""
    return _binary("binary_opening", input, structure, output,
                   {"iterations": int(iterations), "border_value": int(bool(border_value))}, origin, mask, axes)


def binary_closing(input, structure=None, iterations=1, output=None, origin=0, mask=None, border_value=0,
                   brute_force=False, *, axes=None):
    """scipy.ndimage.binary_closing: dilations then erosions."""
    return _binary("binary_closing", input, structure, output,
                   {"iterations": int(iterations), "border_value": int(bool(border_value))}, origin, mask, axes)


def binary_fill_holes(input, structure=None, output=None, origin=0, *, axes=None):
    """scipy.ndimage.binary_fill_holes: the zero regions that do not reach
    the array's edge (through the structure's connectivity) are filled."""
    return _binary("binary_fill_holes", input, structure, output, {}, origin, None, axes)
