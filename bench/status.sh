#!/usr/bin/env bash
# bench/status.sh - `tunnelctl status --json` against `swanctl --list-sas` on the same charon,
# with N loaded connections and as many established SAs as the lab reaches (reported).
# Fails (exit 1, with the reason) when the lab does not come up, when no SA is established,
# or when a measured command fails: a bench that measures nothing must not print a ratio.
# Usage: bench/status.sh [N]   (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
die() { echo "bench/status: $*" >&2; exit 1; }
RUNS=5
LAB=bst$$
WORK=$(mktemp -d /tmp/tc-bench-status.XXXXXX)
export TUNNELCTL_BIN=${TUNNELCTL_BIN:-$PWD/tunnelctl}	# another build to compare with
lab() { bash lab/lab.sh --name "$LAB" "$@"; }
cleanup() { lab down >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM
[ -x ./tunnelctl ] || die "build ./tunnelctl first (make)"

# gen SIDE: N phase 1 entries between the two lab gateways, told apart by their IDs;
# A initiates, B answers.
gen() {
	awk -v n="$N" -v side="$1" 'BEGIN {
		me = side == "a" ? "192.0.2.1" : "192.0.2.2"; peer = side == "a" ? "192.0.2.2" : "192.0.2.1"
		other = side == "a" ? "b" : "a"
		print "global {\n    unique_ids = no\n}\ntunnels {"
		for (i = 1; i <= n; i++) {
			x = int(i / 256); y = i % 256
			printf "    %d {\n        local_address = %s\n        remote_gateway = %s\n", i, me, peer
			printf "        local_id = fqdn:%s%d.lab\n        remote_id = fqdn:%s%d.lab\n", side, i, other, i
			printf "        psk = \"bench-status-secret-0123456789\"\n        dpd_delay = 0\n"
			printf "        start_action = %s\n", side == "a" ? "start" : "none"
			printf "        phase2 {\n            %d {\n", i
			if (side == "a") printf "                local = 10.%d.%d.0/24\n                remote = 10.%d.%d.0/24\n", 100 + x, y, 200 + x, y
			else printf "                local = 10.%d.%d.0/24\n                remote = 10.%d.%d.0/24\n", 200 + x, y, 100 + x, y
			print "            }\n        }\n    }"
		}
		print "}"
	}'
}
gen a >"$WORK/a.conf"
gen b >"$WORK/b.conf"
lab up "$WORK/a.conf" "$WORK/b.conf" --wait 1 >"$WORK/up.log" 2>&1 ||
	{ tail -20 "$WORK/up.log" >&2; die "lab up failed (output above)"; }
# let the initiations settle: stop when the SA count no longer grows
prev=-1
for i in $(seq 120); do
	n=$(lab exec a -- sh -c 'swanctl --list-sas --uri "$TUNNELCTL_VICI" 2>/dev/null' | grep -c ESTABLISHED || true)
	[ "$n" -ge "$N" ] && break
	[ "$n" = "$prev" ] && [ "$i" -gt 20 ] && break
	prev=$n
	sleep 1
done
[ "$n" -gt 0 ] || die "no IKE SA established after the lab came up: nothing to measure"
[ "$n" -ge "$N" ] || echo "bench/status: only $n of $N IKE SAs established; measuring those" >&2
# best CMD: the best of RUNS wall times in microseconds of CMD, all timed inside side a's
# namespace (one `lab exec` for all runs: its own start-up, ten times status's on a busy
# machine, stays out of the figures); dies if a run fails. The last run's output is kept.
best() {
	local out
	out=$(lab exec a -- bash -c '
		b=
		for _ in $(seq '"$RUNS"'); do
			s=$EPOCHREALTIME
			'"$1"' >"'"$WORK"'/run.out" 2>&1 || { echo fail; exit 0; }
			e=$EPOCHREALTIME
			t=$(( (${e/./} - ${s/./}) ))
			[ -z "$b" ] || [ "$t" -lt "$b" ] && b=$t
		done
		echo "$b"') || die "lab exec failed for: $1"
	[ "$out" != fail ] || { tail -5 "$WORK/run.out" >&2; die "failed: $1"; }
	echo "$out"
}
tc=$(best '"$TUNNELCTL_BIN" status --json')
got=$(jq '[.ike_sas[] | select(.state == "ESTABLISHED")] | length' "$WORK/run.out") ||
	die "status --json printed no JSON"
[ "$got" -gt 0 ] || die "status --json shows no established SA (swanctl counted $n)"
sw=$(best 'swanctl --list-sas --uri "$TUNNELCTL_VICI"')
[ "$sw" -gt 0 ] && [ "$tc" -gt 0 ] || die "a time of 0: nothing measured"
echo "status with $N loaded connections, $n established IKE SAs (best of $RUNS, timed inside side a):"
awk -v a="$tc" -v b="$sw" 'BEGIN {
	printf "  tunnelctl status --json:  %8.1f ms\n", a / 1000
	printf "  swanctl --list-sas:       %8.1f ms\n", b / 1000
	printf "  ratio tunnelctl/swanctl:  %.2f (target <= 0.8)\n", a / b
}'
