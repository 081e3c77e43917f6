/* xfrm_nl.c - XFRM policy dump and route lookup over netlink (see xfrm_nl.h). */
#include "xfrm_nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/xfrm.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

/* The kernel's NLA_* macros mix int and size_t; these are the same values, unsigned. */
#define ATTR_TYPE_MASK 0x3fffu	/* without NLA_F_NESTED and NLA_F_NET_BYTEORDER */
#define ATTR_ALIGN(n) (((n) + 3u) & ~(size_t)3u)
#define ATTR_HDRLEN sizeof(struct nlattr)

static void say(char err[XFRM_NL_ERR_MAX], const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(char err[XFRM_NL_ERR_MAX], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, XFRM_NL_ERR_MAX, fmt, ap);
	va_end(ap);
}

/* ---- decoding ------------------------------------------------------------------------- */

/* The next whole netlink message at data[*off]; NULL at the end or when malformed (*bad). */
static const struct nlmsghdr *next_msg(const unsigned char *data, size_t len, size_t *off, bool *bad,
				       char err[XFRM_NL_ERR_MAX])
{
	struct nlmsghdr h;
	const struct nlmsghdr *m;
	size_t aligned;

	*bad = false;
	if (*off >= len)
		return NULL;
	if (len - *off < sizeof(h)) {
		say(err, "netlink: %zu stray bytes at offset %zu", len - *off, *off);
		*bad = true;
		return NULL;
	}
	memcpy(&h, data + *off, sizeof(h));
	if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - *off) {
		say(err, "netlink: message at offset %zu has length %u (%zu bytes left)", *off, h.nlmsg_len,
		    len - *off);
		*bad = true;
		return NULL;
	}
	m = (const struct nlmsghdr *)(const void *)(data + *off);
	aligned = NLMSG_ALIGN((size_t)h.nlmsg_len);
	*off = aligned > len - *off ? len : *off + aligned;
	return m;
}

/* The errno of an NLMSG_ERROR (0 is an acknowledgement), or 1 when the message is too short. */
static int msg_error(const struct nlmsghdr *h)
{
	struct nlmsgerr e;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(e)))
		return 1;
	memcpy(&e, NLMSG_DATA(h), sizeof(e));
	return e.error;
}

/* Walk the attributes in [p, p + len): calls fn for each; false when one is malformed. */
typedef void (*attr_fn)(void *arg, unsigned type, const unsigned char *val, size_t len);
static bool each_attr(const unsigned char *p, size_t len, attr_fn fn, void *arg)
{
	while (len >= sizeof(struct nlattr)) {
		struct nlattr a;
		size_t step;
		memcpy(&a, p, sizeof(a));
		if (a.nla_len < sizeof(a) || a.nla_len > len)
			return false;
		fn(arg, a.nla_type & ATTR_TYPE_MASK, p + sizeof(a), a.nla_len - sizeof(a));
		step = ATTR_ALIGN((size_t)a.nla_len);
		if (step >= len)
			return true;
		p += step;
		len -= step;
	}
	return len == 0;
}

static bool sel_from_kernel(int fam, const xfrm_address_t *a, unsigned plen, unsigned proto, struct trace_sel *s)
{
	unsigned max = fam == AF_INET6 ? 128 : 32;

	if ((fam != AF_INET && fam != AF_INET6) || plen > max)
		return false;
	memset(s, 0, sizeof(*s));
	s->fam = fam;
	s->plen = plen;
	s->proto = proto;
	s->port_hi = TRACE_PORT_ANY_HI;
	memcpy(s->lo, fam == AF_INET6 ? (const void *)a->a6 : (const void *)&a->a4, fam == AF_INET6 ? 16 : 4);
	memcpy(s->hi, s->lo, 16);
	for (unsigned i = plen; i < max; i++) {
		s->lo[i / 8] &= (unsigned char)~(0x80 >> (i % 8));
		s->hi[i / 8] |= (unsigned char)(0x80 >> (i % 8));
	}
	return true;
}

