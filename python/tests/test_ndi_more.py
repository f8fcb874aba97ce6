"""The rest of segstack.ndi against scipy.ndimage: the ndfilters, the
measurements with labels and index, find_objects, histogram, the distance
transform and binary morphology. Integer results must equal scipy's;
float64 inputs are computed in float32 and must match to float32
rounding."""

import numpy as np
import pytest
import scipy.ndimage as sndi

from segstack import ndi

DTYPES = [np.uint8, np.uint16, np.int16, np.int32, np.float32, np.float64, np.int64]


def _unique_values(rng, shape, dtype):
    """Values without ties (where the dtype allows), so that positions of
    extrema are defined (scipy picks among ties by an unstable sort)."""
    v = rng.permutation(int(np.prod(shape))).reshape(shape)
    if np.dtype(dtype).itemsize == 1:
        v = v % 250
    if np.dtype(dtype).kind == "f":
        return (v / 7.0).astype(dtype)
    return v.astype(dtype)


def _same(got, want, exact):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape
    if exact:
        np.testing.assert_array_equal(got, want)
    else:
        scale = max(float(np.nanmax(np.abs(want))) if want.size else 1.0, 1.0)
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-6 * scale)


@pytest.mark.parametrize("dtype", DTYPES)
def test_filters_match_scipy(rng, dtype):
    a = _unique_values(rng, (23, 31), dtype)
    a3 = _unique_values(rng, (5, 13, 11), dtype)
    exact = dtype != np.float64
    fp = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 1]], bool)
    _same(ndi.uniform_filter(a3, 3), sndi.uniform_filter(a3, 3), exact)
    _same(ndi.uniform_filter(a, (2, 5), mode="nearest", origin=(0, 1)),
          sndi.uniform_filter(a, (2, 5), mode="nearest", origin=(0, 1)), exact)
    for f in ("median_filter", "minimum_filter", "maximum_filter"):
        _same(getattr(ndi, f)(a3, size=3, mode="nearest"), getattr(sndi, f)(a3, size=3, mode="nearest"), exact)
        _same(getattr(ndi, f)(a, footprint=fp, mode="constant", cval=5),
              getattr(sndi, f)(a, footprint=fp, mode="constant", cval=5), exact)
    if dtype == np.int64:
        with pytest.raises(TypeError, match="int64"):
            ndi.correlate(a, np.ones((3, 3)))
        return
    w = rng.random((3, 3))
    _same(ndi.correlate(a, w), sndi.correlate(a, w), exact)
    _same(ndi.convolve(a, w, mode="wrap"), sndi.convolve(a, w, mode="wrap"), exact)
    _same(ndi.correlate1d(a3, [1, 2, 0.5], axis=1), sndi.correlate1d(a3, [1, 2, 0.5], axis=1), exact)
    _same(ndi.convolve1d(a3, [1, 2, 0.5, 1], axis=0, origin=1), sndi.convolve1d(a3, [1, 2, 0.5, 1], axis=0, origin=1),
          exact)
    _same(ndi.sobel(a3, axis=1), sndi.sobel(a3, axis=1), exact)
    _same(ndi.prewitt(a3, axis=0), sndi.prewitt(a3, axis=0), exact)
    _same(ndi.laplace(a3), sndi.laplace(a3), exact)
    _same(ndi.sobel(a3, output=np.float32), sndi.sobel(a3, output=np.float32), dtype not in (np.float64,))
    if np.dtype(dtype).kind == "f":
        _same(ndi.gaussian_laplace(a3, 1.2), sndi.gaussian_laplace(a3, 1.2), False)
        _same(ndi.gaussian_gradient_magnitude(a3, (1.2, 0.8, 1.0)),
              sndi.gaussian_gradient_magnitude(a3, (1.2, 0.8, 1.0)), False)
    else:
        with pytest.raises(TypeError, match="float32"):
            ndi.gaussian_laplace(a3, 1.2)
        _same(ndi.gaussian_laplace(a3, 1.2, output=np.float32), sndi.gaussian_laplace(a3, 1.2, output=np.float32), False)


