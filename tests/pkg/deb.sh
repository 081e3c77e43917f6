#!/usr/bin/env bash
# The Debian package (make check-deb; .ci/run runs it): built by `make deb` into DIR, it has
# exactly the paths and modes docs/packaging.md lists, the tunnel file is a 0600 conffile, the
# strongSwan packages are dependencies that apt can satisfy here, lintian reports no error,
# and the tree unpacked with dpkg -x works: --version, check, man pages, completion, unit.
# Usage: tests/pkg/deb.sh DIR   (not a test_*.sh: tests/run.sh does not build packages)
source "$(dirname "$0")/lib.sh"
DIR=$(cd "${1:?usage: tests/pkg/deb.sh DIR}" && pwd)
VERSION=$("$TC" --version | awk '{ print $2 }')
DEB=$DIR/tunnelctl_${VERSION}_amd64.deb

step "the package is named after tunnelctl --version"
[ -f "$DEB" ] || die "no $DEB (ls: $(ls "$DIR"))"
ok "$(basename "$DEB")"
assert_eq "$(dpkg-deb -f "$DEB" Version)" "$VERSION" "package version = tunnelctl --version"

step "every path and mode, owned by root"
# the expected listing: "MODE PATH" for every file; directories are 0755 but /etc/tunnelctl
expect() { printf '%s %s\n' "$1" "$2" >>"$TMP/want"; }
: >"$TMP/want"
expect -rw------- /etc/tunnelctl/tunnels.conf
expect -rw-r--r-- /lib/systemd/system/tunnelctl.service
expect -rwxr-xr-x /usr/bin/tunnelctl
expect -rw-r--r-- /usr/share/bash-completion/completions/tunnelctl
expect -rw-r--r-- /usr/share/man/man5/tunnelctl.conf.5.gz
expect -rw-r--r-- /usr/share/man/man8/tunnelctl.8.gz
expect -rw-r--r-- /usr/share/doc/tunnelctl/copyright
expect -rw-r--r-- /usr/share/doc/tunnelctl/changelog.gz
for f in "$ROOT"/README.md "$ROOT"/docs/*.md; do
	# dh_compress leaves files under 4 KiB as they are
	if [ "$(stat -c %s "$f")" -lt 4096 ]; then z=; else z=.gz; fi
	expect -rw-r--r-- "/usr/share/doc/tunnelctl/$(basename "$f")$z"
done
# the fleet recipes (docs/fleet.md), as documentation
while IFS= read -r f; do
	if [ "$(stat -c %s "$ROOT/contrib/$f")" -lt 4096 ]; then z=; else z=.gz; fi
	expect -rw-r--r-- "/usr/share/doc/tunnelctl/$f$z"
done < <(cd "$ROOT/contrib" && find ansible prometheus -type f)
for f in "$ROOT"/examples/*.conf; do
	expect -rw-r--r-- "/usr/share/doc/tunnelctl/examples/$(basename "$f")"
done
for f in "$ROOT"/lab/*.sh; do
	expect -rwxr-xr-x "/usr/share/tunnelctl/lab/$(basename "$f")"
done
sort -o "$TMP/want" "$TMP/want"
dpkg-deb -c "$DEB" | awk '{ p = $6; sub(/^\./, "", p); print $1, $2, p }' >"$TMP/listing"
awk '$1 !~ /^d/ { print $1, $3 }' "$TMP/listing" | sort >"$TMP/got"
diff -u "$TMP/want" "$TMP/got" || die "the package's files differ from the expected list (- expected, + packaged)"
ok "$(wc -l <"$TMP/got") files, each with its mode"
bad=$(awk '$2 != "root/root"' "$TMP/listing")
[ -z "$bad" ] || { echo "$bad"; die "entries not owned by root/root"; }
ok "everything root/root"
bad=$(awk '$1 ~ /^d/ && !(($3 == "/etc/tunnelctl/" && $1 == "drwx------") || $1 == "drwxr-xr-x")' "$TMP/listing")
[ -z "$bad" ] || { echo "$bad"; die "directory modes"; }
ok "directories 0755, /etc/tunnelctl 0700"

step "control: conffile, dependencies"
dpkg-deb -e "$DEB" "$TMP/control"
assert_eq "$(cat "$TMP/control/conffiles")" /etc/tunnelctl/tunnels.conf "the tunnel file is the conffile"
deps=$(dpkg-deb -f "$DEB" Depends)
for p in strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-extra-plugins; do
	assert_contains "$deps" "$p" "Depends: $p"
done
if apt-get install -s "$DEB" >"$TMP/apt.log" 2>&1; then
	assert_contains "$(cat "$TMP/apt.log")" "Inst tunnelctl" "apt install ./$(basename "$DEB") resolves (simulated)"
else
	cat "$TMP/apt.log"
	die "apt cannot install the package here"
fi
grep -q 'deb-systemd-helper\|systemctl' "$TMP/control/postinst" || die "postinst does not register the unit"
! grep -q 'systemctl.*start\|deb-systemd-invoke start' "$TMP/control/postinst" || die "postinst starts the daemon"
ok "postinst registers the unit, does not start it"

step "lintian: no errors"
if command -v lintian >/dev/null; then
	lintian --pedantic -I "$DEB" >"$TMP/lintian" 2>&1 || true
	grep -v 'running with root privileges' "$TMP/lintian" || true
	! grep -q '^E:' "$TMP/lintian" || die "lintian reports errors"
	ok "lintian: $(grep -c '^W:' "$TMP/lintian" || true) warnings, no errors"
else
	die "lintian is not installed (scripts/install-deps.sh installs it)"
fi

step "the unpacked tree works (dpkg -x)"
R=$TMP/root
dpkg -x "$DEB" "$R"
assert_eq "$("$R/usr/bin/tunnelctl" --version)" "tunnelctl $VERSION" "tunnelctl --version"
out=$("$R/usr/bin/tunnelctl" check -c "$R/etc/tunnelctl/tunnels.conf")
assert_contains "$out" "OK, 0 phase 1" "check passes on the packaged tunnel file"
out=$("$R/usr/bin/tunnelctl" check -c "$R/usr/share/doc/tunnelctl/examples/split.conf")
assert_contains "$out" "OK, 1 phase 1 and 2 phase 2" "check passes on a packaged example"
printf 'tunnels {\n 1 {\n  bogus = 1\n }\n}\n' >"$TMP/bad.conf"
rc=0; "$R/usr/bin/tunnelctl" check -c "$TMP/bad.conf" >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 2 "check fails (exit 2) on a bad file"
mkdir -p "$TMP/labs"
TUNNELCTL_LAB_DIR=$TMP/labs "$R/usr/bin/tunnelctl" lab list >/dev/null ||
	die "the packaged tunnelctl does not find its lab script"
ok "lab finds /usr/share/tunnelctl/lab/lab.sh next to the binary"
for p in man8/tunnelctl.8 man5/tunnelctl.conf.5; do
	zcat "$R/usr/share/man/$p.gz" >"$TMP/page"
	cmp -s "$TMP/page" "$ROOT/man/$(basename "$p")" || die "$p differs from man/"
	case $(mandoc -T utf8 "$TMP/page") in
	*TUNNELCTL*) ;;
	*) die "$p does not render" ;;
	esac
done
ok "man pages are ours and render"
(
	PATH=$R/usr/bin:$PATH
	source "$R/usr/share/bash-completion/completions/tunnelctl"
	COMP_WORDS=(tunnelctl che); COMP_CWORD=1; COMPREPLY=()
	_tunnelctl
	[ "${COMPREPLY[*]}" = check ] || die "packaged completion: got '${COMPREPLY[*]}'"
)
ok "packaged completion completes 'che' to check"
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$TMP/units"
	sed "s|/usr/bin/tunnelctl|$R/usr/bin/tunnelctl|g" "$R/lib/systemd/system/tunnelctl.service" \
		>"$TMP/units/tunnelctl.service"
	out=$(cd "$TMP/units" && systemd-analyze verify --man=no ./tunnelctl.service 2>&1) ||
		{ echo "$out"; die "systemd-analyze verify"; }
	! printf '%s\n' "$out" | grep -q tunnelctl.service || { echo "$out"; die "unit remarks"; }
	ok "packaged unit passes systemd-analyze verify"
fi
