#!/usr/bin/env bash
# tests/lab/test_scenarios.sh - the scenario generator produces what the doctor's corpus needs:
# both files, both logs of the run and the expected verdict, for a success and a failure.
# Root only; two quick scenarios (the full set takes minutes: lab/scenarios.sh all DIR).
# shellcheck source=tests/lab/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

export TUNNELCTL_LAB_DIR=/run/tunnelctl-lab-sc-$$
export TUNNELCTL_LAB_PREFIX=tls$$
OUT=$(mktemp -d)

cleanup() {
	set +e
	"$ROOT/lab/lab.sh" down --all >/dev/null 2>&1
	rm -rf "$OUT" "$TUNNELCTL_LAB_DIR"
}
trap cleanup EXIT

step "the list names the classes the corpus needs"
list=$(lab/scenarios.sh --list)
for c in healthy psk_mismatch nat_t_blocked half_open config_error; do
	grep -qx "$c" <<<"$list" || die "no scenario $c"
done

step "healthy and psk_mismatch"
lab/scenarios.sh healthy "$OUT"
lab/scenarios.sh psk_mismatch "$OUT"
for c in healthy psk_mismatch; do
	for f in a.conf b.conf a.log b.log expected; do
		[ -s "$OUT/$c/$f" ] || die "$c/$f missing or empty"
	done
	grep -qx "class=$c" "$OUT/$c/expected" || die "$c/expected has no class=$c"
	grep -qx "tunnel=con1" "$OUT/$c/expected" || die "$c/expected has no tunnel"
	# only this run: one charon start per log
	[ "$(grep -c 'Starting IKE charon daemon' "$OUT/$c/a.log")" -eq 1 ] || die "$c/a.log is not one run"
	"$TUNNELCTL_BIN" check -c "$OUT/$c/a.conf" >/dev/null || die "$c/a.conf does not check"
done
grep -q 'CHILD_SA con1{[0-9]*} established' "$OUT/healthy/a.log" || die "healthy: no CHILD_SA in a.log"
grep -q 'AUTHENTICATION_FAILED' "$OUT/psk_mismatch/a.log" || die "psk_mismatch: no AUTHENTICATION_FAILED in a.log"
grep -q 'MAC mismatched' "$OUT/psk_mismatch/b.log" || die "psk_mismatch: b.log does not show the MAC mismatch"
grep -q "^$TUNNELCTL_LAB_PREFIX-" <<<"$(ip netns list)" && die "a scenario left its namespaces"

step "cert_problem is self-contained: certificates beside the tunnel files, compared by the doctor"
lab/scenarios.sh cert_problem "$OUT"
d=$OUT/cert_problem
for f in ca1/gw-a.crt ca2/ca.crt ca2/gw-b.crt; do
	[ -s "$d/$f" ] || die "cert_problem/$f not saved"
done
grep -qx '        cert = ca1/gw-a.crt' "$d/a.conf" || die "a.conf does not name its cert by a relative path"
ls "$d"/ca*/*.key >/dev/null 2>&1 && die "private keys were saved"
rc=0
"$TUNNELCTL_BIN" doctor --json --config "$d/a.conf" --peer-config "$d/b.conf" >"$OUT/cert.json" || rc=$?
cat "$OUT/cert.json"
[ "$rc" -eq 1 ] || die "doctor exit status $rc, want 1"
python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["verdicts"]; sys.exit(0 if v and v[0]["class"]=="cert_problem" else 1)' \
	"$OUT/cert.json" || die "the configs are not compared as cert_problem"

step "--family ipv6 and mixed: the same scenario over IPv6 gateways / with IPv6 networks"
lab/scenarios.sh --family ipv6 no_ike_config "$OUT/v6"
d=$OUT/v6/no_ike_config
grep -qx '        local_address = 2001:db8::1' "$d/a.conf" || die "ipv6: a.conf has no IPv6 local_address"
grep -qx '        remote_gateway = 2001:db8::99' "$d/b.conf" || die "ipv6: b.conf's other peer is not 2001:db8::99"
grep -qx '                mode = tunnel6' "$d/a.conf" || die "ipv6: phase 2 is not tunnel6"
grep -qx '                local = fd00:1::/64' "$d/a.conf" || die "ipv6: a's network is not fd00:1::/64"
grep -q 'no IKE config found for 2001:db8::2...2001:db8::1' "$d/b.log" || die "ipv6: b.log has no lookup"
grep -q 'received NO_PROPOSAL_CHOSEN' "$d/a.log" || die "ipv6: b's answer never reached a"
lab/scenarios.sh --family mixed healthy "$OUT/mixed"
d=$OUT/mixed/healthy
grep -qx '        local_address = 192.0.2.1' "$d/a.conf" || die "mixed: gateways are not IPv4"
grep -q 'CHILD_SA con1{[0-9]*} established .* TS fd00:1::/64 === fd00:2::/64' "$d/a.log" ||
	die "mixed: no IPv6 child over IPv4"
set +e
lab/scenarios.sh --family ipx healthy "$OUT" >/dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || die "--family ipx: exit $rc, want 2"

step "an unknown scenario is a usage error"
set +e
lab/scenarios.sh no_such_class "$OUT" >/dev/null 2>&1
rc=$?
set -e
[ "$rc" -ne 0 ] || die "unknown scenario accepted"
echo "test_scenarios: ok"
