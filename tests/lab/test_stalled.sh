#!/usr/bin/env bash
# up but dead without ping hosts (issue 17 item 5), against real charons: con1 is up and A
# pings B's LAN through it (the test's traffic, no ping_host configured). Then every ESP packet
# arriving at A is dropped (lab impair a drop-esp in): IKE and DPD still work, the child SA
# stays INSTALLED, A keeps sending, nothing comes back. A's daemon must see it from the child
# SA's counters (packets out growing, packets in flat for 3 checks), restart the child, and
# once the restarted child stalls too, hold back (one stall restart per 5 min); status,
# history, /metrics and /api/history say so. Once ESP passes again, traffic flows and no
# further restart happens. With stall_action = report the same stall is said once and the
# child is never restarted.
source "$(dirname "$0")/lib.sh"
lab_begin

watched_conf a stall 10.87.0 10.88.0 >"$TMP/a.conf"
watched_conf b stall 10.87.0 10.88.0 >"$TMP/b.conf"

DLOG=$LAB_DIR/a/daemon.log

child_uid() { child_uid_of "$1" con1; }
child_up() { [ -n "$(child_uid a)" ]; }
logged() { grep -q -- "$1" "$DLOG"; }
count_logged() { grep -c -- "$1" "$DLOG" || true; }
metrics() { on a curl -s "http://127.0.0.1:8714/metrics"; }
metrics_has() { metrics | grep -qF -- "$1"; }
packets_in() { on a "$TC" status --json con1 | jq -r '.ike_sas[0].children[0].packets_in // 0'; }
grows_in() { local p; p=$(packets_in); sleep 1; [ "$(packets_in)" -gt "$p" ]; }

step "lab up; A's daemon brings con1 up; A pings B's LAN through it"
lab up "$TMP/a.conf" "$TMP/b.conf" --wait 1 >/dev/null
lab daemon a >/dev/null
wait_for 15 "con1 up through the daemon" child_up
on a ping -q -i 0.2 -I 10.87.0.1 10.88.0.1 >/dev/null 2>&1 &
PING=$!
wait_for 5 "replies come back through con1" grows_in
sleep 4
assert_eq "$(count_logged 'con1: stalled:')" 0 "no stall while replies come back"

step "A drops every ESP packet arriving (one way): sending into a dead tunnel"
u=$(child_uid a)
lab impair a drop-esp in >/dev/null
wait_for 15 "the daemon says con1 stalled" logged "con1: stalled: sending into a dead tunnel"
wait_for 5 "and restarts the child" logged "con1: restart: stalled (packets out, none in)"
grep 'con1: stalled:' "$DLOG" | head -1
wait_for 20 "the restarted child stalls too: restart held back (rate limit)" logged "restart held back"
assert_eq "$(count_logged 'con1: restart:')" 1 "one stall restart, not one per check"
assert_ne() { [ "$1" != "$2" ] || die "$3: did not expect '$2'"; echo "ok: $3"; }
assert_ne "$(child_uid a)" "$u" "the child SA was replaced"

step "status, history, /metrics and /api/history say so"
st=$(on a "$TC" status --json con1)
assert_eq "$(echo "$st" | jq -r '.ike_sas[0].children[0].keepalive.stall_restarts')" 1 "status: one stall restart"
assert_eq "$(echo "$st" | jq -r '.ike_sas[0].children[0].keepalive.last_action')" stalled "status: last action stalled"
assert_contains "$(on a "$TC" status --wide con1)" "INSTALLED (stalled, 1 stall restart)" "status's table says stalled"
h=$(on a "$TC" history --json con1)
echo "$h" | jq -r '.tunnels[0].events[] | [.event, .reason] | @tsv'
assert_eq "$(echo "$h" | jq -r '[.tunnels[0].events[].event] | index("stalled") < index("restart")')" true "history: stalled, then restart"
wait_for 8 "/metrics: stall restarts" metrics_has 'tunnelctl_child_stall_restarts_total{tunnel="con1",child="con1"} 1'
wait_for 3 "/metrics: availability over 24 h" metrics_has 'tunnelctl_child_availability_ratio{child="con1",window="24h"} '
wait_for 3 "/metrics: outages over 24 h" metrics_has 'tunnelctl_child_outages{child="con1",window="24h"} '
api=$(on a curl -s "http://127.0.0.1:8714/api/history")
assert_eq "$(echo "$api" | jq -r '.history.con1.recent | map(.event) | index("stalled") != null')" true "/api/history has the stall"
assert_eq "$(echo "$api" | jq -r '.history.con1.day.outages >= 1')" true "/api/history counts the outage"

step "ESP passes again: traffic flows, no further restart"
n=$(count_logged 'con1: restart:')
lab impair a clear >/dev/null
wait_for 10 "replies come back again" grows_in
sleep 6
assert_eq "$(count_logged 'con1: restart:')" "$n" "no restart once replies come back"
assert_eq "$(count_logged 'con1: up: packets come back')" 1 "the daemon says packets come back"
hist_state() { on a "$TC" history --json con1 | jq -r '.tunnels[0].state'; }
assert_eq "$(hist_state)" up "history: up again"

step "stall_action = report (a one-way tunnel): said once, never restarted"
sed 's/keepalive = yes/keepalive = yes\n                stall_action = report/' "$TMP/a.conf" >"$TMP/a-report.conf"
grep -q 'stall_action = report' "$TMP/a-report.conf" || die "the report config lacks its key"
lab apply a "$TMP/a-report.conf" >/dev/null
sleep 3	# the daemon follows the applied file at its next check
n=$(count_logged 'con1: restart:')
held=$(count_logged 'restart held back')
lab impair a drop-esp in >/dev/null
wait_for 15 "the daemon reports the stall" logged "not restarted (stall_action = report)"
sleep 8	# four more checks of the same stall
assert_eq "$(count_logged 'con1: restart:')" "$n" "no restart with stall_action = report"
# within 5 min of the last restart the rate limit alone would also hold one back: it must not
# be what kept the child
assert_eq "$(count_logged 'restart held back')" "$held" "not the rate limit: the report path"
assert_eq "$(count_logged 'stall_action = report')" 1 "said once per stretch"
lab impair a clear >/dev/null
wait_for 10 "replies come back again" grows_in
kill "$PING" 2>/dev/null || true
echo "--- the daemon's decisions"
cat "$DLOG"
echo "all stall checks passed"
