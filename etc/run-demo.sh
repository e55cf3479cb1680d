#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Run the opendcre service on the emulator, behind a real nginx, on a fresh Debian 12 machine.
#
# Usage: etc/run-demo.sh [--port N] [--workers N] [--data FILE] [--build-dir DIR] [--no-install]
#
# Options:
#   --port N         nginx listens on 127.0.0.1:N (default 5000)
#   --workers N      FastCGI worker processes (default 4)
#   --data FILE      emulator data file (default emulator/data/demo.json)
#   --build-dir DIR  meson build directory (default build/ at the repository root)
#   --no-install     do not install missing Debian packages (etc/packages.sh: build, run)
#   -h, --help       show this help
#
# It installs the Debian packages it needs, builds, starts opendcre-emulator on a pty,
# opendcre-fcgi and nginx with the shipped snippet etc/nginx/opendcre.conf, prints example
# requests and runs until Ctrl-C (or SIGTERM), then stops all three, removes its run
# directory and exits 0. If one of them dies on its own it shows the logs and exits 1.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PORT=5000
WORKERS=4
DATA="$REPO/emulator/data/demo.json"
BUILD="$REPO/build"
INSTALL=1
RACK=vapor_plc_rack # plc.rack_id: the demo configuration keeps the default

usage() { # usage STATUS: the header's usage and options, on stdout (0) or stderr
	local out=1
	[ "$1" = 0 ] || out=2
	sed -n '/^# Usage:/,/^# *-h, --help/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&"$out"
	exit "$1"
}
say() { printf 'run-demo: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
bad_usage() { say "$*"; usage 2; }

while [ $# -gt 0 ]; do
	case "$1" in
	--port | --workers | --data | --build-dir)
		[ $# -ge 2 ] && [ -n "$2" ] || bad_usage "option $1 needs a value"
		case "$1" in
		--port) PORT=$2 ;;
		--workers) WORKERS=$2 ;;
		--data) DATA=$(realpath -m -- "$2") ;;
		--build-dir) BUILD=$(realpath -m -- "$2") ;;
		esac
		shift 2
		;;
	--no-install) INSTALL=0; shift ;;
	-h | --help) usage 0 ;;
	*) bad_usage "unknown argument '$1'" ;;
	esac
done
[[ "$PORT" =~ ^[0-9]{1,5}$ ]] && ((PORT >= 1 && PORT <= 65535)) ||
	bad_usage "--port: '$PORT' is not a port number (1-65535)"
[[ "$WORKERS" =~ ^[0-9]{1,3}$ ]] && ((WORKERS >= 1 && WORKERS <= 256)) ||
	bad_usage "--workers: '$WORKERS' is not a number from 1 to 256"
[ -f "$DATA" ] || die "emulator data file $DATA not found (use --data FILE)"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }
port_in_use() { if port_open; then die "port $PORT is in use by another program; use --port N"; fi; }
port_in_use

# ---------------------------------------------------------------------------- packages
if [ "$INSTALL" = 1 ] && command -v dpkg-query >/dev/null 2>&1; then
	# shellcheck source=packages.sh
	. "$REPO/etc/packages.sh"
	groups=(build run)
	# nginx of any flavour already installed is good enough
	if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then groups=(build); fi
	dcre_install "${groups[@]}" || die "could not install the Debian packages"
fi
NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; } ||
	die "nginx not found (apt-get install nginx-light)"

# ---------------------------------------------------------------------------- build
if [ ! -f "$BUILD/build.ninja" ]; then
	say "meson setup $BUILD"
	meson setup "$BUILD" "$REPO" >&2 || die "meson setup failed"
fi
say "building in $BUILD"
ninja -C "$BUILD" fcgi-app/opendcre-fcgi emulator/opendcre-emulator >&2 || die "build failed"
FCGI="$BUILD/fcgi-app/opendcre-fcgi"
EMU="$BUILD/emulator/opendcre-emulator"
[ -x "$FCGI" ] || die "$FCGI was not built"
[ -x "$EMU" ] || die "$EMU was not built"
port_in_use # again: the build may have taken a while

