/* json.c - the one writer behind every --json. */
#include "json.h"

#include <errno.h>

#include "util.h"

static int json_to_buf(const char *data, size_t len, void *arg)
{
	buf_add(arg, data, len);
	return 0;
}

int json_write(FILE *f, json_t *v)
{
	struct buf b;
	int rc;

	/* whole into memory, then one write: jansson hands a stream one token at a time, and
	 * 1,000 SAs are 30,000 tokens */
	buf_init(&b);
	rc = json_dump_callback(v, json_to_buf, &b, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(v);
	buf_addc(&b, '\n');
	if (rc || fwrite(b.data, 1, b.len, f) != b.len)
		rc = -EIO;
	buf_free(&b);
	return rc;
}

json_t *json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}
