/* doctor_live.c - checks of the running charon and the system (doctor --live). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <time.h>

#include "doctor_live.h"
#include "nft.h"
#include "util.h"
#include "vici_client.h"
#include "x509.h"

const char *const doctor_live_status_names[] = { "ok", "warning", "problem", "skipped" };

#define DOCTOR_LIVE_IKE_PORT 500
#define DOCTOR_LIVE_NATT_PORT 4500
#define DOCTOR_LIVE_CERT_SOON (30 * 24 * 3600)	/* a certificate expiring within this is a warning */

static void add(struct doctor_live_report *r, const char *name, enum doctor_live_status st, char *detail,
		const char *fix)
{
	if (r->n >= DOCTOR_LIVE_MAX_CHECKS) {
		free(detail);
		return;
	}
	r->c[r->n].name = name;
	r->c[r->n].status = st;
	r->c[r->n].detail = detail;
	r->c[r->n].fix = xstrdup(st == DOCTOR_LIVE_OK || st == DOCTOR_LIVE_SKIPPED ? "" : fix);
	r->n++;
}

/* ---- pure parsers ---------------------------------------------------------------------- */

/* Next line of text[*pos..len) into [*ls, *le); false at the end. */
static bool next_line(const char *text, size_t len, size_t *pos, const char **ls, const char **le)
{
	const char *p, *nl;

	if (*pos >= len)
		return false;
	p = text + *pos;
	nl = memchr(p, '\n', len - *pos);
	*ls = p;
	*le = nl ? nl : text + len;
	*pos = (size_t)(*le - text) + 1;
	return true;
}

bool doctor_live_udp_bound(const char *text, size_t len, unsigned port)
{
	const char *ls, *le;
	size_t pos = 0;
	char want[8];

	/* "  sl  local_address rem_address ...": local is ADDR:PORT with the port in hex */
	snprintf(want, sizeof(want), ":%04X", port);
	while (next_line(text, len, &pos, &ls, &le)) {
		const char *p = ls;
		while (p < le && *p == ' ')
			p++;
		while (p < le && *p != ' ')	/* "N:" */
			p++;
		while (p < le && *p == ' ')
			p++;
		const char *colon = memchr(p, ':', (size_t)(le - p));
		if (colon && (size_t)(le - colon) > 5 && memcmp(colon, want, 5) == 0 &&
		    (colon[5] == ' ' || colon + 5 == le))
			return true;
	}
	return false;
}

bool doctor_live_module_loaded(const char *text, size_t len, const char *name)
{
	const char *ls, *le;
	size_t pos = 0, nl = strlen(name);

	while (next_line(text, len, &pos, &ls, &le))
		if ((size_t)(le - ls) > nl && memcmp(ls, name, nl) == 0 && ls[nl] == ' ')
			return true;
	return false;
}

/* What a rule's matches select, for the traffic we care about. */
enum { T_IKE, T_NATT, T_ESP, T_COUNT };
static const char *const t_names[T_COUNT] = { "UDP 500", "UDP 4500", "ESP" };

/* Whether a JSON port value (number, set, range) holds port. */
static bool json_has_port(json_t *v, unsigned port)
{
	json_t *set = json_is_object(v) ? json_object_get(v, "set") : json_is_array(v) ? v : NULL;
	json_t *range = json_is_object(v) ? json_object_get(v, "range") : NULL, *e;
	size_t i;

	if (json_is_integer(v))
		return (unsigned)json_integer_value(v) == port;
	if (json_array_size(range) == 2)
		return (unsigned)json_integer_value(json_array_get(range, 0)) <= port &&
		       (unsigned)json_integer_value(json_array_get(range, 1)) >= port;
	json_array_foreach(set, i, e) {
		if (json_has_port(e, port))
			return true;
	}
	return false;
}

static bool json_is_proto(json_t *v, const char *name, int num)
{
	json_t *set = json_is_object(v) ? json_object_get(v, "set") : NULL, *e;
	size_t i;

	if (json_is_string(v))
		return strcmp(json_string_value(v), name) == 0;
	if (json_is_integer(v))
		return json_integer_value(v) == num;
	json_array_foreach(set, i, e) {
		if (json_is_proto(e, name, num))
			return true;
	}
	return false;
}

/* Classify one rule: which of our traffic kinds it can match (hits[]), and whether it has
 * other conditions too (partial). Returns its verdict: 1 accept, -1 drop/reject, 0 other. */