static void ports_from_kernel(struct trace_sel *s, uint16_t port_be, uint16_t mask_be)
{
	unsigned mask = ntohs(mask_be);

	if (!mask)
		return;
	s->port_lo = ntohs(port_be) & mask;
	s->port_hi = s->port_lo | (~mask & TRACE_PORT_ANY_HI);
}

struct policy_attrs {
	unsigned reqid;
	bool has_tmpl, sub, conditional;
};

static void policy_attr(void *arg, unsigned type, const unsigned char *val, size_t len)
{
	struct policy_attrs *pa = arg;
	struct xfrm_user_tmpl t;
	struct xfrm_userpolicy_type pt;
	struct xfrm_mark mark;
	uint32_t if_id;

	switch (type) {
	case XFRMA_TMPL:
		if (len < sizeof(t))
			return;
		memcpy(&t, val, sizeof(t));
		pa->has_tmpl = true;
		pa->reqid = t.reqid;
		break;
	case XFRMA_POLICY_TYPE:
		if (len < sizeof(pt))
			return;
		memcpy(&pt, val, sizeof(pt));
		pa->sub = pt.type != XFRM_POLICY_TYPE_MAIN;
		break;
	case XFRMA_MARK:
		if (len < sizeof(mark))
			return;
		memcpy(&mark, val, sizeof(mark));
		pa->conditional |= mark.m != 0;
		break;
	case XFRMA_IF_ID:
		if (len < sizeof(if_id))
			return;
		memcpy(&if_id, val, sizeof(if_id));
		pa->conditional |= if_id != 0;
		break;
	default:
		break;
	}
}

/* One XFRM_MSG_NEWPOLICY into out; 0, 1 (not one that decides: sub type, mark, if_id,
 * unknown family), -EBADMSG, -E2BIG. */
static int decode_policy(const struct nlmsghdr *h, struct trace_policies *out, char err[XFRM_NL_ERR_MAX])
{
	struct xfrm_userpolicy_info info;
	struct policy_attrs pa = { 0 };
	struct trace_policy p = { .origin = TRACE_FROM_KERNEL };
	size_t hdr = NLMSG_ALIGN(sizeof(info));
	const unsigned char *body = NLMSG_DATA(h);
	size_t len = h->nlmsg_len - NLMSG_HDRLEN;
	unsigned fam;

	if (h->nlmsg_len < NLMSG_HDRLEN || len < sizeof(info)) {
		say(err, "netlink: policy message of %u bytes is too short", h->nlmsg_len);
		return -EBADMSG;
	}
	memcpy(&info, body, sizeof(info));
	if (len > hdr && !each_attr(body + hdr, len - hdr, policy_attr, &pa)) {
		say(err, "netlink: policy %u has a malformed attribute", info.index);
		return -EBADMSG;
	}
	fam = info.sel.family;
	if (pa.sub || pa.conditional || info.dir >= TRACE_DIRS ||
	    !sel_from_kernel((int)fam, &info.sel.saddr, info.sel.prefixlen_s, info.sel.proto, &p.src) ||
	    !sel_from_kernel((int)fam, &info.sel.daddr, info.sel.prefixlen_d, info.sel.proto, &p.dst))
		return 1;
	if (info.sel.proto == IPPROTO_ICMP || info.sel.proto == IPPROTO_ICMPV6) {
		/* the kernel keeps the ICMP type in the source port and the code in the destination */
		unsigned tmask = ntohs(info.sel.sport_mask) & 0xff, cmask = ntohs(info.sel.dport_mask) & 0xff;
		if (tmask || cmask) {
			unsigned type = ntohs(info.sel.sport) & tmask, code = ntohs(info.sel.dport) & cmask;
			p.dst.port_lo = type << 8 | code;
			p.dst.port_hi = (type | (~tmask & 0xff)) << 8 | (code | (~cmask & 0xff));
		}
	} else {
		ports_from_kernel(&p.src, info.sel.sport, info.sel.sport_mask);
		ports_from_kernel(&p.dst, info.sel.dport, info.sel.dport_mask);
	}
	p.dir = (enum trace_dir)info.dir;
	p.priority = info.priority;
	p.index = info.index;
	p.reqid = pa.reqid;
	if (info.action == XFRM_POLICY_BLOCK)
		p.action = TRACE_ACT_DROP;
	else
		p.action = pa.has_tmpl ? TRACE_ACT_IPSEC : TRACE_ACT_PASS;
	if (trace_policies_add(out, &p) != 0) {
		say(err, "more than %u XFRM policies", TRACE_MAX_POLICIES);
		return -E2BIG;
	}
	return 0;
}

