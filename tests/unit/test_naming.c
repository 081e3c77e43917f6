/* test_naming.c - conN / conN_M for every version and split combination, and name resolution. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "naming.h"
#include "unit_helpers.h"

/* One phase 1 (IKE ID 3) with reqids 7 and 8, in the given version/split. */
static struct tunnel_file *two_p2(const char *version, const char *split)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "tunnels {\n 3 {\n description = Main Office\n version = %s\n split_connections = %s\n"
		 " remote_gateway = 192.0.2.1\n psk = 0123456789abcdefXYZ\n phase2 {\n"
		 " 8 {\n local = 10.1.0.0/24\n remote = 10.2.0.0/24\n }\n"
		 " 7 {\n local = 10.1.0.0/24\n remote = 10.3.0.0/24\n }\n }\n }\n}\n",
		 version, split);
	return unit_tunnels(text);
}

static void test_child_names(void **state)
{
	static const struct {
		const char *version, *split;
		const char *child7, *child8;
	} cases[] = {
		{ "ikev2", "no", "con3", "con3" },
		{ "auto", "no", "con3", "con3" },	/* pfSense's status page gets this one wrong */
		{ "ikev1", "no", "con3_7", "con3_8" },
		{ "ikev2", "yes", "con3_7", "con3_8" },
		{ "auto", "yes", "con3_7", "con3_8" },
		{ "ikev1", "yes", "con3_7", "con3_8" },
	};
	char ike[NAMING_MAX], child[NAMING_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tunnel_file *tf = two_p2(cases[i].version, cases[i].split);
		const struct tunnel_phase1 *p1 = tunnel_find_p1(tf, 3);
		naming_ike(p1, ike);
		assert_string_equal(ike, "con3");
		assert_int_equal(p1->p2[0].reqid, 7);	/* sorted */
		naming_child(p1, &p1->p2[0], child);
		assert_string_equal(child, cases[i].child7);
		naming_child(p1, &p1->p2[1], child);
		assert_string_equal(child, cases[i].child8);
		tunnel_file_free(tf);
	}
}

static void test_parse(void **state)
{
	unsigned ike, req;

	(void)state;
	assert_true(naming_parse("con3", &ike, &req));
	assert_int_equal(ike, 3);
	assert_int_equal(req, 0);
	assert_true(naming_parse("con15999_15999", &ike, &req));
	assert_int_equal(ike, 15999);
	assert_int_equal(req, 15999);
	assert_false(naming_parse("con0", &ike, &req));
	assert_false(naming_parse("con03", &ike, &req));
	assert_false(naming_parse("con16000", &ike, &req));
	assert_false(naming_parse("con3_", &ike, &req));
	assert_false(naming_parse("con3_x", &ike, &req));
	assert_false(naming_parse("bypass", &ike, &req));
	assert_false(naming_parse("con", &ike, &req));
}

static void test_resolve(void **state)
{
	struct tunnel_file *split = two_p2("ikev1", "no");
	struct tunnel_file *merged = two_p2("ikev2", "no");
	struct naming_target t;

	(void)state;
	/* conN on a merged tunnel: IKE SA and the merged child */
	assert_int_equal(naming_resolve(merged, "con3", &t), 0);
	assert_string_equal(t.ike, "con3");
	assert_string_equal(t.child, "con3");
	assert_null(t.p2);
	/* conN_M does not exist when merged */
	assert_int_equal(naming_resolve(merged, "con3_7", &t), -ENOENT);
	/* split: conN is only the IKE SA, conN_M the child */
	assert_int_equal(naming_resolve(split, "con3", &t), 0);
	assert_string_equal(t.child, "");
	assert_int_equal(naming_resolve(split, "con3_8", &t), 0);
	assert_string_equal(t.ike, "con3");
	assert_string_equal(t.child, "con3_8");
	assert_int_equal(t.p2->reqid, 8);
	assert_int_equal(naming_resolve(split, "con4_8", &t), -ENOENT);
	assert_int_equal(naming_resolve(split, "con3_9", &t), -ENOENT);
	/* bare IKE ID and description */
	assert_int_equal(naming_resolve(split, "3", &t), 0);
	assert_string_equal(t.ike, "con3");
	assert_int_equal(naming_resolve(split, "Main Office", &t), 0);
	assert_int_equal(t.p1->ikeid, 3);
	assert_int_equal(naming_resolve(split, "main office", &t), -ENOENT);
	tunnel_file_free(split);
	tunnel_file_free(merged);

	struct tunnel_file *dup = unit_tunnels("tunnels {\n 1 {\n description = X\n remote_gateway = 192.0.2.1\n psk = 0123456789abcdefXYZ\n }\n"
					" 2 {\n description = X\n remote_gateway = 192.0.2.2\n psk = 0123456789abcdefXYZ\n }\n}\n");
	assert_int_equal(naming_resolve(dup, "X", &t), -EINVAL);
	tunnel_file_free(dup);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_child_names),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_resolve),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
