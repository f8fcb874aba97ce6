"""Write TIFFs in the rarer codecs and sample types segstack decodes (NeXT,
ThunderScan, PixarLog, 24-bit float, 64-bit integers, JBIG, LERC) and what
libtiff (or, for 24-bit floats, which libtiff hands over undecoded,
imagecodecs) decodes from each.

Usage: python make_codecs.py OUTDIR

NeXT and ThunderScan data are coded here, with every kind of code each
format has, since libtiff decodes those formats but does not write them;
the files around them are written by hand (little- and big-endian, several
strips). PixarLog files are written by libtiff itself, through ctypes. The
expected planes of NeXT, ThunderScan and PixarLog come from libtiff's
TIFFReadEncodedStrip, unpacked here with numpy (2- and 4-bit samples most
significant bits first). 24-bit floats are expected as
imagecodecs.float24_decode gives them; 64-bit integers as written.

OUTDIR gets NAME.tif and NAME.raw (the planes, little-endian, as the dtype
segstack reads them as) and codecs.json listing name, dtype, planes, y, x;
refused.json names files libtiff fails to decode (NAME.tif only).
"""
import ctypes
import json
import struct
import sys

import imagecodecs
import numpy
import tifffile

out = sys.argv[1]
rng = numpy.random.default_rng(4217)
cases = []
refused = []  # files libtiff fails to decode, which segstack must refuse

lib = ctypes.CDLL("libtiff.so.6")
lib.TIFFOpen.restype = ctypes.c_void_p
lib.TIFFOpen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
lib.TIFFClose.argtypes = [ctypes.c_void_p]
lib.TIFFNumberOfStrips.restype = ctypes.c_uint32
lib.TIFFNumberOfStrips.argtypes = [ctypes.c_void_p]
lib.TIFFReadEncodedStrip.restype = ctypes.c_ssize_t
lib.TIFFReadEncodedStrip.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_ssize_t]
lib.TIFFStripSize.restype = ctypes.c_ssize_t
lib.TIFFStripSize.argtypes = [ctypes.c_void_p]
lib.TIFFReadDirectory.argtypes = [ctypes.c_void_p]
lib.TIFFWriteEncodedStrip.restype = ctypes.c_ssize_t
lib.TIFFWriteEncodedStrip.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_ssize_t]
lib.TIFFWriteDirectory.argtypes = [ctypes.c_void_p]


def libtiff_pages(path):
    """Every page's decoded strips, concatenated, as libtiff returns them."""
    tif = lib.TIFFOpen(path.encode(), b"r")
    assert tif, path
    pages = []
    while True:
        size = lib.TIFFStripSize(tif)
        data = b""
        for s in range(lib.TIFFNumberOfStrips(tif)):
            buf = ctypes.create_string_buffer(b"\x55" * size, size)
            n = lib.TIFFReadEncodedStrip(tif, s, buf, -1)
            assert n > 0, (path, s, n)
            data += buf.raw[:n]
        pages.append(data)
        if not lib.TIFFReadDirectory(tif):
            break
    lib.TIFFClose(tif)
    return pages


def unpack(data, bits, y, x):
    """Samples of bits (2 or 4) packed MSB first in rows of whole bytes."""
    row = (x * bits + 7) // 8
    a = numpy.frombuffer(data, "u1")[: row * y].reshape(y, row)
    per = 8 // bits
    shifts = numpy.arange(per - 1, -1, -1) * bits
    v = (a[:, :, None] >> shifts) & ((1 << bits) - 1)
    return v.reshape(y, row * per)[:, :x].astype("u1")


def write_tiff(path, be, pages, y, x, bits, comp, fmt=1, rows=5, spp=1):
    """A TIFF of pages given as lists of strip bytes."""
    e = ">" if be else "<"
    b = bytearray(b"MM\x00\x2a" if be else b"II\x2a\x00")
    b += struct.pack(e + "I", 0)
    prev = 4
    for strips in pages:
        offs = []
        for s in strips:
            offs.append(len(b))
            b += s
            if len(b) % 2:
                b += b"\0"
        n = len(strips)
        arrays = len(b)
        for o in offs:
            b += struct.pack(e + "I", o)
        counts = len(b)
        for s in strips:
            b += struct.pack(e + "I", len(s))
        tags = [(256, 4, 1, x), (257, 4, 1, y), (258, 3, 1, bits), (259, 3, 1, comp), (262, 3, 1, 1),
                (273, 4, n, arrays if n > 1 else offs[0]), (277, 3, 1, spp), (278, 4, 1, rows),
                (279, 4, n, counts if n > 1 else len(strips[0])), (339, 3, 1, fmt)]
        ifd = len(b)
        struct.pack_into(e + "I", b, prev, ifd)
        b += struct.pack(e + "H", len(tags))
        for tag, typ, cnt, val in tags:
            if typ == 3 and cnt == 1:
                b += struct.pack(e + "HHIHH", tag, typ, cnt, val, 0)
            else:
                b += struct.pack(e + "HHII", tag, typ, cnt, val)
        prev = len(b)
        b += struct.pack(e + "I", 0)
    open(path, "wb").write(bytes(b))