int xfrm_nl_decode_policies(const void *data, size_t len, struct trace_policies *out, int *done,
			    char err[XFRM_NL_ERR_MAX])
{
	const struct nlmsghdr *h;
	size_t off = 0;
	bool bad;
	int rc;

	while ((h = next_msg(data, len, &off, &bad, err))) {
		if (h->nlmsg_type == NLMSG_DONE) {
			*done = 1;
			return 0;
		}
		if (h->nlmsg_type == NLMSG_ERROR) {
			rc = msg_error(h);
			if (rc == 0)
				continue;
			if (rc > 0) {
				say(err, "netlink: truncated error message");
				return -EBADMSG;
			}
			say(err, "the kernel refused the XFRM policy dump: %s", strerror(-rc));
			return rc;
		}
		if (h->nlmsg_type != XFRM_MSG_NEWPOLICY)
			continue;
		if ((rc = decode_policy(h, out, err)) < 0)
			return rc;
	}
	return bad ? -EBADMSG : 0;
}

static void addr_text(int fam, const unsigned char *val, size_t len, char *out, size_t outlen)
{
	if (len >= (fam == AF_INET6 ? 16u : 4u) && (fam == AF_INET || fam == AF_INET6))
		inet_ntop(fam, val, out, (socklen_t)outlen);
}

struct route_attrs {
	struct xfrm_nl_route *r;
	int fam;
};

static void route_attr(void *arg, unsigned type, const unsigned char *val, size_t len)
{
	struct route_attrs *ra = arg;
	uint32_t v;

	switch (type) {
	case RTA_TABLE:
	case RTA_OIF:
		if (len < sizeof(v))
			return;
		memcpy(&v, val, sizeof(v));
		if (type == RTA_TABLE)
			ra->r->table = v;
		else
			ra->r->oif = v;
		break;
	case RTA_GATEWAY:
		addr_text(ra->fam, val, len, ra->r->gateway, sizeof(ra->r->gateway));
		break;
	case RTA_PREFSRC:
		addr_text(ra->fam, val, len, ra->r->prefsrc, sizeof(ra->r->prefsrc));
		break;
	default:
		break;
	}
}

int xfrm_nl_decode_route(const void *data, size_t len, struct xfrm_nl_route *out)
{
	const struct nlmsghdr *h;
	size_t off = 0;
	bool bad;
	int rc;

	memset(out, 0, sizeof(*out));
	while ((h = next_msg(data, len, &off, &bad, out->err))) {
		struct rtmsg rtm;
		struct route_attrs ra = { out, 0 };
		size_t body = h->nlmsg_len - NLMSG_HDRLEN, hdr = NLMSG_ALIGN(sizeof(rtm));

		if (h->nlmsg_type == NLMSG_ERROR) {
			rc = msg_error(h);
			if (rc == 0)
				continue;
			if (rc > 0)
				break;
			say(out->err, "%s", strerror(-rc));
			return 0;
		}
		if (h->nlmsg_type != RTM_NEWROUTE)
			continue;
		if (body < sizeof(rtm))
			break;
		memcpy(&rtm, NLMSG_DATA(h), sizeof(rtm));
		ra.fam = rtm.rtm_family;
		out->table = rtm.rtm_table;
		out->type = rtm.rtm_type;
		if (body > hdr && !each_attr((const unsigned char *)NLMSG_DATA(h) + hdr, body - hdr, route_attr, &ra))
			break;
		out->found = 1;
		return 0;
	}
	say(out->err, "netlink: malformed route answer");
	out->found = 0;
	return -EBADMSG;
}

