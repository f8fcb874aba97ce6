#!/usr/bin/env bash
# The Python package's checks: builds libsegstack.so (go build
# -buildmode=c-shared ./capi), builds and installs the package with pip into
# a private folder, and runs python/tests with pytest against scipy,
# scikit-image and dask-image, then the napari plugin's tests in napari's
# venv (see below).
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

# The napari plugin's tests run in napari's own venv ($SEGSTACK_NAPARI_PYTHON,
# else /opt/napari-venv/bin/python, made by .ci/install-deps.sh), with the
# wheel installed above on PYTHONPATH: tests/test_napari.py on Qt's offscreen
# platform, then tests/test_napari_viewer.py (a real napari.Viewer, whose
# OpenGL canvas the offscreen platform cannot give) under Xvfb. Without that
# venv, or without xvfb-run for the second, they skip and say so.
npy=${SEGSTACK_NAPARI_PYTHON:-/opt/napari-venv/bin/python}
if [ -x "$npy" ] && "$npy" -c "import napari, PyQt5, pytest" 2>/dev/null; then
	echo "test-python: napari plugin tests with $npy (napari $("$npy" -c 'import napari; print(napari.__version__)')), QT_QPA_PLATFORM=offscreen"
	(cd "$work" && QT_QPA_PLATFORM=offscreen PYTHONPATH="$work/site" "$npy" -m pytest -q -p no:cacheprovider -W ignore::DeprecationWarning -W ignore::UserWarning tests/test_napari.py)
	if command -v xvfb-run >/dev/null 2>&1; then
		echo "test-python: napari.Viewer tests under Xvfb"
		(cd "$work" && QT_QPA_PLATFORM=xcb PYTHONPATH="$work/site" xvfb-run -a -s "-screen 0 1280x1024x24" \
			"$npy" -m pytest -q -p no:cacheprovider -W ignore::DeprecationWarning -W ignore::UserWarning tests/test_napari_viewer.py)
	else
		echo "test-python: SKIP: napari.Viewer tests: no xvfb-run (run .ci/install-deps.sh)"
	fi
else
	echo "test-python: SKIP: napari plugin tests: $npy has no napari with PyQt5 (run .ci/install-deps.sh)"
fi
