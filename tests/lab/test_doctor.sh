#!/usr/bin/env bash
# tests/lab/test_doctor.sh - the doctor on logs the lab produces now: real charons, tunnel
# files applied by tunnelctl, one failure injected per scenario (lab/scenarios.sh). Checks the
# class, the tunnel, the exit status and that every evidence line is a real line of its file.
source "$(dirname "$0")/lib.sh"
lab_begin

SCENARIOS=(healthy psk_mismatch dh_group_mismatch nat_t_blocked)

check_evidence() { # JSON file: every evidence line must be that line of its file
	python3 - "$1" <<'PY'
import json, sys
for v in json.load(open(sys.argv[1]))["verdicts"]:
    for e in v["evidence"]:
        with open(e["file"], "rb") as f:
            line = f.read().split(b"\n")[e["line"] - 1].rstrip(b"\r").decode("utf-8", "replace")
        want = "".join("?" if (ord(c) < 0x20 and c != "\t") or ord(c) == 0x7f else c for c in line)[:512]
        if want != e["text"]:
            sys.exit("%s:%d: evidence %r is not the line %r" % (e["file"], e["line"], e["text"], want))
PY
}

for sc in "${SCENARIOS[@]}"; do
	step "scenario $sc in a fresh lab"
	bash "$ROOT/lab/scenarios.sh" "$sc" "$TMP/out" || die "lab/scenarios.sh $sc failed"
	dir=$TMP/out/$sc
	# shellcheck disable=SC1090
	class=$(sed -n 's/^class=//p' "$dir/expected")
	tunnel=$(sed -n 's/^tunnel=//p' "$dir/expected")
	logs=$(sed -n 's/^logs=//p' "$dir/expected" | sed "s|\([ab]\.log\)|$dir/\1|g; s|+| |g")

	step "tunnelctl doctor --json $logs"
	rc=0
	# shellcheck disable=SC2086
	"$TC" doctor --json $logs >"$TMP/$sc.json" || rc=$?
	cat "$TMP/$sc.json"
	got=$(python3 -c 'import json,sys; print(" ".join(v["class"] + "/" + v["tunnel"] for v in json.load(open(sys.argv[1]))["verdicts"]))' "$TMP/$sc.json")
	assert_contains " $got " " $class/$tunnel " "verdict $class for $tunnel"
	if [ "$class" = healthy ]; then
		assert_eq "$rc" 0 "exit status for a healthy tunnel"
	else
		assert_eq "$rc" 1 "exit status when a problem is found"
	fi
	check_evidence "$TMP/$sc.json"
	echo "ok: evidence lines are real lines"
done
