/* opt.c - command-line options from one table: parsing, --help rows, man page rows. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "opt.h"
#include "util.h"

#define OPT_WIDTH 90		/* --help lines are at most this wide (as the hand-written text) */
#define OPT_HELP_COL_MAX 22
#define OPT_MDOC_WIDTH 78	/* man page source lines: mandoc -W style wants at most 80 bytes */	/* help text starts here at the latest; longer rows wrap below */

static __attribute__((format(printf, 3, 4))) int fail(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	return OPT_USAGE;
}

static bool takes_value(const struct opt_def *d)
{
	return d->kind != OPT_KIND_FLAG && d->kind != OPT_KIND_CHOICE;
}

/* The row for a long name: exact, else the only one it is a prefix of (as getopt_long did).
 * Several prefixed rows: NULL, and *first and *second name two of them. */
static const struct opt_def *find_long(const struct opt_def *defs, const char *name, size_t len, bool exact_only,
				       const struct opt_def **first, const struct opt_def **second)
{
	*first = *second = NULL;
	for (const struct opt_def *d = defs; d && d->name; d++) {
		if (d->kind == OPT_KIND_GLOBAL || strncmp(d->name, name, len) != 0)
			continue;
		if (d->name[len] == '\0')
			return d;
		if (exact_only)
			continue;
		if (*first && !*second)
			*second = d;
		if (!*first)
			*first = d;
	}
	return *second ? NULL : *first;
}

static const struct opt_def *find_short(const struct opt_def *defs, char c)
{
	for (const struct opt_def *d = defs; d && d->name; d++)
		if (d->short_name == c && d->kind != OPT_KIND_GLOBAL)
			return d;
	return NULL;
}

/* "--name" or "-n" as the user knows the option, for messages. */
static const char *shown(const struct opt_def *d, bool as_short, char buf[static 64])
{
	if (as_short)
		snprintf(buf, 64, "-%c", d->short_name);
	else
		snprintf(buf, 64, "--%s", d->name);
	return buf;
}

static int parse_number(const char *s, long long *out)
{
	const char *p = s + (*s == '-');
	long long v = 0;

	if (!*p)
		return -EINVAL;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v > (0x7fffffffffffffffLL - 9) / 10)
			return -ERANGE;
		v = v * 10 + (*p - '0');
	}
	*out = *s == '-' ? -v : v;
	return 0;
}

/* Store value (NULL for flags) into the field of d. */
static int store(const struct opt_def *d, const struct opt_def *defs, bool as_short, const char *value, void *args,
		 char *err, size_t errsz)
{
	char *field = (char *)args + d->off, name[64];
	long long n;
	unsigned long long secs;

	switch (d->kind) {
	case OPT_KIND_FLAG:
		*(bool *)field = true;
		return 0;
	case OPT_KIND_CHOICE:
		if (*(int *)field && *(int *)field != d->value) {
			for (const struct opt_def *o = defs; o->name; o++)
				if (o->kind == OPT_KIND_CHOICE && o->off == d->off && o->value == *(int *)field)
					return fail(err, errsz, "--%s and --%s exclude each other", o->name, d->name);
		}
		*(int *)field = d->value;
		return 0;
	case OPT_KIND_STRING:
		*(const char **)field = value;
		return 0;
	case OPT_KIND_LIST: {
		struct opt_list *l = (struct opt_list *)(void *)field;
		if (l->n == OPT_LIST_MAX)
			return fail(err, errsz, "%s given more than %d times", shown(d, as_short, name), OPT_LIST_MAX);
		l->v[l->n++] = value;
		return 0;
	}
	case OPT_KIND_NUMBER:
		if (parse_number(value, &n) != 0 || n < d->min || n > d->max)
			return fail(err, errsz, "%s wants a number from %lld to %lld (%s), not '%s'",
				    shown(d, as_short, name), d->min, d->max, d->metavar, value);
		*(long *)field = (long)n;
		return 0;
	case OPT_KIND_DURATION:
		if (conf_parse_duration(value, &secs) != 0)
			return fail(err, errsz, "%s wants a duration like 30s, 10m, 2h or 1d, not '%s'",
				    shown(d, as_short, name), value);
		if (secs < (unsigned long long)d->min || secs > (unsigned long long)d->max)
			return fail(err, errsz, "%s wants %lld to %lld seconds, not '%s'", shown(d, as_short, name),
				    d->min, d->max, value);
		*(unsigned long long *)field = secs;
		return 0;
	case OPT_KIND_CUSTOM:
		if (d->parse(value, field) != 0)
			return fail(err, errsz, "%s wants %s, not '%s'", shown(d, as_short, name), d->expect, value);
		return 0;
	case OPT_KIND_GLOBAL:
		break;
	}
	return fail(err, errsz, "--%s is not an option here", d->name);
}

