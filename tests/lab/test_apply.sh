#!/usr/bin/env bash
# apply against real charons: tunnels come up and carry traffic, a one-line change touches
# only its connection, a change charon rejects rolls back files and loaded config, removal
# terminates SAs, secrets never show, and a stopped charon gives a clear error.
source "$(dirname "$0")/lib.sh"
lab_begin

# two phase 1 entries between the same gateways, told apart by their IDs
gen() { # gen SIDE LOCAL_WAN PEER_WAN LOCAL_NET_PREFIX PEER_NET_PREFIX START EXTRA_P2_ENC
	cat <<CONF
tunnels {
    1 {
        local_address = $2
        remote_gateway = $3
        local_id = fqdn:$1-1.lab
        remote_id = fqdn:$( [ $1 = a ] && echo b || echo a )-1.lab
        psk = "first-tunnel-secret-0123456789"
        start_action = $6
        phase2 {
            1 {
                local = $4.0.0/24
                remote = $5.0.0/24
                lifetime = ${7:-1h}
            }
        }
    }
    2 {
        local_address = $2
        remote_gateway = $3
        local_id = fqdn:$1-2.lab
        remote_id = fqdn:$( [ $1 = a ] && echo b || echo a )-2.lab
        psk = "second-tunnel-secret-012345678"
        start_action = $6
        phase2 {
            2 {
                local = $4.1.0/24
                remote = $5.1.0/24
            }
        }
    }
}
CONF
}
gen a 192.0.2.1 192.0.2.2 10.1 10.2 start >"$TMP/a.conf"
gen b 192.0.2.2 192.0.2.1 10.2 10.1 none >"$TMP/b.conf"

step "lab up: apply on both sides, both tunnels establish"
lab up "$TMP/a.conf" "$TMP/b.conf" | tee "$TMP/up.out"
wait_ike a con1 || die "con1 did not come up"
wait_ike a con2 || die "con2 did not come up"
assert_eq "$(loaded_conns a)" "con1 con2 " "charon on a has exactly con1 and con2"
out=$(lab ping con1 2>&1) || die "ping through con1 failed: $out"
assert_contains "$out" "0% loss" "traffic passes through the tunnel"

step "secrets: never in apply's output nor compile's"
assert_not_contains "$(cat "$TMP/up.out")" "tunnel-secret" "apply output has no PSK"
assert_not_contains "$(on a "$TC" compile)" "tunnel-secret" "compile hides the PSK"
perm=$(on a sh -c 'stat -c %a "$TUNNELCTL_OUT_DIR/etc/swanctl/conf.d/tunnelctl.conf"')
assert_eq "$perm" 600 "generated swanctl.conf is 0600"

step "one-line change: only con1 is loaded again; con2's IKE SA is untouched"
uid2=$(ike_uid a con2)
gen a 192.0.2.1 192.0.2.2 10.1 10.2 start 2h >"$TMP/a2.conf"
out=$(lab apply a "$TMP/a2.conf" 2>&1)
echo "$out"
assert_contains "$out" "~ con1: children.con1.life_time" "change set names the keys"
assert_not_contains "$out" "con2" "con2 is not in the change set"
assert_eq "$(ike_uid a con2)" "$uid2" "con2 keeps its IKE SA (unique id $uid2)"
assert_contains "$(on a sh -c 'swanctl --list-conns --uri "$TUNNELCTL_VICI" 2>/dev/null')" "rekeying every 6480s" "charon has the new child lifetime"
assert_contains "$(on a "$TC" apply)" "no changes to connections" "applying again changes nothing"

step "rollback: con1 changed, then con3 refused by charon (a certificate it cannot parse): everything restored"
before=$(on a sh -c 'cat "$TUNNELCTL_OUT_DIR/etc/swanctl/conf.d/tunnelctl.conf"')
echo "not a certificate" >"$TMP/bad.crt"
cp "$TMP/bad.crt" "$TMP/ca.crt"
# a valid key, so secrets load and con1's change is carried out before charon refuses con3
(umask 077; pki --gen --type ecdsa --size 256 --outform pem >"$TMP/bad.key")
{
	sed 's/lifetime = 2h/lifetime = 3h/' "$TMP/a2.conf" | sed '$d'
	cat <<CONF
    3 {
        local_address = 192.0.2.1
        remote_gateway = 192.0.2.2
        local_id = fqdn:a-3.lab
        remote_id = fqdn:b-3.lab
        auth = cert
        cert = $TMP/bad.crt
        key = $TMP/bad.key
        ca = $TMP/ca.crt
        phase2 {
            3 {
                local = 10.1.3.0/24
                remote = 10.2.3.0/24
            }
        }
    }
}
CONF
} >"$TMP/a3.conf"
on a "$TC" check -c "$TMP/a3.conf" >/dev/null || die "the bad file must pass check (charon is the one to refuse it)"
set +e
out=$(on a "$TC" apply -c "$TMP/a3.conf" 2>&1)
rc=$?
set -e
echo "$out"
assert_eq "$rc" 1 "apply exits 1"
assert_contains "$out" "the previous files were restored" "apply says it rolled back"
after=$(on a sh -c 'cat "$TUNNELCTL_OUT_DIR/etc/swanctl/conf.d/tunnelctl.conf"')
[ "$before" = "$after" ] || die "generated file differs after rollback"
echo "ok: generated file is byte-identical to before"
assert_eq "$(loaded_conns a)" "con1 con2 " "charon has exactly the previous connections"
assert_contains "$(on a sh -c 'swanctl --list-conns --uri "$TUNNELCTL_VICI" 2>/dev/null')" "rekeying every 6480s" "con1 keeps its previous child lifetime"
assert_eq "$(ike_uid a con2)" "$uid2" "con2's IKE SA survived the failed apply"
on a sh -c '! test -e "$TUNNELCTL_STATE_DIR/keys/private-3"' || die "the rolled-back key's record remains"
assert_contains "$(lab logs a)" "unloaded private key with id" "the key loaded for con3 was unloaded by the rollback"

