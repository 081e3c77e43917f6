/* test_swanctl_msg.c - swanctl.conf sections to VICI messages, checked byte for byte against the
 * load-shared and load-conn requests swanctl itself sent for the same file (recorded by
 * tests/data/vici/capture.sh). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "swanctl_msg.h"
#include "util.h"
#include "vici.h"

#define DATA "tests/data/vici/"

/* The n-th CMD_REQUEST named cmd in swanctl's recorded requests, as raw segment bytes. */
static void recorded_request(const char *cmd, size_t nth, struct buf *out)
{
	struct buf raw;
	size_t pos = 0;

	assert_int_equal(file_read_all(DATA "load-all.req.bin", TC_MAX_FILE_SIZE, &raw), 0);
	buf_init(out);
	while (pos < raw.len) {
		struct vici_packet p;
		struct vici_err err;
		size_t used;

		assert_int_equal(vici_packet_decode(raw.data + pos, raw.len - pos, &used, &p, &err), 0);
		if (p.type == VICI_CMD_REQUEST && strcmp(p.name, cmd) == 0 && nth-- == 0) {
			buf_add(out, raw.data + pos, used);
			vici_packet_clear(&p);
			break;
		}
		vici_packet_clear(&p);
		pos += used;
	}
	buf_free(&raw);
	assert_true(out->len > 0);
}

static struct conf_tree *load_conf(const char *path)
{
	struct tc_errors errs = { 0 };
	struct conf_tree *t = conf_parse_file(path, &errs);

	assert_int_equal(errs.n, 0);
	tc_errors_free(&errs);
	return t;
}

static void test_conns_match_swanctl(void **state)
{
	struct conf_tree *t = load_conf(DATA "a.swanctl.conf");
	struct conf_node *conns = conf_find(t->root, "connections", CONF_SECTION);
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < conns->n_child; i++) {
		struct tc_errors errs = { 0 };
		struct vici_msg m;
		struct buf want, got;

		if (conns->child[i]->type != CONF_SECTION)
			continue;
		vici_msg_init(&m);
		buf_init(&got);
		assert_int_equal(swanctl_msg_conn(conns->child[i], NULL, &m, &errs), 0);
		assert_int_equal(vici_packet_build(VICI_CMD_REQUEST, "load-conn", &m, &got), 0);
		recorded_request("load-conn", n++, &want);
		assert_int_equal(got.len, want.len);
		assert_memory_equal(got.data, want.data, got.len);
		buf_free(&want);
		buf_free(&got);
		vici_msg_free(&m);
		tc_errors_free(&errs);
	}
	assert_int_equal(n, 2);
	conf_tree_free(t);
}

static void test_secrets_match_swanctl(void **state)
{
	struct conf_tree *t = load_conf(DATA "a.swanctl.conf");
	struct conf_node *secrets = conf_find(t->root, "secrets", CONF_SECTION);

	(void)state;
	assert_int_equal(secrets->n_child, 2);
	for (size_t i = 0; i < secrets->n_child; i++) {
		struct tc_errors errs = { 0 };
		struct vici_msg m;
		struct buf want, got;

		vici_msg_init(&m);
		buf_init(&got);
		assert_int_equal(swanctl_msg_shared(secrets->child[i], &m, &errs), 0);
		assert_int_equal(vici_packet_build(VICI_CMD_REQUEST, "load-shared", &m, &got), 0);
		recorded_request("load-shared", i, &want);
		assert_int_equal(got.len, want.len);
		assert_memory_equal(got.data, want.data, got.len);
		buf_free(&want);
		buf_free_secret(&got);
		vici_msg_free(&m);
	}
	conf_tree_free(t);
}

/* Build from text and decode again, for the cases the recording does not cover. */
static struct vici_node *conn_tree(const char *text, int want_ret, struct tc_errors *errs,
				   const struct swanctl_msg_io *io)
{
	struct conf_tree *t;
	struct vici_msg m;
	struct vici_node *n = NULL;
	struct vici_err err;

	memset(errs, 0, sizeof(*errs));
	t = conf_parse("t.conf", text, strlen(text), NULL, errs);
	vici_msg_init(&m);
	assert_int_equal(swanctl_msg_conn(t->root->child[0], io, &m, errs), want_ret);
	if (want_ret == 0)
		assert_int_equal(vici_msg_decode(m.b.data, m.b.len, &n, &err), 0);
	vici_msg_free(&m);
	conf_tree_free(t);
	return n;
}

static int fake_read(void *arg, const char *key, const char *path, struct buf *out)
{
	(void)arg;
	if (strcmp(path, "missing.pem") == 0)
		return -ENOENT;
	buf_printf(out, "%s:%s", key, path);
	return 0;
}