/* ---- states and routes as text (bundle) ------------------------------------------------ */

/* A dump's end or error; 1 when h is neither (a message to decode). */
static int dump_control(const struct nlmsghdr *h, const char *what, int *done, char err[XFRM_NL_ERR_MAX])
{
	int rc;

	if (h->nlmsg_type == NLMSG_DONE) {
		*done = 1;
		return 0;
	}
	if (h->nlmsg_type != NLMSG_ERROR)
		return 1;
	rc = msg_error(h);
	if (rc == 0)
		return 0;
	if (rc > 0) {
		say(err, "netlink: truncated error message");
		return -EBADMSG;
	}
	say(err, "the kernel refused the %s dump: %s", what, strerror(-rc));
	return rc;
}

/* An algorithm's name from an xfrm_algo-like attribute (name[64] first, then the key length
 * in bits): the key that follows is never read. */
static void algo_text(struct buf *b, const char *label, const unsigned char *val, size_t len)
{
	char name[64 + 1];
	uint32_t bits = 0;

	if (len < 64)
		return;
	memcpy(name, val, 64);
	name[64] = '\0';
	for (char *p = name; *p; p++)
		if (*p <= ' ' || *p > '~')
			*p = '?';
	if (len >= 64 + sizeof(bits))
		memcpy(&bits, val + 64, sizeof(bits));
	buf_printf(b, " %s %s (%u-bit key)", label, name, bits);
}

struct state_attrs {
	struct buf *b;
};

static void state_attr(void *arg, unsigned type, const unsigned char *val, size_t len)
{
	struct state_attrs *sa = arg;
	struct xfrm_encap_tmpl e;

	switch (type) {
	case XFRMA_ALG_CRYPT:
		algo_text(sa->b, "enc", val, len);
		break;
	case XFRMA_ALG_AUTH:
	case XFRMA_ALG_AUTH_TRUNC:
		algo_text(sa->b, "auth", val, len);
		break;
	case XFRMA_ALG_AEAD:
		algo_text(sa->b, "aead", val, len);
		break;
	case XFRMA_ALG_COMP:
		algo_text(sa->b, "comp", val, len);
		break;
	case XFRMA_ENCAP:
		if (len < sizeof(e))
			return;
		memcpy(&e, val, sizeof(e));
		buf_printf(sa->b, " encap udp %u->%u", ntohs(e.encap_sport), ntohs(e.encap_dport));
		break;
	default:
		break;
	}
}

static void xaddr_text(struct buf *b, int fam, const xfrm_address_t *a)
{
	char t[INET6_ADDRSTRLEN] = "?";

	if (fam == AF_INET || fam == AF_INET6)
		inet_ntop(fam, a, t, sizeof(t));
	buf_adds(b, t);
}

