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
# samples read widened (int8, float16, packed and 24-bit integers), zstd
# and LZMA, YCbCr
seed("int8-deflate-pred", rng.integers(-128, 127, (5, 7), dtype="i1"), compression="zlib", predictor=True)
seed("float16-zstd-fpred", rng.random((2, 5, 6)).astype("f2"), photometric="minisblack", compression="zstd", predictor=3)
seed("uint12-planar-rgb", rng.integers(0, 4095, (3, 5, 7), dtype="u2"), bitspersample=12, photometric="rgb", planarconfig="separate")
seed("uint24", rng.integers(0, 2**24 - 1, (4, 5), dtype="u4"), bitspersample=24)
seed("uint16-lzma-pred", rng.integers(0, 999, (4, 5), dtype="u2"), compression="lzma", predictor=True)
seed("uint5-rgb", rng.integers(0, 31, (5, 7, 3), dtype="u1"), bitspersample=5, photometric="rgb")
seed("ycbcr-1x1", rng.integers(0, 255, (5, 7, 3), dtype="u1"), photometric="ycbcr", subsampling=(1, 1))
