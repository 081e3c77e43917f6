#!/usr/bin/env bash
# test_web_slow_clients.sh - the web server under slow clients (issue 16 item 4): 64
# connections sending one header line every 2 s, then 1,000 idle connections, then a real
# client. The real client must get /api/status within WEB_HEAD_DEADLINE_MS plus a margin;
# the slow ones must be cut at the head deadline, a client without the token must get 401 and
# a closed connection. Server: build/webtest (web.c with the daemon's poll loop). No root.
set -eu
cd "$(dirname "$0")/../.."
ROOT=$PWD
WEBTEST=$ROOT/build/webtest
[ -x "$WEBTEST" ] || make -s build/webtest
work=$(mktemp -d /tmp/tc-slow.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
ulimit -n 4096

echo "== start the server with a token"
(umask 077; printf 's3cr3t-token-0123456789abcdef\n' >"$work/token")
"$WEBTEST" --status-file tests/data/web/status-up.json --listen 127.0.0.1:0 \
	--token-file "$work/token" --port-file "$work/port" &
pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
[ -s "$work/port" ] || fail "webtest did not start"
port=$(cat "$work/port")

# The clients: python3 sockets (source addresses 127.0.0.x: the per-address limit applies
# per client, as on a real network). Prints the measurements as key=value lines.
python3 - "$port" >"$work/result" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
TOKEN = 's3cr3t-token-0123456789abcdef'

def connect(src):
    s = socket.socket()
    s.bind((src, 0))
    s.setblocking(False)
    try:
        s.connect(('127.0.0.1', port))
    except BlockingIOError:
        pass
    return s

def closed(s):
    """True when the server closed (or reset) the connection."""
    try:
        return s.recv(4096) == b''
    except BlockingIOError:
        return False
    except OSError:
        return True

# 64 slow clients from 8 addresses: a request head that never ends, one line every 2 s
slow = [connect('127.0.0.%d' % (2 + i % 8)) for i in range(64)]
time.sleep(0.3)
for s in slow:
    try:
        s.send(b'GET /api/status HTTP/1.1\r\nHost: x\r\n')
    except OSError:
        pass
# 1,000 idle connections from 100 more addresses: connect, send nothing
idle = [connect('127.0.1.%d' % (1 + i % 100)) for i in range(1000)]
start = time.monotonic()
# the real client, with the token, from its own address
got = None
while time.monotonic() - start < 20 and got is None:
    for s in slow:
        try:
            s.send(b'X-Slow: 1\r\n')
        except OSError:
            pass
    c = socket.create_connection(('127.0.0.1', port), timeout=2, source_address=('127.0.0.200', 0))
    try:
        c.sendall(b'GET /api/status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ' + TOKEN.encode() +
                  b'\r\nConnection: close\r\n\r\n')
        data = b''
        while True:
            d = c.recv(65536)
            if not d:
                break
            data += d
        if data.startswith(b'HTTP/1.1 200'):
            got = time.monotonic() - start
    except OSError:
        pass
    finally:
        c.close()
print('legit_seconds=%s' % ('%.2f' % got if got is not None else 'none'))
print('slow_cut=%d' % sum(1 for s in slow if closed(s)))
# one address, 20 connections: those beyond WEB_MAX_PER_ADDRESS (8) are closed at once
many = [connect('127.0.0.60') for i in range(20)]
time.sleep(0.5)
print('per_address_closed=%d' % sum(1 for s in many if closed(s)))
for s in many:
    s.close()
# alone, one slow client: cut at the head deadline although it sends a line every 0.5 s
s = connect('127.0.0.50')
t0 = time.monotonic()
time.sleep(0.1)
s.send(b'GET / HTTP/1.1\r\n')
cut = None
while time.monotonic() - t0 < 15:
    try:
        s.send(b'X-Slow: 1\r\n')
    except OSError:
        cut = time.monotonic() - t0
        break
    if closed(s):
        cut = time.monotonic() - t0
        break
    time.sleep(0.5)
print('deadline_seconds=%s' % ('%.2f' % cut if cut is not None else 'none'))
# a client without the token: 401 and the server closes the connection
c = socket.create_connection(('127.0.0.1', port), timeout=5, source_address=('127.0.0.201', 0))
c.sendall(b'GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n')
data = b''
try:
    while True:
        d = c.recv(65536)
        if not d:
            break
        data += d
    print('unauth=%s closed' % data.split(b' ')[1].decode())
except socket.timeout:
    print('unauth=%s open' % (data.split(b' ')[1].decode() if data else 'none'))
PY
cat "$work/result"
legit=$(sed -n 's/^legit_seconds=//p' "$work/result")
[ "$legit" != none ] || fail "a client with the token got no page in 20 s"
awk -v t="$legit" 'BEGIN { exit !(t < 6) }' || fail "the page took ${legit}s (head deadline 3 s)"
[ "$(sed -n 's/^slow_cut=//p' "$work/result")" -eq 64 ] || fail "slow clients were not all cut"
[ "$(sed -n 's/^per_address_closed=//p' "$work/result")" -eq 12 ] || fail "per-address limit not applied"
cut=$(sed -n 's/^deadline_seconds=//p' "$work/result")
[ "$cut" != none ] || fail "a slow client was not cut in 15 s"
awk -v t="$cut" 'BEGIN { exit !(t >= 2.5 && t < 5) }' || fail "slow client cut after ${cut}s, want about 3"
grep -q '^unauth=401 closed$' "$work/result" || fail "no 401 with a closed connection"
kill -0 "$pid" || fail "webtest died"
echo "all slow-client checks held"
