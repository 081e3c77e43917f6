/* test_trace.c - trace's decision on real inputs: the kernel's XFRM policy dump and route
 * answers recorded in a namespace (tests/data/trace/, record.sh), charon's list-sas bytes
 * recorded from the lab (tests/data/vici/list-sas.bin: con1 reqid 1 with 10.1.0.0/24 and
 * 10.1.1.0/24 to 10.2.0.0/24 and 10.2.1.0/24, con2_3 reqid 2), and tunnel files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"
#include "xfrm_nl.h"
#include "unit_helpers.h"

static void packet(struct trace_packet *p, const char *src, const char *dst, unsigned proto, int port)
{
	memset(p, 0, sizeof(*p));
	p->fam = strchr(src, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(p->fam, src, p->src), 1);
	assert_int_equal(inet_pton(p->fam, dst, p->dst), 1);
	p->proto = proto;
	p->port = port;
}

static void read_bin(const char *path, struct buf *b)
{
	assert_int_equal(file_read_all(path, TC_MAX_FILE_SIZE, b), 0);
}

/* ---- selectors and priorities ---- */

static void test_sel_parse(void **state)
{
	struct trace_sel s;
	char out[128];

	(void)state;
	assert_true(trace_sel_parse("10.1.0.77/24", &s));
	assert_string_equal(trace_sel_format(&s, out, sizeof(out)), "10.1.0.0/24");
	assert_int_equal(s.plen, 24);
	assert_true(trace_sel_parse("10.1.0.1..10.1.0.9", &s));
	assert_int_equal(s.plen, TRACE_RANGE);
	assert_string_equal(trace_sel_format(&s, out, sizeof(out)), "10.1.0.1..10.1.0.9");
	assert_true(trace_sel_parse("10.1.0.0/24[tcp/https]", &s));
	assert_int_equal(s.proto, 6);
	assert_int_equal(s.port_lo, 443);
	assert_int_equal(s.port_hi, 443);
	assert_string_equal(trace_sel_format(&s, out, sizeof(out)), "10.1.0.0/24[tcp/443]");
	assert_true(trace_sel_parse("10.1.0.0/24[udp/1024-2048]", &s));
	assert_int_equal(s.port_lo, 1024);
	assert_int_equal(s.port_hi, 2048);
	assert_true(trace_sel_parse("10.1.0.0/24[icmp/3(1)]", &s));
	assert_int_equal(s.port_lo, 3 << 8 | 1);
	assert_string_equal(trace_sel_format(&s, out, sizeof(out)), "10.1.0.0/24[icmp/3(1)]");
	assert_true(trace_sel_parse("10.1.0.0/24[47]", &s));
	assert_int_equal(s.proto, 47);
	assert_true(trace_sel_parse("10.1.0.0/24[tcp/OPAQUE]", &s));
	assert_true(s.port_lo > s.port_hi);
	assert_true(trace_sel_parse("fd00:2::/64", &s));
	assert_int_equal(s.fam, AF_INET6);
	assert_string_equal(trace_sel_format(&s, out, sizeof(out)), "fd00:2::/64");
	assert_false(trace_sel_parse("10.1.0.0/33", &s));
	assert_false(trace_sel_parse("10.1.0.9..10.1.0.1", &s));
	assert_false(trace_sel_parse("10.1.0.1..fd00::1", &s));
	assert_false(trace_sel_parse("10.1.0.0/24[tcp", &s));
	assert_false(trace_sel_parse("10.1.0.0/24[nosuchproto]", &s));
	assert_false(trace_sel_parse("lan0", &s));
	assert_false(trace_sel_parse("", &s));
}

static uint32_t prio(const char *src, const char *dst, enum trace_action a, bool trap, bool libipsec)
{
	struct trace_sel s, d;

	assert_true(trace_sel_parse(src, &s));
	assert_true(trace_sel_parse(dst, &d));
	return trace_priority(&s, &d, a, trap, libipsec);
}

