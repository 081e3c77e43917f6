#!/usr/bin/env bash
# tests/lab/test_doctor_journal.sh - `tunnelctl doctor --journal`: a private systemd-journald
# (own mount namespace, /run on tmpfs) receives a recorded charon session under the syslog
# identifier "charon"; the doctor reads it back from the journal files with libsystemd.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TC=$ROOT/tunnelctl
TMP=$(mktemp -d /tmp/doctor-journal.XXXXXX)
SRC=$ROOT/tests/data/logs/lab/psk_mismatch/b.log

step() { echo "--- $*"; }
die() { echo "FAIL: $*" >&2; exit 1; }
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT

[ -x /lib/systemd/systemd-journald ] || die "needs /lib/systemd/systemd-journald"
# the messages as charon hands them to syslog: without the filelog's time stamp
cut -c17- "$SRC" >"$TMP/messages"

step "journald in a private namespace; the session sent with systemd-cat -t charon"
cat >"$TMP/inner.sh" <<EOS
set -e
mount -t tmpfs none /run
mkdir -p /run/systemd/journal /run/log/journal
/lib/systemd/systemd-journald >"$TMP/journald.out" 2>&1 &
pid=\$!
for i in \$(seq 100); do [ -S /run/systemd/journal/stdout ] && break; sleep 0.1; done
systemd-cat -t charon <"$TMP/messages"
for i in \$(seq 100); do
	journalctl --directory=/run/log/journal -t charon -q --no-pager 2>/dev/null | grep -q 'SIGTERM received' && break
	sleep 0.1
done
kill \$pid
wait \$pid || true
cp -r /run/log/journal "$TMP/journal"
EOS
unshare -m --propagation private sh "$TMP/inner.sh"
dir=$(find "$TMP/journal" -name '*.journal' -printf '%h\n' | head -1)
[ -n "$dir" ] || die "journald wrote no journal file"

step "tunnelctl doctor --journal=$dir --json"
rc=0
"$TC" doctor --journal="$dir" --json >"$TMP/out.json" || rc=$?
cat "$TMP/out.json"
[ "$rc" -eq 1 ] || die "exit status $rc, expected 1 (problem found)"
python3 - "$TMP/out.json" "$TMP/messages" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))["verdicts"]
msgs = open(sys.argv[2]).read().split("\n")
assert [(x["class"], x["tunnel"]) for x in v] == [("psk_mismatch", "con1")], v
for e in v[0]["evidence"]:
    # journal:N is the Nth charon entry, i.e. the Nth message sent
    assert e["text"] == msgs[e["line"] - 1], (e, msgs[e["line"] - 1])
print("ok: psk_mismatch for con1 from the journal, evidence = the entries sent")
PY

step "--since in the future finds nothing"
out=$("$TC" doctor --journal="$dir" --since "$(date -d tomorrow +%Y-%m-%d)")
case "$out" in
*"no IKE activity"*) echo "ok: --since filters entries" ;;
*) die "--since did not filter: $out" ;;
esac
step "--since 1h keeps them"
out=$("$TC" doctor --journal="$dir" --since 1h) || true
case "$out" in
"con1: pre-shared key mismatch [psk_mismatch]"*) ;;
*) die "--since 1h lost the entries: $out" ;;
esac
echo "ok: --since 1h keeps the session"
