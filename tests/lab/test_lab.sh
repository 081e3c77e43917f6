#!/usr/bin/env bash
# tests/lab/test_lab.sh - the lab itself: up/down leave nothing behind, impairments have their
# effect, labs with different names coexist, a bad tunnel file creates nothing. Root only.
# shellcheck source=tests/lab/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# a lab root and namespace prefix of its own: nothing here can touch another run's labs
export TUNNELCTL_LAB_DIR=/run/tunnelctl-lab-test-$$
export TUNNELCTL_LAB_PREFIX=tlt$$
lab_begin
N1=$LAB
N2=${LAB}b
WORK=$TMP

ok() { echo "ok: $*"; }
# lab_n NAME ARGS: lib.sh's lab, for the lab named NAME
lab_n() { LAB=$1 lab "${@:2}"; }

cleanup() {
	local rc=$?
	lab_n "$N2" down >/dev/null 2>&1 || true
	rm -rf "$TUNNELCTL_LAB_DIR"
	(exit "$rc")
	lab_cleanup
}
trap cleanup EXIT INT TERM

logf() { echo "$TUNNELCTL_LAB_DIR/$1/$2/run/charon.log"; }
vici() { echo "unix://$TUNNELCTL_LAB_DIR/$1/$2/run/charon.vici"; }
swan() { swanctl "$@" 2>/dev/null; }
lines() { wc -l <"$1"; }
# after FILE MARK ERE: a line matching ERE after line MARK of FILE
after() { grep -Eq -- "$3" <(tail -n +"$(($2 + 1))" "$1"); }
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

# --- every lab command is in `tunnelctl lab --help` ---------------------------------------
step "lab --help names every subcommand"
help=$("$TC" lab --help)
# the subcommands are the items of main's `case "$cmd" in`
for c in $(awk '/^\tcase "\$cmd" in/,/^\tesac/' lab/lab.sh | sed -n 's/^\t\([a-z-]*\)).*/\1/p' | sort -u); do
	grep -q "^  $c\b" <<<"$help" || die "lab --help does not describe '$c'"
done
ok "lab --help covers every subcommand"

# --- a bad tunnel file fails before anything is created ----------------------------------
step "up with a bad tunnel file"
printf 'tunnels {\n    1 {\n        version = ikev9\n' >"$WORK/bad.conf"
set +e
lab_n "$N1" up "$WORK/bad.conf" examples/lab-b.conf >"$WORK/out" 2>&1
rc=$?
set -e
cat "$WORK/out"
[ "$rc" -eq 2 ] || die "bad file: exit $rc, expected 2"
grep -q "bad.conf" "$WORK/out" || die "bad file: the error does not name the file"
grep -q "^$TUNNELCTL_LAB_PREFIX-" <<<"$(ip netns list)" && die "bad file: a namespace was created"
[ -e "$TUNNELCTL_LAB_DIR/$N1" ] && die "bad file: the lab directory was created"
ok "bad tunnel file: exit 2, no namespace, no directory"

# --- up: the tunnel works ----------------------------------------------------------------
step "lab up $N1"
lab_n "$N1" up examples/lab-a.conf examples/lab-b.conf | tee "$WORK/up"
grep -q "tunnel con1: up" "$WORK/up" || die "up does not report con1 up"
lab_n "$N1" ping --count 3 | tee "$WORK/ping"
grep -q " 0% loss" "$WORK/ping" || die "no clean ping through the tunnel"
ok "up: con1 established, ping through it"

step "lab exec sets the side's TUNNELCTL_* variables"
lab_n "$N1" exec b -- sh -c 'echo "$TUNNELCTL_VICI $TUNNELCTL_CONF"; ip -br addr show wan' >"$WORK/exec"
cat "$WORK/exec"
grep -q "unix://$TUNNELCTL_LAB_DIR/$N1/b/run/charon.vici $ROOT/examples/lab-b.conf" "$WORK/exec" ||
	die "exec: wrong TUNNELCTL_* variables"
grep -q "192.0.2.2/" "$WORK/exec" || die "exec: not in side b's namespace"
lab_n "$N1" exec a -- tunnelctl status con1 >"$WORK/status" || die "exec: tunnelctl status con1 says not established"
grep -q INSTALLED "$WORK/status" || die "exec: status shows no installed child"
ok "exec: side b's namespace and variables; 'exec a -- tunnelctl status' asks side a's charon"

