#!/usr/bin/env bash
# journal_outputs.sh - record what journalctl prints for a charon session: a private
# systemd-journald (own mount namespace, /run on tmpfs) receives lab/psk_mismatch/b.log once
# as charon's syslog lines (identifier "charon", "NN[GRP] <name|id>" in MESSAGE) and once as
# charon-systemd writes it (bare MESSAGE; THREAD, GROUP, LEVEL, IKE_SA_NAME,
# IKE_SA_UNIQUE_ID fields); then journalctl -o short|short-iso|short-precise|cat|json|export of each.
# Usage (as root): journal_outputs.sh OUTDIR   -> OUTDIR/{charon,systemd}.FORMAT
set -eu
OUT=$(realpath "$1")
SRC=$(realpath "$(dirname "$0")/../lab/psk_mismatch/b.log")
TMP=$(mktemp -d /tmp/journal-outputs.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$OUT"
cut -c17- "$SRC" >"$TMP/messages"
python3 - "$SRC" "$TMP/fields" <<'PY'
import re, sys
out = open(sys.argv[2], "w")
for line in open(sys.argv[1], encoding="utf-8", errors="replace").read().splitlines():
    m = re.match(r"(\d+)\[([A-Z]{3})\] (?:<(?:([^|>]+)\|)?(\d+)> )?(.*)", line[16:])
    if m:
        t, g, n, u, msg = m.groups()
        out.write("\x1f".join([t, g, n or "", u or "", msg]) + "\n")
PY
cat >"$TMP/inner.sh" <<EOS
set -e
mount -t tmpfs none /run
mkdir -p /run/systemd/journal /run/log/journal
/lib/systemd/systemd-journald >"$TMP/journald.out" 2>&1 &
pid=\$!
for i in \$(seq 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done
systemd-cat -t charon <"$TMP/messages"
while IFS="\$(printf '\037')" read -r thread group name uid msg; do
	{
		echo "SYSLOG_IDENTIFIER=charon-systemd"
		echo "THREAD=\$thread"
		echo "GROUP=\$group"
		echo "LEVEL=1"
		[ -n "\$name" ] && echo "IKE_SA_NAME=\$name"
		[ -n "\$uid" ] && echo "IKE_SA_UNIQUE_ID=\$uid"
		echo "MESSAGE=\$msg"
	} >"$TMP/entry"
	logger --journald="$TMP/entry"
done <"$TMP/fields"
for i in \$(seq 100); do
	[ "\$(journalctl --directory=/run/log/journal -q -t charon-systemd | wc -l)" -ge "\$(wc -l <"$TMP/fields")" ] && break
	sleep 0.1
done
for o in short short-iso short-precise cat json export; do
	journalctl --directory=/run/log/journal -q --no-pager -t charon -o \$o >"$OUT/charon.\$o"
	journalctl --directory=/run/log/journal -q --no-pager -t charon-systemd -o \$o >"$OUT/systemd.\$o"
done
kill \$pid
wait \$pid || true
EOS
unshare -m --propagation private sh "$TMP/inner.sh"
ls -l "$OUT"
