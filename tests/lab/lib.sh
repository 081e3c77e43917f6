# tests/lab/lib.sh - shared helpers for lab tests: a unique lab per run, cleanup on every exit,
# steps echoed, assertions that say what they expected.
# Usage: source this, then `lab_begin` (sets LAB, TC, TMP), use `lab ...`, assertions.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TC=$ROOT/tunnelctl
export TUNNELCTL_BIN=$TC

step() { echo "--- $*"; }
die() { echo "FAIL: $*" >&2; exit 1; }

lab() { bash "$ROOT/lab/lab.sh" --name "$LAB" "$@"; }
# Run a command in side a|b's namespace with that side's TUNNELCTL_* environment.
on() { local s=$1; shift; lab exec "$s" -- "$@"; }

lab_cleanup() {
	local rc=$?
	lab down >/dev/null 2>&1 || true
	rm -rf "$TMP"
	exit $rc
}

lab_begin() {
	LAB=t$$$(basename "$0" .sh | tr -cd 'a-z' | head -c 6)
	TMP=$(mktemp -d)
	trap lab_cleanup EXIT INT TERM
}

# assert_contains TEXT NEEDLE WHAT
assert_contains() {
	case "$1" in
	*"$2"*) echo "ok: $3" ;;
	*) echo "$1" >&2; die "$3: expected to find '$2'" ;;
	esac
}
assert_not_contains() {
	case "$1" in
	*"$2"*) echo "$1" >&2; die "$3: did not expect '$2'" ;;
	*) echo "ok: $3" ;;
	esac
}
assert_eq() {
	[ "$1" = "$2" ] || die "$3: expected '$2', got '$1'"
	echo "ok: $3"
}

# The unique id of IKE SA NAME on side S (empty if none), from swanctl as the test's oracle.
ike_uid() {
	local s=$1 name=$2
	on "$s" sh -c 'swanctl --list-sas --uri "$TUNNELCTL_VICI" 2>/dev/null' |
		sed -n "s/^$name: #\([0-9]*\), ESTABLISHED.*/\1/p" | head -1
}

# Wait up to SEC seconds for IKE SA NAME on side S to be established.
wait_ike() {
	local s=$1 name=$2 sec=${3:-15} i
	for ((i = 0; i < sec * 10; i++)); do
		[ -n "$(ike_uid "$s" "$name")" ] && return 0
		sleep 0.1
	done
	return 1
}

# Connection names loaded on side S (oracle: swanctl --list-conns).
loaded_conns() {
	on "$1" sh -c 'swanctl --list-conns --uri "$TUNNELCTL_VICI" 2>/dev/null' | sed -n 's/^\([A-Za-z0-9_-]*\): .*/\1/p' | sort | tr '\n' ' '
}
