/* nft.c - our nftables table `inet tunnelctl`: ruleset text from the tunnel model, the
 * libnftables calls that run and list it, and the analysis of other tables' input chains. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <nftables/libnftables.h>
#include <stdlib.h>
#include <string.h>

#include "naming.h"
#include "nft.h"

/* ---- building ---- */

enum nft_af { NFT_AF_NONE, NFT_AF_V4, NFT_AF_V6 };

static enum nft_af addr_family(const char *s)
{
	unsigned char a[16];

	if (!s)
		return NFT_AF_NONE;
	if (inet_pton(AF_INET, s, a) == 1)
		return NFT_AF_V4;
	if (inet_pton(AF_INET6, s, a) == 1)
		return NFT_AF_V6;
	return NFT_AF_NONE;
}

/* Interface names go into a quoted string: refuse anything that could leave it. */
static bool ifname_ok(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

static void add_ports(struct buf *b, unsigned a, unsigned c)
{
	if (a == c)
		buf_printf(b, "%u", a);
	else
		buf_printf(b, "{ %u, %u }", a < c ? a : c, a < c ? c : a);
}

/* The rules of one phase 1, or a `#` comment and a note saying why there are none. */
static void build_p1(struct buf *b, const struct tunnel_phase1 *p1, const char *file,
		     struct tc_errors *notes)
{
	char name[NAMING_MAX], match[512];
	const char *peer = p1->remote_gateway, *skip = NULL;
	bool any = tunnel_gateway_is_any(peer);
	enum nft_af paf = any ? NFT_AF_NONE : addr_family(peer);
	enum nft_af laf = addr_family(p1->local_address);
	const char *ip;
	size_t n = 0;

	naming_ike(p1, name);
	if (!peer)
		skip = "no remote_gateway";
	else if (!any && paf == NFT_AF_NONE)
		skip = "the peer is a host name, not an address; add your own rule or use its IP";
	else if (p1->local_address && laf == NFT_AF_NONE)
		skip = "local_address is not an IP address";
	else if (!any && laf != NFT_AF_NONE && laf != paf)
		skip = "local_address and remote_gateway are of different address families";
	else if (p1->interface && !ifname_ok(p1->interface))
		skip = "the interface name cannot be used in a rule";
	if (skip) {
		buf_printf(b, "\t\t# %s: no rules: %s\n", name, skip);
		tc_errors_add(notes, true, file, p1->pos.line, p1->pos.col, "firewall: %s: no rules: %s", name,
			      skip);
		return;
	}

	/* the match shared by the port and ESP/AH rules: [iif] [saddr] [daddr] */
	if (p1->interface)
		n += (size_t)snprintf(match + n, sizeof(match) - n, "iifname \"%s\" ", p1->interface);
	ip = (any ? laf : paf) == NFT_AF_V6 ? "ip6" : "ip";
	if (!any)
		n += (size_t)snprintf(match + n, sizeof(match) - n, "%s saddr %s ", ip, peer);
	if (laf != NFT_AF_NONE)
		snprintf(match + n, sizeof(match) - n, "%s daddr %s ", ip, p1->local_address);

	buf_printf(b, "\t\t%sudp dport ", match);
	add_ports(b, p1->ike_port, p1->natt_port);
	buf_printf(b, " counter ct mark set ct mark or 0x%08x accept comment \"%s\"\n", NFT_CT_MARK, name);
	/* any-peer responders get the ports only (docs/firewall.md); ESP arrives in UDP with NAT-T */
	if (!any)
		buf_printf(b, "\t\t%smeta l4proto { esp, ah } counter ct mark set ct mark or 0x%08x accept comment \"%s\"\n",
			   match, NFT_CT_MARK, name);
}

void nft_build_remove(struct buf *out)
{
	/* declaring the table first makes the delete succeed when it does not exist */
	buf_adds(out, "table " NFT_FAMILY " " NFT_TABLE "\ndelete table " NFT_FAMILY " " NFT_TABLE "\n");
}

void nft_build_ruleset(struct buf *out, const struct tunnel_file *tf, struct tc_errors *notes)
{
	nft_build_remove(out);
	if (tf->global.firewall == TUNNEL_FIREWALL_OFF)
		return;
	buf_printf(out, "table " NFT_FAMILY " " NFT_TABLE " {\n"
			"\tchain " NFT_CHAIN " {\n"
			"\t\ttype filter hook input priority %d; policy accept;\n", NFT_PRIORITY);
	for (size_t i = 0; i < tf->n_p1; i++)
		if (tf->p1[i].enabled)
			build_p1(out, &tf->p1[i], tf->path ? tf->path : "-", notes);
	buf_adds(out, "\t}\n}\n");
}

/* ---- libnftables ---- */

static struct nft_ctx *ctx_new(bool json)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);

	if (!nft)
		return NULL;
	if (nft_ctx_buffer_output(nft) || nft_ctx_buffer_error(nft)) {
		nft_ctx_free(nft);
		return NULL;
	}
	if (json)
		nft_ctx_output_set_flags(nft, nft_ctx_output_get_flags(nft) | NFT_CTX_OUTPUT_JSON);
	return nft;
}

