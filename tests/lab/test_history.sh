#!/usr/bin/env bash
# tunnelctl history (issue 17 item 3) against real charons: A's daemon records what happens to
# con1 through three faults (B closes the child; B's PSK changes for a while; an
# administrator's down/up), and `tunnelctl history` must tell the timeline and the
# availability from it: two outages, both recovered, the manual stretch not counted as one,
# the doctor's class for the second. Then the daemon stops and says so in the timeline.
source "$(dirname "$0")/lib.sh"
lab_begin

watched_conf a history 10.83.0 10.84.0 >"$TMP/a.conf"
watched_conf b history 10.83.0 10.84.0 >"$TMP/b.conf"

DLOG=$LAB_DIR/a/daemon.log

child_uid() { child_uid_of "$1" con1; }
child_up() { [ -n "$(child_uid a)" ]; }
hist() { on a "$TC" history --json con1; }
# jq over A's history of con1
hq() { hist | jq -r "$1"; }
events() { hq '[.tunnels[0].events[].event] | join(" ")'; }
has_event() { events | grep -qw -- "$1"; }
n_event() { hq "[.tunnels[0].events[] | select(.event == \"$1\")] | length"; }
state_is() { [ "$(hq '.tunnels[0].state')" = "$1" ]; }
child_down() { ! child_up; }
child_new() { local u; u=$(child_uid a); [ -n "$u" ] && [ "$u" != "$1" ]; }
reinitiated() { has_event initiate && [ "$(n_event up)" -ge 2 ]; }
ike_rekeyed() { hq '.tunnels[0].events[] | select(.event == "rekey") | .reason' | grep -q '^ike-rekey'; }
# the daemon has recorded con1 up again since the doctor's verdict
up_since_verdict() { [ "$(hq '[.tunnels[0].events[].event] | (indices("up") | last // -1) > (indices("verdict") | last // -1)')" = true ]; }

step "no timeline yet: history says so (exit 1)"
lab up "$TMP/a.conf" "$TMP/b.conf" --wait 1 >/dev/null
rc=0
out=$(on a "$TC" history 2>&1) || rc=$?
assert_eq "$rc" 1 "history exits 1 before anything was recorded"
assert_contains "$out" "no timeline recorded yet" "history says nothing was recorded"

step "A's daemon brings con1 up: up is recorded"
lab daemon a >/dev/null
wait_for 15 "con1 up through the daemon" child_up
wait_for 8 "the timeline says con1 is up" state_is up
# the running daemon's mark (a killed one's next start ends its timelines there)
wait_for 8 "the daemon's alive mark" test -s "$LAB_DIR/a/state/history/.alive"

step "fault 1: B closes the child; the daemon re-initiates it"
u=$(child_uid a)
on b sh -c 'swanctl --terminate --child con1 --uri "$TUNNELCTL_VICI" >/dev/null 2>&1'
wait_for 10 "con1 re-established" child_new "$u"
wait_for 8 "the timeline has the initiate and the second up" reinitiated

step "a rekey of the child is recorded"
on a sh -c 'swanctl --rekey --child con1 --uri "$TUNNELCTL_VICI" >/dev/null 2>&1'
wait_for 8 "rekey recorded" has_event rekey

step "an IKE rekey is recorded for the child too"
on a sh -c 'swanctl --rekey --ike con1 --uri "$TUNNELCTL_VICI" >/dev/null 2>&1'
wait_for 8 "IKE rekey recorded" ike_rekeyed

step "fault 2: B's PSK changes and B closes the IKE SA: A is refused until B's PSK is back"
sed 's/history-lab-secret-0123456789/another-secret-for-b-0123456789/' "$TMP/b.conf" >"$TMP/b-bad.conf"
lab apply b "$TMP/b-bad.conf" >/dev/null
on b sh -c 'swanctl --terminate --ike con1 --uri "$TUNNELCTL_VICI" >/dev/null 2>&1'
wait_for 10 "con1 gone on A" child_down
wait_for 15 "the doctor's verdict is recorded" has_event verdict
lab apply b "$TMP/b.conf" >/dev/null
wait_for 20 "con1 back once B's PSK is restored" child_up
wait_for 8 "the timeline says up again" state_is up
wait_for 8 "the timeline records the recovery before the manual part" up_since_verdict

step "manual: tunnelctl down, then up, on A"
on a "$TC" down con1 >/dev/null
sleep 1
on a "$TC" up con1 >/dev/null
wait_for 8 "manual-up recorded" has_event manual-up

step "what history says"
j=$(hist)
echo "$j" | jq -c '.tunnels[0] | {state, day: .day | {percent_up, outages, recovered, mttr_seconds, manual_seconds}}'
echo "$j" | jq -r ".tunnels[0].events[] | [.event, .class, .reason] | @tsv"
assert_eq "$(echo "$j" | jq -r '.tunnels[0].state')" up "con1 is up now"
assert_eq "$(echo "$j" | jq -r '.tunnels[0].day.outages')" 2 "two outages in the last 24 h (the manual down is none)"
assert_eq "$(echo "$j" | jq -r '.tunnels[0].day.recovered')" 2 "both recovered"
assert_eq "$(echo "$j" | jq -r '.tunnels[0].day.mttr_seconds | type')" number "a mean time to recover"
assert_eq "$(echo "$j" | jq -r '.tunnels[0].day.manual_seconds >= 1')" true "manually down time counted apart"
assert_eq "$(echo "$j" | jq -r '.tunnels[0].day.percent_up < 100')" true "less than 100 % up"
cls=$(echo "$j" | jq -r '[.tunnels[0].events[] | select(.event == "verdict") | .class][0]')
echo "verdict recorded: $cls"
assert_eq "$(echo "$j" | jq -r '[.tunnels[0].events[] | select(.event == "verdict")][0].class | test("^[a-z_]+$")')" true "the verdict carries the doctor's class"
assert_eq "$(echo "$j" | jq -r '.tunnels[0].events | map(.event) | index("manual-down") < index("manual-up")')" true "manual-down before manual-up"
txt=$(on a "$TC" history con1)
echo "$txt"
assert_contains "$txt" "24H UP" "the text summary has the availability columns"
assert_contains "$txt" "manual-down" "the text timeline lists the manual down"
txt=$(on a "$TC" history HQ)
assert_contains "$txt" "con1" "history accepts the phase 1 description"
rc=0
on a "$TC" history con9 >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 2 "an unknown tunnel is a usage error"

step "the daemon stops: the timeline says so, and the state is unknown from then on"
kill -TERM "$(cat "$LAB_DIR/a/daemon.pid")"
wait_for 10 "stop recorded" has_event stop
assert_eq "$(test -e "$LAB_DIR/a/state/history/.alive" && echo kept || echo removed)" removed \
	"a clean stop removes the alive mark"
assert_eq "$(hq '.tunnels[0].state')" unknown "nothing known while the daemon is stopped"
echo "all history checks passed"
