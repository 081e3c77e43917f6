/* test_bundle.c - redaction for `tunnelctl bundle` on real inputs: the lab's tunnel file, a
 * swanctl.conf recorded from the lab, and a charon log written at IKE level 4 in the lab (it
 * dumps each PSK over two lines of hex and text). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>

#include "bundle.h"
#include "xfrm_nl.h"
#include "conf.h"
#include "util.h"

/* Parse text as file name, redact it; the caller frees out. */
static size_t redact(const char *name, const char *text, struct buf *out)
{
	struct tc_errors errs = { 0 };
	struct conf_tree *t = conf_parse(name, text, strlen(text), NULL, &errs);
	size_t n;

	assert_non_null(t);
	assert_int_equal(errs.n_errors, 0);
	n = bundle_redact_conf(text, strlen(text), t, t->files[0], out);
	buf_addc(out, '\0');
	conf_tree_free(t);
	tc_errors_free(&errs);
	return n;
}

static void test_redact_tunnel_file(void **state)
{
	struct buf raw = { 0 }, out = { 0 };

	(void)state;
	assert_int_equal(file_read_all("examples/lab-a.conf", 1 << 20, &raw), 0);
	buf_addc(&raw, '\0');
	assert_non_null(strstr(raw.data, "lab-shared-secret-0123456789"));
	assert_int_equal(redact("lab-a.conf", raw.data, &out), 1);
	assert_null(strstr(out.data, "lab-shared-secret"));
	assert_non_null(strstr(out.data, "psk = \"<hidden>\""));
	/* everything else unchanged: only the value's length differs */
	assert_int_equal(out.len - 1 - strlen("<hidden>"), raw.len - 1 - strlen("lab-shared-secret-0123456789"));
	assert_non_null(strstr(out.data, "remote_gateway = 192.0.2.2"));
	buf_free(&raw);
	buf_free(&out);
}

/* Bare values (to a comment, a brace or the line end), escapes, a value over two lines. */
static void test_redact_forms(void **state)
{
	struct buf out = { 0 };

	(void)state;
	assert_int_equal(redact("t.conf",
				"a { psk = bare-secret-value   # note\n"
				"    b { psk = inline-secret }\n"
				"    psk = \"quo\\\"ted } secret\"\n"
				"    secret = \"two\nlines\"\n"
				"    pskx = not-a-secret\n"
				"}\n",
				&out),
			 4);
	assert_string_equal(out.data, "a { psk = <hidden>   # note\n"
				      "    b { psk = <hidden> }\n"
				      "    psk = \"<hidden>\"\n"
				      "    secret = \"<hidden>\"\n"
				      "    pskx = not-a-secret\n"
				      "}\n");
	buf_free(&out);
}

static void test_redact_swanctl(void **state)
{
	struct buf raw = { 0 }, out = { 0 };

	(void)state;
	assert_int_equal(file_read_all("tests/data/vici/a.swanctl.conf", 1 << 20, &raw), 0);
	buf_addc(&raw, '\0');
	assert_true(redact("a.swanctl.conf", raw.data, &out) >= 2);
	assert_null(strstr(out.data, "0sdGVzdC1vbmx5LXNlY3JldC0x"));
	assert_null(strstr(out.data, "test-only secret 2"));
	assert_non_null(strstr(out.data, "secret = <hidden>"));
	assert_non_null(strstr(out.data, "id-1 = 192.0.2.2"));
	buf_free(&raw);
	buf_free(&out);
}

static void test_scrub(void **state)
{
	struct buf b = { 0 };
	char *secrets[] = { "s3cret-one", "", "two" };

	(void)state;
	buf_adds(&b, "x s3cret-one y s3cret-ones two,two");
	assert_int_equal(bundle_scrub(&b, secrets, 3), 4);
	buf_addc(&b, '\0');
	assert_string_equal(b.data, "x <hidden> y <hidden>s <hidden>,<hidden>");
	buf_free(&b);
}

