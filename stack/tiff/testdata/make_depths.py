"""Write TIFFs whose samples segstack reads widened (int8, packed integers
of 2 to 31 bits, 24-bit integers, float16) and YCbCr TIFFs, in every
compression libtiff writes that segstack reads, with and without
predictors, in strips and tiles, both byte orders, both fill orders,
contiguous and separate planes; and what libtiff decodes from each.

Usage: python make_depths.py OUTDIR

The base files are written by tifffile (signed packed integers: tifffile's
unsigned ones given a SampleFormat of 2;
subsampled YCbCr: written by hand below, uncompressed and deflated, as
tifffile writes subsampled YCbCr only JPEG-compressed and tiffcp cannot
copy it). Every other variant is made from its base by libtiff's tiffcp. The expected planes come from libtiff alone (but for tiles of separate
float16 samples, which tiffcp mangles, checked against the arrays
tifffile wrote): tiffcp
rewrites each variant little-endian, uncompressed and in one strip, and
this script unpacks those raw bytes with numpy (bit streams most
significant bit first, rows padded to whole bytes; 24-bit samples in the
byte order libtiff swapped them to; subsampled chroma replicated over its
unit), not with tifffile's decoder.

OUTDIR gets NAME.tif and NAME.raw (the planes, page by page and, within a
page, sample by sample, little-endian, as the dtype segstack reads them
as) and depths.json listing the cases: name, dtype, planes, channels, y,
x, bits (in the file), stored_as (Reader.Widened), subsampling.
"""
import json
import os
import struct
import subprocess
import sys
import zlib

import numpy
import tifffile

out = sys.argv[1]
rng = numpy.random.default_rng(1217)
Y, X = 23, 19  # odd sizes: rows of packed samples end mid-byte


def tiffcp(*args):
    subprocess.run(["tiffcp", *args], check=True, capture_output=True)


def ints(bits, shape, signed=False):
    if signed:
        return rng.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1, size=shape, endpoint=True)
    return rng.integers(0, (1 << bits) - 1, size=shape, endpoint=True)


def halves(shape):
    a = (rng.standard_normal(shape) * 300).astype("f2")
    special = numpy.array([0.0, -0.0, numpy.inf, -numpy.inf, numpy.nan, 6.0e-8, -6.0e-8, 1.0e-5, 65504.0, -65504.0], "f2")
    flat = a.reshape(-1)
    flat[: special.size] = special
    return a


bases = []  # (name, path, bits, kind, spp, planar) kind: u, i, f, ycc


def base(name, arr, bits, kind, spp=1, planar="contig", **kw):
    path = f"{out}/base_{name}.tif"
    if spp > 1:
        kw["planarconfig"] = planar
    if kind == "i" and bits not in (8, 16, 32):
        # tifffile writes packed unsigned only: store the two's complement
        # bits and mark the samples signed.
        arr = numpy.where(arr < 0, arr + (1 << bits), arr)
        dtype = "u1" if bits <= 8 else "u2" if bits <= 16 else "u4"
        # tifffile will not write SampleFormat for these: write the values
        # under tag 340 (the next one, so that the tags stay sorted) and
        # renumber it.
        pages = [arr] if spp > 1 else list(arr) if arr.ndim == 3 else [arr]
        with tifffile.TiffWriter(path) as w:
            for a in pages:
                w.write(a.astype(dtype), bitspersample=bits, extratags=[(340, "H", spp, (2,) * spp, True)], **kw)
        with tifffile.TiffFile(path) as tf:
            at = [p.tags[340].offset for p in tf.pages]
        with open(path, "r+b") as f:
            for o in at:
                f.seek(o)
                f.write(struct.pack("<H", 339))
    elif kind in ("u", "i") and bits not in (8, 16, 32):
        dtype = "u1" if bits <= 8 else "u2" if bits <= 16 else "u4"
        tifffile.imwrite(path, arr.astype(dtype), bitspersample=bits, **kw)
    else:
        tifffile.imwrite(path, arr, **kw)
    bases.append((name, path, bits, kind, spp, planar))


