#!/usr/bin/env bash
# test_firewall.sh - `tunnelctl firewall` in a network namespace with real packets.
# A gateway namespace gets an input policy-drop table of the test's own making that accepts
# tunnelctl's conntrack mark (the documented integration); a peer namespace sends UDP 500/4500
# and ESP from the configured peer address and from another address. A listener in the gateway
# records what arrives. Then: counters, ruleset read back, other tables untouched, remove.
set -euo pipefail
cd "$(dirname "$0")/../.."
TC=$PWD/tunnelctl
GW=tcfw-gw-$$
PEER=tcfw-peer-$$
DIR=$(mktemp -d)
LISTENER_PID=

step() { echo "== $*"; }
fail() { echo "FAIL: $*"; exit 1; }
cleanup() {
	[ -n "$LISTENER_PID" ] && kill "$LISTENER_PID" 2>/dev/null || true
	ip netns del "$GW" 2>/dev/null || true
	ip netns del "$PEER" 2>/dev/null || true
	rm -rf "$DIR"
}
trap cleanup EXIT
trap "exit 1" INT TERM
gw() { ip netns exec "$GW" "$@"; }
# has TEXT NEEDLE: a fixed-string match on captured output (a pipe into grep -q can make the
# writer die of SIGPIPE, which pipefail turns into a false failure)
has() { case "$1" in *"$2"*) return 0 ;; *) return 1 ;; esac; }
peer() { ip netns exec "$PEER" "$@"; }

step "namespaces $GW and $PEER, veth 192.0.2.1 <-> 192.0.2.7 (peer) + 192.0.2.8 (other)"
ip netns add "$GW"
ip netns add "$PEER"
ip link add "v$$a" netns "$GW" type veth peer name "v$$b" netns "$PEER"
gw ip addr add 192.0.2.1/24 dev "v$$a"
gw ip link set "v$$a" up
gw ip link set lo up
peer ip addr add 192.0.2.7/24 dev "v$$b"
peer ip addr add 192.0.2.8/24 dev "v$$b"
peer ip link set "v$$b" up
peer ip link set lo up

cat >"$DIR/tunnels.conf" <<CONF
tunnels {
	1 {
		description = Peer
		local_address = 192.0.2.1
		remote_gateway = 192.0.2.7
		psk = 0123456789abcdef0123
	}
	2 {
		description = Host name peer
		local_address = 192.0.2.1
		remote_gateway = peer.example.net
		psk = 0123456789abcdef0123
	}
}
CONF
sed 's/^tunnels {/global {\n\tfirewall = off\n}\ntunnels {/' "$DIR/tunnels.conf" >"$DIR/off.conf"

step "the admin's own firewall: input policy drop, accepting tunnelctl's mark"
gw nft -f - <<'NFT'
table inet adminfw {
	chain input {
		type filter hook input priority filter; policy drop;
		ct mark and 0x00100000 == 0x00100000 accept
	}
}
NFT

step "listener in $GW on UDP 500, 4500 and raw ESP"
cat >"$DIR/listen.py" <<'PY'
import select, socket, sys
out = open(sys.argv[1], "a", buffering=1)
socks = []
for port in (500, 4500):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("192.0.2.1", port))
    socks.append((s, "udp%d" % port))
esp = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
socks.append((esp, "esp"))
open(sys.argv[2], "w").close()
while True:
    r, _, _ = select.select([s for s, _ in socks], [], [])
    for s, name in socks:
        if s in r:
            data, addr = s.recvfrom(2048)
            out.write("%s %s %s\n" % (name, addr[0], data[-8:].decode(errors="replace")))
PY
cat >"$DIR/send.py" <<'PY'
import socket, sys
src, tag = sys.argv[1], sys.argv[2]
for port in (500, 4500):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.sendto(tag.encode(), ("192.0.2.1", port))
e = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
e.bind((src, 0))
e.sendto(b"\0\0\0\1\0\0\0\1" + tag.encode(), ("192.0.2.1", 0))
PY
gw python3 "$DIR/listen.py" "$DIR/got" "$DIR/ready" &
LISTENER_PID=$!
for _ in $(seq 50); do [ -e "$DIR/ready" ] && break; sleep 0.1; done
[ -e "$DIR/ready" ] || fail "listener did not start"

