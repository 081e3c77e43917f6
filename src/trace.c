/* trace.c - which phase 2 would carry a packet: selectors, charon's policy priorities, the
 * winning policy and the SA behind it (see trace.h). Pure: no sockets, no printing. */
#include "trace.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"

const char *const trace_action_names[] = { "ipsec", "pass", "drop" };
const char *const trace_origin_names[] = { "kernel", "charon", "config" };
const char *const trace_dir_names[] = { "in", "out", "fwd" };
const char *const trace_kind_names[] = { "carried", "trap", "planned", "bypass", "drop",
					 "no_sa", "disabled", "down", "not_covered", "unrouted", "swallowed" };

/* charon's policy priority classes (kernel-netlink adds PRIO_BASE per class, kernel-libipsec
 * doubles its base per class). */
enum prio_class { PRIO_PASS, PRIO_DEFAULT, PRIO_ROUTED, PRIO_FALLBACK };
#define NETLINK_PRIO_BASE 200000u
#define LIBIPSEC_PRIO_BASE 384u
#define PORT_BITS 16u

static size_t addr_len(int fam)
{
	return fam == AF_INET6 ? 16 : 4;
}

static unsigned addr_bits(int fam)
{
	return fam == AF_INET6 ? 128 : 32;
}

/* Leading bits a and b share, up to max. */
static unsigned common_bits(const unsigned char *a, const unsigned char *b, unsigned max)
{
	unsigned n = 0;

	while (n < max && ((a[n / 8] ^ b[n / 8]) & (0x80 >> (n % 8))) == 0)
		n++;
	return n;
}

/* ---- selectors ---------------------------------------------------------------------------- */

static bool parse_addr(const char *s, size_t len, int *fam, unsigned char out[16])
{
	char tmp[INET6_ADDRSTRLEN];

	if (len == 0 || len >= sizeof(tmp))
		return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	memset(out, 0, 16);
	if (inet_pton(AF_INET, tmp, out) == 1)
		*fam = AF_INET;
	else if (inet_pton(AF_INET6, tmp, out) == 1)
		*fam = AF_INET6;
	else
		return false;
	return true;
}

