# tests/lab/lib.sh - shared helpers for lab tests: a unique lab per run, cleanup on every exit,
# shellcheck shell=bash
# steps echoed, assertions that say what they expected.
# Usage: source this, then `lab_begin` (sets LAB, TC, TMP), use `lab ...`, assertions.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TC=$ROOT/tunnelctl
export TUNNELCTL_BIN=$TC

step() { echo "--- $*"; }
die() { echo "FAIL: $*" >&2; exit 1; }

lab() { bash "$ROOT/lab/lab.sh" --name "$LAB" "$@"; }
# Run a command in side a|b's namespace with that side's TUNNELCTL_* environment.
on() { local s=$1; shift; lab exec "$s" -- "$@"; }

lab_cleanup() {
	local rc=$?
	lab down >/dev/null 2>&1 || true
	rm -rf "$TMP"
	exit $rc
}

lab_begin() {
	LAB=t$$$(basename "$0" .sh | tr -cd 'a-z' | head -c 6)
	LAB_DIR=${TUNNELCTL_LAB_DIR:-/run/tunnelctl-lab}/$LAB	# the lab's files: SIDE/daemon.log, SIDE/charon.pid, ...
	TMP=$(mktemp -d)
	trap lab_cleanup EXIT INT TERM
}

# wait_for SEC WHAT CMD...: run CMD every 0.1 s until it succeeds, at most SEC seconds; on
# time-out show the end of $DLOG (a daemon's log, when the test sets it) and fail.
wait_for() {
	local sec=$1 what=$2 i
	shift 2
	for ((i = 0; i < sec * 10; i++)); do
		"$@" >/dev/null 2>&1 && { echo "ok: $what"; return 0; }
		sleep 0.1
	done
	if [ -n "${DLOG:-}" ]; then
		echo "--- daemon log:" >&2
		tail -30 "$DLOG" >&2 || true
	fi
	die "$what (not within ${sec}s)"
}

# assert_contains TEXT NEEDLE WHAT
assert_contains() {
	case "$1" in
	*"$2"*) echo "ok: $3" ;;
	*) echo "$1" >&2; die "$3: expected to find '$2'" ;;
	esac
}
assert_not_contains() {
	case "$1" in
	*"$2"*) echo "$1" >&2; die "$3: did not expect '$2'" ;;
	*) echo "ok: $3" ;;
	esac
}
assert_eq() {
	[ "$1" = "$2" ] || die "$3: expected '$2', got '$1'"
	echo "ok: $3"
}

# A tunnel file for side SIDE (a|b) of the usual two-tunnel lab pair: con1 (IKEv2, phase 2
# entries 1 "LAN" and 2 "DMZ" merged into one child) and con2 (IKEv1, split children con2_3 and
# con2_4), a on 192.0.2.1 with 10.1.x.0/24 networks, b on 192.0.2.2 with 10.2.x.0/24.
# Usage: pair_conf SIDE START_ACTION PSK_PREFIX [RETRANSMIT_TRIES]
pair_conf() {
	local side=$1 start=$2 psk=$3 tries=${4:-} me peer wan pwan net pnet
	if [ "$side" = a ]; then
		me=a peer=b wan=192.0.2.1 pwan=192.0.2.2 net=10.1 pnet=10.2
	else
		me=b peer=a wan=192.0.2.2 pwan=192.0.2.1 net=10.2 pnet=10.1
	fi
	if [ -n "$tries" ]; then
		printf 'global {\n    retransmit {\n        tries = %s\n        timeout = 1.0\n    }\n}\n' "$tries"
	fi
	cat <<CONF
tunnels {
    1 {
        description = HQ
        local_address = $wan
        remote_gateway = $pwan
        local_id = fqdn:$me-1.lab
        remote_id = fqdn:$peer-1.lab
        psk = "$psk-first-secret-0123456789"
        start_action = $start
        phase2 {
            1 {
                description = LAN
                local = $net.0.0/24
                remote = $pnet.0.0/24
            }
            2 {
                description = DMZ
                local = $net.1.0/24
                remote = $pnet.1.0/24
            }
        }
    }
    2 {
        description = Branch
        version = ikev1
        local_address = $wan
        remote_gateway = $pwan
        local_id = fqdn:$me-2.lab
        remote_id = fqdn:$peer-2.lab
        psk = "$psk-second-secret-012345678"
        start_action = $start
        phase2 {
            3 {
                local = $net.3.0/24
                remote = $pnet.3.0/24
            }
            4 {
                local = $net.4.0/24
                remote = $pnet.4.0/24
            }
        }
    }
}
CONF
}

# The unique id of IKE SA NAME on side S (empty if none), from swanctl as the test's oracle.
ike_uid() {
	local s=$1 name=$2
	on "$s" sh -c 'swanctl --list-sas --uri "$TUNNELCTL_VICI" 2>/dev/null' |
		sed -n "s/^$name: #\([0-9]*\), ESTABLISHED.*/\1/p" | head -1
}

# The unique id of the installed child SA NAME on side S (empty if none), from swanctl.
child_uid_of() {
	on "$1" sh -c 'swanctl --list-sas --uri "$TUNNELCTL_VICI" 2>/dev/null' |
		sed -n "s/^  $2: #\([0-9]*\), reqid [0-9]*, INSTALLED.*/\1/p" | head -1
}

# Wait up to SEC seconds for IKE SA NAME on side S to be established.
wait_ike() {
	local s=$1 name=$2 sec=${3:-15} i
	for ((i = 0; i < sec * 10; i++)); do
		[ -n "$(ike_uid "$s" "$name")" ] && return 0
		sleep 0.1
	done
	return 1
}

# Connection names loaded on side S (oracle: swanctl --list-conns).
loaded_conns() {
	on "$1" sh -c 'swanctl --list-conns --uri "$TUNNELCTL_VICI" 2>/dev/null' | sed -n 's/^\([A-Za-z0-9_-]*\): .*/\1/p' | sort | tr '\n' ' '
}

# The one-tunnel pair of the history and stall tests: con1 ("HQ") from a (192.0.2.1, NET_A.0/24)
# to b (192.0.2.2, NET_B.0/24), watched (keepalive = yes) on a only, started by a's daemon
# (start_action = none), keepalive.interval 2s, short retransmits and DPD.
# Usage: watched_conf SIDE LABEL NET_A NET_B   (LABEL goes into the IDs and the PSK)
watched_conf() {
	local side=$1 label=$2 me=$1 peer wan pwan net pnet ka=""
	if [ "$side" = a ]; then
		peer=b wan=192.0.2.1 pwan=192.0.2.2 net=$3 pnet=$4 ka="keepalive = yes"
	else
		peer=a wan=192.0.2.2 pwan=192.0.2.1 net=$4 pnet=$3
	fi
	cat <<CONF
global {
    keepalive {
        interval = 2s
    }
    retransmit {
        tries = 2
        timeout = 1.0
    }
}
tunnels {
    1 {
        description = HQ
        local_address = $wan
        remote_gateway = $pwan
        local_id = fqdn:$me.$label.lab
        remote_id = fqdn:$peer.$label.lab
        psk = "$label-lab-secret-0123456789"
        start_action = none
        dpd_delay = 2s
        dpd_maxfail = 2
        phase2 {
            1 {
                local = $net.0/24
                remote = $pnet.0/24
                $ka
            }
        }
    }
}
CONF
}