def case(name, dtype, planes, y, x):
    raw = numpy.concatenate([numpy.ascontiguousarray(p).astype(numpy.dtype(dtype).newbyteorder("<")).reshape(-1) for p in planes])
    open(f"{out}/{name}.raw", "wb").write(raw.tobytes())
    cases.append({"name": name, "dtype": dtype, "planes": len(planes), "y": y, "x": x})


# --- NeXT: 2-bit samples, a code per row ---
def next_row(x):
    rb = (x * 2 + 7) // 8
    kind = rng.integers(0, 3)
    if kind == 0:
        return bytes([0x00]) + rng.integers(0, 256, rb, dtype="u1").tobytes()
    if kind == 1:
        off = int(rng.integers(0, rb))
        n = int(rng.integers(0, rb - off + 1))
        return bytes([0x40]) + struct.pack(">HH", off, n) + rng.integers(0, 256, n, dtype="u1").tobytes()
    codes, npix = [], 0
    while npix < x:
        grey = int(rng.integers(0, 4))
        n = int(rng.integers(1, 64)) if rng.random() < 0.3 else int(rng.integers(1, 6))
        c = grey << 6 | n
        if not codes and c in (0x00, 0x40):
            c += 1
        codes.append(c)
        npix += n  # the last run may go past the row: the decoder stops at its end
    return bytes(codes)


for be in (False, True):
    for y, x in ((13, 37), (9, 64)):
        pages = []
        for _ in range(2):
            rows = [next_row(x) for _ in range(y)]
            pages.append([b"".join(rows[i : i + 5]) for i in range(0, y, 5)])
        name = f"next_{x}_{'be' if be else 'le'}"
        path = f"{out}/{name}.tif"
        write_tiff(path, be, pages, y, x, 2, 32766)
        case(name, "uint8", [unpack(p, 2, y, x) for p in libtiff_pages(path)], y, x)


# --- ThunderScan: 4-bit samples ---
def thunder_row(x):
    codes, npix = [], 0
    while npix < x:
        left = x - npix
        k = rng.integers(0, 5)
        if k == 0 and left > 1:
            n = int(rng.integers(1, min(63, left - 1) + 1))  # a run never ends the row
            codes.append(n)
            npix += n
        elif k == 1:
            d = [int(v) for v in rng.integers(0, 4, 3)]
            codes.append(0x40 | d[0] << 4 | d[1] << 2 | d[2])
            npix += sum(v != 2 for v in d)
        elif k == 2:
            d = [int(v) for v in rng.integers(0, 8, 2)]
            codes.append(0x80 | d[0] << 3 | d[1])
            npix += sum(v != 4 for v in d)
        elif k == 3:
            codes.append(0)  # an empty run: no pixel
        else:
            codes.append(0xC0 | int(rng.integers(0, 64)))
            npix += 1
    if npix > x and (codes[-1] & 0xC0) == 0:
        raise AssertionError("a run past the row")
    return bytes(codes)


for be in (False, True):
    for y, x in ((11, 31), (7, 40)):
        pages = []
        for _ in range(2):
            rows = [thunder_row(x) for _ in range(y)]
            pages.append([b"".join(rows[i : i + 5]) for i in range(0, y, 5)])
        name = f"thunder_{x}_{'be' if be else 'le'}"
        path = f"{out}/{name}.tif"
        write_tiff(path, be, pages, y, x, 4, 32809)
        case(name, "uint8", [unpack(p, 4, y, x) for p in libtiff_pages(path)], y, x)


# --- 24-bit floats (Photoshop's: sign, 7-bit exponent, 16-bit mantissa) ---
for be in (False, True):
    y, x = 9, 14
    pages, want = [], []
    for _ in range(2):
        b = rng.integers(0, 256, (y, x, 3), dtype="u1")
        # special values: zeros, infinities, NaN, subnormals, the extremes
        specials = [b"\x00\x00\x00", b"\x80\x00\x00", b"\x7f\x00\x00", b"\xff\x00\x00", b"\x7f\x12\x34",
                    b"\x00\x00\x01", b"\x80\xff\xff", b"\x7e\xff\xff", b"\x3f\x00\x00", b"\x40\x80\x00"]
        for i, s in enumerate(specials):
            b[0, i] = numpy.frombuffer(s if be else s[::-1], "u1")
        data = b.tobytes()
        pages.append([data[i * x * 3 : (i + 5) * x * 3] for i in range(0, y, 5)])
        want.append(imagecodecs.float24_decode(data, byteorder=">" if be else "<").reshape(y, x))
    name = f"float24_{'be' if be else 'le'}"
    write_tiff(f"{out}/{name}.tif", be, pages, y, x, 24, 1, fmt=3)
    case(name, "float32", want, y, x)


