#!/usr/bin/env bash
# The daemon's web status against the lab: /api/status and /metrics agree with charon's SA
# (swanctl as the oracle), no secret shows, a headless Chromium shows the tunnel up, then -
# in the same page load, without reload - down with the doctor's verdict after the peer goes
# away; screenshots in build/test-artifacts/; a non-loopback listener answers 401 without
# the token.
source "$(dirname "$0")/lib.sh"
lab_begin

ART=$ROOT/build/test-artifacts
PORT=8714
DEVTOOLS=9333
DAEMON_PID=$TMP/daemon.pid
CHROME_PID=$TMP/chromium.pid
mkdir -p "$ART"

web_cleanup() {
	local rc=$? f
	set +e	# a failed test must still tear the lab down
	for f in "$CHROME_PID" "$DAEMON_PID"; do
		[ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	(exit $rc)	# lab_cleanup exits with the test's status
	lab_cleanup
}
trap web_cleanup EXIT INT TERM

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || die "chromium is needed (scripts/install-deps.sh)"
command -v curl >/dev/null || die "curl is needed (scripts/install-deps.sh)"

# GET on side a: body to stdout, status code to $TMP/code
# (a refused connection is code 000, not a failed test: callers wait for a listener with it)
get() {
	on a curl -s -w '\n%{http_code}' "$@" >"$TMP/resp" || true
	sed '$d' "$TMP/resp"
	tail -n1 "$TMP/resp" >"$TMP/code"
}
code() { cat "$TMP/code"; }
# A JSON field of side a's /api/status: jfield 'PYTHON EXPRESSION over d'
jfield() { get "http://127.0.0.1:$PORT/api/status" | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# swanctl's view of con1's child on side a (the oracle): "bytes-in packets-in"
oracle_child() {
	on a sh -c 'swanctl --list-sas --raw --uri "$TUNNELCTL_VICI"' |
		sed -n 's/.* bytes-in=\([0-9]*\) packets-in=\([0-9]*\) .*/\1 \2/p' | head -1
}

step "lab up with the lab pair; traffic through the tunnel"
# copies: the SIGHUP step edits side a's tunnel file
cp "$ROOT/examples/lab-a.conf" "$ROOT/examples/lab-b.conf" "$TMP/"
lab up "$TMP/lab-a.conf" "$TMP/lab-b.conf" >/dev/null
wait_ike a con1 || die "con1 did not come up"
lab ping >/dev/null
LOG=$(lab logs a >/dev/null && echo "${TUNNELCTL_LAB_DIR:-/run/tunnelctl-lab}/$LAB/a/run/charon.log")

step "daemon on side a with the web status on 127.0.0.1:$PORT"
on a sh -c 'echo $$ >"$1"; exec "$2" daemon --listen 127.0.0.1:'$PORT' --charon-log "$3" >"$4" 2>&1' \
	sh "$DAEMON_PID" "$TC" "$LOG" "$TMP/daemon.log" &
for i in $(seq 50); do
	[ "$(get "http://127.0.0.1:$PORT/api/status" >/dev/null; code)" = 200 ] && break
	sleep 0.2
done
[ "$(code)" = 200 ] || die "the daemon's web status did not answer: $(cat "$TMP/daemon.log")"

step "/api/status agrees with charon"
uid=$(ike_uid a con1)
assert_eq "$(jfield 'd["ike_sas"][0]["name"], d["ike_sas"][0]["state"], d["ike_sas"][0]["uniqueid"]')" \
	"con1 ESTABLISHED $uid" "/api/status: con1 established with charon's unique id"
assert_eq "$(jfield 'd["ike_sas"][0]["children"][0]["local_ts"], d["ike_sas"][0]["children"][0]["remote_ts"]')" \
	"['10.1.0.0/24'] ['10.2.0.0/24']" "/api/status: the child's selectors"
# counters: the daemon started after the ping, so every document it serves has counted it
want=$(oracle_child)
assert_eq "$(jfield 'd["ike_sas"][0]["children"][0]["bytes_in"], d["ike_sas"][0]["children"][0]["packets_in"]')" \
	"$want" "/api/status: bytes and packets in as charon counts them ($want)"
status=$(get "http://127.0.0.1:$PORT/api/status")
assert_not_contains "$status" "lab-shared-secret" "/api/status shows no PSK"

step "/metrics agrees with charon"
metrics=$(get "http://127.0.0.1:$PORT/metrics")
assert_contains "$metrics" $'\ntunnelctl_tunnel_up{tunnel="con1"} 1\n' "metrics: con1 up"
assert_contains "$metrics" $'\ntunnelctl_child_up{tunnel="con1",child="con1"} 1\n' "metrics: child con1 up"
assert_contains "$metrics" $'\ntunnelctl_child_bytes_in_total{tunnel="con1",child="con1"} '"${want% *}"$'\n' "metrics: bytes in"
assert_contains "$metrics" $'\ntunnelctl_child_packets_in_total{tunnel="con1",child="con1"} '"${want#* }"$'\n' "metrics: packets in"
assert_contains "$metrics" $'\ntunnelctl_charon_reachable 1\n' "metrics: charon reachable"
assert_contains "$metrics" 'tunnelctl_build_info{version="' "metrics: build info"
assert_not_contains "$metrics" "lab-shared-secret" "/metrics shows no PSK"
get "http://127.0.0.1:$PORT/metrics" -X POST >/dev/null
assert_eq "$(code)" 405 "POST is refused"

step "headless Chromium: con1 up, then down without reload"
on a sh -c 'echo $$ >"$1"; exec "$2" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,700 \
	--remote-debugging-port='$DEVTOOLS' about:blank >/dev/null 2>&1' sh "$CHROME_PID" "$CHROMIUM" &
rm -f "$TMP/ready"
on a python3 "$ROOT/tests/lab/pagewatch.py" --port $DEVTOOLS --url "http://127.0.0.1:$PORT/" --timeout 90 \
	--ready-file "$TMP/ready" --shot "$ART/web-lab" \
	--until 'document.querySelector("[data-tunnel=con1]")?.dataset.state === "up"' \
	--until 'document.querySelector("[data-tunnel=con1]")?.dataset.state !== "up" && document.querySelector("[data-change^=\"con1:up>\"]")' \
	--until 'document.querySelector("[data-tunnel=con1] .verdict")' \
	--until 'document.querySelector("[data-tunnel=con1] .strip")?.dataset.strip.endsWith("d")' >"$TMP/watch.log" 2>&1 &
WATCH=$!
for i in $(seq 300); do
	[ -s "$TMP/ready" ] && break
	kill -0 $WATCH 2>/dev/null || break
	sleep 0.1
done
[ -s "$TMP/ready" ] || { cat "$TMP/watch.log"; die "the page never showed con1 up"; }
echo "ok: the page shows con1 up"
# the peer goes away: B's charon stops; A's SA is closed, and the daemon's retries fail
lab stop-charon b >/dev/null
on a sh -c 'swanctl --terminate --ike con1 --uri "$TUNNELCTL_VICI" >/dev/null 2>&1' || true
wait $WATCH || { cat "$TMP/watch.log"; die "the page did not follow con1 going down"; }
cat "$TMP/watch.log"
echo "ok: the same page load shows con1 down, the change, the doctor's verdict, and the outage in its 24 h strip"
cp "$ART/web-lab-1.png" "$ART/web-lab-up.png"
cp "$ART/web-lab-3.png" "$ART/web-lab-down.png"
rm -f "$ART"/web-lab-[0-9].png
echo "ok: screenshots $ART/web-lab-up.png $ART/web-lab-down.png"
metrics=$(get "http://127.0.0.1:$PORT/metrics")
assert_contains "$metrics" $'\ntunnelctl_tunnel_up{tunnel="con1"} 0\n' "metrics: con1 down"
verdict=$(jfield 'd["ike_sas"][0]["verdict"]["class"]')
echo "ok: verdict for con1: $verdict"
kill "$(cat "$CHROME_PID")" 2>/dev/null || true

step "SIGHUP: the page's document follows the edited tunnel file"
CONF_A=$(on a sh -c 'echo "$TUNNELCTL_CONF"')
sed -i 's/description = lab A to B/description = edited on the fly/' "$CONF_A"
kill -HUP "$(cat "$DAEMON_PID")"
for i in $(seq 50); do
	[ "$(jfield 'd["ike_sas"][0]["description"]')" = "edited on the fly" ] && break
	sleep 0.2
done
assert_eq "$(jfield 'd["ike_sas"][0]["description"]')" "edited on the fly" "/api/status after SIGHUP"

step "beyond loopback: the token is required"
kill "$(cat "$DAEMON_PID")"
sleep 0.5
if on a "$TC" daemon --listen 192.0.2.1:$PORT >"$TMP/notoken.log" 2>&1; then
	die "the daemon listened on 192.0.2.1 without a token file"
fi
assert_contains "$(cat "$TMP/notoken.log")" "token" "no token file: refused with a reason"
TOKEN=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
(umask 077 && printf '%s\n' "$TOKEN" >"$TMP/token")
on a sh -c 'echo $$ >"$1"; exec "$2" daemon --listen 192.0.2.1:'$PORT' --token-file "$3" >"$4" 2>&1' \
	sh "$DAEMON_PID" "$TC" "$TMP/token" "$TMP/daemon2.log" &
for _ in $(seq 50); do
	get "http://192.0.2.1:$PORT/metrics" >/dev/null
	[ "$(code)" = 401 ] && break
	sleep 0.2
done
assert_eq "$(code)" 401 "no Authorization header: 401"
get "http://192.0.2.1:$PORT/api/status" -H "Authorization: Bearer not-$TOKEN" >/dev/null
assert_eq "$(code)" 401 "a wrong token: 401"
get "http://192.0.2.1:$PORT/metrics" -H "Authorization: Bearer $TOKEN" >/dev/null
assert_eq "$(code)" 200 "the token: 200"
# from side b, over the lab link
code_b=$(on b curl -s -o /dev/null -w '%{http_code}' "http://192.0.2.1:$PORT/")
assert_eq "$code_b" 401 "from the peer without a token: 401"

echo "test_web: all checks passed"