static int rule_classify(json_t *rule, bool hits[T_COUNT], bool *partial)
{
	json_t *exprs = json_object_get(rule, "expr"), *e;
	bool any_match = false, udp_all = false, port_match = false, esp = false, udp = false;
	bool ports[2] = { false, false };
	int verdict = 0;
	size_t i;

	*partial = false;
	json_array_foreach(exprs, i, e) {
		json_t *m = json_object_get(e, "match");
		if (json_object_get(e, "drop") || json_object_get(e, "reject"))
			verdict = -1;
		else if (json_object_get(e, "accept"))
			verdict = 1;
		if (!m)
			continue;
		any_match = true;
		const char *op = json_string_value(json_object_get(m, "op"));
		json_t *left = json_object_get(m, "left"), *right = json_object_get(m, "right");
		json_t *pl = json_object_get(left, "payload"), *meta = json_object_get(left, "meta");
		const char *field = json_string_value(json_object_get(pl, "field"));
		const char *proto = json_string_value(json_object_get(pl, "protocol"));
		const char *key = json_string_value(json_object_get(meta, "key"));
		if (op && strcmp(op, "==") != 0 && strcmp(op, "in") != 0) {
			*partial = true;
			continue;
		}
		if (pl && proto && strcmp(proto, "udp") == 0 && field && strcmp(field, "dport") == 0) {
			port_match = true;
			ports[0] = json_has_port(right, DOCTOR_LIVE_IKE_PORT);
			ports[1] = json_has_port(right, DOCTOR_LIVE_NATT_PORT);
		} else if ((key && strcmp(key, "l4proto") == 0) ||
			   (pl && field && (strcmp(field, "protocol") == 0 || strcmp(field, "nexthdr") == 0))) {
			esp = json_is_proto(right, "esp", 50);
			udp = json_is_proto(right, "udp", 17);
			udp_all = udp;
		} else {
			*partial = true;	/* addresses, interfaces, ct state...: not always */
		}
	}
	if (!any_match) {
		hits[T_IKE] = hits[T_NATT] = hits[T_ESP] = true;
		return verdict;
	}
	hits[T_IKE] = port_match ? ports[0] : udp_all;
	hits[T_NATT] = port_match ? ports[1] : udp_all;
	hits[T_ESP] = esp && !port_match;
	return verdict;
}

int doctor_live_nft_blocks(const char *json_text, size_t len, struct buf *out)
{
	json_error_t jerr;
	json_t *root = json_loadb(json_text, len, 0, &jerr), *items, *it;
	int found = 0;
	size_t i;

	if (!root)
		return -EINVAL;
	items = json_object_get(root, "nftables");
	/* each input/prerouting base chain, rules in order: first decisive rule per kind */
	json_array_foreach(items, i, it) {
		json_t *ch = json_object_get(it, "chain"), *it2;
		const char *hook = json_string_value(json_object_get(ch, "hook"));
		const char *type = json_string_value(json_object_get(ch, "type"));
		const char *policy = json_string_value(json_object_get(ch, "policy"));
		const char *fam = json_string_value(json_object_get(ch, "family"));
		const char *tab = json_string_value(json_object_get(ch, "table"));
		const char *name = json_string_value(json_object_get(ch, "name"));
		int decided[T_COUNT] = { 0, 0, 0 };
		size_t k;

		if (!ch || !hook || !fam || !tab || !name || (type && strcmp(type, "filter") != 0) ||
		    (strcmp(hook, "input") != 0 && strcmp(hook, "prerouting") != 0))
			continue;
		if (strcmp(fam, "inet") != 0 && strcmp(fam, "ip") != 0 && strcmp(fam, "ip6") != 0)
			continue;
		json_array_foreach(items, k, it2) {
			json_t *rule = json_object_get(it2, "rule");
			bool hits[T_COUNT] = { false, false, false }, partial;
			int v;
			if (!rule || !str_eq(json_string_value(json_object_get(rule, "family")), fam) ||
			    !str_eq(json_string_value(json_object_get(rule, "table")), tab) ||
			    !str_eq(json_string_value(json_object_get(rule, "chain")), name))
				continue;
			v = rule_classify(rule, hits, &partial);
			for (int t = 0; t < T_COUNT; t++) {
				if (!hits[t] || decided[t] || v == 0)
					continue;
				if (v > 0 && !partial) {
					decided[t] = 1;
				} else if (v < 0) {
					decided[t] = -1;
					found++;
					buf_printf(out, "%s%s %s %s: rule handle %lld drops %s%s", out->len ? "; " : "",
						   fam, tab, name,
						   (long long)json_integer_value(json_object_get(rule, "handle")),
						   t_names[t], partial ? " (from some sources)" : "");
				}
			}
		}
		for (int t = 0; t < T_COUNT; t++)
			if (!decided[t] && policy && strcmp(policy, "drop") == 0) {
				found++;
				buf_printf(out, "%s%s %s %s: policy drop, nothing accepts %s", out->len ? "; " : "",
					   fam, tab, name, t_names[t]);
			}
	}
	json_decref(root);
	return found;
}