static void test_lists_tokens_and_files(void **state)
{
	struct tc_errors errs;
	struct swanctl_msg_io io = { .read = fake_read };
	struct vici_node *n, *l;

	(void)state;
	n = conn_tree("c {\n local_addrs = 192.0.2.1\n"
		      " remote_addrs = ' a, b ', ,c ,, d \n"
		      " Proposals = x\n"
		      " mobike = no\n"
		      " remote { certs = peer.pem, 0x00ff, 0sAAE= }\n"
		      " children { c { local_ts = 10.0.0.0/8 } }\n}\n",
		      0, &errs, &io);
	l = vici_find(n, "c.local_addrs");
	assert_int_equal(l->type, VICI_NODE_LIST);	/* a list even with one value */
	l = vici_find(n, "c.remote_addrs");
	assert_int_equal(l->n_child, 3);	/* empty tokens dropped */
	assert_string_equal(vici_list_str(l, 0), " a, b ");	/* quotes keep a token whole */
	assert_string_equal(vici_list_str(l, 1), "c");
	assert_string_equal(vici_list_str(l, 2), "d");
	assert_int_equal(vici_find(n, "c.Proposals")->type, VICI_NODE_LIST);	/* case-insensitive */
	assert_string_equal(vici_find_str(n, "c.mobike", "(absent)"), "no");
	l = vici_find(n, "c.remote.certs");
	assert_int_equal(l->n_child, 3);
	assert_string_equal(vici_list_str(l, 0), "certs:peer.pem");
	assert_int_equal(l->child[1]->len, 2);
	assert_memory_equal(l->child[1]->value, "\x00\xff", 2);
	assert_int_equal(l->child[2]->len, 2);
	assert_memory_equal(l->child[2]->value, "\x00\x01", 2);
	assert_string_equal(vici_list_str(vici_find(n, "c.children.c.local_ts"), 0), "10.0.0.0/8");
	/* key/values before sections, as swanctl sends them */
	assert_string_equal(vici_child(n, "c")->child[3]->name, "mobike");
	vici_node_free(n);
	tc_errors_free(&errs);

	/* a file name without a reader, a missing file, a bad blob: located errors */
	conn_tree("c {\n remote {\n  cacerts = ca.pem\n }\n}\n", -EINVAL, &errs, NULL);
	assert_int_equal(errs.n, 1);
	assert_int_equal(errs.v[0].line, 3);
	assert_non_null(strstr(errs.v[0].msg, "ca.pem"));
	tc_errors_free(&errs);
	conn_tree("c {\n certs = missing.pem\n}\n", -EINVAL, &errs, &io);
	assert_non_null(strstr(errs.v[0].msg, "No such file"));
	tc_errors_free(&errs);
	conn_tree("c {\n pubkeys = 0xABC\n}\n", -EINVAL, &errs, &io);
	assert_non_null(strstr(errs.v[0].msg, "malformed"));
	tc_errors_free(&errs);
	conn_tree("c : tmpl {\n version = 2\n}\n", -EINVAL, &errs, &io);
	assert_non_null(strstr(errs.v[0].msg, "templates"));
	tc_errors_free(&errs);
}

static void test_secret_forms(void **state)
{
	static const char text[] =
		"s {\n"
		" ike-hex { secret = 0x414243\n id = a }\n"
		" eap-raw { secret = plain\n id-x = u@d\n id2 = v@d\n }\n"
		" private-1 { file = k.pem }\n"
		" ike-none { id = a }\n"
		" weird { secret = x }\n"
		" ike-bad { secret = 0s!!!! }\n"
		"}\n";
	struct tc_errors errs = { 0 };
	struct conf_tree *t = conf_parse("t.conf", text, strlen(text), NULL, &errs);
	struct conf_node *s = t->root->child[0];
	struct vici_msg m;
	struct vici_node *n;
	struct vici_err err;

	(void)state;
	vici_msg_init(&m);
	assert_int_equal(swanctl_msg_shared(s->child[0], &m, &errs), 0);
	assert_int_equal(vici_msg_decode(m.b.data, m.b.len, &n, &err), 0);
	assert_string_equal(vici_find_str(n, "data", "(absent)"), "ABC");
	assert_string_equal(vici_find_str(n, "type", "(absent)"), "ike");
	assert_string_equal(vici_list_str(vici_find(n, "owners"), 0), "a");
	vici_node_free(n);
	vici_msg_free(&m);

	vici_msg_init(&m);
	assert_int_equal(swanctl_msg_shared(s->child[1], &m, &errs), 0);
	assert_int_equal(vici_msg_decode(m.b.data, m.b.len, &n, &err), 0);
	assert_string_equal(vici_find_str(n, "type", "(absent)"), "eap");
	assert_string_equal(vici_find_str(n, "data", "(absent)"), "plain");
	assert_int_equal(vici_find(n, "owners")->n_child, 2);
	vici_node_free(n);
	vici_msg_free(&m);

	vici_msg_init(&m);
	assert_int_equal(swanctl_msg_shared(s->child[2], &m, &errs), -ENOTSUP);
	assert_int_equal(errs.n, 0);
	assert_int_equal(swanctl_msg_shared(s->child[3], &m, &errs), -EINVAL);
	assert_int_equal(swanctl_msg_shared(s->child[4], &m, &errs), -EINVAL);
	assert_int_equal(swanctl_msg_shared(s->child[5], &m, &errs), -EINVAL);
	assert_int_equal(errs.n, 3);
	assert_non_null(strstr(errs.v[0].msg, "no 'secret'"));
	assert_non_null(strstr(errs.v[1].msg, "unsupported secret 'weird'"));
	assert_non_null(strstr(errs.v[2].msg, "malformed"));
	vici_msg_free(&m);
	tc_errors_free(&errs);
	conf_tree_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conns_match_swanctl),
		cmocka_unit_test(test_secrets_match_swanctl),
		cmocka_unit_test(test_lists_tokens_and_files),
		cmocka_unit_test(test_secret_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
