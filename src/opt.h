/* opt.h - one option table per command: it parses argv, and renders --help's options section
 * and the man page's option list, so the three cannot drift apart. Pure: no I/O, no exit. */
#ifndef TUNNELCTL_OPT_H
#define TUNNELCTL_OPT_H

#include <stdbool.h>
#include <stddef.h>

struct buf;

/* What an option takes, and the type of the field it fills (checked by the OPT_* macros). */
enum opt_kind {
	OPT_KIND_FLAG,		/* --name: bool = true */
	OPT_KIND_CHOICE,	/* --name: int = value; two choices of one field exclude each other */
	OPT_KIND_STRING,	/* --name VALUE: const char * (the last one given wins) */
	OPT_KIND_LIST,		/* --name VALUE, repeatable: struct opt_list, in the order given */
	OPT_KIND_NUMBER,	/* --name N: long, within [min, max] */
	OPT_KIND_DURATION,	/* --name 30s|10m|2h|1d (bare: seconds): unsigned long long s, in [min, max] */
	OPT_KIND_CUSTOM,	/* --name VALUE: parse(VALUE, field) == 0, else "wants EXPECT" */
	OPT_KIND_GLOBAL,	/* shown only: a global option main.c takes out of argv before the command */
};

#define OPT_LIST_MAX 16	/* values a repeatable option keeps; more is a usage error */

/* The values of a repeatable option, pointing into argv. */
struct opt_list {
	const char *v[OPT_LIST_MAX];
	size_t n;
};

/* One option. A table of them ends with a row whose name is NULL. */
struct opt_def {
	const char *name;	/* long name without "--" */
	char short_name;	/* 'f' for -f, or 0 */
	enum opt_kind kind;
	size_t off;		/* the field in the command's argument struct (OPT_* macros) */
	const char *metavar;	/* what the value is, for help: FILE, SEC (none for flags) */
	bool value_optional;	/* --name[=VALUE]: without a value the string becomes "" */
	long long min, max;	/* NUMBER and DURATION bounds */
	int value;		/* CHOICE: what it stores (not 0) */
	int (*parse)(const char *arg, void *field);	/* CUSTOM: 0 or -errno */
	const char *expect;	/* CUSTOM: what a value looks like, for the message */
	const char *help;	/* one line: what the option does (--help and the man page) */
	const char *more;	/* details for --help only, wrapped after help; may be NULL */
};

/* offsetof(T, f), and a compile error unless f has the type the kind fills. */
#define OPT_OFF(T, f, type) (offsetof(T, f) + 0 * sizeof(_Generic(((T *)0)->f, type: 1)))
#define OPT_FLAG(T, f) .kind = OPT_KIND_FLAG, .off = OPT_OFF(T, f, bool)
#define OPT_CHOICE(T, f, v) .kind = OPT_KIND_CHOICE, .off = OPT_OFF(T, f, int), .value = (v)
#define OPT_STRING(T, f, meta) .kind = OPT_KIND_STRING, .off = OPT_OFF(T, f, const char *), .metavar = (meta)
#define OPT_LIST(T, f, meta) .kind = OPT_KIND_LIST, .off = OPT_OFF(T, f, struct opt_list), .metavar = (meta)
#define OPT_NUMBER(T, f, meta, lo, hi) \
	.kind = OPT_KIND_NUMBER, .off = OPT_OFF(T, f, long), .metavar = (meta), .min = (lo), .max = (hi)
#define OPT_DURATION(T, f, meta, lo, hi) \
	.kind = OPT_KIND_DURATION, .off = OPT_OFF(T, f, unsigned long long), .metavar = (meta), \
	.min = (lo), .max = (hi)
#define OPT_CUSTOM(T, f, meta, fn, what) \
	.kind = OPT_KIND_CUSTOM, .off = offsetof(T, f), .metavar = (meta), .parse = (fn), .expect = (what)
#define OPT_GLOBAL(meta) .kind = OPT_KIND_GLOBAL, .metavar = (meta)

#define OPT_MANY 0x7fffffff	/* max_operands without a limit */

/* A command's whole command line: its --help is usage, about, the options, tail. */
struct opt_spec {
	const char *verb;	/* "apply", "lab up": names the command in messages */
	const char *usage;	/* "usage: tunnelctl ...\n" line(s) */
	const char *about;	/* what it does (paragraphs, a commands: list), before the options */
	const struct opt_def *opts;	/* may be NULL: no options */
	const char *tail;	/* exit status, examples */
	const char *operands;	/* what the operands are, for messages: "one NAME or all" */
	int min_operands, max_operands;
	bool options_first;	/* options end at the first operand (the rest is another command's) */
};

#define OPT_HELP (-1)	/* -h or --help was given: print the help, exit 0 */
#define OPT_USAGE (-2)	/* err says what is wrong: exit 2 */

/* Parse argv[1..argc-1] (argv[0] is the verb) into the struct args by spec's table: options
 * anywhere before "--" (or before the first operand with options_first), long ones also as
 * --name=VALUE or an unambiguous prefix, short ones clustered (-fq) or with the value
 * attached (-oFILE). Operands keep their order and are moved behind the options. Returns the
 * index of the first operand, OPT_HELP, or OPT_USAGE with err (a sentence) filled. */
int opt_parse(const struct opt_spec *spec, int argc, char **argv, void *args, char *err, size_t errsz);

/* Take the options of defs (exact names, --name VALUE or --name=VALUE, -c VALUE) out of argv
 * wherever they stand before "--", into args; the rest keep their order. Returns the new argc
 * (argv[argc] = NULL), or OPT_USAGE with err filled. */
int opt_take(const struct opt_def *defs, int argc, char **argv, void *args, char *err, size_t errsz);

/* spec's --help: usage, about, "options:" with one row per option (help and more wrapped), tail. */
void opt_help(const struct opt_spec *spec, struct buf *out);
/* The "options:" rows alone, under the given heading ("options:", "global options ..."). */
void opt_help_options(const struct opt_def *defs, const char *heading, struct buf *out);
/* The man page's list of spec's options: an mdoc .Bl -tag list with one .It per option. */
void opt_mdoc(const struct opt_def *defs, struct buf *out);
/* docs/commands.md's table of the options: one row per option, its help and details. */
void opt_markdown(const struct opt_def *defs, struct buf *out);

#endif
