# Creates, five times in the directory given, the 384 entries that the two
# arrays (image and labels) of a 64-plane OME-Zarr of one-plane chunks
# hold: 128 chunk directories, one below each, 128 chunk files; and prints
# the CPU time of each: on ext4 without a journal it grows with the inodes
# recently deleted nearby.
# usage: python3 2026-12-06-ome-zarr-vs-tiff-4-inodes.py DIR
import os, time, shutil, sys
base = sys.argv[1]
def make(d, n):
    os.mkdir(d)
    for z in range(n):
        os.mkdir(f"{d}/{z}"); os.mkdir(f"{d}/{z}/0")
        open(f"{d}/{z}/0/0","wb").close()
res = []
for r in range(5):
    d = os.path.join(base, "ino%d" % r)
    t = time.process_time()
    make(d, 128)
    res.append((time.process_time() - t) * 1e3)
for r in range(5):
    shutil.rmtree(os.path.join(base, "ino%d" % r))
print(base, "384 inodes: cpu ms", " ".join("%.1f" % x for x in res))
