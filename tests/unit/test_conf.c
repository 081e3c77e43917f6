/* test_conf.c - settings-syntax lexer and parser. */
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

static struct conf_tree *parse(const char *text, struct tc_errors *errs)
{
	memset(errs, 0, sizeof(*errs));
	return conf_parse("t.conf", text, strlen(text), NULL, errs);
}

/* Assert that errs holds an error at line:col whose message contains needle. */
static void assert_error_at(const struct tc_errors *errs, unsigned line, unsigned col,
			    const char *needle)
{
	for (size_t i = 0; i < errs->n; i++)
		if (errs->v[i].line == line && errs->v[i].col == col &&
		    strstr(errs->v[i].msg, needle))
			return;
	for (size_t i = 0; i < errs->n; i++)
		print_message("have %u:%u: %s\n", errs->v[i].line, errs->v[i].col, errs->v[i].msg);
	fail_msg("no error '%s' at %u:%u", needle, line, col);
}

static void test_sections_and_values(void **state)
{
	struct tc_errors errs;
	struct conf_tree *t = parse("# comment\n"
				    "global {\n"
				    "    unique_ids = replace   # trailing comment\n"
				    "    logging { ike = 2 }\n"
				    "}\n"
				    "tunnels {\n"
				    "  1 {\n"
				    "    description = HQ office\n"
				    "    psk = \"a \\\"quoted\\\" # not a comment\"\n"
				    "    empty =\n"
				    "  }\n"
				    "}\n",
				    &errs);
	struct conf_node *g, *tun, *one;

	(void)state;
	assert_int_equal(errs.n, 0);
	g = conf_find(t->root, "global", CONF_SECTION);
	assert_non_null(g);
	assert_string_equal(conf_get(g, "unique_ids"), "replace");
	assert_string_equal(conf_get(conf_find(g, "logging", CONF_SECTION), "ike"), "2");
	tun = conf_find(t->root, "tunnels", CONF_SECTION);
	one = conf_find(tun, "1", CONF_SECTION);
	assert_non_null(one);
	assert_int_equal(one->line, 7);
	assert_int_equal(one->col, 3);
	assert_string_equal(conf_get(one, "description"), "HQ office");
	assert_string_equal(conf_get(one, "psk"), "a \"quoted\" # not a comment");
	assert_true(conf_find(one, "psk", CONF_KV)->quoted);
	assert_int_equal(conf_find(one, "psk", CONF_KV)->vline, 9);
	assert_int_equal(conf_find(one, "psk", CONF_KV)->vcol, 11);
	assert_string_equal(conf_get(one, "empty"), "");
	assert_null(conf_get(one, "nothere"));
	conf_tree_free(t);
	tc_errors_free(&errs);
}

static void test_value_ends_at_brace(void **state)
{
	struct tc_errors errs;
	struct conf_tree *t = parse("a { b = 1 }\nc { d { e = x y } }\n", &errs);

	(void)state;
	assert_int_equal(errs.n, 0);
	assert_string_equal(conf_get(conf_find(t->root, "a", CONF_SECTION), "b"), "1");
	assert_string_equal(
		conf_get(conf_find(conf_find(t->root, "c", CONF_SECTION), "d", CONF_SECTION), "e"),
		"x y");
	conf_tree_free(t);
	tc_errors_free(&errs);
}

static void test_template_refs(void **state)
{
	struct tc_errors errs;
	struct conf_tree *t = parse("connections {\n  a : base, other {\n  }\n}\n", &errs);
	struct conf_node *a;

	(void)state;
	assert_int_equal(errs.n, 0);
	a = conf_find(conf_find(t->root, "connections", CONF_SECTION), "a", CONF_SECTION);
	assert_non_null(a);
	assert_string_equal(a->refs, "base, other");
	conf_tree_free(t);
	tc_errors_free(&errs);
}

static void test_errors_all_reported(void **state)
{
	struct tc_errors errs;
	struct conf_tree *t = parse("a {\n"
				    "  b 1\n"	/* no '=' */
				    "  = c\n"	/* no name */
				    "  d = \"open\n"
				    "}\n",
				    &errs);

	(void)state;
	assert_error_at(&errs, 2, 5, "expected '=' or '{' after 'b'");
	assert_error_at(&errs, 3, 3, "expected a key or section name");
	assert_error_at(&errs, 4, 7, "unterminated quoted value");
	assert_error_at(&errs, 1, 1, "section is not closed");
	conf_tree_free(t);
	tc_errors_free(&errs);
}

static void test_stray_brace(void **state)
{
	struct tc_errors errs;
	struct conf_tree *t = parse("a = 1\n}\nb = 2\n", &errs);

	(void)state;
	assert_int_equal(errs.n_errors, 1);
	assert_error_at(&errs, 2, 1, "'}' without an open section");
	assert_string_equal(conf_get(t->root, "b"), "2");
	conf_tree_free(t);
	tc_errors_free(&errs);
}

