#!/usr/bin/env bash
# bench/doctor.sh - the doctor on a 200 MB log built from real charon lines, against one
# `grep -E` with the key patterns over the same file; prints both times, the ratio and the
# doctor's peak RSS. Target (SPEC §12): <= 1.5x grep (goal 1x), <= 64 MB.
# Usage: bench/doctor.sh [SIZE_MB]   (run from the repository root; needs ./tunnelctl)
set -eu
cd "$(dirname "$0")/.."
SIZE_MB=${1:-200}
WORK=$(mktemp -d /tmp/doctor-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
LOG=$WORK/charon.log

echo "== building a ${SIZE_MB} MB log from the recorded lab logs (both sides, every scenario)"
# every copy gets fresh IKE SA unique ids and tunnel names, as a long-running charon would
cat tests/data/logs/lab/*/a.log tests/data/logs/lab/*/b.log >"$WORK/template"
awk -v limit=$((SIZE_MB * 1024 * 1024)) '
	{ lines[n++] = $0 }
	END {
		while (size < limit) {
			copy++
			for (i = 0; i < n && size < limit; i++) {
				l = lines[i]
				gsub(/<con1\|/, "<con" (copy % 50 + 1) "|" copy, l)
				gsub(/con1\[/, "con" (copy % 50 + 1) "[", l)
				print l
				size += length(l) + 1
			}
		}
	}' "$WORK/template" >"$LOG"
ls -l "$LOG" | awk '{ printf "   %d bytes, ", $5 }'
wc -l <"$LOG" | awk '{ print $1 " lines" }'

PATTERNS='received proposals|configured proposals|no matching proposal|NO_PROPOSAL_CHOSEN|AUTHENTICATION_FAILED|MAC mismatched|no shared key|giving up after|retransmit [0-9]+ of request|peer not responding|TS_UNACCEPTABLE|unacceptable|no IKE config found|no matching peer config|unable to install|established between|established with SPIs|DELETE for IKE_SA|INVALID_KE'

cat "$LOG" >/dev/null	# warm the page cache for both
RUNS=${RUNS:-3}		# best of RUNS for each, so a busy machine does not decide
now() { date +%s.%N; }
best() { awk 'NR == 1 || $1 < m { m = $1 } END { print m }'; }

echo "== grep -E with the key patterns (best of $RUNS)"
for _ in $(seq "$RUNS"); do
	t0=$(now)
	grep -E -c "$PATTERNS" "$LOG" >"$WORK/grep.out" || { echo "bench/doctor: the log holds no key line" >&2; exit 1; }
	t1=$(now)
	echo "$t1 - $t0" | bc
done | best >"$WORK/grep.t"
echo "   $(cat "$WORK/grep.out") matching lines"

echo "== tunnelctl doctor (best of $RUNS)"
for _ in $(seq "$RUNS"); do
	t0=$(now)
	# 1 is the doctor's "problem found"; 2 (bad input) or a signal is a failed bench
	rc=0
	/usr/bin/time -f "%M" -o "$WORK/rss" ./tunnelctl doctor --json "$LOG" >"$WORK/doctor.json" || rc=$?
	[ "$rc" -le 1 ] || { echo "bench/doctor: tunnelctl doctor exited $rc" >&2; exit 1; }
	t1=$(now)
	echo "$t1 - $t0" | bc
done | best >"$WORK/doctor.t"
verdicts=$(grep -c '"class"' "$WORK/doctor.json" || true)
[ "$verdicts" -gt 0 ] || { echo "bench/doctor: no verdict: nothing measured" >&2; exit 1; }
echo "   $verdicts verdicts"

awk -v g="$(cat "$WORK/grep.t")" -v d="$(cat "$WORK/doctor.t")" -v rss="$(tail -1 "$WORK/rss")" 'BEGIN {
	printf "grep -E: %.2f s   doctor: %.2f s   ratio doctor/grep: %.2fx   doctor peak RSS: %.1f MB\n",
	       g, d, d / g, rss / 1024
	printf "targets: ratio <= 1.5 (%s), RSS <= 64 MB (%s)\n", d / g <= 1.5 ? "met" : "MISSED",
	       rss / 1024 <= 64 ? "met" : "MISSED"
}'
