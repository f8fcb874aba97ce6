#!/usr/bin/python3
"""Regenerate the TIFF fixtures of stack/tiff.

Run with Debian's python (tifffile 2023.2, numpy) and libtiff-tools:

    cd stack/tiff/testdata && /usr/bin/python3 make_fixtures.py

Writes fixtures/*.tif, the expected pixels as raw little-endian arrays in
fixtures/*.raw, and manifest.json describing each file. tifffile writes the
base stacks and the ImageJ / OME / shaped files; tiffcp re-encodes the base
stacks with every compression, predictor, strip/tile layout, byte order and
BigTIFF. Every fixture is read back here by an independent path (tifffile,
after `tiffcp -c none` for codecs tifffile lacks) before it is recorded.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import tifffile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
SHAPE = (3, 20, 17)  # neither 20 nor 17 is a multiple of the 16-pixel tile

DTYPES = ["uint8", "uint16", "uint32", "int16", "int32", "float32"]


def make_array(dtype, shape=SHAPE, seed=0):
    """Smooth ramps plus noise, flat runs (for PackBits) and extreme values."""
    rng = np.random.RandomState(seed + DTYPES.index(dtype) if dtype in DTYPES else seed)
    z, y, x = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    base = 7.0 * x + 5.0 * y + 31.0 * z + rng.randint(0, 4, size=shape)
    dt = np.dtype(dtype)
    if dt.kind == "f":
        a = (base * 0.37 - 40.0).astype(np.float32)
        a[:3, 3, 2] = [np.inf, -0.0, 1e-38]
        a[:, 0, :] = 1.5
        return a
    info = np.iinfo(dt)
    scale = {1: 1, 2: 97, 4: 15485863}[dt.itemsize]
    a = (base.astype(np.int64) * scale) % (int(info.max) - int(info.min) + 1) + int(info.min)
    a = a.astype(dt)
    a[:, 0, :] = info.max  # a flat row
    a[:, 1, 4:12] = 0
    a[:, 2, 0] = info.min
    return a


def write_raw(name, arr):
    arr.astype(arr.dtype.newbyteorder("<")).tofile(os.path.join(OUT, name))


def tifffile_read(path):
    with tifffile.TiffFile(path) as tf:
        return np.stack([p.asarray() for p in tf.pages])


def independent_read(path):
    """Pixels of path as tifffile sees them; codecs tifffile lacks without
    imagecodecs (LZW, the float predictor) go through libtiff first."""
    try:
        return tifffile_read(path)
    except Exception:
        with tempfile.TemporaryDirectory() as d:
            plain = os.path.join(d, "plain.tif")
            subprocess.run(["tiffcp", "-c", "none", path, plain], check=True)
            return tifffile_read(plain)


manifest = []


def record(name, arr, raw, **info):
    got = independent_read(os.path.join(OUT, name))
    if got.shape != arr.shape or not np.array_equal(got.view(np.uint8), np.ascontiguousarray(arr).view(np.uint8)):
        sys.exit(f"{name}: pixels read back differ")
    entry = {"file": name, "expect": raw, "dtype": str(arr.dtype), "shape": list(arr.shape)}
    entry.update(info)
    manifest.append(entry)


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    with tempfile.TemporaryDirectory() as tmp:
        for dtype in DTYPES:
            a = make_array(dtype)
            raw = f"{dtype}.raw"
            write_raw(raw, a)
            base = os.path.join(tmp, f"{dtype}.tif")
            tifffile.imwrite(base, a, photometric="minisblack", metadata=None)
            comps = [("none", 1), ("lzw", 1), ("lzw", 2), ("zip", 1), ("zip", 2), ("packbits", 1)]
            if dtype == "float32":
                comps += [("lzw", 3), ("zip", 3)]
            for ci, (comp, pred) in enumerate(comps):
                # Each codec gets strips and tiles, both byte orders and
                # (alternately) BigTIFF. libtiff 4.5 writes the floating-point
                # predictor inconsistently in big-endian files (its own reader
                # does not read them back), so those stay little-endian.
                for tiled in (False, True):
                    big_endian = (ci + tiled) % 2 == 1 and pred != 3
                    for bigtiff in [(ci + tiled) % 3 == 0]:
                        name = f"{dtype}_{comp}{pred}_{'tile' if tiled else 'strip'}_{'be' if big_endian else 'le'}{'_big' if bigtiff else ''}.tif"
                        cmd = ["tiffcp"]
                        cmd += ["-c", f"{comp}:{pred}" if pred != 1 else comp]
                        cmd += ["-t", "-w", "16", "-l", "16"] if tiled else ["-s", "-r", "7"]
                        cmd += ["-B"] if big_endian else ["-L"]
                        if bigtiff:
                            cmd += ["-8"]
                        subprocess.run(cmd + [base, os.path.join(OUT, name)], check=True)
                        record(name, a, raw, compression={"zip": "deflate"}.get(comp, comp), predictor=pred,
                               tiled=tiled, bigtiff=bigtiff, byteorder="big" if big_endian else "little")

        # tifffile's own encoders, descriptions and layouts.
        u16 = make_array("uint16", (6, 20, 17), seed=11)
        write_raw("tifffile_u16.raw", u16)
        tifffile.imwrite(os.path.join(OUT, "tifffile_zlib_pred.tif"), u16, compression="zlib", predictor=True)
        record("tifffile_zlib_pred.tif", u16, "tifffile_u16.raw", compression="deflate", predictor=2,
               tiled=False, bigtiff=False, byteorder="little", shaped=[6, 20, 17])
        tifffile.imwrite(os.path.join(OUT, "tifffile_tiles_be_big.tif"), u16, tile=(16, 16), byteorder=">",
                         bigtiff=True, compression="zlib")
        record("tifffile_tiles_be_big.tif", u16, "tifffile_u16.raw", compression="deflate", predictor=1,
               tiled=True, bigtiff=True, byteorder="big", shaped=[6, 20, 17])

        # ImageJ hyperstack: 3 slices x 2 channels, channel fastest.
        tifffile.imwrite(os.path.join(OUT, "imagej_hyper_u16.tif"), u16.reshape(3, 2, 20, 17), imagej=True,
                         resolution=(1 / 0.25, 1 / 0.25),
                         metadata={"axes": "ZCYX", "spacing": 1.5, "unit": "micron"})
        record("imagej_hyper_u16.tif", u16, "tifffile_u16.raw", compression="none", predictor=1, tiled=False,
               bigtiff=False, byteorder="little",
               imagej={"images": 6, "channels": 2, "slices": 3, "frames": 1, "spacing": 1.5, "unit": "micron",
                       "pixel_size": 0.25})
        # ImageJ time series of 2 frames x 3 slices.
        tifffile.imwrite(os.path.join(OUT, "imagej_frames_u16.tif"), u16.reshape(2, 3, 20, 17), imagej=True,
                         metadata={"axes": "TZYX"})
        record("imagej_frames_u16.tif", u16, "tifffile_u16.raw", compression="none", predictor=1, tiled=False,
               bigtiff=False, byteorder="little",
               imagej={"images": 6, "channels": 1, "slices": 3, "frames": 2})
        f32 = make_array("float32", (4, 20, 17), seed=5)
        write_raw("imagej_f32.raw", f32)
        tifffile.imwrite(os.path.join(OUT, "imagej_f32.tif"), f32, imagej=True,
                         resolution=(2.0, 2.0), metadata={"axes": "ZYX", "spacing": 0.75, "unit": "um"})
        record("imagej_f32.tif", f32, "imagej_f32.raw", compression="none", predictor=1, tiled=False,
               bigtiff=False, byteorder="little",
               imagej={"images": 4, "channels": 1, "slices": 4, "frames": 1, "spacing": 0.75, "unit": "um",
                       "pixel_size": 0.5})

        # OME-TIFF, Z then C (DimensionOrder XYCZT) and C then Z (XYZCT).
        tifffile.imwrite(os.path.join(OUT, "ome_zcyx_u16.tif"), u16.reshape(3, 2, 20, 17), ome=True,
                         metadata={"axes": "ZCYX", "PhysicalSizeX": 0.2, "PhysicalSizeY": 0.3,
                                   "PhysicalSizeZ": 1.25})
        record("ome_zcyx_u16.tif", u16, "tifffile_u16.raw", compression="none", predictor=1, tiled=False,
               bigtiff=False, byteorder="little",
               ome={"size_z": 3, "size_c": 2, "size_t": 1, "order": "XYCZT", "px": 0.2, "py": 0.3, "pz": 1.25})
        tifffile.imwrite(os.path.join(OUT, "ome_czyx_u16.tif"), u16.reshape(2, 3, 20, 17), ome=True,
                         compression="zlib", metadata={"axes": "CZYX"})
        record("ome_czyx_u16.tif", u16, "tifffile_u16.raw", compression="deflate", predictor=1, tiled=False,
               bigtiff=False, byteorder="little",
               ome={"size_z": 3, "size_c": 2, "size_t": 1, "order": "XYZCT"})

        # Files that must be refused as unsupported.
        bad = {
            "unsupported_rgb.tif": (np.zeros((2, 8, 8, 3), np.uint8), {"photometric": "rgb"}),
            "unsupported_float64.tif": (np.zeros((2, 8, 8), np.float64), {}),
            "unsupported_int8.tif": (np.zeros((2, 8, 8), np.int8), {}),
            "unsupported_bilevel.tif": (np.zeros((2, 8, 8), bool), {}),
            "unsupported_planar2.tif": (np.zeros((2, 8, 8), np.uint16),
                                        {"photometric": "minisblack", "planarconfig": "separate"}),
        }
        for name, (arr, kw) in bad.items():
            tifffile.imwrite(os.path.join(OUT, name), arr, **kw)
        for name in ["unsupported_jpeg.tif"]:
            src = os.path.join(tmp, "uint8.tif")
            subprocess.run(["tiffcp", "-c", "jpeg", src, os.path.join(OUT, name)], check=True)

    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump({"fixtures": manifest,
                   "unsupported": sorted(n for n in os.listdir(OUT) if n.startswith("unsupported_"))}, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"{len(manifest)} fixtures, {total} bytes")


if __name__ == "__main__":
    main()
