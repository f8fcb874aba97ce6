import os, sys, time, json, shutil, statistics
# usage: bench.py rounds label:binary:out[:extra args] ...
# Each round runs every configuration in turn, the output deleted first;
# wall around spawn..wait4, CPU from rusage, peak RSS from the report; the
# load average is printed before and after. With SYNC=1 the file system is
# synced after the deletion and before each run (outside the timing), so no
# run pays for writing back the pages its predecessor left dirty. With
# FRESH=1 every run writes a new output (OUT prefixed with the round) and
# the outputs are deleted after the last round, so that no run creates its
# files where the run before deleted its own (ext4 without a journal skips
# inodes deleted in the last minute, reading their table blocks to know).
# With FRESH=1 each output is also synced after its run and its pages
# dropped from the page cache (outside the timing), so that the outputs
# kept do not fill memory and make later runs reclaim it. KEEP=1 leaves the
# outputs in place after the last round (for sets run one after another in
# new directories, deleted once all are done).
rounds = int(sys.argv[1]); cfgs = [a.split(":") for a in sys.argv[2:]]
print("load before", open("/proc/loadavg").read().split()[:3], flush=True)
res = {c[0]: [] for c in cfgs}
for r in range(rounds):
    for c in cfgs:
        name, binary, out = c[:3]; extra = c[3].split() if len(c) > 3 and c[3] else []
        if os.environ.get("FRESH") == "1": out = f"r{r + 1}-{out}"
        for p in (out, "rep.json"):
            if os.path.isdir(p): shutil.rmtree(p)
            elif os.path.exists(p): os.remove(p)
        if os.environ.get("SYNC") == "1": os.sync()
        t = time.perf_counter()
        pid = os.spawnv(os.P_NOWAIT, binary, [binary, "segment", "b.tif", "-o", out, "-q", "--report", "rep.json"] + extra)
        _, st, ru = os.wait4(pid, 0)
        w = time.perf_counter() - t
        assert st == 0, (name, st)
        if os.environ.get("FRESH") == "1":
            os.sync()
            for root, _, files in os.walk(out) if os.path.isdir(out) else [(".", [], [out])]:
                for f in files:
                    fd = os.open(os.path.join(root, f), os.O_RDONLY)
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)
        rep = json.load(open("rep.json"))
        res[name].append((w, ru.ru_utime + ru.ru_stime, rep.get("peak_rss_bytes", 0) / 2**20, rep.get("wall_seconds", 0)))
    print("round", r + 1, " ".join(f"{c[0]}={res[c[0]][-1][0]:.3f}/{res[c[0]][-1][1]:.3f}/{res[c[0]][-1][2]:.0f}" for c in cfgs), flush=True)
base = cfgs[0][0]
for c in cfgs:
    n = c[0]; v = res[n]
    med = [statistics.median(x[i] for x in v) for i in range(4)]
    ratios = [v[i][0] / res[base][i][0] for i in range(rounds)]
    cr = [v[i][1] / res[base][i][1] for i in range(rounds)]
    print(f"{n}: wall {med[0]:.3f} report {med[3]:.3f} cpu {med[1]:.3f} rss {med[2]:.0f} (max {max(x[2] for x in v):.0f}) | wall/base median-of-medians {med[0]/statistics.median(x[0] for x in res[base]):.2f} median-of-ratios {statistics.median(ratios):.2f} cpu/base {statistics.median(cr):.2f}")
if os.environ.get("FRESH") == "1" and os.environ.get("KEEP") != "1":
    for r in range(rounds):
        for c in cfgs:
            p = f"r{r + 1}-{c[2]}"
            if os.path.isdir(p): shutil.rmtree(p)
            elif os.path.exists(p): os.remove(p)
print("load after", open("/proc/loadavg").read().split()[:3])
