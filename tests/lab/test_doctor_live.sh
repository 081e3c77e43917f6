#!/usr/bin/env bash
# tests/lab/test_doctor_live.sh - doctor --live against a real charon in a lab namespace: each
# fault created here (UDP 500 dropped by an nftables table of this test's own, charon stopped,
# kernel-libipsec not loaded, bypass_networks under kernel-libipsec)
# is reported as a problem with its fix, and reported ok once undone. Also doctor --config/
# --peer-config on the lab's own files agree with the live tunnel. Root only.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
export TUNNELCTL_LAB_DIR=/run/tunnelctl-lab-dlive-$$
export TUNNELCTL_LAB_PREFIX=tdl$$
TABLE=tcdoctor$$

lab_begin
# live CHECK: the status of one check in side a's doctor --live --json
live_json() { on a "$TC" doctor --live --json || true; }
status_of() { python3 -c 'import json,sys; j=json.load(sys.stdin); print([c["status"] for c in j["live"] if c["check"]==sys.argv[1]][0])' "$1"; }

step "lab up with the example pair"
lab up "$ROOT/examples/lab-a.conf" "$ROOT/examples/lab-b.conf" --wait 15 >/dev/null
wait_ike a con1 15 || die "con1 did not come up"

step "healthy: charon, UDP 500/4500 and the firewall are ok"
out=$(live_json)
assert_eq "$(status_of charon <<<"$out")" ok "charon answers over VICI"
assert_eq "$(status_of udp500 <<<"$out")" ok "UDP 500 bound"
assert_eq "$(status_of udp4500 <<<"$out")" ok "UDP 4500 bound"
assert_eq "$(status_of firewall <<<"$out")" ok "no drop rule"
assert_eq "$(status_of esp <<<"$out")" ok "ESP via kernel-libipsec"
human=$(on a "$TC" doctor --live || true)
assert_contains "$human" "IKE SA established" "live lists the established SA"
assert_contains "$human" "con1: " "live also judges charon's own log (a verdict for con1)"

step "fault: an nftables table of this test drops UDP 500 in side a's namespace"
on a nft -f - <<NFT
table inet $TABLE {
	chain input {
		type filter hook input priority 0; policy accept;
		udp dport 500 drop
	}
}
NFT
out=$(live_json)
assert_eq "$(status_of firewall <<<"$out")" problem "the drop rule is a problem"
human=$(on a "$TC" doctor --live || true)
assert_contains "$human" "inet $TABLE input" "the report names our table and chain"
assert_contains "$human" "drops UDP 500" "the report says what is dropped"
assert_contains "$human" "fix: accept UDP 500" "the report gives the fix"
set +e; on a "$TC" doctor --live >/dev/null; rc=$?; set -e
assert_eq "$rc" 1 "exit status 1 with a problem"

step "fixed: the table is removed, the firewall check is ok again"
on a nft delete table inet "$TABLE"
out=$(live_json)
assert_eq "$(status_of firewall <<<"$out")" ok "firewall ok after the fix"

step "fault: an expired certificate loaded on side a is named by its subject"
mkdir -p "$TMP/old"
(
	cd "$TMP/old"
	umask 077
	pki --gen --type ecdsa --size 256 --outform pem >ca.key
	pki --self --ca --lifetime 3650 --in ca.key --type ecdsa --dn "C=CH, O=tunnelctl, CN=old test CA" --outform pem >ca.crt
	pki --gen --type ecdsa --size 256 --outform pem >gw.key
	pki --pub --in gw.key --type ecdsa | pki --issue --cacert ca.crt --cakey ca.key \
		--dn "C=CH, O=tunnelctl, CN=expired-gw.example.com" --not-before "01.01.20 00:00:00" \
		--not-after "01.01.21 00:00:00" --outform pem >gw.crt
) 2>/dev/null
{
	sed '$d' "$ROOT/examples/lab-a.conf"
	cat <<CONF
    9 {
        local_address = 192.0.2.1
        remote_gateway = 192.0.2.9
        local_id = fqdn:expired-gw.example.com
        remote_id = fqdn:peer9.example.com
        auth = cert
        cert = $TMP/old/gw.crt
        key = $TMP/old/gw.key
        ca = $TMP/old/ca.crt
        start_action = none
        phase2 {
            9 {
                local = 10.1.9.0/24
                remote = 10.9.9.0/24
            }
        }
    }
}
CONF
} >"$TMP/a-expired.conf"
lab apply a "$TMP/a-expired.conf" >/dev/null
out=$(live_json)
assert_eq "$(status_of certificates <<<"$out")" problem "an expired certificate is a problem"
human=$(on a "$TC" doctor --live || true)
assert_contains "$human" 'certificate "C=CH, O=tunnelctl, CN=expired-gw.example.com" has expired' "the report names the certificate by its subject"
lab apply a "$ROOT/examples/lab-a.conf" >/dev/null
out=$(live_json)
assert_eq "$(status_of certificates <<<"$out")" ok "once no connection uses it, the expired certificate is no problem"
human=$(on a "$TC" doctor --live || true)
assert_contains "$human" "no loaded connection uses it" "the report says why (charon keeps the certificate)"

