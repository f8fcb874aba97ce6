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

import itertools

import dask
import dask.array as da
import numpy as np

from .. import ndi

__all__ = ["label"]


def _label_block(block, conn):
    out, _ = ndi.label(block, structure=conn)
    return out


def _block_info(labels, origin, shape):
    """(n, the global flat index of each label's first element, label order)."""
    flat = labels.ravel()
    idx = np.flatnonzero(flat)
    if idx.size == 0:
        return 0, np.empty(0, np.int64)
    vals = flat[idx]
    prev = np.maximum.accumulate(np.concatenate(([0], vals[:-1])))
    firsts = idx[vals > prev]  # labels appear first in raster order: 1, 2, ...
    coords = np.unravel_index(firsts, labels.shape)
    coords = tuple(c + o for c, o in zip(coords, origin))
    return len(firsts), np.ravel_multi_index(coords, shape).astype(np.int64)


def _offsets(infos):
    counts = np.array([n for n, _ in infos], dtype=np.int64)
    return np.concatenate(([0], np.cumsum(counts)[:-1]))


def _add_offset(block, offsets, numblocks, block_id=None):
    off = offsets[np.ravel_multi_index(block_id, numblocks)]
    out = block.astype(np.int64)
    out[out > 0] += off
    return out


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


def _relabel(infos, *pairs):
    """(lookup table from chunk-offset labels to scipy's numbers, n)."""
    total = int(sum(n for n, _ in infos))
    firsts = np.concatenate([np.empty(1, np.int64)] + [f for _, f in infos])
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


def _apply(block, lut):
    return lut[0][block]


def label(image, structure=None, wrap_axes=None):
    """dask_image.ndmeasure.label: ``(labels, n)``, lazy int32 labels and a
    0-d dask array with the number of objects, equal to
    scipy.ndimage.label(image.compute(), structure) for any chunks."""
    if wrap_axes:
        raise NotImplementedError("segstack.dask.ndmeasure.label: wrap_axes is not supported")
    image = da.asarray(image)
    nd = image.ndim
    conn = ndi._connectivity(structure, nd)
    struct = (ndi.generate_binary_structure(nd, 1) if structure is None
              else np.asarray(structure).astype(bool))
    local = image.map_blocks(_label_block, conn=None if structure is None else struct,
                             dtype=np.int32, meta=np.empty((0,) * nd, np.int32))
    starts = [np.concatenate(([0], np.cumsum(c)[:-1])) for c in image.chunks]
    blocks = local.to_delayed()
    infos = []
    for bid in itertools.product(*(range(n) for n in image.numblocks)):
        origin = tuple(int(starts[a][i]) for a, i in enumerate(bid))
        infos.append(dask.delayed(_block_info, pure=True)(blocks[bid], origin, image.shape))
    offsets = dask.delayed(_offsets, pure=True)(infos)
    glob = local.map_blocks(_add_offset, offsets, image.numblocks, dtype=np.int64,
                            meta=np.empty((0,) * nd, np.int64))
    pairs = []
    for axis in range(nd):
        center = [1] * nd
        offs = []
        for o in itertools.product((-1, 0, 1), repeat=nd):
            if o[axis] == 1 and struct[tuple(c + d for c, d in zip(center, o))]:
                offs.append(tuple(d for a, d in enumerate(o) if a != axis))
        for c in starts[axis][1:]:
            sa = [slice(None)] * nd
            sb = [slice(None)] * nd
            sa[axis] = slice(int(c) - 1, int(c))
            sb[axis] = slice(int(c), int(c) + 1)
            pairs.append(dask.delayed(_face_pairs, pure=True)(glob[tuple(sa)], glob[tuple(sb)], axis, offs))
    res = dask.delayed(_relabel, pure=True, nout=2)(infos, *pairs)
    lut = dask.delayed(lambda r: (r[0],), pure=True)(res)
    labels = glob.map_blocks(_apply, lut, dtype=np.int32, meta=np.empty((0,) * nd, np.int32))
    n = da.from_delayed(res[1], shape=(), dtype=np.int64)
    return labels, n
