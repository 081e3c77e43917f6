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

#include "bundle.h"
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact_tunnel_file),
		cmocka_unit_test(test_redact_forms),
		cmocka_unit_test(test_redact_swanctl),
		cmocka_unit_test(test_scrub),
		cmocka_unit_test(test_log_clean),
		cmocka_unit_test(test_vici_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