step "fault: charon stopped on side a"
lab stop-charon a >/dev/null
out=$(live_json)
assert_eq "$(status_of charon <<<"$out")" problem "charon down is a problem"
assert_eq "$(status_of udp500 <<<"$out")" problem "nothing on UDP 500 without charon"
assert_contains "$(on a "$TC" doctor --live || true)" "fix: tunnelctl service start" "the fix says how to start it"

step "fixed: charon started again"
lab start-charon a >/dev/null
out=$(live_json)
assert_eq "$(status_of charon <<<"$out")" ok "charon ok after restart"
assert_eq "$(status_of udp500 <<<"$out")" ok "UDP 500 bound after restart"

step "fault: side a's charon restarted with a strongswan.conf that does not load kernel-libipsec"
extra=$TUNNELCTL_LAB_DIR/$LAB/a/run/lab-extra.conf
[ -f "$extra" ] || die "no lab-extra.conf at $extra"
cat >"$extra" <<'SS'
charon {
	plugins {
		kernel-libipsec {
			load = no
		}
	}
}
SS
lab stop-charon a >/dev/null
lab start-charon a >/dev/null
out=$(live_json)
if [ -e /sys/module/esp4 ]; then
	echo "skip: this kernel has esp4, ESP stays available without kernel-libipsec"
else
	assert_eq "$(status_of esp <<<"$out")" problem "no ESP without kernel-libipsec"
	assert_contains "$(on a "$TC" doctor --live || true)" "kernel-libipsec" "the fix names the plugin"
fi

step "fixed: kernel-libipsec loaded again"
: >"$extra"
lab stop-charon a >/dev/null
lab start-charon a >/dev/null
out=$(live_json)
assert_eq "$(status_of esp <<<"$out")" ok "ESP ok with kernel-libipsec back"

step "fault: bypass_networks under kernel-libipsec (the lab's ESP): the pass policy cannot work"
sed 's/^global {/global {\n    bypass_networks = 10.1.0.0\/16/' "$ROOT/examples/lab-a.conf" >"$TMP/a-bypass.conf"
grep -q 'bypass_networks' "$TMP/a-bypass.conf" || die "the bypass config lacks its key"
lab apply a "$TMP/a-bypass.conf" >/dev/null
out=$(live_json)
assert_eq "$(status_of bypass <<<"$out")" problem "a pass policy under kernel-libipsec is a problem"
human=$(on a "$TC" doctor --live || true)
assert_contains "$human" "bypass/bypasslan (10.1.0.0/16 === 10.1.0.0/16)" "the report names the bypass child"
assert_contains "$human" "kernel-libipsec ignores pass policies" "the report says why"
lab apply a "$ROOT/examples/lab-a.conf" >/dev/null
out=$(live_json)
assert_eq "$(echo "$out" | jq '[.live[] | select(.check == "bypass")] | length')" 0 "no bypass check without bypass_networks"

step "lab doctor: both configs compared, healthy, and the logs agree"
set +e; rep=$(lab doctor); rc=$?; set -e
echo "$rep"
assert_contains "$rep" "the configs agree" "configs compared"
assert_contains "$rep" "The logs agree." "the config verdict says the logs agree"
assert_not_contains "$rep" "config_error" "both lab configs load"
assert_contains "$rep" "0 tunnels with a problem, 1 healthy" "con1 judged from logs and configs counts once"
echo "all doctor --live checks passed"
