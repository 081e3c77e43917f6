#!/usr/bin/env bash
# logs: charon's file log filtered to a tunnel, and -f following live VICI log events.
source "$(dirname "$0")/lib.sh"
lab_begin

step "lab up with the example pair"
lab up "$ROOT/examples/lab-a.conf" "$ROOT/examples/lab-b.conf" >/dev/null
wait_ike a con1 || die "con1 did not come up"

step "logs con1: the establishment, and only lines of con1"
out=$(on a "$TC" logs con1)
assert_contains "$out" "IKE_SA con1[" "IKE SA lines are there"
assert_contains "$out" "established" "the establishment is there"
other=$(echo "$out" | grep -v 'con1' || true)
[ -z "$other" ] || { echo "$other"; die "lines without con1 in the filtered output"; }
echo "ok: every line names con1"
all=$(on a "$TC" logs | wc -l)
mine=$(echo "$out" | wc -l)
[ "$all" -gt "$mine" ] || die "unfiltered log ($all lines) must hold more than con1's ($mine)"
echo "ok: the filter drops other lines ($all > $mine)"
assert_contains "$(on a "$TC" logs 'lab A to B')" "IKE_SA con1[" "a description selects the tunnel too"

step "unknown tunnel: exit 2"
set +e
on a "$TC" logs con9 >/dev/null 2>&1
rc=$?
set -e
assert_eq "$rc" 2 "logs con9 exits 2"

step "logs -f: live events of con1 while it is terminated"
on a "$TC" logs -f con1 >"$TMP/follow.out" 2>&1 &
fpid=$!
for i in $(seq 50); do grep -q . "$TMP/follow.out" 2>/dev/null && break; on a sh -c 'swanctl --stats --uri "$TUNNELCTL_VICI" >/dev/null 2>&1'; sleep 0.1; [ "$i" = 5 ] && break; done
on a sh -c 'swanctl --terminate --ike con1 --uri "$TUNNELCTL_VICI" >/dev/null 2>&1'
for i in $(seq 50); do grep -q "deleting IKE_SA con1" "$TMP/follow.out" && break; sleep 0.1; done
kill "$fpid" 2>/dev/null || true
wait "$fpid" 2>/dev/null || true
assert_contains "$(cat "$TMP/follow.out")" "deleting IKE_SA con1" "-f shows the termination live"
echo "all logs checks passed"
