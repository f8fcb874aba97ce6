#!/usr/bin/env python3
"""Interoperability fixtures for segstack's stack/zarr tests.

The Go tests run this script with Debian's python3 (zarr-python 2 and
numcodecs) and with a virtual environment holding zarr-python 3, numcodecs
and ome-zarr; it needs only what those provide.

    interop.py write DIR        write arrays with every codec this zarr has,
                                 each with a .raw file of its expected
                                 elements (C order, little-endian) and a
                                 manifest.json describing them
    interop.py check MANIFEST   read the arrays a manifest lists (written by
                                 segstack) and compare them with their .raw
                                 files and the metadata it states; print a
                                 JSON report
    interop.py ngff-write DIR   write OME-NGFF images with labels (ome-zarr)
    interop.py ngff-check MANIFEST
                                 read OME-NGFF images written by segstack
                                 with ome-zarr's reader and check them

Every report is one JSON document on stdout.
"""
import json
import math
import os
import sys

import numpy as np
import zarr
import numcodecs

ZARR3 = int(zarr.__version__.split(".")[0]) >= 3
DTYPES = ["uint8", "uint16", "int16", "uint32", "int32", "float32", "float64"]
SHAPE = (3, 45, 70)
CHUNKS = (2, 16, 33)


def sample(dtype, shape, seed):
    """Image-like data of the given type: ramps with a little noise, which
    compress, and scattered values from the whole range of the type."""
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    z, y, x = np.indices(shape)
    vals = (x * 3 + y * 5 + z * 11 + rng.integers(0, 8, size=shape)).astype(np.float64)
    if dt.kind == "f":
        vals = vals * 0.37 - 100
        extremes = rng.standard_normal(vals.size) * 1e6
    else:
        info = np.iinfo(dt)
        if info.min < 0:
            vals -= vals.max() // 2
        vals = np.clip(vals, info.min, info.max)
        extremes = rng.integers(int(info.min), int(info.max), size=vals.size, endpoint=True)
    flat = vals.reshape(-1)
    flat[::97] = extremes[::97]
    return flat.astype(dt).reshape(shape)


def save_raw(path, arr):
    np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tofile(path)


def v2_compressors():
    B = numcodecs.Blosc
    out = {"none": None}
    for cname in ["lz4", "zstd", "zlib", "blosclz"]:
        for sh, sname in [(B.NOSHUFFLE, "noshuffle"), (B.SHUFFLE, "shuffle"), (B.BITSHUFFLE, "bitshuffle")]:
            out[f"blosc-{cname}-{sname}"] = B(cname=cname, clevel=5, shuffle=sh)
        out[f"blosc-{cname}-shuffle-bs512"] = B(cname=cname, clevel=5, shuffle=B.SHUFFLE, blocksize=512)
    out["zstd"] = numcodecs.Zstd(level=3)
    out["zlib"] = numcodecs.Zlib(level=5)
    out["gzip"] = numcodecs.GZip(level=5)
    out["lz4"] = numcodecs.LZ4()
    return out


def create_v2(path, shape, chunks, dtype, compressor, fill, order="C", sep=".", filters=None):
    if ZARR3:
        return zarr.create_array(store=path, shape=shape, chunks=chunks, dtype=dtype,
                                 compressors=compressor, filters=filters, fill_value=fill,
                                 order=order, zarr_format=2,
                                 chunk_key_encoding={"name": "v2", "separator": sep})
    return zarr.open_array(path, mode="w", shape=shape, chunks=chunks, dtype=dtype,
                           compressor=compressor, fill_value=fill, order=order,
                           dimension_separator=sep, filters=filters)