/* One long option at argv[*i] ("--name", "--name=VALUE", "--name VALUE"); *i moves past its
 * value. 0, 1 when take mode does not know it, or OPT_USAGE. */
static int long_option(const struct opt_def *defs, int argc, char **argv, int *i, void *args, bool take,
		       char *err, size_t errsz)
{
	const char *a = argv[*i] + 2, *eq = strchr(a, '='), *value = NULL;
	size_t len = eq ? (size_t)(eq - a) : strlen(a);
	const struct opt_def *first, *second, *d = find_long(defs, a, len, take, &first, &second);

	if (!d && take)
		return 1;
	if (!d && second)
		return fail(err, errsz, "ambiguous option '--%.*s': --%s or --%s", (int)len, a, first->name,
			    second->name);
	if (!d)
		return fail(err, errsz, "unknown option '%s' (see --help)", argv[*i]);
	if (eq && !takes_value(d))
		return fail(err, errsz, "--%s takes no value", d->name);
	if (eq && d->value_optional && !eq[1])
		return fail(err, errsz, "--%s= needs a %s after '=' (or give --%s alone)", d->name, d->metavar,
			    d->name);
	if (eq)
		value = eq + 1;
	else if (takes_value(d) && d->value_optional)
		value = "";
	else if (takes_value(d) && *i + 1 >= argc)
		return fail(err, errsz, "--%s needs a value (%s)", d->name, d->metavar);
	else if (takes_value(d))
		value = argv[++*i];
	return store(d, defs, false, value, args, err, errsz);
}

/* One cluster of short options at argv[*i] ("-f", "-fq", "-oFILE", "-o FILE"). */
static int short_options(const struct opt_def *defs, int argc, char **argv, int *i, void *args, char *err,
			 size_t errsz)
{
	for (const char *p = argv[*i] + 1; *p; p++) {
		const struct opt_def *d = find_short(defs, *p);
		const char *value = NULL;
		int rc;

		if (!d)
			return fail(err, errsz, "unknown option '-%c' (see --help)", *p);
		if (takes_value(d) && p[1]) {
			value = p + 1;
		} else if (takes_value(d)) {
			if (*i + 1 >= argc)
				return fail(err, errsz, "-%c needs a value (%s)", *p, d->metavar);
			value = argv[++*i];
		}
		rc = store(d, defs, true, value, args, err, errsz);
		if (rc || value)
			return rc;
	}
	return 0;
}

static bool is_help(const char *a)
{
	return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0;
}

/* The rest of the message for operand counts: what the command wants. */
static int operand_error(const struct opt_spec *spec, int n, char **ops, char *err, size_t errsz)
{
	bool uses_config = false;

	for (const struct opt_def *d = spec->opts; d && d->name; d++)
		uses_config |= d->kind == OPT_KIND_GLOBAL && strcmp(d->name, "config") == 0;
	if (n > spec->max_operands && spec->max_operands == 0)
		return fail(err, errsz, "unexpected argument '%s'%s", ops[0],
			    uses_config ? " (the tunnel file is given with -c)" : "");
	if (n > spec->max_operands)
		return fail(err, errsz, "unexpected argument '%s': expected %s", ops[spec->max_operands],
			    spec->operands ? spec->operands : "fewer arguments");
	return fail(err, errsz, "expected %s (see --help)", spec->operands ? spec->operands : "more arguments");
}