# int8
base("i8", ints(8, (2, Y, X), True).astype("i1"), 8, "i", photometric="minisblack")
base("i8_rgb", ints(8, (Y, X, 3), True).astype("i1"), 8, "i", 3, photometric="rgb")
base("i8_planar3", ints(8, (3, Y, X), True).astype("i1"), 8, "i", 3, "separate", photometric="minisblack")
# float16, with zeros of both signs, infinities, NaN and subnormals
base("f16", halves((2, Y, X)), 16, "f", photometric="minisblack")
base("f16_rgb", halves((Y, X, 3)), 16, "f", 3, photometric="rgb")
base("f16_planar2", halves((2, Y, X)), 16, "f", 2, "separate", photometric="minisblack",
     extrasamples=["unspecified"])

# packed unsigned integers
for bits in (2, 3, 4, 5, 7, 10, 12, 14, 24, 31):
    base(f"u{bits}", ints(bits, (2, Y, X)), bits, "u", photometric="minisblack")
base("u12_rgb", ints(12, (Y, X, 3)), 12, "u", 3, photometric="rgb")
base("u12_planar3", ints(12, (3, Y, X)), 12, "u", 3, "separate", photometric="rgb")
base("u5_rgb", ints(5, (Y, X, 3)), 5, "u", 3, photometric="rgb")
base("u4_rgba", ints(4, (Y, X, 4)), 4, "u", 4, photometric="rgb", extrasamples=["unassalpha"])
base("u2_planar2", ints(2, (2, Y, X)), 2, "u", 2, "separate", photometric="minisblack", extrasamples=["unspecified"])
base("u24_rgb", ints(24, (Y, X, 3)), 24, "u", 3, photometric="rgb")
base("u1_rgb", ints(1, (Y, X, 3)), 1, "u", 3, photometric="rgb")
# packed signed integers
for bits in (4, 12, 24):
    base(f"i{bits}", ints(bits, (2, Y, X), True), bits, "i", photometric="minisblack")
base("i12_rgb", ints(12, (Y, X, 3), True), 12, "i", 3, photometric="rgb")
# YCbCr without subsampling
base("ycbcr", ints(8, (Y, X, 3)).astype("u1"), 8, "ycc", 3, photometric="ycbcr", subsampling=(1, 1))
base("ycbcr_planar", ints(8, (3, Y, X)).astype("u1"), 8, "ycc", 3, "separate", photometric="ycbcr", subsampling=(1, 1))