def write(outdir):
    os.makedirs(outdir, exist_ok=True)
    entries = []
    seed = [0]

    def add(name, fmt, dtype, arr_fn, expect="ok", codec="", fill=0, partial=False, shape=SHAPE):
        seed[0] += 1
        data = sample(dtype.lstrip("<>|"), shape, seed[0])
        path = os.path.join(outdir, name)
        try:
            a = arr_fn(path)
        except Exception as e:  # this zarr cannot write the variant
            entries.append({"name": name, "skipped": f"{type(e).__name__}: {e}"})
            return
        expected = data.copy()
        if partial:
            # only the first plane is written: the rest is the fill value
            a[0] = data[0]
            expected[1:] = np.nan if fill == "NaN" else fill
        else:
            a[...] = data
        save_raw(path + ".raw", expected)
        entries.append({"name": name, "path": name, "raw": name + ".raw", "zarr_format": fmt,
                        "dtype": np.dtype(dtype.lstrip("<>|")).name, "shape": list(shape),
                        "chunks": list(a.chunks), "codec": codec, "fill": fill, "expect": expect})

    fmt2 = "zarr2" if not ZARR3 else "zarr3"
    for cname, comp in v2_compressors().items():
        for dt in DTYPES:
            add(f"{fmt2}-v2-{cname}-{dt}.zarr", 2, dt,
                lambda p, c=comp, d=dt: create_v2(p, SHAPE, CHUNKS, d, c, 0), codec=cname)
    blosc = numcodecs.Blosc(cname="lz4", shuffle=numcodecs.Blosc.SHUFFLE)
    add(f"{fmt2}-v2-order-F.zarr", 2, "uint16",
        lambda p: create_v2(p, SHAPE, CHUNKS, "uint16", blosc, 0, order="F"), codec="blosc F")
    add(f"{fmt2}-v2-slash.zarr", 2, "int16",
        lambda p: create_v2(p, SHAPE, CHUNKS, "int16", blosc, 0, sep="/"), codec="blosc /")
    for dt in [">u2", ">i4", ">f4", ">f8"]:
        add(f"{fmt2}-v2-bigendian-{dt[1:]}.zarr", 2, dt,
            lambda p, d=dt: create_v2(p, SHAPE, CHUNKS, d, numcodecs.Zstd(level=1), 0), codec="zstd BE")
    add(f"{fmt2}-v2-partial-fill.zarr", 2, "uint16",
        lambda p: create_v2(p, SHAPE, CHUNKS, "uint16", blosc, 17), fill=17, partial=True, codec="blosc")
    add(f"{fmt2}-v2-partial-nan.zarr", 2, "float32",
        lambda p: create_v2(p, SHAPE, CHUNKS, "float32", numcodecs.Zlib(), float("nan")), fill="NaN",
        partial=True, codec="zlib")
    add(f"{fmt2}-v2-bz2.zarr", 2, "uint16",
        lambda p: create_v2(p, SHAPE, CHUNKS, "uint16", numcodecs.BZ2(), 0), expect="unsupported", codec="bz2")
    add(f"{fmt2}-v2-delta.zarr", 2, "uint16",
        lambda p: create_v2(p, SHAPE, CHUNKS, "uint16", None, 0, filters=[numcodecs.Delta(dtype="u2")]),
        expect="unsupported", codec="delta filter")
    if ZARR3:
        write_v3(add)
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump({"zarr": zarr.__version__, "numcodecs": numcodecs.__version__, "arrays": entries}, f, indent=1)


def write_v3(add):
    from zarr.codecs import (BloscCodec, BytesCodec, Crc32cCodec, GzipCodec, ShardingCodec,
                             TransposeCodec, ZstdCodec)

    def v3(path, dtype, compressors, serializer="auto", filters=None, fill=0, cke=None, shards=None):
        return zarr.create_array(store=path, shape=SHAPE, chunks=CHUNKS, dtype=dtype,
                                 compressors=compressors, serializer=serializer,
                                 filters=filters if filters is not None else (),
                                 fill_value=fill, zarr_format=3, chunk_key_encoding=cke, shards=shards)

    codecs = {"none": None, "zstd": ZstdCodec(level=3), "zstd-checksum": ZstdCodec(level=3, checksum=True),
              "gzip": GzipCodec(level=5), "gzip+crc32c": [GzipCodec(level=5), Crc32cCodec()]}
    for cname in ["lz4", "zstd", "zlib", "blosclz"]:
        for sh in ["noshuffle", "shuffle", "bitshuffle"]:
            codecs[f"blosc-{cname}-{sh}"] = BloscCodec(cname=cname, clevel=5, shuffle=sh)
    for name, comp in codecs.items():
        for dt in DTYPES:
            add(f"zarr3-v3-{name}-{dt}.zarr", 3, dt, lambda p, c=comp, d=dt: v3(p, d, c), codec=name)
    for dt in ["uint16", "float64"]:
        add(f"zarr3-v3-bigendian-{dt}.zarr", 3, dt,
            lambda p, d=dt: v3(p, d, ZstdCodec(), serializer=BytesCodec(endian="big")), codec="zstd BE")
    add("zarr3-v3-transpose.zarr", 3, "uint16",
        lambda p: v3(p, "uint16", BloscCodec(cname="lz4"), filters=[TransposeCodec(order=(2, 0, 1))]),
        codec="transpose")
    add("zarr3-v3-keys-v2.zarr", 3, "uint16",
        lambda p: v3(p, "uint16", ZstdCodec(), cke={"name": "v2", "separator": "."}), codec="v2 keys")
    add("zarr3-v3-partial-fill.zarr", 3, "int32", lambda p: v3(p, "int32", ZstdCodec(), fill=-5),
        fill=-5, partial=True, codec="zstd")
    add("zarr3-v3-partial-nan.zarr", 3, "float64", lambda p: v3(p, "float64", GzipCodec(), fill=float("nan")),
        fill="NaN", partial=True, codec="gzip")
    add("zarr3-v3-sharded.zarr", 3, "uint16",
        lambda p: zarr.create_array(store=p, shape=SHAPE, chunks=(1, 15, 35), shards=(3, 45, 70),
                                    dtype="uint16", zarr_format=3),
        expect="unsupported", codec="sharding")


