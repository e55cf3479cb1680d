#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Run the whole test suite on a Debian 12 machine: install what is missing,
# build, run every meson test suite, then again in an ASan+UBSan build and in
# a build with every optional transport disabled.
#   test/run-tests.sh  (from anywhere; builds into build-test/, build-asan/, build-min/)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# shellcheck source=../etc/packages.sh
. "$root/etc/packages.sh"
dcre_install --recommends build test

run_suite() { # build-dir, meson setup options... [-- meson test options...]
	local dir=$1 setup=() opts=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do setup+=("$1"); shift; done
	[ $# -gt 0 ] && shift && opts=("$@")
	if [ ! -d "$dir" ]; then
		meson setup "$dir" "${setup[@]}"
	else
		meson configure "$dir" "${setup[@]}" >/dev/null
	fi
	ninja -C "$dir"
	meson test -C "$dir" --print-errorlogs --num-processes 2 "${opts[@]}"
}

echo "=== build and test (gcc, -Werror)"
run_suite build-test -Dwerror=true

echo "=== build and test (ASan + UBSan)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# the fuzz harnesses are ASan+UBSan builds of their own: they ran in the first pass
run_suite build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false \
	-Dbuildtype=debug -Dfuzz=disabled

echo "=== build and test (every optional transport disabled)"
unset ASAN_OPTIONS UBSAN_OPTIONS
# what differs is the transports left out: the PLC-only hostile-bus test ran twice already
run_suite build-min -Dwerror=true -Dipmi=disabled -Dredfish=disabled -Dgpio=disabled \
	-Dfuzz=disabled -- --no-suite hostile

echo "=== all test suites passed"