static bool parse_num(const char *s, size_t len, unsigned max, unsigned *out)
{
	unsigned long v = 0;

	if (len == 0 || len > 5)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

static bool parse_addrs(const char *s, size_t len, struct trace_sel *out)
{
	const char *dots = memmem(s, len, "..", 2), *slash = memchr(s, '/', len);
	int fam2;
	unsigned bits, max;

	if (dots) {
		if (!parse_addr(s, (size_t)(dots - s), &out->fam, out->lo) ||
		    !parse_addr(dots + 2, len - (size_t)(dots - s) - 2, &fam2, out->hi) || fam2 != out->fam ||
		    memcmp(out->lo, out->hi, addr_len(out->fam)) > 0)
			return false;
		out->plen = TRACE_RANGE;
		return true;
	}
	if (!parse_addr(s, slash ? (size_t)(slash - s) : len, &out->fam, out->lo))
		return false;
	max = addr_bits(out->fam);
	bits = max;
	if (slash && !parse_num(slash + 1, len - (size_t)(slash - s) - 1, max, &bits))
		return false;
	out->plen = bits;
	memcpy(out->hi, out->lo, 16);
	for (unsigned i = bits; i < max; i++) {
		out->lo[i / 8] &= (unsigned char)~(0x80 >> (i % 8));
		out->hi[i / 8] |= (unsigned char)(0x80 >> (i % 8));
	}
	return true;
}

static bool is_icmp(unsigned proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

/* One port or ICMP type as charon prints it: a number, a service name, or TYPE(CODE). */
static bool parse_port(const char *s, size_t len, unsigned proto, unsigned *out)
{
	char tmp[64];
	const struct protoent *pe;
	const struct servent *se;
	const char *paren = memchr(s, '(', len);
	unsigned type, code = 0;

	if (is_icmp(proto)) {
		if (paren) {
			if (s[len - 1] != ')' ||
			    !parse_num(paren + 1, len - (size_t)(paren - s) - 2, 255, &code))
				return false;
			len = (size_t)(paren - s);
		}
		if (!parse_num(s, len, 255, &type))
			return false;
		*out = type << 8 | code;
		return true;
	}
	if (parse_num(s, len, TRACE_PORT_ANY_HI, out))
		return true;
	if (len >= sizeof(tmp))
		return false;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	pe = getprotobynumber((int)proto);
	se = getservbyname(tmp, pe ? pe->p_name : NULL);
	if (!se)
		return false;
	*out = ntohs((uint16_t)se->s_port);
	return true;
}

static bool parse_proto_ports(const char *s, size_t len, struct trace_sel *out)
{
	const char *slash = memchr(s, '/', len), *dash;
	size_t plen = slash ? (size_t)(slash - s) : len;
	char tmp[64];

	if (!parse_num(s, plen, 255, &out->proto)) {
		const struct protoent *pe;
		if (plen == 0 || plen >= sizeof(tmp))
			return false;
		memcpy(tmp, s, plen);
		tmp[plen] = '\0';
		pe = getprotobyname(tmp);
		if (!pe)
			return false;
		out->proto = (unsigned)pe->p_proto;
	}
	if (!slash)
		return true;
	s = slash + 1;
	len -= plen + 1;
	if (len == 6 && memcmp(s, "OPAQUE", 6) == 0) {
		/* ports not known (a fragment): matches no port */
		out->port_lo = TRACE_PORT_ANY_HI;
		out->port_hi = 0;
		return true;
	}
	dash = memchr(s, '-', len);
	if (!dash) {
		if (!parse_port(s, len, out->proto, &out->port_lo))
			return false;
		out->port_hi = out->port_lo;
		return true;
	}
	return parse_port(s, (size_t)(dash - s), out->proto, &out->port_lo) &&
	       parse_port(dash + 1, len - (size_t)(dash - s) - 1, out->proto, &out->port_hi) &&
	       out->port_lo <= out->port_hi;
}

bool trace_sel_parse(const char *s, struct trace_sel *out)
{
	const char *br = strchr(s, '[');
	size_t len = br ? (size_t)(br - s) : strlen(s);

	memset(out, 0, sizeof(*out));
	out->port_hi = TRACE_PORT_ANY_HI;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (!parse_addrs(s, len, out))
		return false;
	if (!br)
		return true;
	len = strlen(br);
	if (len < 3 || br[len - 1] != ']')
		return false;
	return parse_proto_ports(br + 1, len - 2, out);
}

static bool ports_any(const struct trace_sel *s)
{
	return s->port_lo == 0 && s->port_hi == TRACE_PORT_ANY_HI;
}

char *trace_proto_name(unsigned proto, char *out, size_t len)
{
	const struct protoent *pe = proto ? getprotobynumber((int)proto) : NULL;

	if (pe)
		snprintf(out, len, "%s", pe->p_name);
	else
		snprintf(out, len, "%u", proto);
	return out;
}

/* A port as a number; ICMP's type and code as charon prints them: TYPE or TYPE(CODE). */
static char *port_text(unsigned proto, unsigned port, char *out, size_t len)
{
	if (is_icmp(proto) && (port & 0xff))
		snprintf(out, len, "%u(%u)", port >> 8, port & 0xff);
	else if (is_icmp(proto))
		snprintf(out, len, "%u", port >> 8);
	else
		snprintf(out, len, "%u", port);
	return out;
}

char *trace_sel_format(const struct trace_sel *s, char *out, size_t len)
{
	char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN], proto[32];
	int n;

	inet_ntop(s->fam, s->lo, lo, sizeof(lo));
	if (s->plen == TRACE_RANGE) {
		inet_ntop(s->fam, s->hi, hi, sizeof(hi));
		n = snprintf(out, len, "%s..%s", lo, hi);
	} else {
		n = snprintf(out, len, "%s/%u", lo, s->plen);
	}
	if (n < 0 || (size_t)n >= len || (!s->proto && ports_any(s)))
		return out;
	trace_proto_name(s->proto, proto, sizeof(proto));
	if (ports_any(s))
		snprintf(out + n, len - (size_t)n, "[%s]", proto);
	else if (s->port_lo > s->port_hi)
		snprintf(out + n, len - (size_t)n, "[%s/OPAQUE]", proto);
	else if (s->port_lo == s->port_hi)
		snprintf(out + n, len - (size_t)n, "[%s/%s]", proto, port_text(s->proto, s->port_lo, lo, sizeof(lo)));
	else
		snprintf(out + n, len - (size_t)n, "[%s/%s-%s]", proto, port_text(s->proto, s->port_lo, lo, sizeof(lo)),
			 port_text(s->proto, s->port_hi, hi, sizeof(hi)));
	return out;
}

static bool sel_contains(const struct trace_sel *s, const unsigned char *a)
{
	size_t l = addr_len(s->fam);

	return memcmp(s->lo, a, l) <= 0 && memcmp(a, s->hi, l) <= 0;
}

/* Whether the packet's port (ICMP: type, code 0) is in the selector's range; a source port
 * is never given, so only an unrestricted source side matches. */
static bool port_ok(const struct trace_packet *p, const struct trace_sel *s, bool source)
{
	unsigned port;

	if (ports_any(s))
		return true;
	if (source && !is_icmp(s->proto))
		return false;
	if (p->port < 0)
		return false;
	port = is_icmp(s->proto) ? (unsigned)p->port << 8 : (unsigned)p->port;
	return s->port_lo <= port && port <= s->port_hi;
}

unsigned trace_match(const struct trace_packet *p, const struct trace_sel *src, const struct trace_sel *dst)
{
	unsigned miss = 0;

	if (src->fam != p->fam || dst->fam != p->fam)
		return TRACE_MISS_FAMILY;
	if (!sel_contains(src, p->src))
		miss |= TRACE_MISS_SRC;
	if (!sel_contains(dst, p->dst))
		miss |= TRACE_MISS_DST;
	if ((src->proto && src->proto != p->proto) || (dst->proto && dst->proto != p->proto))
		miss |= TRACE_MISS_PROTO;
	else if (!port_ok(p, src, true) || !port_ok(p, dst, false))
		miss |= TRACE_MISS_PORT;
	return miss;
}

/* ---- priorities ------------------------------------------------------------------------ */

/* The prefix length of the smallest subnet that holds the selector's addresses. */
static unsigned subnet_bits(const struct trace_sel *s)
{
	if (s->plen != TRACE_RANGE)
		return s->plen;
	return common_bits(s->lo, s->hi, addr_bits(s->fam));
}

/* Bits of the port mask the kernel gets for a port range (16 for one port, 0 for any). */
static unsigned port_bits(const struct trace_sel *s)
{
	unsigned char a[2], b[2];

	if (ports_any(s) || s->port_lo > s->port_hi)
		return 0;
	a[0] = (unsigned char)(s->port_lo >> 8);
	a[1] = (unsigned char)s->port_lo;
	b[0] = (unsigned char)(s->port_hi >> 8);
	b[1] = (unsigned char)s->port_hi;
	return common_bits(a, b, PORT_BITS);
}

static enum prio_class prio_class(enum trace_action action, bool trap)
{
	if (action == TRACE_ACT_PASS)
		return PRIO_PASS;
	if (action == TRACE_ACT_DROP)
		return PRIO_FALLBACK;
	return trap ? PRIO_ROUTED : PRIO_DEFAULT;
}

uint32_t trace_priority(const struct trace_sel *src, const struct trace_sel *dst, enum trace_action action,
			bool trap, bool libipsec)
{
	enum prio_class c = prio_class(action, trap);
	bool proto = src->proto || dst->proto;
	uint32_t prio;

	if (libipsec) {
		/* kernel-libipsec: base doubled per class, minus prefix lengths, two flag bits */
		bool port = port_bits(src) == PORT_BITS || port_bits(dst) == PORT_BITS;
		prio = LIBIPSEC_PRIO_BASE << (c == PRIO_PASS ? 0 : c == PRIO_DEFAULT ? 1 : c == PRIO_ROUTED ? 2 : 3);
		prio -= subnet_bits(src) + subnet_bits(dst);
		return (prio << 2) + (port ? 0 : 2) + (proto ? 0 : 1);
	}
	/* kernel-netlink: a base per class, minus 512 per prefix bit, 256 for a protocol, 4 per
	 * port mask bit, and 1 for all but trap policies */
	prio = NETLINK_PRIO_BASE * (c == PRIO_PASS ? 1u : c == PRIO_FALLBACK ? 3u : 2u);
	prio -= (subnet_bits(src) + subnet_bits(dst)) * 512;
	prio -= proto ? 256 : 0;
	prio -= (port_bits(src) + port_bits(dst)) * 4;
	prio -= c != PRIO_ROUTED;
	return prio;
}

/* ---- collections ----------------------------------------------------------------------- */

int trace_policies_add(struct trace_policies *ps, const struct trace_policy *p)
{
	if (ps->n >= TRACE_MAX_POLICIES)
		return -E2BIG;
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 16;
		ps->v = xrealloc(ps->v, ps->cap * sizeof(*ps->v));
	}
	ps->v[ps->n++] = *p;
	return 0;
}

