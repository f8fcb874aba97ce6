"""Summarises the python group's runs 2026-12-06-python-2-run*.json (bench/compare --python-only):
per case and implementation, the median over the runs of each run's median time and of each run's
paired ratio (anchor ÷ segstack). Prints Markdown tables.

    python3 bench/results/2026-12-06-python-2-summary.py bench/results/2026-12-06-python-2-run*.json
"""

import json
import statistics
import sys


def fmt(s):
    return f"{s * 1e6:.1f} µs" if s < 1e-3 else f"{s * 1e3:.2f} ms" if s < 1 else f"{s:.2f} s"


runs = [json.load(open(p)) for p in sys.argv[1:]]
for part, title in (("overhead", "Call overhead, 4×4 arrays, one core"),
                    ("numpy", "numpy API, one 2048×2048 float32 plane, one core"),
                    ("tutorial", "The tutorial, 16×512×512 in 1×256×256 chunks, one LocalCluster (2 threads)")):
    rows = {}
    for i, r in enumerate(runs):
        for row in r["python"].get(part) or []:
            rows.setdefault((row["case"], row["impl"]), {})[i] = row
    if not rows:
        continue
    print(f"\n### {title}\n")
    head = " | ".join(f"run {i + 1}" for i in range(len(runs)))
    print(f"| case | implementation | median time | anchor ÷ segstack (median) | ratio per run: {head} |")
    print("|---|---|---|---|" + "---|" * len(runs))
    for (case, impl), per in rows.items():
        t = [p["median_s"] for p in per.values() if p.get("median_s")]
        q = [p.get("ratio_vs_segstack", 0) for p in per.values()]
        qr = [x for x in q if x]
        cells = " | ".join(f"{per[i]['ratio_vs_segstack']:.2f}×" if i in per and per[i].get("ratio_vs_segstack")
                           else ("—" if i in per else "not run") for i in range(len(runs)))
        ratio = f"{statistics.median(qr):.2f}×" if qr else ""
        print(f"| {case} | {impl} | {fmt(statistics.median(t)) if t else 'not timed'} | {ratio} | {cells} |")
print()
for i, r in enumerate(runs):
    m = r["machine"]
    tg = [t for t in r["targets"] if "overhead" in t["name"]]
    line = f"- run {i + 1}: {r['date']}, load average {m['load_avg_start']:.2f} at the start, {m['load_avg_end']:.2f} at the end"
    if tg:
        line += f"; slowest tiny call {tg[0]['got']:.1f} µs (target {tg[0]['status']})"
    print(line)
