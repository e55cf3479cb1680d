#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's run command on a clean machine, as a user types it: start `etc/run-demo.sh`
# in its own process group, wait for it, make the README's requests through nginx, press
# Ctrl-C (SIGINT to the process group), then require exit status 0, nothing left running
# and no run directory left behind. Run from the repository root, as root (it installs
# curl, the `check` group of etc/packages.sh). .ci/run runs it in a fresh Debian 12 root.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. etc/packages.sh
dcre_install check >/dev/null || { echo "demo-check: cannot install curl"; exit 1; }

out=$(mktemp) err=$(mktemp)
fail() {
	echo "demo-check: FAIL: $*"
	echo "--- run-demo stdout"; cat "$out"; echo "--- run-demo stderr"; tail -n 40 "$err"
	[ -z "${pid:-}" ] || kill -KILL -- "-$pid" 2>/dev/null
	exit 1
}
set -m # the demo gets its own process group, as a shell's foreground job does
etc/run-demo.sh >"$out" 2>"$err" &
pid=$!
set +m
start=$SECONDS
until grep -q '^Ctrl-C stops everything' "$out"; do
	kill -0 "$pid" 2>/dev/null || fail "run-demo exited before it was ready"
	((SECONDS - start < 1200)) || fail "not ready within 20 minutes"
	sleep 1
done
echo "demo-check: ready after $((SECONDS - start)) s"
run=$(sed -n 's/^  run dir:  \([^ ]*\).*/\1/p' "$out")
[ -d "$run" ] || fail "no run directory in the banner"

B=http://127.0.0.1:5000/opendcre
get() { # get PATH PATTERN: a 200 whose body matches PATTERN
	local body code
	body=$(curl -sS -w '\n%{http_code}' "$B$1") || fail "curl $1"
	code=${body##*$'\n'}
	body=${body%$'\n'*}
	[ "$code" = 200 ] || fail "$1: status $code: $body"
	grep -Eq "$2" <<<"$body" || fail "$1: body lacks /$2/: $body"
	echo "demo-check: $1: 200"
	REPLY=$body
}
get /1.3/test '"status": "ok"'
get /1.3/scan '"rack_id": "'
rack=$(sed -n 's/.*"rack_id": "\([^"]*\)".*/\1/p' <<<"$REPLY" | head -n 1)
scan1=$REPLY
[ -f "$run/scan-cache.json" ] || fail "the first /scan wrote no scan cache"
get /1.3/scan '"boards"'
[ "$REPLY" = "$scan1" ] || fail "the cached /scan differs from the first"
get "/1.3/scan/$rack" "\"rack_id\": \"$rack\""
get "/1.3/read/thermistor/$rack/00000001/01ff" '"temperature_c": [0-9.-]+'
get "/1.2/power/00000001/0003" '"power_status": "(on|off)"'
get "/1.3/led/$rack/00000001/0002/on" '"led_state": "on"'
get "/1.3/led/$rack/00000001/0002" '"led_state": "on"'

kill -INT -- "-$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 0 ] || fail "exit status $rc after Ctrl-C, want 0"
grep -q 'run-demo: stopped' "$err" || fail "no 'stopped' line"
grep -q 'unexpectedly' "$err" && fail "a child was reported as dying on its own"
[ ! -e "$run" ] || fail "run directory $run left behind"
left=""
for f in /proc/[0-9]*/cmdline; do # in bash itself: a grep would find its own arguments
	mapfile -d '' args 2>/dev/null <"$f" || continue
	[[ "${args[*]}" == *"$run"* ]] && left+=" ${f%/cmdline}: ${args[*]};"
done
[ -z "$left" ] || fail "processes left running:$left"
(exec 3<>/dev/tcp/127.0.0.1/5000) 2>/dev/null && fail "port 5000 still open"
echo "demo-check: Ctrl-C: exit 0, nothing left running, run directory removed"

# "Running it yourself", block by block as written, in a home of its own; between the blocks
# wait for the socket as a reader would.
home=$(mktemp -d)
awk '/^## Running it yourself/ {on = 1} on && /^`opendcre-fcgi` takes/ {exit}
	on && /^```sh$/ {code = 1; n++; next} code && /^```$/ {code = 0; next}
	code {print > (dir "/block" n ".sh")}' dir="$home" README.md
[ -f "$home/block1.sh" ] && [ -f "$home/block2.sh" ] || fail "README: no 'Running it yourself' commands"
sed -i 's|^kill %2 %1.*|&\nwait|' "$home/block2.sh"
{ cat "$home/block1.sh"; echo 'for i in $(seq 100); do [ -S opendcre.sock ] && break; sleep 0.1; done'
	cat "$home/block2.sh"; } >"$home/all.sh"
HOME=$home timeout 300 bash -e "$home/all.sh" >"$home/out" 2>&1 || fail "README commands: $(tail -n 20 "$home/out")"
grep -q '"rack_id": "vapor_plc_rack"' "$home/out" && grep -q '"temperature_c": ' "$home/out" ||
	fail "README commands: unexpected answers: $(tail -n 30 "$home/out")"
rm -rf "$home"
echo "demo-check: README 'Running it yourself': answered /scan and a thermistor read"
echo "demo-check: PASS"
