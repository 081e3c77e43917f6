#!/usr/bin/env bash
# tests/lab/test_doctor_conf_rules.sh - issue 15, rule 2, with charon as the oracle: A asks for
# everything (remote 0.0.0.0/0), B offers only its LAN; charon installs the child narrowed
# to B's LAN, and `doctor --config A --peer-config B` agrees: healthy (exit 0), with a
# warning naming what is not tunnelled. Root only.
# shellcheck source=tests/lab/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
lab_begin

step "tunnel files: A's phase 2 remote is 0.0.0.0/0, B's local is 10.2.0.0/24"
pair_conf a start rules >"$TMP/a.conf"
pair_conf b none rules >"$TMP/b.conf"
# only tunnel 1, phase 2 entry 1; A's remote widened to everything
for s in a b; do
	awk '/^    2 \{/ { skip = 1 } skip && /^    \}/ { skip = 0; next } !skip' "$TMP/$s.conf" |
		awk '/^            2 \{/ { skip = 1 } skip && /^            \}/ { skip = 0; next } !skip' >"$TMP/$s.1"
	mv "$TMP/$s.1" "$TMP/$s.conf"
done
sed -i 's#remote = 10.2.0.0/24#remote = 0.0.0.0/0#' "$TMP/a.conf"
grep -q 'remote = 0.0.0.0/0' "$TMP/a.conf" || die "A's tunnel file was not widened"
"$TC" check -c "$TMP/a.conf" >/dev/null || die "A's tunnel file does not check"
"$TC" check -c "$TMP/b.conf" >/dev/null || die "B's tunnel file does not check"

step "the configs: healthy, exit 0, a warning that 0.0.0.0/0 beyond 10.2.0.0/24 is not tunnelled"
rc=0
"$TC" doctor --json --config "$TMP/a.conf" --peer-config "$TMP/b.conf" >"$TMP/doctor.json" || rc=$?
assert_eq "$rc" 0 "doctor's exit status"
assert_eq "$(jq -r '.verdicts[0].class' "$TMP/doctor.json")" healthy "config verdict"
assert_contains "$(jq -r '.warnings[].summary' "$TMP/doctor.json")" \
	"not tunnelled: remote 0.0.0.0/0 beyond 10.2.0.0/24" "narrowing warning"

step "charon: the child is installed, narrowed to B's LAN"
lab up "$TMP/a.conf" "$TMP/b.conf" >/dev/null
wait_ike a con1 20 || die "the IKE SA did not come up"
sas=""
for ((i = 0; i < 100; i++)); do
	sas=$(on a sh -c 'swanctl --list-sas --uri "$TUNNELCTL_VICI" 2>/dev/null')
	grep -q "INSTALLED" <<<"$sas" && break
	sleep 0.1
done
assert_contains "$sas" "INSTALLED" "child installed"
assert_contains "$sas" "remote 10.2.0.0/24" "remote selector narrowed to B's LAN"
echo "PASS"
