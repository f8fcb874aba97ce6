"""segstack.segment against the reference workload in scipy / scikit-image."""

import numpy as np
import pytest
import scipy.ndimage as sndi
import skimage.filters
import skimage.measure
import tifffile

import segstack
from _data import blobs

PROPS = ("label", "area", "bbox", "centroid", "intensity_mean", "intensity_max", "intensity_min")


def _plane_reference(plane, sigma, frac, conn):
    sm = sndi.gaussian_filter(plane, sigma, output=np.float32)
    t = np.float32(frac * float(sm.max()))
    st = sndi.generate_binary_structure(2, 1 if conn == 4 else 2)
    return sndi.label(sm > t, st)


@pytest.mark.parametrize("conn", [4, 8])
def test_segment_2d_matches_scipy(rng, conn):
    stack = blobs(rng, (4, 96, 80))
    res = segstack.segment(stack, sigma=1.0, threshold="0.33max", connectivity=conn)
    assert res.labels.dtype == np.uint32 and res.labels.shape == stack.shape
    off = 0
    for z in range(stack.shape[0]):
        want, n = _plane_reference(stack[z], 1.0, 0.33, conn)
        got = res.labels[z].astype(np.int64)
        got[got > 0] -= off  # unique numbering: offset by the planes before
        np.testing.assert_array_equal(got, want)
        assert res.report["counts"][z] == n
        rows = res.table["plane"] == z
        ref = skimage.measure.regionprops_table(want, stack[z], properties=PROPS)
        np.testing.assert_array_equal(res.table["label"][rows] - off, ref["label"])
        for k in ref:
            if k != "label":
                np.testing.assert_allclose(res.table[k][rows], ref[k], rtol=1e-9, err_msg=k)
        off += n
    assert res.report["objects"] == off == len(res.table["label"])


def test_segment_per_plane_and_2d_array(rng):
    stack = blobs(rng, (3, 64, 64))
    res = segstack.segment(stack, labels="per-plane")
    for z in range(3):
        want, n = _plane_reference(stack[z], 1.0, 0.33, 4)
        np.testing.assert_array_equal(res.labels[z], want)
    one = segstack.segment(stack[1])
    assert one.labels.shape == (64, 64)
    np.testing.assert_array_equal(one.labels, res.labels[1])


def test_segment_3d_matches_scipy(rng):
    vol = blobs(rng, (12, 48, 40), n=20).astype(np.float32)
    for thr in ("0.4max", "otsu", "900"):
        res = segstack.segment(vol, mode="3d", sigma=(1.0, 1.5, 1.5), threshold=thr, connectivity=26)
        sm = sndi.gaussian_filter(vol, (1.0, 1.5, 1.5))
        if thr == "otsu":
            t = skimage.filters.threshold_otsu(sm)
        elif thr.endswith("max"):
            t = np.float32(0.4 * float(sm.max()))
        else:
            t = np.float32(900)
        want, n = sndi.label(sm > t, sndi.generate_binary_structure(3, 3))
        np.testing.assert_array_equal(res.labels, want)
        assert res.report["objects"] == n
        ref = skimage.measure.regionprops_table(want, vol, properties=PROPS)
        for k in ref:
            np.testing.assert_allclose(res.table[k], ref[k], rtol=2e-6, err_msg=k)


def test_segment_path_equals_array(rng, tmp_path):
    stack = blobs(rng, (3, 50, 60))
    p = tmp_path / "cells.tif"
    tifffile.imwrite(p, stack, imagej=True, metadata={"axes": "ZYX"})
    a = segstack.segment(stack, threshold="otsu")
    b = segstack.segment(str(p), threshold="otsu")
    np.testing.assert_array_equal(a.labels, b.labels)
    for k in a.table:
        np.testing.assert_array_equal(a.table[k], b.table[k])
    assert b.report["input"] == str(p)
    assert b.report["shape_zyx"] == [3, 50, 60]
    assert set(b.report["stage_seconds"]) >= {"read", "gaussian", "threshold", "label", "write"}


