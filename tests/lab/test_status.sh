#!/usr/bin/env bash
# status against real charons: every field of `status --json` checked against swanctl's view
# of the same SAs (the oracle), an IKEv2 merged child and IKEv1 split children, NAME filters,
# disconnected entries, --watch redrawing on events, no secret in any output, and clear errors
# for an unknown name and a stopped charon.
source "$(dirname "$0")/lib.sh"
lab_begin

pair_conf a start status >"$TMP/a.conf"
pair_conf b none status >"$TMP/b.conf"
sw() { on "$1" sh -c 'swanctl '"$2"' --uri "$TUNNELCTL_VICI" 2>/dev/null'; }

step "lab up: con1 (IKEv2, merged child) and con2 (IKEv1, children con2_3 and con2_4)"
lab up "$TMP/a.conf" "$TMP/b.conf" >"$TMP/up.out"
wait_ike a con1 || die "con1 did not come up"
wait_ike a con2 || die "con2 did not come up"
# IKEv1 children come up one after the other: wait for both
for i in $(seq 100); do
	[ "$(sw a --list-sas | grep -c 'con2_[34]: #.*INSTALLED')" = 2 ] && break
	sleep 0.1
done
lab ping con1 >/dev/null 2>&1 || true

step "status --json against swanctl --list-sas, field by field"
on a "$TC" status --json >"$TMP/s.json"
sw a --list-sas >"$TMP/sw.txt"
cat "$TMP/sw.txt"
q() { jq -r "$1" "$TMP/s.json"; }
for ike in con1 con2; do
	line=$(grep "^$ike: #" "$TMP/sw.txt")	# con1: #1, ESTABLISHED, IKEv2, spi_i* spi_r
	uid=$(echo "$line" | sed -n 's/^[^#]*#\([0-9]*\),.*/\1/p')
	ver=$(echo "$line" | sed -n 's/.*, IKEv\([12]\),.*/\1/p')
	assert_eq "$(q ".ike_sas[] | select(.name==\"$ike\") | .uniqueid")" "$uid" "$ike unique id"
	assert_eq "$(q ".ike_sas[] | select(.name==\"$ike\") | .state")" ESTABLISHED "$ike state"
	assert_eq "$(q ".ike_sas[] | select(.name==\"$ike\") | .version")" "$ver" "$ike IKE version"
	assert_eq "$(q ".ike_sas[] | select(.name==\"$ike\") | .role")" initiator "$ike role (a starts it)"
	block=$(sed -n "/^$ike: #/,/^[a-z0-9]*: #/p" "$TMP/sw.txt")
	local_line=$(echo "$block" | sed -n "s/^  local  '\(.*\)' @ \(.*\)\[\([0-9]*\)\]$/\1 \2 \3/p")
	assert_eq "$(q ".ike_sas[] | select(.name==\"$ike\") | \"\(.local_id) \(.local_host) \(.local_port)\"")" \
		"$local_line" "$ike local id, host, port"
	remote_line=$(echo "$block" | sed -n "s/^  remote '\(.*\)' @ \(.*\)\[\([0-9]*\)\]$/\1 \2 \3/p")
	assert_eq "$(q ".ike_sas[] | select(.name==\"$ike\") | \"\(.remote_id) \(.remote_host) \(.remote_port)\"")" \
		"$remote_line" "$ike remote id, host, port"
	algs=$(echo "$block" | sed -n '4p' | tr -d ' ')
	assert_eq "$(q ".ike_sas[] | select(.name==\"$ike\") | .algorithms" | sed 's/^AES_CBC-/AES_CBC-/')" "$algs" "$ike algorithms"
done
assert_eq "$(q '.ike_sas[] | select(.name=="con1") | .description')" HQ "description from the tunnel file"
assert_eq "$(q '[.ike_sas[] | select(.name=="con1") | .children[].name] | join(" ")')" con1 \
	"IKEv2: the two phase 2 entries are one child con1"
assert_eq "$(q '[.ike_sas[] | select(.name=="con2") | .children[].name] | sort | join(" ")')" "con2_3 con2_4" \
	"IKEv1: one child per phase 2"
for child in con1 con2_3 con2_4; do
	cl=$(grep "^  $child: #" "$TMP/sw.txt")	# con1: #1, reqid 1, INSTALLED, ...
	spi_in=$(sed -n "/^  $child: #/,/^  [a-z]/{s/^    in  \([0-9a-f]*\),.*/\1/p}" "$TMP/sw.txt" | head -1)
	spi_out=$(sed -n "/^  $child: #/,/^  [a-z]/{s/^    out \([0-9a-f]*\),.*/\1/p}" "$TMP/sw.txt" | head -1)
	sel='.ike_sas[].children[] | select(.name=="'$child'")'
	assert_eq "$(q "$sel | .uniqueid")" "$(echo "$cl" | sed -n 's/^[^#]*#\([0-9]*\),.*/\1/p')" "$child unique id"
	assert_eq "$(q "$sel | .reqid")" "$(echo "$cl" | sed -n 's/.*reqid \([0-9]*\),.*/\1/p')" "$child reqid"
	assert_eq "$(q "$sel | .state")" INSTALLED "$child state"
	assert_eq "$(q "$sel | .spi_in")" "$spi_in" "$child inbound SPI"
	assert_eq "$(q "$sel | .spi_out")" "$spi_out" "$child outbound SPI"
	lts=$(sed -n "/^  $child: #/,/^  [a-z]/{s/^    local  \(.*\)$/\1/p}" "$TMP/sw.txt" | head -1)
	rts=$(sed -n "/^  $child: #/,/^  [a-z]/{s/^    remote \(.*\)$/\1/p}" "$TMP/sw.txt" | head -1)
	assert_eq "$(q "$sel | .local_ts | join(\" \")")" "$lts" "$child local selectors"
	assert_eq "$(q "$sel | .remote_ts | join(\" \")")" "$rts" "$child remote selectors"
