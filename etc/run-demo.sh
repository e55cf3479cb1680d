#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Run the opendcre service on the emulator, behind a real nginx, on a fresh Debian 12 machine:
#
#   etc/run-demo.sh [--port N] [--workers N] [--data FILE] [--build-dir DIR] [--no-install]
#
# 1. installs the Debian packages it needs (build: meson ninja-build pkg-config gcc libfcgi-dev
#    libcjson-dev libfreeipmi-dev libcurl4-openssl-dev libgpiod-dev; runtime: nginx-light),
# 2. builds into build/ at the repository root,
# 3. starts opendcre-emulator on a pty with emulator/data/demo.json, opendcre-fcgi with 4 workers
#    and nginx on 127.0.0.1:5000 with the shipped snippet etc/nginx/opendcre.conf,
# 4. prints example requests and runs until Ctrl-C / SIGTERM, then stops nginx, the service and
#    the emulator and removes its run directory.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PORT=5000
WORKERS=4
DATA="$REPO/emulator/data/demo.json"
BUILD="$REPO/build"
INSTALL=1

usage() {
    sed -n '4,5p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,3\}//'
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
        --port) PORT=$2; shift 2 ;;
        --workers) WORKERS=$2; shift 2 ;;
        --data) DATA=$(realpath "$2"); shift 2 ;;
        --build-dir) BUILD=$(realpath -m "$2"); shift 2 ;;
        --no-install) INSTALL=0; shift ;;
        -h|--help) usage ;;
        *) echo "run-demo: unknown argument '$1'" >&2; usage ;;
    esac
done

say() { printf 'run-demo: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# ---------------------------------------------------------------------------- packages
BUILD_PKGS="meson ninja-build pkg-config gcc libfcgi-dev libcjson-dev libfreeipmi-dev libcurl4-openssl-dev libgpiod-dev"
RUNTIME_PKGS="nginx-light"

missing_packages() {
    local p out=""
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            out="$out $p"
        fi
    done
    echo "${out# }"
}

if [ "$INSTALL" = 1 ] && command -v dpkg-query >/dev/null 2>&1; then
    # nginx (any flavour) already installed is good enough.
    runtime=$RUNTIME_PKGS
    if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then runtime=""; fi
    # shellcheck disable=SC2086
    missing=$(missing_packages $BUILD_PKGS $runtime)
    if [ -n "$missing" ]; then
        SUDO=""
        if [ "$(id -u)" != 0 ]; then
            command -v sudo >/dev/null 2>&1 || die "missing packages ($missing) and no sudo; install them as root"
            SUDO=sudo
        fi
        say "installing:$missing"
        $SUDO apt-get update
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
        # nginx-light's package scripts start the system nginx on port 80; the demo runs its own.
    fi
fi

NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; } || die "nginx not found (apt-get install nginx-light)"

# ---------------------------------------------------------------------------- build
if [ ! -f "$BUILD/build.ninja" ]; then
    say "meson setup $BUILD"
    meson setup "$BUILD" "$REPO" >&2
fi
say "building in $BUILD"
ninja -C "$BUILD" fcgi-app/opendcre-fcgi emulator/opendcre-emulator >&2
FCGI="$BUILD/fcgi-app/opendcre-fcgi"
EMU="$BUILD/emulator/opendcre-emulator"
[ -x "$FCGI" ] || die "$FCGI was not built"
[ -x "$EMU" ] || die "$EMU was not built"
[ -f "$DATA" ] || die "emulator data file $DATA not found (use --data FILE)"

# ---------------------------------------------------------------------------- run dir, cleanup
RUN=$(mktemp -d "${TMPDIR:-/tmp}/opendcre-demo.XXXXXX")
EMU_PID="" FCGI_PID="" NGINX_PID=""

