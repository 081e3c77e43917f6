/* main.c - the subcommand table and dispatch, nothing else. */
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "cmd.h"
#include "util.h"

static const struct {
	cmd_fn fn;
	const struct opt_spec *spec;	/* its verb, options and help */
	const char *help;
} commands[] = {
	{ cmd_check, &cmd_check_spec, "validate the tunnel file" },
	{ cmd_compile, &cmd_compile_spec, "print the generated swanctl.conf" },
	{ cmd_list, &cmd_list_spec, "list configured phase 1 and phase 2 entries" },
	{ cmd_apply, &cmd_apply_spec, "load the tunnel file into charon, only what changed, with rollback" },
	{ cmd_status, &cmd_status_spec, "IKE and child SAs of the tunnels, like pfSense's status page" },
	{ cmd_up, &cmd_up_spec, "bring a tunnel up now, showing charon's log of the attempt" },
	{ cmd_down, &cmd_down_spec, "take a tunnel down and keep it down (manual-down mark)" },
	{ cmd_logs, &cmd_logs_spec, "charon's log, filtered to a tunnel; -f follows live" },
	{ cmd_service, &cmd_service_spec, "start, stop, restart charon; its status" },
	{ cmd_lab, &cmd_lab_spec, "two gateways on this machine: try tunnel files, inject faults" },
	{ cmd_doctor, &cmd_doctor_spec, "name the root cause of failing tunnels from charon logs" },
	{ cmd_firewall, &cmd_firewall_spec, "show, apply or remove the nftables rules for the peers" },
	{ cmd_logging, &cmd_logging_spec, "show or set charon's log levels per category, at runtime" },
	{ cmd_import_pfsense, &cmd_import_pfsense_spec, "convert a pfSense config.xml's IPsec section to a tunnel file" },
	{ cmd_keepalive, &cmd_keepalive_spec, "one keep-alive pass: initiate watched tunnels that are down" },
	{ cmd_daemon, &cmd_daemon_spec, "keep tunnels up: VICI events, backoff, ping hosts, charon restarts" },
};

static void usage(FILE *f)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "usage: tunnelctl [-c FILE] [--vici URI] [--out-dir DIR] [--state-dir DIR] COMMAND [ARGS]\n\n"
		     "IPsec site-to-site tunnel management for strongSwan, with pfSense's names.\n\n"
		     "commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		buf_printf(&b, "  %-16s %s\n", commands[i].spec->verb, commands[i].help);
	buf_addc(&b, '\n');
	opt_help_options(cmd_globals, "global options (anywhere on the line; they win over the environment):", &b);
	buf_adds(&b, "\nRun 'tunnelctl COMMAND --help' for a command's options.\n"
		     "Exit status: 0 ok, 1 operation failed or problem found, 2 usage or input error.\n");
	fputs(b.data, f);
	buf_free(&b);
}

/* The man page's option lists (make man puts them into man/tunnelctl.8), for maintainers. */
static void man_options(void)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, ".\\\" options global\n");
	opt_mdoc(cmd_globals, &b);
	buf_adds(&b, ".\\\" end options\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		buf_printf(&b, ".\\\" options %s\n", commands[i].spec->verb);
		opt_mdoc(commands[i].spec->opts, &b);
		buf_adds(&b, ".\\\" end options\n");
	}
	fputs(b.data, stdout);
	buf_free(&b);
}

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

int main(int argc, char **argv)
{
	struct tc_ctx ctx = { .conf = NULL };
	char err[512];

	/* the global options stand anywhere on the line (before "--") and win over the environment */
	argc = opt_take(cmd_globals, argc, argv, &ctx, err, sizeof(err));
	if (argc < 0) {
		fprintf(stderr, "tunnelctl: %s\n", err);
		return TC_EXIT_USAGE;
	}
	ctx.conf_given = ctx.conf != NULL;
	ctx.conf = ctx.conf ? ctx.conf : env_or("TUNNELCTL_CONF", TC_DEFAULT_CONF);
	ctx.vici = ctx.vici ? ctx.vici : env_or("TUNNELCTL_VICI", TC_DEFAULT_VICI);
	ctx.out_dir = ctx.out_dir ? ctx.out_dir : env_or("TUNNELCTL_OUT_DIR", "/");
	ctx.state_dir = ctx.state_dir ? ctx.state_dir : env_or("TUNNELCTL_STATE_DIR", TC_DEFAULT_STATE_DIR);
	if (argc < 2) {
		usage(stderr);
		return TC_EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return TC_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		puts("tunnelctl " TUNNELCTL_VERSION);
		return TC_EXIT_OK;
	}
	if (strcmp(argv[1], "--man-options") == 0) {
		man_options();
		return TC_EXIT_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(argv[1], commands[i].spec->verb) == 0)
			return commands[i].fn(argc - 1, argv + 1, &ctx);
	fprintf(stderr, "tunnelctl: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return TC_EXIT_USAGE;
}
