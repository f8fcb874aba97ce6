#!/usr/bin/python3
"""Check TIFF files written by stack/tiff with independent readers.

Usage: /usr/bin/python3 verify_tifffile.py SPEC.json

SPEC.json lists {"file", "raw", "dtype", "shape", "imagej", "shaped",
"pixel_size"} entries. For each file this checks with tifffile the pixel
values (against the raw little-endian array), the dtype, the series shape
and the ImageJ or shaped metadata, and prints one JSON object per file:
{"file": ..., "ok": bool, "error": "..."}. Codecs tifffile cannot decode
without imagecodecs (LZW, the floating-point predictor) are decoded by
libtiff (`tiffcp -c none`) before the pixel comparison.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import tifffile


def pixels(path):
    with tifffile.TiffFile(path) as tf:
        return np.stack([p.asarray() for p in tf.pages])


def check(e):
    path = e["file"]
    want = np.fromfile(e["raw"], dtype=np.dtype(e["dtype"]).newbyteorder("<")).reshape(e["shape"])
    with tifffile.TiffFile(path) as tf:
        if len(tf.pages) != e["shape"][0]:
            return f"{len(tf.pages)} pages, want {e['shape'][0]}"
        page = tf.pages[0]
        if page.dtype != np.dtype(e["dtype"]):
            return f"dtype {page.dtype}, want {e['dtype']}"
        series = tf.series[0]
        ij = e.get("imagej")
        if ij:
            if not tf.is_imagej:
                return "not recognised as ImageJ"
            md = tf.imagej_metadata
            for k in ("images", "channels", "slices", "frames", "spacing", "unit"):
                if k in ij and ij[k] is not None and md.get(k, 1 if k in ("channels", "slices", "frames") else None) != ij[k]:
                    return f"ImageJ {k}={md.get(k)!r}, want {ij[k]!r}"
            dims = [ij.get("frames", 1), ij.get("slices", 1), ij.get("channels", 1)]
            want_shape = tuple(d for d in dims if d > 1) + tuple(e["shape"][1:])
            if series.shape != want_shape:
                return f"series shape {series.shape}, want {want_shape}"
        if e.get("shaped"):
            if not tf.is_shaped:
                return "not recognised as shaped"
            if list(series.shape) != e["shaped"]:
                return f"series shape {series.shape}, want {e['shaped']}"
        if e.get("pixel_size"):
            num, den = page.tags["XResolution"].value
            if abs(den / num - e["pixel_size"]) > 1e-6 * e["pixel_size"]:
                return f"pixel size {den / num}, want {e['pixel_size']}"
    try:
        got = pixels(path)
    except Exception:
        with tempfile.TemporaryDirectory() as d:
            plain = os.path.join(d, "plain.tif")
            subprocess.run(["tiffcp", "-c", "none", path, plain], check=True, capture_output=True)
            got = pixels(plain)
    if got.shape != want.shape or not np.array_equal(got.view(np.uint8), want.view(np.uint8)):
        return "pixels differ"
    return None


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    for e in spec:
        try:
            err = check(e)
        except Exception as ex:  # report, don't stop
            err = f"{type(ex).__name__}: {ex}"
        print(json.dumps({"file": e["file"], "ok": err is None, "error": err or ""}))


if __name__ == "__main__":
    main()
