#!/opt/venv/bin/python
"""Reference for `segstack segment --split watershed`: the same steps done with
scipy.ndimage and scikit-image, per plane (2d) or over the volume (3d):

    smoothed = gaussian_filter(raw as float32, sigma)           # reflect, truncate 4
    mask     = smoothed > frac * max(smoothed)                  # per plane in 2d
    mask     = binary_fill_holes(mask)                          # --fill-holes
    seeds    = peak_local_max(S, min_distance=D, labels=label(mask),
                              exclude_border=False)
               # S = smoothed (--seeds intensity) or
               #     distance_transform_edt(mask) as float32 (--seeds distance)
    markers  = 1..n at the seeds, in peak_local_max's order
    labels   = watershed(-S, markers, mask=mask, connectivity=c)
               # c: --conn as scipy's rank (4, 6: 1; 8, 18: 2; 26: 3), also the
               # structure of label(mask)
    labels   = objects of min_size..max_size voxels, renumbered 1..n in raster
               order of each object's first voxel
    objects  = regionprops_table(labels, raw, label, area, bbox, centroid,
                                 intensity_mean/max/min)

Three subcommands:

    split_reference.py run --in IN.tif --out LABELS.tif [--stats objects.csv]
        [--mode 2d|3d] [--sigma 1] [--frac 0.33] [--seeds intensity|distance]
        [--conn 4] [--min-distance 3] [--fill-holes] [--min-size 20]
        [--max-size 0] [--unique] [--dtype auto|uint16|uint32]
      segments IN.tif and prints one JSON object: the seconds from just after
      the imports to the output's close, and the peak RSS. It is the anchor of
      the end-to-end benchmark (bench/compare, pipeline "split") and made the
      test fixtures in segment/testdata (make_split_fixtures.sh).

    split_reference.py explore --stack D.tif --truth T.tif [--stack ... --truth ...]
        [--min-size 20]
      runs a grid of seeds x min_distance x sigma on stacks with known ground
      truth (segstack gen --density D --truth T.tif --truth-level L) and prints
      a markdown table: objects found per true object (count ratio), and the
      fraction of true objects matched one to one (IoU > 0.5). This is how the
      defaults of --split watershed were chosen (README, "Splitting touching
      nuclei").

Needs numpy, scipy, scikit-image (0.26 was used) and tifffile; /opt/venv's
python has them.
"""

import argparse
import json
import sys
import time

T_START = time.perf_counter()

import numpy as np  # noqa: E402
import tifffile  # noqa: E402
from scipy import ndimage as ndi  # noqa: E402
from skimage.feature import peak_local_max  # noqa: E402
from skimage.measure import regionprops_table  # noqa: E402
from skimage.segmentation import watershed  # noqa: E402


def peak_rss_mib():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def raster_relabel(labels, min_size, max_size):
    """Drops objects outside min_size..max_size (max_size 0: no upper bound)
    and renumbers the rest 1..n in raster order of their first voxel."""
    flat = labels.ravel()
    ids, first, sizes = np.unique(flat, return_index=True, return_counts=True)
    keep = ids != 0
    keep &= sizes >= min_size
    if max_size > 0:
        keep &= sizes <= max_size
    ids, first = ids[keep], first[keep]
    order = np.argsort(first, kind="stable")
    lut = np.zeros(int(flat.max()) + 1 if flat.size else 1, dtype=np.uint32)
    lut[ids[order]] = np.arange(1, len(ids) + 1, dtype=np.uint32)
    return lut[labels], len(ids)


def split(raw, sigma, frac, seeds, min_distance, fill_holes, min_size, max_size, conn=1):
    """Segments one plane (2-D raw) or one volume (3-D raw); returns labels
    numbered 1..n in raster order and n. conn is scipy's connectivity rank
    (1: 4 or 6 neighbours, 2: 8 or 18, 3: 26) of the labelling and the
    flood."""
    sm = ndi.gaussian_filter(raw.astype(np.float32), sigma=sigma, mode="reflect",
                             truncate=4.0, output=np.float32)
    mask = sm > frac * float(sm.max())
    if fill_holes:
        mask = ndi.binary_fill_holes(mask)
    if seeds == "distance":
        surface = ndi.distance_transform_edt(mask).astype(np.float32)
    else:
        surface = sm
    comps, _ = ndi.label(mask, structure=ndi.generate_binary_structure(raw.ndim, conn))
    peaks = peak_local_max(surface, min_distance=min_distance, labels=comps,
                           exclude_border=False)
    markers = np.zeros(raw.shape, dtype=np.int32)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1, dtype=np.int32)
    ws = watershed(-surface, markers, mask=mask, connectivity=conn)
    return raster_relabel(ws, min_size, max_size)


def segment(vol, mode, sigma, frac, seeds, min_distance, fill_holes, min_size, max_size, unique, conn=1):
    if mode == "3d":
        lab, n = split(vol, sigma, frac, seeds, min_distance, fill_holes, min_size, max_size, conn)
        return lab, [n]
    out = np.zeros(vol.shape, dtype=np.uint32)
    counts = []
    offset = 0
    for z in range(vol.shape[0]):
        lab, n = split(vol[z], sigma, frac, seeds, min_distance, fill_holes, min_size, max_size, conn)
        if unique:
            lab[lab > 0] += offset
            offset += n
        out[z] = lab
        counts.append(n)
    return out, counts


# segstack's --connectivity as scipy's connectivity rank.
CONN = {4: 1, 8: 2, 6: 1, 18: 2, 26: 3}

PROPS = ("label", "area", "bbox", "centroid", "intensity_mean", "intensity_max", "intensity_min")