int opt_parse(const struct opt_spec *spec, int argc, char **argv, void *args, char *err, size_t errsz)
{
	char **ops = xcalloc((size_t)argc + 1, sizeof(*ops));
	int n = 0, rc = 0, i;

	/* --help wins over everything else on the line, even a mistake */
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (is_help(argv[i])) {
			free(ops);
			return OPT_HELP;
		}
		if (spec->options_first && argv[i][0] != '-')
			break;
	}
	for (i = 1; i < argc && rc == 0; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (is_help(a)) {
			rc = OPT_HELP;
		} else if (a[0] != '-' || a[1] == '\0') {
			/* an operand ("-" is one: standard input) */
			ops[n++] = argv[i];
			if (spec->options_first) {
				i++;
				break;
			}
		} else if (a[1] == '-') {
			rc = long_option(spec->opts, argc, argv, &i, args, false, err, errsz);
		} else {
			rc = short_options(spec->opts, argc, argv, &i, args, err, errsz);
		}
	}
	for (; i < argc && rc == 0; i++)
		ops[n++] = argv[i];
	if (rc == 0 && (n < spec->min_operands || n > spec->max_operands))
		rc = operand_error(spec, n, ops, err, errsz);
	if (rc == 0) {
		/* options first, then the operands in their order */
		memcpy(argv + argc - n, ops, (size_t)n * sizeof(*ops));
		rc = argc - n;
	}
	free(ops);
	return rc;
}

int opt_take(const struct opt_def *defs, int argc, char **argv, void *args, char *err, size_t errsz)
{
	int out = 1, i, rc;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct opt_def *d;

		if (strcmp(a, "--") == 0)
			break;
		if (a[0] == '-' && a[1] == '-') {
			rc = long_option(defs, argc, argv, &i, args, true, err, errsz);
			if (rc < 0)
				return rc;
			if (rc == 0)
				continue;
		} else if (a[0] == '-' && a[1] && !a[2] && (d = find_short(defs, a[1]))) {
			if (takes_value(d) && i + 1 >= argc)
				return fail(err, errsz, "%s needs a value (%s)", a, d->metavar);
			rc = store(d, defs, true, takes_value(d) ? argv[++i] : NULL, args, err, errsz);
			if (rc < 0)
				return rc;
			continue;
		}
		argv[out++] = argv[i];
	}
	for (; i < argc; i++)
		argv[out++] = argv[i];
	argv[out] = NULL;
	return out;
}

/* --- rendering --------------------------------------------------------------------------- */

/* "-c, --config FILE", "--journal[=DIR]", "--json" */
static void row_name(const struct opt_def *d, struct buf *b)
{
	if (d->short_name)
		buf_printf(b, "-%c, ", d->short_name);
	buf_printf(b, "--%s", d->name);
	if (d->metavar)
		buf_printf(b, d->value_optional ? "[=%s]" : " %s", d->metavar);
}

/* Append text to b, whose current line is at column col, wrapped at width with continuation
 * lines indented to indent; ends the line. */
static void wrap(struct buf *b, size_t width, size_t col, size_t indent, const char *text)
{
	const char *p = text;

	while (*p) {
		size_t room = width > col ? width - col : 1, len = strlen(p), cut = len;
		if (len > room) {
			/* the last space that fits and starts no line with '-' (which would read as an
			 * option's row); a word longer than the room goes whole */
			for (cut = room; cut > 0 && (p[cut] != ' ' || p[cut + 1] == '-'); cut--)
				;
			if (cut == 0)
				cut = strcspn(p, " ");
		}
		buf_add(b, p, cut);
		buf_addc(b, '\n');
		p += cut;
		while (*p == ' ')
			p++;
		if (*p) {
			for (size_t k = 0; k < indent; k++)
				buf_addc(b, ' ');
			col = indent;
		}
	}
}

/* How more follows help: after a colon or before a parenthesis a space, a sentence after a
 * full stop, else "; ". */
static const char *more_joint(const char *help, const char *more)
{
	if (*more == '(' || (*help && help[strlen(help) - 1] == ':'))
		return " ";
	return isupper((unsigned char)*more) ? ". " : "; ";
}

/* help and more as one text; caller frees. */
static char *full_help(const struct opt_def *d)
{
	return d->more ? xasprintf("%s%s%s", d->help, more_joint(d->help, d->more), d->more) : xstrdup(d->help);
}