# --- 64-bit integers, as tifffile writes them ---
for dt in ("int64", "uint64"):
    for bo in ("<", ">"):
        y, x = 6, 11
        info = numpy.iinfo(dt)
        a = rng.integers(info.min, info.max, (3, y, x), dtype=dt, endpoint=True)
        a[0, 0, :4] = [info.min, info.max, 0, 1]
        for comp in (None, "zlib"):
            name = f"{dt}_{'be' if bo == '>' else 'le'}_{comp or 'none'}"
            tifffile.imwrite(f"{out}/{name}.tif", a.astype(numpy.dtype(dt).newbyteorder(bo)), compression=comp,
                             photometric="minisblack", byteorder=bo, rowsperstrip=4)
            case(name, dt, list(a), y, x)


# --- PixarLog, written and read by libtiff ---
def pixarlog_file(path, a, bits, fmt, rows):
    """One page per plane of a, PixarLog-compressed by libtiff."""
    tif = lib.TIFFOpen(path.encode(), b"w")
    assert tif
    y, x = a.shape[1:]
    for plane in a:
        for tag, val in ((259, 32909), (256, x), (257, y), (258, bits), (277, 1), (262, 1), (284, 1), (278, rows), (339, fmt)):
            assert lib.TIFFSetField(ctypes.c_void_p(tif), ctypes.c_uint32(tag), ctypes.c_int(val)), tag
        data = numpy.ascontiguousarray(plane).tobytes()
        row = x * a.itemsize
        for s, r0 in enumerate(range(0, y, rows)):
            chunk = data[r0 * row : min(r0 + rows, y) * row]
            assert lib.TIFFWriteEncodedStrip(tif, s, chunk, len(chunk)) == len(chunk)
        assert lib.TIFFWriteDirectory(tif)
    lib.TIFFClose(tif)
    # libtiff's PixarLog encoder stores BitsPerSample 8 whatever it was
    # given; its decoder returns the type BitsPerSample and SampleFormat
    # name. Set them to the data's, so that the 16-bit and float tables
    # are read too.
    with tifffile.TiffFile(path) as tf:
        spots = [(p.tags[258].valueoffset, p.tags[339].valueoffset) for p in tf.pages]
    with open(path, "r+b") as f:
        for b, s in spots:
            f.seek(b)
            f.write(struct.pack("<H", bits))
            f.seek(s)
            f.write(struct.pack("<H", fmt))


lib.TIFFSetField.restype = ctypes.c_int
for dtype, bits, fmt in (("uint8", 8, 1), ("uint16", 16, 1), ("float32", 32, 3)):
    y, x = 17, 23
    if dtype == "float32":
        a = (rng.random((2, y, x)) ** 3 * 30).astype("f4")
        a[0, 0, :4] = [0, 1, 25, 0.5]
    else:
        info = numpy.iinfo(dtype)
        a = rng.integers(0, info.max, (2, y, x), dtype=dtype, endpoint=True)
        a[0, 0, :3] = [0, info.max, 1]
    name = f"pixarlog_{dtype}"
    path = f"{out}/{name}.tif"
    pixarlog_file(path, a, bits, fmt, 6)
    got = [numpy.frombuffer(p, dtype)[: y * x].reshape(y, x) for p in libtiff_pages(path)]
    case(name, dtype, got, y, x)


# --- JBIG (ITU-T T.82) on 1-bit images ---
# libtiff writes JBIG through jbigkit with jbigkit's defaults (three-line
# template, typical prediction, stripes of a few lines, the adaptive
# template pixel moved when a pattern asks for it) and stores the data
# bit-reversed when FillOrder is 1. The options libtiff never sets (two-
# line template, SDRST, no typical prediction, a private DP table, NEWLEN,
# COMMENT segments) are coded by jbigkit directly and wrapped by hand in
# TIFFs whose strips libtiff then decodes: the expected planes are always
# libtiff's.
jbig = ctypes.CDLL("libjbig.so.0")
JBIGOUT = ctypes.CFUNCTYPE(None, ctypes.POINTER(ctypes.c_ubyte), ctypes.c_size_t, ctypes.c_void_p)
jbig.jbg_enc_init.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_int,
                              ctypes.POINTER(ctypes.c_void_p), JBIGOUT, ctypes.c_void_p]
jbig.jbg_enc_options.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_ulong, ctypes.c_int, ctypes.c_int]
jbig.jbg_enc_out.argtypes = [ctypes.c_void_p]
jbig.jbg_enc_free.argtypes = [ctypes.c_void_p]
jbig.jbg85_enc_init.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, JBIGOUT, ctypes.c_void_p]
jbig.jbg85_enc_options.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_ulong, ctypes.c_int]
jbig.jbg85_enc_lineout.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p]
jbig.jbg85_enc_newlen.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
LRLTWO, VLENGTH, TPBON, DPON, DPPRIV, SDRST = 0x40, 0x20, 0x08, 0x04, 0x02, 0x200