/* The numbers charon's kernel-netlink installs (as in record.sh) and kernel-libipsec's. */
static void test_priority(void **state)
{
	(void)state;
	assert_int_equal(prio("10.1.0.0/24", "10.2.0.0/24", TRACE_ACT_IPSEC, false, false), 375423);
	assert_int_equal(prio("10.1.0.0/24", "10.2.0.0/24", TRACE_ACT_IPSEC, true, false), 375424);
	assert_int_equal(prio("10.1.0.0/24", "10.1.0.0/24", TRACE_ACT_PASS, true, false), 175423);
	assert_int_equal(prio("10.9.0.0/16", "0.0.0.0/0", TRACE_ACT_DROP, true, false), 591807);
	assert_int_equal(prio("10.1.5.0/24[tcp]", "10.2.5.0/24[tcp/443]", TRACE_ACT_IPSEC, false, false), 375103);
	assert_int_equal(prio("fd00:1::/64", "fd00:2::/64", TRACE_ACT_IPSEC, false, false), 334463);
	/* kernel-libipsec: (768 - 48) << 2, +2 no port, +1 no protocol */
	assert_int_equal(prio("10.1.0.0/24", "10.2.0.0/24", TRACE_ACT_IPSEC, false, true), 2883);
	assert_true(prio("10.1.0.0/24", "10.2.0.0/24", TRACE_ACT_IPSEC, true, true) >
		    prio("10.1.0.0/24", "10.2.0.0/24", TRACE_ACT_IPSEC, false, true));
}

/* ---- netlink decoders on recorded kernel bytes ---- */

static const struct trace_policy *find_out(const struct trace_policies *ps, const char *src, const char *dst)
{
	char a[128], b[128];

	for (size_t i = 0; i < ps->n; i++)
		if (ps->v[i].dir == TRACE_DIR_OUT && strcmp(trace_sel_format(&ps->v[i].src, a, sizeof(a)), src) == 0 &&
		    strcmp(trace_sel_format(&ps->v[i].dst, b, sizeof(b)), dst) == 0)
			return &ps->v[i];
	return NULL;
}

static void load_kernel(struct trace_policies *ps)
{
	struct buf b;
	char err[XFRM_NL_ERR_MAX] = "";
	int done = 0;

	read_bin("tests/data/trace/xfrm-policies.bin", &b);
	assert_int_equal(xfrm_nl_decode_policies(b.data, b.len, ps, &done, err), 0);
	assert_int_equal(done, 1);
	buf_free(&b);
}

static void test_decode_policies(void **state)
{
	struct trace_policies ps = { 0 };
	const struct trace_policy *p;
	size_t n_out = 0;

	(void)state;
	load_kernel(&ps);
	/* 9 installed, the marked one left out */
	assert_int_equal(ps.n, 8);
	for (size_t i = 0; i < ps.n; i++)
		n_out += ps.v[i].dir == TRACE_DIR_OUT;
	assert_int_equal(n_out, 6);
	assert_non_null(p = find_out(&ps, "10.1.0.0/24", "10.2.0.0/24"));
	assert_int_equal(p->priority, 375423);
	assert_int_equal(p->reqid, 1);
	assert_int_equal(p->action, TRACE_ACT_IPSEC);
	assert_int_equal(p->origin, TRACE_FROM_KERNEL);
	assert_non_null(p = find_out(&ps, "10.1.0.0/24", "10.1.0.0/24"));
	assert_int_equal(p->action, TRACE_ACT_PASS);
	assert_non_null(p = find_out(&ps, "10.9.0.0/16", "0.0.0.0/0"));
	assert_int_equal(p->action, TRACE_ACT_DROP);
	assert_non_null(p = find_out(&ps, "10.1.5.0/24[tcp]", "10.2.5.0/24[tcp/443]"));
	assert_int_equal(p->reqid, 5);
	assert_non_null(p = find_out(&ps, "fd00:1::/64", "fd00:2::/64"));
	assert_int_equal(p->priority, 334463);
	assert_null(find_out(&ps, "0.0.0.0/0", "0.0.0.0/0"));
	trace_policies_free(&ps);
}

