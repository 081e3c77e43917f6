#!/usr/bin/env bash
# bench/recovery.sh - how fast `tunnelctl daemon` brings a tunnel back (SPEC §7, §12).
#
# Part 1: B closes A's child SA (swanctl --terminate --child on B); the time until A has a new
# INSTALLED child, measured N times (default 10), median and worst, next to pfSense's 300 s
# keep-alive period (and its 150 s average wait). Both sides are real charons in the lab.
# Part 2 (--long-outage): in real time, B is gone for OUTAGE seconds (default 150), then back;
# reported: seconds from B's return to A's child installed (target: 1 s, whatever the outage
# length; pfSense: up to 300 s), and what watching the silent peer cost meanwhile (A's
# IKE_SA_INITs and the daemon's CPU time). --how charon (default): B's charon stopped, its
# host up; "back" = charon started with its connections loaded. --how drop: every packet of
# B's dropped (the host away); "back" = the drop cleared.
#
# Part 3 (--scale): TUNNELS tunnels (default 1000) to GATEWAYS addresses (default 20) that
# answer nothing (routed to B, which drops them), all down: how long until every gateway is
# known silent, then over WINDOW seconds (default 30) the probes per second (A's IKE SAs
# initiated), A's packets per second on its WAN side, and the CPU of the daemon and of charon.
#
# Usage: bench/recovery.sh [--runs N] [--long-outage [--outage SEC] [--how charon|drop]]
#                          [--scale [--tunnels N] [--gateways N] [--window SEC]]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=10 LONG=0 OUTAGE=150 HOW=charon SCALE=0 TUNNELS=1000 GATEWAYS=20 WINDOW=30
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) RUNS=$2; shift ;;
	--long-outage) LONG=1 ;;
	--outage) OUTAGE=$2; shift ;;
	--how) HOW=$2; shift ;;
	--scale) SCALE=1 ;;
	--tunnels) TUNNELS=$2; shift ;;
	--gateways) GATEWAYS=$2; shift ;;
	--window) WINDOW=$2; shift ;;
	*) echo "usage: bench/recovery.sh [--runs N] [--long-outage [--outage SEC] [--how charon|drop]] [--scale [--tunnels N] [--gateways N] [--window SEC]]" >&2; exit 2 ;;
	esac
	shift
