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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyid_roundtrip),
		cmocka_unit_test(test_keyid_refused),
		cmocka_unit_test(test_apply_pending),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