static void test_decode_empty_and_broken(void **state)
{
	struct trace_policies ps = { 0 };
	struct buf b;
	char err[XFRM_NL_ERR_MAX] = "";
	unsigned char *copy;
	int done = 0;
	struct {
		struct nlmsghdr h;
		struct nlmsgerr e;
	} refusal = { .h = { .nlmsg_len = sizeof(refusal), .nlmsg_type = NLMSG_ERROR }, .e = { .error = -EPERM } };

	(void)state;
	read_bin("tests/data/trace/xfrm-empty.bin", &b);
	assert_int_equal(xfrm_nl_decode_policies(b.data, b.len, &ps, &done, err), 0);
	assert_int_equal(done, 1);
	assert_int_equal(ps.n, 0);
	buf_free(&b);

	/* every cut of the recording: whole messages decode, a cut one is reported */
	read_bin("tests/data/trace/xfrm-policies.bin", &b);
	for (size_t cut = 1; cut < b.len; cut++) {
		copy = xmalloc(cut);
		memcpy(copy, b.data, cut);
		done = 0;
		err[0] = '\0';
		int rc = xfrm_nl_decode_policies(copy, cut, &ps, &done, err);
		assert_true(rc == 0 || rc == -EBADMSG);
		if (rc == -EBADMSG)
			assert_non_null(strstr(err, "netlink"));
		assert_int_equal(done, 0);
		free(copy);
		trace_policies_free(&ps);
	}
	/* a length beyond the data */
	copy = xmalloc(b.len);
	memcpy(copy, b.data, b.len);
	copy[0] = 0xff;
	copy[1] = 0xff;
	assert_int_equal(xfrm_nl_decode_policies(copy, b.len, &ps, &done, err), -EBADMSG);
	assert_non_null(strstr(err, "has length"));
	free(copy);
	buf_free(&b);
	trace_policies_free(&ps);

	assert_int_equal(xfrm_nl_decode_policies(&refusal, sizeof(refusal), &ps, &done, err), -EPERM);
	assert_non_null(strstr(err, "refused"));
}

static void test_decode_route(void **state)
{
	struct xfrm_nl_route r;
	struct buf b;

	(void)state;
	read_bin("tests/data/trace/route-220.bin", &b);
	assert_int_equal(xfrm_nl_decode_route(b.data, b.len, &r), 0);
	assert_int_equal(r.found, 1);
	assert_int_equal(r.table, 220);
	assert_string_equal(r.prefsrc, "10.1.0.1");
	assert_true(r.oif > 0);
	assert_int_equal(xfrm_nl_decode_route(b.data, b.len - 6, &r), -EBADMSG);
	buf_free(&b);
	read_bin("tests/data/trace/route-none.bin", &b);
	assert_int_equal(xfrm_nl_decode_route(b.data, b.len, &r), 0);
	assert_int_equal(r.found, 0);
	assert_string_equal(r.err, "Network is unreachable");
	buf_free(&b);
}

/* ---- the decision ---- */

struct fixture {
	struct vici_node *events[4];
	size_t n_events;
	struct trace_sa *sa;
	size_t n_sa;
	struct trace_policies kernel;
};

static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));
	struct buf raw;
	size_t pos = 0;

	read_bin("tests/data/vici/list-sas.bin", &raw);
	while (pos < raw.len) {
		struct vici_packet p;
		struct vici_err err;
		size_t used;
		assert_int_equal(vici_packet_decode(raw.data + pos, raw.len - pos, &used, &p, &err), 0);
		if (p.type == VICI_EVENT && fx->n_events < ARRAY_SIZE(fx->events)) {
			fx->events[fx->n_events++] = p.msg;
			p.msg = NULL;
		}
		vici_packet_clear(&p);
		pos += used;
	}
	buf_free(&raw);
	fx->sa = trace_sas_from_vici(fx->events, fx->n_events, &fx->n_sa);
	load_kernel(&fx->kernel);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	for (size_t i = 0; i < fx->n_events; i++)
		vici_node_free(fx->events[i]);
	free(fx->sa);
	trace_policies_free(&fx->kernel);
	free(fx);
	return 0;
}

