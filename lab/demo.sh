#!/usr/bin/env bash
# lab/demo.sh - `make demo`: a real tunnel between two gateways on this machine, traffic
# through it, then a fault (B's pre-shared key changes) and what it looks like. Under a
# minute; everything is removed at the end, on error and on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

TC=${TUNNELCTL_BIN:-$PWD/tunnelctl}
NAME=demo
WORK=$(mktemp -d)

bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }
# Show a command the way a user would type it, then run it.
run() {
	printf '\033[36m$ %s\033[0m\n' "$*"
	"$@"
}
lab() { "$TC" lab --name "$NAME" "$@"; }
# A lab command, shown as the user would type it.
run_lab() {
	printf '\033[36m$ tunnelctl lab %s\033[0m\n' "$*"
	lab "$@"
}
has() { "$TC" "$1" --help >/dev/null 2>&1; }

cleanup() {
	set +e
	bold "Teardown"
	printf '\033[36m$ tunnelctl lab down\033[0m\n'
	lab down
	rm -rf "$WORK"
}

[ "$(id -u)" -eq 0 ] || { echo "make demo needs root (network namespaces)" >&2; exit 1; }
[ -x "$TC" ] || { echo "build tunnelctl first (make)" >&2; exit 1; }
# a demo interrupted before it could clean up leaves its lab: remove it first
lab down >/dev/null 2>&1 || true
trap cleanup EXIT
trap 'exit 130' INT TERM

bold "1. Two gateways on this machine: A (192.0.2.1, LAN 10.1.0.0/24) and B (192.0.2.2, LAN 10.2.0.0/24)"
echo "Each is a network namespace with its own charon; tunnelctl applies examples/lab-a.conf"
echo "on A and examples/lab-b.conf on B. A starts the tunnel (start_action = start)."
run_lab up examples/lab-a.conf examples/lab-b.conf

bold "2. Status of both sides"
run_lab status

bold "3. Traffic from LAN A to LAN B, through the tunnel"
run_lab ping --count 3

bold "4. A fault: someone changes the pre-shared key on B and applies it"
sed 's/^\( *psk = \).*/\1"changed-on-b-only-0123456789"/' examples/lab-b.conf >"$WORK/lab-b.conf"
diff examples/lab-b.conf "$WORK/lab-b.conf" | sed -n 's/^[<>]/&/p' || true
run_lab apply b "$WORK/lab-b.conf"
echo "The running SA is untouched; the next negotiation uses the new key. A re-connects:"
mark_a=$(lab logs a | wc -l)
if has up && has down; then
	run_lab exec a -- tunnelctl down con1 || true
	run_lab exec a -- tunnelctl up con1 || true
else
	# TEMPORARY until tunnelctl up/down are on main: swanctl as the oracle
	vici=$(lab env a | sed -n 's/^export TUNNELCTL_VICI=//p')
	printf '\033[36m$ swanctl --terminate --ike con1; swanctl --initiate --child con1\033[0m\n'
	swanctl --terminate --ike con1 --uri "$vici" >/dev/null 2>&1 || true
	swanctl --initiate --child con1 --uri "$vici" --timeout 10 2>/dev/null | tail -n 4 || true
fi

bold "5. The result"
run_lab ping --count 2 || true
echo "A's log (the lines that matter):"
lab logs a | tail -n +"$((mark_a + 1))" | grep -E 'AUTHENTICATION_FAILED|authentication of|establishing IKE_SA failed|IKE_SA .* established' | tail -n 4 || true
echo "B's log:"
lab logs b | grep -E 'tried [0-9]+ shared key|AUTHENTICATION_FAILED|MAC mismatch' | tail -n 3 || true
if has doctor; then
	bold "6. What the doctor says about both logs"
	run_lab doctor || true
fi
