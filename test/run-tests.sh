#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Run the whole test suite on a Debian 12 machine: install what is missing,
# build, run every meson test suite, then again in an ASan+UBSan build.
#   test/run-tests.sh            (from anywhere; builds into build-test/ and build-asan/)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

pkgs=(meson ninja-build pkg-config gcc libc6-dev python3
      libfcgi-dev libcjson-dev libfreeipmi-dev libcurl4-openssl-dev libgpiod-dev
      nginx-light spawn-fcgi clang-format
      openipmi ipmitool freeipmi-tools
      openssl curl apache2 lighttpd slapd systemd)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "run-tests: installing ${missing[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -q
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

run_suite() { # build-dir, meson setup options...
	local dir=$1
	shift
	if [ ! -d "$dir" ]; then
		meson setup "$dir" "$@"
	else
		meson configure "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir"
	meson test -C "$dir" --print-errorlogs --num-processes 2
}

echo "=== build and test (gcc, -Werror)"
run_suite build-test -Dwerror=true

echo "=== build and test (ASan + UBSan)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_suite build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false \
	-Dbuildtype=debug

echo "=== all test suites passed"