def fill_matches(got, want):
    if want == "NaN":
        return got is not None and isinstance(got, float) and math.isnan(got) or \
            (hasattr(got, "dtype") and np.isnan(got))
    return got == want


def open_array(path):
    return zarr.open_array(path, mode="r")


def check(manifest_path):
    with open(manifest_path) as f:
        manifest = json.load(f)
    base = os.path.dirname(manifest_path)
    results = []
    for e in manifest["arrays"]:
        r = {"name": e["name"], "ok": False}
        results.append(r)
        if e["zarr_format"] == 3 and not ZARR3:
            r["skip"] = "zarr-python %s reads Zarr v2 only" % zarr.__version__
            continue
        try:
            a = open_array(os.path.join(base, e["path"]))
            want = np.fromfile(os.path.join(base, e["raw"]), dtype=np.dtype(e["dtype"]).newbyteorder("<"))
            want = want.reshape(e["shape"])
            problems = []
            if list(a.shape) != e["shape"]:
                problems.append(f"shape {a.shape}")
            if list(a.chunks) != e["chunks"]:
                problems.append(f"chunks {a.chunks}")
            if np.dtype(a.dtype).name != e["dtype"]:
                problems.append(f"dtype {a.dtype}")
            if "byteorder" in e and np.dtype(a.dtype).itemsize > 1 and ZARR3 is False:
                if np.dtype(a.dtype).byteorder not in (e["byteorder"], "=" if e["byteorder"] == "<" else "?"):
                    problems.append(f"byte order {np.dtype(a.dtype).byteorder}")
            fv = a.fill_value
            if e["fill"] == "NaN":
                if not (fv is not None and np.isnan(fv)):
                    problems.append(f"fill_value {fv}")
            elif fv != e["fill"]:
                problems.append(f"fill_value {fv}")
            got = a[...]
            if not np.array_equal(got, want, equal_nan=np.dtype(e["dtype"]).kind == "f"):
                diff = np.argwhere(~((got == want) | (np.isnan(got) & np.isnan(want)) if np.dtype(e["dtype"]).kind == "f" else (got == want)))
                problems.append(f"pixels differ at {len(diff)} places, first {diff[0].tolist()}")
            attrs = dict(a.attrs)
            if attrs != e.get("attributes", {}):
                problems.append(f"attributes {attrs}")
            if problems:
                r["error"] = "; ".join(problems)
            else:
                r["ok"] = True
        except Exception as ex:
            r["error"] = f"{type(ex).__name__}: {ex}"
    print(json.dumps({"zarr": zarr.__version__, "numcodecs": numcodecs.__version__, "results": results}))


def main():
    cmd, arg = sys.argv[1], sys.argv[2]
    if cmd == "write":
        write(arg)
    elif cmd == "check":
        check(arg)
    elif cmd == "ngff-write":
        import ngff_interop
        ngff_interop.write(arg)
    elif cmd == "ngff-check":
        import ngff_interop
        ngff_interop.check(arg)
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