int xfrm_nl_decode_states(const void *data, size_t len, struct xfrm_nl_text *out, int *done,
			  char err[XFRM_NL_ERR_MAX])
{
	const struct nlmsghdr *h;
	size_t off = 0;
	bool bad;
	int rc;

	while ((h = next_msg(data, len, &off, &bad, err))) {
		struct xfrm_usersa_info u;
		struct state_attrs sa = { &out->text };
		size_t body = h->nlmsg_len - NLMSG_HDRLEN, hdr = NLMSG_ALIGN(sizeof(u));

		if ((rc = dump_control(h, "XFRM state", done, err)) <= 0) {
			if (rc < 0 || *done)
				return rc;
			continue;
		}
		if (h->nlmsg_type != XFRM_MSG_NEWSA)
			continue;
		if (body < sizeof(u)) {
			say(err, "netlink: XFRM state of %zu bytes", body);
			return -EBADMSG;
		}
		memcpy(&u, NLMSG_DATA(h), sizeof(u));
		out->n++;
		xaddr_text(&out->text, u.family, &u.saddr);
		buf_adds(&out->text, " -> ");
		xaddr_text(&out->text, u.family, &u.id.daddr);
		buf_printf(&out->text, " proto %u spi 0x%08x reqid %u mode %u", u.id.proto, ntohl(u.id.spi), u.reqid,
			   u.mode);
		if (body > hdr && !each_attr((const unsigned char *)NLMSG_DATA(h) + hdr, body - hdr, state_attr, &sa)) {
			say(err, "netlink: malformed XFRM state attributes");
			return -EBADMSG;
		}
		buf_printf(&out->text, " bytes %llu packets %llu\n", (unsigned long long)u.curlft.bytes,
			   (unsigned long long)u.curlft.packets);
	}
	return bad ? -EBADMSG : 0;
}

/* rtm_type names (linux/rtnetlink.h RTN_*), in order. */
static const char *const route_type_names[] = { "unspec", "unicast", "local", "broadcast", "anycast",
						"multicast", "blackhole", "unreachable", "prohibit", "throw", "nat" };

struct route_line {
	int fam;
	char dst[64], gateway[64], prefsrc[64];
	uint32_t table, oif, priority;
};

static void route_line_attr(void *arg, unsigned type, const unsigned char *val, size_t len)
{
	struct route_line *r = arg;
	uint32_t *v = type == RTA_TABLE ? &r->table : type == RTA_OIF ? &r->oif : type == RTA_PRIORITY ? &r->priority : NULL;

	if (v && len >= sizeof(*v))
		memcpy(v, val, sizeof(*v));
	else if (type == RTA_DST)
		addr_text(r->fam, val, len, r->dst, sizeof(r->dst));
	else if (type == RTA_GATEWAY)
		addr_text(r->fam, val, len, r->gateway, sizeof(r->gateway));
	else if (type == RTA_PREFSRC)
		addr_text(r->fam, val, len, r->prefsrc, sizeof(r->prefsrc));
}

int xfrm_nl_decode_routes(const void *data, size_t len, struct xfrm_nl_text *out, int *done,
			  char err[XFRM_NL_ERR_MAX])
{
	const struct nlmsghdr *h;
	size_t off = 0;
	bool bad;
	int rc;

	while ((h = next_msg(data, len, &off, &bad, err))) {
		struct rtmsg rtm;
		struct route_line r;
		size_t body = h->nlmsg_len - NLMSG_HDRLEN, hdr = NLMSG_ALIGN(sizeof(rtm));

		if ((rc = dump_control(h, "route", done, err)) <= 0) {
			if (rc < 0 || *done)
				return rc;
			continue;
		}
		if (h->nlmsg_type != RTM_NEWROUTE)
			continue;
		if (body < sizeof(rtm)) {
			say(err, "netlink: route of %zu bytes", body);
			return -EBADMSG;
		}
		memcpy(&rtm, NLMSG_DATA(h), sizeof(rtm));
		memset(&r, 0, sizeof(r));
		r.fam = rtm.rtm_family;
		r.table = rtm.rtm_table;
		if (body > hdr && !each_attr((const unsigned char *)NLMSG_DATA(h) + hdr, body - hdr, route_line_attr, &r)) {
			say(err, "netlink: malformed route attributes");
			return -EBADMSG;
		}
		out->n++;
		if (rtm.rtm_type < sizeof(route_type_names) / sizeof(route_type_names[0]))
			buf_printf(&out->text, "table %u %s", r.table, route_type_names[rtm.rtm_type]);
		else
			buf_printf(&out->text, "table %u type %u", r.table, rtm.rtm_type);
		buf_printf(&out->text, " %s/%u",
			   r.dst[0] ? r.dst : (r.fam == AF_INET6 ? "::" : "0.0.0.0"), rtm.rtm_dst_len);
		if (r.gateway[0])
			buf_printf(&out->text, " via %s", r.gateway);
		if (r.oif)
			buf_printf(&out->text, " oif %u", r.oif);
		if (r.prefsrc[0])
			buf_printf(&out->text, " src %s", r.prefsrc);
		if (r.priority)
			buf_printf(&out->text, " metric %u", r.priority);
		buf_addc(&out->text, '\n');
	}
	return bad ? -EBADMSG : 0;
}