done
[ -x ./tunnelctl ] || { echo "build ./tunnelctl first (make)" >&2; exit 1; }
export TUNNELCTL_BIN=$ROOT/tunnelctl
LAB=bench$$
WORK=$(mktemp -d /tmp/tc-bench-recovery.XXXXXX)
lab() { bash "$ROOT/lab/lab.sh" --name "$LAB" "$@"; }
cleanup() { lab down >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM
LAB_DIR=${TUNNELCTL_LAB_DIR:-/run/tunnelctl-lab}/$LAB

gen() { # gen SIDE LOCAL PEER LOCAL_NET PEER_NET P2_EXTRA
	cat <<CONF
global {
    retransmit {
        tries = 3
        timeout = 1.0
    }
}
tunnels {
    1 {
        local_address = $2
        remote_gateway = $3
        local_id = fqdn:$1.bench
        remote_id = fqdn:$( [ $1 = a ] && echo b || echo a ).bench
        psk = "recovery-bench-secret-0123456789"
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
gen a 192.0.2.1 192.0.2.2 10.71.0 10.72.0 "                keepalive = yes" >"$WORK/a.conf"
gen b 192.0.2.2 192.0.2.1 10.72.0 10.71.0 "" >"$WORK/b.conf"

child_uid() { # INSTALLED child con1 on side S (swanctl as the oracle; the socket is a plain path)
	swanctl --list-sas --uri "unix://$LAB_DIR/$1/run/charon.vici" 2>/dev/null |
		sed -n 's/^  con1: #\([0-9]*\), reqid [0-9]*, INSTALLED.*/\1/p' | head -1
}
wait_new_child() { # wait_new_child OLD_UID TIMEOUT_S: prints the time it appeared
	local old=$1 end u
	end=$(echo "$(now) + $2" | bc)
	while :; do
		u=$(child_uid a)
		if [ -n "$u" ] && [ "$u" != "$old" ]; then now; return 0; fi
		[ "$(echo "$(now) > $end" | bc)" = 1 ] && return 1
		sleep 0.01
	done
}
median() { sort -n | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

now() { date +%s.%N; }
cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat"; }
if [ "$SCALE" = 1 ]; then
	# A: TUNNELS phase 1s round-robin over GATEWAYS addresses in 198.51.100.0/24 (routed to B,
	# which does not forward: silent), all watched; B: one tunnel, so the lab has a peer
	{
		printf 'global {\n    retransmit {\n        tries = 2\n        timeout = 1.0\n    }\n}\ntunnels {\n'
		for ((i = 1; i <= TUNNELS; i++)); do
			printf '    %d {\n        local_address = 192.0.2.1\n        remote_gateway = 198.51.100.%d\n' "$i" $(((i - 1) % GATEWAYS + 1))
			printf '        local_id = fqdn:a%d.bench\n        remote_id = fqdn:g%d.bench\n' "$i" "$i"
			printf '        psk = "recovery-bench-secret-0123456789"\n        start_action = none\n'
			printf '        phase2 {\n            %d {\n                local = 10.%d.%d.0/24\n' "$i" $((100 + i / 250)) $((i % 250))
			printf '                remote = 10.%d.%d.0/24\n                keepalive = yes\n            }\n        }\n    }\n' $((150 + i / 250)) $((i % 250))
		done
		printf '}\n'
	} >"$WORK/a.conf"
	echo "lab up: A with $TUNNELS tunnels to $GATEWAYS silent gateways ..."
	# (tunnelctl warns about phase 1s sharing a peer: that is the point here)
	lab up "$WORK/a.conf" "$WORK/b.conf" --wait 1 >/dev/null 2>"$WORK/up.err" || { cat "$WORK/up.err"; exit 1; }
	lab exec a -- ip route add 198.51.100.0/24 via 192.0.2.2
	t0=$(now)
	lab daemon a >/dev/null
	DLOG=$LAB_DIR/a/daemon.log
	while [ "$(grep -c ': silent:' "$DLOG" || true)" -lt "$GATEWAYS" ]; do
		[ "$(echo "$(now) - $t0 > 600" | bc)" = 1 ] && { tail -5 "$DLOG"; echo "not every gateway silent after 600 s" >&2; exit 1; }
		sleep 0.5
	done
	printf 'every one of %d gateways known silent %.1f s after the daemon started (%d initiations of single tunnels before)\n' \
		"$GATEWAYS" "$(echo "$(now) - $t0" | bc -l)" "$(grep -c ': initiate:' "$DLOG" || true)"
	sleep 3	# the attempts that were in flight are ended
	dpid=$(cat "$LAB_DIR/a/daemon.pid")
	cpid=$(cat "$LAB_DIR/a/charon.pid")
	c0=$(wc -l <"$LAB_DIR/a/run/charon.log")
	k0=$(cpu_of "$dpid") q0=$(cpu_of "$cpid")
	p0=$(lab exec a -- cat /sys/class/net/wan/statistics/tx_packets)
	i0=$(grep -c ': initiate:' "$DLOG" || true)
	sleep "$WINDOW"
	k1=$(cpu_of "$dpid") q1=$(cpu_of "$cpid")
	p1=$(lab exec a -- cat /sys/class/net/wan/statistics/tx_packets)
	i1=$(grep -c ': initiate:' "$DLOG" || true)
	[ "${BENCH_SHOW_LOG:-0}" = 1 ] && tail -n 30 "$DLOG" | cut -c1-220
	inits=$(tail -n +"$((c0 + 1))" "$LAB_DIR/a/run/charon.log" | grep -c "initiating IKE_SA" || true)
	hz=$(getconf CLK_TCK)
	printf 'over %d s, all %d tunnels down: %.1f probes/s (IKE SAs A started), %.1f packets/s out of A, %d tunnel initiations\n' \
		"$WINDOW" "$TUNNELS" "$(echo "$inits / $WINDOW" | bc -l)" "$(echo "($p1 - $p0) / $WINDOW" | bc -l)" $((i1 - i0))
	printf 'CPU: daemon %.2f %%, charon %.2f %% of one core\n' "$(echo "100 * ($k1 - $k0) / $hz / $WINDOW" | bc -l)" \
		"$(echo "100 * ($q1 - $q0) / $hz / $WINDOW" | bc -l)"
	exit 0
fi
echo "lab up (both charons, kernel-libipsec) ..."
lab up "$WORK/a.conf" "$WORK/b.conf" --wait 1 >/dev/null
lab daemon a >/dev/null
wait_new_child "" 20 >/dev/null || { cat "$LAB_DIR/a/daemon.log"; echo "con1 never came up" >&2; exit 1; }

if [ "$LONG" = 0 ]; then
	: >"$WORK/times"
	for ((i = 1; i <= RUNS; i++)); do
		# a tunnel that goes down again within 10 s of its last initiation counts as a
		# failure and backs off (docs/keepalive.md): keep the runs apart
		sleep 11
		uid=$(child_uid a)
		# B's terminate returns once A answered the DELETE: A's child is gone from then on
		lab exec b -- sh -c 'swanctl --terminate --child con1 --uri "$TUNNELCTL_VICI" >/dev/null 2>&1'
		t0=$(now)
		t1=$(wait_new_child "$uid" 30) || { echo "run $i: not back within 30 s" >&2; exit 1; }
		echo "$t1 - $t0" | bc -l | tee -a "$WORK/times" | awk -v i="$i" '{printf "run %2d: %.3f s\n", i, $1}'
	done
	med=$(median <"$WORK/times")
	worst=$(sort -n "$WORK/times" | tail -1)
	echo
	printf 'child closed by the peer -> re-established: median %.3f s, worst %.3f s (%d runs)\n' "$med" "$worst" "$RUNS"
	printf 'pfSense keep-alive period 300 s (average wait 150 s): %.0fx faster than the period\n' "$(echo "300 / $med" | bc -l)"
	echo "(includes the IKE CREATE_CHILD_SA exchange and this script's polling through swanctl, ~10 ms)"
	echo "daemon's own view (child-updown decision -> child installed), from its log:"
	awk '/con1: initiate: child-updown/ {split($1, a, "T"); t0 = a[2]} /con1: up:/ && t0 {split($1, b, "T"); print b[2], t0; t0 = ""}' "$LAB_DIR/a/daemon.log" |
		awk '{split($1, x, ":"); split($2, y, ":"); d = (x[2] * 60 + x[3]) - (y[2] * 60 + y[3]); if (d < 0) d += 3600; print d}' |
		median | awk '{printf "  median %.3f s\n", $1}'
	exit 0
fi

# Part 2: a long outage, in real time
case "$HOW" in charon | drop) ;; *) echo "--how charon|drop" >&2; exit 2 ;; esac
cpu_ticks() { cpu_of "$(cat "$LAB_DIR/a/daemon.pid")"; }
sleep 11	# the tunnel healthy (and the gateway's echo learned) before the outage
printf 'B gone for %s s (%s), in real time ...\n' "$OUTAGE" "$([ "$HOW" = charon ] && echo "its charon stopped, host up" || echo "every packet dropped")"
if [ "$HOW" = charon ]; then lab stop-charon b >/dev/null; else lab impair b drop-all >/dev/null; fi
ts=$(now)
c0=$(wc -l <"$LAB_DIR/a/run/charon.log")
k0=$(cpu_ticks)
sleep "$OUTAGE"
k1=$(cpu_ticks)
inits=$(tail -n +"$((c0 + 1))" "$LAB_DIR/a/run/charon.log" | grep -c "initiating IKE_SA con1" || true)
if [ "$HOW" = charon ]; then lab start-charon b >/dev/null; else lab impair b clear >/dev/null; fi
t0=$(now)
t1=$(wait_new_child "" 600) || { tail -20 "$LAB_DIR/a/daemon.log"; echo "tunnel not back after the outage" >&2; exit 1; }
secs=$(echo "$t0 - $ts" | bc -l)
printf 'during the outage: %d IKE SAs initiated by A (%.2f/s), daemon CPU %.2f s (%.3f %%)\n' "$inits" \
	"$(echo "$inits / $secs" | bc -l)" "$(echo "($k1 - $k0) / $(getconf CLK_TCK)" | bc -l)" \
	"$(echo "100 * ($k1 - $k0) / $(getconf CLK_TCK) / $secs" | bc -l)"
{ grep -E ': (silent|peer-back):' "$LAB_DIR/a/daemon.log" || true; } | tail -2 | cut -c1-200
printf 'after the outage: tunnel back %.3f s after B was back, without any command (target 1 s; pfSense up to 300 s)\n' "$(echo "$t1 - $t0" | bc -l)"
