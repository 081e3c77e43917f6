/* cmd.c - helpers shared by the cmd_*.c files: options and help, error printing, loading the tunnel file. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "compile.h"
#include "tunnel.h"
#include "util.h"

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

const struct opt_spec *const cmd_specs[] = {
	&cmd_check_spec, &cmd_compile_spec, &cmd_list_spec, &cmd_apply_spec, &cmd_status_spec,
	&cmd_up_spec, &cmd_down_spec, &cmd_service_spec, &cmd_logs_spec, &cmd_lab_spec,
	&cmd_doctor_spec, &cmd_firewall_spec, &cmd_logging_spec, &cmd_import_pfsense_spec,
	&cmd_keepalive_spec, &cmd_probe_spec, &cmd_trace_spec, &cmd_bundle_spec, &cmd_daemon_spec,
	&cmd_history_spec, NULL,
};

const struct opt_def cmd_globals[] = {
	{ .name = "config", .short_name = 'c', OPT_STRING(struct tc_ctx, conf, "FILE"),
	  .help = "tunnel file (TUNNELCTL_CONF, default " TC_DEFAULT_CONF ")" },
	{ .name = "vici", OPT_STRING(struct tc_ctx, vici, "URI"),
	  .help = "the VICI socket of charon (TUNNELCTL_VICI, default " TC_DEFAULT_VICI ")" },
	{ .name = "out-dir", OPT_STRING(struct tc_ctx, out_dir, "DIR"),
	  .help = "root for generated files (TUNNELCTL_OUT_DIR, default /)" },
	{ .name = "state-dir", OPT_STRING(struct tc_ctx, state_dir, "DIR"),
	  .help = "state directory: manual-down marks, the last applied file, keep-alive records "
		  "(TUNNELCTL_STATE_DIR, default " TC_DEFAULT_STATE_DIR ")" },
	{ .name = NULL },
};

void cmd_print_help(const struct opt_spec *spec, FILE *f)
{
	struct buf b;

	buf_init(&b);
	opt_help(spec, &b);
	fputs(b.data, f);
	buf_free(&b);
}

int cmd_parse(const struct opt_spec *spec, int argc, char **argv, void *args)
{
	char err[512];
	int rc = opt_parse(spec, argc, argv, args, err, sizeof(err));

	if (rc == OPT_HELP)
		cmd_print_help(spec, stdout);
	else if (rc == OPT_USAGE)
		cmd_err(spec->verb, "%s", err);
	return rc;
}
