/* test_doctor_tail.c - the doctor over the recent end of a growing log: a real charon log of a
 * failing tunnel behind a long history still gives its class, with evidence numbered as the
 * lines are in the file, across appends and after the file is replaced. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doctor_tail.h"
#include "util.h"

#define SCENARIO "tests/data/scenarios/peer_unreachable/a.log"
#define HISTORY_LINES 20000	/* about 600 KiB before the failure */
#define TAIL (64u * 1024u)

static char *tmp_path(void)
{
	char *path = xstrdup("/tmp/test_doctor_tailXXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	return path;
}

static void append(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "a");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void append_history(const char *path, unsigned lines)
{
	struct buf b;

	buf_init(&b);
	for (unsigned i = 0; i < lines; i++)
		buf_printf(&b, "Nov 29 09:00:00 00[DMN] housekeeping line %u of an older day\n", i);
	append(path, b.data, b.len);
	buf_free(&b);
}

/* Line n (1-based) of path, without its newline. */
static char *line_of(const char *path, unsigned long n)
{
	struct buf all;
	char *p, *e;

	buf_init(&all);
	assert_int_equal(file_read_all(path, TC_MAX_FILE_SIZE, &all), 0);
	p = all.data;
	while (--n && p)
		p = (e = strchr(p, '\n')) ? e + 1 : NULL;
	assert_non_null(p);
	e = strchr(p, '\n');
	p = e ? xstrndup(p, (size_t)(e - p)) : xstrdup(p);
	buf_free(&all);
	return p;
}

/* Diagnose path's tail with cur; the first verdict must be class cls for con1, and every
 * evidence line must be the file's line at that number. */
static void diagnose_expect(const char *path, struct doctor_tail *cur, enum doctor_class cls)
{
	struct doctor *d = doctor_new();
	const struct doctor_verdict *v;
	size_t n;

	assert_int_equal(doctor_tail_read(d, path, TAIL, cur), 0);
	n = doctor_finish(d, &v);
	assert_true(n >= 1);
	assert_string_equal(doctor_class_names[v[0].cls], doctor_class_names[cls]);
	assert_string_equal(v[0].tunnel, "con1");
	assert_true(v[0].n_ev > 0);
	for (size_t i = 0; i < v[0].n_ev; i++) {
		char *real = line_of(path, v[0].ev[i].line);

		assert_string_equal(v[0].ev[i].text, real);
		free(real);
	}
	doctor_free(d);
}

static void test_tail_keeps_line_numbers(void **state)
{
	char *path = tmp_path();
	struct doctor_tail cur = { 0 };
	struct buf scen;

	(void)state;
	buf_init(&scen);
	assert_int_equal(file_read_all(SCENARIO, TC_MAX_FILE_SIZE, &scen), 0);
	append_history(path, HISTORY_LINES);
	append(path, scen.data, scen.len);
	diagnose_expect(path, &cur, DOCTOR_PEER_UNREACHABLE);
	/* the cursor skipped the history it did not need, counting its lines */
	assert_true(cur.line >= HISTORY_LINES - TAIL / 40);
	assert_true(cur.off > 0);

	/* more history and the failure again: the cursor moves on, numbers stay exact */
	append_history(path, HISTORY_LINES);
	append(path, scen.data, scen.len);
	diagnose_expect(path, &cur, DOCTOR_PEER_UNREACHABLE);
	assert_true(cur.line >= 2 * HISTORY_LINES - TAIL / 40);

	/* a rotated (replaced, shorter) log starts over at line 1 */
	assert_int_equal(unlink(path), 0);
	append(path, scen.data, scen.len);
	diagnose_expect(path, &cur, DOCTOR_PEER_UNREACHABLE);
	assert_int_equal(cur.line, 0);

	buf_free(&scen);
	unlink(path);
	free(path);
}

static void test_tail_missing_file(void **state)
{
	struct doctor *d = doctor_new();
	struct doctor_tail cur = { 0 };

	(void)state;
	assert_int_equal(doctor_tail_read(d, "/nonexistent/charon.log", TAIL, &cur), -ENOENT);
	doctor_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tail_keeps_line_numbers),
		cmocka_unit_test(test_tail_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
