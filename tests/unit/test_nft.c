/* test_nft.c - the nftables ruleset builder on real tunnel files, and the analysis of a
 * ruleset listed as JSON by nft 1.0.6 in a lab namespace (tests/data/fw/). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "nft.h"

#define DATA "tests/data/fw/"

static void build(const char *conf, struct buf *out, struct tc_errors *notes)
{
	struct tc_errors errs = { 0 };
	struct tunnel_file *tf = tunnel_load(conf, &errs);

	assert_non_null(tf);
	assert_int_equal(errs.n_errors, 0);
	buf_init(out);
	nft_build_ruleset(out, tf, notes);
	tunnel_file_free(tf);
	tc_errors_free(&errs);
}

/* The whole transaction for a file with every kind of peer equals the reviewed golden file. */
static void test_build_golden(void **state)
{
	struct tc_errors notes = { 0 };
	struct buf got, want;

	(void)state;
	build(DATA "mixed.conf", &got, &notes);
	buf_init(&want);
	assert_int_equal(file_read_all(DATA "mixed.nft", 1u << 20, &want), 0);
	assert_string_equal(got.data, want.data);
	buf_free(&got);
	buf_free(&want);
	tc_errors_free(&notes);
}

/* Each rule kind, checked on its own so a failure says which one broke. */
static void test_build_rules(void **state)
{
	struct tc_errors notes = { 0 };
	struct buf b;

	(void)state;
	build(DATA "mixed.conf", &b, &notes);
	/* atomic replacement: declare, delete, recreate, in this order */
	assert_true(str_startswith(b.data, "table inet tunnelctl\ndelete table inet tunnelctl\ntable inet tunnelctl {\n"));
	assert_non_null(strstr(b.data, "type filter hook input priority -10; policy accept;"));
	/* fixed IPv4 peer: ports and ESP/AH from the peer to the local address */
	assert_non_null(strstr(b.data, "ip saddr 198.51.100.7 ip daddr 192.0.2.1 udp dport { 500, 4500 } counter"));
	assert_non_null(strstr(b.data, "ip saddr 198.51.100.7 ip daddr 192.0.2.1 meta l4proto { esp, ah } counter"));
	/* IPv6 peer with its own ports */
	assert_non_null(strstr(b.data, "ip6 saddr 2001:db8:2::7 ip6 daddr 2001:db8::1 udp dport { 1500, 14500 }"));
	/* any-peer responder: ports from any source, no ESP rule */
	assert_non_null(strstr(b.data, "\t\tip daddr 192.0.2.1 udp dport { 500, 4500 } counter ct mark set ct mark or 0x00100000 accept comment \"con4\"\n"));
	assert_null(strstr(b.data, "esp, ah } counter ct mark set ct mark or 0x00100000 accept comment \"con4\""));
	/* interface-bound: iifname, and daddr from the address the interface has at load time */
	assert_non_null(strstr(b.data, "iifname \"lo\" ip saddr 203.0.113.10 ip daddr 127.0.0.1 udp dport"));
	/* disabled entry: nothing */
	assert_null(strstr(b.data, "203.0.113.9"));
	assert_null(strstr(b.data, "\"con5\""));
	/* FQDN peer: a comment in the text and a note at the phase 1's position */
	assert_non_null(strstr(b.data, "# con3: no rules: the peer is a host name"));
	assert_null(strstr(b.data, "vpn.example.net"));
	assert_int_equal(notes.n, 1);
	assert_true(notes.v[0].warning);
	assert_int_equal(notes.v[0].line, 24);
	assert_non_null(strstr(notes.v[0].msg, "con3"));
	buf_free(&b);
	tc_errors_free(&notes);
}

/* remote_gateway = :: is the IPv6 spelling of any peer: ports to the local address from any
 * source (not a rule for the source address ::, which nothing sends from), no ESP rule. */
static void test_build_any6(void **state)
{
	struct tc_errors notes = { 0 };
	struct buf b;

	(void)state;
	build(DATA "any6.conf", &b, &notes);
	assert_non_null(strstr(b.data, "\t\tip6 daddr 2001:db8::2 udp dport { 500, 4500 } counter ct mark set ct mark or 0x00100000 accept comment \"con1\"\n"));
	assert_null(strstr(b.data, "saddr ::"));
	assert_null(strstr(b.data, "esp, ah } counter ct mark set ct mark or 0x00100000 accept comment \"con1\""));
	assert_non_null(strstr(b.data, "ip6 saddr 2001:db8:2::7 ip6 daddr 2001:db8::2 meta l4proto { esp, ah }"));
	assert_int_equal(notes.n, 0);
	buf_free(&b);
	tc_errors_free(&notes);
}

