/* cmd_trace.c - `tunnelctl trace SRC DST [PROTO [PORT]]`: which phase 2 would carry a packet,
 * from the kernel's XFRM policies (or charon's, under kernel-libipsec), charon's children, the
 * tunnel file and the route; the decision itself is trace.c's. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "json.h"
#include "trace.h"
#include "tunnel.h"
#include "vici_client.h"
#include "xfrm_nl.h"

#define TRACE_TIMEOUT_MS 3000
#define TRACE_CONNECT_MS 1000
#define CHARON_TABLE 220	/* charon's routing table (charon.routing_table) */
#define LIBIPSEC_TUN "ipsec"	/* kernel-libipsec's TUN device: ipsec0, ipsec1, ... */
/* kernel-libipsec starts a child on a trap (acquire) from strongSwan 5.9.11 on */
#define LIBIPSEC_ACQUIRE_VERSION ((5u << 16) | (9u << 8) | 11u)
#define SEL_TEXT 128

struct trace_args {
	bool json, config_only;
};

static const struct opt_def trace_opts[] = {
	CMD_OPT_CONFIG,
	CMD_OPT_VICI,
	{ .name = "config-only", OPT_FLAG(struct trace_args, config_only),
	  .help = "plan from the tunnel file only; ask neither the kernel nor charon" },
	{ .name = "json", OPT_FLAG(struct trace_args, json),
	  .help = "machine output: {packet, verdict, text, child, policy, sa, entry, miss, route, sources}" },
	{ .name = NULL },
};

const struct opt_spec cmd_trace_spec = {
	.verb = "trace",
	.operands = "SRC DST [PROTO [PORT]]",
	.min_operands = 2,
	.max_operands = 4,
	.usage = "usage: tunnelctl trace [-c FILE] [--vici URI] [--config-only] [--json] SRC DST [PROTO [PORT]]\n",
	.about =
		"Tell which phase 2 (child conN or conN_M) would carry a packet from SRC to DST leaving\n"
		"this gateway, and why, or why none does. The answer comes from the outbound policies as\n"
		"the kernel orders them (lower priority value first, then the older policy):\n"
		"an IPsec policy with an installed child SA carries the packet (name and SPI shown); a\n"
		"trap policy without an SA means the first packet starts the child; a pass (bypass) or\n"
		"drop policy that wins keeps the packet out of every tunnel. When nothing covers the\n"
		"packet, trace names the closest phase 2 and what does not match; a disabled phase 2 that\n"
		"would cover it is named as such. The route the kernel picks for DST is shown too\n"
		"(charon's table 220 holds its tunnel routes).\n"
		"\n"
		"Sources: the kernel's XFRM policies over netlink in this network namespace; charon over\n"
		"VICI (list-sas, list-policies); the tunnel file for names, selectors and disabled entries.\n"
		"With charon's kernel-libipsec plugin the kernel has no XFRM policies: they come from\n"
		"charon then, and trace decides as kernel-libipsec does: only packets routed into its\n"
		"ipsecN device meet its policies, pass and drop policies are ignored there, and before\n"
		"strongSwan 5.9.11 a trap drops the packet instead of starting the child. When neither\n"
		"the kernel's policies nor charon can be read, or with --config-only, the answer is\n"
		"planned from the tunnel file alone.\n"
		"\n"
		"arguments:\n"
		"  SRC, DST           IPv4 or IPv6 addresses of the same family\n"
		"  PROTO              tcp, udp, icmp, icmpv6, another name from /etc/protocols, or a number\n"
		"  PORT               destination port (ICMP: the type); matters for selectors with ports\n",
	.opts = trace_opts,
	.tail =
		"exit status: 0 the packet is (or would be) carried by a phase 2, a trap included when it\n"
		"starts the child; 1 it is not (not covered, bypassed, dropped, down, disabled, no SA);\n"
		"2 usage or tunnel file error\n"
		"\n"
		"examples:\n"
		"  tunnelctl trace 10.1.0.5 10.2.0.7\n"
		"  tunnelctl trace 10.1.0.5 10.2.0.7 tcp 443 --json\n"
		"  tunnelctl trace --config-only -c new.conf fd00:1::5 fd00:2::7 icmpv6\n",
};

