#!/bin/bash
# SPDX-License-Identifier: MIT
# Start one OpenIPMI ipmi_sim instance (simulated IPMI 2.0 BMC) in the background.
# The project's copy of the simulated BMC used by test/ipmi (from the shared
# ipmi-sim kit; adds SIM_EMU).
#
# Usage: start.sh [ADDR [PORT [STATEDIR]]]
#   ADDR      numeric IPv4/IPv6 listen address   (default 127.0.0.1)
#   PORT      UDP port                           (default 9623)
#   STATEDIR  instance directory; created if missing, emptied of previous
#             simulator state.  Default: a fresh mktemp -d under $TMPDIR (or /tmp).
# Environment:
#   SIM_POWER=on|off        initial chassis power state (default on)
#   SIM_BOOT=none|pxe|default|cdrom|bios  initial boot device override (default none)
#   SIM_DEBUG=1             run ipmi_sim with -d (dumps every LAN message to the log)
#   IPMI_SIM=/path          ipmi_sim binary (default: from PATH)
#   SIM_EMU=/path           command file to use instead of sim.emu (same format;
#                           the tests give one with an extra sensor)
# Output: the PID of ipmi_sim on stdout (one line); details on stderr.
# Files in STATEDIR: lan.conf (rendered), sim.emu, chassis_control.sh,
#   ipmi_sim.log (command-file echo, errors, command output), ipmi_sim.pid,
#   console.fifo (write emulator commands here, see sim_cmd.sh),
#   chassis/{power,boot,identify,resets,events.log,gets.log},
#   sensors/<name> (live sensor values, see sim.emu), ipmi_sim/ (persistence).
# Stop it with: kill "$(cat STATEDIR/ipmi_sim.pid)"
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
addr=${1:-127.0.0.1}
port=${2:-9623}
statedir=${3:-}
sim=${IPMI_SIM:-$(command -v ipmi_sim || true)}
emu=${SIM_EMU:-$here/sim.emu}

die() { echo "start.sh: $*" >&2; exit 1; }

[ -n "$sim" ] && [ -x "$sim" ] || die "ipmi_sim not found (apt-get install openipmi)"
case $port in ''|*[!0-9]*) die "bad port '$port'" ;; esac
[ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "bad port '$port'"
case $addr in *[!0-9a-fA-F.:]*|'') die "ADDR must be a numeric IP address, got '$addr'" ;; esac

checkpath() {  # the chassis_control command line is split by /bin/sh: keep paths simple
    case $1 in *[!A-Za-z0-9._/+-]*) die "state dir path must not contain spaces or shell metacharacters: '$1'" ;; esac
}
if [ -z "$statedir" ]; then
    checkpath "${TMPDIR:-/tmp}"
    statedir=$(mktemp -d "${TMPDIR:-/tmp}/ipmi-sim.XXXXXX")