step "removal: con2 removed from the file is unloaded and its SA terminated"
sed '/^    2 {/,/^    }$/d' "$TMP/a2.conf" >"$TMP/a4.conf"
out=$(lab apply a "$TMP/a4.conf" 2>&1)
echo "$out"
assert_contains "$out" "- con2" "change set shows the removal"
assert_eq "$(loaded_conns a)" "con1 " "con2 is unloaded"
assert_eq "$(ike_uid a con2)" "" "con2's IKE SA is gone"
[ -n "$(ike_uid a con1)" ] || die "con1 must stay up"
echo "ok: con1 stays up"

step "private keys: the id charon gives each is kept; a key goes when its last tunnel goes"
mkdir -p "$TMP/certs"
bash "$ROOT/examples/certs/make-certs.sh" "$TMP/certs" >/dev/null 2>&1
certp1() { # certp1 N: a certificate tunnel N; all of them use gw-a's one key
	cat <<CONF
    $1 {
        local_address = 192.0.2.1
        remote_gateway = 192.0.2.2
        local_id = fqdn:gw-a.example.com
        remote_id = fqdn:gw-$1.example.com
        auth = cert
        cert = $TMP/certs/gw-a.crt
        key = $TMP/certs/gw-a.key
        ca = $TMP/certs/ca.crt
        phase2 {
            $1 {
                local = 10.1.$1.0/24
                remote = 10.2.$1.0/24
            }
        }
    }
CONF
}
{ sed '$d' "$TMP/a4.conf"; certp1 3; certp1 4; echo "}"; } >"$TMP/a5.conf"
{ sed '$d' "$TMP/a4.conf"; certp1 3; echo "}"; } >"$TMP/a6.conf"
keyrec() { on a sh -c 'cat "$TUNNELCTL_STATE_DIR/keys/$1" 2>/dev/null' sh "$1" || true; }
unloads() { lab logs a | grep -c 'unloaded private key with id' || true; }
out=$(lab apply a "$TMP/a5.conf" 2>&1) || die "apply with two certificate tunnels failed: $out"
id3=$(keyrec private-3)
[ -n "$id3" ] || die "no key id recorded for private-3"
assert_eq "$(keyrec private-4)" "$id3" "both tunnels' key has one id"
assert_eq "$(on a sh -c 'stat -c %a "$TUNNELCTL_STATE_DIR/keys/private-3"')" 600 "the record is 0600"
n0=$(unloads)
out=$(lab apply a "$TMP/a6.conf" 2>&1) || die "removing con4 failed: $out"
assert_eq "$(keyrec private-4)" "" "con4's record is gone"
assert_eq "$(unloads)" "$n0" "the key con3 still uses stays loaded"
out=$(lab apply a "$TMP/a4.conf" 2>&1) || die "removing con3 failed: $out"
assert_eq "$(keyrec private-3)" "" "con3's record is gone"
assert_contains "$(lab logs a)" "unloaded private key with id $id3" "charon unloaded the key with its id"
assert_eq "$(loaded_conns a)" "con1 " "back to con1 alone"

step "charon restarted empty: apply loads connections and secrets again, the tunnel comes back"
lab stop-charon a
lab start-charon a --no-apply
assert_eq "$(loaded_conns a)" "" "the new charon has no connections"
out=$(on a "$TC" apply 2>&1)
echo "$out"
assert_contains "$out" "+ con1" "apply adds con1 again although the file did not change"
wait_ike a con1 || die "con1 did not come back (secret not loaded?)"
echo "ok: con1 is up again"

step "charon not running: clear error, exit 1, files untouched"
lab stop-charon a
set +e
out=$(on a "$TC" apply 2>&1)
rc=$?
set -e
echo "$out"
assert_eq "$rc" 1 "apply exits 1"
assert_contains "$out" "charon is not running" "message names the cause"
echo "all apply checks passed"
