/* test_state.c - the state directory's key-id records: kept per secret name, 0600, read back,
 * forgotten; names that are not plain file names and ids that are not hex are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "state.h"
#include "util.h"

static void test_keyid_roundtrip(void **state)
{
	char dir[] = "/tmp/tc-state-XXXXXX", id[STATE_KEYID_MAX];
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(state_keyid_load(dir, "private-3", id), -ENOENT);
	/* the form charon's load-key reply has (%+B: hex without colons) */
	assert_int_equal(state_keyid_save(dir, "private-3", "6b1f9d0e3c52a1e07e51fd7a1b2c3d4e5f607182"), 0);
	assert_int_equal(state_keyid_load(dir, "private-3", id), 0);
	assert_string_equal(id, "6b1f9d0e3c52a1e07e51fd7a1b2c3d4e5f607182");
	char *path = xasprintf("%s/keys/private-3", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* a second save replaces the first */
	assert_int_equal(state_keyid_save(dir, "private-3", "aa:bb:cc"), 0);
	assert_int_equal(state_keyid_load(dir, "private-3", id), 0);
	assert_string_equal(id, "aa:bb:cc");
	assert_int_equal(state_keyid_remove(dir, "private-3"), 0);
	assert_int_equal(state_keyid_load(dir, "private-3", id), -ENOENT);
	assert_int_equal(state_keyid_remove(dir, "private-3"), 0);	/* already gone: fine */
	free(path);
	path = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
	free(path);
}