/* Everything trace read, and what it could not read. */
struct sources {
	struct tunnel_file *tf;
	struct trace_entry *ent;
	size_t n_ent;
	struct trace_sa *sa;
	size_t n_sa;
	struct trace_policies pol;	/* the ones that decide */
	enum trace_origin origin;
	char *config_note, *kernel_note, *charon_note;
	bool libipsec, charon_ok;
	unsigned charon_version;	/* major << 16 | minor << 8 | patch, 0 unknown */
	struct xfrm_nl_route route;
	bool have_route;
};

static bool parse_packet(const char *src, const char *dst, const char *proto, const char *port,
			 struct trace_packet *p)
{
	unsigned char tmp[16];
	int fam2;

	memset(p, 0, sizeof(*p));
	p->port = -1;
	if (inet_pton(AF_INET, src, p->src) == 1)
		p->fam = AF_INET;
	else if (inet_pton(AF_INET6, src, p->src) == 1)
		p->fam = AF_INET6;
	else
		return cmd_err("trace", "SRC '%s' is not an IPv4 or IPv6 address", src), false;
	fam2 = inet_pton(AF_INET, dst, tmp) == 1 ? AF_INET : inet_pton(AF_INET6, dst, tmp) == 1 ? AF_INET6 : 0;
	if (!fam2)
		return cmd_err("trace", "DST '%s' is not an IPv4 or IPv6 address", dst), false;
	if (fam2 != p->fam)
		return cmd_err("trace", "SRC %s and DST %s are of different IP families", src, dst), false;
	memcpy(p->dst, tmp, sizeof(tmp));
	if (proto) {
		const struct protoent *pe = getprotobyname(proto);
		char *end;
		long v = strtol(proto, &end, 10);
		if (*proto && !*end && v >= 0 && v <= 255)
			p->proto = (unsigned)v;
		else if (pe)
			p->proto = (unsigned)pe->p_proto;
		else
			return cmd_err("trace", "PROTO '%s' is not a protocol name or number 0..255", proto), false;
		/* "icmp" towards an IPv6 address means ICMPv6 */
		if (p->fam == AF_INET6 && p->proto == IPPROTO_ICMP)
			p->proto = IPPROTO_ICMPV6;
	}
	if (port) {
		char *end;
		bool icmp = p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6;
		long v = strtol(port, &end, 10);
		if (!*port || *end || v < 0 || v > (icmp ? 255 : 65535))
			return cmd_err("trace", "PORT '%s' is not a number 0..%u", port, icmp ? 255u : 65535u), false;
		p->port = (int)v;
	}
	return true;
}

/* "5.9.8" (or "6.0.1dr1") as major << 16 | minor << 8 | patch; 0 when unreadable. */
static unsigned version_code(const char *s)
{
	unsigned v[3] = { 0, 0, 0 };
	size_t k = 0;

	for (; s && *s && k < 3; s++) {
		if (*s >= '0' && *s <= '9')
			v[k] = v[k] * 10 + (unsigned)(*s - '0');
		else if (*s == '.')
			k++;
		else
			break;
		if (v[k < 3 ? k : 2] > 255)
			return 0;
	}
	return s ? v[0] << 16 | v[1] << 8 | v[2] : 0;
}

static void stream_free(struct vici_node **ev, size_t n)
{
	vici_nodes_free(ev, n);
}

