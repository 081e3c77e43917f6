#!/usr/bin/env bash
# contrib/bash-completion/tunnelctl: sourced into this shell, _tunnelctl is called with
# COMP_WORDS/COMP_CWORD as bash would, and what it offers is checked: commands, options,
# sub-verbs, tunnel names from the tunnel file the line (or the environment) names, lab names.
source "$(dirname "$0")/lib.sh"
export PATH=$ROOT:$PATH
unset TUNNELCTL_CONF
# shellcheck source=../../contrib/bash-completion/tunnelctl
source "$ROOT/contrib/bash-completion/tunnelctl"

# complete WORD...: the completions for a command line whose last word is being typed,
# sorted, one line
complete_line() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_tunnelctl
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

step "registered for tunnelctl"
assert_contains "$(complete -p tunnelctl)" "_tunnelctl" "complete -F _tunnelctl tunnelctl"

step "commands: every one tunnelctl --help lists, each a real command"
cmds=$(complete_line tunnelctl "")
for c in check compile list apply status up down logs service lab doctor firewall logging \
	import-pfsense keepalive daemon; do
	assert_contains " $cmds " " $c " "command $c offered"
done
for c in $cmds; do
	"$TC" "$c" --help >/dev/null || die "offered '$c' is not a command"
done
ok "every offered command answers --help"
assert_eq "$(complete_line tunnelctl im)" "import-pfsense" "prefix im -> import-pfsense"
assert_eq "$("$TC" not-a-command --help >/dev/null 2>&1; echo $?)" 2 "an unknown command exits 2 (the check above can fail)"

step "options of a command, and the global ones"
assert_eq "$(complete_line tunnelctl apply --d)" "--dry-run" "apply --d -> --dry-run"
assert_eq "$(complete_line tunnelctl doctor --p)" "--peer-config" "doctor --p -> --peer-config"
assert_eq "$(complete_line tunnelctl status --w)" "--watch --wide" "status --w -> --watch --wide"
assert_eq "$(complete_line tunnelctl lab up a.conf b.conf --n)" "--name --no-apply" "lab's per-verb options"
assert_eq "$(complete_line tunnelctl --v)" "--version --vici" "global: --version --vici"
assert_eq "$(complete_line tunnelctl check --st)" "--state-dir --strict" "global options after a command"
for c in $cmds; do
	help="$("$TC" "$c" --help) $("$TC" --help) --help"
	for o in $(complete_line tunnelctl "$c" -); do
		case $help in
		*"$o"*) ;;
		*) die "$c: offered $o is in no --help" ;;
		esac
	done
done
ok "every offered option is in the command's or the global --help"

step "sub-verbs"
assert_eq "$(complete_line tunnelctl service "")" "restart start status stop" "service verbs"
assert_eq "$(complete_line tunnelctl firewall "")" "apply remove show" "firewall verbs"
assert_eq "$(complete_line tunnelctl logging "")" "reset set show" "logging verbs"
assert_eq "$(complete_line tunnelctl service start "")" "" "nothing after a service verb"
assert_eq "$(complete_line tunnelctl logging set i)" "ike= imc= imv=" "logging set: categories from --help"
assert_contains "$(complete_line tunnelctl logging set ike=2 "")" "all=" "logging set: more categories"
labverbs=$(complete_line tunnelctl lab "")
for v in up down status exec apply ping impair stop-charon start-charon logs doctor daemon env list scenario; do
	assert_contains " $labverbs " " $v " "lab verb $v"
done
assert_eq "$(complete_line tunnelctl lab exec "")" "a b" "lab exec: a side"
assert_eq "$(complete_line tunnelctl lab impair b "")" "clear drop-all drop-esp drop-udp list" "impair modes"
assert_eq "$(complete_line tunnelctl lab impair b drop-udp "")" "4500 500 all esp" "drop-udp targets"

step "tunnel names from the tunnel file"
cat >"$TMP/t.conf" <<'CONF'
tunnels {
    7 {
        local_address = 192.0.2.1
        remote_gateway = 198.51.100.7
        psk = "completion test key 0123456789"
        split_connections = yes
        phase2 {
            21 {
                local = 10.1.0.0/24
                remote = 10.7.0.0/24
            }
            22 {
                local = 10.1.0.0/24
                remote = 10.7.1.0/24
            }
        }
    }
    8 {
        local_address = 192.0.2.1
        remote_gateway = 198.51.100.8
        psk = "completion test key 0123456789"
        phase2 {
            30 {
                local = 10.1.0.0/24
                remote = 10.8.0.0/24
            }
        }
    }
}
CONF
"$TC" check -c "$TMP/t.conf" >/dev/null
assert_eq "$(complete_line tunnelctl -c "$TMP/t.conf" up "")" "all con7 con7_21 con7_22 con8" "up: -c FILE's names and all"
assert_eq "$(complete_line tunnelctl status --config "$TMP/t.conf" con7_)" "con7_21 con7_22" "status con7_ (--config after the command)"
assert_eq "$(complete_line tunnelctl --config = "$TMP/t.conf" logs c)" "con7 con7_21 con7_22 con8" "--config=FILE as bash splits it"
assert_eq "$(TUNNELCTL_CONF=$TMP/t.conf complete_line tunnelctl down con8)" "con8" "TUNNELCTL_CONF"
assert_eq "$(complete_line tunnelctl -c "$ROOT/examples/split.conf" status "")" "con6 con6_10 con6_11" "another file, other names"
assert_eq "$(complete_line tunnelctl -c "$TMP/missing.conf" up c)" "" "a missing file: no names, no error"

step "lab names from tunnelctl lab list"
mkdir -p "$TMP/labs/alpha" "$TMP/labs/beta" "$TMP/labs/notalab"
printf 'ns_a=x-alpha-a\nns_b=x-alpha-b\n' >"$TMP/labs/alpha/lab.env"
printf 'ns_a=x-beta-a\nns_b=x-beta-b\n' >"$TMP/labs/beta/lab.env"
assert_eq "$(TUNNELCTL_LAB_DIR=$TMP/labs complete_line tunnelctl lab --name "")" "alpha beta" "lab --name: the labs that exist"

step "file and directory values"
assert_contains "$(complete_line tunnelctl -c "$ROOT/examples/spl")" "examples/split.conf" "-c completes files"
assert_contains "$(complete_line tunnelctl --config = "$ROOT/examples/spl")" "examples/split.conf" "--config=FILE completes files"
assert_eq "$(complete_line tunnelctl --state-dir "$ROOT/examp")" "$ROOT/examples" "--state-dir completes directories"