# --- a second lab with another name does not collide; the same name is refused -----------
step "lab up $N2 beside $N1"
lab_n "$N2" up examples/lab-a.conf examples/lab-b.conf >"$WORK/up2"
lab_n "$N2" ping --count 2 >/dev/null || die "second lab: no ping"
lab_n "$N1" ping --count 2 >/dev/null || die "first lab broken by the second"
set +e
"$TC" lab --name "$N1" up examples/lab-a.conf examples/lab-b.conf >"$WORK/again" 2>&1
rc=$?
set -e
cat "$WORK/again"
[ "$rc" -eq 1 ] || die "same name: exit $rc, expected 1"
grep -q "lab --name $N1 down" "$WORK/again" || die "same name: no cleanup command shown"
lab_n "$N1" ping --count 1 >/dev/null || die "refused up damaged the existing lab"
ok "two labs side by side; same name refused with the cleanup command"

step "lab down $N2: nothing left"
pids=$(cat "$TUNNELCTL_LAB_DIR/$N2/a/charon.pid" "$TUNNELCTL_LAB_DIR/$N2/b/charon.pid")
lab_n "$N2" down
for p in $pids; do alive "$p" && die "charon $p still runs after down"; done
grep -q "^$TUNNELCTL_LAB_PREFIX-$N2-" <<<"$(ip netns list)" && die "namespace left after down"
[ -e "$TUNNELCTL_LAB_DIR/$N2" ] && die "directory left after down"
grep -q "$TUNNELCTL_LAB_DIR/$N2" /proc/self/mountinfo && die "mount left after down"
grep -q tunnelctl_lab <<<"$(nft list tables)" && die "an impair table leaked into the host"
lab_n "$N2" down >/dev/null || die "a second down fails"
ok "down: no process, namespace, directory or mount left; down twice is fine"

step "down after a crash: state directory lost, charons still running"
lab_n "$N2" up examples/lab-a.conf examples/lab-b.conf --no-apply >/dev/null
pids=$(cat "$TUNNELCTL_LAB_DIR/$N2/a/charon.pid" "$TUNNELCTL_LAB_DIR/$N2/b/charon.pid")
rm -rf "${TUNNELCTL_LAB_DIR:?}/$N2"
lab_n "$N2" down
for p in $pids; do alive "$p" && die "crash: charon $p still runs after down"; done
grep -q "^$TUNNELCTL_LAB_PREFIX-$N2-" <<<"$(ip netns list)" && die "crash: namespace left after down"
ok "down cleans up after a crash"

step "gateways in different subnets get host routes"
sed 's/192\.0\.2\.1$/198.51.100.1/; s/192\.0\.2\.2$/203.0.113.7/' examples/lab-a.conf >"$WORK/xa.conf"
sed 's/192\.0\.2\.2$/203.0.113.7/; s/192\.0\.2\.1$/198.51.100.1/' examples/lab-b.conf >"$WORK/xb.conf"
lab_n "$N2" up "$WORK/xa.conf" "$WORK/xb.conf" >/dev/null
lab_n "$N2" exec a -- ip route >"$WORK/routes"
grep -q '^203.0.113.7 dev wan .*src 198.51.100.1' "$WORK/routes" || die "no host route to the peer"
lab_n "$N2" ping --count 2 >/dev/null || die "no tunnel between different subnets"
lab_n "$N2" down >/dev/null
ok "different subnets: host route, tunnel up"

# --- impairments ---------------------------------------------------------------------------
A=$(vici "$N1" a)
step "impair b drop-esp: traffic stops, IKE still works"
lab_n "$N1" impair b drop-esp
lab_n "$N1" ping --count 2 >"$WORK/ping" && die "drop-esp: ping still passes"
grep -q "rekey completed successfully" <<<"$(swan --rekey --ike con1 --uri "$A")" || die "drop-esp: IKE blocked too"
rules=$(ip netns exec "$TUNNELCTL_LAB_PREFIX-$N1-b" nft list table inet tunnelctl_lab)
grep -q 'udp dport 4500 @th,64,32 != 0x0 counter packets [1-9]' <<<"$rules" ||
	die "drop-esp: the ESP-in-UDP rule matched nothing"
grep -q tunnelctl_lab <<<"$(nft list tables)" && die "impair touched the host's nftables"
lab_n "$N1" impair b clear
lab_n "$N1" ping --count 2 >/dev/null || die "clear: traffic does not come back"
ok "drop-esp: ESP-in-UDP dropped, IKE passes; clear restores"