/* charon: its children, its traps and shunts, and whether it runs kernel-libipsec. 0 or -1. */
static int read_charon(const struct tc_ctx *ctx, struct sources *s, struct trace_policies *charon_pol)
{
	struct vici_client *vc = NULL;
	struct vici_node **sas = NULL, **pols = NULL, *stats = NULL, *version = NULL;
	size_t n_sas = 0, n_pols = 0;
	struct vici_msg req;
	const char *ver;
	char *err = NULL;
	int rc;

	if (vici_client_connect(ctx->vici, TRACE_CONNECT_MS, &vc, &err) != 0) {
		s->charon_note = err;
		return -1;
	}
	vici_msg_init(&req);
	vici_msg_add_str(&req, "trap", "yes");
	vici_msg_add_str(&req, "pass", "yes");
	vici_msg_add_str(&req, "drop", "yes");
	rc = vici_client_stream(vc, "list-sas", NULL, "list-sa", TRACE_TIMEOUT_MS, &sas, &n_sas, &err);
	if (rc == 0)
		rc = vici_client_stream(vc, "list-policies", &req, "list-policy", TRACE_TIMEOUT_MS, &pols, &n_pols,
					&err);
	if (rc == 0) {
		/* plugins and version only refine the answer: their failure is no failure */
		char *ignored = NULL;
		if (vici_client_request(vc, "stats", NULL, TRACE_TIMEOUT_MS, &stats, &ignored) == 0)
			s->libipsec = vici_list_has(vici_child(stats, "plugins"), "kernel-libipsec");
		free(ignored);
		ignored = NULL;
		if (vici_client_request(vc, "version", NULL, TRACE_TIMEOUT_MS, &version, &ignored) == 0)
			s->charon_version = version_code(vici_find_str(version, "version", NULL));
		free(ignored);
		s->sa = trace_sas_from_vici(sas, n_sas, &s->n_sa);
		trace_policies_from_vici(pols, n_pols, s->sa, s->n_sa, charon_pol);
		ver = version ? vici_find_str(version, "version", "") : "";
		s->charon_note = xasprintf("%s%s%s%zu child SA%s, %zu trap/pass/drop polic%s listed%s",
					   "", ver, *ver ? ", " : "", s->n_sa,
					   s->n_sa == 1 ? "" : "s", n_pols, n_pols == 1 ? "y" : "ies",
					   s->libipsec ? " (kernel-libipsec)" : "");
	} else {
		s->charon_note = err;
		err = NULL;
	}
	free(err);
	vici_node_free(stats);
	vici_node_free(version);
	stream_free(sas, n_sas);
	stream_free(pols, n_pols);
	vici_msg_free(&req);
	vici_client_close(vc);
	return rc == 0 ? 0 : -1;
}

static void use_config(struct sources *s, const char *why)
{
	s->origin = TRACE_FROM_CONFIG;
	trace_policies_free(&s->pol);
	if (s->tf)
		trace_policies_from_file(s->tf, s->ent, s->n_ent, &s->pol);
	free(s->sa);
	s->sa = NULL;
	s->n_sa = 0;
	if (why) {
		free(s->kernel_note);
		s->kernel_note = xstrdup(why);
	}
}

/* Read what there is; 0, or TC_EXIT_USAGE when the tunnel file has errors. */
static int gather(const struct tc_ctx *ctx, bool config_only, const struct trace_packet *p, struct sources *s)
{
	struct trace_policies kernel = { 0 }, charon = { 0 };
	char err[XFRM_NL_ERR_MAX] = "";
	bool kernel_ok, charon_ok;

	if (config_only || ctx->conf_given || access(ctx->conf, F_OK) == 0) {
		if (!(s->tf = cmd_load_tunnels(ctx)))
			return TC_EXIT_USAGE;
		s->ent = trace_entries_from_file(s->tf, &s->n_ent);
		s->config_note = xasprintf("%s: %zu phase 2 entr%s", ctx->conf, s->n_ent, s->n_ent == 1 ? "y" : "ies");
	} else {
		s->config_note = xasprintf("%s: not read (%s)", ctx->conf, strerror(errno));
	}
	if (config_only) {
		use_config(s, "not asked (--config-only)");
		s->charon_note = xstrdup("not asked (--config-only)");
		return 0;
	}
	kernel_ok = xfrm_nl_dump_policies(TRACE_TIMEOUT_MS, &kernel, err) == 0;
	s->kernel_note = kernel_ok ? xasprintf("%zu XFRM polic%s", kernel.n, kernel.n == 1 ? "y" : "ies")
				   : xasprintf("XFRM policies not readable: %s", err);
	s->charon_ok = charon_ok = read_charon(ctx, s, &charon) == 0;
	if (charon_ok && (s->libipsec || !kernel_ok)) {
		/* kernel-libipsec keeps the policies in charon: the kernel has none to show */
		s->origin = TRACE_FROM_CHARON;
		s->pol = charon;
		charon = (struct trace_policies){ 0 };
	} else if (kernel_ok) {
		s->origin = TRACE_FROM_KERNEL;
		trace_mark_traps(&kernel, &charon);
		s->pol = kernel;
		kernel = (struct trace_policies){ 0 };
	} else {
		char *why = xasprintf("%s; charon not reachable either: planned from the tunnel file", s->kernel_note);
		use_config(s, why);
		free(why);
	}
	trace_policies_free(&kernel);
	trace_policies_free(&charon);
	s->have_route = true;
	if (xfrm_nl_get_route(p->fam, p->dst, TRACE_TIMEOUT_MS, &s->route) != 0 && !s->route.err[0])
		snprintf(s->route.err, sizeof(s->route.err), "route lookup failed");
	return 0;
}

