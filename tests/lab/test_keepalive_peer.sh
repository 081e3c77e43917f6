#!/usr/bin/env bash
# keep-alive: a refusing peer keeps the backoff, and the peer initiating is the peer being
# back (issue 20, items 1 and 3), against real charons. A has two phase 1s to B (con1, con2),
# both watched. B's charon runs without connections for REFUSE seconds (default 40): it
# answers every IKE_SA_INIT and refuses (no config), so A backs off per tunnel (no gateway
# probing: the peer is not silent). Then B loads its connections and initiates con1 itself
# (start_action = start): that IKE SA from B's address must reset con2's backoff and get it
# initiated at once, not when its backoff (16-32 s by then) runs out.
source "$(dirname "$0")/lib.sh"
lab_begin
REFUSE=${REFUSE:-40}

phase1() { # phase1 N SIDE LOCAL_WAN PEER_WAN LOCAL_NET PEER_NET START P2_EXTRA
	cat <<CONF
    $1 {
        local_address = $3
        remote_gateway = $4
        local_id = fqdn:$2$1.peer.lab
        remote_id = fqdn:$( [ "$2" = a ] && echo b || echo a )$1.peer.lab
        psk = "peer-lab-secret-$1-0123456789"
        start_action = $7
        phase2 {
            $1 {
                local = $5.0/24
                remote = $6.0/24
$8
            }
        }
    }
CONF
}
gen() { # gen SIDE LOCAL_WAN PEER_WAN START1 P2_EXTRA
	local l r
	[ "$1" = a ] && { l=10.91; r=10.92; } || { l=10.92; r=10.91; }
	printf 'global {\n    retransmit {\n        tries = 2\n        timeout = 1.0\n    }\n}\ntunnels {\n'
	phase1 1 "$1" "$2" "$3" "$l.1" "$r.1" "$4" "$5"
	phase1 2 "$1" "$2" "$3" "$l.2" "$r.2" none "$5"
	printf '}\n'
}
gen a 192.0.2.1 192.0.2.2 none "                keepalive = yes" >"$TMP/a.conf"
gen b 192.0.2.2 192.0.2.1 start "" >"$TMP/b.conf"

DLOG=$LAB_DIR/a/daemon.log

child_up() { # child_up NAME: installed on A
	on a sh -c 'swanctl --list-sas --uri "$TUNNELCTL_VICI" 2>/dev/null' | grep -q "^  $1: #[0-9]*, reqid [0-9]*, INSTALLED"
}
log_lines() { wc -l <"$DLOG"; }
log_since() { tail -n +"$(($1 + 1))" "$DLOG" | grep -c -- "$2" || true; }

step "lab up; B's charon without connections: it answers and refuses"
lab up "$TMP/a.conf" "$TMP/b.conf" --wait 1 >/dev/null
lab stop-charon b >/dev/null
lab start-charon b --no-apply >/dev/null
n=$(log_lines 2>/dev/null || echo 0)
lab daemon a >/dev/null
sleep "$REFUSE"
child_up con2 && die "con2 came up while B had no connections"
[ "$(log_since "$n" "con2: failed:")" -ge 3 ] || die "expected con2's attempts to fail against a refusing peer"
[ "$(log_since "$n" "192.0.2.2: silent:")" -eq 0 ] || die "a refusing peer was taken for a silent one"
tail -n +"$((n + 1))" "$DLOG" | grep -q "con2: failed:.*next attempt in \(8\|9\|1[0-9]\|2[0-9]\|3[0-9]\)\." ||
	die "expected con2's backoff to have grown past 8 s"
echo "ok: a refusing peer gets the per-tunnel backoff (no gateway probing)"

step "B loads its connections and initiates con1: con2 follows at once, not after its backoff"
m=$(log_lines)
on b "$TC" apply >/dev/null
t0=$(date +%s.%N)
wait_for 10 "con1 up (B initiated it)" child_up con1
wait_for 4 "con2 up within seconds of B's initiation" child_up con2
printf 'con2 up %.2f s after B applied and initiated con1\n' "$(echo "$(date +%s.%N) - $t0" | bc -l)"
[ "$(log_since "$m" "con2: initiate: peer 192.0.2.2 initiated an IKE SA")" -ge 1 ] ||
	{ tail -20 "$DLOG" >&2; die "con2's initiation does not say the peer initiating caused it"; }
echo "ok: the peer's own initiation reset con2's backoff"
echo "--- the daemon's decisions"
tail -n +"$((n + 1))" "$DLOG"
echo "all peer checks passed"
