"""Write multi-sample, float64, bilevel and palette seeds into the fuzz corpus: python make_fuzz_seeds.py testdata/fuzz"""
import sys, numpy, tifffile
rng = numpy.random.default_rng(3)
out = sys.argv[1]
def seed(name, arr, **kw):
    import io
    b = io.BytesIO()
    tifffile.imwrite(b, arr, **kw)
    data = b.getvalue()
    for target, extra in (("FuzzOpen", ""), ("FuzzReadPlane", "\nbyte('\\x01')")):
        with open(f"{out}/{target}/{name}", "w") as f:
            f.write("go test fuzz v1\n[]byte(" + repr_go(data) + ")" + extra + "\n")
def repr_go(data):
    s = '"'
    for c in data:
        s += "\\x%02x" % c
    return s + '"'
seed("rgb-contig-lzw-pred", rng.integers(0, 255, (6, 5, 3), dtype="u1"), photometric="rgb", compression="lzw", predictor=True)
seed("planar-tiled-u16-deflate", rng.integers(0, 9999, (2, 20, 18), dtype="u2"), photometric="minisblack", planarconfig="separate", tile=(16, 16), compression="zlib")
seed("rgba-f32-fpred", rng.random((4, 3, 4), dtype="f4"), photometric="rgb", extrasamples=["unassalpha"], compression="zlib", predictor=3)
seed("float64-lzw-fpred", rng.random((5, 6)), compression="lzw", predictor=3)
seed("bilevel-miniswhite-packbits", rng.random((9, 13)) > 0.5, photometric="miniswhite", compression="packbits")
seed("palette-u8", rng.integers(0, 255, (4, 5), dtype="u1"), photometric="palette", colormap=rng.integers(0, 65535, (3, 256), dtype="u2"))
seed("grey4bit", rng.integers(0, 15, (5, 7), dtype="u1"), bitspersample=4, photometric="minisblack")
