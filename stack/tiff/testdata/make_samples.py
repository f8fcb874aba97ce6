"""Write multi-sample, float64, bilevel and palette TIFFs with tifffile, and
what tifffile decodes from them.

Usage: python make_samples.py OUTDIR

For each case OUTDIR gets NAME.tif and NAME.raw: the planes tifffile decodes,
page by page and, within a page, sample by sample (the order segstack reads
them as channels), little-endian; 1-bit samples as bytes 0/1, inverted for
WhiteIsZero (segstack reads 1 as white); manifest.json lists the cases with
their dtype, plane count, channels, plane shape and, for palette images,
the colour map. Compressed cases need
imagecodecs (the venv's tifffile has it).
"""
import json
import sys

import numpy
import tifffile

out = sys.argv[1]
rng = numpy.random.default_rng(17)


def data(shape, dtype):
    dtype = numpy.dtype(dtype)
    if dtype.kind == "f":
        return (rng.standard_normal(shape) * 100).astype(dtype)
    info = numpy.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)


Y, X = 37, 29
cases = [
    # name, array, imwrite keywords
    ("rgb_contig_u8", data((Y, X, 3), "u1"), dict(photometric="rgb")),
    ("rgb_planar_u8", data((3, Y, X), "u1"), dict(photometric="rgb", planarconfig="separate")),
    ("rgb_default_3yx_u8", data((3, Y, X), "u1"), dict()),
    ("rgba_contig_u16_lzw_pred", data((Y, X, 4), "u2"),
     dict(photometric="rgb", extrasamples=["unassalpha"], compression="lzw", predictor=True)),
    ("two_planar_minisblack_u16_deflate", data((2, Y, X), "u2"),
     dict(photometric="minisblack", planarconfig="separate", compression="zlib")),
    ("four_contig_f32_fpred", data((Y, X, 4), "f4"),
     dict(photometric="minisblack", planarconfig="contig", extrasamples=["unspecified"] * 3, compression="zlib", predictor=3)),
    ("rgb_tiled_contig_u8_lzw", data((Y, X, 3), "u1"), dict(photometric="rgb", tile=(16, 16), compression="lzw")),
    ("rgb_tiled_planar_u16_packbits", data((3, Y, X), "u2"),
     dict(photometric="rgb", planarconfig="separate", tile=(16, 16), compression="packbits")),
    ("stack_rgb_contig_u8_rows5_pred", data((4, Y, X, 3), "u1"),
     dict(photometric="rgb", rowsperstrip=5, compression="zlib", predictor=True)),
    ("stack_rgb_planar_u16_rows7", data((3, 3, Y, X), "u2"),
     dict(photometric="rgb", planarconfig="separate", rowsperstrip=7)),
    ("bigendian_rgb_u16_lzw_pred", data((Y, X, 3), "u2"),
     dict(photometric="rgb", compression="lzw", predictor=True, byteorder=">")),
    ("int16_contig3_deflate_pred", data((Y, X, 3), "i2"),
     dict(photometric="minisblack", planarconfig="contig", compression="zlib", predictor=True)),
    ("f32_planar3_fpred", data((3, Y, X), "f4"),
     dict(photometric="minisblack", planarconfig="separate", compression="zlib", predictor=3)),
    ("u32_contig2_lzw_pred_be", data((Y, X, 2), "u4"),
     dict(photometric="minisblack", planarconfig="contig", compression="lzw", predictor=True, byteorder=">")),
    ("imagej_rgb_stack", data((5, Y, X, 3), "u1"), dict(imagej=True, photometric="rgb")),
    ("ome_rgb", data((Y, X, 3), "u1"), dict(ome=True, photometric="rgb")),
    # float64 samples
    ("f64_plain", data((2, Y, X), "f8"), dict()),
    ("f64_deflate_fpred", data((Y, X), "f8"), dict(compression="zlib", predictor=3)),
    ("f64_stack_be_lzw_fpred", data((3, Y, X), "f8"), dict(photometric="minisblack", compression="lzw", predictor=3, byteorder=">")),
    ("f64_tiled_packbits", data((Y, X), "f8"), dict(tile=(16, 16), compression="packbits")),
    ("f64_rgb_contig_fpred", data((Y, X, 3), "f8"), dict(photometric="rgb", compression="zlib", predictor=3)),
    # 1-bit bilevel (29 pixels a row: rows padded to whole bytes)
    ("bilevel_minisblack", data((Y, X), "u1") > 127, dict()),
    ("bilevel_miniswhite", data((Y, X), "u1") > 127, dict(photometric="miniswhite")),
    ("bilevel_stack_packbits_rows3", data((3, Y, X), "u1") > 60, dict(compression="packbits", rowsperstrip=3)),
    ("bilevel_tiled_deflate", data((Y, X), "u1") > 200, dict(tile=(16, 16), compression="zlib")),
    ("bilevel_lzw_be_miniswhite", data((2, Y, X), "u1") > 127, dict(compression="lzw", byteorder=">", photometric="miniswhite")),
    # 2- and 4-bit samples, read as uint8
    ("grey4bit", data((Y, X), "u1") >> 4, dict(bitspersample=4, photometric="minisblack")),
    ("grey2bit_stack", data((2, Y, X), "u1") >> 6, dict(bitspersample=2, photometric="minisblack")),
    # palette images: their index values
    ("palette_u8", data((Y, X), "u1"), dict(photometric="palette", colormap=data((3, 256), "u2"))),
    ("palette_u8_stack_lzw", data((2, Y, X), "u1"), dict(photometric="palette", colormap=data((3, 256), "u2"), compression="lzw")),
    ("palette_u16_deflate", data((Y, X), "u2"), dict(photometric="palette", colormap=data((3, 65536), "u2"), compression="zlib")),
]

manifest = []
for name, arr, kw in cases:
    path = f"{out}/{name}.tif"
    tifffile.imwrite(path, arr, **kw)
    planes = []
    with tifffile.TiffFile(path) as tf:
        spp = tf.pages[0].samplesperpixel
        for page in tf.pages:
            a = page.asarray()
            if page.bitspersample == 1:
                a = a.astype("u1")
                if page.photometric == 0:  # WhiteIsZero: 1 is white
                    a = 1 - a
            if spp > 1 and page.planarconfig == 1:  # contiguous: (Y, X, S)
                a = numpy.moveaxis(a, -1, 0)
            a = a.reshape(spp, a.shape[-2], a.shape[-1])
            planes.extend(a)
        dtype = numpy.dtype("u1") if arr.dtype == bool else arr.dtype
        stacked = numpy.stack(planes).astype(dtype.newbyteorder("<"))
        cmap = tf.pages[0].colormap
    stacked.tofile(f"{out}/{name}.raw")
    entry = dict(name=name, dtype=str(dtype.newbyteorder("=").name), planes=len(planes),
                 channels=spp, y=int(stacked.shape[1]), x=int(stacked.shape[2]),
                 pages=len(tf.pages))
    if cmap is not None:
        entry["colormap_head"] = cmap[:, :4].T.tolist()
        entry["colormap_len"] = int(cmap.shape[1])
    manifest.append(entry)
with open(f"{out}/manifest.json", "w") as f:
    json.dump(manifest, f, indent=1)
