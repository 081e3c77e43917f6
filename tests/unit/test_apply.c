/* test_apply.c - apply's change set: additions, key-level changes, removals, secrets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "apply.h"

static struct conf_tree *tree(const char *text)
{
	struct tc_errors errs = { 0 };
	struct conf_tree *t = conf_parse("gen.conf", text, strlen(text), NULL, &errs);

	assert_int_equal(errs.n, 0);
	tc_errors_free(&errs);
	return t;
}

static const char old_text[] =
	"connections {\n"
	" con1 {\n  version = 2\n  remote_addrs = 192.0.2.1\n"
	"  children {\n   con1 {\n    esp_proposals = aes128-sha256-modp2048\n   }\n  }\n }\n"
	" con2 {\n  remote_addrs = 192.0.2.2\n  children {\n   con2_5 {\n    local_ts = 10.1.0.0/24\n   }\n   con2_6 {\n    local_ts = 10.1.1.0/24\n   }\n  }\n }\n"
	" con3 {\n  remote_addrs = 192.0.2.3\n }\n"
	"}\n"
	"secrets {\n ike-1 {\n  secret = 0sAAAA\n }\n ike-3 {\n  secret = 0sBBBB\n }\n}\n";

static const char new_text[] =
	"connections {\n"
	" con1 {\n  version = 2\n  remote_addrs = 192.0.2.1\n"
	"  children {\n   con1 {\n    esp_proposals = aes128-sha256-modp2048\n   }\n  }\n }\n"
	" con2 {\n  remote_addrs = 192.0.2.2\n  children {\n   con2_5 {\n    local_ts = 10.1.0.0/24\n   }\n   con2_6 {\n    local_ts = 10.1.2.0/24\n   }\n  }\n }\n"
	" con4 {\n  remote_addrs = 192.0.2.4\n }\n"
	"}\n"
	"secrets {\n ike-1 {\n  secret = 0sCCCC\n }\n ike-4 {\n  secret = 0sDDDD\n }\n}\n";

static void test_plan(void **state)
{
	struct conf_tree *o = tree(old_text), *n = tree(new_text);
	char *loaded[] = { "con1", "con2", "con3", "someone-elses" };
	struct apply_plan p;

	(void)state;
	apply_plan_build(o->root, n->root, loaded, 4, &p);
	assert_int_equal(p.n, 3);
	/* removals, changes, additions; con1 is unchanged and absent */
	assert_int_equal(p.v[0].kind, APPLY_REMOVE);
	assert_string_equal(p.v[0].name, "con3");
	assert_non_null(p.v[0].old_conn);
	assert_int_equal(p.v[1].kind, APPLY_CHANGE);
	assert_string_equal(p.v[1].name, "con2");
	assert_string_equal(p.v[1].keys, "children.con2_6.local_ts");
	assert_int_equal(p.v[2].kind, APPLY_ADD);
	assert_string_equal(p.v[2].name, "con4");
	assert_null(p.v[2].old_conn);
	/* someone-elses is never touched */
	for (size_t i = 0; i < p.n; i++)
		assert_string_not_equal(p.v[i].name, "someone-elses");
	assert_int_equal(p.n_secrets_removed, 1);
	assert_string_equal(p.secrets_removed[0], "ike-3");
	assert_int_equal(p.n_secrets_changed, 2);
	assert_string_equal(p.secrets_changed[0], "ike-1");
	assert_string_equal(p.secrets_changed[1], "ike-4");
	apply_plan_free(&p);
	conf_tree_free(o);
	conf_tree_free(n);
}

/* charon restarted (nothing loaded): everything is added, even if unchanged on disk. */
static void test_plan_after_charon_restart(void **state)
{
	struct conf_tree *o = tree(old_text), *n = tree(old_text);
	struct apply_plan p;

	(void)state;
	apply_plan_build(o->root, n->root, NULL, 0, &p);
	assert_int_equal(p.n, 3);
	for (size_t i = 0; i < p.n; i++)
		assert_int_equal(p.v[i].kind, APPLY_ADD);
	assert_int_equal(p.n_secrets_changed, 0);
	apply_plan_free(&p);

	/* same file, all loaded: nothing to do */
	char *loaded[] = { "con1", "con2", "con3" };
	apply_plan_build(o->root, n->root, loaded, 3, &p);
	assert_int_equal(p.n, 0);
	apply_plan_free(&p);
	conf_tree_free(o);
	conf_tree_free(n);
}

/* a loaded connection we have no previous text for is replaced, with an empty key list */
static void test_plan_no_previous_file(void **state)
{
	struct conf_tree *n = tree(new_text);
	char *loaded[] = { "con1", "con9_9" };
	struct apply_plan p;

	(void)state;
	apply_plan_build(NULL, n->root, loaded, 2, &p);
	assert_int_equal(p.n, 4);
	assert_int_equal(p.v[0].kind, APPLY_REMOVE);
	assert_string_equal(p.v[0].name, "con9_9");
	assert_int_equal(p.v[1].kind, APPLY_CHANGE);
	assert_string_equal(p.v[1].name, "con1");
	assert_string_equal(p.v[1].keys, "");
	assert_true(apply_is_ours("bypass"));
	assert_false(apply_is_ours("home"));
	apply_plan_free(&p);
	conf_tree_free(n);
}

/* PSKs charon holds under our names but the new config lacks are unloaded; others' and the
 * ones the plan already removes are left alone. */
static void test_stale_secrets(void **state)
{
	struct conf_tree *o = tree(old_text), *n = tree(new_text);
	char *loaded[] = { "con1", "con2", "con3" };
	char *shared[] = { "ike-1", "ike-3", "ike-7", "ike-4", "vpn-admin", "ike-x", "ike-" };
	struct apply_plan p;

	(void)state;
	apply_plan_build(o->root, n->root, loaded, 3, &p);
	apply_plan_stale_secrets(n->root, shared, 7, &p);
	assert_int_equal(p.n_secrets_removed, 2);
	assert_string_equal(p.secrets_removed[0], "ike-3");	/* from the old file, once */
	assert_string_equal(p.secrets_removed[1], "ike-7");	/* left by an interrupted apply */
	apply_plan_free(&p);
	/* no previous file at all: charon's list alone */
	apply_plan_build(NULL, n->root, loaded, 3, &p);
	apply_plan_stale_secrets(n->root, shared, 7, &p);
	assert_int_equal(p.n_secrets_removed, 2);
	assert_string_equal(p.secrets_removed[0], "ike-3");
	assert_string_equal(p.secrets_removed[1], "ike-7");
	apply_plan_free(&p);
	conf_tree_free(o);
	conf_tree_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_stale_secrets),
		cmocka_unit_test(test_plan_after_charon_restart),
		cmocka_unit_test(test_plan_no_previous_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