void trace_policies_free(struct trace_policies *ps)
{
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}

static enum tunnel_action action_from_name(const char *s)
{
	if (str_eq(s, "start"))
		return TUNNEL_ACTION_START;
	if (str_eq(s, "trap"))
		return TUNNEL_ACTION_TRAP;
	return TUNNEL_ACTION_NONE;
}

struct trace_entry *trace_entries_from_file(const struct tunnel_file *tf, size_t *n)
{
	struct trace_entry *v = NULL;
	size_t k = 0;

	for (size_t i = 0; i < tf->n_p1; i++)
		k += tf->p1[i].n_p2;
	v = xcalloc(k ? k : 1, sizeof(*v));
	k = 0;
	for (size_t i = 0; i < tf->n_p1; i++) {
		const struct tunnel_phase1 *p1 = &tf->p1[i];
		for (size_t j = 0; j < p1->n_p2; j++) {
			const struct tunnel_phase2 *p2 = &p1->p2[j];
			struct trace_entry *e = &v[k++];
			naming_ike(p1, e->ike);
			naming_child(p1, p2, e->child);
			e->ikeid = p1->ikeid;
			e->reqid = p2->reqid;
			e->description = p2->description;
			e->p1_enabled = p1->enabled;
			e->p2_enabled = p2->enabled;
			e->start_action = action_from_name(compile_start_action(p1, p2));
			e->valid = p2->local && p2->remote && trace_sel_parse(p2->local, &e->local) &&
				   trace_sel_parse(p2->remote, &e->remote);
		}
	}
	*n = k;
	return v;
}

