#!/usr/bin/env bash
# contrib/ansible and contrib/prometheus (docs/fleet.md): every file parses; the role's
# template, rendered as Ansible renders it (tests/pkg/ansible_eval.py), gives a tunnel file
# that `tunnelctl check` accepts with the names the inventory means, and keeps hostile values
# (quotes, #, braces, backslashes) intact; the role's "changed" follows apply --dry-run --json;
# the alert rules and the dashboard use only metrics the daemon documents. The same checks
# against real charons and the real /metrics: tests/lab/test_fleet.sh.
source "$(dirname "$0")/lib.sh"
ROLE=$ROOT/contrib/ansible/roles/tunnelctl
EVAL=$ROOT/tests/pkg/ansible_eval.py
python3 -c 'import yaml, jinja2' 2>/dev/null || die "python3-yaml and python3-jinja2 are needed (scripts/install-deps.sh)"

step "every YAML and JSON file parses"
while IFS= read -r f; do
	python3 -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "$f" || die "$f does not parse"
done < <(find "$ROOT/contrib/ansible" "$ROOT/contrib/prometheus" -name '*.yml')
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$ROOT/contrib/prometheus/grafana-dashboard.json" ||
	die "the dashboard is not JSON"
ok "ansible, rules and dashboard parse"
if command -v ansible-playbook >/dev/null; then
	(cd "$ROOT/contrib/ansible" && ansible-playbook -i inventory.ini --syntax-check playbook.yml) ||
		die "ansible-playbook --syntax-check"
	ok "ansible-playbook --syntax-check"
else
	echo "ansible-playbook not installed: syntax check skipped"
fi

step "the role's template: the example inventory's tunnel file"
python3 "$EVAL" render "$ROLE/templates/tunnels.conf.j2" "$ROOT/contrib/ansible/host_vars/gw1.yml" >"$TMP/gw1.conf"
"$TC" check -c "$TMP/gw1.conf" || die "rendered tunnel file fails check"
names=$("$TC" list --json -c "$TMP/gw1.conf" | python3 -c '
import json, sys
for p1 in json.load(sys.stdin):
    print(p1["name"], p1["description"], " ".join(p2["name"] for p2 in p1["phase2"]))')
assert_eq "$names" $'con1 Branch 1 con1 con1\ncon2 Branch 2 (IKEv1) con2_3' "con1 (merged) and con2_3 as the inventory says"
assert_contains "$("$TC" compile -c "$TMP/gw1.conf")" "esp_proposals" "it compiles"

step "hostile values survive the template"
psk='a "quoted" key # not a comment {brace} back\slash  '
cat >"$TMP/hostile.yml" <<YML
tunnelctl_config:
  tunnels:
    5:
      description: 'Site #5 {east} "main"'
      local_address: 192.0.2.1
      remote_gateway: 198.51.100.5
      psk: '$psk'
      mobike: false
      phase2:
        7:
          local: 10.1.0.0/24
          remote: 10.5.0.0/24
          keepalive: true
YML
python3 "$EVAL" render "$ROLE/templates/tunnels.conf.j2" "$TMP/hostile.yml" >"$TMP/hostile.conf"
"$TC" check -c "$TMP/hostile.conf" || { cat "$TMP/hostile.conf"; die "hostile values break the file"; }
got=$("$TC" compile --show-secrets -c "$TMP/hostile.conf" | sed -n 's/^[[:space:]]*secret = 0s//p' | base64 -d)
assert_eq "$got" "$psk" "the PSK arrives byte for byte"
assert_contains "$("$TC" list -c "$TMP/hostile.conf")" 'Site #5 {east} "main"' "the description too"
assert_contains "$(cat "$TMP/hostile.conf")" "mobike = no" "false is no"
assert_contains "$(cat "$TMP/hostile.conf")" "keepalive = yes" "true is yes"

step "the role reports changed from apply --dry-run --json"
changed() { printf '%s' "$1" >"$TMP/out.json"
	python3 "$EVAL" changed "$ROLE/tasks/main.yml" "compare charon with the tunnel file" tunnelctl_plan "$TMP/out.json"; }
none='{"changes": [], "secrets": [], "applied": false, "dry_run": true, "error": null, "rolled_back": false, "interrupted": false}'
conn='{"changes": [{"op": "change", "name": "con1", "keys": "children.con1.esp_proposals"}], "secrets": [], "applied": false, "dry_run": true, "error": null, "rolled_back": false, "interrupted": false}'
secret='{"changes": [], "secrets": [{"op": "load", "id": "ike-1"}], "applied": false, "dry_run": true, "error": null, "rolled_back": false, "interrupted": false}'
assert_eq "$(changed "$none")" false "no changes: ok"
assert_eq "$(changed "$conn")" true "a changed connection: changed"
assert_eq "$(changed "$secret")" true "a changed secret: changed"

step "alert rules: complete, and only documented metrics"
python3 - "$ROOT/contrib/prometheus/tunnelctl-rules.yml" <<'PY' || die "rules"
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
alerts = [r for g in doc["groups"] for r in g["rules"]]
for r in alerts:
    for k in ("alert", "expr"):
        assert r.get(k), f"rule without {k}: {r}"
    assert r["labels"]["severity"] in ("critical", "warning"), r["alert"]
    assert r["annotations"]["summary"], r["alert"]
names = {r["alert"] for r in alerts}
need = {"TunnelctlTunnelDown", "TunnelctlReinitiationStorm", "TunnelctlDeadTunnel", "TunnelctlCharonDown"}
assert need <= names, f"missing {need - names}"
print("ok:", len(alerts), "alerts:", " ".join(sorted(names)))
PY
# the documented metrics: docs/web.md's table, {a,b} expanded
documented=$(sed -n 's/^| `\(tunnelctl_[a-z_{},]*\)`.*/\1/p' "$ROOT/docs/web.md" |
	while read -r m; do eval "printf '%s\n' $m"; done | sort -u)
[ "$(echo "$documented" | wc -l)" -ge 15 ] || die "docs/web.md's metric table not found"
used=$(grep -oh 'tunnelctl_[a-z_]*' "$ROOT/contrib/prometheus/tunnelctl-rules.yml" \
	"$ROOT/contrib/prometheus/grafana-dashboard.json" | sort -u)
for m in $used; do
	echo "$documented" | grep -qx "$m" || die "$m is used but not in docs/web.md's metrics"
done
ok "$(echo "$used" | wc -l) metrics used, all documented"
if command -v promtool >/dev/null; then
	promtool check rules "$ROOT/contrib/prometheus/tunnelctl-rules.yml" || die "promtool check rules"
	ok "promtool check rules"
else
	echo "promtool not installed: rule syntax checked by structure only"
fi

step "dashboard: every panel queries, through the dashboard's data source"
python3 - "$ROOT/contrib/prometheus/grafana-dashboard.json" <<'PY' || die "dashboard"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["uid"] and d["title"] and d["panels"]
for p in d["panels"]:
    assert p["targets"], p["title"]
    for t in p["targets"]:
        assert t["expr"].strip(), p["title"]
        assert t["datasource"]["uid"] == "${DS_PROMETHEUS}", p["title"]
print("ok:", len(d["panels"]), "panels")
PY
