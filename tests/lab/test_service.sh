#!/usr/bin/env bash
# service start|status|stop|restart against the real charon, in a network namespace with a
# private /run (so charon's pid file and VICI socket are the namespace's own).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NS=tcsvc$$
TMP=$(mktemp -d)
cleanup() {
	local rc=$?
	ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT INT TERM
die() { echo "FAIL: $*" >&2; exit 1; }

cat >"$TMP/tunnels.conf" <<'CONF'
tunnels {
    1 {
        local_address = 192.0.2.1
        remote_gateway = 192.0.2.2
        psk = "service-test-secret-0123456789"
        phase2 {
            1 {
                local = 10.1.0.0/24
                remote = 10.2.0.0/24
            }
        }
    }
}
CONF
sed 's/^        local_address/        enabled = no\n        local_address/' "$TMP/tunnels.conf" >"$TMP/disabled.conf"

ip netns add "$NS"
ip -n "$NS" link set lo up
echo "--- running the service checks inside $NS with a private /run"
ip netns exec "$NS" unshare -m --propagation private bash -euo pipefail -c '
	mount -t tmpfs none /run
	TC='"$ROOT"'/tunnelctl
	export TUNNELCTL_CONF='"$TMP"'/tunnels.conf TUNNELCTL_OUT_DIR='"$TMP"'/out TUNNELCTL_STATE_DIR='"$TMP"'/state
	die() { echo "FAIL: $*" >&2; exit 1; }
	# running = exists and not a zombie (init here may not reap orphans)
	alive() { [ -r /proc/$1/stat ] && ! grep -q "^$1 ([^)]*) Z" /proc/$1/stat; }

	echo "--- status while stopped: exit 1, says not running"
	set +e; out=$($TC service status); rc=$?; set -e
	echo "$out"
	[ $rc = 1 ] || die "status exit $rc, expected 1"
	case "$out" in *"not running"*) ;; *) die "status does not say not running" ;; esac

	echo "--- a tunnel file without an enabled phase 1: charon is not started"
	out=$($TC service start -c '"$TMP"'/disabled.conf)
	echo "$out"
	[ ! -S /run/charon.vici ] || die "charon started although no phase 1 is enabled"

	echo "--- start: charon runs, VICI answers, the tunnel file is applied"
	$TC service start
	[ -S /run/charon.vici ] || die "no VICI socket after start"
	pid=$(cat /run/charon.pid)
	kill -0 "$pid" || die "charon pid $pid not running"
	json=$($TC service status --json)
	echo "$json"
	[ "$(echo "$json" | jq -r .running)" = true ] || die "status: not running"
	[ "$(echo "$json" | jq -r .pid)" = "$pid" ] || die "status pid differs from the pid file"
	[ "$(echo "$json" | jq -r .vici)" = true ] || die "status: VICI not reachable"
	[ "$(echo "$json" | jq -r .connections)" = 1 ] || die "status: expected 1 loaded connection (apply ran)"
	[ "$(echo "$json" | jq -r .tunnels_down)" = 1 ] || die "status: the tunnel (no peer) must count as down"
	case "$(echo "$json" | jq -r .version)" in 5.*|6.*) ;; *) die "status: no charon version" ;; esac
	case "$json" in *secret*) die "status shows the PSK" ;; esac

	echo "--- restart: a new charon process, config applied again"
	$TC service restart
	pid2=$(cat /run/charon.pid)
	[ "$pid2" != "$pid" ] || die "restart kept the same pid"
	alive "$pid" && die "old charon $pid still running"
	[ "$($TC service status --json | jq -r .connections)" = 1 ] || die "restart: config not applied"

	echo "--- stop: charon exits, status exit 1"
	$TC service stop
	alive "$pid2" && die "charon $pid2 still running after stop"
	set +e; $TC service status >/dev/null; rc=$?; set -e
	[ $rc = 1 ] || die "status after stop exit $rc"
	echo "all service checks passed"
'
