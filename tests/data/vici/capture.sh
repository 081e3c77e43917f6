#!/usr/bin/env bash
# capture.sh - record real VICI bytes from charon for the unit tests and the fuzz corpus.
# Run as root from the repository root: tests/data/vici/capture.sh [OUTDIR]
# (default: tests/data/vici). See README.md in this directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "${1:-$here}" && pwd)
. "$here/lab_charon.sh"
tap="$here/vici_tap.py"

lab_init
lab_net
# every child's local subnet needs a local address for kernel-libipsec's routes
ip -n "${LAB_ID}a" addr add 10.1.1.1/24 dev lo
ip -n "${LAB_ID}b" addr add 10.2.1.1/24 dev lo
ip -n "${LAB_ID}a" addr add 10.1.3.1/24 dev lo
ip -n "${LAB_ID}a" addr add 10.1.4.1/24 dev lo
ip -n "${LAB_ID}b" addr add 10.2.3.1/24 dev lo
ip -n "${LAB_ID}b" addr add 10.2.4.1/24 dev lo
lab_charon a
lab_charon b
sock_a="$LAB_DIR/a/charon.vici"

# rec NAME SWANCTL-ARGS...: run swanctl against side a through the recording relay
rec() {
	local name=$1 pid
	shift
	step "record $name: swanctl $*"
	python3 "$tap" relay "$LAB_DIR/tap.sock" "$sock_a" "$LAB_DIR/$name"
	pid=$(cat "$LAB_DIR/$name.pid")
	swanctl "$@" --uri "unix://$LAB_DIR/tap.sock" 2> >(grep -v "^plugin '" >&2) || true
	tail --pid="$pid" -f /dev/null
	cp "$LAB_DIR/$name.bin" "$out/$name.bin"
	[ -n "${KEEP_REQ:-}" ] && cp "$LAB_DIR/$name.req.bin" "$out/$name.req.bin"
	return 0
}

step "load side b with swanctl (the oracle)"
lab_swanctl b --load-all --file "$here/b.swanctl.conf"

rec version --version --daemon
rec stats --stats
KEEP_REQ=1 rec load-all --load-all --file "$here/a.swanctl.conf"
rec list-conns --list-conns
rec list-sas-empty --list-sas

step "monitor ike-updown/child-updown while initiating"
python3 "$tap" relay "$LAB_DIR/tap2.sock" "$sock_a" "$LAB_DIR/monitor"
mon_relay=$(cat "$LAB_DIR/monitor.pid")
swanctl --monitor-sa --uri "unix://$LAB_DIR/tap2.sock" >/dev/null 2>&1 &
mon=$!
python3 "$tap" raw "$sock_a" "$LAB_DIR/log" --register log --events 10 --timeout 20 --background
logger=$(cat "$LAB_DIR/log.pid")
rec initiate --initiate --child con1 --ike con1 --timeout 20
rec initiate-v1 --initiate --child con2_3 --ike con2 --timeout 20
rec initiate-fail --initiate --child nosuch --timeout 5
tail --pid="$logger" -f /dev/null
cp "$LAB_DIR/log.bin" "$out/log-events.bin"

step "traffic through con1 so counters move"
ip netns exec "${LAB_ID}a" ping -c 3 -W 2 -I 10.1.0.1 10.2.0.1 >/dev/null || true

rec list-sas --list-sas
rec list-sas-con1 --list-sas --ike con1

step "rekey events"
python3 "$tap" raw "$sock_a" "$LAB_DIR/rekey" --register ike-rekey --register child-rekey \
	--events 2 --timeout 20 --background
rk=$(cat "$LAB_DIR/rekey.pid")
lab_swanctl a --rekey --child con1 || true
lab_swanctl a --rekey --ike con1 || true
tail --pid="$rk" -f /dev/null
cp "$LAB_DIR/rekey.bin" "$out/rekey-events.bin"

rec terminate --terminate --ike con2 --timeout 20
kill "$mon"
wait "$mon" 2>/dev/null || true
tail --pid="$mon_relay" -f /dev/null
cp "$LAB_DIR/monitor.bin" "$out/monitor-updown.bin"

step "a connection charon rejects (also unloads con1/con2: keep last)"
rec load-bad --load-conns --file "$here/bad.swanctl.conf"

step "unknown command and event"
python3 "$tap" raw "$sock_a" "$LAB_DIR/unknown" --register no-such-event --command no-such-command \
	--timeout 5
cp "$LAB_DIR/unknown.bin" "$out/unknown.bin"

ls -l "$out"/*.bin