/* ---- queries ---------------------------------------------------------------------------- */

static int nl_open(int proto, char err[XFRM_NL_ERR_MAX])
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	if (fd < 0) {
		say(err, "netlink socket: %s", strerror(errno));
		return -errno;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		say(err, "netlink bind: %s", strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

/* Receive one datagram within the deadline; its length or -errno. */
static ssize_t nl_recv(int fd, unsigned char *buf, size_t cap, int64_t deadline, char err[XFRM_NL_ERR_MAX])
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int64_t left = deadline - now_ms();
	ssize_t n;
	int rc;

	if (left <= 0 || (rc = poll(&pfd, 1, (int)left)) == 0) {
		say(err, "the kernel did not answer within the time-out");
		return -ETIMEDOUT;
	}
	if (rc < 0) {
		say(err, "poll: %s", strerror(errno));
		return -errno;
	}
	n = recv(fd, buf, cap, MSG_TRUNC);
	if (n < 0) {
		say(err, "netlink recv: %s", strerror(errno));
		return -errno;
	}
	if ((size_t)n > cap) {
		say(err, "netlink message larger than %zu bytes", cap);
		return -EMSGSIZE;
	}
	return n;
}

/* Decode one datagram of a dump into arg; sets *done at NLMSG_DONE. 0 or -errno with err. */
typedef int (*dump_fn)(const void *data, size_t len, void *arg, int *done, char err[XFRM_NL_ERR_MAX]);

/* Send a dump request on a new socket of proto and decode the answer until NLMSG_DONE, within
 * the deadline and XFRM_NL_MAX_BYTES. 0 or -errno with err. */
static int nl_dump(int proto, const void *req, size_t req_len, const char *what, dump_fn fn, void *arg,
		   int timeout_ms, char err[XFRM_NL_ERR_MAX])
{
	int64_t deadline = now_ms() + timeout_ms;
	unsigned char *buf;
	size_t total = 0;
	int fd, done = 0, rc = 0;

	if ((fd = nl_open(proto, err)) < 0)
		return fd;
	if (send(fd, req, req_len, 0) < 0) {
		rc = -errno;
		say(err, "netlink send: %s", strerror(errno));
		close(fd);
		return rc;
	}
	buf = xmalloc(XFRM_NL_RECV_BUF);
	while (!done) {
		ssize_t n = nl_recv(fd, buf, XFRM_NL_RECV_BUF, deadline, err);
		if (n < 0) {
			rc = (int)n;
			break;
		}
		if ((total += (size_t)n) > XFRM_NL_MAX_BYTES) {
			say(err, "the %s dump exceeds %u bytes", what, XFRM_NL_MAX_BYTES);
			rc = -E2BIG;
			break;
		}
		if ((rc = fn(buf, (size_t)n, arg, &done, err)) < 0)
			break;
	}
	free(buf);
	close(fd);
	return rc;
}

static int policies_fn(const void *data, size_t len, void *arg, int *done, char err[XFRM_NL_ERR_MAX])
{
	return xfrm_nl_decode_policies(data, len, arg, done, err);
}

int xfrm_nl_dump_policies(int timeout_ms, struct trace_policies *out, char err[XFRM_NL_ERR_MAX])
{
	struct nlmsghdr req = { .nlmsg_len = NLMSG_LENGTH(0), .nlmsg_type = XFRM_MSG_GETPOLICY,
				.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 };

	return nl_dump(NETLINK_XFRM, &req, req.nlmsg_len, "XFRM policy", policies_fn, out, timeout_ms, err);
}

static int states_fn(const void *data, size_t len, void *arg, int *done, char err[XFRM_NL_ERR_MAX])
{
	return xfrm_nl_decode_states(data, len, arg, done, err);
}

int xfrm_nl_dump_states(int timeout_ms, struct xfrm_nl_text *out, char err[XFRM_NL_ERR_MAX])
{
	struct nlmsghdr req = { .nlmsg_len = NLMSG_LENGTH(0), .nlmsg_type = XFRM_MSG_GETSA,
				.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 };

	return nl_dump(NETLINK_XFRM, &req, req.nlmsg_len, "XFRM state", states_fn, out, timeout_ms, err);
}

static int routes_fn(const void *data, size_t len, void *arg, int *done, char err[XFRM_NL_ERR_MAX])
{
	return xfrm_nl_decode_routes(data, len, arg, done, err);
}

int xfrm_nl_dump_routes(int timeout_ms, struct xfrm_nl_text *out, char err[XFRM_NL_ERR_MAX])
{
	struct {
		struct nlmsghdr h;
		struct rtmsg r;
	} req;

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.r));
	req.h.nlmsg_type = RTM_GETROUTE;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = 1;
	req.r.rtm_family = AF_UNSPEC;	/* IPv4 and IPv6, every table */
	return nl_dump(NETLINK_ROUTE, &req, req.h.nlmsg_len, "route", routes_fn, out, timeout_ms, err);
}

