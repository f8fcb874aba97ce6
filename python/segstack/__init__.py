"""segstack: segmentation of microscopy Z-stacks (Gaussian, threshold,
connected-component labelling) with segstack's Go kernels, in process.

- ``segstack.ndi``: scipy.ndimage names (gaussian_filter, label, maximum, ...)
- ``segstack.filters.threshold_otsu``, ``segstack.measure.regionprops_table``,
  ``segstack.morphology.remove_small_objects`` / ``remove_small_holes``,
  ``segstack.feature.peak_local_max``, ``segstack.segmentation.watershed``:
  scikit-image names
- ``segstack.segment(path_or_array, ...)``: the whole pipeline
- ``segstack.dask``: drop-ins for dask_image.ndfilters / ndmeasure, and
  ``segstack.dask.segment``
"""

from . import feature, filters, measure, morphology, ndi, segmentation
from ._lib import Cancelled, SegstackError, SegstackIOError, SegstackTypeError, SegstackValueError
from ._lib import info as _info
from ._segment import Segmentation, segment

__all__ = ["ndi", "filters", "measure", "morphology", "feature", "segmentation", "segment", "Segmentation", "info", "SegstackError",
           "SegstackValueError", "SegstackTypeError", "SegstackIOError", "Cancelled", "__version__"]


def info():
    """The library's version, SIMD path (avx512, avx2 or go), whether CUDA is
    available (and why not), and the devices, as a dict."""
    return _info()


__version__ = _info()["version"]
