#!/usr/bin/env bash
# bundle against real charons: with charon's IKE log at level 4 (which dumps the PSK in hex
# and text), a bundle of side a holds the tunnel file, configs, status, SAs, policies, log,
# doctor report, versions and plugins, history and a manifest of exactly what is inside, and
# not one secret the lab used, in any file, as written or base64.
source "$(dirname "$0")/lib.sh"
lab_begin

pair_conf a none bundle >"$TMP/a.conf"
pair_conf b none bundle >"$TMP/b.conf"
mapfile -t secrets < <(sed -n 's/^ *psk = "\(.*\)"$/\1/p' "$TMP/a.conf" "$TMP/b.conf" | sort -u)
[ "${#secrets[@]}" -eq 2 ] || die "expected the lab's two PSKs, found ${#secrets[@]}"

step "lab up; side a's IKE log at level 4 (it dumps the PSK); con1 and con2 up, con2_4 down"
lab up "$TMP/a.conf" "$TMP/b.conf" --wait 0 >/dev/null
on a "$TC" logging set ike=4 >/dev/null
on a "$TC" up con1 --quiet >/dev/null
on a "$TC" up con2 --quiet >/dev/null
on a "$TC" down con2_4 --quiet >/dev/null || true
log=$(on a sh -c 'echo "$TUNNELCTL_OUT_DIR"')/var/log/charon.log
grep -q ' secret => [0-9]* bytes @ ' "$log" || die "charon's log at $log has no secret dump: the test would prove nothing"

step "bundle -o: written 0600, names what it holds"
out=$TMP/support.tar.gz
set +e; text=$(on a "$TC" bundle -o "$out" 2>"$TMP/err"); rc=$?; set -e
echo "$text"; cat "$TMP/err"
assert_eq "$rc" 0 "bundle exits 0"
assert_eq "$(stat -c %a "$out")" 600 "the archive is 0600"
mkdir "$TMP/x"
tar -xzf "$out" -C "$TMP/x"
d=$(echo "$TMP"/x/tunnelctl-bundle-*)
[ -d "$d" ] || die "no tunnelctl-bundle-* directory in the archive"
for f in MANIFEST tunnels.conf swanctl.conf applied.txt strongswan.conf status.json sas.json conns.json \
	policies.json version.json stats.json xfrm-policies.txt xfrm-states.txt routes.txt nftables.txt charon.log \
	doctor.txt history.json; do
	[ -f "$d/$f" ] || die "the archive has no $f"
done
echo "ok: every part is in the archive"
# the manifest lists exactly the files of the archive
listed=$(sed -n '/^file (in DIR/,/^$/p' "$d/MANIFEST" | awk 'NR > 1 && NF { print $1 }' | sort)
inside=$(cd "$d" && find . -type f ! -name MANIFEST | sed 's|^\./||' | sort)
assert_eq "$listed" "$inside" "MANIFEST lists exactly the files inside"

step "what is inside is real"
assert_contains "$(cat "$d/tunnels.conf")" 'psk = "<hidden>"' "the tunnel file's PSK is <hidden>"
assert_eq "$(grep -c 'local = 10.1.[0-9].0/24' "$d/tunnels.conf")" 4 "the rest of the tunnel file is there"
assert_contains "$(cat "$d/swanctl.conf")" 'secret = <hidden>' "swanctl.conf's secrets are <hidden>"
assert_contains "$(cat "$d/applied.txt")" "is what the tunnel file compiles to" "the applied swanctl.conf is today's"
assert_eq "$(jq -r '[.[] | keys[]] | sort | unique | join(" ")' "$d/sas.json")" "con1 con2" "sas.json: both IKE SAs"
assert_eq "$(jq -r '.ike_sas[] | select(.name=="con1") | .state' "$d/status.json")" ESTABLISHED "status.json: con1 established"
assert_contains "$(jq -r '.plugins | join(" ")' "$d/stats.json")" "kernel-libipsec" "stats.json: the loaded plugins"
assert_eq "$(jq -r .daemon "$d/version.json")" charon "version.json: charon's version"
assert_contains "$(cat "$d/charon.log")" "CHILD_SA con1{" "charon.log: this run's lines"
# kernel-libipsec routes the remote networks into its TUN device in table 220
assert_contains "$(cat "$d/routes.txt")" "table 220 unicast 10.2.0.0/24" "routes.txt: charon's route in table 220"
assert_contains "$(cat "$d/routes.txt")" "table 255 local 192.0.2.1/32" "routes.txt: the local table too"
assert_contains "$(head -1 "$d/xfrm-states.txt")" "# 0 states" "xfrm-states.txt: none in the kernel under kernel-libipsec"
assert_contains "$(cat "$d/doctor.txt")" "con1: healthy [healthy]" "doctor.txt: the doctor's verdict on con1"
assert_not_contains "$(cat "$d/charon.log")" "   0: " "charon.log: no memory dump lines"
# history: every timeline the state directory has (none until the daemon or up/down write one)
hist=$(on a sh -c 'ls "$TUNNELCTL_STATE_DIR/history" 2>/dev/null | grep "\.log" | sort' || true)
assert_eq "$(cd "$d" && ls history 2>/dev/null | sort)" "$hist" "history/: the state directory's timelines"
assert_contains "$hist" "con2_4.log" "con2_4's manual down is in its timeline"
assert_eq "$(jq -r 'has("con2_4")' "$d/history.json")" true "history.json: con2_4's availability"

