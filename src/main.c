/* main.c - the subcommand table and dispatch, nothing else. */
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "cmd.h"

static const struct {
	const char *name;
	cmd_fn fn;
	const char *help;
} commands[] = {
	{ "check", cmd_check, "validate the tunnel file" },
	{ "compile", cmd_compile, "print the generated swanctl.conf" },
	{ "list", cmd_list, "list configured phase 1 and phase 2 entries" },
	{ "apply", cmd_apply, "load the tunnel file into charon, only what changed, with rollback" },
	{ "status", cmd_status, "IKE and child SAs of the tunnels, like pfSense's status page" },
	{ "up", cmd_up, "bring a tunnel up now, showing charon's log of the attempt" },
	{ "down", cmd_down, "take a tunnel down and keep it down (manual-down mark)" },
	{ "logs", cmd_logs, "charon's log, filtered to a tunnel; -f follows live" },
	{ "service", cmd_service, "start, stop, restart charon; its status" },
	{ "lab", cmd_lab, "two gateways on this machine: try tunnel files, inject faults" },
	{ "doctor", cmd_doctor, "name the root cause of failing tunnels from charon logs" },
	{ "firewall", cmd_firewall, "show, apply or remove the nftables rules for the peers" },
	{ "logging", cmd_logging, "show or set charon's log levels per category, at runtime" },
	{ "import-pfsense", cmd_import_pfsense, "convert a pfSense config.xml's IPsec section to a tunnel file" },
	{ "keepalive", cmd_keepalive, "one keep-alive pass: initiate watched tunnels that are down" },
	{ "probe", cmd_probe, "rekey an up tunnel now: a PFS or rekey problem shows now, not in an hour" },
	{ "trace", cmd_trace, "which phase 2 would carry a packet, and why (or why none)" },
	{ "bundle", cmd_bundle, "one redacted archive for a support request: configs, SAs, log, doctor" },
	{ "daemon", cmd_daemon, "keep tunnels up: VICI events, backoff, ping hosts, charon restarts" },
	{ "history", cmd_history, "each tunnel's timeline and availability over the last day and week" },
};

static void usage(FILE *f)
{
	fputs("usage: tunnelctl [-c FILE] [--vici URI] [--out-dir DIR] [--state-dir DIR] COMMAND [ARGS]\n\n"
	      "IPsec site-to-site tunnel management for strongSwan, with pfSense's names.\n\n"
	      "commands:\n", f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-16s %s\n", commands[i].name, commands[i].help);
	fputs("\nglobal options (anywhere on the line; they win over the environment):\n"
	      "  -c, --config FILE  tunnel file (TUNNELCTL_CONF, default " TC_DEFAULT_CONF ")\n"
	      "  --vici URI         charon's VICI socket (TUNNELCTL_VICI, default " TC_DEFAULT_VICI ")\n"
	      "  --out-dir DIR      root for generated files (TUNNELCTL_OUT_DIR, default /)\n"
	      "  --state-dir DIR    state directory (TUNNELCTL_STATE_DIR, default " TC_DEFAULT_STATE_DIR ")\n"
	      "\nRun 'tunnelctl COMMAND --help' for a command's options.\n"
	      "Exit status: 0 ok, 1 operation failed or problem found, 2 usage or input error.\n", f);
}

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

/* Take the global options out of argv wherever they stand (before "--"); returns the new argc. */
static int take_global_options(int argc, char **argv, struct tc_ctx *ctx, int *bad)
{
	static const struct {
		const char *shortopt, *longopt;
		size_t field;
	} opts[] = {
		{ "-c", "--config", offsetof(struct tc_ctx, conf) },
		{ NULL, "--vici", offsetof(struct tc_ctx, vici) },
		{ NULL, "--out-dir", offsetof(struct tc_ctx, out_dir) },
		{ NULL, "--state-dir", offsetof(struct tc_ctx, state_dir) },
	};
	int out = 1, i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		size_t k, n = sizeof(opts) / sizeof(opts[0]);

		if (strcmp(a, "--") == 0)
			break;
		for (k = 0; k < n; k++) {
			size_t l = strlen(opts[k].longopt);
			if ((opts[k].shortopt && strcmp(a, opts[k].shortopt) == 0) ||
			    strcmp(a, opts[k].longopt) == 0) {
				if (i + 1 >= argc) {
					fprintf(stderr, "tunnelctl: option %s needs a value\n", a);
					*bad = 1;
					return out;
				}
				val = argv[++i];
				break;
			}
			if (strncmp(a, opts[k].longopt, l) == 0 && a[l] == '=') {
				val = a + l + 1;
				break;
			}
		}
		if (k < n) {
			*(const char **)((char *)ctx + opts[k].field) = val;
			ctx->conf_given |= opts[k].field == offsetof(struct tc_ctx, conf);
		}
		else
			argv[out++] = argv[i];
	}
	for (; i < argc; i++)
		argv[out++] = argv[i];
	argv[out] = NULL;
	return out;
}

int main(int argc, char **argv)
{
	struct tc_ctx ctx = {
		.conf = env_or("TUNNELCTL_CONF", TC_DEFAULT_CONF),
		.vici = env_or("TUNNELCTL_VICI", TC_DEFAULT_VICI),
		.out_dir = env_or("TUNNELCTL_OUT_DIR", "/"),
		.state_dir = env_or("TUNNELCTL_STATE_DIR", TC_DEFAULT_STATE_DIR),
	};
	int bad = 0;

	argc = take_global_options(argc, argv, &ctx, &bad);
	if (bad)
		return TC_EXIT_USAGE;
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
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1, &ctx);
	fprintf(stderr, "tunnelctl: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return TC_EXIT_USAGE;
}
