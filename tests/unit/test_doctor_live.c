/* test_doctor_live.c - the pure parts of doctor --live on recorded inputs: /proc/net/udp and
 * udp6 of a namespace with sockets on 500 (IPv4) and 4500 (IPv6), an nftables ruleset listed
 * as JSON with accepting, dropping and policy-drop chains, and one with source NAT rules. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "doctor_live.h"
#include "util.h"
#include "vici.h"
#include "unit_helpers.h"

#define DATA "tests/data/doctor_live/"

static void test_udp_bound(void **state)
{
	struct buf v4, v6;

	(void)state;
	buf_init(&v4);
	buf_init(&v6);
	assert_int_equal(file_read_all(DATA "udp", 1 << 20, &v4), 0);
	assert_int_equal(file_read_all(DATA "udp6", 1 << 20, &v6), 0);
	assert_true(doctor_live_udp_bound(v4.data, v4.len, 500));
	assert_false(doctor_live_udp_bound(v4.data, v4.len, 4500));
	assert_true(doctor_live_udp_bound(v4.data, v4.len, 5000));
	/* 500 must not match a socket on 5000 (0x1388) nor 0x01F40 prefixes */
	assert_false(doctor_live_udp_bound(v4.data, v4.len, 50));
	assert_true(doctor_live_udp_bound(v6.data, v6.len, 4500));
	assert_false(doctor_live_udp_bound(v6.data, v6.len, 500));
	assert_false(doctor_live_udp_bound("", 0, 500));
	buf_free(&v4);
	buf_free(&v6);
}

static void test_module_loaded(void **state)
{
	static const char mods[] = "xfrm_user 53248 1 - Live 0x0000000000000000\n"
				   "esp4_offload 16384 0 - Live 0x0000000000000000\n";

	(void)state;
	assert_true(doctor_live_module_loaded(mods, strlen(mods), "xfrm_user"));
	assert_false(doctor_live_module_loaded(mods, strlen(mods), "esp4"));
	assert_true(doctor_live_module_loaded(mods, strlen(mods), "esp4_offload"));
}

/* inet filter accepts 500/4500/ESP before its policy drop: fine. ip block drops 4500 from a
 * subnet and ESP in prerouting. inet strict has policy drop and accepts none of them. */
static void test_nft_blocks(void **state)
{
	struct buf j, out;
	int n;

	(void)state;
	buf_init(&j);
	buf_init(&out);
	assert_int_equal(file_read_all(DATA "ruleset.json", 1 << 20, &j), 0);
	n = doctor_live_nft_blocks(j.data, j.len, &out);
	assert_int_equal(n, 5);
	assert_null(strstr(out.data, "inet filter input"));
	assert_non_null(strstr(out.data, "ip block pre: rule handle"));
	assert_non_null(strstr(out.data, "drops UDP 4500 (from some sources)"));
	assert_non_null(strstr(out.data, "drops ESP"));
	assert_null(strstr(out.data, "ip block pre: rule handle 2 drops UDP 500"));
	assert_non_null(strstr(out.data, "inet strict input: policy drop, nothing accepts UDP 500"));
	assert_non_null(strstr(out.data, "inet strict input: policy drop, nothing accepts ESP"));
	buf_free(&out);
	buf_init(&out);
	assert_int_equal(doctor_live_nft_blocks("not json", 8, &out), -EINVAL);
	assert_int_equal(doctor_live_nft_blocks("{\"nftables\":[]}", 15, &out), 0);
	buf_free(&out);
	buf_free(&j);
}

/* Masquerade on eth0 rewrites tunnel traffic; the eth1 rule excludes the remote network and
 * the eth2 snat matches `rt ipsec missing`: both spare it. */
static void test_nft_nat(void **state)
{
	struct buf j, out;

	(void)state;
	buf_init(&j);
	buf_init(&out);
	assert_int_equal(file_read_all(DATA "nat.json", 1 << 20, &j), 0);
	assert_int_equal(doctor_live_nft_nat(j.data, j.len, &out), 1);
	assert_non_null(strstr(out.data, "ip nat post: rule handle 2 rewrites"));
	buf_free(&out);
	buf_free(&j);
	buf_init(&out);
	buf_init(&j);
	assert_int_equal(file_read_all(DATA "ruleset.json", 1 << 20, &j), 0);
	assert_int_equal(doctor_live_nft_nat(j.data, j.len, &out), 0);
	buf_free(&out);
	buf_free(&j);
}