def test_segment_numeric_threshold_and_float64(rng):
    stack = blobs(rng, (2, 40, 40)).astype(np.float64)
    res = segstack.segment(stack, threshold=1500.0)
    for z in range(2):
        sm = sndi.gaussian_filter(stack[z].astype(np.float32), 1.0)
        want, n = sndi.label(sm > np.float32(1500))
        got = res.labels[z].astype(np.int64)
        got[got > 0] -= sum(res.report["counts"][:z])
        np.testing.assert_array_equal(got, want)


def _split_reference(plane, sigma, frac, seeds, min_distance, min_size, max_size):
    """The split in scipy + scikit-image: seeds at the peaks of the smoothed
    plane (or of the mask's distance transform) within each connected
    component, a seeded watershed of the negated surface within the mask,
    objects outside min_size..max_size dropped, the rest renumbered in
    raster order."""
    import skimage.feature
    import skimage.segmentation

    sm = sndi.gaussian_filter(plane.astype(np.float32), sigma, output=np.float32)
    mask = sm > np.float32(frac * float(sm.max()))
    surface = sndi.distance_transform_edt(mask).astype(np.float32) if seeds == "distance" else sm
    comps, _ = sndi.label(mask)
    peaks = skimage.feature.peak_local_max(surface, min_distance=min_distance, labels=comps, exclude_border=False)
    markers = np.zeros(plane.shape, np.int32)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
    ws = skimage.segmentation.watershed(-surface, markers, mask=mask, connectivity=1)
    ids, first, sizes = np.unique(ws.ravel(), return_index=True, return_counts=True)
    keep = (ids != 0) & (sizes >= min_size) & ((sizes <= max_size) if max_size else True)
    ids = ids[keep][np.argsort(first[keep], kind="stable")]
    lut = np.zeros(int(ws.max()) + 1, np.int64)
    lut[ids] = np.arange(1, len(ids) + 1)
    return lut[ws], len(ids)


def _touching_pairs(rng, shape, pairs=6):
    """Planes of bright discs in touching pairs, with a dimmer seam between."""
    yy, xx = np.mgrid[:shape[1], :shape[2]]
    out = np.zeros(shape, np.float64)
    for z in range(shape[0]):
        for _ in range(pairs):
            cy, cx = rng.integers(12, shape[1] - 12), rng.integers(12, shape[2] - 24)
            for dx in (0, 13):
                out[z] += np.exp(-((yy - cy) ** 2 + (xx - cx - dx) ** 2) / 40.0)
    return (out / out.max() * 3000 + rng.normal(200, 20, shape)).clip(0).astype(np.uint16)


@pytest.mark.parametrize("seeds,min_distance,min_size,max_size", [
    ("intensity", 3, 20, 0), ("distance", 5, 10, 0), ("intensity", 2, 0, 120)])
def test_segment_split_watershed_matches_scikit_image(rng, seeds, min_distance, min_size, max_size):
    stack = _touching_pairs(rng, (3, 80, 96))
    res = segstack.segment(stack, split="watershed", seeds=seeds, min_distance=min_distance,
                           min_size=min_size, max_size=max_size, connectivity=4)
    plain = segstack.segment(stack, connectivity=4)
    off = 0
    for z in range(stack.shape[0]):
        want, n = _split_reference(stack[z], 1.0, 0.33, seeds, min_distance, min_size, max_size)
        got = res.labels[z].astype(np.int64)
        got[got > 0] -= off
        np.testing.assert_array_equal(got, want)
        assert res.report["counts"][z] == n
        off += n
    assert res.report["objects"] == off == len(res.table["label"])
    if min_size <= 20 and max_size == 0:
        assert off > plain.report["objects"], "touching pairs are split"


def test_segment_split_errors():
    a = np.zeros((2, 16, 16), np.uint16)
    with pytest.raises(ValueError, match="unknown split"):
        segstack.segment(a, split="magic")
    with pytest.raises(ValueError, match="seeds"):
        segstack.segment(a, split="watershed", seeds="edges")
    with pytest.raises(ValueError, match="min_distance 0"):
        segstack.segment(a, split="watershed", min_distance=0)
    with pytest.raises(ValueError, match="max_size 5"):
        segstack.segment(a, split="watershed", min_size=20, max_size=5)
