#!/usr/bin/env bash
# keep-alive against real charons (SPEC §7): the daemon on A brings the tunnel back when B
# closes the child, when B's charon restarts, when A's own charon is killed and restarted;
# a manually-down tunnel stays down across daemon restarts; a ping host that stops answering
# (ESP dropped on B, IKE still fine) gets the child restarted; `keepalive --once` does a pass.
# Bounds are generous on purpose: timings belong in bench/recovery.sh.
source "$(dirname "$0")/lib.sh"
lab_begin

gen() { # gen SIDE LOCAL_WAN PEER_WAN LOCAL_NET PEER_NET START_ACTION P2_EXTRA
	cat <<CONF
global {
    keepalive {
        interval = 5s
        ping_interval = 2s
    }
    retransmit {
        tries = 2
        timeout = 1.0
    }
}
tunnels {
    1 {
        description = ka
        local_address = $2
        remote_gateway = $3
        local_id = fqdn:$1.ka.lab
        remote_id = fqdn:$( [ $1 = a ] && echo b || echo a ).ka.lab
        psk = "keepalive-lab-secret-0123456789"
        start_action = $6
        dpd_delay = 2s
        dpd_maxfail = 2
        phase2 {
            1 {
                local = $4.0/24
                remote = $5.0/24
$7
            }
        }
    }
}
CONF
}
# A: keepalive = yes and a ping host on B's LAN; B: responder only
gen a 192.0.2.1 192.0.2.2 10.61.0 10.62.0 none "                keepalive = yes
                ping_host = 10.62.0.1" >"$TMP/a.conf"
gen b 192.0.2.2 192.0.2.1 10.62.0 10.61.0 none "" >"$TMP/b.conf"

DLOG=$LAB_DIR/a/daemon.log

# child unique id of con1 on side S when INSTALLED (empty if none); swanctl as the oracle
child_uid() { child_uid_of "$1" con1; }
child_up() { [ -n "$(child_uid a)" ]; }
child_down() { [ -z "$(child_uid a)" ]; }
child_changed() { local u; u=$(child_uid a); [ -n "$u" ] && [ "$u" != "$1" ]; }
log_has() { grep -q -- "$1" "$DLOG"; }
# lines of the daemon log after line N that contain TEXT
log_since() { tail -n +"$(($1 + 1))" "$DLOG" | grep -c -- "$2" || true; }
log_lines() { wc -l <"$DLOG"; }
daemon_pid() { cat "$LAB_DIR/a/daemon.pid"; }
stop_daemon() {
	local pid
	pid=$(daemon_pid)
	kill -TERM "$pid"
	for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	die "daemon did not stop on SIGTERM"
}
# the manual-down mark: `tunnelctl down` when this build has it, else the state file it writes
mark_down() {
	if "$TC" down --help >/dev/null 2>&1; then on a "$TC" down con1 >/dev/null || true; else
		on a sh -c 'mkdir -p "$TUNNELCTL_STATE_DIR/down" && : >"$TUNNELCTL_STATE_DIR/down/con1"'
		on a sh -c 'swanctl --terminate --ike con1 --uri "$TUNNELCTL_VICI" >/dev/null 2>&1' || true
	fi
}
clear_down() {
	if "$TC" up --help >/dev/null 2>&1; then on a "$TC" up con1 >/dev/null 2>&1 || true; else
		on a sh -c 'rm -f "$TUNNELCTL_STATE_DIR/down/con1"'
	fi
}

step "lab up; start_action = none on both sides, so only keep-alive brings the tunnel up"
lab up "$TMP/a.conf" "$TMP/b.conf" --wait 1 >/dev/null
child_down || die "con1 came up without the daemon"
echo "ok: con1 is down before the daemon runs"

step "keepalive --once: one pass initiates the watched tunnel and reports it"
out=$(on a "$TC" keepalive --once 2>&1) || die "keepalive --once failed: $out"
echo "$out"
assert_contains "$out" "con1: initiate" "the pass logs its initiation with the tunnel name"
assert_contains "$out" "1 initiated, 0 failed" "the summary counts it"
wait_for 10 "con1 is up after the pass" child_up
rec=$(on a sh -c 'cat "$TUNNELCTL_STATE_DIR/keepalive/con1.json"')
assert_contains "$rec" '"reinitiations": 1' "the decision is recorded in the state dir"
out=$(on a "$TC" keepalive --once 2>&1)
assert_contains "$out" "0 initiated" "a second pass leaves an up tunnel alone"

