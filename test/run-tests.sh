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

echo "=== build and test (every optional transport disabled)"
unset ASAN_OPTIONS UBSAN_OPTIONS
run_suite build-min -Dwerror=true -Dipmi=disabled -Dredfish=disabled -Dgpio=disabled

echo "=== all test suites passed"
