#!/usr/bin/env bash
# import-pfsense end to end: two pfSense config.xml files (a lab pair) imported into tunnel
# files, which pass check and bring the tunnel up between two real charons with pfSense's
# names, proposals and merged child.
source "$(dirname "$0")/lib.sh"
lab_begin

step "import both sides"
for s in a b; do
	"$TC" import-pfsense "$ROOT/tests/data/pfsense/lab-$s.xml" -o "$TMP/$s.conf" 2>"$TMP/$s.err"
	assert_contains "$(cat "$TMP/$s.err")" "1 phase 1, 2 phase 2 imported" "side $s: counts"
	[ "$(stat -c %a "$TMP/$s.conf")" = 600 ] || die "side $s: output not 0600"
	"$TC" check -c "$TMP/$s.conf" >/dev/null || die "side $s: imported file fails check"
done
echo "ok: both imported files pass check"

step "lab up with the imported files"
lab up "$TMP/a.conf" "$TMP/b.conf" >/dev/null
wait_ike a con1 20 || die "con1 did not come up from the imported files"
echo "ok: con1 established"

step "what charon negotiated is what the pfSense entries say"
sas=$(on a sh -c 'swanctl --list-sas --uri "$TUNNELCTL_VICI"')
assert_contains "$sas" "AES_GCM_16-256/PRF_HMAC_SHA2_256/ECP_256" "IKE proposal 1 (AEAD, hash as PRF, DH 19)"
assert_contains "$sas" "10.1.0.0/24 10.1.1.0/24" "merged IKEv2 child carries both local networks"
assert_contains "$sas" "10.2.0.0/24 10.2.1.0/24" "and both remote networks"
conns=$(on a sh -c 'swanctl --list-conns --uri "$TUNNELCTL_VICI"')
assert_contains "$conns" "bypass:" "LAN bypass connection from the pfSense LAN"
echo "all import-pfsense checks passed"