void opt_help_options(const struct opt_def *defs, const char *heading, struct buf *out)
{
	struct buf name;
	size_t col = 0;

	if (!defs || !defs->name)
		return;
	buf_init(&name);
	/* one column for the help text: after the longest name that fits before OPT_HELP_COL_MAX */
	for (const struct opt_def *d = defs; d->name; d++) {
		name.len = 0;
		row_name(d, &name);
		if (2 + name.len + 2 <= OPT_HELP_COL_MAX && 2 + name.len + 2 > col)
			col = 2 + name.len + 2;
	}
	buf_printf(out, "%s\n", heading);
	for (const struct opt_def *d = defs; d->name; d++) {
		char *text = full_help(d);
		name.len = 0;
		row_name(d, &name);
		buf_printf(out, "  %s", name.data);
		if (2 + name.len + 2 > col) {
			buf_addc(out, '\n');
			buf_printf(out, "%*s", (int)col, "");
		} else {
			buf_printf(out, "%*s", (int)(col - 2 - name.len), "");
		}
		wrap(out, OPT_WIDTH, col, col, text);
		free(text);
	}
	buf_free(&name);
}

void opt_help(const struct opt_spec *spec, struct buf *out)
{
	buf_adds(out, spec->usage);
	if (spec->about)
		buf_printf(out, "\n%s", spec->about);
	if (spec->opts && spec->opts->name) {
		buf_addc(out, '\n');
		opt_help_options(spec->opts, "options:", out);
	}
	if (spec->tail)
		buf_printf(out, "\n%s", spec->tail);
}

/* Text for an mdoc line: backslashes escaped, a leading dot or quote made literal. */
static void mdoc_text(struct buf *b, const char *s, size_t n)
{
	if (n && (*s == '.' || *s == '\''))
		buf_adds(b, "\\&");
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\')
			buf_adds(b, "\\e");
		else
			buf_addc(b, s[i]);
	}
}

/* A metavar as mdoc arguments: lower case, "|off" and the like as literal words. */
static void mdoc_metavar(struct buf *b, const char *meta)
{
	char *m = xstrdup(meta);

	for (char *p = m; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	buf_adds(b, " Ar ");
	mdoc_text(b, m, strlen(m));
	free(m);
}

void opt_mdoc(const struct opt_def *defs, struct buf *out)
{
	struct buf lines;

	buf_init(&lines);
	buf_adds(out, ".Bl -tag -width Ds\n");
	for (const struct opt_def *d = defs; d && d->name; d++) {
		char *text = xstrdup(d->help), *p = text, *line;
		size_t n = strlen(text);

		buf_adds(out, ".It");
		if (d->short_name) {
			buf_printf(out, " Fl %c", d->short_name);
			if (d->metavar)
				mdoc_metavar(out, d->metavar);
			buf_adds(out, " ,");
		}
		buf_printf(out, " Fl -%s", d->name);
		if (d->metavar && d->value_optional) {
			buf_adds(out, " Ns Op = Ns");
			mdoc_metavar(out, d->metavar);
		} else if (d->metavar) {
			mdoc_metavar(out, d->metavar);
		}
		buf_addc(out, '\n');
		/* mandoc's style: the first letter up, a full stop at the end, each sentence on a
		 * line of its own, no line longer than OPT_MDOC_WIDTH */
		text[0] = (char)toupper((unsigned char)text[0]);
		lines.len = 0;
		while (*p) {
			char *stop = strstr(p, ". "), *next = stop ? stop + 1 : p + strlen(p);
			char save = *next;
			*next = '\0';
			wrap(&lines, OPT_MDOC_WIDTH, 0, 0, p);
			*next = save;
			for (p = next; *p == ' '; p++)
				;
		}
		if (n && !strchr(".!?", text[n - 1])) {
			lines.len--;	/* the last line's newline */
			buf_adds(&lines, ".\n");
		}
		buf_addc(&lines, '\0');
		for (p = lines.data; (line = strsep(&p, "\n")) && *line;) {
			mdoc_text(out, line, strlen(line));
			buf_addc(out, '\n');
		}
		free(text);
	}
	buf_adds(out, ".El\n");
	buf_free(&lines);
}

/* Markdown table text: '|' escaped, so it does not end the cell. */
static void md_text(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			buf_addc(b, '\\');
		buf_addc(b, *s);
	}
}

void opt_markdown(const struct opt_def *defs, struct buf *out)
{
	struct buf name;

	buf_init(&name);
	buf_adds(out, "| option | what it does |\n|---|---|\n");
	for (const struct opt_def *d = defs; d && d->name; d++) {
		char *text = full_help(d);
		name.len = 0;
		row_name(d, &name);
		buf_adds(out, "| `");
		md_text(out, name.data);
		buf_adds(out, "` | ");
		md_text(out, text);
		buf_adds(out, " |\n");
		free(text);
	}
	buf_free(&name);
}
