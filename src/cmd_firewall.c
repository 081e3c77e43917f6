/* cmd_firewall.c - `tunnelctl firewall show|apply|remove`: our nftables table. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "json.h"
#include "nft.h"
#include "state.h"
#include "tunnel.h"

struct firewall_args {
	bool json, dry_run;
};

static const struct opt_def firewall_opts[] = {
	CMD_OPT_CONFIG,
	{ .name = "dry-run", OPT_FLAG(struct firewall_args, dry_run),
	  .help = "apply: print the nftables transaction instead of running it" },
	{ .name = "json", OPT_FLAG(struct firewall_args, json), .help = "machine output:",
	  .more = "show: {present, in_sync, rules: [{name, match, packets, bytes}], drops: [{family, table, "
		  "chain, priority, policy_drop, accepts_mark, iptables, before_us, blocks}]}; "
		  "apply/remove: {action, rules}" },
	{ .name = NULL },
};

const struct opt_spec cmd_firewall_spec = {
	.operands = "one of show, apply, remove",
	.min_operands = 1,
	.max_operands = 1,
	.verb = "firewall",
	.usage =
		"usage: tunnelctl firewall show [--json]\n"
		"       tunnelctl firewall apply [-c FILE] [--dry-run] [--json]\n"
		"       tunnelctl firewall remove [--json]\n",
	.about =
		"Manage the nftables table `inet tunnelctl`, which accepts IKE (UDP 500 and 4500, or the\n"
		"configured ike_port/natt_port) and ESP/AH from each enabled phase 1's peer to the local\n"
		"address. Every rule is commented with its tunnel name (conN), counts packets and sets\n"
		"the conntrack mark bit 0x00100000. The chain hooks input at priority -10, before the\n"
		"usual filter chains (priority 0). tunnelctl never changes any other table.\n"
		"\n"
		"In nftables an accept in one table does not stop another table's chain from dropping\n"
		"the packet. If your own firewall drops by default, let it accept what tunnelctl marks:\n"
		"  nft insert rule inet filter input ct mark and 0x00100000 == 0x00100000 accept\n"
		"`show` lists every other input chain that would drop the traffic.\n"
		"\n"
		"commands:\n"
		"  show     print our table with its counters, then warn when it does not match the\n"
		"           tunnel file (if one can be read), and about other tables' input chains\n"
		"           that drop (policy drop or an unconditional drop) and do not accept our mark\n"
		"  apply    replace the table atomically with the rules for the tunnel file; with\n"
		"           global.firewall = off, remove it. Peers given as host names get no rules\n"
		"           (a warning says so); 0.0.0.0 peers get the UDP ports from any source\n"
		"  remove   delete the table (nothing happens if it does not exist)\n",
	.opts = firewall_opts,
	.tail =
		"exit status: 0 ok; 1 nftables refused the change, or show found a chain that drops\n"
		"our traffic or a table out of step with the tunnel file; 2 usage error or errors in\n"
		"the tunnel file\n"
		"\n"
		"examples:\n"
		"  tunnelctl firewall apply\n"
		"  tunnelctl firewall apply --dry-run -c ./tunnels.conf\n"
		"  tunnelctl firewall show --json\n",
};

static void print_drop(const struct nft_drop_chain *d)
{
	printf("warning: table %s %s chain %s (hook input, priority %ld) %s: it drops the IKE/ESP "
	       "traffic tunnelctl accepts",
	       d->family, d->table, d->chain, d->priority,
	       d->policy_drop ? "has policy drop" : "has an unconditional drop rule");
	if (d->iptables)
		printf(" (iptables-nft rules, not inspected)");
	if (d->before_us) {
		/* our mark is set at priority NFT_PRIORITY: a chain before it has to match the traffic itself */
		printf(";\n  it runs before our chain (priority %d), so it must accept the traffic itself:\n"
		       "  nft insert rule %s %s %s udp dport { 500, 4500 } accept; nft insert rule %s %s %s meta l4proto { esp, ah } accept\n",
		       NFT_PRIORITY, d->family, d->table, d->chain, d->family, d->table, d->chain);
		return;
	}
	printf(";\n  let it accept our mark: nft insert rule %s %s %s ct mark and 0x%08x == 0x%08x accept\n",
	       d->family, d->table, d->chain, NFT_CT_MARK, NFT_CT_MARK);
	if (d->iptables)
		printf("  or with iptables: %s -I %s -m connmark --mark 0x%x/0x%x -j ACCEPT\n",
		       str_eq(d->family, "ip6") ? "ip6tables" : "iptables", d->chain, NFT_CT_MARK, NFT_CT_MARK);
}

