# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# The Debian 12 packages opendcre needs: the only list. Every script that installs packages
# sources this file (etc/run-demo.sh, test/run-tests.sh, .ci/run, test/bench/).
#
#   . etc/packages.sh
#   dcre_packages build run          # print the packages of these groups
#   dcre_install build run           # install the missing ones (apt-get, --no-install-recommends)
#   dcre_install --recommends test   # the same, with the packages' recommendations
#
# Groups:
#   build  compile the service and the emulator
#   run    what etc/run-demo.sh runs besides them (nginx)
#   test   everything test/run-tests.sh uses (the real web servers, BMC simulator, Prometheus
#          and its promtool, tools)
#   bench  the benchmarks' extra tools
#   check  the clean-system check of .ci/run (curl, and cgi-fcgi for the README's first request)

DCRE_PKGS_build="meson ninja-build pkg-config gcc libc6-dev
	libfcgi-dev libcjson-dev libfreeipmi-dev libcurl4-openssl-dev libgpiod-dev"
DCRE_PKGS_run="nginx-light"
DCRE_PKGS_test="python3 nginx-light spawn-fcgi clang-format clang libfuzzer-14-dev
	openipmi ipmitool freeipmi-tools openssl curl apache2 libapache2-mod-auth-openidc glewlwyd
	lighttpd lighttpd-modules-lua slapd systemd
	prometheus redfishtool python3-sushy python3-jsonschema"
DCRE_PKGS_bench="wrk prometheus-ipmi-exporter"
DCRE_PKGS_check="curl libfcgi-bin"

dcre_packages() { # GROUP...: the package names, one per line
	local g v
	for g in "$@"; do
		v="DCRE_PKGS_$g"
		[ -n "${!v+x}" ] || { echo "packages.sh: unknown group '$g'" >&2; return 2; }
		printf '%s\n' ${!v}
	done
}

dcre_install() { # [--recommends] GROUP...: install what is missing, saying so on stderr
	local p missing=() sudo="" rec=--no-install-recommends
	[ "${1:-}" != --recommends ] || { rec=--install-recommends; shift; }
	for p in $(dcre_packages "$@"); do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	((${#missing[@]})) || return 0
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 || {
			echo "missing Debian packages (${missing[*]}) and no sudo: install them as root" >&2
			return 1
		}
		sudo=sudo
	fi
	echo "installing Debian packages: ${missing[*]}" >&2
	$sudo apt-get update -q >&2 || return 1
	$sudo env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q "$rec" "${missing[@]}" >&2
}
