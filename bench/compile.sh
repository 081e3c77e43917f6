#!/usr/bin/env bash
# bench/compile.sh - `tunnelctl compile` on generated tunnel files: time per 1,000 tunnels,
# total time and peak RSS at several sizes (to show both grow linearly), each as a ratio
# against a baseline that reads the same input (grep) and writes the same output (cat).
#
# Each phase 1 has 2 phase 2 entries. Reqids must be unique across the file and at most
# 15999 (SPEC §3), so at most 7,999 such tunnels fit in one file; the 10,000-tunnel
# figure is projected linearly from the largest size and marked as such.
# Usage: [TUNNELCTL_BIN=BUILD] bench/compile.sh [TUNNELS...]   (default: 1000 2000 4000 7999)
set -euo pipefail
cd "$(dirname "$0")/.."

TC=${TUNNELCTL_BIN:-./tunnelctl}	# another build to compare with
MAX_TUNNELS=7999	# 2 reqids per tunnel, reqids 1..15999
RUNS=5			# best of RUNS for each timing
WORK=$(mktemp -d /tmp/tc-bench-compile.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

[ -x "$TC" ] || { echo "build ./tunnelctl first (make)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (package time)" >&2; exit 1; }
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 2000 4000 "$MAX_TUNNELS")

# gen N: a tunnel file with N phase 1 entries, 2 phase 2 entries each
gen() {
	awk -v n="$1" 'BEGIN {
		print "tunnels {"
		for (i = 1; i <= n; i++) {
			a = int(i / 256) % 256; b = i % 256
			printf "    %d {\n        description = site %d\n", i, i
			printf "        local_address = 192.0.2.1\n"
			printf "        remote_gateway = 10.%d.%d.1\n", a, b
			printf "        psk = \"bench key for tunnel %d, long enough\"\n", i
			printf "        phase2 {\n"
			printf "            %d {\n                local = 10.1.0.0/24\n", 2 * i - 1
			printf "                remote = 172.%d.%d.0/25\n            }\n", 16 + a % 16, b
			printf "            %d {\n                local = 10.2.0.0/24\n", 2 * i
			printf "                remote = 172.%d.%d.128/25\n            }\n", 16 + a % 16, b
			printf "        }\n    }\n"
		}
		print "}"
	}'
}

# best_ms CMD...: the fastest of RUNS wall-clock runs, in milliseconds
best_ms() {
	local best= t0 t1 ms
	for _ in $(seq "$RUNS"); do
		t0=$EPOCHREALTIME
		"$@" >/dev/null || { echo "bench/compile: failed: $*" >&2; exit 1; }
		t1=$EPOCHREALTIME
		ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) * 1000 }')
		if [ -z "$best" ] || awk -v x="$ms" -v y="$best" 'BEGIN { exit !(x < y) }'; then
			best=$ms
		fi
	done
	echo "$best"
}

# rss_kb CMD...: peak resident set size in KiB
rss_kb() {
	/usr/bin/time -f '%M' -o "$WORK/rss" "$@" >/dev/null || { echo "bench/compile: failed: $*" >&2; exit 1; }
	cat "$WORK/rss"
}

# the baseline reads the input once and writes the output once, as compile must at least do
printf '#!/bin/sh\ngrep -c "{" "$1" >/dev/null\ncat "$2"\n' >"$WORK/baseline"
chmod +x "$WORK/baseline"

printf '%8s %10s %12s %10s %10s %10s %12s\n' tunnels compile_ms ms_per_1000 base_ms ratio rss_kb base_rss_kb
last_n=0
last_ms=0
for n in "${sizes[@]}"; do
	[ "$n" -le "$MAX_TUNNELS" ] || { echo "skip $n: more than $MAX_TUNNELS tunnels do not fit" >&2; continue; }
	f=$WORK/t$n.conf
	gen "$n" >"$f"
	"$TC" compile -c "$f" >"$WORK/t$n.out" || { echo "bench/compile: compile of $n tunnels failed" >&2; exit 1; }
	[ "$(grep -c $'^\tcon[0-9]* {' "$WORK/t$n.out")" -eq "$n" ] ||
		{ echo "bench/compile: the output of $n tunnels does not hold $n connections" >&2; exit 1; }
	ms=$(best_ms "$TC" compile -c "$f")
	base=$(best_ms "$WORK/baseline" "$f" "$WORK/t$n.out")
	rss=$(rss_kb "$TC" compile -c "$f")
	base_rss=$(rss_kb "$WORK/baseline" "$f" "$WORK/t$n.out")
	awk -v n="$n" -v ms="$ms" -v base="$base" -v rss="$rss" -v brss="$base_rss" 'BEGIN {
		printf "%8d %10.1f %12.2f %10.1f %9.1fx %10d %12d\n", n, ms, ms * 1000 / n, base, ms / base, rss, brss
	}'
	last_n=$n
	last_ms=$ms
	last_rss=$rss
done
[ "$last_n" -gt 0 ] || { echo "bench/compile: no size measured" >&2; exit 1; }
awk -v n="$last_n" -v ms="$last_ms" -v rss="$last_rss" 'BEGIN {
	printf "10000 tunnels, projected linearly from %d: %.0f ms\n", n, ms * 10000 / n
	if (n == 7999)
		printf "targets at 7999 (issue 19): <= 160 ms (%.0f), <= 24 MiB (%.1f)\n", ms, rss / 1024
}'