@pytest.mark.parametrize("dtype", DTYPES)
def test_measurements_with_labels_and_index(rng, dtype):
    a3 = _unique_values(rng, (5, 13, 11), dtype)
    lab, n = sndi.label(a3 > np.median(a3))
    idx = list(range(0, n + 2))  # the background and a label without elements included
    exact_ints = np.dtype(dtype).kind != "f"
    for f in ("maximum", "minimum", "sum", "mean", "variance", "standard_deviation", "median"):
        exact = exact_ints or (f in ("maximum", "minimum", "median") and dtype == np.float32)
        _same(getattr(ndi, f)(a3, lab, idx), getattr(sndi, f)(a3, lab, idx), exact)
        _same(getattr(ndi, f)(a3, lab, np.array([[1, 2], [3, n]])), getattr(sndi, f)(a3, lab, np.array([[1, 2], [3, n]])),
              exact)
        for args in ((lab, 2), (lab,), ()):
            got, want = getattr(ndi, f)(a3, *args), getattr(sndi, f)(a3, *args)
            assert np.isscalar(got) and type(got) is type(want), (f, args, type(got), type(want))
            _same(got, want, exact and f not in ("variance", "standard_deviation"))
    ties = np.dtype(dtype).itemsize == 1  # 715 values in 250: positions of ties are scipy's sort order's
    for f in ("maximum_position", "minimum_position", "center_of_mass"):
        exact = f != "center_of_mass"
        if ties and exact:
            continue
        for args in ((lab, idx[1:]), (lab, 2), (lab,), ()):
            got, want = getattr(ndi, f)(a3, *args), getattr(sndi, f)(a3, *args)
            assert type(got) is type(want)
            _same(got, want, exact)
    got, want = ndi.extrema(a3, lab, idx[1:]), sndi.extrema(a3, lab, idx[1:])
    for g, w in zip(got, want[:2] if ties else want):
        _same(g, w, dtype != np.float64)
    if dtype == np.float64:
        # float32 rounding moves values lying within it of a bin edge
        assert ndi.histogram(a3, 0, 200, 10, lab, 3).sum() == sndi.histogram(a3, 0, 200, 10, lab, 3).sum()
        return
    _same(ndi.histogram(a3, 0, 200, 10, lab, 3), sndi.histogram(a3, 0, 200, 10, lab, 3), True)
    _same(ndi.histogram(a3, 0, 200, 10), sndi.histogram(a3, 0, 200, 10), True)
    hs, hw = ndi.histogram(a3, 0, 200, 7, lab, [1, 2, n + 1]), sndi.histogram(a3, 0, 200, 7, lab, [1, 2, n + 1])
    for g, w in zip(hs, hw):
        assert (g is None) == (w is None)
        if g is not None:
            _same(g, w, True)


def test_measurement_labels_broadcast_and_errors(rng):
    a = rng.random((6, 7)).astype(np.float32)
    row = np.array([1, 1, 2, 2, 0, 3, 3])
    _same(ndi.mean(a, row, [1, 2, 3]), sndi.mean(a, row, [1, 2, 3]), False)
    with pytest.raises(ValueError, match="index values"):
        ndi.mean(a, row, [-1])
    with pytest.raises(TypeError, match="labels of"):
        ndi.mean(a, row + 0.5, [1])


def test_find_objects_matches_scipy(rng):
    for shape in ((60, 70), (7, 30, 31), (100,)):
        lab, n = sndi.label(rng.random(shape) > 0.6)
        assert ndi.find_objects(lab) == sndi.find_objects(lab)
        assert ndi.find_objects(lab, 5) == sndi.find_objects(lab, 5)
        assert ndi.find_objects(lab, n + 3) == sndi.find_objects(lab, n + 3)
        lab[lab == 2] = 0
        assert ndi.find_objects(lab) == sndi.find_objects(lab)


