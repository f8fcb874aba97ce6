"""segstack.filters (integer images), morphology, feature and segmentation
against scikit-image."""

import warnings

import numpy as np
import pytest
import scipy.ndimage as sndi
import skimage.feature
import skimage.filters
import skimage.morphology
import skimage.segmentation

from segstack import feature, filters, morphology, segmentation


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.int32, np.int64, np.uint32, bool])
def test_otsu_of_integer_images_is_scikit_images(rng, dtype):
    for shape in ((40, 50), (4, 30, 31), (1000,)):
        a = (rng.random(shape) * (2 if dtype is bool else 300)).astype(dtype)
        if dtype is np.int16:
            a = a - 100
        got, want = filters.threshold_otsu(a), skimage.filters.threshold_otsu(a)
        assert got == want and type(got) is type(want), (got, want, type(got), type(want))
    c = np.full((4, 4), 7, dtype)
    assert filters.threshold_otsu(c) == skimage.filters.threshold_otsu(c)


@pytest.mark.parametrize("shape", [(60, 70), (8, 30, 31)])
def test_remove_small_objects_and_holes(rng, shape):
    x = rng.random(shape) > 0.6
    for k in range(1, len(shape) + 1):
        for ms in (0, 1, 3, 10):
            np.testing.assert_array_equal(morphology.remove_small_objects(x, max_size=ms, connectivity=k),
                                          skimage.morphology.remove_small_objects(x, max_size=ms, connectivity=k))
            np.testing.assert_array_equal(morphology.remove_small_holes(x, max_size=ms, connectivity=k),
                                          skimage.morphology.remove_small_holes(x, max_size=ms, connectivity=k))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            np.testing.assert_array_equal(morphology.remove_small_objects(x, 5, connectivity=k),
                                          skimage.morphology.remove_small_objects(x, 5, connectivity=k))
            np.testing.assert_array_equal(morphology.remove_small_holes(x, 5, connectivity=k),
                                          skimage.morphology.remove_small_holes(x, 5, connectivity=k))
    lab, _ = sndi.label(x)
    np.testing.assert_array_equal(morphology.remove_small_objects(lab, max_size=3),
                                  skimage.morphology.remove_small_objects(lab, max_size=3))
    out = np.zeros(shape, bool)
    assert morphology.remove_small_objects(x, max_size=2, out=out) is out


@pytest.mark.parametrize("shape", [(60, 70), (8, 30, 31)])
def test_peaks_and_watershed(rng, shape):
    x = rng.random(shape) > 0.6
    lab, _ = sndi.label(x)
    img = sndi.gaussian_filter(rng.random(shape).astype(np.float32), 2)
    for kw in ({}, dict(min_distance=3), dict(threshold_rel=0.5), dict(exclude_border=False, num_peaks=5),
               dict(labels=lab), dict(threshold_abs=0.5, min_distance=2), dict(exclude_border=2)):
        np.testing.assert_array_equal(feature.peak_local_max(img, **kw), skimage.feature.peak_local_max(img, **kw),
                                      err_msg=str(kw))
    d = sndi.distance_transform_edt(x).astype(np.float32)
    pk = skimage.feature.peak_local_max(d, labels=lab, min_distance=2)
    mk = np.zeros(shape, np.int32)
    mk[tuple(pk.T)] = np.arange(1, len(pk) + 1)
    for k in range(1, len(shape) + 1):
        np.testing.assert_array_equal(segmentation.watershed(-d, mk, connectivity=k, mask=x),
                                      skimage.segmentation.watershed(-d, mk, connectivity=k, mask=x))
    np.testing.assert_array_equal(segmentation.watershed(img, mk), skimage.segmentation.watershed(img, mk))
    np.testing.assert_array_equal(segmentation.watershed(img), skimage.segmentation.watershed(img))
    with pytest.raises(ValueError, match="connectivity 4"):
        segmentation.watershed(img, mk, connectivity=4)


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float32, np.float64, bool])
def test_watershed_without_markers_floods_from_the_local_minima(rng, dtype):
    """markers=None: scikit-image's local minima (plateaus and ties at the
    border included) as the markers, on images of few values (many
    plateaus) from 1 to 9 pixels a side, with and without a mask."""
    for trial in range(60):
        nd = 2 if trial % 3 else 3
        shape = tuple(int(v) for v in rng.integers(1, 9 if nd == 2 else 6, nd))
        a = rng.integers(0, 4, shape).astype(dtype)
        mask = rng.random(shape) > 0.2
        for k in range(1, nd + 1):
            np.testing.assert_array_equal(segmentation.watershed(a, connectivity=k),
                                          skimage.segmentation.watershed(a, connectivity=k), err_msg=f"{a}")
            np.testing.assert_array_equal(segmentation.watershed(a, connectivity=k, mask=mask),
                                          skimage.segmentation.watershed(a, connectivity=k, mask=mask),
                                          err_msg=f"{a}\n{mask}")


def test_watershed_without_markers_splits_touching_objects(rng):
    """The common use: the negated distance transform of touching discs,
    2-D and 3-D, flooded from its minima within the objects."""
    yy, xx = np.mgrid[:80, :90]
    discs = ((yy - 40) ** 2 + (xx - 30) ** 2 < 18 ** 2) | ((yy - 42) ** 2 + (xx - 58) ** 2 < 16 ** 2)
    d = -sndi.distance_transform_edt(discs)
    got = segmentation.watershed(d, mask=discs)
    want = skimage.segmentation.watershed(d, mask=discs)
    np.testing.assert_array_equal(got, want)
    assert got.max() >= 2
    vol = sndi.gaussian_filter(rng.random((12, 40, 36)), 2).astype(np.float32)
    for k in (1, 3):
        np.testing.assert_array_equal(segmentation.watershed(vol, connectivity=k),
                                      skimage.segmentation.watershed(vol, connectivity=k))
    flat = np.full((5, 6), 3, np.uint16)  # no minimum in a constant image: no markers, no labels
    np.testing.assert_array_equal(segmentation.watershed(flat), skimage.segmentation.watershed(flat))


def test_watershed_refuses_what_it_does_not_compute():
    a = np.zeros((8, 8), np.float32)
    m = np.zeros((8, 8), np.int32)
    with pytest.raises(NotImplementedError, match="regular grid"):
        segmentation.watershed(a, 4)
    for kw in ({"compactness": 0.5}, {"watershed_line": True}, {"offset": (1, 1)}):
        with pytest.raises(NotImplementedError, match="compactness and watershed_line"):
            segmentation.watershed(a, m, **kw)
    with pytest.raises(ValueError, match="connectivity 3 for a 2-D image"):
        segmentation.watershed(a, connectivity=3)
