#!/usr/bin/env bash
# tests/run.sh - run every test and end with "N passed, N failed".
# Usage: tests/run.sh [unit] [fuzz] [fault] [pkg] [lab]   (default: all five)
# Expects `make tunnelctl unit fuzz` to have run (make check does it).
set -u
cd "$(dirname "$0")/.."

suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(unit fuzz fault pkg lab)
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
passed=0
failed=0
failed_names=()
logdir=build/test-logs
mkdir -p "$logdir"

pass() { passed=$((passed + $1)); }
fail() { failed=$((failed + $1)); failed_names+=("$2"); }

run_unit() {
	local t name log p f
	for t in build/asan/test_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		log="$logdir/$name.log"
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "$t" >"$log" 2>&1
		local rc=$?
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
		p=${p:-0}
		f=${f:-0}
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1	# crashed or sanitizer abort before cmocka's summary
		fi
		pass "$p"
		[ "$f" -gt 0 ] && fail "$f" "$name"
		printf '%-40s %s passed, %s failed\n' "unit/$name" "$p" "$f"
		[ "$f" -gt 0 ] && tail -30 "$log"
	done
}

# fuzz_one TARGET: run one target on a copy of its seed corpus; writes ok or FAILED to its
# .result file (targets run side by side, so the summary is printed afterwards, in order)
fuzz_one() {
	local t=$1 name corpus log work
	name=$(basename "$t")
	corpus="tests/fuzz/corpus/${name#fuzz_}"
	log="$logdir/$name.log"
	work=$(mktemp -d)
	[ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null
	if "$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=0 "$work" >"$log" 2>&1; then
		echo ok >"$logdir/$name.result"
	else
		echo FAILED >"$logdir/$name.result"
	fi
	rm -rf "$work"
}

# every target for FUZZ_SECONDS each, FUZZ_JOBS at a time (default: one per CPU)
run_fuzz() {
	local t name jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
	for t in build/fuzz/fuzz_*; do
		[ -x "$t" ] || continue
		rm -f "$logdir/$(basename "$t").result"
		while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
			wait -n
		done
		fuzz_one "$t" &
	done
	wait
	for t in build/fuzz/fuzz_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		if [ "$(cat "$logdir/$name.result" 2>/dev/null)" = ok ]; then
			pass 1
			printf '%-40s ok\n' "fuzz/$name"
		else
			fail 1 "$name"
			printf '%-40s FAILED\n' "fuzz/$name"
			tail -40 "$logdir/$name.log"
		fi
	done
}

# tests/fault/test_*.sh: the fault harness (fake charon, kills, hostile inputs); each script
# exits 0 when every check held. Some need root (namespaces): they skip themselves otherwise.
run_fault() { run_scripts fault; }
# tests/pkg/test_*.sh: systemd unit, completion, man pages (the .deb: make check-deb)
run_pkg() { run_scripts pkg; }

run_scripts() {
	local t name log start rc
	for t in tests/"$1"/test_*.sh; do
		[ -f "$t" ] || continue
		name=$(basename "$t" .sh)
		log="$logdir/$1_$name.log"
		start=$SECONDS
		timeout 600 bash "$t" >"$log" 2>&1
		rc=$?
		if [ "$rc" -eq 0 ]; then
			pass 1
			printf '%-40s ok (%ss)\n' "$1/$name" "$((SECONDS - start))"
		else
			fail 1 "$name"
			printf '%-40s FAILED (%ss)\n' "$1/$name" "$((SECONDS - start))"
			tail -40 "$log"
		fi
	done
}

run_lab() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "lab tests need root: skipped"
		return
	fi
	run_scripts lab
}

for s in "${suites[@]}"; do
	case "$s" in
	unit) run_unit ;;
	fuzz) run_fuzz ;;
	fault) run_fault ;;
	pkg) run_pkg ;;
	lab) run_lab ;;
	*) echo "unknown suite: $s" >&2; exit 2 ;;
	esac
done

[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