/* Whether the route leads into kernel-libipsec's TUN device (charon's table, an ipsecN
 * device): 1, 0, or -1 when unknown. Only kernel-libipsec needs it. */
static int route_tun(const struct sources *s)
{
	const struct xfrm_nl_route *r = &s->route;

	if (!s->have_route)
		return -1;
	if (!r->found)
		return 0;
	return r->table == CHARON_TABLE && strncmp(r->dev, LIBIPSEC_TUN, strlen(LIBIPSEC_TUN)) == 0;
}

static void sources_free(struct sources *s)
{
	trace_policies_free(&s->pol);
	free(s->sa);
	free(s->ent);
	tunnel_file_free(s->tf);
	free(s->config_note);
	free(s->kernel_note);
	free(s->charon_note);
}

/* ---- output ---------------------------------------------------------------------------- */

static char *pair_text(const struct trace_sel *l, const struct trace_sel *r)
{
	char a[SEL_TEXT], b[SEL_TEXT];

	return xasprintf("%s === %s", trace_sel_format(l, a, sizeof(a)), trace_sel_format(r, b, sizeof(b)));
}

static void miss_text(struct buf *b, unsigned miss)
{
	static const struct {
		unsigned bit;
		const char *text;
	} rows[] = {
		{ TRACE_MISS_FAMILY, "another IP family" },
		{ TRACE_MISS_SRC, "SRC outside local" },
		{ TRACE_MISS_DST, "DST outside remote" },
		{ TRACE_MISS_PROTO, "PROTO differs" },
		{ TRACE_MISS_PORT, "PORT outside the selector's ports" },
	};
	const char *sep = "";

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		if (miss & rows[i].bit) {
			buf_printf(b, "%s%s", sep, rows[i].text);
			sep = ", ";
		}
}

static const char *origin_text(const struct sources *s)
{
	switch (s->origin) {
	case TRACE_FROM_KERNEL: return "the kernel (XFRM)";
	case TRACE_FROM_CHARON: return s->libipsec ? "charon (kernel-libipsec)" : "charon";
	case TRACE_FROM_CONFIG: return "the tunnel file (planned)";
	}
	return "?";
}

/* Whether a trap starts its child when a packet meets it: kernel-libipsec raises no acquire
 * before strongSwan 5.9.11 (it drops the packet); an unknown version counts as old. */
static bool trap_starts(const struct sources *s)
{
	return !s->libipsec || s->charon_version >= LIBIPSEC_ACQUIRE_VERSION;
}

/* Whether the kernel has no route to DST: such a packet never reaches a policy. */
static bool unroutable(const struct sources *s)
{
	return s->have_route && !s->route.found;
}

static bool carried(const struct trace_verdict *v, const struct sources *s)
{
	if (unroutable(s))
		return false;
	return v->kind == TRACE_CARRIED || v->kind == TRACE_PLANNED || (v->kind == TRACE_TRAP && trap_starts(s));
}

