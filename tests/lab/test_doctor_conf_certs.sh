#!/usr/bin/env bash
# tests/lab/test_doctor_conf_certs.sh - issue 15, rule 8, with charon as the oracle: for each
# certificate fault `doctor --config A --peer-config B` predicts a cert_problem naming the
# file, and a real charon pair fails the same way (its own log line). Certificates are made
# here with strongSwan's pki (keys in the run's temporary directory only). Root only.
# shellcheck source=tests/lab/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
lab_begin

pki_q() { pki "$@" 2>/dev/null; }

step "certificates: a CA, b's, a's good one and three faulty ones"
C=$TMP/certs
mkdir -p "$C"
pki_q --gen --type ecdsa --size 256 >"$C/ca.key"
pki_q --self --ca --in "$C/ca.key" --type ecdsa --dn "C=CH, O=tunnelctl, CN=lab CA" --outform pem >"$C/ca.crt"
# issue NAME DN [pki --issue options]: NAME.key and NAME.crt signed by the CA
issue() {
	local n=$1 dn=$2
	shift 2
	pki_q --gen --type ecdsa --size 256 >"$C/$n.key"
	chmod 600 "$C/$n.key"
	pki_q --pub --in "$C/$n.key" --type ecdsa |
		pki_q --issue --cacert "$C/ca.crt" --cakey "$C/ca.key" --type pub --dn "$dn" --outform pem "$@" >"$C/$n.crt"
	[ -s "$C/$n.crt" ] || die "pki did not issue $n"
}
issue gw-b "C=CH, O=tunnelctl, CN=b-1.lab" --san b-1.lab
issue gw-a "C=CH, O=tunnelctl, CN=a-1.lab" --san a-1.lab
issue gw-a-ku "C=CH, O=tunnelctl, CN=a-1.lab" --san a-1.lab --flag crlSign
issue gw-a-other "C=CH, O=tunnelctl, CN=a-other.lab" --san other.lab
issue gw-a-crit "C=CH, O=tunnelctl, CN=a-1.lab" --san a-1.lab --critical 2.25.7003

# conf SIDE CERT START: a one-tunnel file with certificate authentication
conf() {
	local side=$1 cert=$2 start=$3 me peer wan pwan net pnet
	if [ "$side" = a ]; then
		me=a peer=b wan=192.0.2.1 pwan=192.0.2.2 net=10.1 pnet=10.2
	else
		me=b peer=a wan=192.0.2.2 pwan=192.0.2.1 net=10.2 pnet=10.1
	fi
	cat <<CONF
tunnels {
    1 {
        local_address = $wan
        remote_gateway = $pwan
        local_id = fqdn:$me-1.lab
        remote_id = fqdn:$peer-1.lab
        auth = cert
        cert = $C/$cert.crt
        key = $C/$cert.key
        ca = $C/ca.crt
        start_action = $start
        phase2 {
            1 {
                local = $net.0.0/24
                remote = $pnet.0.0/24
            }
        }
    }
}
CONF
}
conf b gw-b none >"$TMP/b.conf"
for c in gw-a gw-a-ku gw-a-other gw-a-crit; do
	conf a "$c" start >"$TMP/$c.conf"
done

# doctor_says CONF CLASS NEEDLE: the config compare of CONF with b.conf
doctor_says() {
	local rc=0
	"$TC" doctor --json --config "$TMP/$1.conf" --peer-config "$TMP/b.conf" >"$TMP/$1.json" || rc=$?
	assert_eq "$(jq -r '.verdicts[0].class' "$TMP/$1.json")" "$2" "$1: doctor's verdict"
	[ -z "$3" ] || assert_contains "$(jq -r '.verdicts[0].summary' "$TMP/$1.json")" "$3" "$1: doctor names it"
	[ "$2" = healthy ] || [ "$rc" -ne 0 ] || die "$1: doctor exits 0 on a failure"
}

step "the doctor's predictions"
doctor_says gw-a healthy ""
doctor_says gw-a-ku cert_problem "gw-a-ku.crt has a keyUsage without digitalSignature"
doctor_says gw-a-other cert_problem "does not hold it (it holds dn:C=CH, O=tunnelctl, CN=a-other.lab, fqdn:other.lab)"
doctor_says gw-a-crit cert_problem "refuses to load certificate $C/gw-a-crit.crt"
assert_contains "$(jq -r '.verdicts[0].summary' "$TMP/gw-a-crit.json")" "(2.25.7003)" "gw-a-crit: the OID"

# charon_says A-CONF SIDE ERE [applied]: apply A-CONF on a (unless lab up just did), then
# wait for ERE in SIDE's new log lines
charon_says() {
	local f=$1 side=$2 re=$3 log n i
	log=0
	: >"$TMP/$f.apply"
	if [ "${4:-}" != applied ]; then
		log=$(lab logs "$side" 2>/dev/null | wc -l)
		lab apply a "$TMP/$f.conf" >"$TMP/$f.apply" 2>&1 || true
	fi
	for ((i = 0; i < 150; i++)); do
		n=$(lab logs "$side" 2>/dev/null | tail -n +"$((log + 1))" | grep -Ec -- "$re" || true)
		[ "$n" -gt 0 ] && { echo "ok: $f: charon on $side logs /$re/"; return 0; }
		sleep 0.1
	done
	cat "$TMP/$f.apply" >&2
	lab logs "$side" | tail -n +"$((log + 1))" | tail -30 >&2
	die "$f: charon on $side did not log /$re/"
}

# charon caches the certificates it verified: a's good one, once seen, would be tried for
# a-1.lab later ("signature validation failed"), so the faults run first, the good pair last.
step "charon: each faulty certificate fails as predicted"
lab up "$TMP/gw-a-other.conf" "$TMP/b.conf" --wait 0 >/dev/null
charon_says gw-a-other b "no trusted .* public key found for 'a-1.lab'" applied
charon_says gw-a-ku b "rejecting certificate without digitalSignature or nonRepudiation keyUsage flags"
charon_says gw-a-crit a "critical '[^']*' extension not supported|found unsupported critical X.509 extension: 2.25.7003"

step "charon: the good pair comes up"
lab apply a "$TMP/gw-a.conf" >/dev/null
wait_ike a con1 20 || die "the IKE SA with good certificates did not come up"
echo "ok: gw-a: IKE SA established"
echo "PASS"
