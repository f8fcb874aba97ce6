#!/usr/bin/env bash
# Installs Chromium for sched's headless dashboard test
# (TestDashboardInBrowser), which skips itself when /usr/bin/chromium is
# absent. Never fails the build: it says clearly when it cannot install.
set -u
if [ -x /usr/bin/chromium ]; then
	echo "install-chromium: /usr/bin/chromium already present ($(/usr/bin/chromium --version 2>/dev/null || echo 'version unknown'))"
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-chromium: apt-get not available; the dashboard browser test will be skipped"
	exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo -n"
	else
		echo "install-chromium: not root and no sudo; the dashboard browser test will be skipped"
		exit 0
	fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y chromium >/tmp/install-chromium.log 2>&1; then
	# The package lists may be stale; refresh them once and retry.
	$SUDO apt-get update >>/tmp/install-chromium.log 2>&1 || true
	if ! $SUDO apt-get install -y chromium >>/tmp/install-chromium.log 2>&1; then
		echo "install-chromium: could not install chromium (see /tmp/install-chromium.log); the dashboard browser test will be skipped"
		tail -n 5 /tmp/install-chromium.log | sed 's/^/install-chromium:   /'
		exit 0
	fi
fi
if [ -x /usr/bin/chromium ]; then
	echo "install-chromium: installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
else
	echo "install-chromium: apt-get succeeded but /usr/bin/chromium is missing; the dashboard browser test will be skipped"
fi
exit 0
