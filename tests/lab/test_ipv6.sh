#!/usr/bin/env bash
# tests/lab/test_ipv6.sh - IPv6 end to end in the lab: IPv6 gateways with IPv6 networks
# (examples/lab-a-v6.conf, lab-b-v6.conf) come up, carry a ping through kernel-libipsec, show
# in status --json and the firewall with their IPv6 addresses, get doctor --live's IPv6
# forwarding check, fail the way the doctor says (PSK mismatch, UDP 500 dropped, a responder
# configured for another peer); an IPv4 and an IPv6 phase 2 merged into one child; IPv6
# networks over IPv4 gateways with an IPv6 ping host for the keep-alive; down leaves
# nothing. Root only.
# shellcheck source=tests/lab/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
lab_begin

ok() { echo "ok: $*"; }
logf() { echo "${TUNNELCTL_LAB_DIR:-/run/tunnelctl-lab}/$LAB/$1/run/charon.log"; }
alive() { [ -d "/proc/$1" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; }
lines() { wc -l <"$(logf "$1")"; }
# wait_after SIDE MARK ERE SECONDS: a line matching ERE in the side's log after line MARK
wait_after() {
	local i
	for ((i = 0; i < $4 * 10; i++)); do
		grep -Eq -- "$3" <(tail -n +"$(($2 + 1))" "$(logf "$1")") && return 0
		sleep 0.1
	done
	return 1
}
# doctor_class TUNNEL [ARGS...]: the doctor's class for TUNNEL from both logs (and ARGS)
doctor_class() {
	local t=$1
	shift
	{ lab doctor --json "$@" || true; } | jq -r --arg t "$t" '[.verdicts[] | select(.tunnel == $t) | .class] | first // "none"'
}
# sw SIDE ARGS: swanctl ARGS against the side's charon (the test's oracle)
sw() { on "$1" sh -c 'swanctl '"$2"' --uri "$TUNNELCTL_VICI" 2>/dev/null'; }

# --- IPv6 gateways, IPv6 networks --------------------------------------------------------
step "check and compile the IPv6 pair"
"$TC" check -c examples/lab-a-v6.conf
"$TC" check -c examples/lab-b-v6.conf
out=$("$TC" -c examples/lab-a-v6.conf compile)
assert_contains "$out" "local_addrs = 2001:db8::1" "compile: IPv6 local address"
assert_contains "$out" "remote_addrs = 2001:db8::2" "compile: IPv6 peer"
assert_contains "$out" "local_ts = fd00:1::/64" "compile: IPv6 local network"

step "lab up with the IPv6 pair"
lab up examples/lab-a-v6.conf examples/lab-b-v6.conf | tee "$TMP/up"
assert_contains "$(cat "$TMP/up")" "side a: namespace ${TUNNELCTL_LAB_PREFIX:-tclab}-$LAB-a, wan 2001:db8::1, lan fd00:1::1/64" \
	"up: side a's IPv6 WAN address and first host of fd00:1::/64"
assert_contains "$(cat "$TMP/up")" "tunnel con1: up" "up: con1 came up"

step "addresses: usable at once (no DAD), a route to the peer"
addrs=$(on a ip -6 addr show dev wan)
assert_contains "$addrs" "inet6 2001:db8::1/128 scope global nodad" "wan: 2001:db8::1 without DAD"
assert_not_contains "$(grep 'inet6 2001:db8::1/' <<<"$addrs")" "tentative" "wan: 2001:db8::1 is not tentative"
routes=$(on a ip -6 route)
assert_contains "$routes" "2001:db8::2 dev wan src 2001:db8::1" "a: host route to the peer from its own address"

step "CHILD_SA installed with IPv6 selectors (swanctl as the oracle)"
sas=$(sw a --list-sas)
echo "$sas"
assert_contains "$sas" "con1: #" "IKE SA con1 on a"
assert_contains "$sas" "ESTABLISHED, IKEv2" "IKE SA established"
assert_contains "$sas" "remote '2001:db8::2' @ 2001:db8::2[4500]" "IKE SA between the IPv6 gateways"
assert_contains "$sas" "INSTALLED, TUNNEL" "child installed"
grep -Eq '^    local  fd00:1::/64$' <<<"$sas" || die "child local selector is not fd00:1::/64"
grep -Eq '^    remote fd00:2::/64$' <<<"$sas" || die "child remote selector is not fd00:2::/64"
ok "child selectors fd00:1::/64 === fd00:2::/64"

step "ping through the tunnel, LAN A to LAN B"
out=$(lab ping --count 3)
echo "$out"
assert_contains "$out" "ping con1: fd00:1::1 -> fd00:2::1: 3 sent, 3 received, 0% loss" "ping6 fd00:1::1 -> fd00:2::1, no loss"

step "status --json inside the lab: up, IPv6 hosts and selectors, the ping's packets"
on a "$TC" status --json >"$TMP/s.json"
q() { jq -r "$1" "$TMP/s.json"; }
assert_eq "$(q '.ike_sas[] | select(.name=="con1") | .state')" ESTABLISHED "status: con1 established"
assert_eq "$(q '.ike_sas[] | select(.name=="con1") | "\(.local_host) \(.remote_host)"')" "2001:db8::1 2001:db8::2" \
	"status: IPv6 local and remote hosts"
assert_eq "$(q '.ike_sas[] | select(.name=="con1") | "\(.local_id) \(.remote_id)"')" "2001:db8::1 2001:db8::2" \
	"status: IPv6 identities (myaddress / peeraddress)"
assert_eq "$(q '.ike_sas[].children[] | select(.name=="con1") | .state')" INSTALLED "status: child installed"
assert_eq "$(q '.ike_sas[].children[] | select(.name=="con1") | "\(.local_ts | join(",")) \(.remote_ts | join(","))"')" \
	"fd00:1::/64 fd00:2::/64" "status: IPv6 selectors"
pk=$(q '.ike_sas[].children[] | select(.name=="con1") | .packets_in')
[ "$pk" -ge 3 ] || die "status: $pk packets in, the ping's 3 replies did not come through the child"
ok "status: $pk packets in through the child"
table=$(on a "$TC" status)
assert_contains "$table" "2001:db8::1 @ 2001:db8::1[4500]" "status table: local IPv6 host and port"

step "firewall: the nft rules name the IPv6 peer (ip6 in the inet table), and IKE hit them"
fw=$(on a "$TC" firewall show)
echo "$fw"
assert_contains "$fw" "table inet tunnelctl" "firewall: inet table"
grep -Eq 'ip6 saddr 2001:db8::2 ip6 daddr 2001:db8::1 udp dport \{ 500, 4500 \} counter packets [1-9]' <<<"$fw" ||
	die "firewall: no ip6 rule for UDP 500/4500 from 2001:db8::2 that counted IKE"
grep -Eq 'ip6 saddr 2001:db8::2 ip6 daddr 2001:db8::1 meta l4proto \{ esp, ah \}' <<<"$fw" ||
	die "firewall: no ip6 rule for ESP/AH from 2001:db8::2"
ok "firewall: UDP 500/4500 and ESP/AH from 2001:db8::2 in family ip6"

step "doctor --live: IPv6 networks loaded, so IPv6 forwarding is checked"
live6() { { on a "$TC" doctor --live --json || true; } | jq -r '.live[] | select(.check == "forwarding6") | .status'; }
on a sysctl -qw net.ipv6.conf.all.forwarding=0
assert_eq "$(live6)" warning "live: net.ipv6.conf.all.forwarding = 0 is a warning"
on a sysctl -qw net.ipv6.conf.all.forwarding=1
assert_eq "$(live6)" ok "live: net.ipv6.conf.all.forwarding = 1 is ok"
lab ping --count 1 >/dev/null || die "no ping with IPv6 forwarding on"

step "doctor on both logs of the healthy pair"
assert_eq "$(doctor_class con1)" healthy "doctor: healthy"

# --- a fault: different PSKs ---------------------------------------------------------------
step "fault: B's PSK changed, A reconnects"
sed 's/^\( *psk = \).*/\1"changed-on-b-only-0123456789"/' examples/lab-b-v6.conf >"$TMP/b-psk.conf"
lab apply b "$TMP/b-psk.conf"
ma=$(lines a)
on a "$TC" down con1 >/dev/null || true
on a "$TC" up con1 --timeout 10 >/dev/null 2>&1 && die "up con1 succeeded with different PSKs"
wait_after a "$ma" 'received AUTHENTICATION_FAILED notify error' 15 || die "a did not get AUTHENTICATION_FAILED"
lab doctor >"$TMP/doctor" || true
cat "$TMP/doctor"
assert_eq "$(doctor_class con1)" psk_mismatch "doctor (both logs and configs): psk_mismatch"
# the logs alone, with b's line naming the IPv6 endpoints
out=$("$TC" doctor --json "$(logf a)" "$(logf b)" || true)
assert_eq "$(jq -r '[.verdicts[] | select(.tunnel=="con1") | .class] | first' <<<"$out")" psk_mismatch \
	"doctor (logs only): psk_mismatch"
assert_contains "$(jq -r '.verdicts[0].summary' <<<"$out")" "tried 1 shared key for '2001:db8::2' - '2001:db8::1'" \
	"doctor quotes charon's line with the IPv6 identities"
assert_not_contains "$(cat "$TMP/doctor"; echo "$out")" "changed-on-b-only" "no PSK in the doctor's output"

# --- a fault: UDP 500 dropped --------------------------------------------------------------
step "fault: impair b drop-udp 500 (inet table: IPv6 too), A cannot reach B"
lab apply b examples/lab-b-v6.conf >/dev/null
lab impair b drop-udp 500
ma=$(lines a)
mb=$(lines b)
on a "$TC" down con1 >/dev/null || true
on a "$TC" up con1 --timeout 2 >/dev/null 2>&1 || true
wait_after a "$ma" 'retransmit 1 of request with message ID 0' 10 || die "a did not retransmit IKE_SA_INIT"
wait_after a "$ma" 'establishing IKE_SA failed, peer not responding' 30 || die "a did not give up"
grep -q 'IKE_SA_INIT' <(tail -n +"$((mb + 1))" "$(logf b)") && die "drop-udp 500: IKE_SA_INIT reached b over IPv6"
rules=$(lab impair b list)
grep -Eq 'udp dport 500 counter packets [1-9]' <<<"$rules" || die "drop-udp 500 matched no IPv6 packet"
assert_eq "$({ "$TC" doctor --json "$(logf a)" || true; } | jq -r '[.verdicts[] | select(.tunnel=="con1") | .class] | first')" \
	peer_unreachable "doctor (a.log): peer_unreachable"
lab impair b clear
on a "$TC" up con1 >/dev/null || die "con1 does not come back after clear"
lab ping --count 2 >/dev/null || die "no ping after clear"
ok "clear: con1 back, ping passes"

step "lab down: nothing left"
pids=$(cat "${TUNNELCTL_LAB_DIR:-/run/tunnelctl-lab}/$LAB/a/charon.pid" "${TUNNELCTL_LAB_DIR:-/run/tunnelctl-lab}/$LAB/b/charon.pid")
lab down
for p in $pids; do alive "$p" && die "charon $p still runs after down"; done
grep -q "^${TUNNELCTL_LAB_PREFIX:-tclab}-$LAB-" <<<"$(ip netns list)" && die "namespace left after down"
[ -e "${TUNNELCTL_LAB_DIR:-/run/tunnelctl-lab}/$LAB" ] && die "directory left after down"
ok "down: no charon, namespace or directory left"

# --- the responder has no tunnel for the initiator: it must still be able to answer -------
step "B's tunnel names another peer (2001:db8::99): B answers NO_PROPOSAL_CHOSEN over IPv6"
sed 's/^\( *remote_gateway = \).*/\12001:db8::99/' examples/lab-b-v6.conf >"$TMP/b-99.conf"
lab up examples/lab-a-v6.conf "$TMP/b-99.conf" --wait 0 >/dev/null
wait_after b 0 'no IKE config found for 2001:db8::2...2001:db8::1' 15 || die "b never looked up A's IKE SA"
wait_after a 0 'received NO_PROPOSAL_CHOSEN notify error' 10 ||
	die "b's answer did not reach a (no route from b to 2001:db8::1?)"
grep -q 'Network is unreachable' "$(logf b)" && die "b could not send to 2001:db8::1"
assert_eq "$(doctor_class con1)" no_ike_config "doctor: no_ike_config"
lab down >/dev/null

# --- an IPv4 and an IPv6 phase 2 merged into one child -------------------------------------
dual() { # dual SIDE LOCAL_GW PEER_GW START: IKEv2, two phase 2 entries (IPv4, IPv6) -> child con1
	local me peer
	me=$([ "$1" = a ] && echo 1 || echo 2)
	peer=$([ "$1" = a ] && echo 2 || echo 1)
	cat <<CONF
tunnels {
    1 {
        description = dual stack $1
        local_address = $2
        remote_gateway = $3
        psk = "dual-stack-secret-0123456789"
        start_action = $4
        phase2 {
            1 {
                description = LAN4
                local = 10.$me.0.0/24
                remote = 10.$peer.0.0/24
            }
            2 {
                description = LAN6
                mode = tunnel6
                local = fd00:$me::/64
                remote = fd00:$peer::/64
            }
        }
    }
}
CONF
}
step "dual stack over IPv6 gateways: one child with 10.1.0.0/24 + fd00:1::/64"
dual a 2001:db8::1 2001:db8::2 start >"$TMP/da.conf"
dual b 2001:db8::2 2001:db8::1 none >"$TMP/db.conf"
lab up "$TMP/da.conf" "$TMP/db.conf" | tee "$TMP/up"
assert_contains "$(cat "$TMP/up")" "lan 10.1.0.1/24 fd00:1::1/64" "up: both LAN addresses on side a"
out=$(lab ping LAN4 --count 2)
assert_contains "$out" "10.1.0.1 -> 10.2.0.1: 2 sent, 2 received, 0% loss" "ping IPv4 through the merged child"
out=$(lab ping LAN6 --count 2)
assert_contains "$out" "fd00:1::1 -> fd00:2::1: 2 sent, 2 received, 0% loss" "ping IPv6 through the merged child"
assert_eq "$(on a "$TC" status --json | jq -r '.ike_sas[0].children[0].local_ts | join(" ")')" \
	"10.1.0.0/24 fd00:1::/64" "status: both selectors in one child"
# charon logs most selector pairs of the merged child as "no match": not a mismatch
assert_contains "$(cat "$(logf a)")" "=> no match" "the log has unmatched selector pairs"
assert_eq "$(doctor_class con1)" healthy "doctor: the dual-stack child is healthy"
lab down >/dev/null

# --- IPv6 networks over IPv4 gateways --------------------------------------------------------
step "IPv6 networks over IPv4 gateways (192.0.2.1 <-> 192.0.2.2)"
# A watches B's LAN address with an ICMPv6 ping host
sed 's/2001:db8::1$/192.0.2.1/; s/2001:db8::2$/192.0.2.2/; s#^\( *\)remote = fd00:2::/64#&\n\1ping_host = fd00:2::1#' \
	examples/lab-a-v6.conf >"$TMP/ma.conf"
grep -q 'ping_host = fd00:2::1' "$TMP/ma.conf" || die "test setup: no ping_host in ma.conf"
sed 's/2001:db8::1$/192.0.2.1/; s/2001:db8::2$/192.0.2.2/' examples/lab-b-v6.conf >"$TMP/mb.conf"
lab up "$TMP/ma.conf" "$TMP/mb.conf" | tee "$TMP/up"
assert_contains "$(cat "$TMP/up")" "wan 192.0.2.1, lan fd00:1::1/64" "up: IPv4 WAN, IPv6 LAN"
out=$(lab ping --count 2)
assert_contains "$out" "fd00:1::1 -> fd00:2::1: 2 sent, 2 received, 0% loss" "ping IPv6 inside IPv4"
fw=$(on a "$TC" firewall show)
assert_contains "$fw" "ip saddr 192.0.2.2 ip daddr 192.0.2.1 udp dport { 500, 4500 }" "firewall: IPv4 peer rule"
ka=$(on a "$TC" keepalive --once --json 2>"$TMP/ka.err")
assert_eq "$(jq -r '"\(.watched) \(.up) \(.initiated)"' <<<"$ka")" "1 1 0" "keepalive: the IPv6 ping host answers, nothing to do"
lab impair b drop-esp
ka=$(on a "$TC" keepalive --once --json 2>"$TMP/ka.err" || true)
cat "$TMP/ka.err"
assert_contains "$(cat "$TMP/ka.err")" "ping host fd00:2::1 lost 3 echoes in a row from fd00:1::1" \
	"keepalive: ICMPv6 echoes lost through the tunnel are noticed"
lab impair b clear
assert_eq "$(doctor_class con1)" healthy "doctor: healthy"
lab down >/dev/null
grep -q "^${TUNNELCTL_LAB_PREFIX:-tclab}-$LAB-" <<<"$(ip netns list)" && die "namespace left at the end"

echo "test_ipv6: all checks passed"
