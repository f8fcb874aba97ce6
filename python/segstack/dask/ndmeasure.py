"""dask_image.ndmeasure drop-ins.

``label`` labels every chunk with segstack's labeller, offsets each chunk's
labels past those of the chunks before it, merges the objects that touch
across chunk faces (union-find over the label pairs facing each other, with
the structure's diagonal neighbours, so objects touching only at a chunk
corner merge too), and renumbers every object by the raster position of its
first element: the result equals scipy.ndimage.label of the whole array,
numbering included, for any chunks. dask_image numbers objects in chunk
order instead.
"""

from __future__ import annotations

import builtins
import itertools

import dask
import dask.array as da
import numpy as np

from .. import ndi

builtins_max = builtins.max

__all__ = ["label", "area", "sum_labels", "sum", "mean", "variance", "standard_deviation", "minimum", "maximum",
           "minimum_position", "maximum_position", "extrema", "center_of_mass", "median", "histogram",
           "find_objects", "labeled_comprehension"]


def _label_info(block, structure, origin, shape):
    """(local labels, n, the global flat index of each label's first element)."""
    labels, n = ndi.label(block, structure=structure)
    flat = labels.ravel()
    idx = np.flatnonzero(flat)
    if idx.size == 0:
        return labels, 0, np.empty(0, np.int64)
    vals = flat[idx]
    prev = np.maximum.accumulate(np.concatenate(([0], vals[:-1])))
    firsts = idx[vals > prev]  # labels appear first in raster order: 1, 2, ...
    coords = np.unravel_index(firsts, labels.shape)
    coords = tuple(c + o for c, o in zip(coords, origin))
    return labels, n, np.ravel_multi_index(coords, shape).astype(np.int64)


def _offsets(*infos):
    counts = np.array([n for _, n, _ in infos], dtype=np.int64)
    return np.concatenate(([0], np.cumsum(counts)[:-1]))


def _slab(parts, grid, axis, edge, offsets):
    """The face slab (one element thick along axis) assembled from the
    blocks in parts (a grid of the blocks on one side of a boundary, in
    block order), with their offset labels."""
    pieces = np.empty(grid, dtype=object)
    for (pos, flat), (labels, _, _) in zip(np.ndenumerate(np.arange(pieces.size).reshape(grid)), parts):
        idx = [slice(None)] * labels.ndim
        idx[axis] = slice(edge, edge + 1) if edge >= 0 else slice(labels.shape[axis] - 1, None)
        sl = labels[tuple(idx)].astype(np.int64)
        sl[sl > 0] += offsets[flat]
        pieces[pos] = sl
    return np.block(pieces.tolist())


def _face(axis, grid, a_parts, a_flat, b_parts, b_flat, offsets, conn_offsets):
    a = _slab(a_parts, grid, axis, -1, offsets[a_flat])
    b = _slab(b_parts, grid, axis, 0, offsets[b_flat])
    return _face_pairs(a, b, axis, conn_offsets)


def _face_pairs(a, b, axis, offsets):
    """The label pairs (u, v), u in slab a and v in slab b (the next
    position along axis) that the structure connects."""
    p = np.squeeze(a, axis=axis)
    q = np.squeeze(b, axis=axis)
    out = []
    for o in offsets:  # offsets in the other axes
        ps, qs = [], []
        for d, n in zip(o, p.shape):
            ps.append(slice(max(0, -d), n - max(0, d)))
            qs.append(slice(max(0, d), n - max(0, -d)))
        u = p[tuple(ps)].ravel()
        v = q[tuple(qs)].ravel()
        keep = (u > 0) & (v > 0) & (u != v)
        if keep.any():
            out.append(np.stack([u[keep], v[keep]], axis=1))
    if not out:
        return np.empty((0, 2), np.int64)
    return np.unique(np.concatenate(out), axis=0)


def _roots(n, u, v):
    """parent[i]: the smallest label connected to i (union-find by minimum)."""
    parent = np.arange(n + 1, dtype=np.int64)
    while True:
        pu, pv = parent[u], parent[v]
        if np.array_equal(pu, pv):
            return parent
        m = np.minimum(pu, pv)
        np.minimum.at(parent, pu, m)
        np.minimum.at(parent, pv, m)
        while True:
            pp = parent[parent]
            if np.array_equal(pp, parent):
                break
            parent = pp


