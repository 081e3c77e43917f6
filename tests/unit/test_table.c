/* test_table.c - aligned tables: padding to the widest cell, and fitting a width by leaving
 * out columns in the order given, never the ones not listed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

/* Print into memory with table_print_fit; the caller frees. */
static char *render(const struct table *t, size_t width, const int *drop, size_t *n_left,
		    unsigned *hidden)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	*n_left = table_print_fit(t, f, width, drop, hidden);
	fclose(f);
	return out;
}

static size_t longest_line(const char *s)
{
	size_t best = 0;

	while (*s) {
		size_t n = strcspn(s, "\n");
		if (n > best)
			best = n;
		s += n + (s[n] == '\n');
	}
	return best;
}

static void build(struct table *t)
{
	table_init(t, (const char *[]){ "NAME", "STATE", "ALGORITHMS", "PACKETS", NULL });
	table_add_row(t, (const char *[]){ "con1", "ESTABLISHED", "AES_CBC-256/HMAC_SHA2_256_128", "12/40" });
	table_add_row(t, (const char *[]){ "con2", NULL, "AES_GCM_16-128", "0/0" });
}

static void test_print_pads(void **state)
{
	struct table t;
	size_t n;
	unsigned hidden;
	char *out;

	(void)state;
	build(&t);
	out = render(&t, 0, NULL, &n, &hidden);
	assert_int_equal(n, 0);
	assert_int_equal(hidden, 0);
	assert_string_equal(out,
			    "NAME  STATE        ALGORITHMS                     PACKETS\n"
			    "con1  ESTABLISHED  AES_CBC-256/HMAC_SHA2_256_128  12/40\n"
			    "con2  -            AES_GCM_16-128                 0/0\n");
	free(out);
	table_free(&t);
}

static void test_fit_drops_in_order(void **state)
{
	static const int drop[] = { 3, 2, -1 };
	struct table t;
	size_t n;
	unsigned hidden;
	char *out;

	(void)state;
	build(&t);
	/* wide enough for all: nothing left out */
	out = render(&t, 200, drop, &n, &hidden);
	assert_int_equal(n, 0);
	assert_non_null(strstr(out, "PACKETS"));
	free(out);
	/* the table is 57 wide: at 50, PACKETS (the first to go) is enough */
	out = render(&t, 50, drop, &n, &hidden);
	assert_int_equal(n, 1);
	assert_int_equal(hidden, 1u << 3);
	assert_null(strstr(out, "PACKETS"));
	assert_non_null(strstr(out, "AES_CBC"));
	assert_true(longest_line(out) <= 50);
	free(out);
	/* at 40, ALGORITHMS goes too */
	out = render(&t, 40, drop, &n, &hidden);
	assert_int_equal(n, 2);
	assert_int_equal(hidden, (1u << 3) | (1u << 2));
	assert_string_equal(out, "NAME  STATE\ncon1  ESTABLISHED\ncon2  -\n");
	free(out);
	/* narrower than what may be dropped: the rest stays, however wide */
	out = render(&t, 5, drop, &n, &hidden);
	assert_int_equal(n, 2);
	assert_non_null(strstr(out, "ESTABLISHED"));
	free(out);
	table_free(&t);
}

static void test_term_width_env(void **state)
{
	(void)state;
	setenv("COLUMNS", "93", 1);
	assert_int_equal(table_term_width(stdout), 93);
	setenv("COLUMNS", "junk", 1);
	/* not a number: the terminal decides, and a test's stdout may or may not be one */
	assert_true(table_term_width(stdout) != 93);
	unsetenv("COLUMNS");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_print_pads),
		cmocka_unit_test(test_fit_drops_in_order),
		cmocka_unit_test(test_term_width_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
