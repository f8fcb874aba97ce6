"""OME-NGFF part of interop.py: images and labels written with ome-zarr for
segstack to read, and ome-zarr's reader run on images segstack wrote."""
import json
import os

import numpy as np
import zarr
from ome_zarr.format import FormatV04, FormatV05
from ome_zarr.io import parse_url
from ome_zarr.reader import Label, Multiscales, Reader
from ome_zarr.writer import write_image, write_labels

import ome_zarr

UNITS = {"z": "micrometer", "y": "micrometer", "x": "micrometer"}


def level_arrays(group_path, zarr_format):
    """The level arrays of a multiscale group, as its metadata lists them."""
    g = zarr.open_group(group_path, mode="r")
    attrs = dict(g.attrs)
    ome = attrs.get("ome", attrs)
    ms = ome["multiscales"][0]
    return ms, [g[d["path"]] for d in ms["datasets"]]


def write(outdir):
    os.makedirs(outdir, exist_ok=True)
    images = []
    for fmt, zf in [(FormatV04(), 2), (FormatV05(), 3)]:
        for axes, shape in [("zyx", (4, 100, 130)), ("czyx", (2, 3, 70, 90))]:
            name = f"ome-zarr-{fmt.version}-{axes}.ome.zarr"
            path = os.path.join(outdir, name)
            root = zarr.open_group(path, mode="w", zarr_format=zf)
            rng = np.random.default_rng(len(images))
            img = (np.indices(shape).sum(axis=0) * 7 + rng.integers(0, 50, size=shape)).astype("uint16")
            scale = {"z": 2.0, "y": 0.5, "x": 0.5}
            units = dict(UNITS)
            if "c" in axes:
                scale["c"] = 1.0
            write_image(img, root, scale_factors=(2, 4), axes=axes, scale=scale, axes_units=units,
                        storage_options={"chunks": (1,) * (len(shape) - 2) + (32, 48)}, fmt=fmt)
            entry = {"name": name, "path": name, "zarr_format": zf, "version": fmt.version,
                     "axes": list(axes), "levels": [], "labels": {}}
            ms, arrays = level_arrays(path, zf)
            for i, a in enumerate(arrays):
                raw = f"{name}.level{i}.raw"
                np.asarray(a[...]).astype("<u2").tofile(os.path.join(outdir, raw))
                entry["levels"].append({"shape": list(a.shape), "raw": raw, "dtype": "uint16",
                                        "transforms": ms["datasets"][i]["coordinateTransformations"]})
            if axes == "zyx":
                lab = (img // 200).astype("uint32")
                write_labels(lab, root, name="cells", axes=axes, scale=scale, axes_units=units,
                             storage_options={"chunks": (1, 32, 48)}, fmt=fmt,
                             label_metadata={"colors": [{"label-value": 1, "rgba": [255, 0, 0, 255]}]})
                lpath = os.path.join(path, "labels", "cells")
                _, larrays = level_arrays(lpath, zf)
                raw = f"{name}.cells.level0.raw"
                np.asarray(larrays[0][...]).astype("<u4").tofile(os.path.join(outdir, raw))
                entry["labels"]["cells"] = {"raw": raw, "shape": list(larrays[0].shape), "dtype": "uint32",
                                            "levels": len(larrays)}
            images.append(entry)
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump({"ome_zarr": ome_zarr.__version__, "zarr": zarr.__version__, "images": images}, f, indent=1)


def check(manifest_path):
    with open(manifest_path) as f:
        manifest = json.load(f)
    base = os.path.dirname(manifest_path)
    results = []
    for e in manifest["images"]:
        r = {"name": e["name"], "ok": False}
        results.append(r)
        try:
            r["problems"] = problems = check_image(base, e)
            r["ok"] = not problems
        except Exception as ex:
            r["problems"] = [f"{type(ex).__name__}: {ex}"]
    print(json.dumps({"ome_zarr": ome_zarr.__version__, "zarr": zarr.__version__, "results": results}))


def check_image(base, e):
    problems = []
    path = os.path.join(base, e["path"])
    nodes = list(Reader(parse_url(path, mode="r"))())
    images = [n for n in nodes if any(isinstance(s, Multiscales) for s in n.specs)
              and not any(isinstance(s, Label) for s in n.specs)]
    labels = [n for n in nodes if any(isinstance(s, Label) for s in n.specs)]
    if len(images) != 1:
        return [f"ome-zarr found {len(images)} images"]
    img = images[0]
    meta = img.metadata
    names = [a["name"] for a in meta["axes"]]
    if names != e["axes"]:
        problems.append(f"axes {names}")
    for a in meta["axes"]:
        if a.get("type") == "space" and a.get("unit") != e["unit"]:
            problems.append(f"axis {a['name']} unit {a.get('unit')}")
    if len(img.data) != len(e["levels"]):
        problems.append(f"{len(img.data)} levels, want {len(e['levels'])}")
    for i, (d, want) in enumerate(zip(img.data, e["levels"])):
        if list(d.shape) != want["shape"]:
            problems.append(f"level {i} shape {d.shape}")
            continue
        raw = np.fromfile(os.path.join(base, want["raw"]), dtype=np.dtype(want["dtype"]).newbyteorder("<"))
        if not np.array_equal(np.asarray(d), raw.reshape(want["shape"])):
            problems.append(f"level {i} pixels differ")
        ct = meta["coordinateTransformations"][i]
        scale = [t for t in ct if t["type"] == "scale"][0]["scale"]
        if not np.allclose(scale, want["scale"]):
            problems.append(f"level {i} scale {scale}")
    if e.get("omero") and "channel_names" not in meta:
        problems.append("no omero channel metadata")
    # The labels group, as ome-zarr lists it.
    found = {n.metadata.get("name"): n for n in labels}
    for name, want in e["labels"].items():
        n = found.get(name)
        if n is None:
            problems.append(f"label image {name} not found (found {list(found)})")
            continue
        raw = np.fromfile(os.path.join(base, want["raw"]), dtype=np.dtype(want["dtype"]).newbyteorder("<"))
        if not np.array_equal(np.asarray(n.data[0]), raw.reshape(want["shape"])):
            problems.append(f"label {name} pixels differ")
        if len(n.data) != want["levels"]:
            problems.append(f"label {name}: {len(n.data)} levels")
        colors = n.metadata.get("color", {})
        if want.get("colors") and len(colors) != want["colors"]:
            problems.append(f"label {name}: {len(colors)} colours, want {want['colors']}")
    g = zarr.open_group(os.path.join(path, "labels"), mode="r")
    attrs = dict(g.attrs)
    listed = attrs.get("ome", attrs).get("labels")
    if listed != e.get("label_list"):
        problems.append(f"labels group lists {listed}")
    return problems