/* Whether a NAT rule leaves tunnel traffic alone: it matches on IPsec (rt ipsec, meta
 * ipsec, ipsec ...) or excludes destinations (daddr !=). */
static bool nat_rule_spares_ipsec(json_t *rule)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(rule, "expr"), i, e) {
		json_t *m = json_object_get(e, "match"), *left = json_object_get(m, "left");
		const char *op = json_string_value(json_object_get(m, "op"));
		const char *field = json_string_value(json_object_get(json_object_get(left, "payload"), "field"));
		const char *key = json_string_value(json_object_get(json_object_get(left, "meta"), "key"));
		if (!m)
			continue;
		if (json_object_get(left, "rt") || json_object_get(left, "ipsec") || str_eq(key, "ipsec") ||
		    str_eq(key, "secpath"))
			return true;
		if (op && strcmp(op, "!=") == 0 && field && strcmp(field, "daddr") == 0)
			return true;
	}
	return false;
}

int doctor_live_nft_nat(const char *json_text, size_t len, struct buf *out)
{
	json_error_t jerr;
	json_t *root = json_loadb(json_text, len, 0, &jerr), *items, *it, *ch;
	int found = 0;
	size_t i, k;

	if (!root)
		return -EINVAL;
	items = json_object_get(root, "nftables");
	json_array_foreach(items, i, ch) {
		json_t *c = json_object_get(ch, "chain");
		const char *fam = json_string_value(json_object_get(c, "family"));
		const char *tab = json_string_value(json_object_get(c, "table"));
		const char *name = json_string_value(json_object_get(c, "name"));
		if (!c || !str_eq(json_string_value(json_object_get(c, "type")), "nat") ||
		    !str_eq(json_string_value(json_object_get(c, "hook")), "postrouting"))
			continue;
		json_array_foreach(items, k, it) {
			json_t *rule = json_object_get(it, "rule"), *e;
			size_t j;
			bool rewrites = false;
			if (!rule || !str_eq(json_string_value(json_object_get(rule, "family")), fam) ||
			    !str_eq(json_string_value(json_object_get(rule, "table")), tab) ||
			    !str_eq(json_string_value(json_object_get(rule, "chain")), name))
				continue;
			json_array_foreach(json_object_get(rule, "expr"), j, e) {
				rewrites |= json_object_get(e, "masquerade") != NULL || json_object_get(e, "snat") != NULL;
			}
			if (!rewrites || nat_rule_spares_ipsec(rule))
				continue;
			found++;
			buf_printf(out, "%s%s %s %s: rule handle %lld rewrites source addresses", out->len ? "; " : "",
				   fam, tab, name, (long long)json_integer_value(json_object_get(rule, "handle")));
		}
	}
	json_decref(root);
	return found;
}

/* ---- checks ---------------------------------------------------------------------------- */

static int read_proc(const struct doctor_live_opts *o, const char *rel, struct buf *b)
{
	char *path = xasprintf("%s/%s", o->proc ? o->proc : "/proc", rel);
	int rc;

	buf_init(b);
	rc = file_read_all(path, DOCTOR_LIVE_MAX_PROC, b);
	free(path);
	return rc;
}