static void copy_error(struct nft_ctx *nft, struct buf *err)
{
	const char *e = nft ? nft_ctx_get_error_buffer(nft) : "cannot create a libnftables context";

	if (err && e)
		buf_add(err, e, strnlen(e, NFT_MAX_LISTING));
}

int nft_run(const char *text, struct buf *err)
{
	struct nft_ctx *nft = ctx_new(false);
	int rc = -EIO;

	if (nft && nft_run_cmd_from_buffer(nft, text) == 0)
		rc = 0;
	else
		copy_error(nft, err);
	if (nft)
		nft_ctx_free(nft);
	return rc;
}

bool nft_table_exists(void)
{
	struct buf out, err;
	bool found;

	buf_init(&out);
	buf_init(&err);
	found = nft_list("tables", false, &out, &err) == 0 && out.data &&
		strstr(out.data, "table " NFT_FAMILY " " NFT_TABLE "\n") != NULL;
	buf_free(&out);
	buf_free(&err);
	return found;
}

int nft_list(const char *what, bool json, struct buf *out, struct buf *err)
{
	struct nft_ctx *nft = ctx_new(json);
	char cmd[64];
	int rc = -EIO;

	if (!what)
		snprintf(cmd, sizeof(cmd), "list table " NFT_FAMILY " " NFT_TABLE);
	else
		snprintf(cmd, sizeof(cmd), "list %s", what);
	if (nft && nft_run_cmd_from_buffer(nft, cmd) == 0) {
		const char *o = nft_ctx_get_output_buffer(nft);
		buf_add(out, o, strnlen(o, NFT_MAX_LISTING));
		rc = 0;
	} else if (nft && !what && strstr(nft_ctx_get_error_buffer(nft), "No such file")) {
		rc = -ENOENT;
	} else {
		copy_error(nft, err);
	}
	if (nft)
		nft_ctx_free(nft);
	return rc;
}

/* ---- analysis of `list ruleset` JSON ---- */

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const char *jstr_or(json_t *o, const char *key)
{
	const char *v = jstr(o, key);

	return v ? v : "?";
}

/* A copy of a string member, "?" when it is missing (hand-made or future JSON). */
static char *jdup(json_t *o, const char *key)
{
	return xstrdup(jstr_or(o, key));
}

/* True when v (any JSON value) contains {"ct": {"key": "mark"}} and the integer mark. */
static bool mentions(json_t *v, bool *ct_mark, bool *value)
{
	if (json_is_integer(v) && (json_integer_value(v) & NFT_CT_MARK) == NFT_CT_MARK)
		*value = true;
	if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_t *ct = json_object_get(v, "ct");
		if (ct && str_eq(jstr(ct, "key"), "mark"))
			*ct_mark = true;
		json_object_foreach(v, k, x)
			mentions(x, ct_mark, value);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
			mentions(x, ct_mark, value);
	}
	return *ct_mark && *value;
}

