#!/usr/bin/env bash
# firewall through apply: `tunnelctl apply` keeps the table in step with the tunnel file, and
# global.firewall = off removes it; the tunnel comes up through our rules' counters.
source "$(dirname "$0")/lib.sh"
lab_begin

step "lab up with the example pair (runs tunnelctl apply on both sides)"
lab up "$ROOT/examples/lab-a.conf" "$ROOT/examples/lab-b.conf" >/dev/null
wait_ike a con1 || die "con1 did not come up"

step "apply wrote the table: rules for con1 whose counters saw the IKE exchange"
out=$(on a "$TC" firewall show --json)
assert_contains "$out" '"present": true' "table present after apply"
assert_contains "$out" '"name": "con1"' "rules carry the tunnel name"
python3 -c 'import json,sys; r=json.load(sys.stdin)["rules"]; u=[x for x in r if "udp dport" in x["match"]]; assert u and u[0]["packets"]>0, r' <<<"$out" ||
	die "no packets counted on the UDP rule"
echo "ok: the UDP rule counted the peer's IKE packets"

step "global.firewall = off, apply again: the table is gone"
# a copy: the lab's TUNNELCTL_CONF is the example file itself
sed 's/^global {/global {\n\tfirewall = off/' "$ROOT/examples/lab-a.conf" >"$TMP/off.conf"
on a "$TC" apply -c "$TMP/off.conf" >/dev/null
out=$(on a "$TC" firewall show --json -c "$TMP/off.conf")
assert_contains "$out" '"present": false' "table removed by apply with firewall = off"
echo "all firewall-apply checks passed"
