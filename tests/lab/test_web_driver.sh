#!/usr/bin/env bash
# tests/lab/test_web_driver.sh - the web side over real HTTP: /api/status and /metrics values and
# headers, read-only methods, a token beyond loopback, and headless Chromium rendering the
# page, then seeing a tunnel go down without a reload (screenshots in build/test-artifacts/).
#
# The server is build/webtest (web.c driven by the same single poll loop as the daemon)
# serving status documents of the lab pair (tests/data/web); it switches to the "down"
# document after a number of requests, so the page's change is observed without timing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WEBTEST=$ROOT/build/webtest
ART=$ROOT/build/test-artifacts
TMP=$(mktemp -d)
PIDS=()

step() { echo "--- $*"; }
die() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

cleanup() {
	local rc=$? p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT INT TERM

[ -x "$WEBTEST" ] || make -C "$ROOT" -s build/webtest
command -v curl >/dev/null || die "curl is needed (scripts/install-deps.sh)"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || die "chromium is needed (scripts/install-deps.sh)"
mkdir -p "$ART"

# A copy of a test document with "generated" set to now, so ages on the page are real.
fresh() {
	python3 - "$1" "$2" <<'EOF'
import json, sys, time
d = json.load(open(sys.argv[1]))
d["generated"] = int(time.time())
json.dump(d, open(sys.argv[2], "w"))
EOF
}

# start_server NAME ARGS...: run webtest, wait for its port, set PORT.
start_server() {
	local name=$1 i
	shift
	rm -f "$TMP/$name.port"
	"$WEBTEST" --port-file "$TMP/$name.port" "$@" 2>"$TMP/$name.log" &
	PIDS+=($!)
	for ((i = 0; i < 50; i++)); do
		[ -s "$TMP/$name.port" ] && break
		sleep 0.1
	done
	PORT=$(cat "$TMP/$name.port" 2>/dev/null) || die "$name did not start: $(cat "$TMP/$name.log")"
}

# get URL [CURL ARGS...]: body to stdout; status code to $TMP/code, headers to $TMP/headers.
get() {
	local url=$1
	shift
	curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' "$@" "$url" >"$TMP/code"
	cat "$TMP/body"
}
code() { cat "$TMP/code"; }
header() { sed -n "s/^$1: *//Ip" "$TMP/headers" | tr -d '\r'; }

fresh "$ROOT/tests/data/web/status-up.json" "$TMP/up.json"
fresh "$ROOT/tests/data/web/status-down.json" "$TMP/down.json"

step "serve the lab pair's status on loopback"
start_server lo --status-file "$TMP/up.json" --listen 127.0.0.1:0
BASE=http://127.0.0.1:$PORT

step "GET /api/status"
body=$(get "$BASE/api/status")
[ "$(code)" = 200 ] || die "/api/status: HTTP $(code)"
[ "$(header Content-Type)" = "application/json" ] || die "/api/status Content-Type: $(header Content-Type)"
[ "$(header Cache-Control)" = "no-store" ] || die "/api/status Cache-Control: $(header Cache-Control)"
state=$(printf '%s' "$body" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["ike_sas"][0]["name"], d["ike_sas"][0]["state"], d["ike_sas"][0]["children"][0]["bytes_in"])')
[ "$state" = "con1 ESTABLISHED 252" ] || die "/api/status: $state"
ok "/api/status: con1 ESTABLISHED with 252 bytes in, application/json, no-store"
case "$body" in *lab-shared-secret*|*'"psk"'*) die "/api/status shows a secret" ;; esac
ok "/api/status shows no secret"

step "GET /metrics"
body=$(get "$BASE/metrics")
[ "$(code)" = 200 ] || die "/metrics: HTTP $(code)"
[ "$(header Content-Type)" = "text/plain; version=0.0.4; charset=utf-8" ] || die "/metrics Content-Type: $(header Content-Type)"
for want in 'tunnelctl_tunnel_up{tunnel="con1"} 1' 'tunnelctl_tunnel_up{tunnel="con2"} 0' \
	'tunnelctl_child_bytes_in_total{tunnel="con1",child="con1"} 252' \
	'tunnelctl_child_packets_out_total{tunnel="con1",child="con1"} 3' \
	'tunnelctl_charon_reachable 1' 'tunnelctl_build_info{version="0.1.0"} 1'; do
	grep -qxF "$want" <<<"$body" || die "/metrics lacks: $want"
done
ok "/metrics: up, traffic, charon and build info for the lab tunnel"
for want in 'tunnelctl_child_availability_ratio{child="con1",window="24h"} 0.9917' \
	'tunnelctl_child_outages{child="con1",window="7d"} 1' 'tunnelctl_child_mttr_seconds{child="con1",window="24h"} 120'; do
	grep -qxF "$want" <<<"$body" || die "/metrics lacks: $want"
done
ok "/metrics: availability, outages and MTTR from the history"

step "GET /api/history"
body=$(get "$BASE/api/history")
[ "$(code)" = 200 ] || die "/api/history: HTTP $(code)"
[ "$(header Content-Type)" = "application/json" ] || die "/api/history Content-Type: $(header Content-Type)"
got=$(printf '%s' "$body" | python3 -c 'import json,sys; d=json.load(sys.stdin); h=d["history"]["con1"]; print(h["day"]["outages"], len(h["strip"]), "ike_sas" in d)')
[ "$got" = "1 96 False" ] || die "/api/history: $got"
ok "/api/history: con1's summary (1 outage, a 96-slot strip), not the whole status"

