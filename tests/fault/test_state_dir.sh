#!/usr/bin/env bash
# test_state_dir.sh - the state and output directories (issue 16 item 8): a symlink inside the
# state directory is not followed, a state directory writable by others is refused, and apply
# does not read the file it would roll back to through a symlink. Charon is not needed: each
# refusal comes before the VICI connection (a socket that does not exist). No root needed.
set -eu
cd "$(dirname "$0")/../.."
TC=$PWD/tunnelctl
CONF=$PWD/examples/ikev2-merged.conf
work=$(mktemp -d /tmp/tc-statedir.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
NOVICI=unix://$work/no-charon.vici

echo "== down/ is a symlink to another directory: no mark is written there"
mkdir -m 700 "$work/state" "$work/elsewhere"
ln -s "$work/elsewhere" "$work/state/down"
rc=0
"$TC" down con1 -c "$CONF" --state-dir "$work/state" --vici "$NOVICI" 2>"$work/err" || rc=$?
cat "$work/err"
[ "$rc" -eq 1 ] || fail "exit $rc, want 1"
grep -q "symbolic link" "$work/err" || fail "the message does not name the symlink"
[ -z "$(ls -A "$work/elsewhere")" ] || fail "a mark was written through the symlink"

echo "== a state directory writable by others is refused"
mkdir "$work/open"
chmod 777 "$work/open"
rc=0
"$TC" down con1 -c "$CONF" --state-dir "$work/open" --vici "$NOVICI" 2>"$work/err" || rc=$?
cat "$work/err"
[ "$rc" -eq 1 ] || fail "exit $rc, want 1"
grep -q "writable by others" "$work/err" || fail "no 'writable by others'"
[ ! -e "$work/open/down" ] || fail "down/ was created in a world-writable state directory"

echo "== the state directory itself may be a symlink"
mkdir -m 700 "$work/real"
ln -s "$work/real" "$work/link"
"$TC" down con1 -c "$CONF" --state-dir "$work/link" --vici "$NOVICI" 2>"$work/err" || true
grep -q "charon is not running" "$work/err" || { cat "$work/err"; fail "a symlinked state directory was refused"; }

echo "== apply: the generated file is a symlink: not read (a rollback would copy its target)"
mkdir -p "$work/out/etc/swanctl/conf.d"
echo "not-for-tunnelctl" >"$work/private"
ln -s "$work/private" "$work/out/etc/swanctl/conf.d/tunnelctl.conf"
rc=0
"$TC" apply -c "$CONF" --out-dir "$work/out" --state-dir "$work/real" --vici "$NOVICI" 2>"$work/err" || rc=$?
cat "$work/err"
[ "$rc" -eq 1 ] || fail "exit $rc, want 1"
grep -q "tunnelctl.conf: is a symbolic link" "$work/err" || fail "the symlink was read"
echo "all state-directory checks held"
