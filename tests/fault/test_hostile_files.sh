#!/usr/bin/env bash
# test_hostile_files.sh - hostile files (issue 16 items 5-7): NUL bytes in values, an include
# bomb, millions of bad lines, FIFOs where files are expected, an endless log line, an XML
# element with 100k attributes. Each must end quickly with exit 2 and a located error, in
# bounded memory (ulimit -v), never hang or succeed. No root needed.
set -eu
cd "$(dirname "$0")/../.."
TC=$PWD/tunnelctl
work=$(mktemp -d /tmp/tc-hostile.XXXXXX)
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
MEM_KB=1000000	# 1 GB of address space: the old include bomb needed 6 GB

step() { echo "== $*"; }
fail() { echo "FAIL: $*"; exit 1; }

# expect RC PATTERN -- CMD...: run with a 10 s timeout and the memory cap; check the exit
# status and that stderr has PATTERN.
expect() {
	local want=$1 pat=$2 rc=0
	shift 3
	( ulimit -v $MEM_KB; timeout 10 "$@" ) >"$work/out" 2>"$work/err" || rc=$?
	[ "$rc" -eq 124 ] && fail "$* hung (timeout)"
	[ "$rc" -eq "$want" ] || { cat "$work/err"; fail "$* exited $rc, want $want"; }
	grep -q -- "$pat" "$work/err" || { cat "$work/err"; fail "$* stderr lacks '$pat'"; }
	echo "ok: exit $rc, $(grep -m1 -- "$pat" "$work/err")"
}

base=examples/ikev2-merged.conf
grep -q 'psk = "correct horse battery staple"' $base || fail "example changed: no PSK line"

step "NUL inside a quoted PSK: an error at the NUL, not a PSK cut to 10 bytes"
sed 's/psk = "correct horse battery staple"/psk = "correct ho\x00rse battery staple"/' $base >"$work/nulq.conf"
expect 2 "nulq.conf:10:26: NUL byte in value" -- "$TC" check -c "$work/nulq.conf"
step "NUL inside a bare value"
sed 's/psk = "correct horse battery staple"/psk = correct\x00horse/' $base >"$work/nulb.conf"
expect 2 "nulb.conf:10:22: NUL byte in value" -- "$TC" check -c "$work/nulb.conf"

step "include bomb: one 1 MB file included 200 times"
python3 - "$work" <<'PY'
import sys
d = sys.argv[1]
open(d + '/big.conf', 'w').write('junk {\n' + ('k = ' + 'v' * 1000 + '\n') * 1040 + '}\n')
open(d + '/bomb.conf', 'w').write('include big.conf\n' * 200)
open(d + '/errs.conf', 'w').write('x\n' * 8000000)
PY
expect 2 "bomb.conf:17:1: include .*big.conf: included files exceed 16777216 bytes" -- "$TC" check -c "$work/bomb.conf"
[ "$(grep -c exceed "$work/err")" -eq 1 ] || fail "the bound is reported more than once"

step "a file of 1.1 million keys: the tree stops at CONF_MAX_NODES"
python3 -c "
import sys; sys.stdout.write('junk {\n' + 'k = v\n' * 1100000 + '}\n')" >"$work/keys.conf"
expect 2 "keys.conf:1000001:1: more than 1000000 keys and sections" -- "$TC" check -c "$work/keys.conf"

step "8 million bad lines: the list is capped, the count is not"
expect 2 "errs.conf: 8000000 errors" -- "$TC" check -c "$work/errs.conf"
grep -q "and 7999000 more errors or warnings, not listed" "$work/err" || fail "no 'not listed' line"
[ "$(wc -l <"$work/err")" -le 1002 ] || fail "more than 1000 errors listed"

step "FIFOs as the tunnel file, an include, a psk_file"
mkfifo "$work/main.fifo" "$work/inc.fifo" "$work/psk.fifo"
chmod 600 "$work/psk.fifo"
expect 2 "main.fifo: cannot read: not a regular file" -- "$TC" check -c "$work/main.fifo"
printf 'include inc.fifo\n' >"$work/incfifo.conf"
expect 2 "incfifo.conf:1:1: include .*inc.fifo: not a regular file" -- "$TC" check -c "$work/incfifo.conf"
sed "s|psk = \"correct horse battery staple\"|psk_file = $work/psk.fifo|" $base >"$work/pskfifo.conf"
expect 2 "pskfifo.conf:10:20: psk_file .* is not a regular file" -- "$TC" check -c "$work/pskfifo.conf"
step "a FIFO as config.xml"
mkfifo "$work/config.xml"
expect 2 "not a regular file" -- "$TC" import-pfsense "$work/config.xml"

step "daemon --token-file: a symlink and a FIFO are usage errors (exit 2), never waited on"
(umask 077; echo "s3cr3t-token-0123456789abcdef" >"$work/token")
ln -s "$work/token" "$work/token.link"
mkfifo -m 600 "$work/token.fifo"
mkdir -m 700 "$work/state"
for t in token.link token.fifo; do
	expect 2 "token file must be a regular file with mode 0600" -- "$TC" daemon --listen 127.0.0.1:0 \
		--token-file "$work/$t" -c $base --state-dir "$work/state" --vici "unix://$work/no.vici"
done

step "logs --file: a 100 MB line is refused, not grown into"
python3 -c "
import sys; sys.stdout.write('Nov 29 15:00:00 00[IKE] <con1|1> x' + 'a' * (100 * 1024 * 1024) + '\n')" >"$work/huge.log"
expect 2 "huge.log:1:1: line longer than 65536 bytes" -- "$TC" logs --file "$work/huge.log"
printf 'Nov 29 15:00:00 00[IKE] <con1|1> ok\n' >"$work/ok.log"
"$TC" logs --file "$work/ok.log" | grep -q "ok" || fail "a normal log line is not printed"

step "config.xml: one element with 100,000 attributes"
python3 - "$work" <<'PY'
import sys
attrs = ' '.join('a%d="1"' % i for i in range(100000))
open(sys.argv[1] + '/attrs.xml', 'w').write('<?xml version="1.0"?>\n<pfsense><ipsec ' + attrs + '></ipsec></pfsense>\n')
PY
expect 2 "attrs.xml:2:1: an element with more than 64 attributes" -- "$TC" import-pfsense "$work/attrs.xml"

echo "all hostile-file checks held"