/* The one-line answer. */
static char *verdict_text(const struct trace_verdict *v, const struct sources *s)
{
	const struct trace_policy *pol = v->policy;
	const struct trace_entry *e = v->entry;
	char *pair = pol ? pair_text(&pol->src, &pol->dst) : e ? pair_text(&e->local, &e->remote) : NULL;
	struct buf b;

	buf_init(&b);
	switch (v->kind) {
	case TRACE_CARRIED:
		buf_printf(&b, "carried by %s (policy out, priority %u, SPI %s)", v->child, pol->priority,
			   v->sa->spi_out);
		break;
	case TRACE_TRAP:
		buf_printf(&b, "no SA yet: trap policy %s would start it (policy out, priority %u, %s)",
			   v->child[0] ? v->child : "?", pol->priority, pair);
		if (!trap_starts(s))
			buf_printf(&b, "; but kernel-libipsec before strongSwan 5.9.11 drops the packet without"
				   " starting it: 'tunnelctl up %s'", v->child[0] ? v->child : "NAME");
		break;
	case TRACE_UNROUTED:
		buf_printf(&b, "not carried: the %s policy %s%s(%s, priority %u) matches, but the route to DST"
			   " (dev %s) does not lead into kernel-libipsec's %sN device: sent in the clear",
			   trace_action_names[pol->action], v->child, v->child[0] ? " " : "", pair, pol->priority,
			   s->route.dev[0] ? s->route.dev : "-", LIBIPSEC_TUN);
		break;
	case TRACE_SWALLOWED:
		buf_printf(&b, "dropped: only the %s policy %s%s(%s) matches; charon routed DST into dev %s for it,"
			   " and kernel-libipsec, which ignores %s policies, has no IPsec policy for the packet",
			   pol->action == TRACE_ACT_PASS ? "bypass" : "drop", v->child, v->child[0] ? " " : "", pair,
			   s->route.dev[0] ? s->route.dev : "?", trace_action_names[pol->action]);
		break;
	case TRACE_PLANNED:
		buf_printf(&b, "would be carried by %s (%s, start_action %s)", v->child, pair,
			   e ? tunnel_action_names[e->start_action] : "?");
		break;
	case TRACE_BYPASS:
		if (s->libipsec && s->origin == TRACE_FROM_CHARON)
			buf_printf(&b, "a bypass policy for %s matches and the route to DST (dev %s) stays out of"
				   " kernel-libipsec's device: sent outside every tunnel", pair,
				   s->route.dev[0] ? s->route.dev : "-");
		else
			buf_printf(&b, "a bypass policy for %s wins (priority %u): sent outside every tunnel", pair,
				   pol->priority);
		break;
	case TRACE_DROP:
		buf_printf(&b, "a drop policy for %s wins (priority %u): dropped", pair, pol->priority);
		break;
	case TRACE_NO_SA:
		buf_printf(&b, "blocked: the IPsec policy %s%s(%s, priority %u, reqid %u) wins but %s",
			   v->child, v->child[0] ? " " : "", pair, pol->priority, pol->reqid,
			   s->charon_ok ? "has no SA and is no trap" : "charon is not reachable: no SA known");
		break;
	case TRACE_DISABLED:
		buf_printf(&b, "not covered: %s (%s) would carry it but %s %u is disabled", v->child, pair,
			   !e->p1_enabled ? "phase 1" : "phase 2", !e->p1_enabled ? e->ikeid : e->reqid);
		break;
	case TRACE_DOWN:
		if (s->charon_ok)
			buf_printf(&b, "not carried: %s (%s) covers it but charon has neither an SA nor a trap policy"
				   " for it (start_action %s; 'tunnelctl up %s' starts it)", v->child, pair,
				   tunnel_action_names[e->start_action], v->child);
		else
			buf_printf(&b, "not carried: %s (%s) covers it but no policy for it is installed, and charon"
				   " cannot be asked (see sources)", v->child, pair);
		break;
	case TRACE_NOT_COVERED:
		if (v->entry || v->closest_sa || v->closest_policy) {
			char *cp = v->entry ? pair_text(&v->entry->local, &v->entry->remote)
			           : v->closest_policy ? pair_text(&v->closest_policy->src, &v->closest_policy->dst)
						       : NULL;
			buf_printf(&b, "not covered: closest is %s%s(", v->child, v->child[0] ? " " : "the policy ");
			if (cp)
				buf_adds(&b, cp);
			else
				buf_printf(&b, "an SA of %s", v->closest_sa->ike);
			buf_adds(&b, "), ");
			miss_text(&b, v->miss);
			free(cp);
		} else {
			buf_adds(&b, s->n_ent || s->n_sa ? "not covered: no phase 2 of the same IP family"
							 : "not covered: no phase 2 and no child SA to compare with");
		}
		break;
	case TRACE_KINDS:
		break;
	}
	if (unroutable(s) && (v->kind == TRACE_CARRIED || v->kind == TRACE_TRAP))
		buf_printf(&b, "; but the kernel has no route to DST (%s): the packet never leaves",
			   s->route.err[0] ? s->route.err : "no answer");
	free(pair);
	return buf_steal(&b);
}

