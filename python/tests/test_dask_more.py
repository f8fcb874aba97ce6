"""The rest of segstack.dask.ndfilters / ndmeasure against dask_image
(what it computes) and scipy.ndimage (the whole array), over several chunk
layouts."""

import warnings

import dask.array as da
import dask_image.ndfilters
import dask_image.ndmeasure
import numpy as np
import pytest
import scipy.ndimage as sndi

from segstack.dask import ndfilters, ndmeasure

LAYOUTS = [(64, 80), (16, 16), (13, 29), (9, 7)]
LAYOUTS_3D = [(6, 30, 40), (3, 15, 20), (2, 7, 9)]


def _unique(rng, shape, dtype):
    v = rng.permutation(int(np.prod(shape))).reshape(shape)
    return (v / 7.0).astype(dtype) if np.dtype(dtype).kind == "f" else v.astype(dtype)


def _eq(got, want, exact=True):
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape
    if exact:
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-6 * max(1.0, float(np.nanmax(np.abs(want)))))


@pytest.mark.parametrize("chunks", LAYOUTS)
@pytest.mark.parametrize("dtype", [np.uint16, np.float32])
def test_filters_equal_scipy_and_dask_image(rng, chunks, dtype):
    x = _unique(rng, (64, 80), dtype)
    a = da.from_array(x, chunks=chunks)
    exact = dtype != np.float32
    fp = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 1]], bool)
    w = rng.random((3, 5))
    cases = [
        ("uniform_filter", dict(size=(3, 5)), dict(size=(3, 5)), True),
        ("uniform_filter", dict(size=4, mode="nearest", origin=1), dict(size=4, mode="nearest", origin=1), True),
        ("median_filter", dict(size=3), dict(size=3), True),
        ("minimum_filter", dict(footprint=fp, mode="constant", cval=7), dict(footprint=fp, mode="constant", cval=7), True),
        ("maximum_filter", dict(size=(5, 3), mode="mirror"), dict(size=(5, 3), mode="mirror"), True),
        ("correlate", dict(weights=w), dict(weights=w), True),
        ("convolve", dict(weights=w, mode="nearest"), dict(weights=w, mode="nearest"), True),
        ("sobel", dict(axis=0), dict(axis=0), True),
        ("prewitt", dict(axis=1), dict(axis=1), True),
        ("laplace", {}, {}, True),
        ("gaussian_filter", dict(sigma=(1.0, 0.7)), dict(sigma=(1.0, 0.7)), exact),
    ]
    if dtype == np.float32:
        cases += [("gaussian_laplace", dict(sigma=1.0), dict(sigma=1.0), False),
                  ("gaussian_gradient_magnitude", dict(sigma=0.8), dict(sigma=0.8), False)]
    for name, kw, skw, ex in cases:
        got = getattr(ndfilters, name)(a, **kw)
        assert got.dtype == x.dtype and got.shape == a.shape, name  # (dask may rechunk for a halo wider than a chunk)
        g = got.compute()
        _eq(g, getattr(sndi, name)(x, **skw), ex and exact or (ex and name not in ("correlate", "convolve",
                                                                                    "uniform_filter")))
        if chunks == (16, 16):  # dask_image too (its wrap-free modes agree with scipy's)
            dw = getattr(dask_image.ndfilters, name)(a, **kw).compute()
            _eq(g, dw, ex and exact or False)


@pytest.mark.parametrize("chunks", LAYOUTS_3D)
def test_filters_3d_wrap_across_chunks(rng, chunks):
    x = rng.random((6, 30, 40)).astype(np.float32)
    a = da.from_array(x, chunks=chunks)
    _eq(ndfilters.uniform_filter(a, 3, mode="wrap").compute(), sndi.uniform_filter(x, 3, mode="wrap"), False)
    _eq(ndfilters.median_filter(a, size=3, mode="wrap").compute(), sndi.median_filter(x, size=3, mode="wrap"))