/* The lab's IKE level 4 log: every dump line goes, the dump headers and the rest stay, and no
 * piece of either PSK is left (each is split over two dump lines, so a whole-PSK search
 * alone would miss it). */
static void test_log_clean(void **state)
{
	struct buf raw = { 0 }, out = { 0 };
	size_t dropped, lines_in = 0, lines_out = 0;

	(void)state;
	assert_int_equal(file_read_all("tests/data/bundle/charon-ike4.log", 1 << 20, &raw), 0);
	buf_addc(&raw, '\0');
	assert_non_null(strstr(raw.data, "capture-first-se"));
	dropped = bundle_log_clean(raw.data, raw.len - 1, &out);
	buf_addc(&out, '\0');
	for (size_t i = 0; i < raw.len; i++)
		lines_in += raw.data[i] == '\n';
	for (size_t i = 0; i < out.len; i++)
		lines_out += out.data[i] == '\n';
	assert_true(dropped > 100);
	assert_int_equal(lines_in - dropped, lines_out);
	assert_null(strstr(out.data, "capture-"));
	assert_null(strstr(out.data, "cret-0123456789"));
	assert_null(strstr(out.data, "   0: "));
	assert_non_null(strstr(out.data, "<con1|1> secret => 31 bytes @ "));
	assert_non_null(strstr(out.data, "CHILD_SA con1{1} established"));
	buf_free(&raw);
	buf_free(&out);
}

static void test_vici_json(void **state)
{
	struct vici_node item = { .type = VICI_NODE_ITEM, .name = "", .value = "esp", .len = 3 };
	struct vici_node *items[] = { &item };
	struct vici_node list = { .type = VICI_NODE_LIST, .name = "proto", .child = items, .n_child = 1 };
	struct vici_node kv = { .type = VICI_NODE_KV, .name = "state", .value = "INSTALLED", .len = 9 };
	struct vici_node *kids[] = { &kv, &list };
	struct vici_node sec = { .type = VICI_NODE_SECTION, .name = "con1", .child = kids, .n_child = 2 };
	json_t *j;
	char *s;

	(void)state;
	j = bundle_vici_json(&sec);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"proto\":[\"esp\"],\"state\":\"INSTALLED\"}");
	free(s);
	json_decref(j);
}


/* A route dump recorded from a network namespace with a route in charon's table 220. */
static void test_routes(void **state)
{
	struct buf raw = { 0 };
	struct xfrm_nl_text t = { 0 };
	char err[XFRM_NL_ERR_MAX] = "";
	int done = 0;

	(void)state;
	assert_int_equal(file_read_all("tests/data/bundle/routes-220.bin", 1 << 20, &raw), 0);
	assert_int_equal(xfrm_nl_decode_routes(raw.data, raw.len, &t, &done, err), 0);
	assert_int_equal(done, 1);
	buf_addc(&t.text, '\0');
	assert_true(t.n >= 8);
	assert_non_null(strstr(t.text.data, "table 220 unicast 10.2.0.0/24 via 192.0.2.2 oif "));
	assert_non_null(strstr(t.text.data, " src 192.0.2.1 metric 5\n"));
	assert_non_null(strstr(t.text.data, "table 255 local 127.0.0.1/32"));
	assert_non_null(strstr(t.text.data, "table 254 unicast 2001:db8::/64"));
	/* cut anywhere: an error or fewer lines, never a read past the end */
	for (size_t cut = 0; cut < raw.len; cut += 7) {
		struct xfrm_nl_text c = { 0 };
		unsigned char *copy = xmalloc(cut + 1);
		memcpy(copy, raw.data, cut);
		done = 0;
		int rc = xfrm_nl_decode_routes(copy, cut, &c, &done, err);
		assert_true(rc == 0 || rc == -EBADMSG);
		assert_true(c.n <= t.n);
		free(copy);
		buf_free(&c.text);
	}
	buf_free(&t.text);
	buf_free(&raw);
}

