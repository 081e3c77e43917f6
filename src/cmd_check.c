/* cmd_check.c - `tunnelctl check`: validate the tunnel file, change nothing. */
#include <stdio.h>

#include "cmd.h"
#include "json.h"
#include "tunnel.h"

struct check_args {
	bool json, strict;
};

static const struct opt_def check_opts[] = {
	CMD_OPT_CONFIG,
	{ .name = "json", OPT_FLAG(struct check_args, json),
	  .help = "print {\"ok\", \"errors\", \"warnings\", \"not_listed\", \"phase1\", \"phase2\"}",
	  .more = "(at most 1,000 errors and warnings are listed, the rest are counted in not_listed)" },
	{ .name = "strict", OPT_FLAG(struct check_args, strict), .help = "warnings make the exit status 1" },
	{ .name = NULL },
};

const struct opt_spec cmd_check_spec = {
	.verb = "check",
	.usage =
		"usage: tunnelctl check [-c FILE] [--json] [--strict]\n",
	.about =
		"Validate the tunnel file: syntax, keys, values, references and the secret files it\n"
		"names. Every error and warning is printed as FILE:LINE:COL: message, all of them in one\n"
		"run. Nothing is written, loaded or changed.\n"
		"\n"
		"Warnings (the file is still valid): weak algorithms (DES, 3DES, MD5, SHA1, DH 1/2/5/22),\n"
		"aggressive mode with a PSK, a phase 2 overlapping a bypass network, two phase 1 entries\n"
		"with the same peer, trap start action on a VTI phase 2, close action set, a ping host\n"
		"outside the remote network, PSKs shorter than 16 characters.\n",
	.opts = check_opts,
	.tail =
		"exit status: 0 valid, 1 valid with warnings under --strict, 2 errors\n"
		"\n"
		"example:\n"
		"  tunnelctl check -c /etc/tunnelctl/tunnels.conf\n",
};

static json_t *errors_json(const struct tc_errors *errs, bool warnings)
{
	json_t *a = json_array();

	for (size_t i = 0; i < errs->n; i++) {
		const struct tc_error *e = &errs->v[i];
		if (e->warning != warnings)
			continue;
		json_array_append_new(a, json_pack("{s:s, s:I, s:I, s:s}", "file", e->file, "line",
						   (json_int_t)e->line, "col", (json_int_t)e->col,
						   "message", e->msg));
	}
	return a;
}

static size_t count_p2(const struct tunnel_file *tf)
{
	size_t n = 0;

	for (size_t i = 0; tf && i < tf->n_p1; i++)
		n += tf->p1[i].n_p2;
	return n;
}

int cmd_check(int argc, char **argv, const struct tc_ctx *ctx)
{
	struct tc_errors errs = { 0 };
	struct tunnel_file *tf;
	struct check_args a = { .json = false };
	size_t n_warn;
	int rc = cmd_parse(&cmd_check_spec, argc, argv, &a);

	if (rc < 0)
		return CMD_PARSE_EXIT(rc);

	tf = tunnel_load(ctx->conf, &errs);
	if (tf && !errs.n_errors)
		tunnel_warnings(tf, &errs);
	tc_errors_sort(&errs);
	n_warn = errs.n_warnings;
	rc = errs.n_errors ? TC_EXIT_USAGE : (a.strict && n_warn ? TC_EXIT_FAIL : TC_EXIT_OK);

	if (a.json) {
		json_t *o = json_object();
		json_object_set_new(o, "ok", json_boolean(!errs.n_errors));
		json_object_set_new(o, "file", json_string(ctx->conf));
		json_object_set_new(o, "errors", errors_json(&errs, false));
		json_object_set_new(o, "warnings", errors_json(&errs, true));
		json_object_set_new(o, "not_listed", json_integer((json_int_t)errs.n_dropped));
		json_object_set_new(o, "phase1", json_integer(tf ? (json_int_t)tf->n_p1 : 0));
		json_object_set_new(o, "phase2", json_integer((json_int_t)count_p2(tf)));
		json_write(stdout, o);
	} else {
		cmd_print_errors(&errs);
		if (errs.n_errors)
			fprintf(stderr, "%s: %zu error%s, %zu warning%s\n", ctx->conf, errs.n_errors,
				errs.n_errors == 1 ? "" : "s", n_warn, n_warn == 1 ? "" : "s");
		else
			printf("%s: OK, %zu phase 1 and %zu phase 2 entries, %zu warning%s\n",
			       ctx->conf, tf->n_p1, count_p2(tf), n_warn, n_warn == 1 ? "" : "s");
	}
	tunnel_file_free(tf);
	tc_errors_free(&errs);
	return rc;
}