step "daemon on A"
lab daemon a >/dev/null
wait_for 10 "daemon started" log_has "daemon: start"

step "B closes the child: A re-establishes it, reacting to the child-updown event"
uid=$(child_uid a)
n=$(log_lines)
on b sh -c 'swanctl --terminate --child con1 --uri "$TUNNELCTL_VICI" >/dev/null 2>&1'
wait_for 10 "con1 re-established with a new child SA (was #$uid)" child_changed "$uid"
[ "$(log_since "$n" "con1: initiate: child-updown event")" -ge 1 ] || { tail "$DLOG"; die "no initiate decision naming the child-updown event"; }
echo "ok: the daemon log names the event it reacted to"
# status shows what the engine did, from its record in the state dir
reinit=$(on a "$TC" status con1 --json | jq '[.ike_sas[].children[] | select(.name == "con1") | .keepalive.reinitiations // 0] | max')
[ "${reinit:-0}" -ge 1 ] || die "status --json shows no re-initiation for con1 (got '$reinit')"
echo "ok: status --json shows $reinit re-initiation(s) of con1"

step "the ping host answers through a healthy tunnel: no dead verdict"
sleep 8	# four ping intervals
if log_has "con1: dead:"; then tail "$DLOG"; die "ping host declared dead while the tunnel works"; fi
echo "ok: echoes are answered (no dead verdict in 8 s)"

step "ESP dropped on B, IKE answering: the ping host detects the dead tunnel and the child is restarted"
n=$(log_lines)
lab impair b drop-esp >/dev/null
wait_for 40 "up-but-dead detected" sh -c "tail -n +$((n + 1)) '$DLOG' | grep -q 'con1: dead: up but dead: ping host 10.62.0.1'"
wait_for 20 "child restarted" sh -c "tail -n +$((n + 1)) '$DLOG' | grep -q 'con1: restart:'"
lab impair b clear >/dev/null
wait_for 30 "traffic passes again after the impairment is cleared" lab ping con1 --count 2

step "manual down: the daemon leaves con1 down, also across a daemon restart, until cleared"
mark_down
wait_for 10 "con1 down" child_down
wait_for 15 "the daemon logs that it skips con1" log_has "con1: skip:"
stop_daemon
lab daemon a >/dev/null
sleep 7	# longer than keepalive.interval: a periodic check has run
child_down || die "con1 came up although manually down"
echo "ok: con1 stays down across a daemon restart"
clear_down
wait_for 15 "con1 back once the mark is cleared" child_up

step "B's charon stopped, started again after some seconds: A's tunnel comes back without a command"
lab stop-charon b >/dev/null
wait_for 30 "A notices con1 is gone" child_down
sleep 8
lab start-charon b >/dev/null
wait_for 60 "con1 back after B's restart" child_up
log_has "con1: failed:" && echo "ok: failed attempts were logged with their backoff"

step "A's charon killed and restarted: the daemon reconnects, re-applies and brings con1 back"
n=$(log_lines)
kill -KILL "$(cat "$LAB_DIR/a/charon.pid")"
sleep 1
lab start-charon a --no-apply >/dev/null
wait_for 30 "con1 back after A's charon restart" child_up
[ "$(log_since "$n" "charon: charon-lost")" -ge 1 ] || die "no charon-lost decision"
[ "$(log_since "$n" "charon: reapply")" -ge 1 ] || die "no reapply decision"
echo "ok: the log shows charon lost, the re-apply and the recovery"

step "SIGTERM: the daemon exits cleanly"
pid=$(daemon_pid)
stop_daemon
log_has "daemon: stop: SIGTERM" || die "no stop line"
echo "ok: daemon $pid stopped"
echo "--- the daemon's decisions"
cat "$DLOG"
echo "all keep-alive checks passed"
