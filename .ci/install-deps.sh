#!/usr/bin/env bash
# Installs the Debian packages the tests use as independent references and
# interop checks: Chromium (the dashboard's browser test), tifffile, numpy
# and scipy (fixtures and the CLI's scipy sweep), libtiff's tools (TIFF
# layouts compared with libtiff). Each test that needs one skips with a
# stated reason when it is absent; this script says what it could not
# install and never fails the build on its own.
set -u
PKGS="chromium python3-numpy python3-scipy python3-tifffile python3-skimage libtiff-tools"
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
		exit 0
	fi
fi
echo "install-deps: installed$missing"
exit 0
