#!/usr/bin/env bash
# tests/lab/test_scenarios_all.sh - SPEC §12: the doctor names the right class for every
# scenario the lab can produce, produced fresh on this machine (not only the stored corpus):
# lab/scenarios.sh makes each one in a lab of its own, then the doctor reads the logs named in
# its `expected` and must give its class for its tunnel. Three scenarios run at a time (they
# mostly wait on charon's timers). Root only.
# shellcheck source=tests/lab/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

export TUNNELCTL_LAB_DIR=/run/tunnelctl-lab-all-$$
export TUNNELCTL_LAB_PREFIX=tla$$
OUT=$(mktemp -d)
WORKERS=3

cleanup() {
	set +e
	jobs -p | xargs -r kill 2>/dev/null
	wait 2>/dev/null
	"$ROOT/lab/lab.sh" down --all >/dev/null 2>&1
	rm -rf "$OUT" "$TUNNELCTL_LAB_DIR"
}
trap cleanup EXIT

mapfile -t all < <(lab/scenarios.sh --list)
[ "${#all[@]}" -ge 20 ] || die "only ${#all[@]} scenarios listed"

step "produce all ${#all[@]} scenarios, $WORKERS at a time"
for ((w = 0; w < WORKERS; w++)); do
	(
		for ((i = w; i < ${#all[@]}; i += WORKERS)); do
			lab/scenarios.sh "${all[i]}" "$OUT" >"$OUT/${all[i]}.out" 2>&1 ||
				echo "${all[i]}" >>"$OUT/failed"
		done
	) &
done
wait
if [ -s "$OUT/failed" ]; then
	for s in $(cat "$OUT/failed"); do tail -20 "$OUT/$s.out"; done
	die "not produced: $(tr '\n' ' ' <"$OUT/failed")"
fi
echo "ok: all produced"

step "the doctor names each one from the logs of the run"
bad=()
for s in "${all[@]}"; do
	d=$OUT/$s
	class=$(sed -n 's/^class=//p' "$d/expected")
	tunnel=$(sed -n 's/^tunnel=//p' "$d/expected")
	logs=$(sed -n 's/^logs=//p' "$d/expected")
	[ "$class" = "$s" ] || die "$s/expected says class=$class"
	files=()
	IFS=+ read -ra names <<<"$logs"
	for f in "${names[@]}"; do files+=("$d/$f"); done
	# the doctor exits 1 when it finds a problem: that is the point here
	"$TC" doctor --json "${files[@]}" >"$d/doctor.json" 2>/dev/null || true
	got=$(jq -r --arg t "$tunnel" '[.verdicts[] | select(.tunnel == $t)][0].class // "none"' "$d/doctor.json")
	printf '%-26s %s\n' "$s" "$got"
	[ "$got" = "$class" ] || bad+=("$s: got $got")
done
[ ${#bad[@]} -eq 0 ] || die "wrong verdicts: ${bad[*]}"
echo "ok: ${#all[@]} of ${#all[@]} named right"
grep -q "^$TUNNELCTL_LAB_PREFIX-" <<<"$(ip netns list)" && die "a scenario left its namespaces"
echo "test_scenarios_all: ok"
