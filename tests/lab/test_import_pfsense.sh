#!/usr/bin/env bash
# import-pfsense end to end: two pfSense config.xml files (a lab pair) imported into tunnel
# files, which pass check and bring the tunnel up between two real charons with pfSense's
# names, proposals and merged child. Then a certificate pair (cert-a.xml, cert-b.xml)
# imported with --cert-dir: the files written from config.xml's certificate store, and the
# tunnel authenticated with them, A's identity taken from its certificate's subject.
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

step "certificate pair: import both sides with --cert-dir"
for s in a b; do
	"$TC" import-pfsense "$ROOT/tests/data/pfsense/cert-$s.xml" -o "$TMP/cert-$s.conf" \
		--cert-dir "$TMP/certs-$s" 2>"$TMP/cert-$s.err"
	"$TC" check -c "$TMP/cert-$s.conf" >/dev/null || die "side $s: imported certificate file fails check"
done
assert_contains "$(cat "$TMP/cert-a.err")" "3 certificate entries imported; 5 files written" "side a: counts"
assert_contains "$(cat "$TMP/cert-b.err")" "1 certificate entries imported; 3 files written" "side b: counts"
assert_eq "$(stat -c %a "$TMP/certs-a/6750c1a0ce00a.key")" 600 "private key written 0600"
assert_eq "$(stat -c %a "$TMP/certs-a/6750c1a0ce00a.crt")" 644 "certificate written 0644"
assert_eq "$(stat -c %a "$TMP/certs-b/6750c1a0ca001-ca.crt")" 644 "CA written 0644"
cmp -s "$TMP/certs-b/6750c1a0ce00b.key" "$ROOT/tests/data/pfsense/certs/gw-b.key" ||
	die "side b: key file differs from the PEM pfSense stored"
echo "ok: key file is the PEM pfSense stored"
assert_contains "$(cat "$TMP/cert-a.conf")" 'local_id = asn1dn:"C=CH, O=tunnelctl, CN=gw-a.example.com"' \
	"side a: empty asn1dn identity became the certificate's subject"

step "lab up with the imported certificate files"
lab down >/dev/null
lab up "$TMP/cert-a.conf" "$TMP/cert-b.conf" >/dev/null
wait_ike a con1 20 || die "con1 did not come up with the imported certificates"
echo "ok: con1 established with certificates"
sas=$(on a sh -c 'swanctl --list-sas --uri "$TUNNELCTL_VICI"')
assert_contains "$sas" "C=CH, O=tunnelctl, CN=gw-a.example.com" "A authenticated as its certificate's subject"
assert_contains "$sas" "C=CH, O=tunnelctl, CN=gw-b.example.com" "B authenticated as its certificate's subject"
assert_contains "$sas" "local  10.1.0.0/24" "child with the pfSense local network"
assert_contains "$sas" "remote 10.2.0.0/24" "and remote network"
certs=$(on b sh -c 'swanctl --list-certs --uri "$TUNNELCTL_VICI"')
assert_contains "$certs" "tunnelctl pfSense import CA" "B loaded the imported CA"
out=$(lab ping con1 2>&1) || die "ping through the certificate tunnel failed: $out"
echo "ok: traffic passes through the certificate tunnel"
echo "all import-pfsense checks passed"