static void check_udp(const struct doctor_live_opts *o, struct doctor_live_report *r)
{
	static const unsigned ports[] = { DOCTOR_LIVE_IKE_PORT, DOCTOR_LIVE_NATT_PORT };
	static const char *const names[] = { "udp500", "udp4500" };
	struct buf v4, v6;
	int r4 = read_proc(o, "net/udp", &v4), r6 = read_proc(o, "net/udp6", &v6);

	for (size_t i = 0; i < ARRAY_SIZE(ports); i++) {
		bool b4 = r4 == 0 && doctor_live_udp_bound(v4.data, v4.len, ports[i]);
		bool b6 = r6 == 0 && doctor_live_udp_bound(v6.data, v6.len, ports[i]);
		if (r4 && r6)
			add(r, names[i], DOCTOR_LIVE_SKIPPED, xstrdup("cannot read /proc/net/udp"), "");
		else if (b4 || b6)
			add(r, names[i], DOCTOR_LIVE_OK, xasprintf("UDP %u is bound (%s%s%s)", ports[i], b4 ? "IPv4" : "",
							  b4 && b6 ? ", " : "", b6 ? "IPv6" : ""), "");
		else
			add(r, names[i], DOCTOR_LIVE_PROBLEM, xasprintf("nothing listens on UDP %u", ports[i]),
			    "start charon (tunnelctl service start) and check charon.port / port_nat_t in "
			    "strongswan.conf and that no other IKE daemon holds the port");
	}
	buf_free(&v4);
	buf_free(&v6);
}

static void check_nft(struct doctor_live_report *r)
{
	struct buf out, err, what;
	int n;

	buf_init(&out);
	buf_init(&err);
	buf_init(&what);
	if (nft_list("ruleset", true, &out, &err) != 0) {
		add(r, "firewall", DOCTOR_LIVE_SKIPPED, xasprintf("cannot list nftables: %s", err.data ? err.data : "?"),
		    "");
	} else if ((n = doctor_live_nft_blocks(out.data, out.len, &what)) < 0) {
		add(r, "firewall", DOCTOR_LIVE_SKIPPED, xstrdup("nftables listing not understood"), "");
	} else if (n > 0) {
		add(r, "firewall", DOCTOR_LIVE_PROBLEM, buf_steal(&what),
		    "accept UDP 500, UDP 4500 and ESP from the peers before those rules (tunnelctl firewall "
		    "apply adds them; a chain with policy drop must also accept ct mark 0x00100000, see "
		    "docs/firewall.md), or delete the dropping rule");
	} else {
		add(r, "firewall", DOCTOR_LIVE_OK, xstrdup("no nftables rule drops UDP 500/4500 or ESP on input"), "");
	}
	if (out.len) {
		buf_free(&what);
		buf_init(&what);
		n = doctor_live_nft_nat(out.data, out.len, &what);
		if (n > 0)
			add(r, "nat", DOCTOR_LIVE_WARN, buf_steal(&what),
			    "exclude tunnel traffic from source NAT: add `rt ipsec missing` (or `ip daddr != "
			    "REMOTE_NET`) to the masquerade/snat rule, or LAN traffic leaves with the WAN address "
			    "and no longer matches the phase 2 selectors");
		else if (n == 0)
			add(r, "nat", DOCTOR_LIVE_OK, xstrdup("no source NAT rule that would rewrite tunnel traffic"), "");
	}
	buf_free(&out);
	buf_free(&err);
	buf_free(&what);
}

/* A one-line sysctl value under /proc/sys, or -1. */
static int sysctl_int(const struct doctor_live_opts *o, const char *rel)
{
	struct buf b;
	int v = -1;

	if (read_proc(o, rel, &b) == 0 && b.len)
		v = atoi(b.data);
	buf_free(&b);
	return v;
}

/* Forwarding and rp_filter; ipv6: a loaded child has IPv6 selectors, so IPv6 forwarding
 * matters too (net.ipv4.ip_forward says nothing about it). */
