"""segstack.filters and segstack.measure against scikit-image."""

import numpy as np
import pytest
import scipy.ndimage as sndi
import skimage.filters
import skimage.measure

from segstack import filters, measure


@pytest.mark.parametrize("shape", [(64, 64), (5, 40, 33), (1000,)])
def test_otsu_matches_skimage_on_float32(rng, shape):
    for trial in range(5):
        a = np.concatenate([rng.normal(10, 2, shape).ravel(), rng.normal(30, 5, shape).ravel()])
        a = a.astype(np.float32).reshape((2,) + shape)[trial % 2]
        _same_otsu(filters.threshold_otsu(a), skimage.filters.threshold_otsu(a))
    u = rng.random(shape).astype(np.float32)
    _same_otsu(filters.threshold_otsu(u), skimage.filters.threshold_otsu(u))


def _same_otsu(got, want):
    """The same bin centre, within float32 rounding: segstack reproduces
    scikit-image 0.19's float32 bin centres bit for bit; later releases
    compute them with another rounding, one ulp away at most."""
    assert isinstance(got, np.float32)
    np.testing.assert_array_max_ulp(np.float32(got), np.float32(want), maxulp=1)


def test_otsu_float64_is_rounded_to_float32(rng):
    a = rng.random((50, 50))
    _same_otsu(filters.threshold_otsu(a), skimage.filters.threshold_otsu(a.astype(np.float32)))


def test_otsu_of_a_wide_integer_range_is_an_error():
    with pytest.raises(ValueError, match="too wide for a histogram of one bin per value"):
        filters.threshold_otsu(np.array([-2**31, 2**31 - 1, 5], np.int64))


PROPS = ("label", "area", "bbox", "centroid", "intensity_mean", "intensity_max", "intensity_min")


@pytest.mark.parametrize("shape", [(80, 90), (9, 30, 40)])
@pytest.mark.parametrize("idtype", [np.uint16, np.float32, np.uint8])
def test_regionprops_table_matches_skimage(rng, shape, idtype):
    labels, _ = sndi.label(rng.random(shape) > 0.6)
    # non-consecutive labels, and an object made of two pieces
    labels = labels * 3
    labels[labels == 6] = 9
    if idtype == np.float32:
        inten = rng.random(shape).astype(np.float32) * 50
    else:
        inten = rng.integers(0, 250, shape).astype(idtype)
    got = measure.regionprops_table(labels, inten, properties=PROPS)
    want = skimage.measure.regionprops_table(labels, inten, properties=PROPS)
    assert list(got) == list(want)
    for k in want:
        if k.startswith(("label", "bbox", "area", "intensity_max", "intensity_min")):
            np.testing.assert_array_equal(got[k], want[k], err_msg=k)
        else:
            np.testing.assert_allclose(got[k], want[k], rtol=2e-6, err_msg=k)


def test_regionprops_table_defaults_and_dtypes(rng):
    labels = rng.integers(0, 5, (20, 20)).astype(np.uint8)
    got = measure.regionprops_table(labels)
    want = skimage.measure.regionprops_table(labels)
    assert list(got) == list(want) == ["label", "bbox-0", "bbox-1", "bbox-2", "bbox-3"]
    for k in want:
        np.testing.assert_array_equal(got[k], want[k])
    with pytest.raises(NotImplementedError, match="unsupported properties"):
        measure.regionprops_table(labels, properties=("label", "eccentricity"))
    with pytest.raises(ValueError, match="negative labels"):
        measure.regionprops_table(-np.ones((4, 4), np.int32))
