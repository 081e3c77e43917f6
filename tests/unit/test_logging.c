/* test_logging.c - level names, CAT=LEVEL arguments, and reading levels back from the
 * fragment compile_strongswan writes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "logging.h"

#define DATA "tests/data/logging/"

static int cat(const char *name)
{
	for (int i = 0; i < TUNNEL_LOG_CATEGORIES; i++)
		if (strcmp(tunnel_log_category_names[i], name) == 0)
			return i;
	fail_msg("no category %s", name);
	return -1;
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(logging_level_name(-1), "Silent");
	assert_string_equal(logging_level_name(0), "Audit");
	assert_string_equal(logging_level_name(1), "Control");
	assert_string_equal(logging_level_name(2), "Diag");
	assert_string_equal(logging_level_name(3), "Raw");
	assert_string_equal(logging_level_name(4), "Highest");
	assert_string_equal(logging_level_name(5), "?");
	assert_string_equal(logging_level_name(-2), "?");
}

static void test_assignments(void **state)
{
	int lv[TUNNEL_LOG_CATEGORIES];
	char *err = NULL;

	(void)state;
	memset(lv, 0, sizeof(lv));
	assert_int_equal(logging_parse_assignment("ike=3", lv, &err), 0);
	assert_int_equal(lv[cat("ike")], 3);
	assert_int_equal(lv[cat("knl")], 0);
	assert_int_equal(logging_parse_assignment("knl=Diag", lv, &err), 0);
	assert_int_equal(lv[cat("knl")], 2);
	assert_int_equal(logging_parse_assignment("lib=silent", lv, &err), 0);
	assert_int_equal(lv[cat("lib")], -1);
	assert_int_equal(logging_parse_assignment("all=1", lv, &err), 0);
	for (int i = 0; i < TUNNEL_LOG_CATEGORIES; i++)
		assert_int_equal(lv[i], 1);

	static const char *const bad[] = { "ike", "=3", "ike=5", "ike=-2", "ike=", "ike=3x", "ikev2=1",
					   "ik=1", "IKE=1", "ike=Loud" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(logging_parse_assignment(bad[i], lv, &err), -EINVAL);
		assert_non_null(err);
		free(err);
		err = NULL;
	}
	for (int i = 0; i < TUNNEL_LOG_CATEGORIES; i++)
		assert_int_equal(lv[i], 1);	/* bad input changed nothing */
}

static void compiled(const char *conf, struct buf *out)
{
	struct tc_errors errs = { 0 };
	struct tunnel_file *tf = tunnel_load(conf, &errs);

	assert_non_null(tf);
	buf_init(out);
	compile_strongswan(out, tf, NULL);
	tunnel_file_free(tf);
	tc_errors_free(&errs);
}

/* What compile_strongswan writes reads back as the tunnel file's levels. */
static void test_read_back(void **state)
{
	int lv[TUNNEL_LOG_CATEGORIES];
	struct buf b;

	(void)state;
	compiled(DATA "custom.conf", &b);
	assert_int_equal(logging_read_fragment(b.data, b.len, lv), 0);
	assert_int_equal(lv[cat("ike")], 4);
	assert_int_equal(lv[cat("knl")], -1);
	assert_int_equal(lv[cat("chd")], 2);
	assert_int_equal(lv[cat("cfg")], 2);
	assert_int_equal(lv[cat("dmn")], 1);
	buf_free(&b);

	/* the recorded default fragment: pfSense's defaults ike/chd/cfg 2, others 1 */
	buf_init(&b);
	assert_int_equal(file_read_all(DATA "default.conf", 1u << 20, &b), 0);
	assert_int_equal(logging_read_fragment(b.data, b.len, lv), 0);
	for (int i = 0; i < TUNNEL_LOG_CATEGORIES; i++) {
		const char *n = tunnel_log_category_names[i];
		int want = strcmp(n, "ike") == 0 || strcmp(n, "chd") == 0 || strcmp(n, "cfg") == 0 ? 2 : 1;
		assert_int_equal(lv[i], want);
	}
	buf_free(&b);
}

static void test_read_bad(void **state)
{
	static const char missing[] = "charon {\n filelog {\n tunnelctl {\n ike = 2\n }\n }\n}\n";
	static const char range[] = "charon {\n filelog {\n tunnelctl {\n dmn = 1\n mgr = 1\n ike = 9\n"
				    " chd = 1\n job = 1\n cfg = 1\n knl = 1\n net = 1\n asn = 1\n enc = 1\n"
				    " imc = 1\n imv = 1\n pts = 1\n tls = 1\n esp = 1\n lib = 1\n }\n }\n}\n";
	int lv[TUNNEL_LOG_CATEGORIES];

	(void)state;
	assert_int_equal(logging_read_fragment("", 0, lv), -ENOENT);
	assert_int_equal(logging_read_fragment(missing, strlen(missing), lv), -ENOENT);
	assert_int_equal(logging_read_fragment(range, strlen(range), lv), -EINVAL);
	assert_int_equal(logging_read_fragment("charon {", 8, lv), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_assignments),
		cmocka_unit_test(test_read_back),
		cmocka_unit_test(test_read_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
