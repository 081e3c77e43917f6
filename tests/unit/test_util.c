/* test_util.c - util.c's exports: atomic writes (including their failure paths, after which
 * no temporary file is left and the old file is intact), bounded whole-file reads, growable
 * buffers, the error list's limits, secret wiping, base64 and SHA-256 against published
 * vectors, and the small string helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* A fresh temporary directory (caller frees the path, rm_tree removes it). */
static char *temp_dir(void)
{
	char *dir = xstrdup("/tmp/test_util.XXXXXX");

	assert_non_null(mkdtemp(dir));
	return dir;
}

static void rm_tree(char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(dir);
}

/* The number of entries in dir whose name starts with prefix. */
static unsigned entries(const char *dir, const char *prefix)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	unsigned n = 0;

	assert_non_null(dh);
	while ((de = readdir(dh)))
		n += de->d_name[0] != '.' && str_startswith(de->d_name, prefix);
	closedir(dh);
	return n;
}

/* The whole content of path, which must be readable. */
static char *slurp(const char *path)
{
	struct buf b;

	assert_int_equal(file_read_all(path, TC_MAX_FILE_SIZE, &b), 0);
	return buf_steal(&b);
}

/* A new file gets the content and exactly the mode asked for, whatever the umask; replacing
 * it puts a new inode in place (readers of the old one never see a half-written file). */
static void test_atomic_write(void **state)
{
	char *dir = temp_dir(), *path = xasprintf("%s/out.conf", dir), *got;
	struct stat st1, st2;
	mode_t old_mask = umask(077);
	(void)state;

	assert_int_equal(file_write_atomic(path, "first\n", 6, 0644), 0);
	assert_int_equal(stat(path, &st1), 0);
	assert_int_equal(st1.st_mode & 07777, 0644);
	got = slurp(path);
	assert_string_equal(got, "first\n");
	free(got);

	umask(0);
	assert_int_equal(file_write_atomic(path, "second\n", 7, 0600), 0);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st2.st_mode & 07777, 0600);
	assert_true(st1.st_ino != st2.st_ino);
	got = slurp(path);
	assert_string_equal(got, "second\n");
	free(got);
	/* an empty write is an empty file, not a missing one */
	assert_int_equal(file_write_atomic(path, "", 0, 0600), 0);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st2.st_size, 0);
	assert_int_equal(entries(dir, ""), 1);
	umask(old_mask);
	free(path);
	rm_tree(dir);
}

/* Each way the write can fail returns -errno, leaves no temporary file and the old content
 * where it was: no directory, a directory in the way of the rename, and a write cut short
 * (the file size limit makes write() fail with EFBIG after the temp file exists). */
static void test_atomic_write_failures(void **state)
{
	char *dir = temp_dir(), *path = xasprintf("%s/out.conf", dir), *got;
	char *missing = xasprintf("%s/no/such/dir/out.conf", dir);
	char *blocker = xasprintf("%s/blocked", dir), *inner = xasprintf("%s/blocked/keep", dir);
	char big[8192];
	struct rlimit old, small;
	void (*old_handler)(int);
	(void)state;

	assert_int_equal(file_write_atomic(missing, "x", 1, 0600), -ENOENT);
	assert_int_equal(entries(dir, ""), 0);

	/* rename() cannot replace a non-empty directory */
	assert_int_equal(mkdir(blocker, 0755), 0);
	assert_int_equal(file_write_atomic(inner, "keep", 4, 0600), 0);
	assert_int_equal(file_write_atomic(blocker, "x", 1, 0600), -EISDIR);
	assert_int_equal(entries(dir, "blocked.tmp"), 0);
	assert_int_equal(entries(dir, ""), 1);

	/* a write that fails halfway: the old file stays whole */
	assert_int_equal(file_write_atomic(path, "old content\n", 12, 0600), 0);
	memset(big, 'x', sizeof(big));
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = (struct rlimit){ .rlim_cur = 4096, .rlim_max = old.rlim_max };
	old_handler = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	int rc = file_write_atomic(path, big, sizeof(big), 0600);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, old_handler);
	assert_int_equal(rc, -EFBIG);
	assert_int_equal(entries(dir, "out.conf.tmp"), 0);
	got = slurp(path);
	assert_string_equal(got, "old content\n");
	free(got);

	free(path);
	free(missing);
	free(blocker);
	free(inner);
	rm_tree(dir);
}