static void test_build_off(void **state)
{
	struct tc_errors notes = { 0 };
	struct buf b, rm;

	(void)state;
	build(DATA "off.conf", &b, &notes);
	buf_init(&rm);
	nft_build_remove(&rm);
	assert_string_equal(b.data, rm.data);
	assert_string_equal(b.data, "table inet tunnelctl\ndelete table inet tunnelctl\n");
	assert_null(strstr(b.data, "198.51.100.7"));
	buf_free(&b);
	buf_free(&rm);
	tc_errors_free(&notes);
}

static const struct nft_drop_chain *find_drop(const struct nft_analysis *a, const char *family, const char *table)
{
	for (size_t i = 0; i < a->n_drops; i++)
		if (str_eq(a->drops[i].family, family) && str_eq(a->drops[i].table, table))
			return &a->drops[i];
	return NULL;
}

/* Recorded `nft -j list ruleset`: our table plus four other tables (tests/data/fw/README). */
static void test_analyse(void **state)
{
	struct nft_analysis a;
	const struct nft_drop_chain *d;
	struct buf js;

	(void)state;
	buf_init(&js);
	assert_int_equal(file_read_all(DATA "ruleset-drops.json", NFT_MAX_LISTING, &js), 0);
	assert_int_equal(nft_analyse(js.data, js.len, &a), 0);
	assert_true(a.have_table);
	assert_int_equal(a.n_rules, 7);
	assert_string_equal(a.rules[0].name, "con1");
	assert_string_equal(a.rules[0].text, "ip saddr 198.51.100.7 ip daddr 192.0.2.1 udp dport 500,4500");
	assert_string_equal(a.rules[1].text, "ip saddr 198.51.100.7 ip daddr 192.0.2.1 meta l4proto esp,ah");
	assert_string_equal(a.rules[6].name, "con6");
	/* inet filter: policy drop, no mark rule -> blocks */
	d = find_drop(&a, "inet", "filter");
	assert_non_null(d);
	assert_true(d->policy_drop);
	assert_false(d->accepts_mark);
	assert_int_equal(d->priority, 0);
	assert_true(nft_drop_blocks(d));
	/* ip6 legacy: policy accept but an unconditional drop, before our chain -> blocks */
	d = find_drop(&a, "ip6", "legacy");
	assert_non_null(d);
	assert_false(d->policy_drop);
	assert_true(d->before_us);
	assert_true(nft_drop_blocks(d));
	/* inet marked: policy drop but accepts our mark after our chain -> fine; its forward chain ignored */
	d = find_drop(&a, "inet", "marked");
	assert_non_null(d);
	assert_string_equal(d->chain, "input");
	assert_true(d->accepts_mark);
	assert_false(nft_drop_blocks(d));
	/* ip other: only a conditional drop (tcp 22) -> not listed */
	assert_null(find_drop(&a, "ip", "other"));
	assert_int_equal(a.n_drops, 3);
	nft_analysis_free(&a);
	nft_analysis_free(&a);	/* twice is fine */
	buf_free(&js);
}

static void test_analyse_bad(void **state)
{
	static const char empty[] = "{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\"}}]}";
	struct nft_analysis a;

	(void)state;
	assert_int_equal(nft_analyse("table inet x {}", 15, &a), -EINVAL);
	assert_int_equal(nft_analyse("{\"nftables\": 3}", 15, &a), -EINVAL);
	assert_int_equal(nft_analyse(empty, strlen(empty), &a), 0);
	assert_false(a.have_table);
	assert_int_equal(a.n_rules, 0);
	assert_int_equal(a.n_drops, 0);
	nft_analysis_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_golden),
		cmocka_unit_test(test_build_rules),
		cmocka_unit_test(test_build_any6),
		cmocka_unit_test(test_build_off),
		cmocka_unit_test(test_analyse),
		cmocka_unit_test(test_analyse_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
