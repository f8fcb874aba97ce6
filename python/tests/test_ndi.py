"""segstack.ndi against scipy.ndimage."""

import numpy as np
import pytest
import scipy.ndimage as sndi

import segstack
from segstack import ndi

DTYPES = [np.uint8, np.uint16, np.uint32, np.int16, np.int32, np.float32, np.float64, np.int64, np.uint64]


def _image(rng, shape, dtype):
    if np.dtype(dtype).kind == "f":
        return (rng.random(shape) * 100).astype(dtype)
    hi = 200 if np.dtype(dtype).itemsize == 1 else 5000
    return rng.integers(0, hi, shape).astype(dtype)


def _close32(got, want):
    """Equal within float32 rounding of the result (segstack sums in float32
    with fused multiply-adds, scipy in float64)."""
    assert got.dtype == np.float32
    scale = max(float(np.abs(want).max()), 1e-30)
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=4e-7 * scale)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,sigma", [((37, 53), 1.0), ((37, 53), (0.7, 2.5)), ((6, 21, 30), (1.0, 1.5, 0.5)),
                                         ((9, 17, 12), 0), ((101,), 3.0)])
def test_gaussian_matches_scipy(rng, dtype, shape, sigma):
    """scipy's output dtype (the input's); integer results equal scipy's,
    floating-point ones to float32 rounding."""
    a = _image(rng, shape, dtype)
    got = ndi.gaussian_filter(a, sigma)
    want = sndi.gaussian_filter(a, sigma)
    assert got.dtype == want.dtype == a.dtype
    if a.dtype.kind == "f":
        _close32(got.astype(np.float32), want.astype(np.float32))
    else:
        np.testing.assert_array_equal(got, want)
    # output=np.float32 asks for the float32 result of any input.
    _close32(ndi.gaussian_filter(a, sigma, output=np.float32),
             sndi.gaussian_filter(a.astype(np.float64), sigma).astype(np.float32))


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.uint16, np.int32])
def test_gaussian_integer_output_is_scipys(rng, dtype):
    a = _image(rng, (5, 19, 23), dtype)
    for out in (np.uint8, np.int16, np.int32, np.uint16):
        for mode in ("reflect", "constant", "wrap"):
            np.testing.assert_array_equal(ndi.gaussian_filter(a, (0.8, 1.7, 2.2), output=out, mode=mode, cval=3),
                                          sndi.gaussian_filter(a, (0.8, 1.7, 2.2), output=out, mode=mode, cval=3))
    o = np.zeros(a.shape, np.int16)
    assert ndi.gaussian_filter(a, 1.5, output=o) is o
    np.testing.assert_array_equal(o, sndi.gaussian_filter(a, 1.5, output=np.int16))
    np.testing.assert_array_equal(ndi.gaussian_filter(a, 2.0, axes=(1, 2)), sndi.gaussian_filter(a, 2.0, axes=(1, 2)))


@pytest.mark.parametrize("mode", ["reflect", "nearest", "mirror", "constant", "wrap"])
@pytest.mark.parametrize("truncate", [4.0, 2.0])
def test_gaussian_modes(rng, mode, truncate):
    a = rng.random((5, 24, 19)).astype(np.float32)
    got = ndi.gaussian_filter(a, (1.0, 2.0, 1.2), mode=mode, cval=0.25, truncate=truncate)
    want = sndi.gaussian_filter(a, (1.0, 2.0, 1.2), mode=mode, cval=0.25, truncate=truncate)
    _close32(got, want)


def test_gaussian_zero_copy_and_views(rng):
    a = rng.random((40, 50)).astype(np.float32)
    view = a[::2, 3:]  # not C-contiguous: copied, same answer
    _close32(ndi.gaussian_filter(view, 1), sndi.gaussian_filter(view, 1))
    big = a.astype(">f4")  # big-endian: converted
    _close32(ndi.gaussian_filter(big, 1), sndi.gaussian_filter(a, 1))
    out = np.empty(a.shape, np.float64)
    assert ndi.gaussian_filter(a, 1, output=out) is out
    _close32(out.astype(np.float32), sndi.gaussian_filter(a, 1))
    assert ndi.gaussian_filter(a, 1, output=np.float64).dtype == np.float64


def _structures(ndim):
    return [None] + [sndi.generate_binary_structure(ndim, k) for k in range(1, ndim + 1)]


@pytest.mark.parametrize("shape", [(200,), (64, 80), (1, 40, 50), (12, 33, 41)])
@pytest.mark.parametrize("density", [0.3, 0.55, 0.8])
def test_label_matches_scipy(rng, shape, density):
    for dtype in (bool, np.uint8, np.uint16, np.float32, np.int64, np.float64):
        m = rng.random(shape) < density
        a = m.astype(dtype) * (3 if dtype is not bool else 1)
        for st in _structures(len(shape)):
            got, n = ndi.label(a, st)
            want, wn = sndi.label(a, st)
            assert n == wn
            assert got.dtype == want.dtype == np.int32
            np.testing.assert_array_equal(got, want)


def test_label_negative_and_nan_are_foreground(rng):
    a = rng.normal(size=(30, 30)).astype(np.float32)
    a[a > 1] = 0
    a[0, 0] = np.nan
    got, n = ndi.label(a)
    want, wn = sndi.label(a)
    assert n == wn
    np.testing.assert_array_equal(got, want)


def test_label_output_array(rng):
    m = rng.random((30, 40)) > 0.5
    out = np.zeros(m.shape, np.int32)
    n = ndi.label(m, output=out)
    want, wn = sndi.label(m)
    assert n == wn
    np.testing.assert_array_equal(out, want)
    lab, n = ndi.label(m, output=np.uint32)
    assert lab.dtype == np.uint32 and n == wn


def test_label_rejects_other_structures():
    with pytest.raises(ValueError, match="generate_binary_structure"):
        ndi.label(np.ones((5, 5)), structure=[[1, 0, 0], [0, 1, 0], [0, 0, 1]])


def test_generate_binary_structure_is_scipys():
    for rank in (1, 2, 3):
        for k in range(1, rank + 1):
            np.testing.assert_array_equal(ndi.generate_binary_structure(rank, k),
                                          sndi.generate_binary_structure(rank, k))


@pytest.mark.parametrize("dtype", DTYPES + [bool])
def test_reductions_match_scipy(rng, dtype):
    a = _image(rng, (7, 33, 29), dtype) if dtype is not bool else rng.random((7, 33, 29)) > 0.5
    assert ndi.maximum(a) == sndi.maximum(a)
    assert ndi.minimum(a) == sndi.minimum(a)
    assert ndi.maximum(a).dtype == a.dtype
    np.testing.assert_allclose(ndi.sum_labels(a), sndi.sum_labels(a), rtol=1e-6)
    np.testing.assert_allclose(ndi.sum(a), sndi.sum(a), rtol=1e-6)
    np.testing.assert_allclose(ndi.mean(a), sndi.mean(a), rtol=1e-6)
    if a.dtype.kind in "iub":
        assert ndi.sum_labels(a) == int(sndi.sum_labels(a))


def test_info_reports_simd_and_cuda():
    i = segstack.info()
    assert i["simd"] in ("avx512", "avx2", "go")
    assert isinstance(i["cuda"], bool)
    assert i["version"] == segstack.__version__