# send from src with a tag, then wait until the marker packet (from the gateway itself) arrives
send() {
	peer python3 "$DIR/send.py" "$1" "$2"
}
wait_for() {
	for _ in $(seq 50); do grep -q "$1" "$DIR/got" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
marker() {
	gw python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.sendto(sys.argv[1].encode(),("192.0.2.1",500))' "$1"
	wait_for "udp500 192.0.2.1 $1" || fail "marker $1 not received (loopback)"
}
# loopback traffic must pass the admin's drop policy for the markers to work
gw nft insert rule inet adminfw input iif lo accept

step "before apply: the drop policy stops the peer's packets"
send 192.0.2.7 before01
marker mark0001
if grep -q before01 "$DIR/got"; then fail "packets passed before any rule existed"; fi

step "firewall apply"
gw "$TC" firewall apply -c "$DIR/tunnels.conf" 2>"$DIR/apply.err" | tee "$DIR/apply.out"
grep -q '2 rules applied' "$DIR/apply.out" || fail "expected 2 rules"
grep -q 'con2: no rules: the peer is a host name' "$DIR/apply.err" || fail "no note for the FQDN peer"

step "send from the other address first, then from the peer"
send 192.0.2.8 other001
send 192.0.2.7 peer0001
wait_for "esp 192.0.2.7 peer0001" || fail "ESP from the peer not received"
wait_for "udp500 192.0.2.7 peer0001" || fail "UDP 500 from the peer not received"
wait_for "udp4500 192.0.2.7 peer0001" || fail "UDP 4500 from the peer not received"
marker mark0002
if grep -q other001 "$DIR/got"; then fail "packets from a non-peer address were accepted"; fi
cat "$DIR/got"

step "firewall show: counters, no blocking chain"
gw "$TC" firewall show --json -c "$DIR/tunnels.conf" >"$DIR/show.json"
python3 - "$DIR/show.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["present"], s
assert s["in_sync"] is True, s
rules = s["rules"]
assert [r["name"] for r in rules] == ["con1", "con1"], rules
udp = [r for r in rules if "udp dport 500,4500" in r["match"]][0]
esp = [r for r in rules if "esp,ah" in r["match"]][0]
assert udp["packets"] == 2, udp
assert esp["packets"] == 1, esp
assert "ip saddr 192.0.2.7" in udp["match"], udp
d = [d for d in s["drops"] if d["table"] == "adminfw"][0]
assert d["policy_drop"] and d["accepts_mark"] and not d["blocks"], d
print("counters ok:", udp["packets"], esp["packets"])
PY
gw "$TC" firewall show >"$DIR/show.txt"
grep -q 'comment "con1"' "$DIR/show.txt" || fail "show does not print the rules"
has "$(gw nft list table inet tunnelctl)" 'priority filter - 10' || fail "chain priority not -10"

step "firewall show warns about a drop chain that ignores our mark"
gw nft add table ip strict
gw nft add chain ip strict input '{ type filter hook input priority 0; policy drop; }'
if gw "$TC" firewall show >"$DIR/show2.txt"; then fail "show exit 0 with a blocking chain"; fi
grep -q 'warning: table ip strict chain input' "$DIR/show2.txt" || fail "no warning for ip strict"
grep -q 'adminfw' "$DIR/show2.txt" && fail "warned about a chain that accepts our mark"
gw nft delete table ip strict

step "apply again is an atomic replacement (same rules, counters reset)"
gw "$TC" firewall apply -c "$DIR/tunnels.conf" >/dev/null 2>&1
[ "$(gw nft list table inet tunnelctl | grep -c 'comment "con1"' || true)" -eq 2 ] || fail "rules duplicated"

step "global.firewall = off removes the table, other tables stay"
has "$(gw "$TC" firewall apply -c "$DIR/off.conf" 2>/dev/null)" 'removed' || fail "off did not remove"
has "$(gw nft list tables)" tunnelctl && fail "table left after firewall = off"
has "$(gw nft list tables)" 'inet adminfw' || fail "another table was touched"

step "firewall remove leaves nothing, twice"
gw "$TC" firewall apply -c "$DIR/tunnels.conf" >/dev/null 2>&1
gw "$TC" firewall remove
gw "$TC" firewall remove
if has "$(gw nft list ruleset)" tunnelctl; then fail "tunnelctl left something in the ruleset"; fi
if gw "$TC" firewall show -c "$DIR/tunnels.conf" >"$DIR/show3.txt"; then fail "show exit 0 with the table missing"; fi
grep -q 'does not match' "$DIR/show3.txt" || fail "show does not say the table is out of step"
has "$(gw nft list ruleset)" 'ct mark & 0x00100000 == 0x00100000 accept' || fail "admin table changed"
echo "PASS"
