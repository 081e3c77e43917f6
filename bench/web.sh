#!/usr/bin/env bash
# bench/web.sh - requests per second for /api/status and /metrics with 1,000 tunnels, and the
# VICI calls made per request (target 0).
#
# The server is build/webtest: web.c driven by one poll() loop, as in the daemon, serving a
# synthetic status document of the real shape (each tunnel a copy of the lab's con1, every
# third one down). Load: curl processes reusing one keep-alive connection each.
# VICI calls per request: web.c links no VICI symbol (checked with nm below), and the
# driver has no charon at all; every request reads the source's cached document, which
# the driver counts (status() calls = requests). Then, as root, the real daemon against the
# lab: its own counter (tunnelctl_daemon_vici_requests_total) before and after the load.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TUNNELS=${TUNNELS:-1000}
REQUESTS=${REQUESTS:-2000}	# per client
CLIENTS=${CLIENTS:-4}
TMP=$(mktemp -d)
PID=

cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

make -C "$ROOT" -s build/webtest
command -v curl >/dev/null || { echo "bench/web: curl is needed" >&2; exit 1; }

echo "bench/web: web.c objects reference these VICI symbols (want none):"
vici=$(nm -u "$ROOT"/build/obj/web*.o | grep -c ' vici_' || true)
echo "  $vici"
[ "$vici" = 0 ] || { echo "bench/web: web.c calls VICI" >&2; exit 1; }

python3 - "$ROOT/tests/data/web/status-up.json" "$TUNNELS" "$TMP/status.json" <<'EOF'
import copy, json, sys, time
base = json.load(open(sys.argv[1]))
one = base["ike_sas"][0]
sas = []
for i in range(1, int(sys.argv[2]) + 1):
	sa = copy.deepcopy(one)
	sa["name"] = sa["children"][0]["name"] = "con%d" % i
	sa["ikeid"] = sa["uniqueid"] = i
	sa["description"] = "tunnel %d" % i
	sa["remote_host"] = "198.51.%d.%d" % (i // 250, i % 250 + 1)
	if i % 3 == 0:
		sa["state"] = sa["children"][0]["state"] = "disconnected"
	sas.append(sa)
base["ike_sas"] = sas
base["generated"] = int(time.time())
json.dump(base, open(sys.argv[3], "w"))
EOF

"$ROOT/build/webtest" --status-file "$TMP/status.json" --listen 127.0.0.1:0 --port-file "$TMP/port" 2>"$TMP/server.log" &
PID=$!
for _ in $(seq 50); do [ -s "$TMP/port" ] && break; sleep 0.1; done
PORT=$(cat "$TMP/port")

# run PATH: requests/s over CLIENTS keep-alive connections
run() {
	local path=$1 start end i pids=()
	curl -s -o "$TMP/one" "http://127.0.0.1:$PORT$path"
	start=$(date +%s.%N)
	for ((i = 0; i < CLIENTS; i++)); do
		curl -s "http://127.0.0.1:$PORT$path?n=[1-$REQUESTS]" >/dev/null &
		pids+=($!)
	done
	wait "${pids[@]}"
	end=$(date +%s.%N)
	python3 -c "import sys; n=$CLIENTS*$REQUESTS; t=$end-$start; print('  %-12s %8.0f requests/s  (%d requests, %d clients, %.2f s, %d bytes each)' % (sys.argv[1], n/t, n, $CLIENTS, t, $(stat -c %s "$TMP/one")))" "$path"
}

echo "bench/web: $TUNNELS tunnels, $CLIENTS clients x $REQUESTS requests, $(nproc) CPUs"
run /api/status
run /metrics
kill "$PID"
wait "$PID" 2>/dev/null || true
PID=
served=$(sed -n 's/.*served \([0-9]*\) times.*/\1/p' "$TMP/server.log")
total=$((2 * (CLIENTS * REQUESTS + 1)))
echo "  status document reads: $served for $total requests (each from the cache); VICI calls: 0"
[ "$served" = "$total" ] || { echo "bench/web: expected one cached read per request" >&2; exit 1; }

# ---- the real daemon against a real charon (root only) ----
[ "$(id -u)" -eq 0 ] || { echo "bench/web: not root, daemon part skipped"; exit 0; }
make -C "$ROOT" -s tunnelctl
LAB=bw$$
lab() { bash "$ROOT/lab/lab.sh" --name "$LAB" "$@"; }
on_a() { lab exec a -- "$@"; }
trap 'lab down >/dev/null 2>&1; cleanup' EXIT INT TERM
lab up "$ROOT/examples/lab-a.conf" "$ROOT/examples/lab-b.conf" >/dev/null
lab daemon a >/dev/null
for _ in $(seq 50); do on_a curl -sf -o /dev/null http://127.0.0.1:8714/metrics && break; sleep 0.2; done
calls() { on_a curl -s http://127.0.0.1:8714/metrics | sed -n 's/^tunnelctl_daemon_vici_requests_total //p'; }
before=$(calls)
start=$(date +%s.%N)
on_a sh -c "for i in \$(seq $CLIENTS); do curl -s 'http://127.0.0.1:8714/api/status?n=[1-$REQUESTS]' >/dev/null & done; wait"
end=$(date +%s.%N)
after=$(calls)
python3 -c "n=$CLIENTS*$REQUESTS; t=$end-$start; print('bench/web: daemon in the lab: %d requests in %.2f s (%.0f/s); VICI commands by the daemon meanwhile: %d (its timer: 1 list-sas per 5 s), per request: %.4f' % (n, t, n/t, $after-$before, ($after-$before)/n))"