/* A list-conn event as charon 5.9.8 sent it in the lab (swanctl --list-conns --raw), with
 * the children's selectors given: decoded from the wire like check_conns gets it. */
static struct vici_node *list_conn(const char *local_ts2, const char *remote_ts2)
{
	struct vici_msg m;
	struct vici_node *tree = NULL;
	struct vici_err err;

	vici_msg_init(&m);
	vici_msg_section_start(&m, "con1");
	vici_msg_list_start(&m, "local_addrs");
	vici_msg_list_item_str(&m, "2001:db8::1");
	vici_msg_list_end(&m);
	vici_msg_list_start(&m, "remote_addrs");
	vici_msg_list_item_str(&m, "2001:db8::2");
	vici_msg_list_end(&m);
	vici_msg_add_str(&m, "version", "IKEv2");
	vici_msg_section_start(&m, "local-1");
	vici_msg_add_str(&m, "id", "2001:db8::1");
	vici_msg_add_str(&m, "class", "pre-shared key");
	vici_msg_section_end(&m);
	vici_msg_section_start(&m, "children");
	vici_msg_section_start(&m, "con1");
	vici_msg_add_str(&m, "mode", "TUNNEL");
	unit_msg_list(&m, "local-ts", "10.1.0.0/24", local_ts2);
	unit_msg_list(&m, "remote-ts", "10.2.0.0/24", remote_ts2);
	vici_msg_section_end(&m);
	vici_msg_section_end(&m);
	vici_msg_section_end(&m);
	assert_int_equal(vici_msg_error(&m), 0);
	assert_int_equal(vici_msg_decode(m.b.data, m.b.len, &tree, &err), 0);
	vici_msg_free(&m);
	return tree;
}

/* IPv6 forwarding matters when a loaded child has an IPv6 selector, not because the
 * gateways talk IPv6 (2001:db8:: addresses and identities here). */
static void test_conn_has_ipv6_ts(void **state)
{
	struct vici_node *t;

	(void)state;
	t = list_conn("fd00:1::/64", "fd00:2::/64");
	assert_true(doctor_live_conn_has_ipv6_ts(t));
	vici_node_free(t);
	t = list_conn(NULL, "fd00:2::/64");
	assert_true(doctor_live_conn_has_ipv6_ts(t));
	vici_node_free(t);
	t = list_conn(NULL, NULL);
	assert_false(doctor_live_conn_has_ipv6_ts(t));
	vici_node_free(t);
	assert_false(doctor_live_conn_has_ipv6_ts(NULL));
}

/* A bypass child (mode PASS, as compile writes for bypass_networks) is found and named with
 * its selectors; tunnel children are not. */
static void test_conn_pass_child(void **state)
{
	struct vici_msg m;
	struct vici_node *t;
	struct vici_err err;
	char out[DOCTOR_LIVE_PASS_MAX];

	(void)state;
	t = list_conn(NULL, NULL);
	assert_false(doctor_live_conn_pass_child(t, out, sizeof(out)));
	vici_node_free(t);
	vici_msg_init(&m);
	vici_msg_section_start(&m, "bypass");
	vici_msg_section_start(&m, "children");
	vici_msg_section_start(&m, "bypasslan");
	vici_msg_add_str(&m, "mode", "PASS");
	unit_msg_list(&m, "local-ts", "10.1.0.0/16", NULL);
	unit_msg_list(&m, "remote-ts", "10.1.0.0/16", NULL);
	vici_msg_section_end(&m);
	vici_msg_section_end(&m);
	vici_msg_section_end(&m);
	assert_int_equal(vici_msg_decode(m.b.data, m.b.len, &t, &err), 0);
	vici_msg_free(&m);
	assert_true(doctor_live_conn_pass_child(t, out, sizeof(out)));
	assert_string_equal(out, "bypass/bypasslan (10.1.0.0/16 === 10.1.0.0/16)");
	vici_node_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_bound),
		cmocka_unit_test(test_module_loaded),
		cmocka_unit_test(test_nft_blocks),
		cmocka_unit_test(test_nft_nat),
		cmocka_unit_test(test_conn_has_ipv6_ts),
		cmocka_unit_test(test_conn_pass_child),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