int xfrm_nl_get_route(int fam, const unsigned char dst[16], int timeout_ms, struct xfrm_nl_route *out)
{
	struct {
		struct nlmsghdr h;
		struct rtmsg r;
		struct nlattr a;
		unsigned char addr[16];
	} req;
	size_t alen = fam == AF_INET6 ? 16 : 4;
	unsigned char buf[8192];
	ssize_t n;
	int fd, rc;

	memset(&req, 0, sizeof(req));
	memset(out, 0, sizeof(*out));
	req.h.nlmsg_len = (uint32_t)(NLMSG_LENGTH(sizeof(req.r)) + ATTR_HDRLEN + alen);
	req.h.nlmsg_type = RTM_GETROUTE;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.h.nlmsg_seq = 1;
	req.r.rtm_family = (unsigned char)fam;
	req.r.rtm_dst_len = (unsigned char)(alen * 8);
	/* report the table the lookup used, not the main table */
	req.r.rtm_flags = RTM_F_LOOKUP_TABLE;
	req.a.nla_len = (uint16_t)(ATTR_HDRLEN + alen);
	req.a.nla_type = RTA_DST;
	memcpy(req.addr, dst, alen);
	if ((fd = nl_open(NETLINK_ROUTE, out->err)) < 0)
		return fd;
	if (send(fd, &req, req.h.nlmsg_len, 0) < 0) {
		rc = -errno;
		say(out->err, "netlink send: %s", strerror(errno));
		close(fd);
		return rc;
	}
	n = nl_recv(fd, buf, sizeof(buf), now_ms() + timeout_ms, out->err);
	close(fd);
	if (n < 0)
		return (int)n;
	if ((rc = xfrm_nl_decode_route(buf, (size_t)n, out)) < 0)
		return rc;
	if (out->oif && !if_indextoname(out->oif, out->dev))
		snprintf(out->dev, sizeof(out->dev), "if%u", out->oif);
	return 0;
}
