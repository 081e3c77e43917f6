/* test_json.c - json.c's writer against jansson's own dump (JSON_INDENT(2), insertion order),
 * the format every --json has always had: byte for byte on random documents (strings with
 * every escape, UTF-8 of every length, embedded NULs; integers to both ends of 64 bits; reals
 * of every magnitude), on the edge cases one by one, and the errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

/* xorshift64*: the same documents on every run */
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static size_t rnd_below(size_t n)
{
	return (size_t)(rnd() % n);
}

/* A random valid UTF-8 string, NULs included: the pieces the writer treats differently. */
static json_t *rnd_string(void)
{
	static const char *const pieces[] = { "a", "con1", " ", "\"", "\\", "/", "\b", "\f", "\n", "\r", "\t",
					      "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x94\x92",
					      "10.1.0.0/24", "\xef\xbb\xbf" };
	char s[256];
	size_t len = 0, n = rnd_below(12);

	for (size_t i = 0; i < n; i++) {
		if (rnd_below(10) == 0) {
			s[len++] = '\0';
			continue;
		}
		const char *p = pieces[rnd_below(ARRAY_SIZE(pieces))];
		memcpy(s + len, p, strlen(p));
		len += strlen(p);
	}
	return json_stringn(s, len);
}

static json_t *rnd_real(void)
{
	static const double fixed[] = { 0.0, -0.0, 1.0, -1.5, 0.1, 1e20, 1e-7, 1e300, 5e-324, 1733520000.123,
					123456789012345678.0, 2.5e-5 };
	double d;
	uint64_t bits;

	if (rnd_below(2))
		return json_real(fixed[rnd_below(ARRAY_SIZE(fixed))]);
	do {
		bits = rnd();
		memcpy(&d, &bits, sizeof(d));
	} while (!isfinite(d));
	return json_real(d);
}

static json_t *rnd_value(int depth)
{
	json_t *v;
	size_t n;

	switch (rnd_below(depth > 4 ? 6 : 8)) {
	case 0: return rnd_string();
	case 1: return json_integer((json_int_t)rnd());
	case 2: return rnd_real();
	case 3: return json_true();
	case 4: return json_false();
	case 5: return rnd_below(2) ? json_null() : json_integer(rnd_below(2) ? INT64_MIN : INT64_MAX);
	case 6:
		v = json_array();
		n = rnd_below(5);
		for (size_t i = 0; i < n; i++)
			json_array_append_new(v, rnd_value(depth + 1));
		return v;
	default:
		v = json_object();
		n = rnd_below(5);
		for (size_t i = 0; i < n; i++) {
			json_t *k = rnd_string();
			/* keys are C strings: up to the first NUL */
			json_object_set_new(v, json_string_value(k), rnd_value(depth + 1));
			json_decref(k);
		}
		return v;
	}
}

/* What jansson writes for v. */
static char *jansson_text(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);

	assert_non_null(s);
	return s;
}

static void assert_same_as_jansson(json_t *v)
{
	struct buf b;
	char *want = jansson_text(v);

	buf_init(&b);
	assert_int_equal(json_write_buf(&b, v), 0);
	assert_string_equal(b.data, want);
	assert_int_equal(b.len, strlen(want));
	free(want);
	buf_free(&b);
}

static void test_random_documents(void **state)
{
	(void)state;
	for (int i = 0; i < 3000; i++) {
		json_t *v = rnd_value(0);
		assert_same_as_jansson(v);
		json_decref(v);
	}
}

static void test_edges(void **state)
{
	json_t *v;

	(void)state;
	v = json_pack("{s:{}, s:[], s:[{}], s:{s:[]}, s:s, s:s#, s:f, s:f, s:f, s:I}", "empty object", "empty array",
		      "nested", "deeper", "x", "controls", "\x01\x02\x1e\x1f\x7f", "nul", "a\0b", 3, "int-like real",
		      5.0, "exponent", 1e21, "negative exponent", 1.5e-9, "min", (json_int_t)INT64_MIN);
	assert_non_null(v);
	assert_same_as_jansson(v);
	json_decref(v);
	/* a bare scalar, as jansson writes it with JSON_ENCODE_ANY */
	v = json_string("tunnel \"HQ\" \\ up");
	assert_same_as_jansson(v);
	json_decref(v);
}

static void test_errors(void **state)
{
	struct buf b;
	json_t *deep = json_array(), *v = deep;

	(void)state;
	buf_init(&b);
	assert_int_equal(json_write_buf(&b, NULL), -EINVAL);
	for (int i = 0; i < 3000; i++) {
		json_t *a = json_array();
		json_array_append_new(v, a);
		v = a;
	}
	assert_int_equal(json_write_buf(&b, deep), -ELOOP);
	json_decref(deep);
	buf_free(&b);
}

/* json_write: the document, a newline, one write; the reference is dropped. */
static void test_write_stream(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	json_t *v = json_pack("{s:[i, s]}", "ike_sas", 1, "con1");

	(void)state;
	assert_non_null(f);
	assert_int_equal(json_write(f, v), 0);
	fclose(f);
	assert_string_equal(text, "{\n  \"ike_sas\": [\n    1,\n    \"con1\"\n  ]\n}\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_documents),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_write_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
