#!/usr/bin/python3
"""Small TIFF inputs for segstack's CLI tests, written by tifffile (Debian's
python3-tifffile), so the CLI is tested on files it did not write itself.

Run from this directory:  /usr/bin/python3 make_fixtures.py
"""
import numpy as np
import tifffile

rng = np.random.default_rng(11)

# A pixel type the reader does not support: 64-bit floats.
tifffile.imwrite("float64.tif", rng.random((2, 8, 8)), photometric="minisblack")

# An ImageJ hyperstack of 3 slices x 2 channels (pages ordered channel
# fastest), channel 1 a scaled copy of channel 0 plus one extra blob.
z, y, x = np.indices((3, 40, 48))
ch0 = 100 + 900 * np.exp(-(((y - 12) / 5.0) ** 2 + ((x - 14) / 6.0) ** 2)) * (z >= 0)
ch1 = 2 * ch0 + 1500 * np.exp(-(((y - 28) / 4.0) ** 2 + ((x - 36) / 4.0) ** 2))
hyper = np.stack([ch0, ch1], axis=1).astype(np.uint16)  # Z, C, Y, X
tifffile.imwrite("twochannel.tif", hyper, imagej=True, metadata={"axes": "ZCYX"})
