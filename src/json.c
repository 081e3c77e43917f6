/* json.c - the one writer behind every --json. */
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

#define JSON_WRITE_INDENT 2
#define JSON_WRITE_MAX_DEPTH 2048	/* deeper than any document of ours; jansson's own limit */
#define JSON_WRITE_CHUNK (64u * 1024u)	/* json_write hands the stream this much at a time */

/* Where the text goes: b, and from b to f (if not NULL) whenever it holds a chunk. */
struct writer {
	struct buf b;
	FILE *f;
	int rc;
};

/* One chunk out (a full buffer, or the rest with last): the buffer is reused, so a
 * megabyte of output touches 64 KiB of memory. */
static void flush(struct writer *w, bool last)
{
	if (!w->f || (!last && w->b.len < JSON_WRITE_CHUNK))
		return;
	if (w->b.len && fwrite(w->b.data, 1, w->b.len, w->f) != w->b.len)
		w->rc = -EIO;
	w->b.len = 0;
}

/* A json_int_t in decimal, without printf's format parsing. */
static void put_int(struct buf *b, json_int_t v)
{
	char s[24], *p = s + sizeof(s);
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	buf_add(b, p, (size_t)(s + sizeof(s) - p));
}

/* Bytes a JSON string can carry as they are: not '"', '\\' or a control character. */
static bool plain(unsigned char c)
{
	return c >= 0x20 && c != '"' && c != '\\';
}

/* s (len bytes of valid UTF-8, as jansson holds every string) as a JSON string: the escapes
 * jansson writes (\" \\ \b \f \n \r \t, else \u00XX for control characters), the rest as is. */
static void put_string(struct buf *b, const char *s, size_t len)
{
	size_t i = 0;

	buf_reserve(b, len + 2);
	b->data[b->len++] = '"';
	while (i < len) {
		size_t run = i;
		unsigned char c;

		while (run < len && plain((unsigned char)s[run]))
			run++;
		buf_add(b, s + i, run - i);
		if (run == len)
			break;
		c = (unsigned char)s[run];
		switch (c) {
		case '"': buf_add(b, "\\\"", 2); break;
		case '\\': buf_add(b, "\\\\", 2); break;
		case '\b': buf_add(b, "\\b", 2); break;
		case '\f': buf_add(b, "\\f", 2); break;
		case '\n': buf_add(b, "\\n", 2); break;
		case '\r': buf_add(b, "\\r", 2); break;
		case '\t': buf_add(b, "\\t", 2); break;
		default: buf_printf(b, "\\u%04X", c); break;
		}
		i = run + 1;
	}
	buf_addc(b, '"');
}

/* A real as jansson writes it: %.17g, ".0" when that looks like an integer, the exponent
 * without '+' or leading zeros. */
static void put_real(struct buf *b, double v)
{
	char s[64], out[64];
	size_t n = 0;
	char *e;

	snprintf(s, sizeof(s), "%.17g", v);
	if (strspn(s, "0123456789-") == strlen(s))
		strcat(s, ".0");
	e = strchr(s, 'e');
	if (!e) {
		buf_adds(b, s);
		return;
	}
	memcpy(out, s, (size_t)(e - s) + 1);
	n = (size_t)(e - s) + 1;
	e++;
	if (*e == '-')
		out[n++] = *e++;
	else if (*e == '+')
		e++;
	while (*e == '0' && e[1])
		e++;
	while (*e)
		out[n++] = *e++;
	out[n] = '\0';
	buf_adds(b, out);
}

static void put_newline(struct buf *b, size_t depth)
{
	size_t n = depth * JSON_WRITE_INDENT;

	buf_reserve(b, n + 1);
	b->data[b->len++] = '\n';
	memset(b->data + b->len, ' ', n);
	b->len += n;
	b->data[b->len] = '\0';
}

static int put_value(struct writer *w, const json_t *v, size_t depth)
{
	struct buf *b = &w->b;
	const char *key;
	json_t *item;
	size_t i, n;

	if (depth > JSON_WRITE_MAX_DEPTH)
		return -ELOOP;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		n = json_object_size(v);
		if (!n) {
			buf_add(b, "{}", 2);
			return 0;
		}
		buf_addc(b, '{');
		i = 0;
		json_object_foreach((json_t *)v, key, item) {
			put_newline(b, depth + 1);
			put_string(b, key, strlen(key));
			buf_add(b, ": ", 2);
			if (put_value(w, item, depth + 1))
				return -ELOOP;
			if (++i < n)
				buf_addc(b, ',');
			flush(w, false);
		}
		put_newline(b, depth);
		buf_addc(b, '}');
		return 0;
	case JSON_ARRAY:
		n = json_array_size(v);
		if (!n) {
			buf_add(b, "[]", 2);
			return 0;
		}
		buf_addc(b, '[');
		for (i = 0; i < n; i++) {
			put_newline(b, depth + 1);
			if (put_value(w, json_array_get(v, i), depth + 1))
				return -ELOOP;
			if (i + 1 < n)
				buf_addc(b, ',');
			flush(w, false);
		}
		put_newline(b, depth);
		buf_addc(b, ']');
		return 0;
	case JSON_STRING:
		put_string(b, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_INTEGER:
		put_int(b, json_integer_value(v));
		return 0;
	case JSON_REAL:
		put_real(b, json_real_value(v));
		return 0;
	case JSON_TRUE:
		buf_add(b, "true", 4);
		return 0;
	case JSON_FALSE:
		buf_add(b, "false", 5);
		return 0;
	default:
		buf_add(b, "null", 4);
		return 0;
	}
}

int json_write_buf(struct buf *b, const json_t *v)
{
	struct writer w = { .b = *b };
	int rc = v ? put_value(&w, v, 0) : -EINVAL;

	*b = w.b;
	return rc;
}

int json_write(FILE *f, json_t *v)
{
	struct writer w = { .f = f };
	int rc;

	/* written here rather than by jansson's dump, which hands out one token at a time
	 * through a callback (1,000 SAs are 30,000 tokens: 18 ms, where this takes a few), and
	 * in 64 KiB chunks */
	buf_init(&w.b);
	rc = v ? put_value(&w, v, 0) : -EINVAL;
	json_decref(v);
	buf_addc(&w.b, '\n');
	flush(&w, true);
	buf_free(&w.b);
	return rc || w.rc ? -EIO : 0;
}

json_t *json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}
