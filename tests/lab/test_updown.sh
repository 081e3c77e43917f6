#!/usr/bin/env bash
# up/down against real charons: by conN and conN_M for an IKEv2 merged and an IKEv1 split
# phase 1, the attempt's log lines, the one-line result and exit codes, manual-down marks,
# --ike/--child, `all`, a failing up (its AUTH_FAILED lines shown), Ctrl-C ending a half-open
# IKE SA, unknown names, and a stopped charon.
source "$(dirname "$0")/lib.sh"
lab_begin

pair_conf a none updown 2 >"$TMP/a.conf"
pair_conf b none updown 2 >"$TMP/b.conf"
sas() { on a sh -c 'swanctl --list-sas --uri "$TUNNELCTL_VICI" 2>/dev/null'; }
marked() { on a sh -c 'ls "$TUNNELCTL_STATE_DIR/down" 2>/dev/null | sort | tr "\n" " "'; }
run() { set +e; out=$(on a "$TC" "$@" 2>&1); rc=$?; set -e; echo "$out"; }

step "lab up, nothing started"
lab up "$TMP/a.conf" "$TMP/b.conf" >/dev/null
[ -z "$(sas | grep ESTABLISHED)" ] || die "nothing should be up before 'up'"

step "up con1 (IKEv2 merged): log lines of the attempt, one result line, exit 0"
run up con1
assert_eq "$rc" 0 "up con1 exits 0"
assert_contains "$out" "[IKE] initiating IKE_SA con1[" "the attempt's log lines are streamed"
assert_contains "$out" "con1: up: IKE SA #" "one-line result"
assert_not_contains "$out" "con2" "no lines of other tunnels"
assert_contains "$(sas)" "con1: #" "swanctl sees con1"
assert_contains "$(sas | grep '^  con1:')" "INSTALLED" "the merged child con1 is installed"

step "up con1 again: already up, no duplicate child SA"
run up con1
assert_eq "$rc" 0 "up con1 again exits 0"
assert_contains "$out" "con1: already up" "it says so"
assert_eq "$(sas | grep -c '^  con1: #')" 1 "still one child SA con1"

step "up con2_3 (IKEv1 split): that child only"
run up con2_3 --quiet
assert_eq "$rc" 0 "up con2_3 exits 0"
assert_eq "$out" "$(echo "$out" | grep '^con2_3: up: ')" "--quiet prints only the result"
assert_contains "$(sas)" "con2_3: #" "con2_3 is up"
assert_not_contains "$(sas)" "con2_4: #" "con2_4 is not"

step "up Branch (description = con2): every child of the split phase 1"
run up Branch
assert_eq "$rc" 0 "up Branch exits 0"
assert_contains "$out" "con2_4: up: " "con2_4 comes up"
assert_contains "$(sas)" "con2_4: #" "swanctl sees con2_4"

step "down con2_4: only that child, marked manually down"
run down con2_4
assert_eq "$rc" 0 "down con2_4 exits 0"
assert_contains "$out" "con2_4: down" "result line"
assert_not_contains "$(sas)" "con2_4: #" "con2_4 is gone"
assert_contains "$(sas)" "con2_3: #" "con2_3 stays"
assert_eq "$(marked)" "con2_4 " "manual-down mark for con2_4"
assert_contains "$(on a "$TC" status con2_4)" "manual down" "status shows the mark"

step "down con1 --child keeps the IKE SA; down con1 takes it"
run down con1 --child
assert_eq "$rc" 0 "down con1 --child exits 0"
assert_contains "$(sas)" "con1: #" "con1's IKE SA stays"
assert_not_contains "$(sas | grep '^  con1:' || true)" "INSTALLED" "the child con1 is gone"
run down con1
assert_eq "$rc" 0 "down con1 exits 0"
assert_not_contains "$(sas)" "con1: #" "con1's IKE SA is gone"
assert_eq "$(marked)" "con1 con2_4 " "marks for con1 and con2_4"
run down con1
assert_eq "$rc" 0 "down of a tunnel that is down is fine"

step "up con2 clears its children's marks; up con1 clears con1's"
run up con2 --quiet
assert_eq "$rc" 0 "up con2 exits 0"
assert_eq "$(marked)" "con1 " "only con1 stays marked"
run up 1 --quiet
assert_eq "$rc" 0 "up 1 exits 0"
assert_eq "$(marked)" "" "no marks left"

step "usage errors: unknown name, --ike with a child, --child on a split phase 1"
run up con9
assert_eq "$rc" 2 "unknown name exits 2"
assert_contains "$out" "no tunnel 'con9'" "it says which name"
run up con2_3 --ike
assert_eq "$rc" 2 "--ike with conN_M exits 2"
run down con2 --child
assert_eq "$rc" 2 "--child on a split conN exits 2"

step "down all, then up with the peer gone: failure in one line, exit 1"
run down all
assert_eq "$rc" 0 "down all exits 0"
[ -z "$(sas | grep ESTABLISHED)" ] || die "down all left SAs"

step "up con1 with B's PSK changed: the peer's AUTH_FAILED lines come before the result"
sed 's/updown-first-secret-0123456789/updown-changed-on-b-0123456789/' "$TMP/b.conf" >"$TMP/b-psk.conf"
lab apply b "$TMP/b-psk.conf" >/dev/null
run up con1 --timeout 5
assert_eq "$rc" 1 "up with a wrong PSK exits 1"
assert_contains "$out" "[ENC] parsed IKE_AUTH response 1 [ N(AUTH_FAILED) ]" "the peer's answer is shown"
assert_contains "$out" "[IKE] received AUTHENTICATION_FAILED notify error" "charon's reading of it is shown"
assert_eq "$(echo "$out" | tail -n 1 | cut -d: -f1-2)" "con1: not up (IKE SA absent, child absent)" \
	"the result line comes last"
lab apply b "$TMP/b.conf" >/dev/null

lab stop-charon b >/dev/null
run up con1 --timeout 3
assert_eq "$rc" 1 "up without a peer exits 1"
assert_contains "$out" "con1: not up" "the result says it is not up"
assert_contains "$out" "retransmit" "charon's retransmits are shown"

step "Ctrl-C during up terminates the half-open IKE SA it started"
run down con1
assert_not_contains "$(sas)" "con1: #" "the last attempt's IKE SA is gone"
on a sh -c 'echo $$ >"$0"; exec "$1" up con1 --timeout 60' "$TMP/up.pid" "$TC" >"$TMP/up.out" 2>&1 &
upjob=$!
for ((i = 0; i < 50; i++)); do
	grep -q "retransmit 1 of request" "$TMP/up.out" && break
	sleep 0.1
done
assert_contains "$(sas)" "con1: #" "the half-open IKE SA con1 is there while up waits"
kill -INT "$(cat "$TMP/up.pid")"
set +e
wait "$upjob"
rc=$?
set -e
out=$(cat "$TMP/up.out")
assert_eq "$rc" 1 "an interrupted up exits 1"
assert_contains "$out" "con1: terminated the half-open IKE SA con1[" "it says what it ended"
assert_not_contains "$(sas)" "con1: #" "charon does not keep retrying con1"

step "no secret in any output"
assert_not_contains "$out$(on a "$TC" up con2 --timeout 2 2>&1 || true)" "secret-0123" "no PSK in up/down output"

step "charon not running: clear error, exit 1"
lab stop-charon a >/dev/null
run up con1
assert_eq "$rc" 1 "up exits 1 without charon"
assert_contains "$out" "charon is not running" "the error says so"
echo "all up/down checks passed"