static void add_pair(struct trace_policies *out, const struct trace_policy *tmpl, const struct trace_sel *src,
		     const struct trace_sel *dst, bool libipsec)
{
	struct trace_policy p = *tmpl;

	if (src->fam != dst->fam)
		return;
	p.src = *src;
	p.dst = *dst;
	p.priority = trace_priority(src, dst, p.action, p.trap, libipsec);
	p.index = (uint32_t)out->n;
	trace_policies_add(out, &p);
}

void trace_policies_from_file(const struct tunnel_file *tf, const struct trace_entry *ent, size_t n_ent,
			      struct trace_policies *out)
{
	struct trace_sel *nets = xcalloc(tf->global.bypass_networks.n + 1, sizeof(*nets));
	size_t n_nets = 0;

	for (size_t i = 0; i < n_ent; i++) {
		const struct trace_entry *e = &ent[i];
		struct trace_policy p = { .origin = TRACE_FROM_CONFIG, .dir = TRACE_DIR_OUT,
					  .action = TRACE_ACT_IPSEC, .reqid = e->reqid,
					  .trap = e->start_action == TUNNEL_ACTION_TRAP };
		if (!e->valid || !e->p1_enabled || !e->p2_enabled)
			continue;
		memcpy(p.child, e->child, sizeof(p.child));
		add_pair(out, &p, &e->local, &e->remote, false);
	}
	/* the bypass child: every listed network to every listed network (compile.c) */
	for (size_t i = 0; i < tf->global.bypass_networks.n; i++)
		if (trace_sel_parse(tf->global.bypass_networks.v[i], &nets[n_nets]))
			n_nets++;
	for (size_t i = 0; i < n_nets; i++)
		for (size_t j = 0; j < n_nets; j++) {
			struct trace_policy p = { .origin = TRACE_FROM_CONFIG, .dir = TRACE_DIR_OUT,
						  .action = TRACE_ACT_PASS, .trap = true };
			add_pair(out, &p, &nets[i], &nets[j], false);
		}
	free(nets);
}