static void test_sas_from_vici(void **state)
{
	struct fixture *fx = *state;
	const struct trace_sa *con1 = NULL;

	assert_int_equal(fx->n_sa, 2);
	for (size_t i = 0; i < fx->n_sa; i++)
		if (strcmp(fx->sa[i].child, "con1") == 0)
			con1 = &fx->sa[i];
	assert_non_null(con1);
	assert_string_equal(con1->ike, "con1");
	assert_int_equal(con1->reqid, 1);
	assert_string_equal(con1->state, "INSTALLED");
	assert_int_equal(strlen(con1->spi_out), 8);
	assert_int_equal(con1->n_local, 2);
	assert_int_equal(con1->n_remote, 2);
}

static void decide_kernel(struct fixture *fx, const char *src, const char *dst, unsigned proto, int port,
			  struct trace_verdict *v)
{
	struct trace_packet p;
	struct trace_input in = { fx->kernel.v, fx->kernel.n, fx->sa, fx->n_sa, NULL, 0, false, -1 };

	packet(&p, src, dst, proto, port);
	trace_decide(&in, &p, v);
}

static void test_kernel_verdicts(void **state)
{
	struct fixture *fx = *state;
	struct trace_verdict v;
	struct trace_policies charon = { 0 };
	struct trace_policy trap = { .origin = TRACE_FROM_CHARON, .dir = TRACE_DIR_OUT, .trap = true,
				     .child = "con2_4" };

	/* the established child: its SA by the policy's reqid */
	decide_kernel(fx, "10.1.0.5", "10.2.0.7", 0, -1, &v);
	assert_int_equal(v.kind, TRACE_CARRIED);
	assert_string_equal(v.child, "con1");
	assert_int_equal(v.policy->priority, 375423);
	assert_non_null(v.sa);
	assert_string_equal(v.sa->spi_out, fx->sa[v.sa - fx->sa].spi_out);
	assert_int_equal(v.sa->reqid, 1);
	/* LAN to LAN: the pass policy */
	decide_kernel(fx, "10.1.0.5", "10.1.0.9", 0, -1, &v);
	assert_int_equal(v.kind, TRACE_BYPASS);
	assert_int_equal(v.policy->priority, 175423);
	/* the drop shunt */
	decide_kernel(fx, "10.9.1.1", "192.0.2.77", 0, -1, &v);
	assert_int_equal(v.kind, TRACE_DROP);
	/* the port-restricted policy: only TCP 443 */
	decide_kernel(fx, "10.1.5.5", "10.2.5.9", 6, 443, &v);
	assert_int_equal(v.kind, TRACE_NO_SA);
	assert_int_equal(v.policy->reqid, 5);
	decide_kernel(fx, "10.1.5.5", "10.2.5.9", 6, 80, &v);
	assert_int_equal(v.kind, TRACE_NOT_COVERED);
	assert_int_equal(v.miss, TRACE_MISS_PORT);
	assert_ptr_equal(v.closest_policy, find_out(&fx->kernel, "10.1.5.0/24[tcp]", "10.2.5.0/24[tcp/443]"));
	decide_kernel(fx, "10.1.5.5", "10.2.5.9", 17, 443, &v);
	assert_int_equal(v.miss, TRACE_MISS_PROTO);
	/* no SA with reqid 4: a trap once charon lists it as one */
	decide_kernel(fx, "10.1.4.5", "10.2.4.9", 0, -1, &v);
	assert_int_equal(v.kind, TRACE_NO_SA);
	assert_true(trace_sel_parse("10.1.4.0/24", &trap.src));
	assert_true(trace_sel_parse("10.2.4.0/24", &trap.dst));
	assert_int_equal(trace_policies_add(&charon, &trap), 0);
	trace_mark_traps(&fx->kernel, &charon);
	decide_kernel(fx, "10.1.4.5", "10.2.4.9", 0, -1, &v);
	assert_int_equal(v.kind, TRACE_TRAP);
	assert_string_equal(v.child, "con2_4");
	trace_policies_free(&charon);
	/* IPv6: covered by the fd00 policy, no SA */
	decide_kernel(fx, "fd00:1::5", "fd00:2::9", 58, -1, &v);
	assert_int_equal(v.kind, TRACE_NO_SA);
	assert_int_equal(v.policy->reqid, 6);
}

/* Lower priority value first, whatever the selectors; among equals the more specific, except
 * in the kernel, which takes the older policy (lower index). */
