/* json.c - the one writer behind every --json. */
#include "json.h"

#include <errno.h>

int json_write(FILE *f, json_t *v)
{
	int rc = json_dumpf(v, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	json_decref(v);
	if (rc || fputc('\n', f) == EOF)
		return -EIO;
	return 0;
}

json_t *json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}
