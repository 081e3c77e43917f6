# tests/pkg/lib.sh - shared helpers for the packaging tests (systemd unit, completion, man
# pages, Debian package): steps echoed, assertions that say what they expected.
# shellcheck shell=bash
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TC=$ROOT/tunnelctl
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

step() { echo "--- $*"; }
die() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# assert_eq GOT WANT WHAT
assert_eq() {
	[ "$1" = "$2" ] || die "$3: expected '$2', got '$1'"
	ok "$3"
}

# assert_contains TEXT NEEDLE WHAT
assert_contains() {
	case "$1" in
	*"$2"*) ok "$3" ;;
	*) echo "$1" >&2; die "$3: expected to find '$2'" ;;
	esac
}

# unit_values FILE KEY: the values of every KEY= line, space separated
unit_values() { sed -n "s/^$2=//p" "$1" | tr '\n' ' ' | sed 's/ $//'; }
