/* conf.h - strongSwan settings syntax (tunnel file, swanctl.conf): lexer and parser to a tree.
 *
 * Syntax: `name { ... }` sections (optionally `name : ref1, ref2 { ... }`), `key = value`
 * (the value runs to the end of the line or to a closing `}`), `#` comments, double-quoted
 * values with \" \\ \n \t escapes, `include PATTERN` (glob, relative to the including file).
 * Every node records file:line:col of its name and of its value.
 */
#ifndef TUNNELCTL_CONF_H
#define TUNNELCTL_CONF_H

#include <stddef.h>
#include "util.h"

/* Limits on untrusted input. */
#define CONF_MAX_DEPTH 32		/* section nesting */
#define CONF_MAX_LINE 8192		/* bytes in one line */
#define CONF_MAX_INCLUDE_DEPTH 16	/* nested includes */
#define CONF_MAX_FILES 256		/* file reads, the same file included twice counts twice */
#define CONF_MAX_TOTAL (16u * 1024u * 1024u)	/* bytes read, the file and its includes together */
#define CONF_MAX_NODES 1000000u		/* keys and sections (a node costs ~170 bytes) */

enum conf_type {
	CONF_SECTION,
	CONF_KV,
};

/* Pointers first, then the small fields: 80 bytes, and a 7,999-tunnel file has 100,000. */
struct conf_node {
	char *name;		/* section name or key */
	char *value;		/* KV: the value (unquoted); section: NULL */
	char *refs;		/* section: text after ':' (templates), else NULL */
	const char *file;	/* owned by the tree's file list */
	struct conf_node *parent;
	struct conf_node **child;	/* section: children in file order */
	size_t n_child;
	unsigned line, col;	/* position of the name */
	unsigned vline, vcol;	/* position of the value (KV) */
	enum conf_type type;
	bool quoted;		/* KV: value was quoted */
};

struct conf_block;

struct conf_tree {
	struct conf_node *root;	/* an unnamed section */
	struct conf_block *blocks;	/* owner of every node, name and value (conf.c) */
	char **files;		/* every file name seen, owner of node->file */
	size_t n_files;
	char digest[65];	/* SHA-256 (hex) of every file read, names and bytes, in read order */
};

/* Reads an included file for the parser: return 0 and fill *out, or -errno. */
typedef int (*conf_read_fn)(void *arg, const char *path, struct buf *out);
/* Expands an include pattern to file names (sorted); return count, fill *paths (caller frees each and the array). */
typedef int (*conf_glob_fn)(void *arg, const char *pattern, char ***paths);

struct conf_io {
	conf_read_fn read;
	conf_glob_fn glob;
	void *arg;
};

/* Parse data (len bytes, need not be NUL-terminated) named `file`. Pure when io is NULL
 * (includes are then errors). Errors are appended to errs and parsing carries on; the
 * returned tree is never NULL and holds what could be parsed. Free with conf_tree_free. */
struct conf_tree *conf_parse(const char *file, const char *data, size_t len,
			     const struct conf_io *io, struct tc_errors *errs);

/* Read and parse a file from disk, resolving includes with glob(3). */
struct conf_tree *conf_parse_file(const char *path, struct tc_errors *errs);

/* The digest (conf_tree.digest) of path and its includes as they are now: what was parsed
 * can be compared with what is on disk later. 0 or -errno (the file cannot be read). */
int conf_file_digest(const char *path, char out[65]);

/* Free a tree; NULL is fine. Values are wiped first (they may hold secrets). */
void conf_tree_free(struct conf_tree *t);

/* First child of section sec with this name and type, or NULL. */
struct conf_node *conf_find(const struct conf_node *sec, const char *name, enum conf_type type);
/* Value of key in sec, or NULL. */
const char *conf_get(const struct conf_node *sec, const char *key);

/* Parse a duration: digits with optional s, m, h, d suffix, into seconds. 0 or -EINVAL/-ERANGE. */
int conf_parse_duration(const char *s, unsigned long long *out);

#endif
