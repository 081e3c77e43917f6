#!/usr/bin/env bash
# tests/lab/test_lab.sh - the lab itself: up/down leave nothing behind, impairments have their
# effect, labs with different names coexist, a bad tunnel file creates nothing. Root only.
set -euo pipefail
cd "$(dirname "$0")/../.."

ROOT=$PWD
export TUNNELCTL_LAB_DIR=/run/tunnelctl-lab-test-$$
export TUNNELCTL_LAB_PREFIX=tlt$$
N1=up$$
N2=other$$
# ./tunnelctl lab, or the script with TUNNELCTL_BIN (to test the lab against another binary)
if [ -n "${TUNNELCTL_BIN:-}" ]; then
	LABCMD=("$ROOT/lab/lab.sh")
else
	LABCMD=("$ROOT/tunnelctl" lab)
fi
WORK=$(mktemp -d)
passed=0

step() { echo "--- $*"; }
ok() { echo "ok: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*" >&2; exit 1; }
lab() { "${LABCMD[@]}" --name "$1" "${@:2}"; }

cleanup() {
	set +e
	lab "$N1" down >/dev/null 2>&1
	lab "$N2" down >/dev/null 2>&1
	rm -rf "$WORK" "$TUNNELCTL_LAB_DIR"
}
trap cleanup EXIT