step "not one secret, in any file, as written or base64"
for s in "${secrets[@]}"; do
	b64=$(printf %s "$s" | base64 -w0)
	if grep -rlF -e "$s" -e "$b64" "$d"; then die "a secret is in the files above"; fi
	# the lab's own log has it (so the grep above can fail)
	grep -qF "$s" "$log" "$TMP/a.conf" || die "the secret is nowhere to be found: the grep proves nothing"
	# and it is not in the compressed bytes either, nor in what bundle printed
	if zcat "$out" | grep -qaF -e "$s" -e "$b64"; then die "a secret is in the archive's bytes"; fi
	assert_not_contains "$text" "$s" "the secret is not in bundle's output"
done
echo "ok: no secret in the archive"
# a piece of a PSK, as charon's dump prints it in its ASCII column (16 bytes a line): the
# lab's log has it, the bundle must not
piece=${secrets[0]:0:12}
grep -qF -e "$piece" "$log" || die "charon's log does not show '$piece': the check below proves nothing"
for s in "${secrets[@]}"; do
	if grep -rqF -e "${s:0:12}" "$d"; then die "a piece of a secret is in the bundle"; fi
done
echo "ok: no piece of a secret either"

step "--json, default name, errors"
set +e; json=$(on a sh -c "cd '$TMP' && '$TC' bundle --json" 2>/dev/null); rc=$?; set -e
assert_eq "$rc" 0 "bundle --json exits 0"
f=$(jq -r .file <<<"$json")
[ -f "$TMP/$f" ] || die "--json names $f, which is not there"
case "$f" in tunnelctl-bundle-*.tar.gz) echo "ok: default name $f" ;; *) die "default name $f" ;; esac
assert_eq "$(jq -r '[.files[].name] | index("charon.log") != null' <<<"$json")" true "--json lists charon.log"
step "a tunnel file that includes another: both in the bundle, both redacted"
mkdir "$TMP/inc" "$TMP/y"
printf '# main file\ninclude part.conf\n' >"$TMP/inc/main.conf"
cp "$TMP/a.conf" "$TMP/inc/part.conf"
set +e; on a "$TC" -c "$TMP/inc/main.conf" bundle -o "$TMP/inc.tar.gz" >/dev/null 2>&1; rc=$?; set -e
assert_eq "$rc" 0 "bundle with an include exits 0"
tar -xzf "$TMP/inc.tar.gz" -C "$TMP/y"
assert_contains "$(cat "$TMP"/y/*/tunnels.conf)" "include part.conf" "the main file"
assert_eq "$(grep -c 'psk = "<hidden>"' "$TMP"/y/*/included/001-part.conf)" 2 "the included file, its two PSKs <hidden>"
for s in "${secrets[@]}"; do
	if grep -rlF -e "$s" "$TMP/y"; then die "a secret of the included file is in the bundle"; fi
done
echo "ok: no secret of the included file"

set +e; on a "$TC" bundle -o /nonexistent-dir/x.tar.gz >/dev/null 2>&1; rc=$?; set -e
assert_eq "$rc" 1 "an unwritable path exits 1"
set +e; on a "$TC" bundle extra >/dev/null 2>&1; rc=$?; set -e
assert_eq "$rc" 2 "an operand exits 2"
echo "PASS"