static void check_sysctl(const struct doctor_live_opts *o, struct doctor_live_report *r, bool ipv6)
{
	int fwd = sysctl_int(o, "sys/net/ipv4/ip_forward");
	int fwd6 = ipv6 ? sysctl_int(o, "sys/net/ipv6/conf/all/forwarding") : -1;
	int rp_all = sysctl_int(o, "sys/net/ipv4/conf/all/rp_filter");

	if (fwd < 0)
		add(r, "forwarding", DOCTOR_LIVE_SKIPPED, xstrdup("cannot read net.ipv4.ip_forward"), "");
	else if (fwd == 0)
		add(r, "forwarding", DOCTOR_LIVE_WARN,
		    xstrdup("net.ipv4.ip_forward = 0: only this host's own addresses can use the tunnels, "
			    "hosts behind it cannot"),
		    "sysctl -w net.ipv4.ip_forward=1 (and set it in /etc/sysctl.d/ to keep it)");
	else
		add(r, "forwarding", DOCTOR_LIVE_OK, xstrdup("net.ipv4.ip_forward = 1"), "");
	if (ipv6 && fwd6 < 0)
		add(r, "forwarding6", DOCTOR_LIVE_SKIPPED, xstrdup("cannot read net.ipv6.conf.all.forwarding"), "");
	else if (ipv6 && fwd6 == 0)
		add(r, "forwarding6", DOCTOR_LIVE_WARN,
		    xstrdup("net.ipv6.conf.all.forwarding = 0 while tunnels carry IPv6 networks: only this "
			    "host's own IPv6 addresses can use them, hosts behind it cannot"),
		    "sysctl -w net.ipv6.conf.all.forwarding=1 (and set it in /etc/sysctl.d/ to keep it; "
		    "an interface that takes router advertisements then needs accept_ra = 2)");
	else if (ipv6)
		add(r, "forwarding6", DOCTOR_LIVE_OK, xstrdup("net.ipv6.conf.all.forwarding = 1"), "");
	if (rp_all == 1)
		add(r, "rp_filter", DOCTOR_LIVE_WARN,
		    xstrdup("net.ipv4.conf.all.rp_filter = 1 (strict): decrypted packets arriving on an "
			    "interface without a route back (VTI, asymmetric routes) are dropped"),
		    "sysctl -w net.ipv4.conf.all.rp_filter=2 (loose)");
	else if (rp_all >= 0)
		add(r, "rp_filter", DOCTOR_LIVE_OK, xasprintf("net.ipv4.conf.all.rp_filter = %d", rp_all), "");
}

static void check_clock(struct doctor_live_report *r)
{
	struct timex tx = { .modes = 0 };
	int st = adjtimex(&tx);
	time_t now = time(NULL);

	if (now < 1700000000)	/* before November 2023: the clock was never set */
		add(r, "clock", DOCTOR_LIVE_PROBLEM, xasprintf("the clock says %lld seconds since 1970", (long long)now),
		    "set the time (NTP: systemd-timesyncd or chrony); certificates look not yet valid");
	else if (st == TIME_ERROR)
		add(r, "clock", DOCTOR_LIVE_WARN, xstrdup("the clock is not synchronized (no NTP)"),
		    "enable NTP (timedatectl set-ntp true): certificate validity depends on it");
	else
		add(r, "clock", DOCTOR_LIVE_OK, xstrdup("the clock is synchronized"), "");
}

/* What the other checks need from the loaded connections (one list-conns for all). */
struct conn_facts {
	bool ipv6;		/* a loaded child has an IPv6 traffic selector */
	char **cert_dns;	/* certificate subjects the connections name */
	size_t n_cert_dns;
	char pass[DOCTOR_LIVE_PASS_MAX];	/* the first loaded pass (bypass) child, "" none */
};

static void check_plugins(const struct doctor_live_opts *o, struct vici_client *c, const struct conn_facts *facts,
			  struct doctor_live_report *r)
{
	struct vici_node *reply = NULL, *plugins;
	struct buf mods;
	char *err = NULL;
	bool libipsec, netlink, esp4;

	if (vici_client_request(c, "stats", NULL, DOCTOR_LIVE_VICI_TIMEOUT_MS, &reply, &err) != 0) {
		add(r, "plugins", DOCTOR_LIVE_SKIPPED, xasprintf("stats failed: %s", err ? err : "?"), "");
		free(err);
		return;
	}
	plugins = vici_child(reply, "plugins");
	libipsec = vici_list_has(plugins, "kernel-libipsec");
	netlink = vici_list_has(plugins, "kernel-netlink");
	if (!vici_list_has(plugins, "socket-default") && !vici_list_has(plugins, "socket-dynamic"))
		add(r, "plugins", DOCTOR_LIVE_PROBLEM, xstrdup("no socket plugin loaded: charon cannot send IKE"),
		    "load socket-default (charon.plugins.socket-default.load = yes)");
	else if (!netlink)
		add(r, "plugins", DOCTOR_LIVE_PROBLEM, xstrdup("kernel-netlink is not loaded: no SA or policy can be installed"),
		    "install libcharon plugins for the kernel interface (charon.plugins.kernel-netlink.load = yes)");
	else
		add(r, "plugins", DOCTOR_LIVE_OK, xasprintf("%zu plugins loaded, socket and kernel-netlink among them",
						      plugins ? plugins->n_child : 0), "");

