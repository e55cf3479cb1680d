#!/bin/sh
# SPDX-License-Identifier: MIT
# Source checks: every C file follows .clang-format, and no banned call is used
# (style.md: sprintf, strcpy, strcat, strncpy, strtok, atoi, atol, gets, system).
# Exit 0 pass, 1 fail, 77 skip (clang-format missing).
set -u
src=${1:?usage: lint.sh SOURCE_ROOT}
cd "$src" || exit 1
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find core fcgi-app transports emulator test -name '*.[ch]')
rc=0
banned='(^|[^_a-zA-Z0-9])(v?sprintf|strcpy|strcat|strncpy|strtok|atoi|atol|gets|system)[[:space:]]*\('
if grep -nE "$banned" $files; then
	echo "lint: banned function calls above (use snprintf, strbuf, strtol with checks)"
	rc=1
fi
if ! command -v clang-format >/dev/null 2>&1; then
	echo "SKIP: clang-format not installed; banned-call check ${rc:+done}"
	[ $rc -ne 0 ] && exit $rc
	exit 77
fi
if ! clang-format --dry-run -Werror $files; then
	echo "lint: files above differ from .clang-format (run clang-format -i on them)"
	rc=1
fi
exit $rc