static char *route_text(const struct xfrm_nl_route *r)
{
	struct buf b;

	if (!r->found)
		return xasprintf("none (%s)", r->err[0] ? r->err : "no answer");
	buf_init(&b);
	if (r->gateway[0])
		buf_printf(&b, "via %s ", r->gateway);
	buf_printf(&b, "dev %s table %u", r->dev[0] ? r->dev : "-", r->table);
	if (r->prefsrc[0])
		buf_printf(&b, " src %s", r->prefsrc);
	if (r->table == CHARON_TABLE)
		buf_adds(&b, " (charon's table)");
	return buf_steal(&b);
}


static json_t *sel_json(const struct trace_sel *sel)
{
	char t[SEL_TEXT];

	return json_string(trace_sel_format(sel, t, sizeof(t)));
}

static json_t *verdict_json(const struct trace_packet *p, const struct trace_verdict *v, const struct sources *s,
			    const char *text)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	json_t *o = json_object(), *miss = json_array();
	const struct trace_entry *e = v->entry;
	static const char *const miss_names[] = { "family", "src", "dst", "proto", "port" };

	json_object_set_new(o, "packet", json_pack("{s:s, s:s, s:o, s:o}", "src", inet_ntop(p->fam, p->src, a, sizeof(a)),
						   "dst", inet_ntop(p->fam, p->dst, b, sizeof(b)), "proto",
						   p->proto ? json_integer(p->proto) : json_null(), "port",
						   p->port >= 0 ? json_integer(p->port) : json_null()));
	json_object_set_new(o, "verdict", json_string(trace_kind_names[v->kind]));
	json_object_set_new(o, "carried", json_boolean(carried(v, s)));
	json_object_set_new(o, "text", json_string(text));
	json_object_set_new(o, "child", v->child[0] ? json_string(v->child) : json_null());
	if (v->policy)
		json_object_set_new(o, "policy", json_pack("{s:s, s:s, s:s, s:I, s:o, s:o, s:b, s:I}", "origin",
							   trace_origin_names[v->policy->origin], "dir",
							   trace_dir_names[v->policy->dir], "action",
							   trace_action_names[v->policy->action], "priority",
							   (json_int_t)v->policy->priority, "src", sel_json(&v->policy->src),
							   "dst", sel_json(&v->policy->dst), "trap", v->policy->trap,
							   "reqid", (json_int_t)v->policy->reqid));
	else
		json_object_set_new(o, "policy", json_null());
	if (v->sa)
		json_object_set_new(o, "sa", json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "ike", v->sa->ike, "child",
						       v->sa->child, "reqid", (json_int_t)v->sa->reqid, "state",
						       v->sa->state, "spi_in", v->sa->spi_in, "spi_out", v->sa->spi_out));
	else
		json_object_set_new(o, "sa", json_null());
	if (e)
		json_object_set_new(o, "entry", json_pack("{s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:b, s:s}", "ike", e->ike,
							  "child", e->child, "ikeid", (json_int_t)e->ikeid, "reqid",
							  (json_int_t)e->reqid, "description",
							  json_str_or_null(e->description), "local", sel_json(&e->local),
							  "remote", sel_json(&e->remote), "enabled",
							  e->p1_enabled && e->p2_enabled, "start_action",
							  tunnel_action_names[e->start_action]));
	else
		json_object_set_new(o, "entry", json_null());
	for (size_t i = 0; i < ARRAY_SIZE(miss_names); i++)
		if (v->miss & (1u << i))
			json_array_append_new(miss, json_string(miss_names[i]));
	json_object_set_new(o, "miss", miss);
	if (s->have_route) {
		const struct xfrm_nl_route *r = &s->route;
		json_object_set_new(o, "route", r->found ? json_pack("{s:I, s:o, s:o, s:o}", "table", (json_int_t)r->table,
								      "dev", json_str_or_null(r->dev[0] ? r->dev : NULL),
								      "gateway", json_str_or_null(r->gateway[0] ? r->gateway : NULL),
								      "src", json_str_or_null(r->prefsrc[0] ? r->prefsrc : NULL))
							 : json_pack("{s:s}", "error", r->err));
	} else {
		json_object_set_new(o, "route", json_null());
	}
	json_object_set_new(o, "sources", json_pack("{s:s, s:I, s:s, s:s, s:s}", "policies", trace_origin_names[s->origin],
						     "outbound_policies_matching", (json_int_t)v->n_matching,
						     "kernel", s->kernel_note ? s->kernel_note : "",
						     "charon", s->charon_note ? s->charon_note : "",
						     "config", s->config_note ? s->config_note : ""));
	return o;
}

