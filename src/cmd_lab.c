/* cmd_lab.c - `tunnelctl lab`: run the lab script (lab/lab.sh) with this binary as its tunnelctl. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "util.h"

/* Where the script is, relative to the directory of the tunnelctl binary: the source tree
 * (./tunnelctl next to ./lab/), then an install (PREFIX/bin next to PREFIX/share). */
static const char *const lab_script_rel[] = {
	"lab/lab.sh",
	"../share/tunnelctl/lab/lab.sh",
};

struct lab_args {
	const char *name;
};

static const struct opt_def lab_opts[] = {
	{ .name = "name", OPT_STRING(struct lab_args, name, "N"),
	  .help = "lab name (TUNNELCTL_LAB_NAME, default \"lab\")",
	  .more = "labs with different names run side by side" },
	{ .name = NULL },
};

const struct opt_spec cmd_lab_spec = {
	.operands = "a COMMAND",
	.min_operands = 1,
	.max_operands = OPT_MANY,
	.options_first = true,
	.verb = "lab",
	.usage =
		"usage: tunnelctl lab [--name N] COMMAND [ARGS]\n",
	.about =
		"Two IPsec gateways on this machine, to try a pair of tunnel files before deploying\n"
		"them and to test tunnelctl: each side is a network namespace with a WAN link to the\n"
		"other (veth), a LAN interface holding the first address of each phase 2 local network,\n"
		"and a private charon (kernel-libipsec, own /run, VICI socket and log); tunnelctl\n"
		"applies each side's tunnel file. Needs root.\n"
		"\n"
		"commands:\n"
		"  up A.conf B.conf [--no-apply] [--wait SEC]\n"
		"                     check both files (nothing is created if one has errors), build\n"
		"                     both sides, apply B then A, and say which tunnels came up\n"
		"  down [--all]       remove the lab: processes, namespaces, state; safe anytime, also\n"
		"                     after a crash (--all: every lab)\n"
		"  status             both sides' SAs (tunnelctl status)\n"
		"  exec a|b -- CMD    run CMD in a side's namespace with TUNNELCTL_VICI, _OUT_DIR,\n"
		"                     _STATE_DIR and _CONF set for that side\n"
		"  apply a|b [FILE]   re-apply a side's tunnel file (FILE replaces it first)\n"
		"  ping [NAME] [--count N]\n"
		"                     ping from A's LAN address to B's through the tunnel NAME (conN,\n"
		"                     conN_M, N or description; default: the first); reports loss\n"
		"  impair a|b MODE    nftables faults inside a side's namespace, cumulative:\n"
		"                     drop-udp 500|4500, drop-esp [in|out] (also drop-udp esp; in or\n"
		"                     out: one way only), drop-all (also drop-udp all), clear, list\n"
		"  stop-charon a|b [--kill]\n"
		"                     stop a side's charon (it sends DELETE for its SAs); --kill: a\n"
		"                     crash, the peer is not told\n"
		"  start-charon a|b [--no-apply]\n"
		"                     start it again and re-apply its tunnel file\n"
		"  logs a|b [-f]      a side's charon log (-f: follow)\n"
		"  doctor [ARGS]      tunnelctl doctor on both logs with both tunnel files\n"
		"  daemon a|b         start tunnelctl daemon for a side (stopped by down)\n"
		"  env a|b            print a side's TUNNELCTL_* variables as shell exports\n"
		"  list               the labs that exist\n"
		"  scenario [--family ipv4|ipv6|mixed] NAME|all OUTDIR\n"
		"                     produce each doctor class for real (lab/scenarios.sh --list);\n"
		"                     --family ipv6: IPv6 gateways and networks, mixed: IPv6 networks\n"
		"                     over IPv4 gateways\n",
	.opts = lab_opts,
	.tail =
		"environment:\n"
		"  TUNNELCTL_LAB_DIR     state root (default /run/tunnelctl-lab; a lab is DIR/N)\n"
		"  TUNNELCTL_LAB_PREFIX  namespace prefix (default \"tclab\": namespaces tclab-N-a, tclab-N-b)\n"
		"  TUNNELCTL_LAB_SCRIPT  the lab script to run instead of the one found next to tunnelctl\n"
		"\n"
		"exit status: 0 ok, 1 the operation failed (ping: every packet lost), 2 usage or input\n"
		"error (up: a tunnel file has errors)\n"
		"\n"
		"examples:\n"
		"  tunnelctl lab up examples/lab-a.conf examples/lab-b.conf\n"
		"  tunnelctl lab up examples/lab-a-v6.conf examples/lab-b-v6.conf   (IPv6)\n"
		"  tunnelctl lab ping\n"
		"  tunnelctl lab impair b drop-udp 4500\n"
		"  tunnelctl lab exec a -- tunnelctl status\n"
		"  tunnelctl lab down\n"
		"\n"
		"See docs/lab.md.\n",
};

/* The script to run: $TUNNELCTL_LAB_SCRIPT, else the first of lab_script_rel that exists
 * next to exe. Returns 0 and fills out, or -ENOENT. */
static int lab_find_script(const char *exe, char *out, size_t outsz)
{
	const char *env = getenv("TUNNELCTL_LAB_SCRIPT");
	const char *slash = strrchr(exe, '/');
	size_t dirlen = slash ? (size_t)(slash - exe) : 0;

	if (env && *env) {
		if (snprintf(out, outsz, "%s", env) >= (int)outsz)
			return -ENAMETOOLONG;
		return 0;
	}
	for (size_t i = 0; i < sizeof(lab_script_rel) / sizeof(lab_script_rel[0]); i++) {
		int n = snprintf(out, outsz, "%.*s/%s", (int)dirlen, exe, lab_script_rel[i]);
		if (n > 0 && (size_t)n < outsz && access(out, R_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

int cmd_lab(int argc, char **argv, const struct tc_ctx *ctx)
{
	char exe[PATH_MAX], script[PATH_MAX];
	ssize_t n;
	struct lab_args a = { .name = NULL };
	char **args;
	int rc, c, k;

	(void)ctx;
	/* options before COMMAND are ours; "lab exec a -- CMD --help" belongs to CMD */
	c = cmd_parse(&cmd_lab_spec, argc, argv, &a);
	if (c < 0)
		return CMD_PARSE_EXIT(c);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0) {
		cmd_err("lab", "cannot find the tunnelctl binary: %s", strerror(errno));
		return TC_EXIT_FAIL;
	}
	exe[n] = '\0';
	rc = lab_find_script(exe, script, sizeof(script));
	if (rc < 0) {
		cmd_err("lab", "lab script not found next to %s (set TUNNELCTL_LAB_SCRIPT)", exe);
		return TC_EXIT_FAIL;
	}
	if (setenv("TUNNELCTL_BIN", exe, 1) < 0) {
		cmd_err("lab", "setenv: %s", strerror(errno));
		return TC_EXIT_FAIL;
	}
	/* bash SCRIPT [--name N] COMMAND ARGS..., then NULL */
	args = xcalloc((size_t)argc + 5, sizeof(*args));
	args[0] = "bash";
	args[1] = script;
	k = 2;
	if (a.name) {
		args[k++] = "--name";
		args[k++] = (char *)a.name;
	}
	for (int i = c; i < argc; i++)
		args[k++] = argv[i];
	execvp("bash", args);
	cmd_err("lab", "cannot run %s: %s", script, strerror(errno));
	free(args);
	return TC_EXIT_FAIL;
}