# ---------------------------------------------------------------------------- run dir, stop
# Each child runs in its own session, so a terminal's Ctrl-C (SIGINT to the foreground
# process group) reaches only this script, which then stops them in order.
RUN=$(mktemp -d "${TMPDIR:-/tmp}/opendcre-demo.XXXXXX")
EMU_PID="" FCGI_PID="" NGINX_PID=""

stop_pid() { # stop_pid PID SIGNAL NAME: signal one process we started and wait for it
	local pid=$1 sig=$2 name=$3 i
	[ -n "$pid" ] || return 0
	if kill "-$sig" "$pid" 2>/dev/null; then
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			say "$name (pid $pid) did not stop within 10 s; killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	wait "$pid" 2>/dev/null || true
}

STOPPED=0
stop_all() {
	[ "$STOPPED" = 1 ] && return 0
	STOPPED=1
	trap '' INT TERM HUP
	stop_pid "$NGINX_PID" QUIT nginx
	stop_pid "$FCGI_PID" TERM opendcre-fcgi # the main process stops its workers
	stop_pid "$EMU_PID" TERM opendcre-emulator
	rm -rf "$RUN"
}
trap stop_all EXIT
on_signal() {
	stop_all
	say "stopped (nginx, opendcre-fcgi, opendcre-emulator); run directory removed"
	exit 0
}
trap on_signal INT TERM HUP

died() { # died NAME STATUS: a child exited on its own
	say "error: $1 exited unexpectedly (status $2); last log lines:"
	local f
	for f in "$RUN"/*.log; do
		[ -s "$f" ] || continue
		printf '==> %s <==\n' "${f##*/}" >&2
		tail -n 15 "$f" >&2
	done
	exit 1
}

wait_for() { # wait_for SECONDS NAME PID COMMAND...: poll COMMAND until it succeeds
	local secs=$1 name=$2 pid=$3 deadline rc
	shift 3
	deadline=$((SECONDS + secs))
	until "$@"; do
		if ! kill -0 "$pid" 2>/dev/null; then
			rc=0
			wait "$pid" || rc=$?
			died "$name" "$rc"
		fi
		[ "$SECONDS" -lt "$deadline" ] || { say "error: $name: not ready within ${secs}s"; exit 1; }
		sleep 0.05
	done
}

# ---------------------------------------------------------------------------- emulator
BUS="$RUN/bus"
setsid "$EMU" --pty "$BUS" --data "$DATA" >"$RUN/emulator.out" 2>"$RUN/emulator.log" &
EMU_PID=$!
wait_for 10 opendcre-emulator "$EMU_PID" grep -q "^ready $BUS " "$RUN/emulator.out"
say "emulator: $(head -n 1 "$RUN/emulator.out")"

# ---------------------------------------------------------------------------- service
SOCK="$RUN/opendcre.sock"
cat >"$RUN/opendcre.json" <<JSON
{
  "plc": {
    "hardware_type": "emulator",
    "device": "$BUS",
    "lockfile": "$RUN/plc.lock",
    "rack_id": "$RACK",
    "timeout": 0.25,
    "retry_limit": 3
  },
  "scan_cache": {
    "file": "$RUN/scan-cache.json",
    "cache_timeout": 600
  },
  "log": {
    "level": "info",
    "target": "stderr"
  }
}
JSON
setsid "$FCGI" --config "$RUN/opendcre.json" --socket "$SOCK" --workers "$WORKERS" \
	2>"$RUN/opendcre-fcgi.log" &
FCGI_PID=$!
# The main process creates the socket and listens before it forks the workers.
wait_for 20 opendcre-fcgi "$FCGI_PID" test -S "$SOCK"

