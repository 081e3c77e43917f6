#!/usr/bin/env bash
# test_vici_faults.sh - `status` against a charon that hangs, closes, truncates, sends a
# malformed message, drips bytes or floods events: each ends with a clear error, within the
# command's deadline and in bounded memory (docs/decisions.md, Limits).
source "$(dirname "$0")/fake.sh"

STATUS_DEADLINE_S=15		# STATUS_VICI_TIMEOUT_MS (10 s) plus slack for a loaded machine
FLOOD_MAX_RSS_KB=$((128 * 1024))	# VICI_CLIENT_MAX_STREAM_BYTES (16 MiB) decoded, with room

fake_begin
conf=$TMP/none.conf	# no tunnel file: status shows charon's SAs only

# run_status: OUT, RC, SECS and RSS_KB of one `status` (killed after 60 s)
run_status() {
	local t0 t1
	t0=$(date +%s)
	set +e
	OUT=$(/usr/bin/time -f "rss_kb=%M" -o "$TMP/time" timeout 60 "$TC" --vici "$VICI" \
		--state-dir "$TMP/state" -c "$conf" status 2>&1)
	RC=$?
	set -e
	t1=$(date +%s)
	SECS=$((t1 - t0))
	RSS_KB=$(sed -n 's/^rss_kb=//p' "$TMP/time")
	echo "$OUT" | tail -3
	echo "rc=$RC after ${SECS}s, max RSS ${RSS_KB} KB"
}

step "a charon that answers: the fake's SA is shown"
fake_mode ok
run_status
assert_eq "$RC" 0 "status exits 0"
assert_contains "$OUT" "ESTABLISHED" "the fake's IKE SA is listed"

step "hang: the request times out"
fake_mode hang
run_status
assert_eq "$RC" 1 "status fails"
assert_contains "$OUT" "timed out waiting for charon" "the error says charon did not answer"
assert_le "$SECS" "$STATUS_DEADLINE_S" "status gave up at its deadline"

step "close and truncate: charon went away"
for m in close truncate; do
	fake_mode "$m"
	run_status
	assert_eq "$RC" 1 "status fails ($m)"
	assert_contains "$OUT" "charon closed the VICI connection" "the error says charon closed ($m)"
done

step "wrong nesting: a malformed message is named, not trusted"
fake_mode nest
run_status
assert_eq "$RC" 1 "status fails"
assert_contains "$OUT" "malformed VICI packet from charon" "the error names the malformed packet"

step "drip: bytes keep coming, never the answer; the deadline still holds"
fake_mode drip
run_status
assert_eq "$RC" 1 "status fails (124 would mean it never gave up)"
assert_contains "$OUT" "timed out waiting for charon" "the error says charon did not answer"
assert_le "$SECS" "$STATUS_DEADLINE_S" "status gave up at its deadline"

step "flood: events without end; memory stays bounded"
fake_mode flood
run_status
assert_eq "$RC" 1 "status fails"
assert_contains "$OUT" "bytes of list-sa events for one command" "the error names the stream bound"
assert_le "$RSS_KB" "$FLOOD_MAX_RSS_KB" "status's peak memory"

echo "all VICI fault checks passed"
