#!/usr/bin/env bash
# keep-alive after a long peer outage (issue 20), against real charons: B's charon is gone for
# OUTAGE real seconds (default 40: A's per-tunnel backoff would stand at 16-32 s by then). A's
# daemon must tell the silent peer (retransmits unanswered) from a refusing one, watch the
# gateway with one IKE probe a second instead of backing off (B's host still answers echoes, so
# an echo tells nothing there), and bring the tunnel back as soon as B is back, saying so. Then
# B's whole host is unreachable (every packet dropped): the gateway answered echoes while the
# tunnel was up, so it is probed with echoes, not IKE, and its first echo reply brings the
# tunnel back. Bounds are generous on purpose: timings belong in bench/recovery.sh.
source "$(dirname "$0")/lib.sh"
lab_begin
OUTAGE=${OUTAGE:-40}

gen() { # gen SIDE LOCAL_WAN PEER_WAN LOCAL_NET PEER_NET P2_EXTRA
	cat <<CONF
global {
    keepalive {
        interval = 30s
    }
    retransmit {
        tries = 2
        timeout = 1.0
    }
}
tunnels {
    1 {
        local_address = $2
        remote_gateway = $3
        local_id = fqdn:$1.outage.lab
        remote_id = fqdn:$( [ $1 = a ] && echo b || echo a ).outage.lab
        psk = "outage-lab-secret-0123456789"
        start_action = none
        dpd_delay = 2s
        dpd_maxfail = 2
        phase2 {
            1 {
                local = $4.0/24
                remote = $5.0/24
$6
            }
        }
    }
}
CONF
}
gen a 192.0.2.1 192.0.2.2 10.81.0 10.82.0 "                keepalive = yes" >"$TMP/a.conf"
gen b 192.0.2.2 192.0.2.1 10.82.0 10.81.0 "" >"$TMP/b.conf"

DLOG=$LAB_DIR/a/daemon.log

child_uid() { child_uid_of "$1" con1; }
die_log() { echo "--- daemon log:" >&2; tail -30 "$DLOG" >&2 || true; die "$@"; }
metrics_has() { on a curl -s "http://127.0.0.1:8714/metrics" | grep -qF -- "$1"; }
child_up() { [ -n "$(child_uid a)" ]; }
child_down() { [ -z "$(child_uid a)" ]; }
log_lines() { wc -l <"$DLOG"; }
log_since() { tail -n +"$(($1 + 1))" "$DLOG" | grep -c -- "$2" || true; }
# IKE SAs A's charon started for con1 since line N of its log ("initiating IKE_SA con1[7] to ...")
ike_inits_since() { tail -n +"$(($1 + 1))" "$LAB_DIR/a/run/charon.log" | grep -c "initiating IKE_SA con1" || true; }

step "lab up; only A's daemon brings the tunnel up"
lab up "$TMP/a.conf" "$TMP/b.conf" --wait 1 >/dev/null
lab daemon a >/dev/null
wait_for 15 "con1 up through the daemon" child_up

step "B's charon gone for ${OUTAGE}s: A sees a silent peer and probes it once a second"
n=$(log_lines)
lab stop-charon b >/dev/null
wait_for 20 "A notices con1 is gone" child_down
wait_for 20 "the daemon says the peer is silent" sh -c "tail -n +$((n + 1)) '$DLOG' | grep -q '192.0.2.2: silent:'"
s0=$(log_lines)
c0=$(wc -l <"$LAB_DIR/a/run/charon.log")
out=$(on a "$TC" status 2>&1 || true)
assert_contains "$out" "peer 192.0.2.2: silent since" "status says which peer is silent and since when"
# the daemon's status cache renews its document on events and every 5 s
wait_for 8 "/metrics says the peer is silent" metrics_has 'tunnelctl_peer_silent{peer="192.0.2.2"} 1'
wait_for 1 "/metrics says since when" metrics_has 'tunnelctl_peer_silent_since_timestamp_seconds{peer="192.0.2.2"} '
sleep "$OUTAGE"
# no per-tunnel backoff while silent: the tunnel itself is not re-initiated, the gateway is
# probed (the backoff would have initiated it 4-5 times in 40 s; one round of initiations may
# follow two probes whose SAs a busy charon had not created a second later, read as refusals)
[ "$(log_since "$s0" "con1: initiate:")" -le 1 ] || die_log "con1 was initiated on its own while its gateway was silent"
echo "ok: no per-tunnel backoff while the gateway is silent"
# the probes are real IKE_SA_INITs in A's charon log, about one a second
probes=$(ike_inits_since "$c0")
echo "A's charon started $probes IKE SAs for con1 in ${OUTAGE}s"
[ "$probes" -ge $((OUTAGE * 3 / 4)) ] || die_log "expected about one IKE probe a second during ${OUTAGE}s, saw $probes initiations"
echo "ok: about one IKE probe a second during the outage"

step "B back with its connections: A's tunnel is up within a few seconds, and the daemon says why"
lab start-charon b >/dev/null
t0=$(date +%s.%N)
wait_for 5 "con1 back soon after B's return" child_up
t1=$(date +%s.%N)
printf 'con1 back %.2f s after B was back with its connections loaded (bench/recovery.sh --long-outage measures this)\n' "$(echo "$t1 - $t0" | bc -l)"
wait_for 5 "the daemon logged the peer's return" sh -c "tail -n +$((s0 + 1)) '$DLOG' | grep -q '192.0.2.2: peer-back:'"
wait_for 8 "/metrics: the peer is no longer silent" metrics_has 'tunnelctl_peer_silent{peer="192.0.2.2"} 0'
assert_not_contains "$(on a "$TC" status 2>&1 || true)" "peer 192.0.2.2: silent" "status no longer lists the peer as silent"

step "B's host unreachable for 20s (every packet dropped): echo probes, then back on its first reply"
wait_for 10 "con1 up before the second outage" child_up
n2=$(log_lines)
lab impair b drop-all >/dev/null
wait_for 30 "the daemon says the peer is silent again" sh -c "tail -n +$((n2 + 1)) '$DLOG' | grep -q '192.0.2.2: silent:'"
c1=$(wc -l <"$LAB_DIR/a/run/charon.log")
sleep 20
inits=$(ike_inits_since "$c1")
echo "A's charon started $inits IKE SAs for con1 in 20s of echo probing"
[ "$inits" -le 2 ] || die_log "expected echo probes, not IKE, while B's host is gone; saw $inits IKE initiations"
echo "ok: an unreachable host that answered echoes is probed with echoes"
lab impair b clear >/dev/null
wait_for 5 "con1 back soon after B's host returns" child_up
wait_for 5 "the daemon logged the echo that told" sh -c "tail -n +$((n2 + 1)) '$DLOG' | grep -q '192.0.2.2: peer-back: it answers echoes again'"
echo "--- the daemon's decisions"
tail -n +"$((n + 1))" "$DLOG"
echo "all outage checks passed"