	buf_init(&mods);
	esp4 = read_proc(o, "modules", &mods) == 0 && doctor_live_module_loaded(mods.data, mods.len, "esp4");
	buf_free(&mods);
	if (!esp4) {
		struct stat st;
		esp4 = stat("/sys/module/esp4", &st) == 0;
	}
	/* seen in the lab with tunnelctl trace: charon routes a pass policy's networks into
	 * ipsec0 like any other, and libipsec, which has no notion of pass, drops what arrives */
	if (libipsec && facts->pass[0])
		add(r, "bypass", DOCTOR_LIVE_PROBLEM,
		    xasprintf("bypass child %s is a pass policy, and kernel-libipsec ignores pass policies: charon "
			      "routes those networks into ipsec0, where their traffic is dropped",
			      facts->pass),
		    "remove global.bypass_networks from the tunnel file (kernel-libipsec cannot bypass: narrow the "
		    "phase 2 selectors instead), or use the kernel's ESP (esp4, kernel-netlink) instead of kernel-libipsec");
	if (libipsec)
		add(r, "esp", DOCTOR_LIVE_OK, xstrdup("ESP in user space: kernel-libipsec is loaded"), "");
	else if (esp4)
		add(r, "esp", DOCTOR_LIVE_OK, xstrdup("kernel ESP: esp4 is loaded"), "");
	else
		add(r, "esp", DOCTOR_LIVE_PROBLEM, xstrdup("no kernel ESP (esp4 not loaded) and kernel-libipsec not loaded"),
		    "modprobe esp4 xfrm_user, or load kernel-libipsec (charon.plugins.kernel-libipsec.load "
		    "= yes) where the kernel has no XFRM ESP");
	vici_node_free(reply);
}

bool doctor_live_conn_has_ipv6_ts(const struct vici_node *node)
{
	if (!node)
		return false;
	if (node->type == VICI_NODE_LIST && (str_eq(node->name, "local-ts") || str_eq(node->name, "remote-ts"))) {
		for (size_t i = 0; i < node->n_child; i++) {
			const char *ts = vici_list_str(node, i);
			if (ts && strchr(ts, ':'))
				return true;
		}
		return false;
	}
	for (size_t i = 0; node->type == VICI_NODE_SECTION && i < node->n_child; i++)
		if (doctor_live_conn_has_ipv6_ts(node->child[i]))
			return true;
	return false;
}

bool doctor_live_conn_pass_child(const struct vici_node *event, char *out, size_t size)
{
	for (size_t k = 0; k < event->n_child; k++) {
		const struct vici_node *conn = event->child[k], *children = vici_child(conn, "children");

		for (size_t j = 0; conn->type == VICI_NODE_SECTION && children && j < children->n_child; j++) {
			const struct vici_node *child = children->child[j];
			const struct vici_node *l = vici_child(child, "local-ts"), *rt = vici_child(child, "remote-ts");

			if (child->type != VICI_NODE_SECTION || !str_eq(vici_find_str(child, "mode", NULL), "PASS"))
				continue;
			snprintf(out, size, "%s/%s (%s === %s)", conn->name, child->name,
				 l && vici_list_str(l, 0) ? vici_list_str(l, 0) : "dynamic",
				 rt && vici_list_str(rt, 0) ? vici_list_str(rt, 0) : "dynamic");
			return true;
		}
	}
	return false;
}

/* Add the certificate subjects one list-conn event's connections name (local-N/remote-N
 * "certs" and "cacerts", as charon prints DNs) to *out. Certificates stay loaded in charon
 * after the connection that brought them is unloaded, until it restarts; only these matter. */
static void conn_cert_subjects(const struct vici_node *event, char ***out, size_t *n_out)
{
	static const char *const lists[] = { "certs", "cacerts" };

	for (size_t k = 0; k < event->n_child; k++) {
		const struct vici_node *conn = event->child[k];
		for (size_t j = 0; j < conn->n_child; j++) {
			const struct vici_node *side = conn->child[j];
			if (side->type != VICI_NODE_SECTION || !side->name ||
			    (!str_startswith(side->name, "local") && !str_startswith(side->name, "remote")))
				continue;
			for (size_t l = 0; l < ARRAY_SIZE(lists); l++) {
				const struct vici_node *list = vici_child(side, lists[l]);
				for (size_t m = 0; list && m < list->n_child; m++) {
					const char *dn = vici_list_str(list, m);
					if (!dn || str_in_list(dn, *out, *n_out))
						continue;
					*out = xrealloc(*out, (*n_out + 1) * sizeof(char *));
					(*out)[(*n_out)++] = xstrdup(dn);
				}
			}
		}
	}
}