static void copy_name(char dst[NAMING_MAX], const char *src)
{
	snprintf(dst, NAMING_MAX, "%s", src ? src : "");
}

/* Parse a list of selectors (local-ts/remote-ts); unparsable ones are left out. */
static size_t sels_from_list(const struct vici_node *l, struct trace_sel *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; l && l->type == VICI_NODE_LIST && i < l->n_child && n < max; i++) {
		const char *s = vici_list_str(l, i);
		if (s && trace_sel_parse(s, &out[n]))
			n++;
	}
	return n;
}

struct trace_sa *trace_sas_from_vici(struct vici_node *const *events, size_t n_events, size_t *n)
{
	struct trace_sa *v = NULL;
	size_t k = 0, cap = 0;

	for (size_t e = 0; e < n_events; e++) {
		for (size_t i = 0; events[e] && i < events[e]->n_child; i++) {
			const struct vici_node *ike = events[e]->child[i];
			const struct vici_node *cs = vici_child(ike, "child-sas");
			for (size_t j = 0; ike->type == VICI_NODE_SECTION && cs && j < cs->n_child; j++) {
				const struct vici_node *c = cs->child[j];
				uint64_t reqid = 0;
				struct trace_sa *sa;
				if (c->type != VICI_NODE_SECTION)
					continue;
				if (k == cap) {
					cap = cap ? cap * 2 : 8;
					v = xrealloc(v, cap * sizeof(*v));
				}
				sa = &v[k++];
				memset(sa, 0, sizeof(*sa));
				copy_name(sa->ike, ike->name);
				copy_name(sa->child, vici_find_str(c, "name", c->name));
				if (vici_get_u64(c, "reqid", &reqid) == 0 && reqid <= UINT32_MAX)
					sa->reqid = (unsigned)reqid;
				snprintf(sa->state, sizeof(sa->state), "%s", vici_find_str(c, "state", ""));
				snprintf(sa->spi_in, sizeof(sa->spi_in), "%s", vici_find_str(c, "spi-in", ""));
				snprintf(sa->spi_out, sizeof(sa->spi_out), "%s", vici_find_str(c, "spi-out", ""));
				sa->n_local = sels_from_list(vici_child(c, "local-ts"), sa->local, TRACE_MAX_TS);
				sa->n_remote = sels_from_list(vici_child(c, "remote-ts"), sa->remote, TRACE_MAX_TS);
			}
		}
	}
	*n = k;
	return v;
}

/* Whether a child SA state means its SAs are in place and carry traffic. */
static bool sa_carries(const struct trace_sa *sa)
{
	return str_eq(sa->state, "INSTALLED") || str_eq(sa->state, "REKEYING");
}