step "impair a drop-udp all (SPEC's spelling of drop-all): nothing passes"
lab_n "$N1" impair a drop-udp all
grep -q 'comment "drop-all"' <<<"$(lab_n "$N1" impair a list)" || die "drop-udp all is not drop-all"
lab_n "$N1" ping --count 1 >/dev/null && die "drop-all: ping passes"
timeout 10 swanctl --rekey --ike con1 --uri "$A" --timeout 2 >/dev/null 2>&1 || true
mark=$(lines "$(logf "$N1" b)")
sleep 0.5
after "$(logf "$N1" b)" "$mark" 'received packet' && die "drop-all: b still receives"
lab_n "$N1" impair a clear
ok "drop-all: no packet reaches b"

step "impair b drop-udp 4500: IKE_SA_INIT answered, IKE_AUTH not"
swan --terminate --ike con1 --uri "$A" >/dev/null || true
lab_n "$N1" impair b drop-udp 4500
ma=$(lines "$(logf "$N1" a)")
mb=$(lines "$(logf "$N1" b)")
swan --initiate --child con1 --uri "$A" --timeout 3 >/dev/null || true
wait_after "$(logf "$N1" a)" "$ma" 'retransmit 1 of request with message ID 1' 10 ||
	die "drop-udp 4500: a did not retransmit IKE_AUTH"
after "$(logf "$N1" b)" "$mb" 'generating IKE_SA_INIT response' || die "drop-udp 4500: IKE_SA_INIT not answered"
after "$(logf "$N1" b)" "$mb" 'parsed IKE_AUTH request' && die "drop-udp 4500: IKE_AUTH reached b"
lab_n "$N1" impair b clear
ok "drop-udp 4500: IKE_SA_INIT answered, IKE_AUTH lost"

step "impair b drop-udp 500: IKE_SA_INIT lost"
swan --terminate --ike con1 --uri "$A" >/dev/null || true
lab_n "$N1" impair b drop-udp 500
ma=$(lines "$(logf "$N1" a)")
mb=$(lines "$(logf "$N1" b)")
swan --initiate --child con1 --uri "$A" --timeout 2 >/dev/null || true
wait_after "$(logf "$N1" a)" "$ma" 'retransmit 1 of request with message ID 0' 10 ||
	die "drop-udp 500: a did not retransmit IKE_SA_INIT"
after "$(logf "$N1" b)" "$mb" 'IKE_SA_INIT' && die "drop-udp 500: IKE_SA_INIT reached b"
lab_n "$N1" impair b clear
ok "drop-udp 500: IKE_SA_INIT never reaches b"

step "stop-charon b / start-charon b: the tunnel comes back"
lab_n "$N1" stop-charon b
[ -S "$TUNNELCTL_LAB_DIR/$N1/b/run/charon.vici" ] && die "stop-charon: VICI socket left"
lab_n "$N1" start-charon b
swan --terminate --ike con1 --uri "$A" >/dev/null || true
swan --initiate --child con1 --uri "$A" --timeout 10 >/dev/null || die "no tunnel after start-charon"
lab_n "$N1" ping --count 2 >/dev/null || die "no traffic after start-charon"
ok "stop-charon/start-charon"

step "stop-charon a --kill: a crash, b is not told"
lab_n "$N1" stop-charon a --kill
sleep 0.5
LAB=$N1 on b tunnelctl status con1 >/dev/null || die "stop-charon --kill: b lost its SA, so a said goodbye"
lab_n "$N1" stop-charon b
ok "stop-charon --kill leaves the peer's SA in place"

step "down $N1 with impairments, a stopped charon and a daemon"
dpid=
if "$ROOT/tunnelctl" daemon --help >/dev/null 2>&1; then
	lab_n "$N1" daemon b
	dpid=$(cat "$TUNNELCTL_LAB_DIR/$N1/b/daemon.pid")
	alive "$dpid" || die "lab daemon b: not running"
fi
lab_n "$N1" impair a drop-all
lab_n "$N1" stop-charon a
lab_n "$N1" down
if [ -n "$dpid" ] && alive "$dpid"; then die "the daemon survived down"; fi
grep -q "^$TUNNELCTL_LAB_PREFIX-" <<<"$(ip netns list)" && die "namespace left"
[ -e "$TUNNELCTL_LAB_DIR/$N1" ] && die "directory left"
ok "down in any state"

echo "test_lab: all checks passed"