stop_pid() {  # stop_pid PID SIGNAL NAME: signal one process we started and wait for it
    local pid=$1 sig=$2 name=$3
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill "-$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "$name (pid $pid) did not stop; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

CLEANED=0
cleanup() {
    [ "$CLEANED" = 1 ] && return 0
    CLEANED=1
    trap - INT TERM
    say "stopping"
    stop_pid "$NGINX_PID" QUIT nginx
    stop_pid "$FCGI_PID" TERM opendcre-fcgi   # the main process stops its workers
    stop_pid "$EMU_PID" TERM opendcre-emulator
    rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_for() {  # wait_for SECONDS DESCRIPTION PID LOG COMMAND...: poll COMMAND until it succeeds
    local secs=$1 what=$2 pid=$3 logf=$4 deadline problem=""
    shift 4
    deadline=$((SECONDS + secs))
    until "$@"; do
        if ! kill -0 "$pid" 2>/dev/null; then problem="the process exited"
        elif [ "$SECONDS" -ge "$deadline" ]; then problem="not ready within ${secs}s"
        fi
        if [ -n "$problem" ]; then
            say "error: $what: $problem; $logf:"
            tail -n 30 "$logf" >&2 || true
            exit 1
        fi
        sleep 0.05
    done
}

# ---------------------------------------------------------------------------- emulator
BUS="$RUN/bus"
"$EMU" --pty "$BUS" --data "$DATA" >"$RUN/emulator.out" 2>"$RUN/emulator.log" &
EMU_PID=$!
wait_for 10 "opendcre-emulator" "$EMU_PID" "$RUN/emulator.log" grep -q "^ready $BUS " "$RUN/emulator.out"
say "emulator: $(head -n 1 "$RUN/emulator.out")"

# ---------------------------------------------------------------------------- service
SOCK="$RUN/opendcre.sock"
cat >"$RUN/opendcre.json" <<EOF
{
  "plc": {
    "hardware_type": "emulator",
    "device": "$BUS",
    "lockfile": "$RUN/plc.lock",
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
EOF
"$FCGI" --config "$RUN/opendcre.json" --socket "$SOCK" --workers "$WORKERS" 2>"$RUN/opendcre-fcgi.log" &
FCGI_PID=$!
# The main process creates the socket and listens before it forks the workers.
wait_for 20 "opendcre-fcgi" "$FCGI_PID" "$RUN/opendcre-fcgi.log" test -S "$SOCK"

# ---------------------------------------------------------------------------- nginx
sed "s|@OPENDCRE_SOCKET@|$SOCK|g" "$REPO/etc/nginx/opendcre.conf" >"$RUN/opendcre.conf"
if [ -f /etc/nginx/fastcgi_params ]; then
    cp /etc/nginx/fastcgi_params "$RUN/fastcgi_params"
else
    # shellcheck disable=SC2016  # nginx variables, not shell ones
    printf 'fastcgi_param %s %s;\n' QUERY_STRING '$query_string' REQUEST_METHOD '$request_method' \
        CONTENT_TYPE '$content_type' CONTENT_LENGTH '$content_length' SCRIPT_NAME '$fastcgi_script_name' \
        REQUEST_URI '$request_uri' SERVER_PROTOCOL '$server_protocol' REMOTE_ADDR '$remote_addr' \
        REMOTE_USER '$remote_user' SERVER_NAME '$server_name' >"$RUN/fastcgi_params"
fi
sed -e "s|@RUN_DIR@|$RUN|g" -e "s|@LISTEN@|127.0.0.1:$PORT|g" \
    -e "s|@USER@|$(id -un)|g" -e "s|@GROUP@|$(id -gn)|g" \
    "$REPO/etc/nginx/demo.conf.in" >"$RUN/nginx.conf"
"$NGINX" -p "$RUN/" -c "$RUN/nginx.conf" -e "$RUN/nginx-error.log" 2>"$RUN/nginx-stderr.log" &
NGINX_PID=$!
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }
wait_for 15 "nginx on 127.0.0.1:$PORT" "$NGINX_PID" "$RUN/nginx-error.log" port_open

# Example ids: the first board/device of each type in the data file (defaults: emulator/data/demo.json).
example() {  # example TYPE DEFAULT -> "<board>/<device>"
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
cat <<EOF

opendcre is running on the emulator ($DATA)
  run dir:  $RUN   (logs: opendcre-fcgi.log, emulator.log, nginx-error.log)
  service:  opendcre-fcgi pid $FCGI_PID, $WORKERS workers, socket $SOCK
  nginx:    http://127.0.0.1:$PORT/opendcre/

Try:
  curl -s $B/1.3/test
  curl -s $B/version
  curl -s $B/1.3/scan
  curl -s $B/1.2/scan
  curl -s $B/1.3/read/thermistor/rack_1/$THERM
  curl -s $B/1.2/read/thermistor/$THERM
  curl -s $B/1.3/power/rack_1/$POWER
  curl -s $B/1.3/led/rack_1/$LED/on
  curl -s $B/1.3/led/rack_1/$LED

Ctrl-C stops everything.
EOF

# Run until interrupted or until one of our processes exits.
while :; do
    rc=0
    wait -n "$EMU_PID" "$FCGI_PID" "$NGINX_PID" || rc=$?
    for p in "$EMU_PID:opendcre-emulator" "$FCGI_PID:opendcre-fcgi" "$NGINX_PID:nginx"; do
        if ! kill -0 "${p%%:*}" 2>/dev/null; then
            say "${p#*:} exited unexpectedly (status $rc); logs:"
            tail -n 20 "$RUN"/*.log >&2 || true
            exit 1
        fi
    done
done
