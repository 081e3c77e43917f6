/* json.h - the one writer behind every --json (jansson values out to a stream), byte for
 * byte what jansson's json_dump with JSON_INDENT(2) writes, in a fraction of its time. */
#ifndef TUNNELCTL_JSON_H
#define TUNNELCTL_JSON_H

#include <jansson.h>
#include <stdio.h>

/* Write v to f as indented JSON, keys in insertion order, then a newline; drops the
 * reference to v. Returns 0 or -EIO. */
int json_write(FILE *f, json_t *v);

struct buf;
/* Append v as json_write writes it (no newline) to b. 0, -EINVAL (v NULL) or -ELOOP (nested
 * deeper than 2,048). */
int json_write_buf(struct buf *b, const json_t *v);

/* json_string() that accepts NULL (gives JSON null). */
json_t *json_str_or_null(const char *s);

#endif
