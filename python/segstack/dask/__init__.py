"""Drop-ins for dask_image on dask arrays, computed by segstack's Go kernels.

- ``segstack.dask.ndfilters.gaussian_filter``: dask_image.ndfilters.gaussian_filter
- ``segstack.dask.ndmeasure.label``: dask_image.ndmeasure.label, with labels
  numbered exactly as scipy.ndimage.label numbers the whole array, whatever
  the chunks
- ``segstack.dask.segment``: the segmentation pipeline, chunk by chunk
"""

from . import ndfilters, ndmeasure
from ._segment import segment

__all__ = ["ndfilters", "ndmeasure", "segment"]
