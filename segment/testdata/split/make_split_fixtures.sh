#!/bin/sh
# Makes the fixtures of segment's split tests (split_test.go) with the
# scipy + scikit-image reference, bench/anchors/split_reference.py, run by
# /opt/venv/bin/python (scikit-image 0.26, scipy 1.17). input.tif is
#
#     segstack gen input.tif --shape 3,128,128 --seed 11 --density 0.45
#
# (the test checks that synth still makes it).
set -eu
cd "$(dirname "$0")"
ref=../../../bench/anchors/split_reference.py
py=${PYTHON:-/opt/venv/bin/python}
go run ../../../cmd/segstack gen input.tif --shape 3,128,128 --seed 11 --density 0.45 --force
# 2d, defaults, unique numbering, with regionprops_table statistics.
$py $ref run --in input.tif --out 2d_intensity.tif --stats 2d_intensity.csv --unique
# 2d, distance seeds, holes filled, 8-connectivity, a size window.
$py $ref run --in input.tif --out 2d_distance.tif --seeds distance --fill-holes --conn 8 \
    --min-distance 2 --min-size 30 --max-size 600 --unique
# 3d, intensity seeds, 26-connectivity, statistics.
$py $ref run --in input.tif --out 3d_intensity.tif --stats 3d_intensity.csv --mode 3d --conn 26 \
    --min-distance 4
