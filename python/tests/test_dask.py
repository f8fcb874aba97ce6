"""segstack.dask drop-ins against dask_image (masks, counts) and scipy (numbering)."""

import dask.array as da
import dask_image.ndfilters
import dask_image.ndmeasure
import numpy as np
import pytest
import scipy.ndimage as sndi

import segstack
from segstack.dask import ndfilters, ndmeasure
from _data import blobs

LAYOUTS_2D = [(64, 80), (16, 16), (13, 29), (1, 80), (64, 1), (5, 7)]
LAYOUTS_3D = [(12, 30, 40), (6, 15, 20), (1, 30, 40), (4, 10, 10), (5, 7, 9), (12, 1, 40)]
WITH_DASK_IMAGE = {(64, 80), (16, 16), (13, 29), (12, 30, 40), (6, 15, 20)}


@pytest.mark.parametrize("chunks", LAYOUTS_2D)
def test_gaussian_equals_dask_image(rng, chunks):
    x = rng.random((64, 80)).astype(np.float32)
    sigma = (1.0, 2.0) if min(chunks) >= 8 else 0.6  # dask needs chunks at least the halo
    a = da.from_array(x, chunks=chunks)
    got = ndfilters.gaussian_filter(a, sigma)
    want = dask_image.ndfilters.gaussian_filter(a, sigma)
    assert got.shape == want.shape and got.dtype == np.float32
    g, w = got.compute(), want.compute()
    np.testing.assert_allclose(g, w, rtol=2e-6, atol=4e-7)
    np.testing.assert_array_equal(g > 0.5, w > 0.5)


@pytest.mark.parametrize("mode", ["reflect", "nearest", "constant", "mirror", "wrap"])
def test_gaussian_modes_across_chunks(rng, mode):
    x = rng.random((6, 40, 40)).astype(np.float32)
    got = ndfilters.gaussian_filter(da.from_array(x, chunks=(3, 20, 13)), (1.0, 1.5, 1.0), mode=mode, cval=0.5)
    np.testing.assert_allclose(got.compute(), sndi.gaussian_filter(x, (1.0, 1.5, 1.0), mode=mode, cval=0.5),
                               rtol=2e-6, atol=4e-7)


def _check_label(m, chunks, structure, with_dask_image=True):
    a = da.from_array(m, chunks=chunks)
    lab, n = ndmeasure.label(a, structure)
    got, gn = lab.compute(), int(n.compute())
    want, wn = sndi.label(m, structure)
    assert got.dtype == np.int32 and lab.chunks == a.chunks
    assert gn == wn
    if with_dask_image:  # (it is slow: only some layouts)
        dlab, dn = dask_image.ndmeasure.label(a, structure)
        assert int(dn.compute()) == wn
        np.testing.assert_array_equal(got > 0, dlab.compute() > 0)  # dask_image's mask
    np.testing.assert_array_equal(got, want)  # scipy's numbering


@pytest.mark.parametrize("chunks", LAYOUTS_2D)
@pytest.mark.parametrize("k", [1, 2])
def test_label_2d_numbered_like_scipy(rng, chunks, k):
    for density in (0.35, 0.6):
        _check_label(rng.random((64, 80)) < density, chunks, sndi.generate_binary_structure(2, k),
                     chunks in WITH_DASK_IMAGE and density == 0.35)


@pytest.mark.parametrize("chunks", LAYOUTS_3D)
@pytest.mark.parametrize("k", [1, 2, 3])
def test_label_3d_numbered_like_scipy(rng, chunks, k):
    _check_label(rng.random((12, 30, 40)) < 0.3, chunks, sndi.generate_binary_structure(3, k),
                 chunks in WITH_DASK_IMAGE and k != 2)


def test_label_corner_only_touch(rng):
    m = np.zeros((8, 8), bool)
    m[3, 3] = m[4, 4] = True  # touch only diagonally, across a chunk corner
    _check_label(m, (4, 4), sndi.generate_binary_structure(2, 2))
    _check_label(m, (4, 4), None)
    m3 = np.zeros((4, 4, 4), bool)
    m3[1, 1, 1] = m3[2, 2, 2] = True
    _check_label(m3, (2, 2, 2), sndi.generate_binary_structure(3, 3))


def test_label_default_structure_and_blobs(rng):
    stack = blobs(rng, (6, 64, 64)) > 1000
    for chunks in [(2, 32, 32), (6, 10, 64), (1, 64, 7)]:
        _check_label(stack, chunks, None, chunks[0] == 2)


@pytest.mark.parametrize("chunks", [(1, 64, 64), (2, 64, 64), (3, 32, 20)])
def test_segment_2d_equals_numpy_segment(rng, chunks):
    stack = blobs(rng, (6, 64, 64))
    want = segstack.segment(stack)
    got = segstack.dask.segment(da.from_array(stack, chunks=chunks)).compute()
    np.testing.assert_array_equal(got, want.labels)
    per = segstack.dask.segment(da.from_array(stack, chunks=chunks), labels="per-plane").compute()
    np.testing.assert_array_equal(per, segstack.segment(stack, labels="per-plane").labels)


@pytest.mark.parametrize("threshold", ["0.33max", "otsu", "1200"])
def test_segment_3d_equals_numpy_segment(rng, threshold):
    vol = blobs(rng, (10, 40, 48), n=15)
    want = segstack.segment(vol, mode="3d", threshold=threshold, connectivity=26)
    got = segstack.dask.segment(da.from_array(vol, chunks=(5, 20, 24)), mode="3d", threshold=threshold,
                                connectivity=26).compute()
    np.testing.assert_array_equal(got, want.labels)