void trace_policies_from_vici(struct vici_node *const *events, size_t n_events, const struct trace_sa *sa,
			      size_t n_sa, struct trace_policies *out)
{
	struct trace_sel *l = xcalloc(TRACE_MAX_TS, sizeof(*l)), *r = xcalloc(TRACE_MAX_TS, sizeof(*r));

	for (size_t e = 0; e < n_events; e++) {
		for (size_t i = 0; events[e] && i < events[e]->n_child; i++) {
			const struct vici_node *s = events[e]->child[i];
			const char *mode = vici_find_str(s, "mode", "");
			struct trace_policy p = { .origin = TRACE_FROM_CHARON, .dir = TRACE_DIR_OUT };
			size_t nl, nr;
			if (s->type != VICI_NODE_SECTION)
				continue;
			if (strcasecmp(mode, "pass") == 0)
				p.action = TRACE_ACT_PASS;
			else if (strcasecmp(mode, "drop") == 0)
				p.action = TRACE_ACT_DROP;
			else
				p.action = TRACE_ACT_IPSEC;
			/* list-pols lists charon's traps and shunts; shunts are installed for good */
			p.trap = true;
			copy_name(p.child, vici_find_str(s, "child", ""));
			nl = sels_from_list(vici_child(s, "local-ts"), l, TRACE_MAX_TS);
			nr = sels_from_list(vici_child(s, "remote-ts"), r, TRACE_MAX_TS);
			for (size_t a = 0; a < nl; a++)
				for (size_t b = 0; b < nr; b++)
					add_pair(out, &p, &l[a], &r[b], true);
		}
	}
	for (size_t i = 0; i < n_sa; i++) {
		struct trace_policy p = { .origin = TRACE_FROM_CHARON, .dir = TRACE_DIR_OUT,
					  .action = TRACE_ACT_IPSEC, .reqid = sa[i].reqid };
		if (!sa_carries(&sa[i]))
			continue;
		copy_name(p.child, sa[i].child);
		for (size_t a = 0; a < sa[i].n_local; a++)
			for (size_t b = 0; b < sa[i].n_remote; b++)
				add_pair(out, &p, &sa[i].local[a], &sa[i].remote[b], true);
	}
	free(l);
	free(r);
}

static bool sel_equal(const struct trace_sel *a, const struct trace_sel *b)
{
	return a->fam == b->fam && subnet_bits(a) == subnet_bits(b) && memcmp(a->lo, b->lo, 16) == 0 &&
	       a->proto == b->proto && a->port_lo == b->port_lo && a->port_hi == b->port_hi;
}

void trace_mark_traps(struct trace_policies *kernel, const struct trace_policies *charon)
{
	for (size_t i = 0; i < kernel->n; i++) {
		struct trace_policy *k = &kernel->v[i];
		for (size_t j = 0; j < charon->n; j++) {
			const struct trace_policy *c = &charon->v[j];
			if (c->action != k->action || !sel_equal(&c->src, &k->src) || !sel_equal(&c->dst, &k->dst))
				continue;
			k->trap |= c->trap && !c->reqid;
			if (!k->child[0])
				copy_name(k->child, c->child);
		}
	}
}

/* ---- the decision ----------------------------------------------------------------------- */

static unsigned specificity(const struct trace_policy *p)
{
	return (subnet_bits(&p->src) + subnet_bits(&p->dst)) * 4 + ((p->src.proto || p->dst.proto) ? 2 : 0) +
	       (!ports_any(&p->src) || !ports_any(&p->dst) ? 1 : 0);
}

/* Lower priority value wins; among the kernel's equals the older one (lower index: the kernel
 * numbers policies as it adds them), elsewhere the more specific selectors, then the one
 * listed first. */