/* Connections and SAs, and the facts about the connections the other checks use. */
static void check_conns(struct vici_client *c, struct doctor_live_report *r, struct conn_facts *facts)
{
	struct vici_node **ev = NULL;
	size_t n = 0, conns = 0, ike_up = 0, child_up = 0;
	char *err = NULL;

	if (vici_client_stream(c, "list-conns", NULL, "list-conn", DOCTOR_LIVE_VICI_TIMEOUT_MS, &ev, &n, &err) == 0) {
		for (size_t i = 0; i < n; i++) {
			conns += ev[i]->n_child;
			facts->ipv6 |= doctor_live_conn_has_ipv6_ts(ev[i]);
			if (!facts->pass[0])
				doctor_live_conn_pass_child(ev[i], facts->pass, sizeof(facts->pass));
			conn_cert_subjects(ev[i], &facts->cert_dns, &facts->n_cert_dns);
		}
		vici_nodes_free(ev, n);
	}
	free(err);
	err = NULL;
	ev = NULL;
	n = 0;
	if (vici_client_stream(c, "list-sas", NULL, "list-sa", DOCTOR_LIVE_VICI_TIMEOUT_MS, &ev, &n, &err) == 0) {
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < ev[i]->n_child; k++) {
				const struct vici_node *sa = ev[i]->child[k], *children;
				ike_up += str_eq(vici_find_str(sa, "state", NULL), "ESTABLISHED");
				children = vici_child(sa, "child-sas");
				for (size_t j = 0; children && j < children->n_child; j++)
					child_up += str_eq(vici_find_str(children->child[j], "state", NULL), "INSTALLED");
			}
		vici_nodes_free(ev, n);
	}
	free(err);
	if (conns == 0)
		add(r, "connections", DOCTOR_LIVE_WARN, xstrdup("charon has no connection loaded"),
		    "tunnelctl apply (loads the tunnel file over VICI)");
	else
		add(r, "connections", DOCTOR_LIVE_OK,
		    xasprintf("%zu connection%s loaded, %zu IKE SA%s established, %zu CHILD SA%s installed", conns,
			      conns == 1 ? "" : "s", ike_up, ike_up == 1 ? "" : "s", child_up,
			      child_up == 1 ? "" : "s"),
		    "");
}

/* Whether a certificate with this subject text matters: a loaded connection names it, or the
 * text has an attribute we print by OID (charon may name it differently: count it). */
static bool cert_in_use(const char *dn, char *const *used, size_t n_used)
{
	for (const char *p = dn; (p = strchr(p, '=')); p++)
		if (p > dn && p[-1] >= '0' && p[-1] <= '9')
			return true;
	return str_in_list(dn, used, n_used);
}