def _relabel(offsets, *args):
    """(lookup table from chunk-offset labels to scipy's numbers, n); args are
    the blocks' (labels, n, firsts) then the faces' label pairs."""
    nb = len(offsets)
    infos, pairs = args[:nb], args[nb:]
    total = int(builtins.sum(n for _, n, _ in infos))
    firsts = np.concatenate([np.empty(1, np.int64)] + [f for _, _, f in infos])
    pairs = [p for p in pairs if len(p)]
    if pairs:
        pr = np.concatenate(pairs)
        parent = _roots(total, pr[:, 0], pr[:, 1])
    else:
        parent = np.arange(total + 1, dtype=np.int64)
    roots = np.flatnonzero(parent[1:] == np.arange(1, total + 1)) + 1
    first = np.full(total + 1, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(first, parent[1:], firsts[1:])
    order = roots[np.argsort(first[roots], kind="stable")]
    number = np.zeros(total + 1, np.int64)
    number[order] = np.arange(1, len(order) + 1)
    lut = number[parent].astype(np.int32)
    lut[0] = 0
    return lut, len(order)


def _final(info, offset, relabel):
    labels = info[0].astype(np.int64)
    labels[labels > 0] += offset
    return relabel[0][labels]


def _count(relabel):
    return np.int64(relabel[1])


def label(image, structure=None, wrap_axes=None):
    """dask_image.ndmeasure.label: ``(labels, n)``, lazy int32 labels and a
    0-d dask array with the number of objects, equal to
    scipy.ndimage.label(image.compute(), structure) for any chunks."""
    if wrap_axes:
        raise NotImplementedError("segstack.dask.ndmeasure.label: wrap_axes is not supported")
    image = da.asarray(image)
    nd = image.ndim
    ndi._connectivity(structure, nd)  # refuses what the labeller cannot do, now
    struct = (ndi.generate_binary_structure(nd, 1) if structure is None
              else np.asarray(structure).astype(bool))
    st_arg = None if structure is None else struct
    grid = image.numblocks
    starts = [np.concatenate(([0], np.cumsum(c)[:-1])) for c in image.chunks]
    blocks = image.to_delayed()
    ids = list(itertools.product(*(range(n) for n in grid)))
    flat = {bid: i for i, bid in enumerate(ids)}
    infos = {}
    for bid in ids:
        origin = tuple(int(starts[a][i]) for a, i in enumerate(bid))
        infos[bid] = dask.delayed(_label_info, pure=True, nout=3)(blocks[bid], st_arg, origin, image.shape)
    offsets = dask.delayed(_offsets, pure=True)(*[infos[b] for b in ids])
    faces = []
    for axis in range(nd):
        center = [1] * nd
        conn_offsets = []
        for o in itertools.product((-1, 0, 1), repeat=nd):
            if o[axis] == 1 and struct[tuple(c + d for c, d in zip(center, o))]:
                conn_offsets.append(tuple(d for a, d in enumerate(o) if a != axis))
        sub = list(grid)
        sub[axis] = 1
        for i in range(1, grid[axis]):
            side_a = [b for b in ids if b[axis] == i - 1]
            side_b = [b for b in ids if b[axis] == i]
            faces.append(dask.delayed(_face, pure=True)(
                axis, tuple(sub), [infos[b] for b in side_a], [flat[b] for b in side_a],
                [infos[b] for b in side_b], [flat[b] for b in side_b], offsets, conn_offsets))
    relabel = dask.delayed(_relabel, pure=True)(offsets, *[infos[b] for b in ids], *faces)
    out = np.empty(grid, dtype=object)
    for bid in ids:
        shape = tuple(image.chunks[a][i] for a, i in enumerate(bid))
        off = offsets[flat[bid]]
        out[bid] = da.from_delayed(dask.delayed(_final, pure=True)(infos[bid], off, relabel),
                                   shape=shape, dtype=np.int32, meta=np.empty((0,) * nd, np.int32))
    labels = da.block(out.tolist())
    n = da.from_delayed(dask.delayed(_count, pure=True)(relabel), shape=(), dtype=np.int64)
    return labels, n


# Measurements -------------------------------------------------------------

def _norm(image, label_image, index):
    """dask_image's normalisation: no labels measures the whole image as
    label 1; no index measures every label > 0 together."""
    image = da.asarray(image)
    if label_image is None:
        label_image = da.ones(image.shape, dtype=np.uint8, chunks=image.chunks)
        index = 1
    else:
        label_image = da.asarray(label_image)
        if label_image.shape != image.shape:
            raise ValueError("The image and label_image arrays must be the same shape.")
        label_image = label_image.rechunk(image.chunks)
        if index is None:
            label_image = (label_image > 0).astype(np.uint8)
            index = 1
    index = np.asarray(index)
    if index.size and (index.min() < 0 or index.max() > np.iinfo(np.uint32).max):
        raise ValueError("segstack.dask.ndmeasure: index values must lie in [0, 2**32 - 1]")
    return image, label_image, index


_STATS = "sum,variance,minimum,maximum,minimum_position,maximum_position,center_of_mass"


def _block_stats(img, lab, index, origin, shape):
    """The partial statistics of one chunk: counts, sums, means and M2,
    extrema with their global raster positions, intensity-weighted
    coordinate sums."""
    from .. import _lib
    flat = np.ascontiguousarray(index.ravel().astype(np.uint32))
    n = flat.size
    nd = img.ndim
    if img.size == 0 or n == 0:
        z = np.zeros(n)
        return dict(count=z, sum=z, mean=z, m2=z, min=z, max=z, minpos=np.zeros(n, np.int64),
                    maxpos=np.zeros(n, np.int64), wsum=np.zeros((n, nd)))
    a, k, lb, idx, _, _ = ndi._measure_args("measure", img, lab, flat)
    t = _lib.op("measure", {"what": _STATS}, [lb, k, idx], a.size, result=True)
    axes = range(3 - nd, 3)

    def pos(col):
        c = [t[f"{col}-{ax}"].astype(np.int64) + o for ax, o in zip(axes, origin)]
        return np.ravel_multi_index(c, shape) if n else np.zeros(0, np.int64)

    count = t["count"]
    com = np.stack([t[f"center_of_mass-{ax}"] for ax in axes], axis=1)
    com = com + np.asarray(origin, np.float64)
    sums = t["sum"]
    wsum = np.where((sums != 0)[:, None], com * sums[:, None], 0.0)
    mean = np.where(count > 0, sums / np.maximum(count, 1), 0.0)
    return dict(count=count, sum=sums, mean=mean, m2=np.nan_to_num(t["variance"]) * count, min=t["minimum"],
                max=t["maximum"], minpos=pos("minimum_position"), maxpos=pos("maximum_position"), wsum=wsum)


def _combine(*parts):
    out = {k: v.copy() for k, v in parts[0].items()}
    for p in parts[1:]:
        na, nb = out["count"], p["count"]
        n = na + nb
        with np.errstate(invalid="ignore", divide="ignore"):
            delta = p["mean"] - out["mean"]
            mean = np.where(n > 0, out["mean"] + delta * nb / np.where(n > 0, n, 1), 0.0)
            m2 = out["m2"] + p["m2"] + delta * delta * na * nb / np.where(n > 0, n, 1)
        for key, better in (("min", np.less), ("max", np.greater)):
            pk = "minpos" if key == "min" else "maxpos"
            take = (nb > 0) & ((na == 0) | better(p[key], out[key]) | ((p[key] == out[key]) & (p[pk] < out[pk])))
            out[key] = np.where(take, p[key], out[key])
            out[pk] = np.where(take, p[pk], out[pk])
        out["sum"] = out["sum"] + p["sum"]
        out["wsum"] = out["wsum"] + p["wsum"]
        out["mean"], out["m2"], out["count"] = mean, m2, n
    return out


def _stats(image, label_image, index):
    """A delayed dict of the combined statistics of every label of index."""
    image, label_image, index = _norm(image, label_image, index)
    starts = [np.concatenate(([0], np.cumsum(c)[:-1])) for c in image.chunks]
    ib, lb = image.to_delayed().ravel(), label_image.to_delayed().ravel()
    parts = []
    for i, bid in enumerate(itertools.product(*(range(n) for n in image.numblocks))):
        origin = tuple(int(starts[a][j]) for a, j in enumerate(bid))
        parts.append(dask.delayed(_block_stats, pure=True)(ib[i], lb[i], index, origin, image.shape))
    return image, index, dask.delayed(_combine, pure=True)(*parts)


def _lazy(fn, st, shape, dtype, *args):
    return da.from_delayed(dask.delayed(fn, pure=True)(st, *args), shape=shape, dtype=dtype)


def _pick(st, key, ishape, dtype):
    return st[key].reshape(ishape).astype(dtype)


def area(image, label_image=None, index=None):
    """dask_image.ndmeasure.area: the number of elements of each label."""
    image, index, st = _stats(image, label_image, index)
    return _lazy(_pick, st, index.shape, np.int64, "count", index.shape, np.int64)


def sum_labels(image, label_image=None, index=None):
    """dask_image.ndmeasure.sum_labels (float64)."""
    image, index, st = _stats(image, label_image, index)
    return _lazy(_pick, st, index.shape, np.float64, "sum", index.shape, np.float64)


sum = sum_labels


def _mean(st, ishape):
    with np.errstate(invalid="ignore", divide="ignore"):
        return (st["sum"] / st["count"]).reshape(ishape)


def mean(image, label_image=None, index=None):
    """dask_image.ndmeasure.mean (float64; NaN for a label without elements)."""
    image, index, st = _stats(image, label_image, index)
    return _lazy(_mean, st, index.shape, np.float64, index.shape)


def _var(st, ishape, sqrt):
    with np.errstate(invalid="ignore", divide="ignore"):
        v = np.where(st["count"] > 0, st["m2"] / st["count"], np.nan)
    return (np.sqrt(v) if sqrt else v).reshape(ishape)


def variance(image, label_image=None, index=None):
    """dask_image.ndmeasure.variance (population variance, float64)."""
    image, index, st = _stats(image, label_image, index)
    return _lazy(_var, st, index.shape, np.float64, index.shape, False)


def standard_deviation(image, label_image=None, index=None):
    """dask_image.ndmeasure.standard_deviation (float64)."""
    image, index, st = _stats(image, label_image, index)
    return _lazy(_var, st, index.shape, np.float64, index.shape, True)


def _ext(st, key, ishape, dtype):
    return np.where(st["count"] > 0, st[key], 0).reshape(ishape).astype(dtype)


def minimum(image, label_image=None, index=None):
    """dask_image.ndmeasure.minimum (the image's dtype)."""
    image, index, st = _stats(image, label_image, index)
    return _lazy(_ext, st, index.shape, image.dtype, "min", index.shape, image.dtype)


def maximum(image, label_image=None, index=None):
    """dask_image.ndmeasure.maximum (the image's dtype)."""
    image, index, st = _stats(image, label_image, index)
    return _lazy(_ext, st, index.shape, image.dtype, "max", index.shape, image.dtype)


def _pos(st, key, ishape, shape):
    p = np.where(st["count"] > 0, st[key], 0)
    return np.stack(np.unravel_index(p, shape), axis=-1).reshape(ishape + (len(shape),)).astype(np.int64)


def minimum_position(image, label_image=None, index=None):
    """dask_image.ndmeasure.minimum_position: (index shape, ndim) int64, the
    first element in raster order holding the minimum."""
    image, index, st = _stats(image, label_image, index)
    return _lazy(_pos, st, index.shape + (image.ndim,), np.int64, "minpos", index.shape, image.shape)


def maximum_position(image, label_image=None, index=None):
    """dask_image.ndmeasure.maximum_position, as minimum_position."""
    image, index, st = _stats(image, label_image, index)
    return _lazy(_pos, st, index.shape + (image.ndim,), np.int64, "maxpos", index.shape, image.shape)


def extrema(image, label_image=None, index=None):
    """dask_image.ndmeasure.extrema: (minimum, maximum, minimum_position,
    maximum_position), from one set of chunk statistics."""
    image, index, st = _stats(image, label_image, index)
    return (_lazy(_ext, st, index.shape, image.dtype, "min", index.shape, image.dtype),
            _lazy(_ext, st, index.shape, image.dtype, "max", index.shape, image.dtype),
            _lazy(_pos, st, index.shape + (image.ndim,), np.int64, "minpos", index.shape, image.shape),
            _lazy(_pos, st, index.shape + (image.ndim,), np.int64, "maxpos", index.shape, image.shape))


def _com(st, ishape, nd):
    with np.errstate(invalid="ignore", divide="ignore"):
        c = st["wsum"] / st["sum"][:, None]
    return c.reshape(ishape + (nd,))


def center_of_mass(image, label_image=None, index=None):
    """dask_image.ndmeasure.center_of_mass: (index shape, ndim) float64."""
    image, index, st = _stats(image, label_image, index)
    return _lazy(_com, st, index.shape + (image.ndim,), np.float64, index.shape, image.ndim)


def _median(img, lab, index):
    return np.asarray(ndi.median(img, lab, index.ravel()), np.float64).reshape(index.shape)


def median(image, label_image=None, index=None):
    """dask_image.ndmeasure.median (float64): each label's values are
    gathered, so this one task reads the whole image."""
    image, label_image, index = _norm(image, label_image, index)
    d = dask.delayed(_median, pure=True)(image, label_image, index)
    return da.from_delayed(d, shape=index.shape, dtype=np.float64)


def _block_hist(img, lab, index, lo, hi, bins):
    flat = index.ravel()
    h = ndi.histogram(img, lo, hi, bins, lab, flat)
    return np.stack([np.zeros(bins, np.int64) if r is None else r for r in h]) if len(flat) else \
        np.zeros((0, bins), np.int64)


def _hist_out(ishape, *parts):
    tot = parts[0].copy()
    for p in parts[1:]:
        tot += p
    out = np.empty(len(tot), object)
    for i in range(len(tot)):
        out[i] = tot[i]
    return out.reshape(ishape)


def histogram(image, min, max, bins, label_image=None, index=None):
    """dask_image.ndmeasure.histogram: an object array of the index's shape
    holding each label's int64 counts."""
    image, label_image, index = _norm(image, label_image, index)
    ib, lb = image.to_delayed().ravel(), label_image.to_delayed().ravel()
    parts = [dask.delayed(_block_hist, pure=True)(i, l, index, min, max, int(bins)) for i, l in zip(ib, lb)]
    d = dask.delayed(_hist_out, pure=True)(index.shape, *parts)
    return da.from_delayed(d, shape=index.shape, dtype=object)


def _block_objects(lab, origin):
    objs = ndi.find_objects(lab)
    return [None if o is None else tuple(slice(s.start + off, s.stop + off) for s, off in zip(o, origin))
            for o in objs]


def _merge_objects(*parts):
    n = builtins_max([len(p) for p in parts] + [0])
    out = [None] * n
    for p in parts:
        for i, o in enumerate(p):
            if o is None:
                continue
            if out[i] is None:
                out[i] = o
            else:
                out[i] = tuple(slice(min(a.start, b.start), builtins_max(a.stop, b.stop)) for a, b in zip(out[i], o))
    return out


def find_objects(label_image):
    """scipy.ndimage.find_objects of a dask label array, chunk by chunk: a
    dask.delayed list of tuples of slices (None for a label without
    elements). dask_image's version returns a pandas DataFrame instead."""
    label_image = da.asarray(label_image)
    if label_image.dtype.char not in np.typecodes["AllInteger"]:
        raise ValueError("find_objects only accepts integer dtype arrays")
    starts = [np.concatenate(([0], np.cumsum(c)[:-1])) for c in label_image.chunks]
    blocks = label_image.to_delayed().ravel()
    parts = []
    for i, bid in enumerate(itertools.product(*(range(n) for n in label_image.numblocks))):
        origin = tuple(int(starts[a][j]) for a, j in enumerate(bid))
        parts.append(dask.delayed(_block_objects, pure=True)(blocks[i], origin))
    return dask.delayed(_merge_objects, pure=True)(*parts)


def _comprehension(img, lab, index, func, out_dtype, default, pass_positions):
    idx = index.ravel()
    if idx.size == 0:
        return np.empty(index.shape, out_dtype)
    out = ndi._per_label(np.asarray(img), np.asarray(lab), idx.astype(np.int64), func, out_dtype, default,
                         pass_positions, stable=True)
    return out.reshape(index.shape)


def labeled_comprehension(image, label_image, index, func, out_dtype, default, pass_positions=False):
    """dask_image.ndmeasure.labeled_comprehension: ``func`` applied to the
    values of ``image`` under each label of ``index`` in raster order (and,
    with ``pass_positions``, to their flat raster positions), lazily: a
    dask array of ``index``'s shape and ``out_dtype``, ``default`` for a
    label without elements. No labels: func of the whole image; no index:
    func of every element of a label above 0. One task gathers the image
    and the labels (as ``median`` does) and groups them with one sort,
    where dask_image compares the whole label image with each index."""
    image, label_image, index = _norm(image, label_image, index)
    out_dtype = np.dtype(out_dtype)
    d = dask.delayed(_comprehension, pure=True)(image, label_image, index, func, out_dtype, default,
                                                bool(pass_positions))
    return da.from_delayed(d, shape=index.shape, dtype=out_dtype)