step "HEAD and methods that would write"
get "$BASE/api/status" -I >/dev/null
[ "$(code)" = 200 ] || die "HEAD: HTTP $(code)"
# curl -I writes the headers where the body would go: the document must not be there
! grep -q ike_sas "$TMP/body" || die "HEAD returned a body"
for m in POST PUT DELETE PATCH; do
	get "$BASE/api/status" -X "$m" >/dev/null
	[ "$(code)" = 405 ] || die "$m: HTTP $(code), expected 405"
done
[ "$(header Allow)" = "GET, HEAD" ] || die "405 without Allow: GET, HEAD"
ok "HEAD answers headers only; POST/PUT/DELETE/PATCH get 405"

step "headless Chromium renders the page"
dom=$("$CHROMIUM" --headless --no-sandbox --disable-gpu --virtual-time-budget=5000 --dump-dom "$BASE/" 2>/dev/null)
grep -q '<section class="t" data-tunnel="con1" data-state="up">' <<<"$dom" || { echo "$dom" | head -50; die "page does not show con1 up"; }
grep -q '<section class="t" data-tunnel="con2" data-state="down">' <<<"$dom" || die "page does not show con2 down"
grep -q 'peer_unreachable' <<<"$dom" || die "page does not show con2's doctor verdict"
ok "DOM: con1 up, con2 down with the doctor's verdict"
grep -q 'class="strip" data-strip="-*u*du*"' <<<"$dom" || { grep -o '<div class="strip"[^>]*>' <<<"$dom"; die "page shows no 24 h strip for con1"; }
grep -q '24 h: 99.17 % up · 1 outage · MTTR 2m 0s' <<<"$dom" || die "page does not show con1's availability"
ok "DOM: con1's 24 h strip and availability"
"$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,620 \
	--virtual-time-budget=5000 --screenshot="$ART/web-up.png" "$BASE/" >/dev/null 2>&1
[ -s "$ART/web-up.png" ] || die "no screenshot"
ok "screenshot $ART/web-up.png"
"$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=390,844 \
	--virtual-time-budget=5000 --screenshot="$ART/web-phone.png" "$BASE/" >/dev/null 2>&1
ok "phone-sized screenshot $ART/web-phone.png"

step "the tunnel goes down while the page is open"
# the page polls every 2 s; after 3 polls the server serves the down document
start_server swap --status-file "$TMP/up.json" --then-file "$TMP/down.json" --after 3 --listen 127.0.0.1:0
dom=$("$CHROMIUM" --headless --no-sandbox --disable-gpu --virtual-time-budget=20000 --dump-dom "http://127.0.0.1:$PORT/" 2>/dev/null)
grep -q '<section class="t" data-tunnel="con1" data-state="down">' <<<"$dom" || { echo "$dom" | head -60; die "page does not show con1 down"; }
# the page's own change log proves it saw con1 up first, in this one page load
grep -q 'data-change="con1:up&gt;down"' <<<"$dom" || die "page did not record con1 going from up to down"
grep -q 'dpd_timeout' <<<"$dom" || die "page does not show con1's verdict"
ok "DOM after the switch: con1 down, change up>down recorded by the same page, verdict shown"
start_server swap2 --status-file "$TMP/up.json" --then-file "$TMP/down.json" --after 3 --listen 127.0.0.1:0
"$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,620 \
	--virtual-time-budget=20000 --screenshot="$ART/web-down.png" "http://127.0.0.1:$PORT/" >/dev/null 2>&1
[ -s "$ART/web-down.png" ] || die "no screenshot"
ok "screenshot $ART/web-down.png"

step "beyond loopback: a token is required"
if "$WEBTEST" --status-file "$TMP/up.json" --listen 0.0.0.0:0 2>"$TMP/notoken.log"; then
	die "webtest listened on 0.0.0.0 without a token file"
fi
grep -q 'token' "$TMP/notoken.log" || die "no reason given: $(cat "$TMP/notoken.log")"
ok "0.0.0.0 without --token-file refused: $(cat "$TMP/notoken.log")"
TOKEN=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
(umask 077 && printf '%s\n' "$TOKEN" >"$TMP/token")
start_server any --status-file "$TMP/up.json" --listen 0.0.0.0:0 --token-file "$TMP/token"
for path in / /api/status /metrics; do
	get "http://127.0.0.1:$PORT$path" >/dev/null
	[ "$(code)" = 401 ] || die "$path without token: HTTP $(code)"
	get "http://127.0.0.1:$PORT$path" -H "Authorization: Bearer wrong-$TOKEN" >/dev/null
	[ "$(code)" = 401 ] || die "$path with a wrong token: HTTP $(code)"
done
ok "no token or a wrong token: 401 on /, /api/status and /metrics"
body=$(get "http://127.0.0.1:$PORT/metrics" -H "Authorization: Bearer $TOKEN")
[ "$(code)" = 200 ] || die "with the token: HTTP $(code)"
grep -qxF 'tunnelctl_tunnel_up{tunnel="con1"} 1' <<<"$body" || die "/metrics with token lacks con1"
get "http://127.0.0.1:$PORT/" -u "tunnelctl:$TOKEN" >/dev/null
[ "$(code)" = 200 ] || die "Basic auth (browsers): HTTP $(code)"
ok "Bearer token (and Basic for browsers) accepted"

echo "test_web: all checks passed"
