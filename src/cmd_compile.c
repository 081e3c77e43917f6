/* cmd_compile.c - `tunnelctl compile`: print the generated swanctl.conf. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "compile.h"
#include "tunnel.h"

struct compile_args {
	struct compile_opts co;
	bool strongswan;
};

static const struct opt_def compile_opts_table[] = {
	CMD_OPT_CONFIG,
	{ .name = "show-secrets", OPT_FLAG(struct compile_args, co.show_secrets),
	  .help = "print pre-shared keys instead of <hidden>" },
	{ .name = "strongswan", OPT_FLAG(struct compile_args, strongswan),
	  .help = "print the strongswan.conf fragment (logging, retransmits) instead",
	  .more = "(as written to /etc/strongswan.d/tunnelctl.conf)" },
	{ .name = NULL },
};

const struct opt_spec cmd_compile_spec = {
	.verb = "compile",
	.usage =
		"usage: tunnelctl compile [-c FILE] [--show-secrets] [--strongswan]\n",
	.about =
		"Print the swanctl.conf that `apply` would write to\n"
		"/etc/swanctl/conf.d/tunnelctl.conf: connections named conN (phase 1) and conN or\n"
		"conN_M (phase 2) as pfSense names them, a comment before each block, and the secrets\n"
		"section. The output is deterministic: the same tunnel file gives the same bytes.\n"
		"Nothing is written or loaded.\n",
	.opts = compile_opts_table,
	.tail =
		"exit status: 0 ok, 2 the tunnel file has errors (printed as FILE:LINE:COL: message)\n"
		"\n"
		"examples:\n"
		"  tunnelctl compile -c examples/ikev2-merged.conf\n"
		"  tunnelctl compile --strongswan\n",
};

/* The compiler's sink: its pieces straight to standard output. */
static int write_stdout(void *arg, const char *data, size_t len)
{
	(void)arg;
	return fwrite(data, 1, len, stdout) == len ? 0 : -EIO;
}

int cmd_compile(int argc, char **argv, const struct tc_ctx *ctx)
{
	struct compile_args a = { .strongswan = false };
	struct tunnel_file *tf;
	const struct compile_sink sink = { write_stdout, NULL };
	struct buf out;
	bool write_ok;
	int c, rc = TC_EXIT_OK;

	c = cmd_parse(&cmd_compile_spec, argc, argv, &a);
	if (c < 0)
		return CMD_PARSE_EXIT(c);
	tf = cmd_load_tunnels(ctx);
	if (!tf)
		return TC_EXIT_USAGE;
	buf_init(&out);
	if (a.strongswan) {
		char *log = cmd_charon_log(ctx);
		compile_strongswan(&out, tf, log);
		free(log);
		write_ok = write_stdout(NULL, out.data, out.len) == 0;
	} else {
		/* in pieces: 7,999 tunnels would otherwise hold their 7 MB of text at once */
		write_ok = compile_swanctl_stream(tf, &a.co, &sink) == 0;
	}
	if (!write_ok || fflush(stdout)) {
		cmd_err("compile", "cannot write output");
		rc = TC_EXIT_FAIL;
	}
	buf_free_secret(&out);
	tunnel_file_free(tf);
	return rc;
}
