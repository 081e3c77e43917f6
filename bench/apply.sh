#!/usr/bin/env bash
# bench/apply.sh - a one-line change among N loaded tunnels: how long `tunnelctl apply` takes
# and how many connections charon (re)loads, against the baseline `swanctl --load-conns`
# (which sends every connection again). Runs a real charon in a private network namespace.
# Usage: bench/apply.sh [N]   (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
ROOT=$PWD
NS=tcbench$$
WORK=$(mktemp -d /tmp/tc-bench-apply.XXXXXX)
cleanup() {
	ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
[ -x ./tunnelctl ] || { echo "build ./tunnelctl first (make)" >&2; exit 1; }

# gen N LIFETIME_OF_TUNNEL_1: N phase 1 entries with one phase 2 each, nobody initiates
gen() {
	awk -v n="$1" -v life="$2" 'BEGIN {
		print "tunnels {"
		for (i = 1; i <= n; i++) {
			a = int(i / 256) % 256; b = i % 256
			printf "    %d {\n        local_address = 192.0.2.1\n", i
			printf "        remote_gateway = 198.%d.%d.1\n", a + 18, b
			printf "        psk = \"bench-secret-%d-0123456789\"\n        start_action = none\n", i
			printf "        phase2 {\n            %d {\n", i
			printf "                local = 10.%d.%d.0/24\n                remote = 172.%d.%d.0/24\n", a, b, a + 16, b
			if (i == 1) printf "                lifetime = %s\n", life
			print "            }\n        }\n    }"
		}
		print "}"
	}'
}
gen "$N" 1h >"$WORK/t1.conf"
gen "$N" 2h >"$WORK/t2.conf"

# the system's settings plus the fragment apply generates (file log under the out dir)
printf 'include /etc/strongswan.conf\ninclude %s/out/etc/strongswan.d/*.conf\n' "$WORK" >"$WORK/strongswan.conf"
mkdir -p "$WORK/out/var/log"

ip netns add "$NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" unshare -m --propagation private bash -euo pipefail -c '
	mount -t tmpfs none /run
	export STRONGSWAN_CONF='"$WORK"'/strongswan.conf
	export TUNNELCTL_OUT_DIR='"$WORK"'/out TUNNELCTL_STATE_DIR='"$WORK"'/state
	TC='"$ROOT"'/tunnelctl
	$TC -c '"$WORK"'/t1.conf service start >/dev/null
	log=$TUNNELCTL_OUT_DIR/var/log/charon.log
	loads() { grep -cE "(added|updated|replaced) vici connection" "$log" || true; }

	before=$(loads)
	s=$(date +%s%N)
	$TC -c '"$WORK"'/t2.conf apply >'"$WORK"'/apply.out
	e=$(date +%s%N)
	tc_ms=$(( (e - s) / 1000000 ))
	tc_loads=$(( $(loads) - before ))

	# baseline: swanctl loads every connection of the same generated file
	printf "include %s\n" "$TUNNELCTL_OUT_DIR/etc/swanctl/conf.d/tunnelctl.conf" >'"$WORK"'/swanctl.conf
	before=$(loads)
	s=$(date +%s%N)
	swanctl --load-conns --file '"$WORK"'/swanctl.conf >/dev/null 2>&1
	e=$(date +%s%N)
	sw_ms=$(( (e - s) / 1000000 ))
	sw_loads=$(( $(loads) - before ))

	echo "one-line change among '"$N"' loaded tunnels:"
	printf "  tunnelctl apply:       %6d ms, %5d connection(s) loaded   (%s)\n" "$tc_ms" "$tc_loads" "$(head -1 '"$WORK"'/apply.out)"
	printf "  swanctl --load-conns:  %6d ms, %5d connection(s) loaded\n" "$sw_ms" "$sw_loads"
	[ "$tc_loads" -gt 0 ] && [ "$sw_loads" -gt 0 ] && [ "$sw_ms" -gt 0 ] ||
		{ echo "bench/apply: nothing loaded (tunnelctl $tc_loads, swanctl $sw_loads): no ratio" >&2; exit 1; }
	awk -v a="$tc_ms" -v b="$sw_ms" "BEGIN { printf \"  ratio tunnelctl/swanctl: %.2f (time)\n\", a / b }"
	$TC service stop >/dev/null
'
