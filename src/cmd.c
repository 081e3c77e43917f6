/* cmd.c - helpers shared by the cmd_*.c files: help, error printing, loading the tunnel file. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "compile.h"
#include "tunnel.h"
#include "util.h"

bool cmd_wants_help(int argc, char **argv, const char *help)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(help, stdout);
			return true;
		}
	}
	return false;
}

void cmd_print_errors(struct tc_errors *errs)
{
	tc_errors_sort(errs);
	for (size_t i = 0; i < errs->n; i++) {
		const struct tc_error *e = &errs->v[i];
		if (e->line)
			fprintf(stderr, "%s:%u:%u: %s%s\n", e->file, e->line, e->col,
				e->warning ? "warning: " : "", e->msg);
		else
			fprintf(stderr, "%s: %s%s\n", e->file, e->warning ? "warning: " : "", e->msg);
	}
	if (errs->n_dropped)
		fprintf(stderr, "... and %zu more errors or warnings, not listed (at most %u are kept)\n",
			errs->n_dropped, TC_MAX_ERRORS);
}

struct tunnel_file *cmd_load_tunnels(const struct tc_ctx *ctx)
{
	struct tc_errors errs = { 0 };
	struct tunnel_file *tf = tunnel_load(ctx->conf, &errs);

	if (!tf || errs.n_errors) {
		cmd_print_errors(&errs);
		if (errs.n_errors)
			fprintf(stderr, "%s: %zu error%s, nothing done\n", ctx->conf, errs.n_errors,
				errs.n_errors == 1 ? "" : "s");
		tunnel_file_free(tf);
		tc_errors_free(&errs);
		return NULL;
	}
	tc_errors_free(&errs);
	return tf;
}

void cmd_err(const char *verb, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tunnelctl %s: ", verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

char *cmd_charon_log(const struct tc_ctx *ctx)
{
	/* a moved out dir (lab, tests) keeps its log beside the generated files */
	if (strcmp(ctx->out_dir, "/") == 0)
		return xstrdup(COMPILE_CHARON_LOG);
	return xasprintf("%s%s", ctx->out_dir, COMPILE_CHARON_LOG);
}

int cmd_parse_args(const char *verb, int argc, char **argv, const char *help, const struct cmd_flag *flags,
		   int min_operands, int max_operands, const char *hint)
{
	struct option opts[CMD_MAX_FLAGS + 1];
	size_t n = 0;
	int c, operands;

	if (cmd_wants_help(argc, argv, help))
		return CMD_PARSE_HELP;
	for (; flags && flags[n].name && n < CMD_MAX_FLAGS; n++)
		opts[n] = (struct option){ flags[n].name, no_argument, NULL, 256 + (int)n };
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c < 256 || c >= 256 + (int)n)
			return CMD_PARSE_USAGE;	/* getopt said which option */
		*flags[c - 256].set = true;
	}
	operands = argc - optind;
	if (operands < min_operands || operands > max_operands) {
		if (operands > max_operands && max_operands == 0)
			cmd_err(verb, "unexpected argument '%s'%s", argv[optind], hint ? hint : "");
		else
			cmd_err(verb, "expected %s (see --help)", hint ? hint : "other arguments");
		return CMD_PARSE_USAGE;
	}
	return optind;
}