def reverse_bits(b):
    return numpy.packbits(numpy.unpackbits(numpy.frombuffer(b, "u1"), bitorder="little")).tobytes()


def jbg_encode(a, options=None, l0=0, mx=-1):
    """A bi-level image entity of a (y, x) bool array from jbigkit."""
    y, x = a.shape
    packed = ctypes.create_string_buffer(numpy.packbits(a, axis=-1).tobytes())
    planes = (ctypes.c_void_p * 1)(ctypes.cast(packed, ctypes.c_void_p))
    out = bytearray()
    cb = JBIGOUT(lambda p, n, f: out.extend(ctypes.string_at(p, n)))
    st = ctypes.create_string_buffer(1 << 16)
    jbig.jbg_enc_init(st, x, y, 1, planes, cb, None)
    if options is not None:
        jbig.jbg_enc_options(st, -1, options, l0, mx, 0)
    jbig.jbg_enc_out(st)
    jbig.jbg_enc_free(st)
    return bytes(out)


def jbg85_encode(a, options, l0, mx, extra):
    """A T.85 entity whose header claims extra lines more than a has,
    corrected by a NEWLEN at the end."""
    y, x = a.shape
    out = bytearray()
    cb = JBIGOUT(lambda p, n, f: out.extend(ctypes.string_at(p, n)))
    st = ctypes.create_string_buffer(1 << 16)
    jbig.jbg85_enc_init(st, x, y + extra, cb, None)
    jbig.jbg85_enc_options(st, options, l0, mx)
    rows = [numpy.packbits(r).tobytes() for r in a]
    for i, r in enumerate(rows):
        jbig.jbg85_enc_lineout(st, r, rows[i - 1] if i > 0 else None, rows[i - 2] if i > 1 else None)
        if i == y - 1:
            jbig.jbg85_enc_newlen(st, y)
    return bytes(out)


def markers(bie):
    """The marker codes in an entity after its header."""
    found, i = set(), 20
    while i < len(bie) - 1:
        if bie[i] == 0xFF and bie[i + 1] != 0:
            found.add(bie[i + 1])
        i += 2 if bie[i] == 0xFF else 1
    return found


def bilevel_file(path, a, fill=1):
    """One JBIG page per plane of a, written by libtiff."""
    tif = lib.TIFFOpen(path.encode(), b"w")
    assert tif
    y, x = a.shape[1:]
    for plane in a:
        for tag, val in ((259, 34661), (256, x), (257, y), (258, 1), (277, 1), (262, 1), (284, 1), (278, y), (266, fill)):
            assert lib.TIFFSetField(ctypes.c_void_p(tif), ctypes.c_uint32(tag), ctypes.c_int(val)), tag
        data = numpy.packbits(plane, axis=-1).tobytes()
        assert lib.TIFFWriteEncodedStrip(tif, 0, data, len(data)) == len(data)
        assert lib.TIFFWriteDirectory(tif)
    lib.TIFFClose(tif)