/* Compare the table with what the tunnel file asks for: the same rules' names in the same
 * order (apply writes them in file order). 1 in sync, 0 not, -1 no readable tunnel file. */
static int table_in_sync(const struct tc_ctx *ctx, const struct nft_analysis *a)
{
	static const char tag[] = " accept comment \"";
	struct tc_errors errs = { 0 };
	struct tunnel_file *tf = tunnel_load(ctx->conf, &errs);
	struct buf want;
	const char *p;
	size_t i = 0;
	int rc = 1;

	tc_errors_free(&errs);
	if (!tf)
		return -1;
	buf_init(&want);
	nft_build_ruleset(&want, tf, &errs);
	tc_errors_free(&errs);
	if (tf->global.firewall != TUNNEL_FIREWALL_OFF && !a->have_table && strstr(want.data, tag))
		rc = 0;
	if (tf->global.firewall == TUNNEL_FIREWALL_OFF && a->have_table)
		rc = 0;
	for (p = want.data; rc == 1 && (p = strstr(p, tag)); p += sizeof(tag) - 1, i++) {
		const char *name = p + sizeof(tag) - 1;
		size_t n = strcspn(name, "\"");
		if (i >= a->n_rules || strlen(a->rules[i].name) != n || strncmp(a->rules[i].name, name, n) != 0)
			rc = 0;
	}
	if (rc == 1 && tf->global.firewall != TUNNEL_FIREWALL_OFF && i != a->n_rules)
		rc = 0;
	buf_free(&want);
	tunnel_file_free(tf);
	return rc;
}

static int do_show(const struct tc_ctx *ctx, bool json)
{
	struct buf text, js, err;
	struct nft_analysis a;
	int rc, exit_code = TC_EXIT_OK, sync;

	buf_init(&text);
	buf_init(&js);
	buf_init(&err);
	memset(&a, 0, sizeof(a));
	rc = nft_list("ruleset", true, &js, &err);
	if (rc == 0)
		rc = nft_analyse(js.data, js.len, &a);
	if (rc == 0 && a.have_table && !json)
		rc = nft_list(NULL, false, &text, &err);
	if (rc) {
		cmd_err("firewall", "cannot read the ruleset: %s", err.len ? err.data : strerror(-rc));
		exit_code = TC_EXIT_FAIL;
		goto out;
	}
	for (size_t i = 0; i < a.n_drops; i++)
		if (nft_drop_blocks(&a.drops[i]))
			exit_code = TC_EXIT_FAIL;
	sync = table_in_sync(ctx, &a);
	if (sync == 0)
		exit_code = TC_EXIT_FAIL;
	if (json) {
		json_t *o = json_object(), *rules = json_array(), *drops = json_array();
		for (size_t i = 0; i < a.n_rules; i++)
			json_array_append_new(rules, json_pack("{s:s, s:s, s:I, s:I}", "name", a.rules[i].name,
							       "match", a.rules[i].text, "packets",
							       (json_int_t)a.rules[i].packets, "bytes",
							       (json_int_t)a.rules[i].bytes));
		for (size_t i = 0; i < a.n_drops; i++) {
			const struct nft_drop_chain *d = &a.drops[i];
			json_array_append_new(drops, json_pack("{s:s, s:s, s:s, s:I, s:b, s:b, s:b, s:b, s:b}",
							       "family", d->family, "table", d->table,
							       "chain", d->chain, "priority",
							       (json_int_t)d->priority, "policy_drop",
							       d->policy_drop, "accepts_mark", d->accepts_mark,
							       "iptables", d->iptables, "before_us", d->before_us, "blocks", nft_drop_blocks(d)));
		}
		json_object_set_new(o, "present", json_boolean(a.have_table));
		json_object_set_new(o, "in_sync", sync < 0 ? json_null() : json_boolean(sync));
		json_object_set_new(o, "rules", rules);
		json_object_set_new(o, "drops", drops);
		json_write(stdout, o);
		goto out;
	}
	if (a.have_table)
		fputs(text.data, stdout);
	else
		puts("table inet tunnelctl: not present (run `tunnelctl firewall apply`)");
	if (sync == 0)
		printf("warning: the table does not match %s; run `tunnelctl firewall apply`\n", ctx->conf);
	for (size_t i = 0; i < a.n_drops; i++)
		if (nft_drop_blocks(&a.drops[i]))
			print_drop(&a.drops[i]);
out:
	nft_analysis_free(&a);
	buf_free(&text);
	buf_free(&js);
	buf_free(&err);
	return exit_code;
}