done
pk=$(sed -n '/^  con1: #/,/^  [a-z]/{s/^    in  [0-9a-f]*, *[0-9]* bytes, *\([0-9]*\) packets.*/\1/p}' "$TMP/sw.txt" | head -1)
assert_eq "$(q '.ike_sas[].children[] | select(.name=="con1") | .packets_in')" "$pk" "con1 packets in (after a ping)"
[ "$pk" -gt 0 ] || die "the ping did not pass through con1"

step "the table: a row per IKE SA and per child, with SPIs and algorithms"
out=$(on a "$TC" status)
echo "$out"
assert_contains "$out" "con1 #$(q '.ike_sas[] | select(.name=="con1") | .uniqueid')" "IKE row with unique id"
assert_contains "$out" "  con2_3 #" "child row of con2_3"
assert_contains "$out" "$(q '.ike_sas[].children[] | select(.name=="con2_4") | .spi_in')/" "child SPIs"
assert_contains "$out" "ESTABLISHED" "state column"
assert_contains "$out" "PACKETS IN/OUT" "into a pipe without COLUMNS: every column"

step "a narrow terminal (COLUMNS=100): details left out and named, every line fits; --wide keeps all"
out=$(on a env COLUMNS=100 "$TC" status)
echo "$out"
long=$(awk 'length > 100' <<<"$out" | grep -v '^(left out' || true)
[ -z "$long" ] || die "lines wider than 100 columns: $long"
echo "ok: every table line fits 100 columns"
assert_contains "$out" "(left out to fit the terminal: NAT-T ROLE" "the last line names what was left out"
assert_not_contains "$(head -1 <<<"$out")" "SPI IN/OUT" "SPIs left out of the header"
assert_contains "$out" "  con2_3 #" "child rows stay"
assert_contains "$out" "ESTABLISHED" "the state stays"
out=$(on a env COLUMNS=100 "$TC" status --wide)
assert_contains "$out" "PACKETS IN/OUT" "--wide shows every column"
assert_not_contains "$out" "left out" "--wide leaves nothing out"

step "NAME filters: conN_M, a description, N; unknown name exits 2"
out=$(on a "$TC" status con2_4 --json)
assert_eq "$(echo "$out" | jq -r '[.ike_sas[].name] | join(" ")')" con2 "con2_4 shows its IKE SA"
assert_eq "$(echo "$out" | jq -r '[.ike_sas[].children[].name] | join(" ")')" con2_4 "... and only that child"
assert_eq "$(on a "$TC" status Branch --json | jq -r '[.ike_sas[].name] | join(" ")')" con2 "description Branch is con2"
assert_eq "$(on a "$TC" status 1 --json | jq -r '[.ike_sas[].name] | join(" ")')" con1 "N=1 is con1"
set +e
on a "$TC" status con9 >/dev/null 2>"$TMP/err"
rc=$?
set -e
assert_eq "$rc" 2 "status con9 exits 2"
assert_contains "$(cat "$TMP/err")" "no tunnel 'con9'" "unknown name is named"

step "--watch redraws on events; a terminated tunnel shows as disconnected"
# exec: the pid file holds tunnelctl's own pid, so Ctrl-C (SIGINT) reaches it
on a sh -c 'echo $$ >"$1"; exec "$2" status --watch --json' sh "$TMP/watch.pid" "$TC" >"$TMP/watch.out" 2>&1 &
wpid=$!
for _ in $(seq 50); do grep -q '"ike_sas"' "$TMP/watch.out" 2>/dev/null && break; sleep 0.1; done
sw a "--terminate --ike con2" >/dev/null
for _ in $(seq 100); do grep -q '"disconnected"' "$TMP/watch.out" && break; sleep 0.1; done
kill -INT "$(cat "$TMP/watch.pid")"
set +e
wait "$wpid"
rc=$?
set -e
assert_eq "$rc" 0 "--watch ends cleanly on Ctrl-C"
n=$(grep -c '"ike_sas"' "$TMP/watch.out")
[ "$n" -ge 2 ] || die "--watch drew $n documents; expected a redraw after the termination"
echo "ok: --watch drew $n documents"
out=$(on a "$TC" status con2 --json || true)
assert_eq "$(echo "$out" | jq -r '.ike_sas[0].state')" disconnected "con2 without SA is disconnected"
assert_eq "$(echo "$out" | jq -r '[.ike_sas[0].children[] | "\(.name)=\(.state)"] | join(" ")')" \
	"con2_3=disconnected con2_4=disconnected" "its configured children too"
set +e
on a "$TC" status con2 >/dev/null 2>&1
rc=$?
set -e
assert_eq "$rc" 1 "status NAME exits 1 when the tunnel is down"
on a "$TC" status con1 >/dev/null || die "status con1 must exit 0 while con1 is up"
echo "ok: status con1 exits 0"

step "no secret in any output"
all=$(cat "$TMP/s.json" "$TMP/watch.out"; on a "$TC" status; on b "$TC" status --json)
assert_not_contains "$all" "secret-0123" "no PSK in status output"

step "charon not running: clear error, exit 1"
lab stop-charon a >/dev/null
set +e
out=$(on a "$TC" status 2>&1)
rc=$?
set -e
assert_eq "$rc" 1 "status exits 1 without charon"
assert_contains "$out" "charon is not running" "the error says charon is not running"
echo "all status checks passed"