def bilevel_case(name, path, y, x):
    got = [numpy.unpackbits(numpy.frombuffer(p, "u1")[: y * ((x + 7) // 8)].reshape(y, -1), axis=-1)[:, :x]
           for p in libtiff_pages(path)]
    case(name, "uint8", got, y, x)


yy, xx = numpy.mgrid[:90, :61]
shapes = ((xx - 30) ** 2 + (yy - 40) ** 2 < 400) ^ ((xx // 7 + yy // 9) % 3 == 0)
shapes[50:70] = False  # blank lines: typical prediction
noise = rng.random((3, 45, 77)) < 0.3
period = numpy.tile(rng.random((600, 6)) < 0.5, (1, 43))[:, :253]  # only x-6 predicts: ATMOVE
for name, a, fill in (("jbig_noise", noise, 1), ("jbig_shapes", shapes[None], 1),
                      ("jbig_atmove", period[None], 1), ("jbig_lsb2msb", noise[:2], 2)):
    path = f"{out}/{name}.tif"
    bilevel_file(path, a, fill)
    bilevel_case(name, path, *a.shape[1:])
    if name == "jbig_atmove":
        with tifffile.TiffFile(path) as tf:
            p = tf.pages[0]
            tf.filehandle.seek(p.dataoffsets[0])
            assert 0x06 in markers(reverse_bits(tf.filehandle.read(p.databytecounts[0]))), "no ATMOVE"

wide = numpy.tile(rng.random((600, 13)) < 0.5, (1, 16))[:, :203]  # x-13 predicts
variants = {
    # two-line template, adaptive pixel up to 16 back, stripes of 16 lines
    "jbig_twoline": (wide, lambda a: jbg_encode(a, LRLTWO | TPBON, 16, 16), {0x06}),
    # SDRST ends every stripe: states and lines above reset
    "jbig_sdrst": (shapes, lambda a: jbg_encode(a, TPBON | SDRST, 8, 8), {0x03}),
    # no typical prediction, one stripe
    "jbig_plain": (noise[0], lambda a: jbg_encode(a, 0, 1000, 0), {0x02}),
    # a private deterministic-prediction table after the header
    "jbig_dppriv": (shapes, lambda a: jbg_encode(a, TPBON | DPON | DPPRIV, 4, 8), {0x02}),
    # VLENGTH: the header claims 7 more lines, NEWLEN corrects it
    "jbig_newlen": (wide[:50], lambda a: jbg85_encode(a, VLENGTH | TPBON | LRLTWO, 12, 16, 7), {0x05}),
    # a COMMENT segment before the first stripe
    "jbig_comment": (shapes, lambda a: (lambda b: b[:20] + b"\xff\x07" + struct.pack(">I", 11) + b"segstack \xff!" + b[20:])(jbg_encode(a)), {0x07}),
}
for name, (a, enc, want) in variants.items():
    y, x = a.shape
    bie = enc(a)
    assert want <= markers(bie), (name, markers(bie))
    if name == "jbig_dppriv":
        assert len(bie) > 1748 and bie[19] & 7 == DPON | DPPRIV, name
    # one strip, as libtiff's decoder accepts no other layout
    write_tiff(f"{out}/{name}.tif", name == "jbig_sdrst", [[reverse_bits(bie)]], y, x, 1, 34661, rows=y)
    bilevel_case(name, f"{out}/{name}.tif", y, x)


# --- LERC (Esri's LERC2 blobs), lossless and lossy ---
# Written by libtiff through liblerc (blob version 4, the one it writes),
# with every data type, strips and tiles, both byte orders, NaN masks,
# 8-bit alpha stored as the mask, and deflate or zstd over the blobs; and,
# for the other blob versions and codings liblerc can be asked for, blobs
# from imagecodecs' liblerc wrapped by hand. The expected planes are what
# libtiff decodes from each file.
lib.TIFFReadEncodedTile.restype = ctypes.c_ssize_t
lib.TIFFReadEncodedTile.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_ssize_t]
lib.TIFFWriteEncodedTile.restype = ctypes.c_ssize_t
lib.TIFFWriteEncodedTile.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_ssize_t]
lib.TIFFIsTiled.argtypes = [ctypes.c_void_p]
LERC_VERSION, LERC_ADD, LERC_MAXZERROR = 65565, 65566, 65567
FORMATS = {"u": 1, "i": 2, "f": 3}


def lerc_file(path, pages, maxz=0.0, add=0, rows=None, tile=None, planar=False, alpha=False, mode="w"):
    """pages: arrays (y, x) or (y, x, samples), LERC-coded by libtiff."""
    tif = lib.TIFFOpen(path.encode(), mode.encode())
    assert tif
    for a in pages:
        a = a if a.ndim == 3 else a[:, :, None]
        y, x, spp = a.shape
        t = ctypes.c_void_p(tif)
        for tag, val in ((256, x), (257, y), (258, a.itemsize * 8), (277, spp), (262, 2 if spp >= 3 else 1),
                         (284, 2 if planar else 1), (339, FORMATS[a.dtype.kind]), (259, 34887)):
            assert lib.TIFFSetField(t, ctypes.c_uint32(tag), ctypes.c_int(val)), tag
        if alpha:
            assert lib.TIFFSetField(t, ctypes.c_uint32(338), ctypes.c_int(1), (ctypes.c_uint16 * 1)(2))
        assert lib.TIFFSetField(t, ctypes.c_uint32(LERC_ADD), ctypes.c_int(add))
        assert lib.TIFFSetField(t, ctypes.c_uint32(LERC_MAXZERROR), ctypes.c_double(maxz))
        planes = [a[:, :, s] for s in range(spp)] if planar else [a]
        if tile:
            assert lib.TIFFSetField(t, ctypes.c_uint32(322), ctypes.c_int(tile))
            assert lib.TIFFSetField(t, ctypes.c_uint32(323), ctypes.c_int(tile))
            n = 0
            for pl in planes:
                for i in range(0, y, tile):
                    for j in range(0, x, tile):
                        blk = numpy.zeros((tile, tile) + pl.shape[2:], a.dtype)
                        part = pl[i : i + tile, j : j + tile]
                        blk[: part.shape[0], : part.shape[1]] = part
                        b = numpy.ascontiguousarray(blk).tobytes()
                        assert lib.TIFFWriteEncodedTile(t, n, b, len(b)) == len(b)
                        n += 1
        else:
            assert lib.TIFFSetField(t, ctypes.c_uint32(278), ctypes.c_int(rows))
            n = 0
            for pl in planes:
                for r0 in range(0, y, rows):
                    b = numpy.ascontiguousarray(pl[r0 : r0 + rows]).tobytes()
                    assert lib.TIFFWriteEncodedStrip(t, n, b, len(b)) == len(b)
                    n += 1
        assert lib.TIFFWriteDirectory(t)
    lib.TIFFClose(tif)


def libtiff_samples(path, dtype, y, x, spp, planar, tile, rows):
    """Every page as libtiff decodes it, (pages, y, x, spp) in native order."""
    dt = numpy.dtype(dtype)
    tif = lib.TIFFOpen(path.encode(), b"r")
    assert tif
    pages = []
    while True:
        a = numpy.zeros((spp if planar else 1, y, x, 1 if planar else spp), dt)
        per = 1 if planar else spp
        if tile:
            n = 0
            for pl in range(a.shape[0]):
                for i in range(0, y, tile):
                    for j in range(0, x, tile):
                        size = tile * tile * per * dt.itemsize
                        buf = ctypes.create_string_buffer(size)
                        assert lib.TIFFReadEncodedTile(tif, n, buf, size) == size, (path, n)
                        blk = numpy.frombuffer(buf.raw, dt).reshape(tile, tile, per)
                        h, w = min(tile, y - i), min(tile, x - j)
                        a[pl, i : i + h, j : j + w] = blk[:h, :w]
                        n += 1
        else:
            n = 0
            for pl in range(a.shape[0]):
                for r0 in range(0, y, rows):
                    h = min(rows, y - r0)
                    size = h * x * per * dt.itemsize
                    buf = ctypes.create_string_buffer(size)
                    assert lib.TIFFReadEncodedStrip(tif, n, buf, size) == size, (path, n)
                    a[pl, r0 : r0 + h] = numpy.frombuffer(buf.raw, dt).reshape(h, x, per)
                    n += 1
        pages.append(numpy.moveaxis(a, 0, -1).reshape(y, x, spp) if planar else a[0])
        if not lib.TIFFReadDirectory(tif):
            break
    lib.TIFFClose(tif)
    return pages


def lerc_case(name, pages, dtype=None, planar=False, tile=None, rows=None):
    a0 = pages[0] if pages[0].ndim == 3 else pages[0][:, :, None]
    y, x, spp = a0.shape
    got = libtiff_samples(f"{out}/{name}.tif", pages[0].dtype, y, x, spp, planar, tile, rows)
    read = dtype or str(pages[0].dtype)
    case(name, read, [g[:, :, s] for g in got for s in range(spp)], y, x)


def field(shape, dtype, rng, kind="mixed"):
    """Values that make every kind of LERC micro-block: constant zero and
    constant blocks, narrow and wide ranges, few distinct values (lookup
    tables), and noise."""
    dt = numpy.dtype(dtype)
    y, x = shape[:2]
    if dt.kind == "f":
        lo, hi = -1e4, 1e4
    else:
        info = numpy.iinfo(dt)
        lo, hi = info.min, info.max
    a = rng.uniform(lo, hi, shape)
    yy, xx = numpy.mgrid[:y, :x]
    if len(shape) == 3:
        yy, xx = yy[:, :, None], xx[:, :, None]
    a[: y // 4] = 0
    band = (yy * 3 + xx) % 7 * (hi / 8) + lo / 4 + 0 * a
    a[y // 4 : y // 2] = numpy.clip(band[y // 4 : y // 2], lo, hi)
    a[y // 2 : 3 * y // 4, : x // 2] = numpy.clip(lo / 2 + rng.integers(0, 5, a[y // 2 : 3 * y // 4, : x // 2].shape) * (hi / 3), lo, hi)
    if dt.kind == "f":
        a[0, 0] = 0.5
        a[-1, -1] = -3.25
        return a.astype(dt)
    a[-1, -1], a[-1, -2] = lo, hi
    return numpy.clip(numpy.round(a), lo, hi).astype(dt)


lrng = numpy.random.default_rng(34887)
for dt in ("int8", "uint8", "int16", "uint16", "int32", "uint32", "float32", "float64"):
    y, x = 45, 37
    pages = [field((y, x), dt, lrng) for _ in range(2)]
    name = f"lerc_{dt}"
    lerc_file(f"{out}/{name}.tif", pages, rows=16)
    lerc_case(name, pages, dtype="int16" if dt == "int8" else None, rows=16)

# smooth 8-bit data: the Huffman codings (by differences and direct)
yy, xx = numpy.mgrid[:64, :70]
smooth = ((yy * 2 + xx) // 3 + lrng.integers(0, 3, yy.shape)).astype("u1")
few = lrng.choice(numpy.array([3, 7, 200, 9], "u1"), (64, 70), p=[0.7, 0.2, 0.05, 0.05])
for name, pages, dtype in (("lerc_huffman_u8", [smooth, few], None), ("lerc_huffman_i8", [(smooth.astype("i2") - 100).astype("i1")], "int16")):
    lerc_file(f"{out}/{name}.tif", pages, rows=64)
    lerc_case(name, pages, dtype=dtype, rows=64)

# lossy: values within MaxZError, decoded as libtiff decodes them
for dt, maxz in (("uint16", 2.5), ("int32", 1.0), ("float32", 0.01), ("float64", 0.5), ("uint8", 3.0)):
    y, x = 40, 33
    pages = [field((y, x), dt, lrng) for _ in range(2)]
    name = f"lerc_lossy_{dt}"
    lerc_file(f"{out}/{name}.tif", pages, maxz=maxz, rows=16)
    lerc_case(name, pages, rows=16)

# deflate and zstd over the blobs, tiles, planar samples, big-endian files
# (whose samples libtiff swaps before coding and after decoding)
for name, kw, pages in (
    ("lerc_deflate", dict(add=1, rows=16), [field((40, 33), "uint16", lrng)]),
    ("lerc_zstd", dict(add=2, rows=16), [field((40, 33), "float32", lrng)]),
    ("lerc_tiles", dict(tile=16), [field((40, 35), "int16", lrng), field((40, 35), "int16", lrng)]),
    ("lerc_rgb_contig", dict(rows=8), [field((20, 21, 3), "uint16", lrng)]),
    ("lerc_rgb_planar", dict(rows=8, planar=True), [field((20, 21, 3), "uint16", lrng)]),
    ("lerc_be", dict(rows=16, mode="wb"), [field((40, 33), "int16", lrng)]),
    ("lerc_be_float", dict(rows=16, mode="wb", maxz=0.5), [field((40, 33), "float32", lrng)]),
):
    lerc_file(f"{out}/{name}.tif", pages, **kw)
    lerc_case(name, pages, planar=kw.get("planar", False), tile=kw.get("tile"), rows=kw.get("rows"))

# NaN: a mask of the valid pixels; floats of several samples with NaN in
# some samples only are coded one blob per sample
nanf = field((37, 41), "float32", lrng)
nanf[lrng.random(nanf.shape) < 0.2] = numpy.nan
nanf[5:9] = numpy.nan
nand = field((37, 41), "float64", lrng)
nand[::3, ::2] = numpy.nan
rgbnan = field((30, 23, 3), "float32", lrng)
rgbnan[lrng.random((30, 23)) < 0.1, 1] = numpy.nan
rgball = field((30, 23, 3), "float32", lrng)
rgball[lrng.random((30, 23)) < 0.3] = numpy.nan
for name, pages, kw in (("lerc_nan_f32", [nanf], dict(rows=16, maxz=0.01)), ("lerc_nan_f64_tiles", [nand], dict(tile=16)),
                        ("lerc_nan_rgb_bands", [rgbnan], dict(rows=10))):
    lerc_file(f"{out}/{name}.tif", pages, **kw)
    lerc_case(name, pages, tile=kw.get("tile"), rows=kw.get("rows"))
# NaN in every sample of some pixels: one blob of 3 values a pixel and one
# mask. libtiff 4.5 fails to read its own such files (later versions set
# the masked samples to NaN); the written data, lossless, is expected.
lerc_file(f"{out}/lerc_nan_pixels.tif", [rgball], rows=10)
case("lerc_nan_pixels", "float32", [rgball[:, :, s] for s in range(3)], 30, 23)

# 8-bit RGBA whose alpha is 0 or 255: stored as the mask
rgba = field((26, 31, 4), "uint8", lrng)
rgba[:, :, 3] = numpy.where(lrng.random((26, 31)) < 0.3, 0, 255)
rgba2 = numpy.dstack([smooth, smooth[::-1], smooth[:, ::-1], numpy.where(yy % 9 < 2, 0, 255).astype("u1")])
lerc_file(f"{out}/lerc_rgba_mask.tif", [rgba], rows=13, alpha=True)
lerc_case("lerc_rgba_mask", [rgba], rows=13)
lerc_file(f"{out}/lerc_rgba_huffman.tif", [rgba2], rows=64, alpha=True)
lerc_case("lerc_rgba_huffman", [rgba2], rows=64)

# Blobs of other versions and codings, from imagecodecs, in hand-made TIFFs
def blob_tiff(name, a, **kw):
    y, x = a.shape
    blob = imagecodecs.lerc_encode(a, **kw)
    path = f"{out}/{name}.tif"
    write_tiff(path, False, [[blob]], y, x, a.itemsize * 8, 34887, fmt=FORMATS[a.dtype.kind], rows=y)
    got = libtiff_samples(path, a.dtype, y, x, 1, False, None, y)
    case(name, "int16" if a.dtype == numpy.int8 else str(a.dtype), [g[:, :, 0] for g in got], y, x)


for version in (2, 3):
    for dt in ("uint8", "int16", "float32"):
        a = field((38, 45), dt, lrng)
        blob_tiff(f"lerc_v{version}_{dt}", a, version=version)
blob_tiff("lerc_v2_lossy", field((38, 45), "uint16", lrng), level=4.0, version=2)
# A mask on integer samples: libtiff asks liblerc for none and fails, so
# segstack refuses the file too.
masked = field((38, 45), "int32", lrng)
path = f"{out}/refused_lerc_mask_int.tif"
write_tiff(path, False, [[imagecodecs.lerc_encode(masked, masks=lrng.random(masked.shape) < 0.8, version=4)]], 38, 45, 32, 34887, fmt=2, rows=38)
assert all(lib.TIFFReadEncodedStrip(lib.TIFFOpen(path.encode(), b"r"), 0, ctypes.create_string_buffer(38 * 45 * 4), -1) < 0 for _ in [0])
refused.append("refused_lerc_mask_int")
blob_tiff("lerc_const", numpy.full((20, 19), 7, "uint16"), version=4)
blob_tiff("lerc_v3_huffman", smooth, version=3)
blob_tiff("lerc_v6_huffman", smooth, version=6)
blob_tiff("lerc_v6_int16", field((38, 45), "int16", lrng), version=6)
blob_tiff("lerc_v5_lossy", field((38, 45), "float32", lrng), level=0.5, version=5)
# Version 6's lossless float coding (what liblerc writes for lossless
# floats when asked for version 6): byte planes, predictors, and each
# plane's coding (Huffman, PackBits, one value, raw) as the data asks.
yy, xx = numpy.mgrid[:38, :45]
smoothf = (numpy.sin(yy / 7) * numpy.cos(xx / 5) * 100).astype("f4")
blob_tiff("lerc_v6_float_smooth", smoothf, level=0, version=6)
blob_tiff("lerc_v6_float_noise", field((38, 45), "float32", lrng), level=0, version=6)
blob_tiff("lerc_v6_double", (smoothf.astype("f8") * numpy.pi), level=0, version=6)
steps = numpy.repeat(numpy.arange(45, dtype="f4")[None] // 9, 38, axis=0) * 0.5
blob_tiff("lerc_v6_float_steps", steps, level=0, version=6)
blob_tiff("lerc_v6_float_normal", lrng.normal(0, 1, (38, 45)).astype("f4"), level=0, version=6)
blob_tiff("lerc_v6_float_sorted", numpy.sort(lrng.random(38 * 45)).reshape(38, 45).astype("f4"), level=0, version=6)
blob_tiff("lerc_v6_float_integers", ((xx - 20.0) ** 2 + (yy - 15.0) ** 2).astype("f4"), level=0, version=6)

# Several values a pixel: version 5 codes integer samples as differences
# from the pixel's sample before; floats with masks per sample go one blob
# a sample (whose masks libtiff turns to NaN).
def blob_tiff_samples(name, a, expect=None, **kw):
    y, x, spp = a.shape
    blob = imagecodecs.lerc_encode(numpy.moveaxis(a, -1, 0) if kw.get("planar") else a, **kw)
    path = f"{out}/{name}.tif"
    write_tiff(path, False, [[blob]], y, x, a.itemsize * 8, 34887, fmt=FORMATS[a.dtype.kind], rows=y, spp=spp)
    got = libtiff_samples(path, a.dtype, y, x, spp, False, None, y)[0] if expect is None else expect
    case(name, str(a.dtype), [got[:, :, s] for s in range(spp)], y, x)


rgb16 = field((30, 26, 3), "int16", lrng)
rgb16[:, :, 1] = rgb16[:, :, 0] // 2 + 5
blob_tiff_samples("lerc_v5_rgb_diff", rgb16, version=5)
blob_tiff_samples("lerc_v4_rgb", rgb16, version=4)
blob_tiff_samples("lerc_v6_rgb_float", numpy.dstack([smoothf, smoothf * 2, -smoothf]), level=0, version=6)
bands = field((30, 26, 3), "float32", lrng)
bandmask = lrng.random(bands.shape) < 0.85
bandmask[:, :, 2] = True
# libtiff 4.5 refuses one blob a sample; later versions (and segstack)
# read the values, NaN where a sample's mask says invalid.
blob_tiff_samples("lerc_bands_masks", bands, version=4, planar=True, masks=numpy.moveaxis(bandmask, -1, 0),
                  expect=numpy.where(bandmask, bands, numpy.float32(numpy.nan)))

json.dump(cases, open(f"{out}/codecs.json", "w"), indent=1)
json.dump(refused, open(f"{out}/refused.json", "w"), indent=1)