static bool has_key(json_t *exprs, const char *key)
{
	size_t i;
	json_t *x;

	json_array_foreach(exprs, i, x)
		if (json_object_get(x, key))
			return true;
	return false;
}

static bool is_drop_verdict(json_t *exprs)
{
	return has_key(exprs, "drop") || has_key(exprs, "reject");
}

/* Only verdicts and counters: the rule drops every packet that reaches it. */
static bool unconditional(json_t *exprs)
{
	size_t i;
	json_t *x;

	json_array_foreach(exprs, i, x)
		if (!json_object_get(x, "drop") && !json_object_get(x, "reject") && !json_object_get(x, "counter"))
			return false;
	return true;
}

/* "ip saddr 198.51.100.7" from one match expression; nothing for others. */
static void describe_match(struct buf *b, json_t *m)
{
	json_t *left = json_object_get(m, "left"), *right = json_object_get(m, "right");
	json_t *pl = json_object_get(left, "payload"), *meta = json_object_get(left, "meta");
	json_t *set = json_object_get(right, "set");

	if (pl)
		buf_printf(b, "%s %s ", jstr_or(pl, "protocol"), jstr_or(pl, "field"));
	else if (meta)
		buf_printf(b, "meta %s ", jstr_or(meta, "key"));
	else
		return;
	if (set) {
		size_t i;
		json_t *x;
		json_array_foreach(set, i, x) {
			if (json_is_integer(x))
				buf_printf(b, "%s%lld", i ? "," : "", (long long)json_integer_value(x));
			else if (json_is_string(x))
				buf_printf(b, "%s%s", i ? "," : "", json_string_value(x));
		}
	} else if (json_is_integer(right)) {
		buf_printf(b, "%lld", (long long)json_integer_value(right));
	} else if (json_is_string(right)) {
		buf_adds(b, json_string_value(right));
	}
	buf_addc(b, ' ');
}

static void add_our_rule(struct nft_analysis *a, json_t *rule)
{
	json_t *exprs = json_object_get(rule, "expr"), *x;
	struct nft_rule_info *r;
	struct buf t;
	size_t i;

	a->rules = xrealloc(a->rules, (a->n_rules + 1) * sizeof(*a->rules));
	r = &a->rules[a->n_rules++];
	memset(r, 0, sizeof(*r));
	r->name = jdup(rule, "comment");
	buf_init(&t);
	json_array_foreach(exprs, i, x) {
		json_t *c = json_object_get(x, "counter");
		if (json_object_get(x, "match"))
			describe_match(&t, json_object_get(x, "match"));
		if (c) {
			r->packets = (unsigned long long)json_integer_value(json_object_get(c, "packets"));
			r->bytes = (unsigned long long)json_integer_value(json_object_get(c, "bytes"));
		}
	}
	if (t.len && t.data[t.len - 1] == ' ')
		t.data[--t.len] = '\0';
	r->text = buf_steal(&t);
	buf_free(&t);
}

/* The index of the drop entry for (family, table, chain), adding it when new. */
static struct nft_drop_chain *drop_entry(struct nft_analysis *a, json_t *chain)
{
	struct nft_drop_chain *d;

	for (size_t i = 0; i < a->n_drops; i++) {
		d = &a->drops[i];
		if (str_eq(d->family, jstr(chain, "family")) && str_eq(d->table, jstr(chain, "table")) &&
		    str_eq(d->chain, jstr(chain, "name")))
			return d;
	}
	a->drops = xrealloc(a->drops, (a->n_drops + 1) * sizeof(*a->drops));
	d = &a->drops[a->n_drops++];
	memset(d, 0, sizeof(*d));
	d->family = jdup(chain, "family");
	d->table = jdup(chain, "table");
	d->chain = jdup(chain, "name");
	d->priority = (long)json_integer_value(json_object_get(chain, "prio"));
	d->before_us = d->priority <= NFT_PRIORITY;
	return d;
}

