/* cmd_list.c - `tunnelctl list`: the configured phase 1 and phase 2 entries. */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "json.h"
#include "naming.h"
#include "table.h"
#include "tunnel.h"

struct list_args {
	bool json;
};

static const struct opt_def list_opts[] = {
	CMD_OPT_CONFIG,
	{ .name = "json", OPT_FLAG(struct list_args, json),
	  .help = "machine output: [{name, ikeid, description, version, peer, local, enabled, "
		  "phase2: [{name, reqid, description, mode, local, remote, enabled}]}]" },
	{ .name = NULL },
};

const struct opt_spec cmd_list_spec = {
	.verb = "list",
	.usage =
		"usage: tunnelctl list [-c FILE] [--json]\n",
	.about =
		"List the configured tunnels: one row per phase 1 (IKE connection conN) and, under it,\n"
		"one row per phase 2 with the child name charon knows it by (conN_M when split or IKEv1,\n"
		"conN when IKEv2 phase 2 entries merge into one child), description, peer, selectors\n"
		"and whether the entry is enabled. Reads only the tunnel file; charon is not asked.\n",
	.opts = list_opts,
	.tail =
		"exit status: 0 ok, 2 the tunnel file has errors\n",
};

static json_t *p1_json(const struct tunnel_phase1 *p1)
{
	char ike[NAMING_MAX], child[NAMING_MAX];
	json_t *o = json_object(), *a = json_array();

	naming_ike(p1, ike);
	json_object_set_new(o, "name", json_string(ike));
	json_object_set_new(o, "ikeid", json_integer(p1->ikeid));
	json_object_set_new(o, "description", json_str_or_null(p1->description));
	json_object_set_new(o, "version", json_string(tunnel_version_names[p1->version]));
	json_object_set_new(o, "peer", json_str_or_null(p1->remote_gateway));
	json_object_set_new(o, "local", json_str_or_null(p1->local_address ? p1->local_address : p1->interface));
	json_object_set_new(o, "enabled", json_boolean(p1->enabled));
	for (size_t j = 0; j < p1->n_p2; j++) {
		const struct tunnel_phase2 *p2 = &p1->p2[j];
		naming_child(p1, p2, child);
		json_array_append_new(a, json_pack("{s:s, s:I, s:o, s:s, s:o, s:o, s:b}", "name", child,
						   "reqid", (json_int_t)p2->reqid, "description",
						   json_str_or_null(p2->description), "mode",
						   tunnel_mode_names[p2->mode], "local",
						   json_str_or_null(p2->local), "remote",
						   json_str_or_null(p2->remote), "enabled",
						   p2->enabled && p1->enabled));
	}
	json_object_set_new(o, "phase2", a);
	return o;
}

static void p1_rows(struct table *t, const struct tunnel_phase1 *p1)
{
	char ike[NAMING_MAX], child[NAMING_MAX];

	naming_ike(p1, ike);
	table_add_row(t, (const char *[]){ ike, p1->description,
					    tunnel_version_names[p1->version], p1->remote_gateway,
					    "", "", p1->enabled ? "yes" : "no" });
	for (size_t j = 0; j < p1->n_p2; j++) {
		const struct tunnel_phase2 *p2 = &p1->p2[j];
		char *name;
		naming_child(p1, p2, child);
		name = xasprintf("  %s (reqid %u)", child, p2->reqid);
		table_add_row(t, (const char *[]){ name, p2->description,
						    tunnel_mode_names[p2->mode], "", p2->local,
						    p2->remote,
						    p2->enabled && p1->enabled ? "yes" : "no" });
		free(name);
	}
}

int cmd_list(int argc, char **argv, const struct tc_ctx *ctx)
{
	struct tunnel_file *tf;
	struct list_args args = { .json = false };
	int c = cmd_parse(&cmd_list_spec, argc, argv, &args);

	if (c < 0)
		return CMD_PARSE_EXIT(c);
	tf = cmd_load_tunnels(ctx);
	if (!tf)
		return TC_EXIT_USAGE;
	if (args.json) {
		json_t *a = json_array();
		for (size_t i = 0; i < tf->n_p1; i++)
			json_array_append_new(a, p1_json(&tf->p1[i]));
		json_write(stdout, a);
	} else {
		struct table t;
		table_init(&t, (const char *[]){ "NAME", "DESCRIPTION", "MODE", "PEER", "LOCAL",
						  "REMOTE", "ENABLED", NULL });
		for (size_t i = 0; i < tf->n_p1; i++)
			p1_rows(&t, &tf->p1[i]);
		table_print(&t, stdout);
		table_free(&t);
	}
	tunnel_file_free(tf);
	return TC_EXIT_OK;
}
