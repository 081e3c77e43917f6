/* test_opt.c - the option table parser: each kind, missing and bad values, unknown options,
 * "--", operand counts, the global options' take mode; the --help and man renderings; and
 * every command's real table (names unique, each option in its usage line). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "opt.h"
#include "util.h"

/* A command with one option of each kind. */
struct t_args {
	bool json, follow;
	int scope;
	const char *file, *journal, *custom;
	struct opt_list tags;
	long count;
	unsigned long long since;
};

/* CUSTOM: an even number's text */
static int parse_even(const char *arg, void *field)
{
	if (!*arg || strspn(arg, "0123456789") != strlen(arg) || (arg[strlen(arg) - 1] - '0') % 2)
		return -EINVAL;
	*(const char **)field = arg;
	return 0;
}

static const struct opt_def t_opts[] = {
	{ .name = "json", OPT_FLAG(struct t_args, json), .help = "machine output" },
	{ .name = "follow", .short_name = 'f', OPT_FLAG(struct t_args, follow), .help = "follow" },
	{ .name = "ike", OPT_CHOICE(struct t_args, scope, 1), .help = "the IKE SA" },
	{ .name = "child", OPT_CHOICE(struct t_args, scope, 2), .help = "the child" },
	{ .name = "file", .short_name = 'o', OPT_STRING(struct t_args, file, "PATH"), .help = "a file" },
	{ .name = "journal", OPT_STRING(struct t_args, journal, "DIR"), .value_optional = true,
	  .help = "the journal" },
	{ .name = "tag", OPT_LIST(struct t_args, tags, "TAG"), .help = "repeatable" },
	{ .name = "count", OPT_NUMBER(struct t_args, count, "N", -5, 100), .help = "a number" },
	{ .name = "since", OPT_DURATION(struct t_args, since, "DURATION", 1, 86400), .help = "a duration" },
	{ .name = "even", OPT_CUSTOM(struct t_args, custom, "N", parse_even, "an even number"), .help = "even" },
	{ .name = "config", .short_name = 'c', OPT_GLOBAL("FILE"), .help = "the tunnel file" },
	{ .name = NULL },
};

static const struct opt_spec t_spec = {
	.verb = "t",
	.usage = "usage: tunnelctl t [options] [NAME...]\n",
	.about = "A test command.\n",
	.opts = t_opts,
	.tail = "exit status: 0\n",
	.operands = "at most two NAMEs",
	.max_operands = 2,
};

/* argv from a space-separated line (no quoting); argv[0] = "t". Returns argc. */
static int split(char *line, char **argv, int max)
{
	int n = 0;

	argv[n++] = "t";
	for (char *tok = strtok(line, " "); tok && n < max - 1; tok = strtok(NULL, " "))
		argv[n++] = tok;
	argv[n] = NULL;
	return n;
}

struct run {
	char line[512];
	char *argv[32];
	int argc, rc;
	struct t_args a;
	char err[256];
};

static void parse_spec(struct run *r, const struct opt_spec *spec, const char *line)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->line, sizeof(r->line), "%s", line);
	r->argc = split(r->line, r->argv, 32);
	r->a.count = -1;
	r->rc = opt_parse(spec, r->argc, r->argv, &r->a, r->err, sizeof(r->err));
}

static void parse(struct run *r, const char *line)
{
	parse_spec(r, &t_spec, line);
}

/* Parse line; it must be a usage error whose message contains want. */
static void expect_usage(const char *line, const char *want)
{
	struct run r;

	parse(&r, line);
	if (r.rc != OPT_USAGE || !strstr(r.err, want))
		print_message("'%s': rc %d, err '%s', want '%s'\n", line, r.rc, r.err, want);
	assert_int_equal(r.rc, OPT_USAGE);
	assert_non_null(strstr(r.err, want));
}

static void test_flags_and_choices(void **state)
{
	struct run r;

	(void)state;
	parse(&r, "--json -f");
	assert_int_equal(r.rc, 3);	/* no operand: the index is argc */
	assert_true(r.a.json);
	assert_true(r.a.follow);
	parse(&r, "--follow");
	assert_true(r.a.follow);
	assert_false(r.a.json);
	parse(&r, "--ike");
	assert_int_equal(r.a.scope, 1);
	parse(&r, "--child --child");
	assert_int_equal(r.a.scope, 2);
	expect_usage("--ike --child", "--ike and --child exclude each other");
	expect_usage("--json=yes", "--json takes no value");
}

