#!/usr/bin/env bash
# start/close action combinations under the daemon (docs/keepalive.md "What is watched"):
#   con1: A start_action = start, B responder only   -> watched: back after B closes the child
#   con2: A trap (default), no keepalive             -> not watched: kernel-libipsec never acts
#                                                       on the trap, so it stays down, untouched
#   con3: A start + close_action = start             -> charon restarts it itself; the daemon
#                                                       must not add a second negotiation
# then `tunnelctl apply` makes con2 keepalive = yes: the daemon follows without a SIGHUP
source "$(dirname "$0")/lib.sh"
lab_begin

gen() { # gen SIDE LOCAL_WAN PEER_WAN LOCAL_PREFIX PEER_PREFIX (A's actions when SIDE = a)
	local peer start1=none start2=none start3=none close3=none
	peer=$( [ "$1" = a ] && echo b || echo a )
	if [ "$1" = a ]; then start1=start start2=trap start3=start close3=start; fi
	echo "global {"
	echo "    keepalive {"
	echo "        interval = 5s"
	echo "    }"
	echo "}"
	echo "tunnels {"
	for i in 1 2 3; do
		local s c=""
		s=$(eval echo "\$start$i")
		# close_action on one side only (check warns otherwise)
		[ "$i" = 3 ] && [ "$close3" != none ] && c="close_action = $close3"
		cat <<CONF
    $i {
        local_address = $2
        remote_gateway = $3
        local_id = fqdn:$1-$i.act.lab
        remote_id = fqdn:$peer-$i.act.lab
        psk = "actions-lab-secret-$i-0123456789"
        start_action = $s
        $c
        phase2 {
            $i {
                local = $4.$i.0/24
                remote = $5.$i.0/24
            }
        }
    }
CONF
	done
	echo "}"
}
gen a 192.0.2.1 192.0.2.2 10.81 10.82 >"$TMP/a.conf"
gen b 192.0.2.2 192.0.2.1 10.82 10.81 >"$TMP/b.conf"

DLOG=$LAB_DIR/a/daemon.log
sas() { on a sh -c 'swanctl --list-sas --uri "$TUNNELCTL_VICI" 2>/dev/null'; }
installed() { sas | grep -c "^  $1: #[0-9]*, reqid [0-9]*, INSTALLED" || true; }
child_uid() { sas | sed -n "s/^  $1: #\([0-9]*\), reqid [0-9]*, INSTALLED.*/\1/p" | head -1; }
up_again() { local u; u=$(child_uid "$1"); [ -n "$u" ] && [ "$u" != "$2" ]; }
is_up() { [ -n "$(child_uid "$1")" ]; }

step "lab up; apply on A starts con1 and con3 (start_action = start)"
lab up "$TMP/a.conf" "$TMP/b.conf" --wait 5 >/dev/null
wait_for 10 "con1 up" is_up con1
wait_for 10 "con3 up" is_up con3
lab daemon a >/dev/null
wait_for 10 "daemon started" grep -q "daemon: start" "$DLOG"

step "con1 (start, peer responder only): B closes the child, the daemon brings it back"
u=$(child_uid con1)
on b sh -c 'swanctl --terminate --child con1 --uri "$TUNNELCTL_VICI" >/dev/null 2>&1'
wait_for 10 "con1 re-established" up_again con1 "$u"
grep -q "con1: initiate: child-updown event" "$DLOG" || die "no daemon decision for con1"
echo "ok: the daemon initiated con1 after the event"

step "con3 (start + close_action = start): B closes the child; one child SA afterwards"
u=$(child_uid con3)
on b sh -c 'swanctl --terminate --child con3 --uri "$TUNNELCTL_VICI" >/dev/null 2>&1'
wait_for 10 "con3 re-established" up_again con3 "$u"
sleep 6	# a periodic check has run: a duplicate would show now
assert_eq "$(installed con3)" 1 "exactly one con3 child SA on A (charon's restart and the daemon did not both build one)"

step "con2 (trap, no keepalive): not watched; kernel-libipsec ignores the trap, so it stays down"
assert_eq "$(installed con2)" 0 "con2 has no child SA"
if grep -q "con2:" "$DLOG"; then die "the daemon made a decision about con2, which it does not watch"; fi
echo "ok: no decision about con2 in the daemon log"

step "tunnelctl apply adds keepalive = yes to con2: the daemon follows the applied file without SIGHUP"
awk '{print} /^                remote = 10.82.2.0\/24$/ {print "                keepalive = yes"}' "$TMP/a.conf" >"$TMP/a2.conf"
grep -q "keepalive = yes" "$TMP/a2.conf" || die "test bug: keepalive not added"
lab apply a "$TMP/a2.conf" >/dev/null
wait_for 20 "con2 up, started by the daemon" is_up con2
grep -q "daemon: follow\|charon: follow" "$DLOG" || die "no follow decision"
grep -q "con2: initiate" "$DLOG" || die "no initiate decision for con2"
echo "ok: the daemon noticed the apply and initiated con2"
echo "--- the daemon's decisions"
cat "$DLOG"
echo "all action checks passed"
