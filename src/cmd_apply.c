/* cmd_apply.c - `tunnelctl apply`: check, compile, load what changed into charon, roll back
 * on any failure. docs/commands.md (apply). */
#include <stdio.h>
#include <stdlib.h>

#include "apply.h"
#include "cmd.h"
#include "json.h"
#include "tunnel.h"

struct apply_args {
	struct apply_opts ao;
	bool json;
};

static const struct opt_def apply_opts_table[] = {
	CMD_OPT_CONFIG,
	{ .name = "dry-run", OPT_FLAG(struct apply_args, ao.dry_run),
	  .help = "print the change set only; write and load nothing" },
	{ .name = "no-firewall", OPT_FLAG(struct apply_args, ao.no_firewall),
	  .help = "leave the nftables table alone",
	  .more = "(--out-dir and --state-dir do not move it: it is the host's), as staging and tests want" },
	{ .name = "json", OPT_FLAG(struct apply_args, json),
	  .help = "print {\"changes\": [{\"op\", \"name\", \"keys\"}], \"secrets\", \"applied\", \"error\"}" },
	CMD_OPT_VICI,
	CMD_OPT_OUT_DIR,
	CMD_OPT_STATE_DIR,
	{ .name = NULL },
};

const struct opt_spec cmd_apply_spec = {
	.verb = "apply",
	.usage =
		"usage: tunnelctl apply [-c FILE] [--dry-run] [--no-firewall] [--json]\n",
	.about =
		"Make charon run the tunnel file: check it, compile it, compare the result with what\n"
		"charon has loaded (VICI get-conns) and with the previously generated files, then write\n"
		"/etc/swanctl/conf.d/tunnelctl.conf and /etc/strongswan.d/tunnelctl.conf (not\n"
		"strongswan.d/charon/, which Debian includes inside charon.plugins)\n"
		"atomically (mode 0600), load the secrets, load-conn every new or changed connection,\n"
		"unload removed or disabled ones and terminate their SAs, and reload charon's logging\n"
		"settings. Connections that did not change are not touched: their SAs stay up.\n"
		"\n"
		"The change set is printed as\n"
		"  + con3                      a new connection\n"
		"  ~ con1: children.con1.esp_proposals   a changed one, with the keys that changed\n"
		"  - con4                      a removed or disabled one (its SAs are terminated)\n"
		"\n"
		"If any step fails, the previous files are restored and the previous connections and\n"
		"secrets are loaded again; apply says so and exits 1. A tunnel file with errors changes\n"
		"nothing (exit 2). Phase 1 entries with start_action = start that have no IKE SA are\n"
		"initiated (charon itself only does that when it starts), unless marked down with\n"
		"`tunnelctl down`.\n"
		"\n"
		"An apply that was killed between writing the files and charon accepting them leaves a\n"
		"mark in the state directory; the next apply then loads every connection and secret again\n"
		"(\"an earlier apply did not finish\"), so any apply after any interruption brings charon\n"
		"to the file. Shared keys charon holds under tunnelctl's names (ike-N) that the file no\n"
		"longer has are unloaded.\n",
	.opts = apply_opts_table,
	.tail =
		"exit status: 0 applied (or nothing to do), 1 apply failed and was rolled back, or charon\n"
		"is not reachable, 2 the tunnel file has errors\n"
		"\n"
		"examples:\n"
		"  tunnelctl apply --dry-run\n"
		"  tunnelctl apply -c /etc/tunnelctl/tunnels.conf\n",
};

static json_t *plan_json(const struct apply_plan *plan)
{
	json_t *o = json_object(), *ch = json_array(), *sec = json_array();

	for (size_t i = 0; i < plan->n; i++) {
		const struct apply_change *c = &plan->v[i];
		static const char *const ops[] = { "add", "change", "remove" };
		json_array_append_new(ch, json_pack("{s:s, s:s, s:s?}", "op", ops[c->kind], "name", c->name,
						    "keys", c->kind == APPLY_CHANGE ? c->keys : NULL));
	}
	for (size_t i = 0; i < plan->n_secrets_changed; i++)
		json_array_append_new(sec, json_pack("{s:s, s:s}", "op", "load", "id", plan->secrets_changed[i]));
	for (size_t i = 0; i < plan->n_secrets_removed; i++)
		json_array_append_new(sec, json_pack("{s:s, s:s}", "op", "remove", "id", plan->secrets_removed[i]));
	json_object_set_new(o, "changes", ch);
	json_object_set_new(o, "secrets", sec);
	return o;
}

static void plan_print(const struct apply_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++) {
		const struct apply_change *c = &plan->v[i];
		if (c->kind == APPLY_CHANGE)
			printf("~ %s: %s\n", c->name, *c->keys ? c->keys : "replaced (charon had another version)");
		else
			printf("%s %s\n", apply_kind_names[c->kind], c->name);
	}
	for (size_t i = 0; i < plan->n_secrets_changed; i++)
		printf("~ secret %s\n", plan->secrets_changed[i]);
	for (size_t i = 0; i < plan->n_secrets_removed; i++)
		printf("- secret %s\n", plan->secrets_removed[i]);
	if (!plan->n && !plan->n_secrets_changed && !plan->n_secrets_removed)
		printf("no changes to connections\n");
}

int cmd_apply(int argc, char **argv, const struct tc_ctx *ctx)
{
	struct apply_args a = { .json = false };
	const struct apply_opts *ao = &a.ao;
	bool json;
	struct apply_result res;
	struct tunnel_file *tf;
	int c, rc;

	c = cmd_parse(&cmd_apply_spec, argc, argv, &a);
	if (c < 0)
		return CMD_PARSE_EXIT(c);
	json = a.json;
	tf = cmd_load_tunnels(ctx);
	if (!tf)
		return TC_EXIT_USAGE;

	rc = apply_run(ctx, tf, ao, &res) == 0 ? TC_EXIT_OK : TC_EXIT_FAIL;
	if (json) {
		json_t *o = res.planned ? plan_json(&res.plan) : json_object();
		json_object_set_new(o, "applied", json_boolean(res.applied));
		json_object_set_new(o, "dry_run", json_boolean(ao->dry_run));
		json_object_set_new(o, "error", res.error ? json_string(res.error) : json_null());
		json_object_set_new(o, "rolled_back", json_boolean(res.rolled_back));
		json_object_set_new(o, "interrupted", json_boolean(res.interrupted));
		json_write(stdout, o);
	} else if (res.planned) {
		if (res.interrupted)
			printf("an earlier apply did not finish: loading every connection and secret again\n");
		plan_print(&res.plan);
		fflush(stdout);	/* the plan comes before any error about carrying it out */
	}
	if (res.warning)
		fprintf(stderr, "tunnelctl apply: warning: %s\n", res.warning);
	if (res.error) {
		cmd_err("apply", "%s", res.error);
		if (res.rollback_error)
			fprintf(stderr, "tunnelctl apply: rollback was incomplete: %s\n", res.rollback_error);
		if (res.rolled_back && res.interrupted)
			fprintf(stderr, "tunnelctl apply: the previous files were restored, but an earlier apply was interrupted: charon may hold parts of both; apply again once the error is fixed\n");
		else if (res.rolled_back)
			fprintf(stderr, "tunnelctl apply: nothing changed: the previous files were restored and the previous connections and secrets loaded again\n");
	} else if (!ao->dry_run && !json) {
		printf("applied: %zu connection change%s\n", res.plan.n, res.plan.n == 1 ? "" : "s");
	}
	apply_result_free(&res);
	tunnel_file_free(tf);
	return rc;
}