static void test_order(void **state)
{
	struct trace_policy pol[3] = {
		{ .origin = TRACE_FROM_CHARON, .dir = TRACE_DIR_OUT, .action = TRACE_ACT_IPSEC, .priority = 1000,
		  .reqid = 1, .index = 0 },
		{ .origin = TRACE_FROM_CHARON, .dir = TRACE_DIR_OUT, .action = TRACE_ACT_PASS, .priority = 900, .index = 1 },
		{ .origin = TRACE_FROM_CHARON, .dir = TRACE_DIR_OUT, .action = TRACE_ACT_IPSEC, .priority = 900,
		  .reqid = 3, .index = 2 },
	};
	struct trace_input in = { pol, 3, NULL, 0, NULL, 0, false, -1 };
	struct trace_packet p;
	struct trace_verdict v;

	(void)state;
	assert_true(trace_sel_parse("10.1.0.0/24", &pol[0].src));
	assert_true(trace_sel_parse("10.2.0.7/32", &pol[0].dst));
	assert_true(trace_sel_parse("0.0.0.0/0", &pol[1].src));
	assert_true(trace_sel_parse("10.2.0.0/16", &pol[1].dst));
	assert_true(trace_sel_parse("10.1.0.0/16", &pol[2].src));
	assert_true(trace_sel_parse("10.2.0.0/16", &pol[2].dst));
	packet(&p, "10.1.0.5", "10.2.0.7", 0, -1);
	trace_decide(&in, &p, &v);
	assert_int_equal(v.n_matching, 3);
	assert_ptr_equal(v.policy, &pol[2]);
	for (size_t i = 0; i < 3; i++)
		pol[i].origin = TRACE_FROM_KERNEL;
	trace_decide(&in, &p, &v);
	assert_ptr_equal(v.policy, &pol[1]);
	pol[1].index = 3;
	trace_decide(&in, &p, &v);
	assert_ptr_equal(v.policy, &pol[2]);
	pol[1].priority = 899;
	trace_decide(&in, &p, &v);
	assert_int_equal(v.kind, TRACE_BYPASS);
}

static const char two_tunnels[] =
	"global {\n bypass_networks = 10.1.0.0/24\n}\n"
	"tunnels {\n"
	" 1 {\n description = HQ\n remote_gateway = 192.0.2.2\n psk = lab-first-secret-0123456789\n"
	"  phase2 {\n"
	"   1 {\n description = LAN\n local = 10.1.0.0/24\n remote = 10.2.0.0/24\n }\n"
	"   2 {\n enabled = no\n local = 10.1.1.0/24\n remote = 10.2.1.0/24\n }\n"
	"  }\n }\n"
	" 2 {\n version = ikev1\n remote_gateway = 192.0.2.3\n psk = lab-second-secret-012345678\n start_action = none\n"
	"  phase2 {\n"
	"   3 {\n local = 10.1.3.0/24\n remote = 10.2.3.0/24\n }\n"
	"   4 {\n mode = tunnel6\n local = fd00:1::/64\n remote = fd00:2::/64\n }\n"
	"  }\n }\n"
	"}\n";

static void decide_file(const struct tunnel_file *tf, bool plan, const char *src, const char *dst,
			struct trace_verdict *v, struct trace_entry **ent, struct trace_policies *pol)
{
	struct trace_packet p;
	struct trace_input in;
	size_t n;

	*ent = trace_entries_from_file(tf, &n);
	memset(pol, 0, sizeof(*pol));
	if (plan)
		trace_policies_from_file(tf, *ent, n, pol);
	in = (struct trace_input){ pol->v, pol->n, NULL, 0, *ent, n, false, -1 };
	packet(&p, src, dst, 0, -1);
	trace_decide(&in, &p, v);
}