static bool family_sees_ip(const char *f)
{
	return str_eq(f, "inet") || str_eq(f, "ip") || str_eq(f, "ip6");
}

static bool is_ours(json_t *o)
{
	return str_eq(jstr(o, "family"), NFT_FAMILY) && str_eq(jstr(o, "table"), NFT_TABLE);
}

/* The input base chain object for a rule (family, table, chain), or NULL. */
static json_t *find_input_chain(json_t *items, json_t *rule)
{
	size_t i;
	json_t *x;

	json_array_foreach(items, i, x) {
		json_t *c = json_object_get(x, "chain");
		if (c && str_eq(jstr(c, "hook"), "input") && str_eq(jstr(c, "family"), jstr(rule, "family")) &&
		    str_eq(jstr(c, "table"), jstr(rule, "table")) && str_eq(jstr(c, "name"), jstr(rule, "chain")))
			return c;
	}
	return NULL;
}

int nft_analyse(const char *json_text, size_t len, struct nft_analysis *a)
{
	json_t *root = json_loadb(json_text, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *items = json_object_get(root, "nftables"), *x;
	size_t i;

	memset(a, 0, sizeof(*a));
	if (!json_is_array(items)) {
		json_decref(root);
		return -EINVAL;
	}
	/* our table and rules; other tables' drop-policy input chains */
	json_array_foreach(items, i, x) {
		json_t *t = json_object_get(x, "table"), *c = json_object_get(x, "chain");
		json_t *r = json_object_get(x, "rule");
		if (t && str_eq(jstr(t, "family"), NFT_FAMILY) && str_eq(jstr(t, "name"), NFT_TABLE))
			a->have_table = true;
		if (r && is_ours(r))
			add_our_rule(a, r);
		if (c && !is_ours(c) && family_sees_ip(jstr(c, "family")) && str_eq(jstr(c, "hook"), "input") &&
		    str_eq(jstr(c, "policy"), "drop"))
			drop_entry(a, c)->policy_drop = true;
	}
	/* other tables' rules on input base chains: unconditional drops, mark accepts, xt */
	json_array_foreach(items, i, x) {
		json_t *r = json_object_get(x, "rule"), *exprs, *c;
		bool ct_mark = false, value = false;
		if (!r || is_ours(r) || !family_sees_ip(jstr(r, "family")))
			continue;
		c = find_input_chain(items, r);
		if (!c)
			continue;
		exprs = json_object_get(r, "expr");
		if (is_drop_verdict(exprs) && unconditional(exprs))
			drop_entry(a, c);
		for (size_t k = 0; k < a->n_drops; k++) {
			struct nft_drop_chain *d = &a->drops[k];
			if (!str_eq(d->family, jstr(r, "family")) || !str_eq(d->table, jstr(r, "table")) ||
			    !str_eq(d->chain, jstr(r, "chain")))
				continue;
			if (has_key(exprs, "accept") && mentions(exprs, &ct_mark, &value))
				d->accepts_mark = true;
			if (has_key(exprs, "xt"))
				d->iptables = true;
		}
	}
	json_decref(root);
	return 0;
}

bool nft_drop_blocks(const struct nft_drop_chain *d)
{
	return d->before_us || !d->accepts_mark;
}

void nft_analysis_free(struct nft_analysis *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n_rules; i++) {
		free(a->rules[i].name);
		free(a->rules[i].text);
	}
	for (size_t i = 0; i < a->n_drops; i++) {
		free(a->drops[i].family);
		free(a->drops[i].table);
		free(a->drops[i].chain);
	}
	free(a->rules);
	free(a->drops);
	memset(a, 0, sizeof(*a));
}