static void test_values(void **state)
{
	struct run r;

	(void)state;
	/* strings: separate, attached with =, short attached, short separate; the last wins */
	parse(&r, "--file a --file=b");
	assert_string_equal(r.a.file, "b");
	parse(&r, "-oc.conf");
	assert_string_equal(r.a.file, "c.conf");
	parse(&r, "-o -d.conf");	/* a value may start with '-' */
	assert_string_equal(r.a.file, "-d.conf");
	/* a cluster of short flags, then one that takes the rest */
	parse(&r, "-fod.conf");
	assert_true(r.a.follow);
	assert_string_equal(r.a.file, "d.conf");
	/* an optional value: only with '=' */
	parse(&r, "--journal");
	assert_string_equal(r.a.journal, "");
	parse(&r, "--journal=/var/log/journal x");
	assert_string_equal(r.a.journal, "/var/log/journal");
	assert_int_equal(r.argc - r.rc, 1);
	parse(&r, "--journal dir");
	assert_string_equal(r.a.journal, "");
	assert_string_equal(r.argv[r.rc], "dir");
	/* "--journal=" names no directory: a mistake, not the default */
	expect_usage("--journal=", "--journal= needs a DIR after '=' (or give --journal alone)");
	/* repeated: kept in order */
	parse(&r, "--tag a --tag=b --tag c");
	assert_int_equal(r.a.tags.n, 3);
	assert_string_equal(r.a.tags.v[0], "a");
	assert_string_equal(r.a.tags.v[2], "c");
}

static void test_numbers_and_durations(void **state)
{
	struct run r;
	char line[256];

	(void)state;
	parse(&r, "--count 100");
	assert_int_equal(r.rc, 3);
	assert_int_equal(r.a.count, 100);
	parse(&r, "--count=-5");
	assert_int_equal(r.a.count, -5);
	expect_usage("--count 101", "--count wants a number from -5 to 100 (N), not '101'");
	expect_usage("--count -6", "not '-6'");
	expect_usage("--count 1x", "not '1x'");
	expect_usage("--count +1", "not '+1'");
	expect_usage("--count ''", "not ''''");
	expect_usage("--count 99999999999999999999999", "not '9999");

	parse(&r, "--since 2h");
	assert_int_equal(r.a.since, 7200);
	parse(&r, "--since=90");
	assert_int_equal(r.a.since, 90);
	parse(&r, "--since 1d");
	assert_int_equal(r.a.since, 86400);
	expect_usage("--since 2x", "--since wants a duration like 30s, 10m, 2h or 1d, not '2x'");
	expect_usage("--since 0", "--since wants 1 to 86400 seconds, not '0'");
	expect_usage("--since 2d", "not '2d'");
	expect_usage("--since h", "not 'h'");

	parse(&r, "--even 24");
	assert_string_equal(r.a.custom, "24");
	expect_usage("--even 23", "--even wants an even number, not '23'");

	/* the list's bound */
	line[0] = '\0';
	for (int i = 0; i <= OPT_LIST_MAX; i++)
		strcat(line, "--tag=x ");
	expect_usage(line, "--tag given more than 16 times");
}

static void test_missing_and_unknown(void **state)
{
	(void)state;
	expect_usage("--file", "--file needs a value (PATH)");
	expect_usage("-o", "-o needs a value (PATH)");
	expect_usage("--count", "--count needs a value (N)");
	expect_usage("--bogus", "unknown option '--bogus'");
	expect_usage("-x", "unknown option '-x'");
	expect_usage("-fx", "unknown option '-x'");
	/* a global option reaches a command only when main did not take it: not the command's */
	expect_usage("--config x", "unknown option '--config'");
	expect_usage("-c x", "unknown option '-c'");
	/* prefixes: a unique one is the option (as getopt_long), several are refused */
	expect_usage("--c", "ambiguous option '--c': --child or --count");
	{
		struct run r;
		parse(&r, "--fol --jso");
		assert_int_equal(r.rc, 3);
		assert_true(r.a.follow);
		assert_true(r.a.json);
	}
}

static void test_operands_and_dashdash(void **state)
{
	struct run r;

	(void)state;
	/* operands anywhere, moved behind the options in their order */
	parse(&r, "one --json two");
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.argv[2], "one");
	assert_string_equal(r.argv[3], "two");
	assert_true(r.a.json);
	/* after "--" everything is an operand; "-" always is one */
	parse(&r, "--json -- --follow");
	assert_int_equal(r.rc, 3);
	assert_string_equal(r.argv[3], "--follow");
	assert_false(r.a.follow);
	parse(&r, "- --json");
	assert_string_equal(r.argv[r.rc], "-");
	parse(&r, "-- --help");
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.argv[2], "--help");
	/* counts */
	expect_usage("a b c", "unexpected argument 'c': expected at most two NAMEs");
	{
		static const struct opt_spec one = { .verb = "one", .usage = "", .operands = "one NAME",
						     .min_operands = 1, .max_operands = 1 };
		static const struct opt_spec none = { .verb = "none", .usage = "", .opts = t_opts };
		parse_spec(&r, &one, "");
		assert_int_equal(r.rc, OPT_USAGE);
		assert_string_equal(r.err, "expected one NAME (see --help)");
		parse_spec(&r, &one, "x");
		assert_int_equal(r.rc, 1);
		parse_spec(&r, &none, "x");
		assert_int_equal(r.rc, OPT_USAGE);
		/* the table has -c: the message says where the tunnel file goes */
		assert_string_equal(r.err, "unexpected argument 'x' (the tunnel file is given with -c)");
	}
}

