#!/usr/bin/env bash
# contrib/tunnelctl.service: systemd accepts it (systemd-analyze verify, when installed) and it
# says what docs/packaging.md promises: Type=notify, ordered after charon's unit, only the two
# capabilities the daemon needs, a read-only system but for the directories apply writes.
source "$(dirname "$0")/lib.sh"
UNIT=$ROOT/contrib/tunnelctl.service

step "the unit's promises"
assert_eq "$(unit_values "$UNIT" Type)" notify "Type=notify (the daemon calls sd_notify)"
assert_contains "$(unit_values "$UNIT" After)" strongswan.service "After= charon-systemd's unit"
assert_contains "$(unit_values "$UNIT" After)" strongswan-starter.service "After= the starter's unit"
assert_contains "$(unit_values "$UNIT" Wants)" strongswan-starter.service "Wants= the starter's unit"
assert_eq "$(unit_values "$UNIT" CapabilityBoundingSet)" "CAP_NET_ADMIN CAP_NET_RAW" \
	"capabilities: CAP_NET_ADMIN CAP_NET_RAW only"
assert_eq "$(unit_values "$UNIT" ProtectSystem)" strict "ProtectSystem=strict"
rw=$(unit_values "$UNIT" ReadWritePaths)
for d in /etc/swanctl/conf.d /etc/strongswan.d /var/lib/tunnelctl /run; do
	assert_contains " $rw " "$d " "ReadWritePaths has $d"
done
assert_contains "$(unit_values "$UNIT" ExecStart)" "tunnelctl daemon" "ExecStart runs the daemon"

step "the daemon's help points at the unit it runs under"
assert_contains "$("$TC" daemon --help)" "Type=notify" "daemon --help names Type=notify"

step "the daemon really notifies: READY=1 on \$NOTIFY_SOCKET, STOPPING=1 on SIGTERM"
# charon is absent (a VICI socket that does not exist): the daemon still runs and waits for it
python3 - "$TMP/notify" >"$TMP/notify.out" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
try:
    while True:
        msg = s.recv(4096).decode()
        print(msg, flush=True)
        if "STOPPING=1" in msg:
            break
except socket.timeout:
    pass
PY
listener=$!
for _ in $(seq 50); do [ -S "$TMP/notify" ] && break; sleep 0.1; done
NOTIFY_SOCKET=$TMP/notify "$TC" -c "$ROOT/examples/ikev2-merged.conf" --vici "unix://$TMP/nocharon" \
	--state-dir "$TMP/state" --out-dir "$TMP/out" daemon --listen off >"$TMP/daemon.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do grep -q READY=1 "$TMP/notify.out" && break; sleep 0.1; done
kill -TERM "$daemon"
wait "$daemon" || { cat "$TMP/daemon.log"; die "daemon did not exit 0 on SIGTERM"; }
wait "$listener" || true
assert_contains "$(cat "$TMP/notify.out")" "READY=1" "daemon sent READY=1"
assert_contains "$(cat "$TMP/notify.out")" "STOPPING=1" "daemon sent STOPPING=1"

if ! command -v systemd-analyze >/dev/null; then
	echo "systemd-analyze not installed: verify skipped"
	exit 0
fi
step "systemd-analyze verify (ExecStart pointed at this build)"
mkdir -p "$TMP/units"
sed "s|/usr/bin/tunnelctl|$TC|g" "$UNIT" >"$TMP/units/tunnelctl.service"
out=$(cd "$TMP/units" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no \
	./tunnelctl.service 2>&1) || { echo "$out"; die "systemd-analyze verify failed"; }
# verify also reports on other units it loads (strongswan*, network-online); only ours counts
mine=$(printf '%s\n' "$out" | grep 'tunnelctl.service' || true)
[ -z "$mine" ] || { echo "$mine"; die "systemd-analyze has remarks on tunnelctl.service"; }
ok "systemd-analyze verify: no remarks on tunnelctl.service"

step "a broken unit is caught (the check can fail)"
sed 's/^Type=notify/Type=notifyy/' "$TMP/units/tunnelctl.service" >"$TMP/units/broken.service"
bad=$(cd "$TMP/units" && systemd-analyze verify --man=no ./broken.service 2>&1 || true)
assert_contains "$bad" "broken.service" "systemd-analyze flags Type=notifyy"
