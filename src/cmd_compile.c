/* cmd_compile.c - `tunnelctl compile`: print the generated swanctl.conf. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "compile.h"
#include "tunnel.h"

static const char help[] =
	"usage: tunnelctl compile [-c FILE] [--show-secrets] [--strongswan]\n"
	"\n"
	"Print the swanctl.conf that `apply` would write to\n"
	"/etc/swanctl/conf.d/tunnelctl.conf: connections named conN (phase 1) and conN or\n"
	"conN_M (phase 2) as pfSense names them, a comment before each block, and the secrets\n"
	"section. The output is deterministic: the same tunnel file gives the same bytes.\n"
	"Nothing is written or loaded.\n"
	"\n"
	"options:\n"
	"  -c, --config FILE  the tunnel file (default /etc/tunnelctl/tunnels.conf)\n"
	"  --show-secrets     print pre-shared keys instead of <hidden>\n"
	"  --strongswan       print the strongswan.conf fragment (logging, retransmits) instead,\n"
	"                     as written to /etc/strongswan.d/tunnelctl.conf\n"
	"\n"
	"exit status: 0 ok, 2 the tunnel file has errors (printed as FILE:LINE:COL: message)\n"
	"\n"
	"examples:\n"
	"  tunnelctl compile -c examples/ikev2-merged.conf\n"
	"  tunnelctl compile --strongswan\n";

/* The compiler's sink: its pieces straight to standard output. */
static int write_stdout(void *arg, const char *data, size_t len)
{
	(void)arg;
	return fwrite(data, 1, len, stdout) == len ? 0 : -EIO;
}

int cmd_compile(int argc, char **argv, const struct tc_ctx *ctx)
{
	struct compile_opts co = { .show_secrets = false };
	bool fragment = false;
	const struct cmd_flag flags[] = { { "show-secrets", &co.show_secrets }, { "strongswan", &fragment }, { NULL, NULL } };
	struct tunnel_file *tf;
	const struct compile_sink sink = { write_stdout, NULL };
	struct buf out;
	bool write_ok;
	int c, rc = TC_EXIT_OK;

	c = cmd_parse_args("compile", argc, argv, help, flags, 0, 0, " (the file is given with -c)");
	if (c < 0)
		return c == CMD_PARSE_HELP ? TC_EXIT_OK : TC_EXIT_USAGE;
	tf = cmd_load_tunnels(ctx);
	if (!tf)
		return TC_EXIT_USAGE;
	buf_init(&out);
	if (fragment) {
		char *log = cmd_charon_log(ctx);
		compile_strongswan(&out, tf, log);
		free(log);
		write_ok = write_stdout(NULL, out.data, out.len) == 0;
	} else {
		/* in pieces: 7,999 tunnels would otherwise hold their 7 MB of text at once */
		write_ok = compile_swanctl_stream(tf, &co, &sink) == 0;
	}
	if (!write_ok || fflush(stdout)) {
		cmd_err("compile", "cannot write output");
		rc = TC_EXIT_FAIL;
	}
	buf_free_secret(&out);
	tunnel_file_free(tf);
	return rc;
}