logf() { echo "$TUNNELCTL_LAB_DIR/$1/$2/run/charon.log"; }
vici() { echo "unix://$TUNNELCTL_LAB_DIR/$1/$2/run/charon.vici"; }
swan() { swanctl "$@" 2>/dev/null; }
lines() { wc -l <"$1"; }
# after FILE MARK ERE: a line matching ERE after line MARK of FILE
after() { tail -n +"$(($2 + 1))" "$1" | grep -Eq -- "$3"; }
# wait_after FILE MARK ERE SECONDS: poll for it, up to a deadline
wait_after() {
	local i
	for ((i = 0; i < $4 * 10; i++)); do
		after "$1" "$2" "$3" && return 0
		sleep 0.1
	done
	return 1
}
alive() { [ -d "/proc/$1" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# --- a bad tunnel file fails before anything is created ----------------------------------
step "up with a bad tunnel file"
printf 'tunnels {\n    1 {\n        version = ikev9\n' >"$WORK/bad.conf"
set +e
lab "$N1" up "$WORK/bad.conf" examples/lab-b.conf >"$WORK/out" 2>&1
rc=$?
set -e
cat "$WORK/out"
[ "$rc" -eq 2 ] || fail "bad file: exit $rc, expected 2"
grep -q "bad.conf" "$WORK/out" || fail "bad file: the error does not name the file"
ip netns list | grep -q "^$TUNNELCTL_LAB_PREFIX-" && fail "bad file: a namespace was created"
[ -e "$TUNNELCTL_LAB_DIR/$N1" ] && fail "bad file: the lab directory was created"
ok "bad tunnel file: exit 2, no namespace, no directory"

# --- up: the tunnel works ----------------------------------------------------------------
step "lab up $N1"
lab "$N1" up examples/lab-a.conf examples/lab-b.conf | tee "$WORK/up"
grep -q "tunnel con1: up" "$WORK/up" || fail "up does not report con1 up"
lab "$N1" ping --count 3 | tee "$WORK/ping"
grep -q " 0% loss" "$WORK/ping" || fail "no clean ping through the tunnel"
ok "up: con1 established, ping through it"

step "lab exec sets the side's TUNNELCTL_* variables"
lab "$N1" exec b -- sh -c 'echo "$TUNNELCTL_VICI $TUNNELCTL_CONF"; ip -br addr show wan' >"$WORK/exec"
cat "$WORK/exec"
grep -q "unix://$TUNNELCTL_LAB_DIR/$N1/b/run/charon.vici $TUNNELCTL_LAB_DIR/$N1/b/tunnels.conf" "$WORK/exec" ||
	fail "exec: wrong TUNNELCTL_* variables"
grep -q "192.0.2.2/" "$WORK/exec" || fail "exec: not in side b's namespace"
ok "exec: side b's namespace and variables"

# --- a second lab with another name does not collide; the same name is refused -----------
step "lab up $N2 beside $N1"
lab "$N2" up examples/lab-a.conf examples/lab-b.conf >"$WORK/up2"
lab "$N2" ping --count 2 >/dev/null || fail "second lab: no ping"
lab "$N1" ping --count 2 >/dev/null || fail "first lab broken by the second"
set +e
lab "$N1" up examples/lab-a.conf examples/lab-b.conf >"$WORK/again" 2>&1
rc=$?
set -e
cat "$WORK/again"
[ "$rc" -eq 1 ] || fail "same name: exit $rc, expected 1"
grep -q "lab --name $N1 down" "$WORK/again" || fail "same name: no cleanup command shown"
lab "$N1" ping --count 1 >/dev/null || fail "refused up damaged the existing lab"
ok "two labs side by side; same name refused with the cleanup command"

step "lab down $N2: nothing left"
pids=$(cat "$TUNNELCTL_LAB_DIR/$N2/a/charon.pid" "$TUNNELCTL_LAB_DIR/$N2/b/charon.pid")
lab "$N2" down
for p in $pids; do alive "$p" && fail "charon $p still runs after down"; done
ip netns list | grep -q "^$TUNNELCTL_LAB_PREFIX-$N2-" && fail "namespace left after down"
[ -e "$TUNNELCTL_LAB_DIR/$N2" ] && fail "directory left after down"
grep -q "$TUNNELCTL_LAB_DIR/$N2" /proc/self/mountinfo && fail "mount left after down"
grep -q tunnelctl_lab <<<"$(nft list tables)" && fail "an impair table leaked into the host"
lab "$N2" down >/dev/null || fail "a second down fails"
ok "down: no process, namespace, directory or mount left; down twice is fine"

step "down after a crash: state directory lost, charons still running"
lab "$N2" up examples/lab-a.conf examples/lab-b.conf --no-apply >/dev/null
pids=$(cat "$TUNNELCTL_LAB_DIR/$N2/a/charon.pid" "$TUNNELCTL_LAB_DIR/$N2/b/charon.pid")
rm -rf "${TUNNELCTL_LAB_DIR:?}/$N2"
lab "$N2" down
for p in $pids; do alive "$p" && fail "crash: charon $p still runs after down"; done
ip netns list | grep -q "^$TUNNELCTL_LAB_PREFIX-$N2-" && fail "crash: namespace left after down"
ok "down cleans up after a crash"

# --- impairments ---------------------------------------------------------------------------
A=$(vici "$N1" a)
step "impair b drop-esp: traffic stops, IKE still works"
lab "$N1" impair b drop-esp
lab "$N1" ping --count 2 >"$WORK/ping" && fail "drop-esp: ping still passes"
swan --rekey --ike con1 --uri "$A" | grep -q "rekey completed successfully" || fail "drop-esp: IKE blocked too"
rules=$(ip netns exec "$TUNNELCTL_LAB_PREFIX-$N1-b" nft list table inet tunnelctl_lab)
grep -q 'udp dport 4500 @th,64,32 != 0x0 counter packets [1-9]' <<<"$rules" ||
	fail "drop-esp: the ESP-in-UDP rule matched nothing"
grep -q tunnelctl_lab <<<"$(nft list tables)" && fail "impair touched the host's nftables"
lab "$N1" impair b clear
lab "$N1" ping --count 2 >/dev/null || fail "clear: traffic does not come back"
ok "drop-esp: ESP-in-UDP dropped, IKE passes; clear restores"

step "impair a drop-all: nothing passes"
lab "$N1" impair a drop-all
lab "$N1" ping --count 1 >/dev/null && fail "drop-all: ping passes"
timeout 10 swanctl --rekey --ike con1 --uri "$A" --timeout 2 >/dev/null 2>&1 || true
mark=$(lines "$(logf "$N1" b)")
sleep 0.5
after "$(logf "$N1" b)" "$mark" 'received packet' && fail "drop-all: b still receives"
lab "$N1" impair a clear
ok "drop-all: no packet reaches b"

step "impair b drop-udp 4500: IKE_SA_INIT answered, IKE_AUTH not"
swan --terminate --ike con1 --uri "$A" >/dev/null || true
lab "$N1" impair b drop-udp 4500
ma=$(lines "$(logf "$N1" a)")
mb=$(lines "$(logf "$N1" b)")
swan --initiate --child con1 --uri "$A" --timeout 3 >/dev/null || true
wait_after "$(logf "$N1" a)" "$ma" 'retransmit 1 of request with message ID 1' 10 ||
	fail "drop-udp 4500: a did not retransmit IKE_AUTH"
after "$(logf "$N1" b)" "$mb" 'generating IKE_SA_INIT response' || fail "drop-udp 4500: IKE_SA_INIT not answered"
after "$(logf "$N1" b)" "$mb" 'parsed IKE_AUTH request' && fail "drop-udp 4500: IKE_AUTH reached b"
lab "$N1" impair b clear
ok "drop-udp 4500: IKE_SA_INIT answered, IKE_AUTH lost"

step "impair b drop-udp 500: IKE_SA_INIT lost"
swan --terminate --ike con1 --uri "$A" >/dev/null || true
lab "$N1" impair b drop-udp 500
ma=$(lines "$(logf "$N1" a)")
mb=$(lines "$(logf "$N1" b)")
swan --initiate --child con1 --uri "$A" --timeout 2 >/dev/null || true
wait_after "$(logf "$N1" a)" "$ma" 'retransmit 1 of request with message ID 0' 10 ||
	fail "drop-udp 500: a did not retransmit IKE_SA_INIT"
after "$(logf "$N1" b)" "$mb" 'IKE_SA_INIT' && fail "drop-udp 500: IKE_SA_INIT reached b"
lab "$N1" impair b clear
ok "drop-udp 500: IKE_SA_INIT never reaches b"

step "stop-charon b / start-charon b: the tunnel comes back"
lab "$N1" stop-charon b
[ -S "$TUNNELCTL_LAB_DIR/$N1/b/run/charon.vici" ] && fail "stop-charon: VICI socket left"
lab "$N1" start-charon b
swan --terminate --ike con1 --uri "$A" >/dev/null || true
swan --initiate --child con1 --uri "$A" --timeout 10 >/dev/null || fail "no tunnel after start-charon"
lab "$N1" ping --count 2 >/dev/null || fail "no traffic after start-charon"
ok "stop-charon/start-charon"

step "down $N1 with impairments, a stopped charon and a daemon"
dpid=
if "$ROOT/tunnelctl" daemon --help >/dev/null 2>&1; then
	lab "$N1" daemon b
	dpid=$(cat "$TUNNELCTL_LAB_DIR/$N1/b/daemon.pid")
	alive "$dpid" || fail "lab daemon b: not running"
fi
lab "$N1" impair a drop-all
lab "$N1" stop-charon a
lab "$N1" down
if [ -n "$dpid" ] && alive "$dpid"; then fail "the daemon survived down"; fi
ip netns list | grep -q "^$TUNNELCTL_LAB_PREFIX-" && fail "namespace left"
[ -e "$TUNNELCTL_LAB_DIR/$N1" ] && fail "directory left"
ok "down in any state"

echo "test_lab: $passed checks passed"
