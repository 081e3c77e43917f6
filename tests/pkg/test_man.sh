#!/usr/bin/env bash
# man/tunnelctl.8 and man/tunnelctl.conf.5: mandoc -T lint finds nothing; every command has
# its subsection and lists exactly the options its --help lists (and the global options
# section those of `tunnelctl --help`), so the page and --help cannot drift apart; the option
# lists are generated from the commands' option tables (`tunnelctl --man-options`, make man);
# tunnelctl.conf.5 is what scripts/gen-man-conf.awk makes of docs/tunnel-file.md today, and
# docs/commands.md ends with what `tunnelctl --md-options` makes of the option tables.
source "$(dirname "$0")/lib.sh"
export PATH=$ROOT:$PATH
# the --help option reader the completion uses (its own test checks it against --help)
# shellcheck source=../../contrib/bash-completion/tunnelctl
source "$ROOT/contrib/bash-completion/tunnelctl"
PAGE8=$ROOT/man/tunnelctl.8
PAGE5=$ROOT/man/tunnelctl.conf.5

command -v mandoc >/dev/null || die "mandoc is not installed (scripts/install-deps.sh installs it)"

step "mandoc -T lint -W style: nothing but cross references to pages not installed here"
for p in "$PAGE8" "$PAGE5"; do
	out=$(mandoc -T lint -W style "$p" 2>&1 || true)
	rest=$(printf '%s\n' "$out" | grep -v -e 'referenced manual not found' -e 'mandoc.db' || true)
	[ -z "$rest" ] || { echo "$rest"; die "mandoc lint: $(basename "$p")"; }
	ok "$(basename "$p") lint clean"
done
printf '.Dd x\n.Dt X 8\n.Os\n.Sh NAME\n.Nm x\n.Sh DESCRIPTION\n.It y\n' >"$TMP/bad.8"
assert_contains "$(mandoc -T lint "$TMP/bad.8" 2>&1 || true)" "ERROR" "a broken page is reported (the check can fail)"

# man_options PAGE SECTION [It]: the flags (Fl ...) of a `.Ss SECTION` or `.Sh SECTION`,
# sorted; with "It" only those of its list items (the options it documents)
man_options() {
	awk -v sect="$2" -v only="${3:-}" '
		/^\.S[hs] / { s = $0; sub(/^\.S[hs] /, "", s); on = (s == sect); next }
		on && /^\./ && (only == "" || $1 == ".It") {
			for (i = 1; i < NF; i++)
				if ($i == "Fl" && $(i + 1) != "\\-") {
					f = $(i + 1)
					sub(/[,.;:)]+$/, "", f)
					print "-" f
				}
		}' "$1" | sort -u | tr '\n' ' '
}
help_options() { _tunnelctl_help_options "$1" | sort -u | tr '\n' ' '; }

step "the global options: OPTIONS section = tunnelctl --help"
assert_eq "$(man_options "$PAGE8" OPTIONS It)" "$(help_options "")" "global options"

step "each command: its subsection = its --help"
cmds=$("$TC" --help | awk '/^commands:/ { c = 1; next } /^$/ { c = 0 } c { print $1 }')
[ "$(echo "$cmds" | wc -l)" -ge 16 ] || die "fewer commands than expected in tunnelctl --help"
for c in $cmds; do
	grep -qx "\.Ss $c" "$PAGE8" || die "man page has no subsection for $c"
	want=$(help_options "$c")
	[ -n "$want" ] || die "$c --help lists no option (the reader broke?)"
	got=$(man_options "$PAGE8" "$c" It)
	[ "$got" = "$want" ] || die "$c: --help lists '$want' but man/tunnelctl.8 (.Ss $c, .It lines) '$got': update the page"
	ok "$c: man page's option list = --help's"
	got=$(man_options "$PAGE8" "$c")
	[ "$got" = "$want" ] || die "$c: man/tunnelctl.8's synopsis or text names '$got', --help '$want'"
	ok "$c: and its synopsis names no other"
done
for s in $(sed -n 's/^\.Ss //p' "$PAGE8"); do
	grep -qx "$s" <<<"$cmds" || die "man page documents '$s', which is no command"
done
ok "every subsection is a command"

step "tunnelctl.8's option lists are what the commands' option tables make (make man)"
"$TC" --man-options | awk -f "$ROOT/scripts/gen-man-options.awk" - "$PAGE8" >"$TMP/tunnelctl.8"
diff -u "$PAGE8" "$TMP/tunnelctl.8" || die "man/tunnelctl.8's option lists are stale: run make man"
ok "tunnelctl.8 matches tunnelctl --man-options"
sed 's/^Warnings make the exit status 1\.$/Warnings do not count./' "$PAGE8" >"$TMP/stale.8"
"$TC" --man-options | awk -f "$ROOT/scripts/gen-man-options.awk" - "$TMP/stale.8" >"$TMP/fixed.8"
! diff -q "$TMP/stale.8" "$TMP/fixed.8" >/dev/null || die "a hand-edited option list is not replaced"
ok "a hand-edited option list is replaced by the table's (the check can fail)"

step "docs/commands.md's option section is what the option tables make (make docs)"
sed '/^## Options of every command$/,$d' "$ROOT/docs/commands.md" >"$TMP/commands.md"
"$TC" --md-options >>"$TMP/commands.md"
diff -u "$ROOT/docs/commands.md" "$TMP/commands.md" || die "docs/commands.md's options are stale: run make docs"
ok "docs/commands.md matches tunnelctl --md-options"
assert_contains "$("$TC" --md-options)" '| `--strict` | warnings make the exit status 1 |' "check --strict's row"

step "a page missing an option is caught"
grep -v '^\.It Fl -strict$' "$PAGE8" >"$TMP/drift.8"
[ "$(man_options "$TMP/drift.8" check It)" != "$(help_options check)" ] || die "drift not detected"
ok "check without --strict differs from check --help"

step "tunnelctl.conf.5 is generated from docs/tunnel-file.md and up to date"
date=$(sed -n 's/^\.Dd //p' "$PAGE5")
awk -v date="$date" -f "$ROOT/scripts/gen-man-conf.awk" "$ROOT/docs/tunnel-file.md" >"$TMP/conf.5"
diff -u "$PAGE5" "$TMP/conf.5" || die "man/tunnelctl.conf.5 is stale: run make man"
ok "tunnelctl.conf.5 matches docs/tunnel-file.md"
rendered=$(mandoc -T utf8 "$PAGE5" | col -b)
# every `key` in the first column of the document's tables
keys=$(awk -F'|' '/^\| `/ { print $2 }' "$ROOT/docs/tunnel-file.md" | grep -o '`[a-z_]*`' | tr -d '`' | sort -u)
[ "$(echo "$keys" | wc -l)" -ge 40 ] || die "fewer keys than expected in docs/tunnel-file.md"
for k in $keys; do
	case $rendered in
	*"$k"*) ;;
	*) die "key $k of docs/tunnel-file.md is not in tunnelctl.conf(5)" ;;
	esac
done
ok "all $(echo "$keys" | wc -l) keys of docs/tunnel-file.md in tunnelctl.conf(5)"
assert_contains "$rendered" "default: 8h (28800)" "phase 1 lifetime's default rendered"
