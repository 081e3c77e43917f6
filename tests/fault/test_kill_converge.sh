#!/usr/bin/env bash
# test_kill_converge.sh - kill -9 `apply` at random moments, then apply once: charon must run
# exactly the file every time (SPEC §5; issue 16 item 1). Real charons in the lab: side b
# always runs the target file, so a's PSK and ESP proposal are checked by negotiating with b,
# a's connections by listing them, and a's plan by a dry run that must find nothing to do.
# Needs root (network namespaces): skipped otherwise.
source "$(dirname "$0")/../lab/lib.sh"

KILLS=${KILLS:-32}		# kill -9 tries
SEED=${SEED:-$RANDOM}		# print it: a failure can be replayed with SEED=...
RANDOM=$SEED

if [ "$(id -u)" -ne 0 ]; then
	echo "needs root (network namespaces): skipped"
	exit 0
fi
lab_begin

# variant SIDE F|G: two tunnel files that differ in every way apply must carry out. F has
# tunnels 1 and 2; G changes tunnel 1's PSK and ESP proposal, drops tunnel 2 and adds 3.
variant() {
	local side=$1 v=$2 me peer wan pwan net pnet psk enc
	if [ "$side" = a ]; then
		me=a peer=b wan=192.0.2.1 pwan=192.0.2.2 net=10.1 pnet=10.2
	else
		me=b peer=a wan=192.0.2.2 pwan=192.0.2.1 net=10.2 pnet=10.1
	fi
	if [ "$v" = F ]; then psk=alpha-secret-0123456789abcdef enc=aes128; else psk=gamma-secret-0123456789abcdef enc=aes256; fi
	tunnel() { # tunnel N PSK ENC
		cat <<T
    $1 {
        local_address = $wan
        remote_gateway = $pwan
        local_id = fqdn:$me-$1.lab
        remote_id = fqdn:$peer-$1.lab
        psk = "$2"
        start_action = none
        phase2 {
            $1 {
                local = $net.$1.0/24
                remote = $pnet.$1.0/24
                encryption = $3
                hash = sha256
            }
        }
    }
T
	}
	echo "tunnels {"
	tunnel 1 "$psk" "$enc"
	if [ "$v" = F ]; then tunnel 2 beta-secret-0123456789abcdef aes128; else tunnel 3 delta-secret-0123456789abcdef aes128; fi
	echo "}"
}
for v in F G; do
	variant a $v >"$TMP/a$v.conf"
	variant b $v >"$TMP/b$v.conf"
done
conns_of() { [ "$1" = F ] && echo "con1 con2 " || echo "con1 con3 "; }
alg_of() { [ "$1" = F ] && echo "AES_CBC-128/HMAC_SHA2_256_128" || echo "AES_CBC-256/HMAC_SHA2_256_128"; }

step "lab up with F on both sides (seed $SEED)"
lab up "$TMP/aF.conf" "$TMP/bF.conf" >/dev/null
assert_eq "$(loaded_conns a)" "$(conns_of F)" "a runs F's connections"

# how long one apply on a takes (F to G and back, timed inside the namespace), so the kills
# land anywhere in it
timed_apply() {
	on a sh -c 's=$(date +%s%N); "$TUNNELCTL_BIN" -c "$1" apply >/dev/null; echo $((($(date +%s%N) - s) / 1000000))' \
		sh "$1"
}
span_ms=$(( ($(timed_apply "$TMP/aG.conf") + $(timed_apply "$TMP/aF.conf")) / 2 + 5 ))
echo "one apply takes about $span_ms ms: kills land in 0..$span_ms ms after it starts"

converged=0
killed_mid=0
for ((i = 1; i <= KILLS; i++)); do
	# the target alternates: every try has something to change, so a kill can split it
	if ((i % 2)); then t=G; else t=F; fi
	delay=$((RANDOM % span_ms))
	# b runs the target: a's PSK and proposal are right only if a negotiates with it
	on b "$TC" -c "$TMP/b$t.conf" apply >/dev/null
	# a: apply the target, killed after delay ms (the shell execs tunnelctl: its pid is ours)
	on a sh -c 'echo $$ >"$1"; exec "$TUNNELCTL_BIN" -c "$2" apply' sh "$TMP/pid" "$TMP/a$t.conf" >/dev/null 2>&1 &
	wrapper=$!
	for ((w = 0; w < 100; w++)); do [ -s "$TMP/pid" ] && break; sleep 0.01; done
	sleep "$(printf '0.%03d' "$delay")"
	if kill -9 "$(cat "$TMP/pid")" 2>/dev/null; then killed_mid=$((killed_mid + 1)); fi
	wait "$wrapper" 2>/dev/null || true
	rm -f "$TMP/pid"
	# one apply must bring charon to the file
	out=$(on a "$TC" -c "$TMP/a$t.conf" apply 2>&1) || die "try $i ($t, kill at ${delay} ms): apply failed: $out"
	conns=$(loaded_conns a)
	plan=$(on a "$TC" -c "$TMP/a$t.conf" apply --dry-run 2>&1)
	up=ok
	on a sh -c 'swanctl --initiate --child con1 --timeout 10 --uri "$TUNNELCTL_VICI"' >/dev/null 2>&1 || up=failed
	alg=$(on a sh -c 'swanctl --list-sas --ike con1 --uri "$TUNNELCTL_VICI"' 2>/dev/null |
		sed -n 's/.*ESP:\(.*\)$/\1/p' | sed 's/^ *//;s/ *$//' | head -1 || true)
	on a sh -c 'swanctl --terminate --ike con1 --force --timeout 5 --uri "$TUNNELCTL_VICI"' >/dev/null 2>&1 || true
	verdict=converged
	if [ "$conns" != "$(conns_of $t)" ]; then
		verdict="connections '$conns', want '$(conns_of $t)'"
	elif [ "$up" != ok ]; then
		verdict="con1 did not come up against b running $t (stale PSK or proposal)"
	elif [ "$alg" != "$(alg_of $t)" ]; then
		verdict="con1 negotiated '$alg', want '$(alg_of $t)'"
	elif [ "$plan" != "no changes to connections" ]; then
		verdict="a dry run still plans: $plan"
	fi
	echo "try $i: target $t, kill at ${delay} ms: $verdict"
	[ "$verdict" = converged ] && converged=$((converged + 1))
done
echo "converged $converged of $KILLS (killed while running: $killed_mid)"
assert_eq "$converged" "$KILLS" "every apply after a kill brought charon to the file"