@pytest.mark.parametrize("shape", [(40, 50), (8, 20, 21)])
def test_edt_and_morphology_match_scipy(rng, shape):
    x = rng.random(shape) > 0.4
    for samp in (None, [1.5] * len(shape), [2.0, 0.5] + [1.0] * (len(shape) - 2)):
        got, want = ndi.distance_transform_edt(x, sampling=samp), sndi.distance_transform_edt(x, sampling=samp)
        assert got.dtype == want.dtype == np.float64
        # each value is scipy's float64 distance rounded to float32
        np.testing.assert_array_equal(got, want.astype(np.float32).astype(np.float64))
    for f in ("binary_erosion", "binary_dilation", "binary_opening", "binary_closing"):
        for k in range(1, len(shape) + 1):
            st = sndi.generate_binary_structure(len(shape), k)
            for it in (1, 2, 0):
                _same(getattr(ndi, f)(x, st, iterations=it), getattr(sndi, f)(x, st, iterations=it), True)
        _same(getattr(ndi, f)(x, border_value=1), getattr(sndi, f)(x, border_value=1), True)
        _same(getattr(ndi, f)(x.astype(np.uint16) * 7), getattr(sndi, f)(x.astype(np.uint16) * 7), True)
    for k in range(1, len(shape) + 1):
        st = sndi.generate_binary_structure(len(shape), k)
        _same(ndi.binary_fill_holes(x, st), sndi.binary_fill_holes(x, st), True)
    out = np.zeros(shape, bool)
    assert ndi.binary_fill_holes(x, output=out) is out
    with pytest.raises(NotImplementedError, match="mask"):
        ndi.binary_erosion(x, mask=x)


def test_filter_errors_name_the_problem(rng):
    a = rng.random((10, 10)).astype(np.float32)
    with pytest.raises(ValueError, match="mode"):
        ndi.uniform_filter(a, 3, mode="bogus")
    with pytest.raises(ValueError, match="size 0 on axis 1 must be at least 1"):
        ndi.uniform_filter(a, (3, 0), origin=(0, 0))
    with pytest.raises(ValueError, match="axis 2 is out of range for a 2-D input"):
        ndi.sobel(a, axis=2)
    with pytest.raises(ValueError, match="sampling -1"):
        ndi.distance_transform_edt(a > 0.5, sampling=(-1, 1))
    with pytest.raises(TypeError, match="complex64"):
        ndi.median_filter(a.astype(np.complex64), 3)


def _first_plus_sum(v):
    return v[0] * 1000.0 + v.sum() + len(v)  # depends on the order of the values


def _positions_and_mean(v, p):
    return float(p[0] * 7 + p[-1] + v.mean())


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.float32, np.float64])
def test_labeled_comprehension_equals_scipy(rng, dtype):
    a = _unique_values(rng, (30, 41), dtype)
    lab = rng.integers(0, 6, a.shape).astype(np.int32)
    for index in ([1, 2, 5, 9, 3, 2], 4, np.array([0, 7]), [5]):
        for func, pp in ((_first_plus_sum, False), (_positions_and_mean, True), (np.median, False)):
            for out_dtype, default in ((np.float64, -1.5), (np.int64, -1)):
                want = sndi.labeled_comprehension(a, lab, index, func, out_dtype, default, pass_positions=pp)
                got = ndi.labeled_comprehension(a, lab, index, func, out_dtype, default, pass_positions=pp)
                assert np.shape(got) == np.shape(want) and np.asarray(got).dtype == np.asarray(want).dtype
                np.testing.assert_array_equal(got, want, err_msg=f"{index} {func.__name__}")
    # no index: every label above 0 together; no labels: the whole input
    assert ndi.labeled_comprehension(a, lab, None, _first_plus_sum, float, 0) == \
        sndi.labeled_comprehension(a, lab, None, _first_plus_sum, float, 0)
    assert ndi.labeled_comprehension(a, None, None, _positions_and_mean, float, 0, True) == \
        sndi.labeled_comprehension(a, None, None, _positions_and_mean, float, 0, True)
    # labels that broadcast against the input
    row = (np.arange(41) % 3).astype(np.int32)
    np.testing.assert_array_equal(ndi.labeled_comprehension(a, row, [1, 2], _first_plus_sum, float, 0),
                                  sndi.labeled_comprehension(a, row, [1, 2], _first_plus_sum, float, 0))


def test_labeled_comprehension_errors_are_scipys():
    a = np.zeros((4, 5))
    with pytest.raises(ValueError, match="index without defined labels"):
        ndi.labeled_comprehension(a, None, 1, np.sum, float, 0)
    with pytest.raises(ValueError, match="same shape"):
        ndi.labeled_comprehension(a, np.zeros((3, 5), int), 1, np.sum, float, 0)
    with pytest.raises(ValueError, match="without loss of precision"):
        ndi.labeled_comprehension(a, np.zeros((4, 5), np.uint8), [1.5], np.sum, float, 0)
