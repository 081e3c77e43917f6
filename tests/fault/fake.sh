# tests/fault/fake.sh - helpers for the fault harness: a fake charon (build/fakevici) in a
# temporary directory, removed on every exit. Source it, then `fake_begin`.
# shellcheck shell=bash
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TC=${TUNNELCTL_BIN:-$ROOT/tunnelctl}	# another binary: before/after measurements
FAKEVICI=$ROOT/build/fakevici

step() { echo "--- $*"; }
die() { echo "FAIL: $*" >&2; exit 1; }

FAKE_PIDS=()
fake_cleanup() {
	local rc=$? p
	for p in "${FAKE_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$TMP"
	exit $rc
}

# fake_begin: TMP, the fake charon's socket ($SOCK, $VICI) and mode file ($MODE), started "ok".
fake_begin() {
	[ -x "$TC" ] || make -C "$ROOT" -s tunnelctl
	[ -x "$FAKEVICI" ] || make -C "$ROOT" -s build/fakevici
	TMP=$(mktemp -d)
	trap fake_cleanup EXIT INT TERM
	SOCK=$TMP/charon.vici
	VICI=unix://$SOCK
	MODE=$TMP/mode
	echo ok >"$MODE"
	"$FAKEVICI" "$SOCK" "$MODE" &
	FAKE_PIDS+=($!)
	local i
	for i in $(seq 50); do
		[ -S "$SOCK" ] && return 0
		sleep 0.1
	done
	die "the fake charon did not start"
}

# fake_mode MODE: how the fake charon answers from its next packet on.
fake_mode() { echo "$1" >"$MODE"; step "fake charon: $1"; }

tc() { "$TC" --vici "$VICI" --state-dir "$TMP/state" --out-dir "$TMP/out" "$@"; }

assert_contains() {
	case "$1" in
	*"$2"*) echo "ok: $3" ;;
	*) echo "$1" >&2; die "$3: expected to find '$2'" ;;
	esac
}
assert_eq() {
	[ "$1" = "$2" ] || die "$3: expected '$2', got '$1'"
	echo "ok: $3"
}
# assert_le A B WHAT: integers, A <= B
assert_le() {
	[ "$1" -le "$2" ] || die "$3: $1 is over $2"
	echo "ok: $3 ($1 <= $2)"
}
