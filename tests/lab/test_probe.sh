#!/usr/bin/env bash
# probe against real charons: a healthy pair (IKEv2 merged con1, IKEv1 split con2) rekeys its
# CHILD_SAs and IKE SA on request and stays up and passing traffic; a PFS mismatch (b without
# PFS: the first CHILD_SA comes up since IKE_AUTH has no key exchange) fails the child rekey now
# and the doctor names pfs_mismatch with evidence; --all, --json, usage errors.
source "$(dirname "$0")/lib.sh"
lab_begin

pair_conf a none probe >"$TMP/a.conf"
pair_conf b none probe >"$TMP/b.conf"
sas() { on "$1" sh -c 'swanctl --list-sas --uri "$TUNNELCTL_VICI" 2>/dev/null'; }
run() { set +e; out=$(on a "$TC" "$@" 2>&1); rc=$?; set -e; echo "$out"; }

step "lab up, both tunnels up"
lab up "$TMP/a.conf" "$TMP/b.conf" --wait 0 >/dev/null
on a "$TC" up con1 --quiet >/dev/null
on a "$TC" up con2 --quiet >/dev/null
uid1=$(ike_uid a con1)
child1=$(sas a | sed -n 's/^  con1: #\([0-9]*\), .*INSTALLED.*/\1/p' | head -1)
[ -n "$uid1" ] && [ -n "$child1" ] || die "con1 is not up before the probe"

step "probe con1 (IKEv2): child and IKE SA rekeyed, traffic statement first, exit 0"
run probe con1
assert_eq "$rc" 0 "probe con1 exits 0"
first=$(echo "$out" | grep -n 'traffic keeps flowing' | cut -d: -f1)
rekeyed=$(echo "$out" | grep -n 'rekeyed' | head -1 | cut -d: -f1)
[ -n "$first" ] && [ "$first" -lt "$rekeyed" ] || die "the traffic statement must come before the rekeys"
assert_contains "$out" "ok: CHILD_SA con1{$child1} rekeyed" "the child con1 was rekeyed"
assert_contains "$out" "ok: IKE SA con1[$uid1] rekeyed" "the IKE SA was rekeyed"
assert_contains "$out" "con1: still up: IKE SA con1[" "still up after the probe"
uid1b=$(ike_uid a con1)
child1b=$(sas a | sed -n 's/^  con1: #\([0-9]*\), .*INSTALLED.*/\1/p' | head -1)
[ -n "$uid1b" ] && [ "$uid1b" != "$uid1" ] || die "swanctl: con1's IKE SA was not replaced ($uid1 -> '$uid1b')"
[ -n "$child1b" ] && [ "$child1b" != "$child1" ] || die "swanctl: child con1 was not replaced ($child1 -> '$child1b')"
assert_contains "$out" "IKE SA con1[$uid1b] established" "the probe's after-state agrees with swanctl"
p=$(lab ping con1 2>&1) || die "no traffic through con1 after the probe: $p"
echo "ok: traffic passes through con1 after the probe"

step "probe --all --json: both tunnels (IKEv1 con2: two split children, IKE SA re-authenticated)"
set +e; json=$(on a "$TC" probe --all --json 2>&1); rc=$?; set -e
echo "$json"
assert_eq "$rc" 0 "probe --all exits 0"
assert_eq "$(jq -r '[.tunnels[].tunnel] | sort | join(" ")' <<<"$json")" "con1 con2" "both tunnels probed"
assert_eq "$(jq -r '[.tunnels[] | .ok and .still_up] | all' <<<"$json")" "true" "both ok and still up"
assert_eq "$(jq -r '.tunnels[] | select(.tunnel=="con2") | [.steps[] | select(.rekey=="child") | .name] | sort | join(" ")' <<<"$json")" \
	"con2_3 con2_4" "con2's two children rekeyed"
assert_eq "$(jq -r '.tunnels[] | select(.tunnel=="con2") | .ike_version' <<<"$json")" "1" "con2 is IKEv1"
[ -n "$(ike_uid a con2)" ] || die "con2 is not up after the probe"
p=$(lab ping con1 2>&1) || die "no traffic through con1 after --all: $p"

step "PFS mismatch: b answers without PFS; the tunnel comes up, the probe's child rekey fails"
sed 's/^\(                remote = 10\.1\.[01]\.0\/24\)$/\1\n                pfs_group = 0/' "$TMP/b.conf" >"$TMP/b-nopfs.conf"
[ "$(grep -c 'pfs_group = 0' "$TMP/b-nopfs.conf")" -eq 2 ] || die "b-nopfs.conf: PFS off on con1's two entries"
lab apply b "$TMP/b-nopfs.conf" >/dev/null
on a "$TC" down con1 --quiet >/dev/null
on a "$TC" up con1 --quiet >/dev/null || die "con1 does not come up with b without PFS"
run probe con1
assert_eq "$rc" 1 "probe of the PFS mismatch exits 1"
assert_contains "$out" "FAILED: rekey failed" "the child rekey failed"
assert_contains "$out" "[pfs_mismatch]" "the doctor names the PFS mismatch"
assert_contains "$out" "NO_PROPOSAL_CHOSEN" "with the peer's refusal as evidence"
assert_contains "$out" "pfs_group must be the same on both sides" "and the fix"
assert_contains "$out" "con1: still up:" "the old CHILD_SA stays up meanwhile"
set +e; json=$(on a "$TC" probe con1 --json 2>&1); rc=$?; set -e
assert_eq "$rc" 1 "probe --json of the PFS mismatch exits 1"
assert_eq "$(jq -r '.tunnels[0].verdict.class' <<<"$json")" "pfs_mismatch" "--json names the class"
assert_eq "$(jq -r '.tunnels[0].steps[] | select(.rekey=="child") | .ok' <<<"$json")" "false" "--json: the child step failed"

step "usage and not-up errors"
run probe con9
assert_eq "$rc" 2 "unknown name exits 2"
run probe
assert_eq "$rc" 2 "no NAME exits 2"
run probe con1 --timeout 0
assert_eq "$rc" 2 "bad --timeout exits 2"
on a "$TC" down con2_3 --quiet >/dev/null
on a "$TC" down con2_4 --quiet >/dev/null
[ -n "$(ike_uid a con2)" ] || die "con2's IKE SA went with its children: the next check cannot run"
run probe con2
assert_eq "$rc" 1 "an IKE SA without CHILD_SAs exits 1"
assert_contains "$out" "no CHILD_SA is installed, so no traffic passes" "and says nothing passes"
on a "$TC" down con2 --quiet >/dev/null
run probe con2
assert_eq "$rc" 1 "a tunnel that is down exits 1"
assert_contains "$out" "con2 is not up" "and says so"
echo "PASS"
