/* logging.h - charon's log levels with pfSense's names: parse `CAT=LEVEL`, read levels back
 * from the generated strongswan.conf fragment. Pure: no I/O. */
#ifndef TUNNELCTL_LOGGING_H
#define TUNNELCTL_LOGGING_H

#include <stddef.h>
#include "tunnel.h"

#define LOGGING_MIN (-1)	/* Silent */
#define LOGGING_MAX 4		/* Highest */

/* pfSense's level names, indexed by level + 1: Silent Audit Control Diag Raw Highest. */
extern const char *const logging_level_names[LOGGING_MAX - LOGGING_MIN + 1];

/* The name of a level (-1..4), or "?" outside the range. */
const char *logging_level_name(int level);

/* Apply one `CAT=LEVEL` argument to levels: CAT is one of the 16 categories or `all`, LEVEL
 * a number -1..4 or a pfSense name (case-insensitive). 0, or -EINVAL with *err set (caller frees). */
int logging_parse_assignment(const char *arg, int levels[TUNNEL_LOG_CATEGORIES], char **err);

/* Read the file log's levels back from a strongswan.conf fragment written by
 * compile_strongswan (charon.filelog.tunnelctl.<cat>). 0; -ENOENT when the section or a
 * category is missing; -EINVAL when the text does not parse or a level is out of range. */
int logging_read_fragment(const char *text, size_t len, int levels[TUNNEL_LOG_CATEGORIES]);

#endif