/* An XFRM state as the kernel sends it (this kernel has no ESP to record one from: built from
 * linux/xfrm.h's structures): names and key sizes come out, key bytes never. */
static void test_states(void **state)
{
	struct {
		struct nlmsghdr h;
		struct xfrm_usersa_info u;
		struct nlattr a;
		struct xfrm_algo_aead aead;
		unsigned char key[20];
		struct nlattr e;
		struct xfrm_encap_tmpl encap;
	} m;
	struct nlmsghdr done_msg = { .nlmsg_len = NLMSG_LENGTH(sizeof(int)), .nlmsg_type = NLMSG_DONE };
	/* the message ends after the last attribute (the struct may have tail padding) */
	const size_t len = offsetof(__typeof__(m), encap) + sizeof(m.encap);
	unsigned char two[sizeof(m) + NLMSG_LENGTH(sizeof(int))];
	struct xfrm_nl_text t = { 0 };
	char err[XFRM_NL_ERR_MAX] = "", hex[8];
	int done = 0;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.h.nlmsg_len = (uint32_t)len;
	m.h.nlmsg_type = XFRM_MSG_NEWSA;
	m.u.family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", &m.u.saddr);
	inet_pton(AF_INET, "192.0.2.2", &m.u.id.daddr);
	m.u.id.spi = htonl(0xc4bef357);
	m.u.id.proto = 50;
	m.u.reqid = 7;
	m.u.mode = 1;
	m.u.curlft.bytes = 1234;
	m.u.curlft.packets = 5;
	m.a.nla_len = (uint16_t)(sizeof(m.a) + sizeof(m.aead) + sizeof(m.key));
	m.a.nla_type = XFRMA_ALG_AEAD;
	strcpy(m.aead.alg_name, "rfc4106(gcm(aes))");
	m.aead.alg_key_len = 160;
	m.aead.alg_icv_len = 128;
	memcpy(m.key, "KEYBYTESKEYBYTES\xde\xad\xbe\xef", sizeof(m.key));
	m.e.nla_len = (uint16_t)(sizeof(m.e) + sizeof(m.encap));
	m.e.nla_type = XFRMA_ENCAP;
	m.encap.encap_type = 2;
	m.encap.encap_sport = htons(4500);
	m.encap.encap_dport = htons(4500);
	memset(two, 0, sizeof(two));
	memcpy(two, &m, len);
	memcpy(two + len, &done_msg, sizeof(done_msg));

	assert_int_equal(xfrm_nl_decode_states(two, len + NLMSG_LENGTH(sizeof(int)), &t, &done, err), 0);
	assert_int_equal(done, 1);
	assert_int_equal(t.n, 1);
	buf_addc(&t.text, '\0');
	assert_string_equal(t.text.data, "192.0.2.1 -> 192.0.2.2 proto 50 spi 0xc4bef357 reqid 7 mode 1 aead "
					 "rfc4106(gcm(aes)) (160-bit key) encap udp 4500->4500 bytes 1234 packets 5\n");
	assert_null(strstr(t.text.data, "KEYBYTES"));
	snprintf(hex, sizeof(hex), "%02x%02x", 'K', 'E');
	assert_null(strstr(t.text.data, hex));
	/* an attribute longer than its message: refused */
	m.a.nla_len = 0xffff;
	buf_free(&t.text);
	memset(&t, 0, sizeof(t));
	assert_int_equal(xfrm_nl_decode_states(&m, len, &t, &done, err), -EBADMSG);
	buf_free(&t.text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact_tunnel_file),
		cmocka_unit_test(test_redact_forms),
		cmocka_unit_test(test_redact_swanctl),
		cmocka_unit_test(test_scrub),
		cmocka_unit_test(test_log_clean),
		cmocka_unit_test(test_vici_json),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_states),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
