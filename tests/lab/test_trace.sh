#!/usr/bin/env bash
# trace against real charons (kernel-libipsec, strongSwan 5.9.8 in the lab): a trap policy
# before the SA is up (inert under this kernel-libipsec: exit 1, the up command named), the
# installed child with its real SPI once up, a packet outside every selector (the closest
# phase 2 and what misses), a bypass network whose route swallows LAN traffic, --json, and
# the tunnel file alone for planning; then side a's charon without kernel-libipsec, so
# kernel-netlink puts its trap and bypass policies in the kernel's XFRM database (SAs cannot
# be installed there: this kernel has no ESP) and trace reads them over netlink.
source "$(dirname "$0")/lib.sh"
lab_begin

# side a: the usual pair with trap start actions, phase 2 entry 4 (con2_4) disabled, plus a
# bypass of its LANs
{ printf 'global {\n    bypass_networks = 10.1.0.0/16\n}\n'; pair_conf a trap trace; } |
	sed '/^            4 {/a\                enabled = no' >"$TMP/a.conf"
grep -q 'enabled = no' "$TMP/a.conf" || die "could not disable entry 4"
pair_conf b none trace >"$TMP/b.conf"
trace() { set +e; out=$(on a "$TC" trace "$@" 2>&1); rc=$?; set -e; echo "$out"; }
spi_out() { on a sh -c 'swanctl --list-sas --uri "$TUNNELCTL_VICI" 2>/dev/null' |
	sed -n '/^  con1: #/,/out /s/.*out \([0-9a-f]\{8\}\).*/\1/p' | head -1; }

step "lab up: a's children are trap policies, nothing established"
lab up "$TMP/a.conf" "$TMP/b.conf" --wait 0 >/dev/null 2>&1 || die "lab up"

step "before the SA: con1's trap policy (kernel-libipsec 5.9.8 does not act on it)"
trace 10.1.0.1 10.2.0.7
assert_contains "$out" "no SA yet: trap policy con1 would start it" "the trap is named"
assert_contains "$out" "'tunnelctl up con1'" "inert trap: the command that starts it"
assert_contains "$out" "dev ipsec0 table 220" "the route into kernel-libipsec's device"
assert_eq "$rc" 1 "an inert trap carries nothing: exit 1"
trace 10.1.3.1 10.2.3.9 tcp 22 --json
assert_contains "$out" '"verdict": "trap"' "IKEv1 split child: trap"
assert_contains "$out" '"child": "con2_3"' "named con2_3"

step "up con1: carried, with the SPI charon installed"
on a "$TC" up con1 --quiet >/dev/null
spi=$(spi_out)
[ -n "$spi" ] || die "no outbound SPI of con1 in swanctl --list-sas"
trace 10.1.0.1 10.2.0.7
assert_contains "$out" "carried by con1 (policy out, priority " "carried by con1"
assert_contains "$out" "SPI $spi)" "the outbound SPI swanctl shows ($spi)"
assert_eq "$rc" 0 "carried: exit 0"
trace 10.1.1.1 10.2.1.7 --json
assert_contains "$out" '"spi_out": "'"$spi"'"' "--json: the second selector pair of the merged child, same SA"
assert_contains "$out" '"description": "DMZ"' "--json: the phase 2 entry it comes from"

step "outside every selector: not covered, the closest entry, what misses"
trace 10.1.0.1 10.3.0.9
assert_contains "$out" "not covered: closest is con1 (10.1.0.0/24 === 10.2.0.0/24), DST outside remote" "closest and why"
assert_eq "$rc" 1 "not covered: exit 1"

step "a disabled phase 2: charon has nothing for it, the tunnel file says why"
trace 10.1.4.1 10.2.4.9
assert_contains "$out" "not covered: con2_4 (10.1.4.0/24 === 10.2.4.0/24) would carry it but phase 2 4 is disabled" "disabled entry named"
assert_eq "$rc" 1 "disabled: exit 1"

step "the bypass network: routed into ipsec0, where kernel-libipsec drops it"
trace 10.1.0.1 10.1.3.9
assert_contains "$out" "dropped: only the bypass policy bypasslan (10.1.0.0/16 === 10.1.0.0/16) matches" "bypass swallowed"
assert_eq "$rc" 1 "dropped: exit 1"
before=$(on a cat /sys/class/net/ipsec0/statistics/tx_packets)
on a ping -c 2 -i 0.2 -w 1 -I 10.1.0.1 10.1.3.9 >/dev/null 2>&1 || true
after=$(on a cat /sys/class/net/ipsec0/statistics/tx_packets)
[ "$after" -ge $((before + 2)) ] || die "the LAN packets did not enter ipsec0 ($before -> $after)"
echo "ok: the kernel agrees: the LAN pings went into ipsec0 ($before -> $after packets)"

step "planning from the tunnel file alone"
set +e
out=$("$TC" trace --config-only -c "$TMP/a.conf" 10.1.3.5 10.2.3.9); rc=$?
set -e
assert_contains "$out" "would be carried by con2_3 (10.1.3.0/24 === 10.2.3.0/24, start_action trap)" "planned con2_3"
assert_eq "$rc" 0 "planned: exit 0"
trace 10.1.0.1 bogus
assert_eq "$rc" 2 "bad DST: exit 2"

step "side a with kernel-netlink: the kernel's XFRM policies, as charon installed them"
lab down >/dev/null 2>&1
printf 'charon {\n    plugins {\n        kernel-libipsec {\n            load = no\n        }\n    }\n}\n' >"$TMP/netlink.conf"
TUNNELCTL_LAB_STRONGSWAN_A=$TMP/netlink.conf lab up "$TMP/a.conf" "$TMP/b.conf" --wait 0 >/dev/null 2>&1 || die "lab up (kernel-netlink)"
trace 10.1.0.1 10.2.0.7
assert_contains "$out" "no SA yet: trap policy con1 would start it (policy out, priority 375424, 10.1.0.0/24 === 10.2.0.0/24)" "the kernel's trap policy, kernel-netlink's priority"
assert_contains "$out" "policies: from the kernel (XFRM)" "read from the kernel"
assert_not_contains "$out" "tunnelctl up" "kernel-netlink acts on traps"
assert_eq "$rc" 0 "a trap starts the child: exit 0"
trace 10.1.0.1 10.1.3.9
assert_contains "$out" "a bypass policy for 10.1.0.0/16 === 10.1.0.0/16 wins (priority 183615)" "the kernel's pass policy wins"
assert_eq "$rc" 1 "bypassed: exit 1"
trace 10.1.0.1 10.2.0.7 --json
assert_contains "$out" '"origin": "kernel"' "--json: the policy's origin"

step "the same packet without a route: it never reaches the policy"
on a ip route del 10.2.0.0/24 table 220
trace 10.1.0.1 10.2.0.7
assert_contains "$out" "but the kernel has no route to DST (Network is unreachable): the packet never leaves" "no route named"
assert_eq "$rc" 1 "unroutable: exit 1"
