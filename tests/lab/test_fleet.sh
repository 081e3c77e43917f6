#!/usr/bin/env bash
# The fleet recipes (docs/fleet.md) against real charons: `apply --dry-run --json` has the
# documented schema and the ansible role's "changed" follows it (nothing after an apply; a new
# tunnel, a changed child and a changed PSK after an edit), and every metric the Prometheus
# rules and the Grafana dashboard use is in the daemon's real /metrics.
source "$(dirname "$0")/lib.sh"
lab_begin
ROLE=$ROOT/contrib/ansible/roles/tunnelctl
PORT=8714

pair_conf a start fleet >"$TMP/a.conf"
pair_conf b none fleet >"$TMP/b.conf"
step "lab up"
lab up "$TMP/a.conf" "$TMP/b.conf" >/dev/null
wait_ike a con1 || die "con1 did not come up"

# plan FILE: side a's apply --dry-run --json for FILE; schema checked on the way
plan() {
	on a "$TC" -c "$1" apply --dry-run --json >"$TMP/plan.json" || true
	python3 - "$TMP/plan.json" <<'PY' || die "apply --dry-run --json does not match docs/fleet.md's schema"
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) == {"changes", "secrets", "applied", "dry_run", "error", "rolled_back", "interrupted"}, sorted(d)
assert d["dry_run"] is True and d["applied"] is False and d["error"] is None, d
assert d["rolled_back"] is False and isinstance(d["interrupted"], bool), d
for c in d["changes"]:
    assert c["op"] in ("add", "change", "remove") and c["name"].startswith("con"), c
    assert set(c) == {"op", "name", "keys"}, c
    assert isinstance(c["keys"], str) if c["op"] == "change" else c["keys"] is None, c
for s in d["secrets"]:
    assert set(s) == {"op", "id"} and s["op"] in ("load", "remove"), s
PY
	python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))))' "$TMP/plan.json"
}
changed() { python3 "$ROOT/tests/pkg/ansible_eval.py" changed "$ROLE/tasks/main.yml" \
	"compare charon with the tunnel file" tunnelctl_plan "$TMP/plan.json"; }

step "after apply: an empty change set, the role says ok"
plan "$TMP/a.conf" >/dev/null
assert_eq "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["changes"]), len(d["secrets"]))' "$TMP/plan.json")" "0 0" "no changes"
assert_eq "$(changed)" false "role: not changed"

step "an edited file: a new tunnel, a changed phase 2 and PSK; the role says changed"
sed -e 's/fleet-first-secret/fleet-FIRST-secret/' -e 's|remote = 10.2.1.0/24|remote = 10.2.9.0/24|' \
	"$TMP/a.conf" | sed '$d' >"$TMP/a2.conf"
cat >>"$TMP/a2.conf" <<'CONF'
    9 {
        local_address = 192.0.2.1
        remote_gateway = 192.0.2.9
        psk = "fleet-ninth-secret-0123456789"
        phase2 {
            9 {
                local = 10.1.9.0/24
                remote = 10.9.0.0/24
            }
        }
    }
}
CONF
out=$(plan "$TMP/a2.conf")
echo "$out"
assert_contains "$out" '{"op": "add", "name": "con9", "keys": null}' "con9 is added"
assert_contains "$out" '"op": "change", "name": "con1", "keys": "children.con1.remote_ts"' "con1's child selectors changed"
assert_contains "$out" '"id": "ike-1"' "con1's PSK is reloaded"
assert_not_contains "$out" "fleet-FIRST-secret" "the PSK itself is not shown"
assert_eq "$(changed)" true "role: changed"

step "the metrics the rules and the dashboard use are in the real /metrics"
on a sh -c 'exec "$1" daemon --listen 127.0.0.1:'$PORT' >"$2" 2>&1' sh "$TC" "$TMP/daemon.log" &
for _ in $(seq 50); do
	metrics=$(on a curl -s "http://127.0.0.1:$PORT/metrics" || true)
	case $metrics in *tunnelctl_child_up*) break ;; esac
	sleep 0.2
done
lab ping con1 >/dev/null || die "no traffic through con1"
# the event counters appear once their event happened (docs/web.md): make each happen for
# real. b ends con1's child (a's daemon re-initiates it), a rekeys con1's IKE SA and child.
on b sh -c 'swanctl --terminate --child con1 --uri "$TUNNELCTL_VICI"' >/dev/null 2>&1 || true
on a sh -c 'swanctl --rekey --ike con1 --uri "$TUNNELCTL_VICI"' >/dev/null 2>&1 || true
on a sh -c 'swanctl --rekey --child con1 --uri "$TUNNELCTL_VICI"' >/dev/null 2>&1 || true
used=$(grep -oh 'tunnelctl_[a-z_]*' "$ROOT/contrib/prometheus/tunnelctl-rules.yml" \
	"$ROOT/contrib/prometheus/grafana-dashboard.json" | sort -u)
for _ in $(seq 100); do
	metrics=$(on a curl -s "http://127.0.0.1:$PORT/metrics" || true)
	missing=""
	for m in $used; do
		printf '%s\n' "$metrics" | grep -q "^$m[{ ]" || missing+=" $m"
	done
	[ -z "$missing" ] && break
	sleep 0.2
done
[ -z "$missing" ] || { printf '%s\n' "$metrics"; cat "$TMP/daemon.log"; die "not in the daemon's /metrics:$missing"; }
echo "ok: all $(echo "$used" | wc -l) metrics of the rules and the dashboard are exported"