static void check_certs(struct vici_client *c, struct doctor_live_report *r, char *const *used, size_t n_used)
{
	struct vici_node **ev = NULL;
	size_t n = 0, certs = 0;
	char *err = NULL;
	struct buf bad;
	time_t now = time(NULL);
	enum doctor_live_status st = DOCTOR_LIVE_OK;
	struct buf unused;

	if (vici_client_stream(c, "list-certs", NULL, "list-cert", DOCTOR_LIVE_VICI_TIMEOUT_MS, &ev, &n, &err) != 0) {
		add(r, "certificates", DOCTOR_LIVE_SKIPPED, xasprintf("list-certs failed: %s", err ? err : "?"), "");
		free(err);
		return;
	}
	buf_init(&bad);
	buf_init(&unused);
	for (size_t i = 0; i < n; i++) {
		const struct vici_node *data = vici_child(ev[i], "data");
		struct x509_info xi;
		time_t nb, na;
		if (!data || data->type != VICI_NODE_KV || !str_eq(vici_find_str(ev[i], "type", NULL), "X509"))
			continue;
		certs++;
		if (x509_parse(data->value, data->len, &xi) != 0)
			continue;
		nb = xi.not_before;
		na = xi.not_after;
		if (now >= nb && now <= na && na - now >= DOCTOR_LIVE_CERT_SOON)
			continue;
		/* name it by its subject: an admin knows "CN=gw-a", not "certificate 3" */
		struct buf dn;
		buf_init(&dn);
		if (x509_dn_text(xi.subject, xi.subject_len, &dn) != 0 || !dn.len) {
			buf_free(&dn);
			buf_printf(&dn, "number %zu", certs);
		}
		if (!cert_in_use(dn.data, used, n_used)) {
			buf_printf(&unused, "%s\"%s\"", unused.len ? ", " : "", dn.data);
		} else if (now < nb || now > na) {
			st = DOCTOR_LIVE_PROBLEM;
			buf_printf(&bad, "%scertificate \"%s\" %s", bad.len ? "; " : "", dn.data,
				   now < nb ? "is not valid yet" : "has expired");
		} else {
			st = st == DOCTOR_LIVE_PROBLEM ? st : DOCTOR_LIVE_WARN;
			buf_printf(&bad, "%scertificate \"%s\" expires in %lld days", bad.len ? "; " : "",
				   dn.data, (long long)((na - now) / 86400));
		}
		buf_free(&dn);
	}
	vici_nodes_free(ev, n);
	if (unused.len)
		buf_printf(&bad, "%s%s: expired, not yet valid or expiring, but no loaded connection uses "
			   "it (charon keeps certificates until it restarts)", bad.len ? "; " : "",
			   unused.data);
	buf_free(&unused);
	if (certs == 0)
		add(r, "certificates", DOCTOR_LIVE_OK, xstrdup("no X.509 certificate loaded (PSK only)"), "");
	else if (st == DOCTOR_LIVE_OK && !bad.len)
		add(r, "certificates", DOCTOR_LIVE_OK, xasprintf("%zu X.509 certificate%s loaded, all valid now", certs,
							   certs == 1 ? "" : "s"), "");
	else if (st == DOCTOR_LIVE_OK)
		add(r, "certificates", DOCTOR_LIVE_OK, buf_steal(&bad), "");
	else
		add(r, "certificates", st, buf_steal(&bad),
		    "renew the certificate (cert/ca in the tunnel file) or fix the clock, then tunnelctl apply");
	buf_free(&bad);
}

int doctor_live_run(const struct doctor_live_opts *o, struct doctor_live_report *r)
{
	struct vici_client *c = NULL;
	char *err = NULL;
	int problems = 0;
	struct conn_facts facts = { 0 };

	r->n = 0;
	/* charon over VICI first: the checks that ask it need it */
	if (vici_client_connect(o->vici ? o->vici : "unix:///var/run/charon.vici", DOCTOR_LIVE_VICI_TIMEOUT_MS, &c,
				&err) != 0) {
		add(r, "charon", DOCTOR_LIVE_PROBLEM, xasprintf("%s", err ? err : "charon is not reachable over VICI"),
		    "tunnelctl service start (or systemctl start strongswan); with --vici / TUNNELCTL_VICI "
		    "pointing at its socket");
		free(err);
	} else {
		struct vici_node *reply = NULL;
		if (vici_client_request(c, "version", NULL, DOCTOR_LIVE_VICI_TIMEOUT_MS, &reply, &err) == 0)
			add(r, "charon", DOCTOR_LIVE_OK,
			    xasprintf("charon %s answers over VICI", vici_find_str(reply, "version", "?")), "");
		else
			add(r, "charon", DOCTOR_LIVE_PROBLEM, xasprintf("VICI does not answer: %s", err ? err : "?"),
			    "restart charon (tunnelctl service restart)");
		free(err);
		vici_node_free(reply);
		check_conns(c, r, &facts);
		check_plugins(o, c, &facts, r);
		check_certs(c, r, facts.cert_dns, facts.n_cert_dns);
		vici_client_close(c);
	}
	check_udp(o, r);
	check_nft(r);
	check_sysctl(o, r, facts.ipv6);
	check_clock(r);
	for (size_t i = 0; i < facts.n_cert_dns; i++)
		free(facts.cert_dns[i]);
	free(facts.cert_dns);
	for (size_t i = 0; i < r->n; i++)
		problems += r->c[i].status == DOCTOR_LIVE_PROBLEM;
	return problems;
}

void doctor_live_report_free(struct doctor_live_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->c[i].detail);
		free(r->c[i].fix);
	}
	r->n = 0;
}