/* The apply-pending marker: absent, set (0600), still set after a second set, cleared. */
static void test_apply_pending(void **state)
{
	char dir[] = "/tmp/tc-state-XXXXXX";
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_false(state_apply_pending(dir));
	assert_int_equal(state_apply_pending_clear(dir), 0);	/* nothing to clear: fine */
	assert_int_equal(state_apply_pending_set(dir), 0);
	assert_true(state_apply_pending(dir));
	char *path = xasprintf("%s/apply.pending", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(state_apply_pending_set(dir), 0);
	assert_true(state_apply_pending(dir));
	assert_int_equal(state_apply_pending_clear(dir), 0);
	assert_false(state_apply_pending(dir));
	free(path);
	path = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
	free(path);
}

static void test_keyid_refused(void **state)
{
	char dir[] = "/tmp/tc-state-XXXXXX", id[STATE_KEYID_MAX], big[STATE_KEYID_MAX + 8];

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(state_keyid_save(dir, "../escape", "abcd"), -EINVAL);
	assert_int_equal(state_keyid_save(dir, "", "abcd"), -EINVAL);
	assert_int_equal(state_keyid_save(dir, "private-1", "not hex"), -EINVAL);
	assert_int_equal(state_keyid_save(dir, "private-1", ""), -EINVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(state_keyid_save(dir, "private-1", big), -EINVAL);
	assert_int_equal(state_keyid_load(dir, "a/b", id), -EINVAL);
	/* a record edited by hand into something that is not a key id is not used */
	char *keys = xasprintf("%s/keys", dir), *path = xasprintf("%s/keys/private-2", dir);
	assert_int_equal(mkdir_p(keys, 0700), 0);
	assert_int_equal(file_write_atomic(path, "zz; rm -rf /\n", 13, 0600), 0);
	assert_int_equal(state_keyid_load(dir, "private-2", id), -EINVAL);
	assert_string_equal(id, "");
	free(keys);
	free(path);
	path = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
	free(path);
}

/* A symlink inside the state directory is never followed (down/ pointing elsewhere used to put
 * marks there), a state directory writable by others is refused; the state directory itself
 * may be a symlink. */
static void test_state_dir_symlinks(void **state)
{
	char dir[] = "/tmp/tc-state-XXXXXX", other[] = "/tmp/tc-other-XXXXXX", id[STATE_KEYID_MAX];
	struct state_keepalive k = { .time = 1 };
	char *p, *q;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_non_null(mkdtemp(other));
	p = xasprintf("%s/down", dir);
	assert_int_equal(symlink(other, p), 0);
	free(p);
	assert_int_equal(state_set_down(dir, "con1", true), -ENOTDIR);
	p = xasprintf("%s/con1", other);
	assert_int_equal(access(p, F_OK), -1);
	assert_int_equal(file_write_atomic(p, "", 0, 0600), 0);
	assert_false(state_is_down(dir, "con1"));	/* a mark behind the link does not count */
	free(p);
	p = xasprintf("%s/keepalive", dir);
	assert_int_equal(symlink(other, p), 0);
	free(p);
	assert_int_equal(state_keepalive_save(dir, "con1", &k), -ENOTDIR);
	/* a record that is a symlink is not read */
	assert_int_equal(state_keyid_save(dir, "private-1", "aa"), 0);
	p = xasprintf("%s/id", other);
	assert_int_equal(file_write_atomic(p, "bb\n", 3, 0600), 0);
	q = xasprintf("%s/keys/private-2", dir);
	assert_int_equal(symlink(p, q), 0);
	assert_int_equal(state_keyid_load(dir, "private-2", id), -ELOOP);
	free(p);
	free(q);
	/* the state directory itself may be a symlink (kept on another disk) */
	p = xasprintf("%s/via-link", other);
	assert_int_equal(symlink(dir, p), 0);
	assert_int_equal(state_keyid_load(p, "private-1", id), 0);
	assert_string_equal(id, "aa");
	free(p);
	/* writable by others: refused */
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(state_keyid_save(dir, "private-3", "cc"), -EPERM);
	assert_non_null(strstr(state_strerror(-EPERM), "writable by others"));
	p = xasprintf("rm -rf '%s' '%s'", dir, other);
	assert_int_equal(system(p), 0);
	free(p);
}

/* The applied record is written only when the tunnel file and its includes are still what
 * apply parsed: an edit made while apply ran is not recorded as applied (the daemon would
 * follow it). */
static void test_save_applied_unchanged_only(void **state)
{
	char dir[] = "/tmp/tc-state-XXXXXX", digest[65];
	struct tc_errors errs = { 0 };
	struct conf_tree *t;
	char *conf, *inc, *p;
	int64_t ns;

	(void)state;
	assert_non_null(mkdtemp(dir));
	conf = xasprintf("%s/tunnels.conf", dir);
	inc = xasprintf("%s/more.conf", dir);
	assert_int_equal(file_write_atomic(conf, "a = 1\ninclude more.conf\n", 24, 0600), 0);
	assert_int_equal(file_write_atomic(inc, "b = 2\n", 6, 0600), 0);
	t = conf_parse_file(conf, &errs);
	assert_int_equal(errs.n_errors, 0);
	memcpy(digest, t->digest, sizeof(digest));
	conf_tree_free(t);
	p = xasprintf("%s/state", dir);
	assert_int_equal(state_save_applied(p, conf, digest), 0);
	assert_int_equal(state_applied_mtime(p, &ns), 0);
	/* the include edited after the parse: stale, nothing written */
	assert_int_equal(file_write_atomic(inc, "b = 3\n", 6, 0600), 0);
	assert_int_equal(state_save_applied(p, conf, digest), -ESTALE);
	{
		int64_t ns2;

		assert_int_equal(state_applied_mtime(p, &ns2), 0);
		assert_true(ns2 == ns);
	}
	assert_non_null(strstr(state_strerror(-ESTALE), "changed while apply ran"));
	free(p);
	p = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(p), 0);
	free(p);
	free(conf);
	free(inc);
	tc_errors_free(&errs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyid_roundtrip),
		cmocka_unit_test(test_keyid_refused),
		cmocka_unit_test(test_apply_pending),
		cmocka_unit_test(test_state_dir_symlinks),
		cmocka_unit_test(test_save_applied_unchanged_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
