#!/usr/bin/env bash
# Install the Debian 12 packages tunnelctl needs to build, test and run its lab, if missing.
set -euo pipefail

PACKAGES=(
	# build
	make gcc pkg-config clang libclang-rt-14-dev
	libcmocka-dev libjansson-dev libnftables-dev libmicrohttpd-dev libxml2-dev libsystemd-dev zlib1g-dev
	# strongSwan (charon, VICI, kernel-libipsec for the lab) and its test oracle
	strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-extra-plugins
	libstrongswan-standard-plugins
	strongswan-pki
	# lab and tests
	nftables iproute2 util-linux procps iputils-ping time jq
	# packaging: man page lint, the Debian package and its checks, completion (docs/packaging.md)
	mandoc debhelper dpkg-dev lintian bash-completion git
	# fleet recipes: the ansible role's template and the rules (tests/pkg/test_fleet.sh)
	python3-yaml python3-jinja2
	# web tests: HTTP client and a headless browser for the status page
	curl chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "tunnelctl needs these packages: ${missing[*]}" >&2
	echo "run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
