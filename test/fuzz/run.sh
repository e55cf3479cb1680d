#!/bin/sh
# SPDX-License-Identifier: MIT
# Run libFuzzer harnesses over their seed corpora (test/fuzz/meson.build).
#   run.sh --runs N ARTIFACTS HARNESS CORPUS DICT [HARNESS CORPUS DICT ...]
#   run.sh --time SECONDS ARTIFACTS HARNESS CORPUS DICT [...]
# --runs: a regression test, N mutations after the seeds, fixed seed.
# --time: a fuzzing session of SECONDS per harness (FUZZ_SECONDS overrides).
# New inputs go to a temporary directory, never into the seed corpus; a crash
# leaves its input in ARTIFACTS. DICT is a libFuzzer dictionary or "-".
# Exit 0 pass, 1 a harness failed, 77 skip (FUZZ_SKIP names the reason).
set -u
if [ -n "${FUZZ_SKIP:-}" ]; then
	echo "SKIP: $FUZZ_SKIP"
	exit 77
fi
mode=${1:?usage: run.sh --runs N|--time S ARTIFACTS HARNESS CORPUS DICT ...}
value=${2:?missing N or SECONDS}
artifacts=${3:?missing ARTIFACTS}
shift 3
case $mode in
--runs) limit="-runs=$value -seed=1" ;;
--time) limit="-max_total_time=${FUZZ_SECONDS:-$value}" ;;
*) echo "run.sh: unknown mode $mode" >&2; exit 2 ;;
esac
mkdir -p "$artifacts" || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/dcre-fuzz-corpus.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM
rc=0
while [ $# -ge 3 ]; do
	harness=$1 corpus=$2 dict=$3
	shift 3
	name=$(basename "$harness")
	mkdir -p "$work/$name"
	extra=""
	[ "$dict" != "-" ] && extra="-dict=$dict"
	start=$(date +%s)
	# shellcheck disable=SC2086
	"$harness" $limit $extra -timeout=20 -error_exitcode=1 -timeout_exitcode=1 \
		-rss_limit_mb=2048 -max_len=20000 -print_final_stats=1 \
		-artifact_prefix="$artifacts/$name-" \
		"$work/$name" "$corpus" >"$work/$name.log" 2>&1
	status=$?
	end=$(date +%s)
	grep -a -E '^(#[0-9]+.*(INITED|DONE)|stat::number_of_executed_units|stat::peak_rss_mb)' \
		"$work/$name.log"
	if [ $status -ne 0 ]; then
		echo "FAIL: $name exited $status after $((end - start)) s; its log:"
		tail -n 60 "$work/$name.log"
		ls "$artifacts"/"$name"-* 2>/dev/null | sed 's/^/crash input: /'
		rc=1
	else
		echo "ok: $name ($((end - start)) s)"
	fi
done
exit $rc
