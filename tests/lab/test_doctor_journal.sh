#!/usr/bin/env bash
# tests/lab/test_doctor_journal.sh - `tunnelctl doctor --journal`: a private systemd-journald
# (own mount namespace, /run on tmpfs) receives recorded charon sessions, once as charon's
# syslog lines (identifier "charon", "NN[GRP] <name|id>" in the message) and once as
# charon-systemd writes them (bare message; thread, group and IKE SA in journal fields, two
# sessions interleaved); the doctor reads each back from the journal files with libsystemd.
source "$(dirname "$0")/lib.sh"	# ROOT, TC, step, die (no lab needed here)
TMP=$(mktemp -d /tmp/doctor-journal.XXXXXX)
SRC=$ROOT/tests/data/logs/lab/two_tunnels/b.log
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT

[ -x /lib/systemd/systemd-journald ] || die "needs /lib/systemd/systemd-journald"
# the messages as charon hands them to syslog: without the filelog's time stamp
cut -c17- "$SRC" >"$TMP/messages"
# for charon-systemd's fields: three sessions interleaved entry by entry (psk_mismatch's con1,
# healthy's con1 renamed con7 with unique ids + 100, ike_proposal_mismatch's con1 renamed con9
# with + 200), so only the fields tell them apart
python3 - "$ROOT/tests/data/logs/lab" "$TMP/fields" <<'PY'
import re, sys
lab, out = sys.argv[1], sys.argv[2]
def session(path, rename=None, add=0):
    res = []
    for line in open(path, encoding="utf-8", errors="replace").read().splitlines():
        m = re.match(r"(\d+)\[([A-Z]{3})\] (?:<(?:([^|>]+)\|)?(\d+)> )?(.*)", line[16:])
        if not m:
            continue
        thread, group, name, uid, msg = m.groups()
        if rename:
            name = name and rename
            msg = msg.replace("con1", rename)
            msg = re.sub(r"\[(\d+)\]", lambda x: "[%d]" % (int(x.group(1)) + add), msg) if "IKE_SA" in msg else msg
        res.append((thread, group, name, str(int(uid) + add) if uid else None, msg))
    return res
a = session(lab + "/psk_mismatch/b.log")
b = session(lab + "/healthy/b.log", "con7", 100)
# a responder whose SA is never named (IKE proposals refused before any peer config): only
# charon's indented config dump (" conn con9:", "  remote_addrs = ...") names its tunnel
c = session(lab + "/ike_proposal_mismatch/b.log", "con9", 200)
with open(out, "w") as f:
    for i in range(max(len(a), len(b), len(c))):
        for s in (a, b, c):
            if i < len(s):
                t, g, n, u, m = s[i]
                # unit separator: not IFS white space, so empty fields stay in place
                f.write("\x1f".join([t, g, n or "", u or "", m]) + "\n")
PY
cut -d "$(printf '\037')" -f5 "$TMP/fields" >"$TMP/fields.messages"

# journal MODE OUTDIR: run a private journald, send the session (MODE syslog|fields), keep
# its journal files in OUTDIR
journal() {
	cat >"$TMP/inner.sh" <<EOS
set -e
mount -t tmpfs none /run
mkdir -p /run/systemd/journal /run/log/journal
/lib/systemd/systemd-journald >"$TMP/journald.out" 2>&1 &
pid=\$!
for i in \$(seq 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done
if [ "$1" = syslog ]; then
	systemd-cat -t charon <"$TMP/messages"
else
	# one entry per line: thread, group, SA name, unique id, message as journal fields
	while IFS="\$(printf '\037')" read -r thread group name uid msg; do
		{
			echo "SYSLOG_IDENTIFIER=charon-systemd"
			echo "THREAD=\$thread"
			echo "GROUP=\$group"
			[ -n "\$name" ] && echo "IKE_SA_NAME=\$name"
			[ -n "\$uid" ] && echo "IKE_SA_UNIQUE_ID=\$uid"
			echo "MESSAGE=\$msg"
		} >"$TMP/entry"
		logger --journald="$TMP/entry"
	done <"$TMP/fields"
fi
for i in \$(seq 100); do
	journalctl --directory=/run/log/journal -q --no-pager 2>/dev/null | grep -q 'SIGTERM received' && break
	sleep 0.1
done
kill \$pid
wait \$pid || true
mkdir -p "$2"
cp -r /run/log/journal/. "$2/"
EOS
	unshare -m --propagation private sh "$TMP/inner.sh"
	find "$2" -name '*.journal' -printf '%h\n' | head -1
}

check() { # JSON file, sent messages, expected "class/tunnel ..." in order
	python3 - "$1" "$2" "$3" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))["verdicts"]
msgs = open(sys.argv[2]).read().split("\n")
got = " ".join(x["class"] + "/" + x["tunnel"] for x in v)
assert got == sys.argv[3], (got, sys.argv[3])
psk = [x for x in v if x["class"] == "psk_mismatch"][0]
assert any("shared key" in e["text"] for e in psk["evidence"]), psk
for x in v:
    for e in x["evidence"]:
        assert e["text"] == msgs[e["line"] - 1], (e, msgs[e["line"] - 1])
print("ok: %s from the journal, evidence = the entries sent" % got)
PY
}

for mode in syslog fields; do
	step "journald in a private namespace, session sent as $mode entries"
	dir=$(journal "$mode" "$TMP/journal-$mode")
	[ -n "$dir" ] || die "journald wrote no journal file"
	step "tunnelctl doctor --journal=$dir --json"
	rc=0
	"$TC" doctor --journal="$dir" --json >"$TMP/out.json" || rc=$?
	cat "$TMP/out.json"
	[ "$rc" -eq 1 ] || die "exit status $rc, expected 1 (problem found)"
	if [ "$mode" = syslog ]; then
		check "$TMP/out.json" "$TMP/messages" "psk_mismatch/con2 healthy/con1"
	else
		# con9 is named from the config dump: its indentation survives the journal
		check "$TMP/out.json" "$TMP/fields.messages" "ike_proposal_mismatch/con9 psk_mismatch/con1 healthy/con7"
	fi
done

step "--since in the future finds nothing"
out=$("$TC" doctor --journal="$dir" --since "$(date -d tomorrow +%Y-%m-%d)")
case "$out" in
*"no IKE activity"*) echo "ok: --since filters entries" ;;
*) die "--since did not filter: $out" ;;
esac
step "--since 1h keeps them"
out=$("$TC" doctor --journal="$dir" --since 1h) || true
case "$out" in
*"con1: pre-shared key mismatch [psk_mismatch]"*) echo "ok: --since 1h keeps the session" ;;
*) die "--since 1h lost the entries: $out" ;;
esac
