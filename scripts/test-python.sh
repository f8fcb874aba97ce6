#!/usr/bin/env bash
# The Python package's checks: builds libsegstack.so (go build
# -buildmode=c-shared ./capi), builds and installs the package with pip into
# a private folder, and runs python/tests with pytest against scipy,
# scikit-image and dask-image.
#
# The interpreter is $SEGSTACK_PYTHON, else /opt/venv/bin/python (made by
# .ci/install-deps.sh), else python3; pytest, dask and dask-image are
# installed into it from the package index when missing. Exit status 0 with
# a "test-python: SKIP: ..." line when no usable Python or no cgo compiler
# is present.
set -euo pipefail
cd "$(dirname "$0")/.."

skip() {
	echo "test-python: SKIP: $*"
	exit 0
}

py=${SEGSTACK_PYTHON:-}
if [ -z "$py" ]; then
	if [ -x /opt/venv/bin/python ]; then py=/opt/venv/bin/python; else py=$(command -v python3 || true); fi
fi
[ -n "$py" ] || skip "no python3"
"$py" -c "import numpy, scipy, skimage" 2>/dev/null || skip "$py lacks numpy, scipy or scikit-image (run .ci/install-deps.sh)"
command -v gcc >/dev/null 2>&1 || command -v cc >/dev/null 2>&1 || skip "no C compiler for cgo"

if ! "$py" -c "import pytest, dask.array, dask_image, tifffile, distributed" 2>/dev/null; then
	echo "test-python: installing pytest dask dask-image tifffile distributed into $py"
	"$py" -m pip install -q pytest "dask[array]" distributed dask-image tifffile || skip "pip could not install the test dependencies"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "test-python: go build -buildmode=c-shared ./capi"
CGO_ENABLED=1 go build -buildmode=c-shared -o "$work/libsegstack.so" ./capi

echo "test-python: pip wheel ./python, then install it into $work/site"
SEGSTACK_PREBUILT_LIB="$work/libsegstack.so" "$py" -m pip wheel -q --no-deps -w "$work/dist" ./python
# python/build is setuptools' scratch folder; the wheel is what counts.
rm -rf python/build python/segstack.egg-info
"$py" -m pip install -q --no-deps --target "$work/site" "$work"/dist/segstack-*.whl

echo "test-python: pytest python/tests"
# Run from the temporary folder so that the installed package, not the
# source tree, is imported.
cp -r python/tests "$work/tests"
(cd "$work" && PYTHONPATH="$work/site" "$py" -c "import segstack; print('test-python: segstack', segstack.__version__, segstack.info()['simd'], 'cuda' if segstack.info()['cuda'] else 'no cuda', 'from', segstack.__file__)")
(cd "$work" && PYTHONPATH="$work/site" "$py" -m pytest -q -p no:cacheprovider tests)

# The napari plugin's tests need napari and Qt, which take longer to install
# than this script's budget allows on every run: SEGSTACK_TEST_NAPARI=1 puts
# them into a private venv (about 40 s from the package index) and runs
# tests/test_napari.py there, headless. In $py they run only when napari is
# already installed there, and skip saying so otherwise.
if [ "${SEGSTACK_TEST_NAPARI:-0}" = 1 ]; then
	echo "test-python: napari plugin tests in a private venv"
	"$py" -m venv "$work/napari-venv"
	"$work/napari-venv/bin/pip" install -q "napari[pyqt5]" scipy pytest tifffile zarr "$work"/dist/segstack-*.whl
	(cd "$work" && QT_QPA_PLATFORM=offscreen "$work/napari-venv/bin/python" -m pytest -q -p no:cacheprovider tests/test_napari.py)
fi
