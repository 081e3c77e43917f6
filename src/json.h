/* json.h - the one writer behind every --json (jansson values out to a stream). */
#ifndef TUNNELCTL_JSON_H
#define TUNNELCTL_JSON_H

#include <jansson.h>
#include <stdio.h>

/* Write v to f as indented JSON, keys in insertion order, then a newline; drops the
 * reference to v. Returns 0 or -EIO. */
int json_write(FILE *f, json_t *v);

/* json_string() that accepts NULL (gives JSON null). */
json_t *json_str_or_null(const char *s);

#endif
