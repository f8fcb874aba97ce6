"""The tutorial's segmentation cells (array/TUTORIAL.md: a random stack,
gaussian_filter, a threshold at a fraction of each plane's maximum, label,
then the same on a LocalCluster) run twice, notebook-style, with only the
import line changed: dask_image's and segstack's. The results agree, and
segstack's labels are numbered as scipy numbers them."""

import logging

import numpy as np
import pytest
import scipy.ndimage as sndi

CELLS = [
    "{imports}",
    "import dask\nimport dask.array as da\nimport numpy as np",
    # the tutorial's da.random.random((10, 100, 100)), seeded, in chunks of
    # quarter planes
    "stack = da.random.default_rng(0).random((10, 100, 100), chunks=(1, 50, 50))",
    "smoothed = gaussian_filter(stack, sigma=[0, 1, 1])",
    "threshold = 0.33 * smoothed.max(axis=(1, 2), keepdims=True)\nmask = smoothed > threshold",
    "results = [label(mask[z]) for z in range(stack.shape[0])]\n"
    "counts = [int(n) for n in dask.compute(*[n for _, n in results])]",
    "strict = smoothed > 0.9 * smoothed.max(axis=(1, 2), keepdims=True)\n"
    "split = dask.compute(*[label(strict[z]) for z in range(stack.shape[0])])",
    "from dask.distributed import Client, LocalCluster\n"
    "cluster = LocalCluster(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=':0')\n"
    "client = Client(cluster)\n"
    "futures = [client.compute(label(strict[z])[1]) for z in range(stack.shape[0])]\n"
    "gathered = [int(n) for n in client.gather(futures)]\n"
    "client.close()\ncluster.close()",
]

IMPORTS = {
    "dask_image": "from dask_image.ndfilters import gaussian_filter\nfrom dask_image.ndmeasure import label",
    "segstack": "from segstack.dask.ndfilters import gaussian_filter\nfrom segstack.dask.ndmeasure import label",
}


def _run(imports):
    logging.getLogger("distributed").setLevel(logging.ERROR)
    ns = {}
    for cell in CELLS:
        exec(compile(cell.format(imports=imports), "<tutorial cell>", "exec"), ns)
    return ns


@pytest.fixture(scope="module")
def runs():
    return {k: _run(v) for k, v in IMPORTS.items()}


def test_counts_and_masks_agree(runs):
    ref, seg = runs["dask_image"], runs["segstack"]
    assert seg["counts"] == ref["counts"]
    assert seg["counts"] == [1] * 10  # one object per plane, as the tutorial prints
    np.testing.assert_array_equal(seg["mask"].compute(), ref["mask"].compute())
    assert [int(n) for _, n in seg["split"]] == [int(n) for _, n in ref["split"]]
    assert seg["gathered"] == ref["gathered"] == [int(n) for _, n in ref["split"]]
    assert min(seg["gathered"]) > 1  # planes split into several objects at 0.9


def test_segstack_labels_numbered_like_scipy(runs):
    seg = runs["segstack"]
    strict = seg["strict"].compute()
    for z, (lab, n) in enumerate(seg["split"]):
        want, wn = sndi.label(strict[z])
        assert int(n) == wn
        np.testing.assert_array_equal(lab, want)
    # dask_image's labels mark the same pixels, numbered in chunk order
    for (lab, _), (ref, _) in zip(seg["split"], runs["dask_image"]["split"]):
        np.testing.assert_array_equal(lab > 0, ref > 0)