static void test_help_and_options_first(void **state)
{
	static const struct opt_spec lab = { .verb = "lab", .usage = "", .opts = t_opts,
					     .min_operands = 1, .max_operands = OPT_MANY, .options_first = true };
	struct run r;

	(void)state;
	/* --help wins anywhere before "--", even after a mistake */
	parse(&r, "--bogus a --help");
	assert_int_equal(r.rc, OPT_HELP);
	parse(&r, "-h");
	assert_int_equal(r.rc, OPT_HELP);
	/* options_first: what follows the first operand belongs to it, --help included */
	parse_spec(&r, &lab, "--json exec a -- sh --help --follow");
	assert_int_equal(r.rc, 2);
	assert_true(r.a.json);
	assert_false(r.a.follow);
	assert_string_equal(r.argv[2], "exec");
	assert_string_equal(r.argv[6], "--help");
	parse_spec(&r, &lab, "--file x --help");
	assert_int_equal(r.rc, OPT_HELP);
}

static void test_take_globals(void **state)
{
	char line[] = "tunnelctl status --vici unix:///v con1 -c a.conf --json --out-dir=/o -- --state-dir s";
	char *argv[32];
	struct tc_ctx ctx = { .conf = NULL };
	char err[256];
	int argc = 0, n;

	(void)state;
	for (char *tok = strtok(line, " "); tok; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	argv[argc] = NULL;
	n = opt_take(cmd_globals, argc, argv, &ctx, err, sizeof(err));
	assert_int_equal(n, 7);
	assert_string_equal(ctx.vici, "unix:///v");
	assert_string_equal(ctx.conf, "a.conf");
	assert_string_equal(ctx.out_dir, "/o");
	assert_null(ctx.state_dir);	/* after "--": the command's */
	assert_string_equal(argv[1], "status");
	assert_string_equal(argv[2], "con1");
	assert_string_equal(argv[3], "--json");
	assert_string_equal(argv[4], "--");
	assert_string_equal(argv[5], "--state-dir");
	assert_null(argv[7]);

	/* exact names only: a prefix is left to the command */
	{
		char l2[] = "tunnelctl check --vic x";
		char *av[8];
		int ac = 0;
		for (char *tok = strtok(l2, " "); tok; tok = strtok(NULL, " "))
			av[ac++] = tok;
		av[ac] = NULL;
		ctx.vici = NULL;
		assert_int_equal(opt_take(cmd_globals, ac, av, &ctx, err, sizeof(err)), 4);
		assert_null(ctx.vici);
	}
	{
		char *av[] = { "tunnelctl", "check", "-c", NULL };
		assert_int_equal(opt_take(cmd_globals, 3, av, &ctx, err, sizeof(err)), OPT_USAGE);
		assert_string_equal(err, "-c needs a value (FILE)");
	}
}

static void test_help_rendering(void **state)
{
	struct buf b;
	const char *p;

	(void)state;
	buf_init(&b);
	opt_help(&t_spec, &b);
	assert_true(str_startswith(b.data, "usage: tunnelctl t [options] [NAME...]\n\nA test command.\n\noptions:\n"));
	assert_non_null(strstr(b.data, "\n  -f, --follow"));
	assert_non_null(strstr(b.data, "\n  --journal[=DIR]"));
	assert_non_null(strstr(b.data, "\n  -c, --config FILE"));
	assert_non_null(strstr(b.data, "\n\nexit status: 0\n"));
	/* every row's help starts in one column */
	p = strstr(b.data, "\n  --json");
	assert_non_null(p);
	{
		const char *q = strstr(b.data, "\n  --since DURATION");
		assert_non_null(q);
		assert_int_equal(strstr(p, "machine output") - p, strstr(q, "a duration") - q);
	}
	buf_free(&b);

	/* long help wraps within the width, continuation lines indented under the text */
	{
		static const struct opt_def long_help[] = {
			{ .name = "json", OPT_FLAG(struct t_args, json), .help = "machine output",
			  .more = "one two three four five six seven eight nine ten eleven twelve thirteen "
				  "fourteen fifteen sixteen seventeen eighteen nineteen twenty" },
			{ .name = NULL },
		};
		buf_init(&b);
		opt_help_options(long_help, "options:", &b);
		assert_string_equal(b.data,
				    "options:\n"
				    "  --json  machine output; one two three four five six seven eight nine ten eleven twelve\n"
				    "          thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty\n");
		buf_free(&b);
	}
}

static void test_mdoc_rendering(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	opt_mdoc(t_opts, &b);
	assert_true(str_startswith(b.data, ".Bl -tag -width Ds\n.It Fl -json\nMachine output.\n"
					    ".It Fl f , Fl -follow\nFollow.\n"));
	assert_non_null(strstr(b.data, ".It Fl o Ar path , Fl -file Ar path\nA file.\n"));
	assert_non_null(strstr(b.data, ".It Fl -journal Ns Op = Ns Ar dir\n"));
	assert_non_null(strstr(b.data, ".It Fl c Ar file , Fl -config Ar file\n"));
	assert_true(strcmp(b.data + b.len - 4, ".El\n") == 0);
	buf_free(&b);

	/* one sentence per line, a literal dot at a line's start, backslashes escaped */
	{
		static const struct opt_def odd[] = {
			{ .name = "x", OPT_FLAG(struct t_args, json), .help = "first one. .second with a \\ in it" },
			{ .name = NULL },
		};
		buf_init(&b);
		opt_mdoc(odd, &b);
		assert_string_equal(b.data, ".Bl -tag -width Ds\n.It Fl -x\nFirst one.\n\\&.second with a \\e in it.\n.El\n");
		buf_free(&b);
	}
}

static void test_markdown_rendering(void **state)
{
	static const struct opt_def md[] = {
		{ .name = "listen", OPT_STRING(struct t_args, file, "ADDR|off"), .help = "serve there",
		  .more = "(a | in the text)" },
		{ .name = "follow", .short_name = 'f', OPT_FLAG(struct t_args, follow), .help = "follow" },
		{ .name = NULL },
	};
	struct buf b;

	(void)state;
	buf_init(&b);
	opt_markdown(md, &b);
	/* one row per option, help and details joined, '|' escaped so the cell does not end */
	assert_string_equal(b.data, "| option | what it does |\n|---|---|\n"
				    "| `--listen ADDR\\|off` | serve there (a \\| in the text) |\n"
				    "| `-f, --follow` | follow |\n");
	buf_free(&b);
}

/* Every command's table: names and short names unique, values with a metavar, a help line,
 * and every option of its own in its usage line (globals are in `tunnelctl --help`). */
static void test_command_tables(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; cmd_specs[i]; i++) {
		const struct opt_spec *s = cmd_specs[i];
		assert_non_null(s->verb);
		for (size_t k = 0; k < i; k++)
			assert_string_not_equal(cmd_specs[k]->verb, s->verb);
		assert_true(str_startswith(s->usage, "usage: tunnelctl "));
		for (const struct opt_def *d = s->opts; d && d->name; d++) {
			char opt[64];
			bool value = d->kind != OPT_KIND_FLAG && d->kind != OPT_KIND_CHOICE;
			if ((value && !d->metavar) || !d->help || !*d->help)
				print_message("%s --%s: metavar or help missing\n", s->verb, d->name);
			assert_true(!value || d->metavar);
			assert_true(d->help && *d->help);
			for (const struct opt_def *e = d + 1; e->name; e++) {
				assert_string_not_equal(d->name, e->name);
				assert_true(!d->short_name || d->short_name != e->short_name);
			}
			if (d->kind == OPT_KIND_GLOBAL)
				continue;
			snprintf(opt, sizeof(opt), "--%s", d->name);
			if (d->short_name)
				snprintf(opt, sizeof(opt), "-%c", d->short_name);
			if (!strstr(s->usage, opt))
				print_message("%s: %s is not in the usage line\n", s->verb, opt);
			assert_non_null(strstr(s->usage, opt));
		}
	}
	assert_true(i >= 20);	/* every command of main.c's table (20 today) */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags_and_choices),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_numbers_and_durations),
		cmocka_unit_test(test_missing_and_unknown),
		cmocka_unit_test(test_operands_and_dashdash),
		cmocka_unit_test(test_help_and_options_first),
		cmocka_unit_test(test_take_globals),
		cmocka_unit_test(test_help_rendering),
		cmocka_unit_test(test_mdoc_rendering),
		cmocka_unit_test(test_markdown_rendering),
		cmocka_unit_test(test_command_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