static bool better(const struct trace_policy *a, const struct trace_policy *b)
{
	if (!b)
		return true;
	if (a->priority != b->priority)
		return a->priority < b->priority;
	if (a->origin == TRACE_FROM_KERNEL && b->origin == TRACE_FROM_KERNEL)
		return a->index < b->index;
	if (specificity(a) != specificity(b))
		return specificity(a) > specificity(b);
	return a->index < b->index;
}

static bool sa_covers(const struct trace_sa *sa, const struct trace_packet *p)
{
	for (size_t a = 0; a < sa->n_local; a++)
		for (size_t b = 0; b < sa->n_remote; b++)
			if (trace_match(p, &sa->local[a], &sa->remote[b]) == 0)
				return true;
	return false;
}

/* The SA behind an IPsec policy: same reqid (kernel) or same child name (charon, config),
 * carrying, and covering the packet; an installed one before one that is rekeying. */
static const struct trace_sa *sa_of(const struct trace_input *in, const struct trace_policy *pol,
				    const struct trace_packet *p)
{
	const struct trace_sa *found = NULL;

	for (size_t i = 0; i < in->n_sa; i++) {
		const struct trace_sa *sa = &in->sa[i];
		bool same = pol->reqid ? sa->reqid == pol->reqid : pol->child[0] && str_eq(sa->child, pol->child);
		if (!same || !sa_carries(sa) || !sa_covers(sa, p))
			continue;
		if (!found || (str_eq(sa->state, "INSTALLED") && !str_eq(found->state, "INSTALLED")))
			found = sa;
	}
	return found;
}

static bool entry_covers(const struct trace_entry *e, const struct trace_packet *p)
{
	return e->valid && trace_match(p, &e->local, &e->remote) == 0;
}

/* The phase 2 covering the packet: named name when given, enabled or not as asked. */
static const struct trace_entry *entry_for(const struct trace_input *in, const struct trace_packet *p,
					   const char *name, bool enabled)
{
	for (size_t i = 0; i < in->n_ent; i++) {
		const struct trace_entry *e = &in->ent[i];
		if ((e->p1_enabled && e->p2_enabled) != enabled || !entry_covers(e, p))
			continue;
		if (!name || !*name || str_eq(e->child, name))
			return e;
	}
	return NULL;
}

/* How near a selector pair comes to the packet: fewer misses first, then longer shared prefixes. */
static unsigned nearness(const struct trace_packet *p, const struct trace_sel *l, const struct trace_sel *r,
			 unsigned *miss)
{
	unsigned n = 0, bits;

	*miss = trace_match(p, l, r);
	if (*miss & TRACE_MISS_FAMILY)
		return 0;
	for (unsigned m = *miss & (TRACE_MISS_SRC | TRACE_MISS_DST | TRACE_MISS_PROTO | TRACE_MISS_PORT); m; m &= m - 1)
		n++;
	bits = common_bits(p->src, l->lo, subnet_bits(l)) + common_bits(p->dst, r->lo, subnet_bits(r));
	return (5 - n) * 1024 + bits + 1;
}

/* The nearest of the phase 2 entries, the child SAs and the outbound IPsec policies; on a tie
 * a phase 2 before an SA before a policy (the tunnel file names things best). */
static void closest(const struct trace_input *in, const struct trace_packet *p, struct trace_verdict *v)
{
	unsigned best = 0, score, miss;

	for (size_t i = 0; i < in->n_ent; i++) {
		const struct trace_entry *e = &in->ent[i];
		if (!e->valid || (score = nearness(p, &e->local, &e->remote, &miss)) <= best)
			continue;
		best = score;
		v->entry = e;
		v->miss = miss;
	}
	for (size_t i = 0; i < in->n_sa; i++)
		for (size_t a = 0; a < in->sa[i].n_local; a++)
			for (size_t b = 0; b < in->sa[i].n_remote; b++) {
				score = nearness(p, &in->sa[i].local[a], &in->sa[i].remote[b], &miss);
				if (score <= best)
					continue;
				best = score;
				v->entry = NULL;
				v->closest_sa = &in->sa[i];
				v->miss = miss;
			}
	for (size_t i = 0; i < in->n_pol; i++) {
		const struct trace_policy *pol = &in->pol[i];
		if (pol->dir != TRACE_DIR_OUT || pol->action != TRACE_ACT_IPSEC ||
		    (score = nearness(p, &pol->src, &pol->dst, &miss)) <= best)
			continue;
		best = score;
		v->entry = NULL;
		v->closest_sa = NULL;
		v->closest_policy = pol;
		v->miss = miss;
	}
	if (v->entry)
		copy_name(v->child, v->entry->child);
	else if (v->closest_sa)
		copy_name(v->child, v->closest_sa->child);
	else if (v->closest_policy)
		copy_name(v->child, v->closest_policy->child);
}