def write_subsampled(path, h, v, rows, compress):
    """Write a little-endian 8-bit YCbCr TIFF with h x v chroma
    subsampling, in strips of rows rows (a multiple of v), raw data units,
    deflated when compress; return the planes Y, Cb, Cr it holds, chroma
    replicated."""
    across, down = -(-X // h), -(-Y // v)
    units = rng.integers(0, 255, size=(down, across, h * v + 2), endpoint=True, dtype="u1")
    strips, per = [], rows // v
    for s in range(0, down, per):
        b = units[s:s + per].tobytes()
        strips.append(zlib.compress(b) if compress else b)
    entries = []
    blob = b"".join(strips)
    offsets, o = [], 8
    for s in strips:
        offsets.append(o)
        o += len(s)
    ifd_at = o + (o & 1)
    extra = bytearray()
    n_entries = 13
    extra_at = ifd_at + 2 + 12 * n_entries + 4

    def put(tag, typ, values):
        nonlocal extra
        fmt = {3: "H", 4: "I"}[typ]
        raw = struct.pack("<" + fmt * len(values), *values)
        if len(raw) <= 4:
            entries.append(struct.pack("<HHI", tag, typ, len(values)) + raw.ljust(4, b"\0"))
        else:
            entries.append(struct.pack("<HHII", tag, typ, len(values), extra_at + len(extra)))
            extra += raw

    put(256, 4, [X])
    put(257, 4, [Y])
    put(258, 3, [8, 8, 8])
    put(259, 3, [8 if compress else 1])
    put(262, 3, [6])
    put(273, 4, offsets)
    put(277, 3, [3])
    put(278, 4, [rows])
    put(279, 4, [len(s) for s in strips])
    put(284, 3, [1])
    put(339, 3, [1, 1, 1])
    put(530, 3, [h, v])
    put(531, 3, [1])  # YCbCrPositioning centred
    assert len(entries) == n_entries
    with open(path, "wb") as f:
        f.write(b"II*\0" + struct.pack("<I", ifd_at))
        f.write(blob)
        f.write(b"\0" * (ifd_at - o))
        f.write(struct.pack("<H", n_entries) + b"".join(entries) + struct.pack("<I", 0) + bytes(extra))
    luma = units[:, :, : h * v].reshape(down, across, v, h).transpose(0, 2, 1, 3).reshape(down * v, across * h)
    cb = numpy.repeat(numpy.repeat(units[:, :, -2], v, 0), h, 1)
    cr = numpy.repeat(numpy.repeat(units[:, :, -1], v, 0), h, 1)
    return [a[:Y, :X] for a in (luma, cb, cr)]


# Subsampled YCbCr: libtiff's tiffcp cannot copy it, so each file is
# written here, uncompressed and deflated, and the expected planes are the
# data units it was written from.
subsampled = []
for h, v, rows in ((2, 2, 4), (2, 1, 5), (4, 2, 6), (4, 4, 8), (1, 2, 6), (1, 1, 7)):
    for compress in (False, True):
        name = f"ycbcr_sub{h}{v}_{'zip' if compress else 'none'}"
        planes = write_subsampled(f"{out}/{name}.tif", h, v, rows, compress)
        numpy.stack(planes).tofile(f"{out}/{name}.raw")
        subsampled.append(dict(name=name, dtype="uint8", planes=3, channels=3, y=Y, x=X, bits=8,
                               stored_as="", subsampling=[h, v]))


def decode(path, bits, kind, spp, invert):
    """What libtiff decodes from path: tiffcp rewrites it little-endian,
    uncompressed, one strip per plane; numpy unpacks the raw strips."""
    plain = path + ".plain.tif"
    tiffcp("-L", "-f", "msb2lsb", "-c", "none", "-s", "-r", str(Y), path, plain)
    planes = []
    with tifffile.TiffFile(plain) as tf:
        fh = tf.filehandle
        for page in tf.pages:
            raws = []
            for off, n in zip(page.dataoffsets, page.databytecounts):
                fh.seek(off)
                raws.append(fh.read(n))
            separate = page.planarconfig == 2
            per_block = 1 if separate else spp
            blocks = raws if separate else raws[:1]
            chans = []
            for raw in blocks:
                b = numpy.frombuffer(raw, "u1")
                n = X * per_block
                if kind == "f":
                    vals = b.view("<f2").reshape(Y, n).astype("f4")
                elif bits == 24:
                    t = b.reshape(Y, n, 3).astype("u4")
                    vals = t[..., 0] | t[..., 1] << 8 | t[..., 2] << 16
                elif bits == 8:
                    vals = b.reshape(Y, n)
                else:
                    rowbytes = -(-n * bits // 8)
                    bitsarr = numpy.unpackbits(b[: Y * rowbytes].reshape(Y, rowbytes), axis=1)[:, : n * bits]
                    w = (1 << numpy.arange(bits - 1, -1, -1, dtype="u8")).astype("u8")
                    vals = (bitsarr.reshape(Y, n, bits).astype("u8") * w).sum(axis=2)
                if kind == "i":
                    vals = vals.astype("i8")
                    vals = numpy.where(vals >= 1 << (bits - 1), vals - (1 << bits), vals)
                if invert:
                    vals = 1 - vals
                vals = vals.reshape(Y, X, per_block)
                chans.extend(vals[:, :, s] for s in range(per_block))
            planes.extend(chans)
    os.remove(plain)
    return planes


def read_dtype(bits, kind):
    if kind == "f":
        return "f4"
    if kind == "i":
        return "i2" if bits <= 16 else "i4"
    return "u1" if bits <= 8 else "u2" if bits <= 16 else "u4"


codecs = ["none", "lzw", "zip", "packbits", "zstd", "lzma"]
cases = subsampled
for name, path, bits, kind, spp, planar in bases:
    variants = {}
    for c in codecs:
        variants[f"{name}_{c}"] = ["-c", c]
    variants[f"{name}_be_lzw"] = ["-B", "-c", "lzw"]
    # tiffcp cannot tile separate packed samples, and copies tiles of
    # separate 16-bit ones wrongly both ways (tifffile reads its copies
    # different from the source): those tiles are checked below.
    if planar == "contig" or bits == 8:
        variants[f"{name}_tiled_zip"] = ["-c", "zip", "-t", "-w", "16", "-l", "16"]
    variants[f"{name}_rows3_be_none"] = ["-B", "-c", "none", "-r", "3"]
    # FillOrder 2: libtiff stores the bits of every byte reversed.
    variants[f"{name}_fill2_none"] = ["-f", "lsb2msb", "-c", "none"]
    variants[f"{name}_fill2_be_lzw"] = ["-B", "-f", "lsb2msb", "-c", "lzw"]
    if bits in (8, 16):
        variants[f"{name}_pred2_zip"] = ["-c", "zip:2"]
        variants[f"{name}_pred2_be_lzw"] = ["-B", "-c", "lzw:2"]
        variants[f"{name}_pred2_zstd_tiled"] = ["-c", "zstd:2", "-t", "-w", "16", "-l", "16"]
        variants[f"{name}_pred2_lzma"] = ["-c", "lzma:2"]
    if kind == "f":
        variants[f"{name}_pred3_zip"] = ["-c", "zip:3"]
        variants[f"{name}_pred3_be_lzw"] = ["-B", "-c", "lzw:3"]
        variants[f"{name}_pred3_zstd_tiled"] = ["-c", "zstd:3", "-t", "-w", "16", "-l", "16"]
    if planar == "separate" and bits > 8:
        variants = {k: a for k, a in variants.items() if "-t" not in a}
    if spp > 1 and bits == 8:  # tiffcp changes the planar configuration of 8-bit samples only
        other = "separate" if planar == "contig" else "contig"
        variants[f"{name}_to_{other}_zip"] = ["-p", other, "-c", "zip"]
    for vname, args in variants.items():
        vpath = f"{out}/{vname}.tif"
        try:
            tiffcp(*args, path, vpath)
        except subprocess.CalledProcessError as e:
            sys.exit(f"tiffcp {' '.join(args)} {name}: {e.stderr.decode().strip()}")
        with tifffile.TiffFile(vpath) as tf:
            photometric = tf.pages[0].photometric
        planes = decode(vpath, bits, kind, spp, bits == 1 and photometric == 0)
        dt = numpy.dtype(read_dtype(bits, kind))
        stacked = numpy.stack(planes)
        conv = stacked.astype(dt)
        if kind != "f":
            assert (conv.astype(stacked.dtype) == stacked).all(), vname
        conv.astype(dt.newbyteorder("<")).tofile(f"{out}/{vname}.raw")
        stored = ""
        if kind == "f":
            stored = "float16"
        elif bits not in (8, 16, 32) or (kind == "i" and bits == 8):
            stored = f"{'int' if kind == 'i' else 'uint'}{bits}"
        cases.append(dict(name=vname, dtype=dt.name, planes=len(planes), channels=spp, y=Y, x=X,
                          bits=bits, stored_as=stored, subsampling=[1, 1]))
    os.remove(path)
# Tiles of separate float16 samples, which tiffcp mangles: written by
# tifffile, expected to read as the arrays written.
for comp, pred in (("none", None), ("zlib", 3), ("zstd", 3), ("lzma", None), ("lzw", 3)):
    name = f"f16_planar2_tiles_{comp}" + (f"_pred{pred}" if pred else "")
    a = halves((2, Y, X))
    tifffile.imwrite(f"{out}/{name}.tif", a, planarconfig="separate", photometric="minisblack",
                     extrasamples=["unspecified"], tile=(16, 16), compression=comp if comp != "none" else None,
                     predictor=pred, byteorder=">" if comp == "lzw" else "<")
    a.astype("<f4").tofile(f"{out}/{name}.raw")
    cases.append(dict(name=name, dtype="float32", planes=2, channels=2, y=Y, x=X, bits=16,
                      stored_as="float16", subsampling=[1, 1]))
with open(f"{out}/depths.json", "w") as f:
    json.dump(cases, f, indent=1)
print(len(cases), "cases")