static void test_file_verdicts(void **state)
{
	struct tunnel_file *tf = unit_tunnels(two_tunnels);
	struct trace_entry *ent;
	struct trace_policies pol;
	struct trace_verdict v;

	(void)state;
	/* planned: the trap child con1 (IKEv2: phase 2 entries merge into one child) */
	decide_file(tf, true, "10.1.0.5", "10.2.0.7", &v, &ent, &pol);
	assert_int_equal(v.kind, TRACE_PLANNED);
	assert_string_equal(v.child, "con1");
	assert_int_equal(v.entry->reqid, 1);
	assert_int_equal(v.entry->start_action, TUNNEL_ACTION_TRAP);
	assert_int_equal(v.policy->priority, 375424);
	free(ent);
	trace_policies_free(&pol);
	/* IKEv1: its own child, start_action none */
	decide_file(tf, true, "10.1.3.5", "10.2.3.7", &v, &ent, &pol);
	assert_int_equal(v.kind, TRACE_PLANNED);
	assert_string_equal(v.child, "con2_3");
	assert_int_equal(v.entry->start_action, TUNNEL_ACTION_NONE);
	free(ent);
	trace_policies_free(&pol);
	decide_file(tf, true, "fd00:1::5", "fd00:2::7", &v, &ent, &pol);
	assert_string_equal(v.child, "con2_4");
	free(ent);
	trace_policies_free(&pol);
	/* the bypass network wins over nothing else and sends LAN traffic in the clear */
	decide_file(tf, true, "10.1.0.5", "10.1.0.7", &v, &ent, &pol);
	assert_int_equal(v.kind, TRACE_BYPASS);
	free(ent);
	trace_policies_free(&pol);
	/* the disabled phase 2 */
	decide_file(tf, true, "10.1.1.5", "10.2.1.7", &v, &ent, &pol);
	assert_int_equal(v.kind, TRACE_DISABLED);
	assert_int_equal(v.entry->reqid, 2);
	assert_false(v.entry->p2_enabled);
	free(ent);
	trace_policies_free(&pol);
	/* outside every selector: the closest, and what does not match */
	decide_file(tf, true, "10.1.0.5", "10.3.0.7", &v, &ent, &pol);
	assert_int_equal(v.kind, TRACE_NOT_COVERED);
	assert_string_equal(v.child, "con1");
	assert_int_equal(v.entry->reqid, 1);
	assert_int_equal(v.miss, TRACE_MISS_DST);
	free(ent);
	trace_policies_free(&pol);
	decide_file(tf, true, "10.7.3.5", "10.2.3.7", &v, &ent, &pol);
	assert_string_equal(v.child, "con2_3");
	assert_int_equal(v.miss, TRACE_MISS_SRC);
	free(ent);
	trace_policies_free(&pol);
	/* live, without any policy or SA: covered, but down */
	decide_file(tf, false, "10.1.3.5", "10.2.3.7", &v, &ent, &pol);
	assert_int_equal(v.kind, TRACE_DOWN);
	assert_string_equal(v.child, "con2_3");
	free(ent);
	tunnel_file_free(tf);
}

/* charon's own policies (kernel-libipsec): list-pols' trap plus the SAs' IPsec policies. */
static void test_policies_from_vici(void **state)
{
	struct fixture *fx = *state;
	struct vici_msg m;
	struct buf pkt;
	struct vici_packet p;
	struct vici_err err;
	size_t used;
	struct trace_policies pol = { 0 };
	struct trace_input in;
	struct trace_packet pk;
	struct trace_verdict v;

	/* a list-policy event as charon sends it for a trap child */
	vici_msg_init(&m);
	vici_msg_section_start(&m, "con3/con3");
	vici_msg_add_str(&m, "child", "con3");
	vici_msg_add_str(&m, "ike", "con3");
	vici_msg_add_str(&m, "mode", "TUNNEL");
	unit_msg_list(&m, "local-ts", "10.1.7.0/24", NULL);
	unit_msg_list(&m, "remote-ts", "10.2.7.0/24", NULL);
	vici_msg_section_end(&m);
	buf_init(&pkt);
	assert_int_equal(vici_packet_build(VICI_EVENT, "list-policy", &m, &pkt), 0);
	assert_int_equal(vici_packet_decode(pkt.data, pkt.len, &used, &p, &err), 0);
	trace_policies_from_vici(&p.msg, 1, fx->sa, fx->n_sa, &pol);
	/* the trap, and con1's 2 x 2 and con2_3's 1 x 1 selector pairs */
	assert_int_equal(pol.n, 6);
	in = (struct trace_input){ pol.v, pol.n, fx->sa, fx->n_sa, NULL, 0, false, -1 };
	packet(&pk, "10.1.7.5", "10.2.7.9", 0, -1);
	trace_decide(&in, &pk, &v);
	assert_int_equal(v.kind, TRACE_TRAP);
	assert_string_equal(v.child, "con3");
	packet(&pk, "10.1.1.5", "10.2.0.9", 0, -1);
	trace_decide(&in, &pk, &v);
	assert_int_equal(v.kind, TRACE_CARRIED);
	assert_string_equal(v.child, "con1");
	assert_int_equal(v.policy->origin, TRACE_FROM_CHARON);
	assert_int_equal(v.policy->priority, 2883);
	trace_policies_free(&pol);
	vici_packet_clear(&p);
	vici_msg_free(&m);
	buf_free(&pkt);
}