/* Whole-file reads are bounded and refuse what is not a regular file. */
static void test_read_regular(void **state)
{
	char *dir = temp_dir(), *path = xasprintf("%s/f", dir), *link = xasprintf("%s/l", dir);
	char *fifo = xasprintf("%s/p", dir), *empty = xasprintf("%s/e", dir);
	struct buf b;
	struct stat st;
	(void)state;

	assert_int_equal(file_write_atomic(path, "0123456789", 10, 0640), 0);
	assert_int_equal(file_read_regular(path, 10, false, &b, &st), 0);
	assert_int_equal(b.len, 10);
	assert_string_equal(b.data, "0123456789");
	assert_int_equal(st.st_mode & 07777, 0640);
	buf_free(&b);
	/* one byte over the limit */
	assert_int_equal(file_read_all(path, 9, &b), -EFBIG);
	assert_null(b.data);
	assert_string_equal(file_read_strerror(-EFBIG), "file too large");

	/* an empty file reads as "" (data is never NULL on success) */
	assert_int_equal(file_write_atomic(empty, "", 0, 0600), 0);
	assert_int_equal(file_read_all(empty, 10, &b), 0);
	assert_non_null(b.data);
	assert_int_equal(b.len, 0);
	buf_free(&b);

	assert_int_equal(file_read_all(dir, 10, &b), -EISDIR);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(file_read_all(fifo, 10, &b), -EINVAL);
	assert_string_equal(file_read_strerror(-EINVAL), "not a regular file");
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(file_read_all(link, 10, &b), 0);
	buf_free(&b);
	assert_int_equal(file_read_regular(link, 10, true, &b, NULL), -ELOOP);
	assert_string_equal(file_read_strerror(-ELOOP), "is a symbolic link");
	assert_int_equal(file_read_all("/nonexistent/file", 10, &b), -ENOENT);
	assert_string_equal(file_read_strerror(-ENOENT), strerror(ENOENT));

	free(path);
	free(link);
	free(fifo);
	free(empty);
	rm_tree(dir);
}

/* mkdir -p: creates every missing part with the mode, accepts what exists, and fails where a
 * file is in the way. */
