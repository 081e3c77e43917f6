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

# Packets on con1's UDP (IKE) rules. The SA can be established before side a's table exists
# (b initiates while a's apply runs), so the first counted packets may be a later exchange
# (DPD every 10 s): wait for the count, not for a time.
udp_packets() { python3 -c 'import json,sys; r=json.load(sys.stdin)["rules"]; print(sum(x["packets"] for x in r if "udp dport" in x["match"] and x["name"]=="con1"))'; }
n=0
for ((i = 0; i < 300; i++)); do
	n=$(on a "$TC" firewall show --json | udp_packets)
	[ "$n" -gt 0 ] && break
	sleep 0.1
done
[ "$n" -gt 0 ] || die "no packets counted on the UDP rule in 30 s"
echo "ok: the UDP rule counted the peer's IKE packets ($n)"
step "an apply that leaves the firewall as it is does not rebuild the table (counters kept)"
before=$(on a "$TC" firewall show --json | udp_packets)
sed 's/dpd_delay = 10s/dpd_delay = 20s/' "$ROOT/examples/lab-a.conf" >"$TMP/dpd.conf"
out=$(on a "$TC" apply -c "$TMP/dpd.conf")
assert_contains "$out" "~ con1" "the connection changed"
after=$(on a "$TC" firewall show --json -c "$TMP/dpd.conf" | udp_packets)
[ "$after" -ge "$before" ] || die "UDP counter went from $before to $after: the table was rebuilt"
echo "ok: counter $before -> $after, the table was left alone"

step "a table deleted by hand is put back by the next apply, even with the file unchanged"
on a nft delete table inet tunnelctl
on a "$TC" apply -c "$TMP/dpd.conf" >/dev/null
out=$(on a "$TC" firewall show --json -c "$TMP/dpd.conf")
assert_contains "$out" '"present": true' "table back"
assert_contains "$out" '"name": "con1"' "with con1's rules"

step "a new peer in the file: the table is rebuilt with its rules"
sed '$d' "$TMP/dpd.conf" >"$TMP/two.conf"
cat >>"$TMP/two.conf" <<'CONF'
    2 {
        local_address = 192.0.2.1
        remote_gateway = 198.51.100.77
        psk = "another-peer-secret-0123456789"
        start_action = none
        phase2 {
            2 {
                local = 10.1.2.0/24
                remote = 10.77.0.0/24
            }
        }
    }
}
CONF
on a "$TC" apply -c "$TMP/two.conf" >/dev/null
out=$(on a "$TC" firewall show --json -c "$TMP/two.conf")
assert_contains "$out" '"name": "con2"' "the new peer's rules are there"
assert_contains "$out" "198.51.100.77" "for its address"

# a copy: the lab's TUNNELCTL_CONF is the example file itself
sed 's/^global {/global {\n\tfirewall = off/' "$ROOT/examples/lab-a.conf" >"$TMP/off.conf"
step "apply --no-firewall (staging, tests): the table is left as it is, even with firewall = off"
on a "$TC" apply --no-firewall -c "$TMP/off.conf" >/dev/null
out=$(on a "$TC" firewall show --json -c "$TMP/two.conf")
assert_contains "$out" '"present": true' "table kept by apply --no-firewall"
assert_contains "$out" '"name": "con2"' "with the rules it had"

step "global.firewall = off, apply again: the table is gone"
on a "$TC" apply -c "$TMP/off.conf" >/dev/null
out=$(on a "$TC" firewall show --json -c "$TMP/off.conf")
assert_contains "$out" '"present": false' "table removed by apply with firewall = off"
echo "all firewall-apply checks passed"
