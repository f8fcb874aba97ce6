#!/usr/bin/env bash
# Installs the Debian packages (and, in /opt/venv, the Python packages) the
# tests use as independent references and
# interop checks: Chromium (the dashboard's browser test), tifffile, numpy
# and scipy (fixtures and the CLI's scipy sweep), libtiff's tools (TIFF
# layouts compared with libtiff). Each test that needs one skips with a
# stated reason when it is absent; this script says what it could not
# install and never fails the build on its own.
set -u

# The current releases users run (zarr-python 3, ome-zarr, tifffile,
# scikit-image, imageio) come from the Python package index, into a venv
# at /opt/venv that the interop tests look for (they skip, saying so,
# without it).
VENV=/opt/venv
# xmlschema validates OME-XML against the OME 2016-06 schema that
# ome-types ships (ome_types/ome-2016-06.xsd); pytest, dask and dask-image
# run the Python package's tests (scripts/test-python.sh).
VENV_PKGS="numpy scipy scikit-image tifffile imagecodecs zarr ome-zarr imageio xmlschema ome-types pytest dask distributed dask-image"
install_venv() {
	if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import zarr, ome_zarr, tifffile, skimage, imageio, xmlschema, ome_types, pytest, dask, distributed, dask_image" 2>/dev/null; then
		echo "install-deps: $VENV present ($("$VENV/bin/python" -c 'import zarr, tifffile; print("zarr", zarr.__version__, "tifffile", tifffile.__version__)'))"
		return
	fi
	local py
	for py in python3 /usr/bin/python3; do
		if "$py" -m venv "$VENV" >/tmp/install-venv.log 2>&1; then
			break
		fi
	done
	if [ ! -x "$VENV/bin/python" ]; then
		echo "install-deps: could not create $VENV (see /tmp/install-venv.log); the interop tests that need it will skip"
		return
	fi
	if "$VENV/bin/pip" install -q $VENV_PKGS >>/tmp/install-venv.log 2>&1; then
		echo "install-deps: $VENV with $VENV_PKGS"
	else
		echo "install-deps: pip could not install $VENV_PKGS (see /tmp/install-venv.log); the interop tests that need them will skip"
		tail -n 5 /tmp/install-venv.log | sed 's/^/install-deps:   /'
	fi
}

# The napari plugin's tests (scripts/test-python.sh): napari with PyQt5 in a
# venv of its own at /opt/napari-venv (napari pins its own versions of
# numpy, pydantic, Qt bindings..., kept apart from /opt/venv's), and the
# shared libraries Qt loads headless: its offscreen platform (GL, EGL,
# xkbcommon, fontconfig, freetype, glib, D-Bus) and, for the test that opens
# a real napari.Viewer (an OpenGL canvas, which the offscreen platform does
# not give), Xvfb with Mesa's software GL and the xcb platform's libraries.
# Without them those tests skip, saying so.
NAPARI_VENV=/opt/napari-venv
NAPARI_PKGS="napari[pyqt5] pytest scipy tifffile zarr"
NAPARI_DEBS="python3-venv libgl1 libegl1 libgl1-mesa-dri libglx-mesa0 libxkbcommon0 libxkbcommon-x11-0 libdbus-1-3 libfontconfig1 libfreetype6 libglib2.0-0 libx11-xcb1 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-xinerama0 libxcb-xfixes0 libxcb-shape0 libxcb-cursor0 libxrender1 libxi6 xvfb xauth"
install_napari() {
	local miss="" p sudo=""
	for p in $NAPARI_DEBS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || miss="$miss $p"
	done
	if [ -n "$miss" ] && command -v apt-get >/dev/null 2>&1; then
		[ "$(id -u)" -eq 0 ] || sudo="sudo -n"
		export DEBIAN_FRONTEND=noninteractive
		if ! $sudo apt-get install -y -q $miss >/tmp/install-napari-debs.log 2>&1; then
			$sudo apt-get update -q >>/tmp/install-napari-debs.log 2>&1 || true
			$sudo apt-get install -y -q $miss >>/tmp/install-napari-debs.log 2>&1 ||
				echo "install-deps: could not install$miss (see /tmp/install-napari-debs.log); napari's tests may skip"
		fi
	fi
	if [ -x "$NAPARI_VENV/bin/python" ] && "$NAPARI_VENV/bin/python" -c "import napari, PyQt5, pytest, scipy, tifffile, zarr" 2>/dev/null; then
		echo "install-deps: $NAPARI_VENV present (napari $("$NAPARI_VENV/bin/python" -c 'import napari; print(napari.__version__)'))"
		return
	fi
	if ! python3 -m venv "$NAPARI_VENV" >/tmp/install-napari.log 2>&1; then
		echo "install-deps: could not create $NAPARI_VENV (see /tmp/install-napari.log); the napari plugin's tests will skip"
		return
	fi
	if "$NAPARI_VENV/bin/pip" install -q $NAPARI_PKGS >>/tmp/install-napari.log 2>&1; then
		echo "install-deps: $NAPARI_VENV with $NAPARI_PKGS"
	else
		echo "install-deps: pip could not install $NAPARI_PKGS (see /tmp/install-napari.log); the napari plugin's tests will skip"
		tail -n 5 /tmp/install-napari.log | sed 's/^/install-deps:   /'
	fi
}
install_napari

# g++ builds the emulated CUDA driver the -tags cuda tests run on; clang-19
# compiles kernels/cuda/src/*.cu to the committed PTX, which a test compares.
PKGS="gcc g++ clang-19 chromium python3-numpy python3-scipy python3-tifffile python3-skimage python3-zarr python3-numcodecs python3-venv libtiff-tools"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo -n"
	else
		echo "install-deps: not root and no sudo; tests needing $PKGS will skip"
		exit 0
	fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-deps: apt-get not available; tests needing $PKGS will skip"
	exit 0
fi
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all present ($PKGS)"
	install_venv
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive
log=/tmp/install-deps.log
if ! $SUDO apt-get install -y -q $missing >"$log" 2>&1; then
	# The package lists may be stale; refresh them once and retry.
	$SUDO apt-get update -q >>"$log" 2>&1 || true
	if ! $SUDO apt-get install -y -q $missing >>"$log" 2>&1; then
		echo "install-deps: could not install$missing (see $log); the tests that need them will skip"
		tail -n 5 "$log" | sed 's/^/install-deps:   /'
		install_venv
		exit 0
	fi
fi
echo "install-deps: installed$missing"
install_venv
exit 0