static size_t count_rules(const char *text)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, " accept comment ")); p++)
		n++;
	return n;
}

static int do_change(const char *verb, const struct tc_ctx *ctx, bool dry_run, bool json)
{
	struct tc_errors notes = { 0 };
	struct tunnel_file *tf = NULL;
	struct buf text, err;
	const char *action = "removed";
	int exit_code = TC_EXIT_OK;

	buf_init(&text);
	buf_init(&err);
	if (strcmp(verb, "apply") == 0) {
		tf = cmd_load_tunnels(ctx);
		if (!tf) {
			exit_code = TC_EXIT_USAGE;
			goto out;
		}
		nft_build_ruleset(&text, tf, &notes);
		if (tf->global.firewall != TUNNEL_FIREWALL_OFF)
			action = "applied";
		cmd_print_errors(&notes);
	} else {
		nft_build_remove(&text);
	}
	if (dry_run) {
		fputs(text.data, stdout);
		goto out;
	}
	if (nft_run(text.data, &err)) {
		cmd_err("firewall", "nftables refused the change, nothing changed:\n%s", err.data);
		exit_code = TC_EXIT_FAIL;
		goto out;
	}
	/* what apply compares with to leave an unchanged table alone */
	if (tf) {
		char hash[65];
		sha256_hex(text.data, text.len, hash);
		state_firewall_hash_save(ctx->state_dir, hash);
	} else {
		state_firewall_hash_clear(ctx->state_dir);
	}
	if (json)
		json_write(stdout, json_pack("{s:s, s:I}", "action", action, "rules", (json_int_t)count_rules(text.data)));
	else if (strcmp(action, "applied") == 0)
		printf("table inet tunnelctl: %zu rules applied\n", count_rules(text.data));
	else
		printf("table inet tunnelctl: removed%s\n", tf ? " (global.firewall = off)" : "");
out:
	tc_errors_free(&notes);
	tunnel_file_free(tf);
	buf_free(&text);
	buf_free(&err);
	return exit_code;
}

int cmd_firewall(int argc, char **argv, const struct tc_ctx *ctx)
{
	struct firewall_args a = { .json = false };
	const char *verb;
	int c;

	c = cmd_parse(&cmd_firewall_spec, argc, argv, &a);
	if (c < 0)
		return CMD_PARSE_EXIT(c);
	verb = argv[c];
	if (a.dry_run && strcmp(verb, "apply") != 0) {
		cmd_err("firewall", "--dry-run goes with apply");
		return TC_EXIT_USAGE;
	}
	if (strcmp(verb, "show") == 0)
		return do_show(ctx, a.json);
	if (strcmp(verb, "apply") == 0 || strcmp(verb, "remove") == 0)
		return do_change(verb, ctx, a.dry_run, a.json);
	cmd_err("firewall", "unknown subcommand '%s' (show, apply, remove)", verb);
	return TC_EXIT_USAGE;
}