else
    case $statedir in /*) ;; *) statedir=$PWD/$statedir ;; esac
    checkpath "$statedir"
    mkdir -p "$statedir"
    statedir=$(cd "$statedir" && pwd -P)
fi
checkpath "$statedir"

if [ -f "$statedir/ipmi_sim.pid" ]; then
    old=$(cat "$statedir/ipmi_sim.pid" 2>/dev/null || true)
    if [ -n "$old" ] && [ -r "/proc/$old/stat" ] && [ "$(cat "/proc/$old/comm" 2>/dev/null)" = ipmi_sim ] \
       && [ "$(awk '{print $3}' "/proc/$old/stat" 2>/dev/null)" != Z ]; then
        die "an ipmi_sim (PID $old) is already running for $statedir"
    fi
fi

# Refuse early if the address/port is taken.  ipmi_sim binds with SO_REUSEADDR,
# so a second instance on the same UDP addr:port would NOT fail; it would
# silently steal the traffic.
porthex=$(printf '%04X' "$port")
if [[ $addr == *:* ]]; then
    myhex=v6    # IPv6: treat any IPv6 socket on the port as a conflict
else
    IFS=. read -r o1 o2 o3 o4 <<< "$addr"
    myhex=$(printf '%02X%02X%02X%02X' "$o4" "$o3" "$o2" "$o1")
fi
if awk -v p="$porthex" -v me="$myhex" '
        NR > 1 {
            split($2, a, ":"); if (a[2] != p) next
            v6 = (length(a[1]) == 32)
            if (me == "v6") { if (v6) f = 1; next }
            if (v6) { if (a[1] ~ /^0+$/) f = 1; next }
            if (a[1] == me || a[1] == "00000000" || me == "00000000") f = 1
        }
        END { exit !f }' /proc/net/udp /proc/net/udp6 2>/dev/null; then
    die "UDP $addr:$port (or a wildcard bind on port $port) is already in use"
fi

# Fresh simulator state every start (persisted users/SEL/LAN params would
# otherwise override lan.conf).
rm -rf "$statedir/ipmi_sim" "$statedir/chassis" "$statedir/sensors"
mkdir -p "$statedir/chassis" "$statedir/sensors"
[ -r "$emu" ] || die "command file '$emu' not readable"
cp "$emu" "$statedir/sim.emu"
# Live sensor value files (polled by ipmi_sim every 500 ms), defaults from sim.emu.
while read -r tag file value; do
    [ "$tag" = "#default" ] || continue
    case $file in sensors/*) echo "$value" > "$statedir/$file" ;; esac
done < "$statedir/sim.emu"
cp "$here/chassis_control.sh" "$statedir/chassis_control.sh"
chmod +x "$statedir/chassis_control.sh"

case ${SIM_POWER:-on} in
    on|1) echo 1 > "$statedir/chassis/power" ;;
    off|0) echo 0 > "$statedir/chassis/power" ;;
    *) die "SIM_POWER must be on or off" ;;
esac
case ${SIM_BOOT:-none} in
    none|pxe|default|cdrom|bios) echo "${SIM_BOOT:-none}" > "$statedir/chassis/boot" ;;
    *) die "SIM_BOOT must be none|pxe|default|cdrom|bios" ;;
esac
echo 0 > "$statedir/chassis/resets"
: > "$statedir/chassis/events.log"

sed -e "/^[[:space:]]*#/!{
        s|@ADDR@|$addr|
        s|@PORT@|$port|
        s|@CHASSIS_CONTROL@|\"$statedir/chassis_control.sh $statedir/chassis\"|
    }" "$here/lan.conf" > "$statedir/lan.conf"

args=(-c "$statedir/lan.conf" -f "$statedir/sim.emu" -s "$statedir")
[ -n "${SIM_DEBUG:-}" ] && args+=(-d)

# ipmi_sim is run WITHOUT -n so that its command console (stdin) and all its
# messages (stdout/stderr) stay usable: stdin is a FIFO opened read-write (it
# never reports EOF, which would shut the simulator down; /dev/null cannot be
# used, epoll rejects it), stdout/stderr go to ipmi_sim.log.
rm -f "$statedir/console.fifo"
mkfifo "$statedir/console.fifo"
exec 3<>"$statedir/console.fifo"

cd "$statedir"
# setsid: own session, so a Ctrl-C in the caller's terminal does not reach it.
setsid "$sim" "${args[@]}" <&3 > "$statedir/ipmi_sim.log" 2>&1 3>&- &
pid=$!
exec 3>&-
echo "$pid" > "$statedir/ipmi_sim.pid"

# Wait until ipmi_sim itself has the UDP socket bound (match socket inodes).
bound() {
    local inodes
    inodes=$(ls -l "/proc/$pid/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\].*/\1/p' | tr '\n' ' ')
    [ -n "$inodes" ] || return 1
    awk -v p=":$porthex" -v ino=" $inodes" \
        'NR>1 && substr($2, length($2)-4) == p && index(ino, " " $10 " ") {f=1} END {exit !f}' \
        /proc/net/udp /proc/net/udp6 2>/dev/null
}
alive() {
    [ -r "/proc/$pid/stat" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}
for _ in $(seq 1 100); do
    if ! alive; then
        echo "start.sh: ipmi_sim exited during startup; log:" >&2
        grep -a -v '^#' "$statedir/ipmi_sim.log" | tail -20 >&2 || true
        exit 1
    fi
    bound && break
    sleep 0.1
done
if ! bound; then
    kill "$pid" 2>/dev/null || true
    # The LAN socket is only opened by the final "mc_enable" of sim.emu, and
    # command-file processing stops at the first failing command.
    grep -a '^\*\*' "$statedir/ipmi_sim.log" >&2 || true
    die "ipmi_sim did not bind UDP $addr:$port within 10s (see $statedir/ipmi_sim.log)"
fi
if grep -a -q '^\*\*' "$statedir/ipmi_sim.log"; then
    echo "start.sh: WARNING: errors while reading sim.emu:" >&2
    grep -a '^\*\*' "$statedir/ipmi_sim.log" >&2
fi

echo "start.sh: ipmi_sim PID $pid listening on udp $addr:$port, state in $statedir" >&2
echo "$pid"