# ---------------------------------------------------------------------------- nginx
sed "s|@OPENDCRE_SOCKET@|$SOCK|g" "$REPO/etc/nginx/opendcre.conf" >"$RUN/opendcre.conf"
if [ -f /etc/nginx/fastcgi_params ]; then
	cp /etc/nginx/fastcgi_params "$RUN/fastcgi_params"
else
	# shellcheck disable=SC2016  # nginx variables, not shell ones
	printf 'fastcgi_param %s %s;\n' QUERY_STRING '$query_string' REQUEST_METHOD '$request_method' \
		CONTENT_TYPE '$content_type' CONTENT_LENGTH '$content_length' \
		SCRIPT_NAME '$fastcgi_script_name' REQUEST_URI '$request_uri' \
		SERVER_PROTOCOL '$server_protocol' REMOTE_ADDR '$remote_addr' \
		REMOTE_USER '$remote_user' SERVER_NAME '$server_name' >"$RUN/fastcgi_params"
fi
sed -e "s|@RUN_DIR@|$RUN|g" -e "s|@LISTEN@|127.0.0.1:$PORT|g" \
	-e "s|@USER@|$(id -un)|g" -e "s|@GROUP@|$(id -gn)|g" \
	"$REPO/etc/nginx/demo.conf.in" >"$RUN/nginx.conf"
setsid "$NGINX" -p "$RUN/" -c "$RUN/nginx.conf" -e "$RUN/nginx-error.log" \
	2>"$RUN/nginx-stderr.log" &
NGINX_PID=$!
wait_for 15 "nginx on 127.0.0.1:$PORT" "$NGINX_PID" port_open

# Example ids: the first board/device of each type in the data file.
example() { # example TYPE DEFAULT -> "<board>/<device>"
	local found=""
	if [ -x /usr/bin/python3 ]; then
		found=$(/usr/bin/python3 - "$DATA" "$1" 2>/dev/null <<'PY' || true
import json, sys
for b in json.load(open(sys.argv[1])).get("boards", []):
    for d in b.get("devices", []):
        if d.get("device_type") == sys.argv[2]:
            print("%08x/%04x" % (int(b["board_id"], 16), int(d["device_id"], 16)))
            sys.exit(0)
PY
)
	fi
	echo "${found:-$2}"
}
THERM=$(example thermistor 00000001/01ff)
POWER=$(example power 00000001/0003)
LED=$(example led 00000001/0002)
B=http://127.0.0.1:$PORT/opendcre
cat <<TEXT

opendcre is running on the emulator ($DATA)
  run dir:  $RUN   (logs: opendcre-fcgi.log, emulator.log, nginx-error.log)
  service:  opendcre-fcgi pid $FCGI_PID, $WORKERS workers, socket $SOCK
  nginx:    http://127.0.0.1:$PORT/opendcre/
  rack:     the PLC boards are in rack $RACK (1.3 API)

Try:
  curl -s $B/1.3/test
  curl -s $B/version
  curl -s $B/1.3/scan
  curl -s $B/1.2/scan
  curl -s $B/1.3/scan/$RACK
  curl -s $B/1.3/read/thermistor/$RACK/$THERM
  curl -s $B/1.2/read/thermistor/$THERM
  curl -s $B/1.3/power/$RACK/$POWER
  curl -s $B/1.3/led/$RACK/$LED/on
  curl -s $B/1.3/led/$RACK/$LED

Ctrl-C stops everything.
TEXT

# Run until a signal, or until one of our processes dies on its own. Polled:
# bash's `wait -n PID...` never returns for a child that ended before it was
# called. A trapped signal ends the `wait` at once.
while :; do
	for p in "$EMU_PID:opendcre-emulator" "$FCGI_PID:opendcre-fcgi" "$NGINX_PID:nginx"; do
		if ! kill -0 "${p%%:*}" 2>/dev/null; then
			rc=0
			wait "${p%%:*}" || rc=$?
			died "${p#*:}" "$rc"
		fi
	done
	sleep 0.2 &
	wait "$!" || true
done