def write_stats(path, vol, labels, mode):
    import csv
    rows, header = [], None
    planes = [None] if mode == "3d" else range(vol.shape[0])
    for z in planes:
        lab = labels if z is None else labels[z]
        img = vol if z is None else vol[z]
        t = regionprops_table(lab, intensity_image=img, properties=PROPS)
        if header is None:
            header = list(t.keys()) + ([] if z is None else ["plane"])
        for i in range(len(t["label"])):
            row = [t[k][i] for k in t.keys()]
            if z is not None:
                row.append(z)
            rows.append(row)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def cmd_run(a):
    vol = tifffile.imread(a.inp)
    if vol.ndim == 2:
        vol = vol[None]
    sigma = [float(s) for s in a.sigma.split(",")]
    if a.mode == "2d":
        sigma = sigma[-2:] if len(sigma) > 1 else sigma[0]
    else:
        sigma = sigma if len(sigma) == 3 else sigma[0]
    labels, counts = segment(vol, a.mode, sigma, a.frac, a.seeds, a.min_distance, a.fill_holes,
                             a.min_size, a.max_size, a.unique, CONN[a.conn])
    if a.dtype == "uint16" or (a.dtype == "auto" and labels.max() <= 65535):
        labels = labels.astype(np.uint16)
    tifffile.imwrite(a.out, labels)
    if a.stats:
        write_stats(a.stats, vol, labels, a.mode)
    json.dump({"seconds": time.perf_counter() - T_START, "objects": int(sum(counts)),
               "peak_rss_mib": peak_rss_mib()}, sys.stdout)
    print()


def matched(truth, found):
    """True objects matched one to one by a found object with IoU > 0.5 (two
    objects with IoU > 0.5 match each other and nothing else)."""
    t, f = truth.ravel().astype(np.int64), found.ravel().astype(np.int64)
    both = (t > 0) & (f > 0)
    pairs, inter = np.unique(t[both] * (int(f.max()) + 1) + f[both], return_counts=True)
    ts, fs = pairs // (int(f.max()) + 1), pairs % (int(f.max()) + 1)
    ta = np.bincount(t, minlength=int(t.max()) + 1)
    fa = np.bincount(f, minlength=int(f.max()) + 1)
    iou = inter / (ta[ts] + fa[fs] - inter)
    return int(np.count_nonzero(iou > 0.5))


def cmd_explore(a):
    stacks = [(tifffile.imread(s), tifffile.imread(t), s) for s, t in zip(a.stack, a.truth)]
    grid = []
    for sigma in a.sigmas:
        for seeds in ("intensity", "distance"):
            for d in a.min_distances:
                grid.append((sigma, seeds, d))
    print("| stack | true | plain labelling | " + " | ".join(
        f"σ {s:g}, {seeds} D={d}" for s, seeds, d in grid) + " |")
    print("|---" * (3 + len(grid)) + "|")
    for vol, truth, name in stacks:
        # The true objects of each plane: the sections of at least min_size
        # pixels, each plane renumbered alone.
        ntrue = 0
        truth2 = np.zeros(truth.shape, dtype=np.uint32)
        for z in range(truth.shape[0]):
            truth2[z], n = raster_relabel(truth[z], a.min_size, 0)
            ntrue += n
        cells = []
        plain = 0
        for z in range(vol.shape[0]):
            sm = ndi.gaussian_filter(vol[z].astype(np.float32), 1.0, mode="reflect", output=np.float32)
            lab, n = ndi.label(sm > 0.33 * float(sm.max()))
            plain += raster_relabel(lab, a.min_size, 0)[1]
        for sigma, seeds, d in grid:
            found, match = 0, 0
            for z in range(vol.shape[0]):
                lab, n = split(vol[z], sigma, 0.33, seeds, d, True, a.min_size, 0)
                found += n
                match += matched(truth2[z], lab)
            cells.append(f"{found / ntrue:.3f} / {match / ntrue:.2f}")
        print(f"| {name} | {ntrue} | {plain / ntrue:.3f} | " + " | ".join(cells) + " |", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--in", dest="inp", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--stats")
    r.add_argument("--mode", choices=("2d", "3d"), default="2d")
    r.add_argument("--sigma", default="1")
    r.add_argument("--frac", type=float, default=0.33)
    r.add_argument("--seeds", choices=("intensity", "distance"), default="intensity")
    r.add_argument("--conn", type=int, choices=sorted(CONN), default=4,
                   help="segstack's connectivity: 4 or 8 (2d), 6, 18 or 26 (3d)")
    r.add_argument("--min-distance", type=int, default=3)
    r.add_argument("--fill-holes", action="store_true")
    r.add_argument("--min-size", type=int, default=20)
    r.add_argument("--max-size", type=int, default=0)
    r.add_argument("--unique", action="store_true", help="number objects uniquely across planes (2d)")
    r.add_argument("--dtype", choices=("auto", "uint16", "uint32"), default="auto",
                   help="labels type: auto (uint16 when every label fits) or as named")
    e = sub.add_parser("explore")
    e.add_argument("--stack", action="append", required=True)
    e.add_argument("--truth", action="append", required=True)
    e.add_argument("--min-size", type=int, default=20)
    e.add_argument("--sigmas", type=float, nargs="+", default=[1.0, 2.0])
    e.add_argument("--min-distances", type=int, nargs="+", default=[2, 3, 5, 7, 10])
    a = p.parse_args()
    if a.cmd == "run":
        cmd_run(a)
    else:
        cmd_explore(a)


if __name__ == "__main__":
    main()
