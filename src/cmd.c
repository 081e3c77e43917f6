/* cmd.c - helpers shared by the cmd_*.c files: help, error printing, loading the tunnel file. */
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
