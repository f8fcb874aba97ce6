"""Errors cross the C ABI as Python exceptions carrying the library's message."""

import numpy as np
import pytest

import segstack
from segstack import filters, measure, ndi


def test_bad_dtype():
    with pytest.raises(segstack.SegstackTypeError, match="unsupported dtype: gaussian_filter: complex64") as e:
        ndi.gaussian_filter(np.zeros((4, 4), np.complex64), 1)
    assert isinstance(e.value, TypeError)
    with pytest.raises(TypeError, match="unsupported dtype: label: float16"):
        ndi.label(np.zeros((4, 4), np.float16))
    with pytest.raises(TypeError, match="want an integer type"):
        measure.regionprops_table(np.zeros((4, 4), np.float32))


def test_bad_shape():
    with pytest.raises(segstack.SegstackValueError, match="4-D arrays are not supported") as e:
        ndi.gaussian_filter(np.zeros((2, 2, 2, 2), np.float32), 1)
    assert isinstance(e.value, ValueError)
    with pytest.raises(ValueError, match="4-D arrays are not supported"):
        ndi.label(np.zeros((2, 2, 2, 2), bool))
    with pytest.raises(ValueError, match="0-D arrays are not supported"):
        ndi.maximum(np.float32(3))
    with pytest.raises(ValueError, match="sigma has 2 values for a 3-D input"):
        ndi.gaussian_filter(np.zeros((2, 3, 4), np.float32), (1, 1))


def test_bad_sigma_mode_truncate():
    a = np.zeros((8, 8), np.float32)
    with pytest.raises(ValueError, match=r"sigma -1 on axis 0 must be a finite number >= 0"):
        ndi.gaussian_filter(a, -1)
    with pytest.raises(ValueError, match=r"sigma NaN on axis 1"):
        ndi.gaussian_filter(a, (1, float("nan")))
    with pytest.raises(ValueError, match="gaussian_filter: .*mode"):
        ndi.gaussian_filter(a, 1, mode="bogus")
    with pytest.raises(ValueError, match="truncate -1 must be"):
        ndi.gaussian_filter(a, 1, truncate=-1)


def test_bad_connectivity_and_threshold():
    with pytest.raises(ValueError, match="6 is a 3-D connectivity"):
        segstack._lib.call(segstack._lib.label, (np.zeros((4, 4), np.uint8).ctypes.data, b"uint8", 2,
                                                 (segstack._lib._i64 * 2)(4, 4), 6, np.zeros((4, 4), np.uint32).ctypes.data,
                                                 segstack._lib.ctypes.addressof(segstack._lib._i64())))
    stack = np.zeros((2, 16, 16), np.uint16)
    with pytest.raises(ValueError, match="connectivity"):
        segstack.segment(stack, connectivity=26)
    with pytest.raises(ValueError, match="threshold"):
        segstack.segment(stack, threshold="lots")
    with pytest.raises(ValueError, match="unknown mode"):
        segstack.segment(stack, mode="4d")
    with pytest.raises(ValueError, match="sigma -2"):
        segstack.segment(stack, sigma=-2)


def test_missing_file(tmp_path):
    with pytest.raises(segstack.SegstackIOError) as e:
        segstack.segment(str(tmp_path / "nope.tif"))
    assert isinstance(e.value, OSError)
    assert "nope.tif" in str(e.value)


def test_otsu_of_nan():
    with pytest.raises(ValueError, match="NaN or infinite"):
        filters.threshold_otsu(np.array([1, np.nan, 3], np.float32))


def test_errors_are_per_call_and_threads_are_safe():
    import concurrent.futures as cf

    good = np.random.default_rng(0).random((64, 64)).astype(np.float32)

    def work(i):
        if i % 2:
            try:
                ndi.gaussian_filter(good, -i)
            except ValueError as e:
                return str(e)
            return "no error"
        return float(ndi.gaussian_filter(good, 1).sum())

    with cf.ThreadPoolExecutor(4) as ex:
        out = list(ex.map(work, range(200)))
    for i, r in enumerate(out):
        if i % 2:
            assert f"sigma {-i} on axis 0" in r
        else:
            assert r == out[0]
