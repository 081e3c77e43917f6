#!/usr/bin/env bash
# test_daemon_hang.sh - the daemon's web status while charon hangs (issue 16 item 3): every
# request is answered at once from the last document, which soon says since when charon has
# not answered and still lists the last SAs; when charon answers again the note goes. Also
# the daemon under an event flood: it lives on in bounded memory.
source "$(dirname "$0")/fake.sh"

HANG_S=14			# long enough for the daemon to hang in its cache's and keep-alive's calls
MAX_ANSWER_MS=1000		# a page answered from memory; a blocked loop takes 3-10 s
DAEMON_MAX_RSS_KB=$((128 * 1024))

fake_begin
cat >"$TMP/tunnels.conf" <<'CONF'
tunnels {
    1 {
        local_address = 192.0.2.1
        remote_gateway = 192.0.2.2
        psk = "fault-test-secret-0123456789"
        phase2 {
            1 {
                local = 10.1.0.0/24
                remote = 10.2.0.0/24
            }
        }
    }
}
CONF
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port/api/status

step "daemon against the fake charon"
"$TC" --vici "$VICI" --state-dir "$TMP/state" --out-dir "$TMP/out" -c "$TMP/tunnels.conf" \
	daemon --listen "127.0.0.1:$port" --charon-log /dev/null >"$TMP/daemon.log" 2>&1 &
daemon=$!
FAKE_PIDS+=("$daemon")
for i in $(seq 100); do
	doc=$(curl -s --max-time 2 "$url" || true)
	case "$doc" in *'"reachable":true'*) break ;; esac
	sleep 0.1
done
assert_contains "$doc" '"reachable":true' "the daemon reached the fake charon"
assert_contains "$doc" '"ESTABLISHED"' "the page lists the fake's SA"

step "charon hangs for ${HANG_S}s: every request answered at once"
fake_mode hang
worst=0
noted=""
end=$((SECONDS + HANG_S))
while [ $SECONDS -lt $end ]; do
	set +e
	res=$(curl -s --max-time 12 -o "$TMP/doc" -w '%{http_code} %{time_total}' "$url")
	set -e
	code=${res%% *}
	ms=$(awk -v t="${res##* }" 'BEGIN { printf "%d", t * 1000 }')
	[ "$code" = 200 ] || die "the page did not answer (HTTP '$code' after ${ms} ms)"
	[ "$ms" -gt "$worst" ] && worst=$ms
	if grep -q '"not_answering_since"' "$TMP/doc"; then noted=$(cat "$TMP/doc"); fi
	sleep 0.2
done
echo "slowest answer while charon hung: ${worst} ms"
assert_le "$worst" "$MAX_ANSWER_MS" "every answer came at once (ms)"
assert_contains "$noted" '"not_answering_since"' "the document says since when charon has not answered"
assert_contains "$noted" '"ESTABLISHED"' "and still lists the last SAs"
page=$(curl -s --max-time 2 "http://127.0.0.1:$port/")
assert_contains "$page" "charon not answering since" "the page has the words for it"

step "charon answers again: the note goes"
fake_mode ok
for i in $(seq 150); do
	doc=$(curl -s --max-time 2 "$url" || true)
	case "$doc" in *'"reachable":true'*) break ;; esac
	sleep 0.1
done
assert_contains "$doc" '"reachable":true' "charon is reachable again"
case "$doc" in *not_answering_since*) die "the note stayed after charon answered" ;; esac
echo "ok: the note is gone"

step "an event flood: the daemon lives on in bounded memory"
fake_mode flood
sleep 8
kill -0 "$daemon" 2>/dev/null || { cat "$TMP/daemon.log" >&2; die "the daemon died under the flood"; }
rss=$(awk '/^VmHWM/ { print $2 }' "/proc/$daemon/status")
assert_le "$rss" "$DAEMON_MAX_RSS_KB" "the daemon's peak memory (KB)"
res=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$url" || true)
assert_eq "$res" 200 "the page still answers"
kill -TERM "$daemon"
wait "$daemon" || die "the daemon did not stop cleanly on SIGTERM"
echo "ok: stopped on SIGTERM"
echo "all daemon fault checks passed"