@pytest.mark.parametrize("chunks", [(32, 40), (16, 16), (13, 29), (32, 7)])
@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.float32])
def test_measurements_equal_scipy_and_dask_image(rng, chunks, dtype):
    x = _unique(rng, (32, 40), np.int64 if dtype == np.uint8 else dtype)
    if dtype == np.uint8:
        x = (x % 251).astype(np.uint8)
    lab, n = sndi.label(sndi.uniform_filter(rng.random((32, 40)), 5) > 0.52)
    a, la = da.from_array(x, chunks=chunks), da.from_array(lab, chunks=chunks)
    idx = np.arange(0, n + 2)  # background and a missing label included
    exact = dtype != np.float32
    ties = dtype == np.uint8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for name, sname in (("area", None), ("sum_labels", "sum_labels"), ("mean", "mean"), ("variance", "variance"),
                            ("standard_deviation", "standard_deviation"), ("minimum", "minimum"),
                            ("maximum", "maximum"), ("median", "median"), ("center_of_mass", "center_of_mass"),
                            ("minimum_position", "minimum_position"), ("maximum_position", "maximum_position")):
            if ties and name.endswith("position"):
                continue
            for index in (idx, 3, None):
                got = getattr(ndmeasure, name)(a, la, index)
                want_d = getattr(dask_image.ndmeasure, name)(a, la, index)
                assert got.shape == want_d.shape and got.dtype == want_d.dtype, (name, index)
                g = got.compute()
                ex = exact and name not in ("variance", "standard_deviation", "center_of_mass") \
                    or name in ("area", "minimum", "maximum", "minimum_position", "maximum_position")
                if sname is not None and index is not None:
                    w = np.asarray(getattr(sndi, sname)(x, lab, index), dtype=g.dtype).reshape(g.shape)
                    _eq(g, w, ex)
                if chunks == (13, 29):  # dask_image is slow: one layout
                    wd = want_d.compute()
                    if name == "median" and index is idx:  # dask_image: NaN for the missing label, scipy: 0
                        g, wd = g[:-1], wd[:-1]
                    _eq(g, wd, ex)
        got = ndmeasure.histogram(a, 0, 300, 9, la, idx[1:5])
        want = dask_image.ndmeasure.histogram(a, 0, 300, 9, la, idx[1:5])
        assert got.shape == want.shape and got.dtype == want.dtype == object
        for g, w in zip(got.compute(), sndi.histogram(x, 0, 300, 9, lab, idx[1:5])):
            _eq(g, w)
        ext = ndmeasure.extrema(a, la, idx[1:])
        for g, w in zip(ext, sndi.extrema(x, lab, idx[1:])):
            if not ties or g.dtype != np.int64:
                _eq(g.compute(), np.asarray(w), True)
    assert ndmeasure.find_objects(la).compute() == sndi.find_objects(lab)


def _first_plus_sum(v):
    return v[0] * 1000.0 + v.sum() + len(v)  # depends on the order of the values


def _positions_and_mean(v, p):
    return float(p[0] * 7 + p[-1] + v.mean())


@pytest.mark.parametrize("chunks", [(64, 80), (13, 29)])  # dask_image is slow on fine chunks here
def test_labeled_comprehension_equals_dask_image(rng, chunks):
    a = _unique(rng, (64, 80), np.float32)
    lab = rng.integers(0, 6, a.shape).astype(np.int32)
    img, labels = da.from_array(a, chunks=chunks), da.from_array(lab, chunks=chunks)
    cases = [(labels, [1, 2, 5, 9, 3, 2]), (labels, 4), (labels, np.array([0, 7])), (labels, None), (None, None)]
    for lbl, index in cases:
        for func, pp in ((_first_plus_sum, False), (_positions_and_mean, True)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                want = dask_image.ndmeasure.labeled_comprehension(img, lbl, index, func, np.float64, -1.5,
                                                                  pass_positions=pp)
            got = ndmeasure.labeled_comprehension(img, lbl, index, func, np.float64, -1.5, pass_positions=pp)
            assert isinstance(got, da.Array) and got.shape == want.shape and got.dtype == want.dtype
            np.testing.assert_array_equal(got.compute(), want.compute(), err_msg=f"{index} {func.__name__}")
