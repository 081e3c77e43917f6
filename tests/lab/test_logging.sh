#!/usr/bin/env bash
# logging: `logging set` changes what a running charon logs (reload-settings), `reset` goes
# back to the tunnel file's levels, and bad arguments change nothing.
source "$(dirname "$0")/lib.sh"
lab_begin

frag() { on a sh -c 'cat "$TUNNELCTL_OUT_DIR/etc/strongswan.d/tunnelctl.conf"'; }
# the file log the fragment configures (not the lab's own log, whose levels are fixed)
ourlog() { on a sh -c 'cat "$TUNNELCTL_OUT_DIR/var/log/charon.log"'; }
log_after() { ourlog | tail -n +"$(($1 + 1))"; }
log_lines() { ourlog | wc -l; }
# make charon do IKE work: rekey the IKE SA and wait for the new one
rekey() {
	local old
	old=$(ike_uid a con1)
	on a sh -c 'swanctl --rekey --ike con1 --uri "$TUNNELCTL_VICI" >/dev/null 2>&1'
	for _ in $(seq 100); do
		[ -n "$(ike_uid a con1)" ] && [ "$(ike_uid a con1)" != "$old" ] && return 0
		sleep 0.1
	done
	die "con1 was not rekeyed"
}

step "lab up with the example pair"
lab up "$ROOT/examples/lab-a.conf" "$ROOT/examples/lab-b.conf" >/dev/null
wait_ike a con1 || die "con1 did not come up"

step "logging show: pfSense's defaults and names"
out=$(on a "$TC" logging show)
assert_contains "$out" "ike       2      Diag" "ike at 2 Diag"
assert_contains "$out" "enc       1      Control" "enc at 1 Control"
assert_not_contains "$out" "OVERRIDE" "no override yet"

step "enc at 1 (Control): a rekey logs message generation"
n=$(log_lines)
rekey
assert_contains "$(log_after "$n")" "[ENC]" "ENC lines at level 1"

step "logging set enc=Silent ike=4: applied at runtime"
out=$(on a "$TC" logging set enc=Silent ike=4)
assert_contains "$out" "enc       -1     Silent" "set shows enc -1 Silent"
assert_contains "$out" "OVERRIDE" "set marks the override"
assert_contains "$(frag)" "enc = -1" "the fragment holds enc = -1"
n=$(log_lines)
rekey
after=$(log_after "$n")
assert_contains "$after" "[IKE]" "IKE lines still logged"
assert_not_contains "$after" "[ENC]" "no ENC lines after set, without restarting charon"
assert_contains "$(on a "$TC" logging show --json)" '"level": 4' "show --json reads the levels back"

step "bad arguments change nothing"
set +e
on a "$TC" logging set enc=1 ike=9 >/dev/null 2>&1
rc=$?
set -e
assert_eq "$rc" 2 "a bad level exits 2"
assert_contains "$(frag)" "enc = -1" "enc still -1 after a rejected set"

step "logging reset: back to global.logging"
out=$(on a "$TC" logging reset)
assert_not_contains "$out" "OVERRIDE" "no override after reset"
assert_contains "$(frag)" "enc = 1" "fragment back to enc = 1"
n=$(log_lines)
rekey
assert_contains "$(log_after "$n")" "[ENC]" "ENC lines again after reset"
echo "all logging checks passed"