static enum trace_kind ipsec_kind(const struct trace_policy *pol, const struct trace_sa *sa)
{
	if (sa)
		return TRACE_CARRIED;
	if (pol->origin == TRACE_FROM_CONFIG)
		return TRACE_PLANNED;
	return pol->trap ? TRACE_TRAP : TRACE_NO_SA;
}

/* Whether a policy takes part in the decision: outbound, and under kernel-libipsec an IPsec
 * one (its policy manager ignores pass and drop policies, ipsec_policy_mgr.c). */
static bool decides(const struct trace_input *in, const struct trace_policy *pol)
{
	return pol->dir == TRACE_DIR_OUT && (!in->libipsec || pol->action == TRACE_ACT_IPSEC);
}

void trace_decide(const struct trace_input *in, const struct trace_packet *p, struct trace_verdict *v)
{
	const struct trace_policy *best = NULL, *shunt = NULL;

	memset(v, 0, sizeof(*v));
	for (size_t i = 0; i < in->n_pol; i++) {
		const struct trace_policy *pol = &in->pol[i];
		if (pol->dir != TRACE_DIR_OUT || trace_match(p, &pol->src, &pol->dst) != 0)
			continue;
		v->n_matching++;
		if (decides(in, pol) && better(pol, best))
			best = pol;
		else if (!decides(in, pol) && better(pol, shunt))
			shunt = pol;
	}
	/* kernel-libipsec: a packet the route keeps out of its TUN device meets no policy */
	if (in->libipsec && in->route_tun == 0 && (best || shunt)) {
		v->policy = best ? best : shunt;
		v->kind = v->policy->action == TRACE_ACT_PASS ? TRACE_BYPASS : TRACE_UNROUTED;
		copy_name(v->child, v->policy->child);
		if (best)
			v->entry = entry_for(in, p, v->child, true);
		return;
	}
	if (!best && shunt) {
		v->policy = shunt;
		copy_name(v->child, shunt->child);
		v->kind = in->libipsec ? TRACE_SWALLOWED : shunt->action == TRACE_ACT_PASS ? TRACE_BYPASS : TRACE_DROP;
		return;
	}
	v->policy = best;
	if (best) {
		switch (best->action) {
		case TRACE_ACT_PASS:
			v->kind = TRACE_BYPASS;
			return;
		case TRACE_ACT_DROP:
			v->kind = TRACE_DROP;
			return;
		case TRACE_ACT_IPSEC:
			break;
		}
		v->sa = sa_of(in, best, p);
		v->kind = ipsec_kind(best, v->sa);
		copy_name(v->child, v->sa ? v->sa->child : best->child);
		v->entry = entry_for(in, p, v->child, true);
		if (!v->child[0] && v->entry)
			copy_name(v->child, v->entry->child);
		return;
	}
	if ((v->entry = entry_for(in, p, NULL, true))) {
		v->kind = TRACE_DOWN;
	} else if ((v->entry = entry_for(in, p, NULL, false))) {
		v->kind = TRACE_DISABLED;
	} else {
		v->kind = TRACE_NOT_COVERED;
		closest(in, p, v);
		return;
	}
	copy_name(v->child, v->entry->child);
}