static void test_depth_limit(void **state)
{
	struct tc_errors errs;
	struct buf b;
	struct conf_tree *t;

	(void)state;
	buf_init(&b);
	for (int i = 0; i < CONF_MAX_DEPTH + 5; i++)
		buf_adds(&b, "s {\n");
	t = parse(b.data, &errs);
	assert_true(errs.n_errors >= 1);
	assert_error_at(&errs, CONF_MAX_DEPTH, 1, "nested deeper than");
	conf_tree_free(t);
	tc_errors_free(&errs);
	buf_free(&b);
}

static void test_line_limit(void **state)
{
	struct tc_errors errs;
	struct buf b;
	struct conf_tree *t;

	(void)state;
	buf_init(&b);
	buf_adds(&b, "k = ");
	for (int i = 0; i < CONF_MAX_LINE; i++)
		buf_addc(&b, 'x');
	buf_adds(&b, "\n");
	t = parse(b.data, &errs);
	assert_error_at(&errs, 1, 1, "line longer than");
	conf_tree_free(t);
	tc_errors_free(&errs);
	buf_free(&b);
}

static void test_include_needs_io(void **state)
{
	struct tc_errors errs;
	struct conf_tree *t = parse("include other.conf\n", &errs);

	(void)state;
	assert_error_at(&errs, 1, 1, "include is not allowed");
	conf_tree_free(t);
	tc_errors_free(&errs);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void test_include_files_and_loop(void **state)
{
	char dir[] = "/tmp/tc-conf-XXXXXX", path[256];
	struct tc_errors errs = { 0 };
	struct conf_tree *t;
	struct conf_node *s;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/sub/a.conf", dir);
	write_file(path, "x = 1\n");
	snprintf(path, sizeof(path), "%s/sub/b.conf", dir);
	write_file(path, "y = 2\ninclude ../main.conf\n");
	snprintf(path, sizeof(path), "%s/main.conf", dir);
	write_file(path, "s {\n  include sub/*.conf\n}\ninclude missing.conf\ninclude none-*.conf\n");
	t = conf_parse_file(path, &errs);
	assert_non_null(t);
	s = conf_find(t->root, "s", CONF_SECTION);
	assert_string_equal(conf_get(s, "x"), "1");
	assert_string_equal(conf_get(s, "y"), "2");
	assert_true(strstr(conf_find(s, "x", CONF_KV)->file, "sub/a.conf") != NULL);
	assert_error_at(&errs, 2, 1, "include loop");
	assert_error_at(&errs, 4, 1, "missing.conf");
	assert_int_equal(errs.n_errors, 2);
	conf_tree_free(t);
	tc_errors_free(&errs);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

static void test_missing_file(void **state)
{
	struct tc_errors errs = { 0 };

	(void)state;
	assert_null(conf_parse_file("/nonexistent/tunnels.conf", &errs));
	assert_int_equal(errs.n_errors, 1);
	assert_non_null(strstr(errs.v[0].msg, "No such file"));
	tc_errors_free(&errs);
}

static void test_durations(void **state)
{
	unsigned long long v;

	(void)state;
	assert_int_equal(conf_parse_duration("90", &v), 0);
	assert_int_equal(v, 90);
	assert_int_equal(conf_parse_duration("10s", &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(conf_parse_duration("5m", &v), 0);
	assert_int_equal(v, 300);
	assert_int_equal(conf_parse_duration("8h", &v), 0);
	assert_int_equal(v, 28800);
	assert_int_equal(conf_parse_duration("2d", &v), 0);
	assert_int_equal(v, 172800);
	assert_int_equal(conf_parse_duration("", &v), -EINVAL);
	assert_int_equal(conf_parse_duration("h", &v), -EINVAL);
	assert_int_equal(conf_parse_duration("10x", &v), -EINVAL);
	assert_int_equal(conf_parse_duration("10hh", &v), -EINVAL);
	assert_int_equal(conf_parse_duration("-5", &v), -EINVAL);
	assert_int_equal(conf_parse_duration("99999999999999999999", &v), -ERANGE);
	assert_int_equal(conf_parse_duration("999999999999999999d", &v), -ERANGE);
}

static void test_crlf_and_binary(void **state)
{
	static const char data[] = "a = 1\r\nb {\r\n c = 2\r\n}\r\n\x01\xff = 3\n";
	struct tc_errors errs = { 0 };
	struct conf_tree *t = conf_parse("t.conf", data, sizeof(data) - 1, NULL, &errs);

	(void)state;
	assert_string_equal(conf_get(t->root, "a"), "1");
	assert_string_equal(conf_get(conf_find(t->root, "b", CONF_SECTION), "c"), "2");
	assert_int_equal(errs.n_errors, 1);
	assert_error_at(&errs, 5, 1, "expected a key or section name");
	conf_tree_free(t);
	tc_errors_free(&errs);
}

/* A NUL inside a value would cut it in every C string that holds it (a PSK becoming its first
 * bytes): an error at the NUL, quoted or bare, and the other lines still parse. */
static void test_nul_in_values(void **state)
{
	static const char data[] = "psk = \"correct ho\0rse\"\nkey = bare\0tail\nok = 1\n";
	struct tc_errors errs = { 0 };
	struct conf_tree *t = conf_parse("t.conf", data, sizeof(data) - 1, NULL, &errs);

	(void)state;
	assert_int_equal(errs.n_errors, 2);
	assert_error_at(&errs, 1, 18, "NUL byte in value");
	assert_error_at(&errs, 2, 11, "NUL byte in value");
	assert_string_equal(conf_get(t->root, "ok"), "1");
	conf_tree_free(t);
	tc_errors_free(&errs);
}

/* Includes served from memory: every name globs to itself, every read returns `body` and is
 * counted. */
struct fake_fs {
	const char *body;
	size_t len;
	unsigned reads;
};

static int fake_read(void *arg, const char *path, struct buf *out)
{
	struct fake_fs *fs = arg;

	(void)path;
	fs->reads++;
	buf_init(out);
	buf_add(out, fs->body, fs->len);
	return 0;
}

static int fake_glob(void *arg, const char *pattern, char ***paths)
{
	(void)arg;
	*paths = xcalloc(1, sizeof(char *));
	(*paths)[0] = xstrdup(pattern);
	return 1;
}

/* The same file included again and again counts once per read (it used to count names:
 * 200 includes of one 1 MB file took 6 GB), and the bytes of all reads are bounded. */
static void test_include_reads_bounded(void **state)
{
	struct fake_fs fs = { "k = v\n", 6, 0 };
	const struct conf_io io = { fake_read, fake_glob, &fs };
	struct tc_errors errs = { 0 };
	struct conf_tree *t;
	struct buf main, big;

	(void)state;
	buf_init(&main);
	for (int i = 0; i < 2 * CONF_MAX_FILES; i++)
		buf_adds(&main, "include same.conf\n");
	t = conf_parse("/m.conf", main.data, main.len, &io, &errs);
	assert_int_equal(fs.reads, CONF_MAX_FILES - 1);
	assert_int_equal(errs.n_errors, 1);
	assert_error_at(&errs, CONF_MAX_FILES, 1, "too many nested or included files");
	conf_tree_free(t);
	tc_errors_free(&errs);

	/* 1 MiB files (comments: the bytes count, not the keys): the total stops the reads
	 * long before the count does */
	buf_init(&big);
	while (big.len < 1024 * 1024)
		buf_printf(&big, "# %1021s\n", "");
	fs = (struct fake_fs){ big.data, big.len, 0 };
	t = conf_parse("/m.conf", main.data, main.len, &io, &errs);
	assert_int_equal(fs.reads, (CONF_MAX_TOTAL - main.len) / big.len + 1);
	assert_int_equal(errs.n_errors, 1);
	assert_error_at(&errs, (unsigned)fs.reads, 1, "exceed");
	conf_tree_free(t);
	tc_errors_free(&errs);
	buf_free(&big);
	buf_free(&main);
}

/* The error list keeps TC_MAX_ERRORS entries and counts the rest (8 M bad lines took 1.3 GB). */
static void test_error_list_bounded(void **state)
{
	struct tc_errors errs = { 0 };
	struct conf_tree *t;
	struct buf b;

	(void)state;
	buf_init(&b);
	for (int i = 0; i < 3 * TC_MAX_ERRORS; i++)
		buf_adds(&b, "x\n");
	t = conf_parse("t.conf", b.data, b.len, NULL, &errs);
	assert_int_equal(errs.n, TC_MAX_ERRORS);
	assert_int_equal(errs.n_errors, 3 * TC_MAX_ERRORS);
	assert_int_equal(errs.n_dropped, 2 * TC_MAX_ERRORS);
	conf_tree_free(t);
	tc_errors_free(&errs);
	buf_free(&b);
}

/* A FIFO as the file or as an include is refused at once, never waited on. */
static void test_fifo_refused(void **state)
{
	char dir[] = "/tmp/tc-conf-XXXXXX", path[256];
	struct tc_errors errs = { 0 };
	struct conf_tree *t;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo.conf", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_null(conf_parse_file(path, &errs));
	assert_non_null(strstr(errs.v[0].msg, "not a regular file"));
	tc_errors_free(&errs);
	snprintf(path, sizeof(path), "%s/main.conf", dir);
	write_file(path, "a = 1\ninclude fifo.conf\n");
	t = conf_parse_file(path, &errs);
	assert_non_null(t);
	assert_error_at(&errs, 2, 1, "not a regular file");
	conf_tree_free(t);
	tc_errors_free(&errs);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sections_and_values),
		cmocka_unit_test(test_value_ends_at_brace),
		cmocka_unit_test(test_template_refs),
		cmocka_unit_test(test_errors_all_reported),
		cmocka_unit_test(test_stray_brace),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_line_limit),
		cmocka_unit_test(test_include_needs_io),
		cmocka_unit_test(test_include_files_and_loop),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_crlf_and_binary),
		cmocka_unit_test(test_nul_in_values),
		cmocka_unit_test(test_include_reads_bounded),
		cmocka_unit_test(test_error_list_bounded),
		cmocka_unit_test(test_fifo_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