static void print_text(const struct trace_packet *p, const struct trace_verdict *v, const struct sources *s,
		       const char *text)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	const struct trace_entry *e = v->entry;
	size_t n_out = 0;

	for (size_t i = 0; i < s->pol.n; i++)
		n_out += s->pol.v[i].dir == TRACE_DIR_OUT;
	printf("packet:   %s -> %s", inet_ntop(p->fam, p->src, a, sizeof(a)), inet_ntop(p->fam, p->dst, b, sizeof(b)));
	if (p->proto)
		printf(" %s", trace_proto_name(p->proto, a, sizeof(a)));
	if (p->port >= 0)
		printf("/%d", p->port);
	printf("\nverdict:  %s\n", text);
	if (e && v->kind != TRACE_NOT_COVERED) {
		char *pair = pair_text(&e->local, &e->remote);
		/* the tunnel file's reqid names the entry; charon numbers its reqids itself */
		printf("phase 2:  %s: entry %u%s%s%s of phase 1 %u, %s\n", e->child, e->reqid, e->description ? " \"" : "",
		       e->description ? e->description : "", e->description ? "\"" : "", e->ikeid, pair);
		free(pair);
	}
	if (v->sa)
		printf("child SA: %s of %s, charon reqid %u, %s, SPI in %s out %s\n", v->sa->child, v->sa->ike, v->sa->reqid,
		       v->sa->state, v->sa->spi_in, v->sa->spi_out);
	printf("policies: from %s: %zu outbound, %zu matching\n", origin_text(s), n_out, v->n_matching);
	if (s->have_route) {
		char *r = route_text(&s->route);
		printf("route:    %s\n", r);
		free(r);
	}
	printf("sources:  kernel: %s; charon: %s; tunnel file: %s\n", s->kernel_note ? s->kernel_note : "-",
	       s->charon_note ? s->charon_note : "-", s->config_note ? s->config_note : "-");
}

int cmd_trace(int argc, char **argv, const struct tc_ctx *ctx)
{
	struct trace_args a = { .json = false };
	int c = cmd_parse(&cmd_trace_spec, argc, argv, &a);
	struct sources s = { 0 };
	struct trace_packet p;
	struct trace_verdict v;
	struct trace_input in;
	char *text;
	int rc;

	if (c < 0)
		return CMD_PARSE_EXIT(c);
	if (!parse_packet(argv[c], argv[c + 1], c + 2 < argc ? argv[c + 2] : NULL, c + 3 < argc ? argv[c + 3] : NULL,
			  &p))
		return TC_EXIT_USAGE;
	if ((rc = gather(ctx, a.config_only, &p, &s)) != 0) {
		sources_free(&s);
		return rc;
	}
	in = (struct trace_input){ s.pol.v, s.pol.n, s.sa, s.n_sa, s.ent, s.n_ent,
				   s.origin == TRACE_FROM_CHARON && s.libipsec, route_tun(&s) };
	trace_decide(&in, &p, &v);
	text = verdict_text(&v, &s);
	if (a.json)
		json_write(stdout, verdict_json(&p, &v, &s, text));
	else
		print_text(&p, &v, &s, text);
	rc = carried(&v, &s) ? TC_EXIT_OK : TC_EXIT_FAIL;
	free(text);
	sources_free(&s);
	return rc;
}