/* kernel-libipsec (strongSwan 5.9.8, seen in the lab): its policy manager keeps IPsec policies
 * only, and sees only packets routed into its TUN device; a bypass policy still gets a route
 * into that device, so LAN traffic it matches is dropped there. */
static void test_libipsec(void **state)
{
	struct fixture *fx = *state;
	struct trace_policies pol = { 0 };
	struct trace_policy pass = { .origin = TRACE_FROM_CHARON, .dir = TRACE_DIR_OUT, .action = TRACE_ACT_PASS,
				     .trap = true, .child = "bypasslan" };
	struct trace_input in;
	struct trace_packet pk;
	struct trace_verdict v;

	assert_true(trace_sel_parse("10.0.0.0/8", &pass.src));
	assert_true(trace_sel_parse("10.0.0.0/8", &pass.dst));
	pass.priority = trace_priority(&pass.src, &pass.dst, TRACE_ACT_PASS, true, true);
	assert_int_equal(trace_policies_add(&pol, &pass), 0);
	trace_policies_from_vici(NULL, 0, fx->sa, fx->n_sa, &pol);
	in = (struct trace_input){ pol.v, pol.n, fx->sa, fx->n_sa, NULL, 0, true, 1 };
	/* LAN to LAN, routed into the TUN device: only the pass policy matches, libipsec drops it */
	packet(&pk, "10.1.0.5", "10.1.3.9", 0, -1);
	trace_decide(&in, &pk, &v);
	assert_int_equal(v.kind, TRACE_SWALLOWED);
	assert_ptr_equal(v.policy, &pol.v[0]);
	/* the same packet routed elsewhere (a local address): in the clear, as the bypass wants */
	in.route_tun = 0;
	trace_decide(&in, &pk, &v);
	assert_int_equal(v.kind, TRACE_BYPASS);
	/* the pass policy outranks con1's IPsec policy in the kernel, but libipsec ignores it */
	packet(&pk, "10.1.0.5", "10.2.0.9", 0, -1);
	in.route_tun = 1;
	trace_decide(&in, &pk, &v);
	assert_int_equal(v.kind, TRACE_CARRIED);
	assert_string_equal(v.child, "con1");
	assert_int_equal(v.n_matching, 2);
	in.libipsec = false;
	trace_decide(&in, &pk, &v);
	assert_int_equal(v.kind, TRACE_BYPASS);
	/* con1's packet routed past the TUN device: the policy matches, nothing encrypts it */
	in.libipsec = true;
	in.route_tun = 0;
	trace_decide(&in, &pk, &v);
	assert_int_equal(v.kind, TRACE_UNROUTED);
	assert_string_equal(v.child, "con1");
	trace_policies_free(&pol);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sel_parse),
		cmocka_unit_test(test_priority),
		cmocka_unit_test(test_decode_policies),
		cmocka_unit_test(test_decode_empty_and_broken),
		cmocka_unit_test(test_decode_route),
		cmocka_unit_test_setup_teardown(test_sas_from_vici, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_verdicts, setup, teardown),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_file_verdicts),
		cmocka_unit_test_setup_teardown(test_policies_from_vici, setup, teardown),
		cmocka_unit_test_setup_teardown(test_libipsec, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
