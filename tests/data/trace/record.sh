#!/usr/bin/env bash
# record.sh - record the kernel's netlink answers for tests/unit/test_trace.c and the seed
# corpus of tests/fuzz/fuzz_xfrm.c. Run as root from the repository root:
#   tests/data/trace/record.sh [OUTDIR]
# In a throw-away network namespace it installs XFRM policies as charon's kernel-netlink
# plugin installs them (same priorities: 375423 for an established /24 === /24 child, 375424
# for a trap, 175423 for a pass policy, templates with reqids), plus a drop shunt (591807), one with
# ports, an IPv6 one and a marked (VTI-like) one the trace must leave out, then records the
# policy dump and two route lookups. ip(8) here is test tooling: tunnelctl reads netlink.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "${1:-$here}" && pwd)
ns=tcrec$$
cleanup() { ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$ns"
n() { ip -n "$ns" "$@"; }
t() { echo "tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid $1 mode tunnel"; }

step() { echo "--- $*"; }
step "an empty dump"
ip netns exec "$ns" python3 "$here/nlrecord.py" policies "$out/xfrm-empty.bin"

step "policies as charon installs them"
n link set lo up
# veth pairs: this kernel has no dummy driver
n link add wan type veth peer name wan-peer
n link set wan up
n addr add 192.0.2.1/24 dev wan
n link add lan type veth peer name lan-peer
n link set lan up
n link set lan-peer up
n addr add 10.1.0.1/24 dev lan
n addr add fd00:1::1/64 dev lan nodad
# established child con1 (reqid 1): out, in, fwd
n xfrm policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir out priority 375423 $(t 1)
n xfrm policy add src 10.2.0.0/24 dst 10.1.0.0/24 dir in priority 375423 tmpl src 192.0.2.2 dst 192.0.2.1 proto esp reqid 1 mode tunnel
n xfrm policy add src 10.2.0.0/24 dst 10.1.0.0/24 dir fwd priority 375423 tmpl src 192.0.2.2 dst 192.0.2.1 proto esp reqid 1 mode tunnel
# a trap (reqid 4): routed priority, one more than an installed child's
n xfrm policy add src 10.1.4.0/24 dst 10.2.4.0/24 dir out priority 375424 $(t 4)
# bypass of the LAN to itself (pass: no template)
n xfrm policy add src 10.1.0.0/24 dst 10.1.0.0/24 dir out priority 175423
# a drop shunt
n xfrm policy add src 10.9.0.0/16 dst 0.0.0.0/0 dir out priority 591807 action block
# TCP port 443 only (reqid 5): 256 for the protocol, 4 per port mask bit
n xfrm policy add src 10.1.5.0/24 dst 10.2.5.0/24 proto tcp dport 443 dir out priority 375103 $(t 5)
# IPv6 (reqid 6)
n xfrm policy add src fd00:1::/64 dst fd00:2::/64 dir out priority 334463 tmpl src 2001:db8::1 dst 2001:db8::2 proto esp reqid 6 mode tunnel
# marked (a VTI's): only packets with the mark see it
n xfrm policy add src 0.0.0.0/0 dst 0.0.0.0/0 dir out priority 100 mark 42 $(t 7)
ip netns exec "$ns" python3 "$here/nlrecord.py" policies "$out/xfrm-policies.bin"

step "route lookups: charon's table 220 and no route"
n route add 10.2.0.0/24 dev lan table 220 src 10.1.0.1
n rule add pref 220 lookup 220
ip netns exec "$ns" python3 "$here/nlrecord.py" route 10.2.0.7 "$out/route-220.bin"
ip netns exec "$ns" python3 "$here/nlrecord.py" route 10.3.0.7 "$out/route-none.bin"
ls -l "$out"/*.bin