static void test_mkdir_p(void **state)
{
	char *dir = temp_dir(), *deep = xasprintf("%s/a/b/c", dir), *file = xasprintf("%s/f", dir);
	char *under = xasprintf("%s/f/sub", dir);
	struct stat st;
	mode_t old_mask = umask(0);
	(void)state;

	assert_int_equal(mkdir_p(deep, 0750), 0);
	assert_int_equal(stat(deep, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0750);
	assert_int_equal(mkdir_p(deep, 0750), 0);
	assert_int_equal(file_write_atomic(file, "x", 1, 0600), 0);
	assert_int_equal(mkdir_p(under, 0750), -ENOTDIR);
	assert_int_equal(mkdir_p(file, 0750), -ENOTDIR);
	umask(old_mask);
	free(deep);
	free(file);
	free(under);
	rm_tree(dir);
}

/* Buffers carry their length, stay NUL-terminated, hold NUL bytes and grow past any start
 * size; steal hands over the contents and leaves the buffer empty. */
static void test_buffers(void **state)
{
	struct buf b;
	char *s;
	(void)state;

	buf_init(&b);
	s = buf_steal(&b);
	assert_string_equal(s, "");
	free(s);

	buf_add(&b, "a\0b", 3);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a\0b", 4);
	buf_addc(&b, 'c');
	buf_adds(&b, "de");
	buf_printf(&b, "%d-%s", 42, "x");
	assert_int_equal(b.len, 10);
	assert_memory_equal(b.data, "a\0bcde42-x", 11);
	/* growth: many appends keep every byte, the capacity covers length and NUL */
	for (unsigned i = 0; i < 10000; i++)
		buf_printf(&b, "%04u", i % 10000);
	assert_int_equal(b.len, 10 + 40000);
	assert_true(b.cap > b.len);
	assert_int_equal(b.data[b.len], '\0');
	assert_memory_equal(b.data + 10 + 4 * 9999, "9999", 4);
	buf_reserve(&b, 100000);
	assert_true(b.cap >= b.len + 100000 + 1);
	s = buf_steal(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(strlen(s), 1);	/* "a", then the NUL byte that buf_add took */
	free(s);

	s = xasprintf("%s=%05d", "key", 7);
	assert_string_equal(s, "key=00007");
	free(s);
	s = xstrndup("abcdef", 3);
	assert_string_equal(s, "abc");
	free(s);
	buf_free(&b);
	buf_free(&b);	/* twice is fine */
}

/* Secrets: wiped to zero in place; a secret buffer's whole capacity is wiped before free. */
static void test_secret_wipe(void **state)
{
	char key[32], zero[32] = { 0 };
	struct buf b;
	(void)state;

	memset(key, 'k', sizeof(key));
	secret_wipe(key, sizeof(key));
	assert_memory_equal(key, zero, sizeof(key));
	secret_wipe(NULL, 10);
	secret_free(NULL);
	secret_free(xstrdup("psk-0123456789"));

	buf_init(&b);
	buf_adds(&b, "very-secret-value");
	buf_free_secret(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	buf_free_secret(&b);
}

/* The error list: messages cut at TC_ERROR_MSG_MAX ending "...", entries past TC_MAX_ERRORS
 * counted but not kept, and sorting by file, line, column that keeps insertion order. */
static void test_errors(void **state)
{
	struct tc_errors e = { 0 };
	char *long_msg = xmalloc(3 * TC_ERROR_MSG_MAX);
	(void)state;

	memset(long_msg, 'm', 3 * TC_ERROR_MSG_MAX - 1);
	long_msg[3 * TC_ERROR_MSG_MAX - 1] = '\0';
	tc_errors_add(&e, false, "b.conf", 3, 1, "%s", long_msg);
	assert_int_equal(strlen(e.v[0].msg), TC_ERROR_MSG_MAX);
	assert_string_equal(e.v[0].msg + TC_ERROR_MSG_MAX - 3, "...");
	tc_errors_add(&e, true, "a.conf", 9, 2, "second %d", 2);
	tc_errors_add(&e, false, NULL, 1, 1, "no file");
	tc_errors_add(&e, false, "a.conf", 9, 2, "third");
	tc_errors_add(&e, false, "a.conf", 2, 5, "first");
	assert_int_equal(e.n_errors, 4);
	assert_int_equal(e.n_warnings, 1);
	tc_errors_sort(&e);
	assert_string_equal(e.v[0].file, "-");
	assert_string_equal(e.v[1].msg, "first");
	assert_string_equal(e.v[2].msg, "second 2");
	assert_true(e.v[2].warning);
	assert_string_equal(e.v[3].msg, "third");
	assert_string_equal(e.v[4].file, "b.conf");
	tc_errors_free(&e);
	assert_int_equal(e.n, 0);

	for (unsigned i = 0; i < TC_MAX_ERRORS + 7; i++)
		tc_errors_add(&e, i % 2, "x", i, 1, "e%u", i);
	assert_int_equal(e.n, TC_MAX_ERRORS);
	assert_int_equal(e.n_dropped, 7);
	assert_int_equal(e.n_errors + e.n_warnings, TC_MAX_ERRORS + 7);
	tc_errors_free(&e);
	free(long_msg);
}

/* RFC 4648 section 10 vectors. */
static void test_base64(void **state)
{
	static const char *const vec[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	static const unsigned char bin[] = { 0xfb, 0xff, 0x00, 0x3e };
	struct buf b;
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(vec); i++) {
		buf_init(&b);
		base64_encode(&b, (const unsigned char *)vec[i][0], strlen(vec[i][0]));
		if (!str_eq(b.data ? b.data : "", vec[i][1]))
			fail_msg("base64('%s') = '%s', expected '%s'", vec[i][0], b.data, vec[i][1]);
		buf_free(&b);
	}
	buf_init(&b);
	base64_encode(&b, bin, sizeof(bin));
	assert_string_equal(b.data, "+/8APg==");
	buf_free(&b);
}

/* FIPS 180-4 examples and the padding boundaries (55, 56, 64 and 119 bytes: one or two final
 * blocks), checked against sha256sum. */
static void test_sha256(void **state)
{
	static const struct {
		const char *in;
		size_t a_count;	/* or that many 'a' */
		const char *hex;
	} vec[] = {
		{ "", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", 0, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 0,
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ NULL, 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
		{ NULL, 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
		{ NULL, 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
		{ NULL, 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb" },
	};
	char a[128], out[65];
	(void)state;

	memset(a, 'a', sizeof(a));
	for (size_t i = 0; i < ARRAY_SIZE(vec); i++) {
		const char *in = vec[i].in ? vec[i].in : a;
		size_t len = vec[i].in ? strlen(vec[i].in) : vec[i].a_count;
		sha256_hex(in, len, out);
		if (strcmp(out, vec[i].hex) != 0)
			fail_msg("sha256 of vector %zu (%zu bytes) = %s, expected %s", i, len, out, vec[i].hex);
	}
}

static void test_strings(void **state)
{
	char *list[] = { "aes256", "sha256", "modp2048" };
	int64_t t0, t1;
	(void)state;

	assert_true(str_eq(NULL, NULL));
	assert_false(str_eq("a", NULL));
	assert_false(str_eq(NULL, "a"));
	assert_true(str_eq("a", "a"));
	assert_false(str_eq("a", "A"));
	assert_true(str_startswith("fqdn:gw", "fqdn:"));
	assert_true(str_startswith("x", ""));
	assert_false(str_startswith("fq", "fqdn:"));
	assert_true(str_in_list("sha256", list, ARRAY_SIZE(list)));
	assert_false(str_in_list("sha2", list, ARRAY_SIZE(list)));
	assert_false(str_in_list("aes256", list, 0));
	assert_int_equal(hex_value('0'), 0);
	assert_int_equal(hex_value('9'), 9);
	assert_int_equal(hex_value('a'), 10);
	assert_int_equal(hex_value('F'), 15);
	assert_int_equal(hex_value('g'), -1);
	assert_int_equal(hex_value('/'), -1);
	t0 = now_ms();
	t1 = now_ms();
	assert_true(t0 > 0 && t1 >= t0);
}

/* struct strv owns its strings: push keeps order and count, free empties it for reuse (ASan
 * reports a leak or a double free). */
static void test_strv(void **state)
{
	struct strv l = { 0 };
	(void)state;

	strv_free(&l);
	assert_null(l.v);
	for (int i = 0; i < 100; i++)
		strv_push(&l, xasprintf("item%d", i));
	assert_int_equal(l.n, 100);
	assert_string_equal(l.v[0], "item0");
	assert_string_equal(l.v[99], "item99");
	strv_free(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
	strv_push(&l, xstrdup("again"));
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0], "again");
	strv_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_atomic_write_failures),
		cmocka_unit_test(test_read_regular),
		cmocka_unit_test(test_mkdir_p),
		cmocka_unit_test(test_buffers),
		cmocka_unit_test(test_secret_wipe),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_strv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
