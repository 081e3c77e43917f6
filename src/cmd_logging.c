/* cmd_logging.c - `tunnelctl logging show|set|reset`: charon's log levels, at runtime. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "compile.h"
#include "json.h"
#include "logging.h"
#include "table.h"
#include "tunnel.h"
#include "vici_client.h"

#define LOGGING_VICI_TIMEOUT_MS 10000

struct logging_args {
	bool json;
};

static const struct opt_def logging_opts[] = {
	CMD_OPT_CONFIG,
	{ .name = "out-dir", OPT_GLOBAL("DIR"), .help = "root of the generated files",
	  .more = "(the fragment is DIR/" COMPILE_STRONGSWAN_PATH ")" },
	{ .name = "vici", OPT_GLOBAL("URI"), .help = "the VICI socket of charon" },
	{ .name = "json", OPT_FLAG(struct logging_args, json),
	  .help = "machine output: [{category, level, name, configured}]" },
	{ .name = NULL },
};

const struct opt_spec cmd_logging_spec = {
	.operands = "show, set or reset",
	.min_operands = 1,
	.max_operands = OPT_MANY,
	.verb = "logging",
	.usage =
		"usage: tunnelctl logging show [--json]\n"
		"       tunnelctl logging set CATEGORY=LEVEL... [--json]\n"
		"       tunnelctl logging reset [--json]\n",
	.about =
		"charon's log levels per category, with pfSense's names:\n"
		"  -1 Silent, 0 Audit, 1 Control, 2 Diag, 3 Raw, 4 Highest\n"
		"categories: dmn mgr ike chd job cfg knl net asn enc imc imv pts tls esp lib (or all)\n"
		"\n"
		"commands:\n"
		"  show    the levels in effect (from the generated strongswan.conf fragment) beside\n"
		"          the levels of the tunnel file's global.logging; OVERRIDE marks a difference\n"
		"  set     change levels now: rewrite the fragment (the file log and syslog) from the\n"
		"          tunnel file with these levels on top of the ones in effect, make charon\n"
		"          reload its settings over VICI (reload-settings), and read the file back\n"
		"  reset   go back to the tunnel file's global.logging, the same way\n"
		"\n"
		"`set` is for troubleshooting: it does not edit the tunnel file, and the next\n"
		"`tunnelctl apply` (or `logging reset`) writes global.logging's levels again. To keep\n"
		"levels, put them in the tunnel file's global { logging { ... } } section.\n",
	.opts = logging_opts,
	.tail =
		"exit status: 0 ok; 1 the file could not be written, charon did not reload, or the\n"
		"levels read back differ; 2 usage error or errors in the tunnel file\n"
		"\n"
		"examples:\n"
		"  tunnelctl logging show\n"
		"  tunnelctl logging set ike=4 knl=Diag\n"
		"  tunnelctl logging set all=1 && tunnelctl logging reset\n",
};

static char *fragment_path(const struct tc_ctx *ctx)
{
	return xasprintf("%s/%s", strcmp(ctx->out_dir, "/") == 0 ? "" : ctx->out_dir, COMPILE_STRONGSWAN_PATH);
}

/* Levels in effect: read from the fragment. 0, -ENOENT (no fragment), or another -errno. */
static int read_active(const char *path, int levels[TUNNEL_LOG_CATEGORIES])
{
	struct buf b;
	int rc;

	buf_init(&b);
	rc = file_read_all(path, TC_MAX_FILE_SIZE, &b);
	if (rc == 0)
		rc = logging_read_fragment(b.data, b.len, levels);
	buf_free(&b);
	return rc;
}

static void print_levels(const int *active, const int *configured, bool json)
{
	if (json) {
		json_t *a = json_array();
		for (int i = 0; i < TUNNEL_LOG_CATEGORIES; i++)
			json_array_append_new(a, json_pack("{s:s, s:i, s:s, s:i}", "category",
							   tunnel_log_category_names[i], "level", active[i],
							   "name", logging_level_name(active[i]), "configured",
							   configured[i]));
		json_write(stdout, a);
		return;
	}
	struct table t;
	table_init(&t, (const char *[]){ "CATEGORY", "LEVEL", "NAME", "TUNNEL FILE", "", NULL });
	for (int i = 0; i < TUNNEL_LOG_CATEGORIES; i++) {
		char lv[8], cf[24];
		snprintf(lv, sizeof(lv), "%d", active[i]);
		snprintf(cf, sizeof(cf), "%d %s", configured[i], logging_level_name(configured[i]));
		table_add_row(&t, (const char *[]){ tunnel_log_category_names[i], lv,
						     logging_level_name(active[i]), cf,
						     active[i] != configured[i] ? "OVERRIDE" : "" });
	}
	table_print(&t, stdout);
	table_free(&t);
}

/* Tell charon to reload strongswan.conf (and so its loggers). 0 or -1 with *err set. */
static int reload_settings(const struct tc_ctx *ctx, char **err)
{
	struct vici_client *vc = NULL;
	struct vici_node *reply = NULL;
	int rc = -1;

	if (vici_client_connect(ctx->vici, LOGGING_VICI_TIMEOUT_MS, &vc, err) != 0)
		return -1;
	if (vici_client_request(vc, "reload-settings", NULL, LOGGING_VICI_TIMEOUT_MS, &reply, err) == 0) {
		if (strcmp(vici_find_str(reply, "success", "no"), "yes") == 0)
			rc = 0;
		else
			*err = xasprintf("charon refused: %s", vici_find_str(reply, "errmsg", "no reason given"));
	}
	vici_node_free(reply);
	vici_client_close(vc);
	return rc;
}

/* Write the fragment for tf with levels, reload charon, read back. Returns the exit code. */
static int write_levels(const struct tc_ctx *ctx, struct tunnel_file *tf, const int *levels, bool json)
{
	int configured[TUNNEL_LOG_CATEGORIES], back[TUNNEL_LOG_CATEGORIES];
	char *path = fragment_path(ctx), *log = cmd_charon_log(ctx), *dir, *err = NULL;
	int rc, exit_code = TC_EXIT_OK;
	struct buf text;

	memcpy(configured, tf->global.log_level, sizeof(configured));
	memcpy(tf->global.log_level, levels, sizeof(configured));
	buf_init(&text);
	compile_strongswan(&text, tf, log);
	dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	rc = mkdir_p(dir, 0755);
	if (rc == 0)
		rc = file_write_atomic(path, text.data, text.len, 0600);
	if (rc) {
		cmd_err("logging", "cannot write %s: %s; nothing changed", path, strerror(-rc));
		exit_code = TC_EXIT_FAIL;
		goto out;
	}
	if (read_active(path, back) != 0 || memcmp(back, levels, sizeof(back)) != 0) {
		cmd_err("logging", "%s does not hold the levels just written", path);
		exit_code = TC_EXIT_FAIL;
		goto out;
	}
	if (reload_settings(ctx, &err) != 0) {
		cmd_err("logging", "%s written, but charon did not reload it: %s", path,
			err ? err : "unknown error");
		exit_code = TC_EXIT_FAIL;
	}
	print_levels(back, configured, json);
out:
	free(err);
	free(dir);
	free(log);
	free(path);
	buf_free(&text);
	return exit_code;
}

int cmd_logging(int argc, char **argv, const struct tc_ctx *ctx)
{
	int levels[TUNNEL_LOG_CATEGORIES];
	struct tunnel_file *tf;
	const char *verb;
	struct logging_args a = { .json = false };
	bool json;
	char *path;
	int arg, rc;

	arg = cmd_parse(&cmd_logging_spec, argc, argv, &a);
	if (arg < 0)
		return CMD_PARSE_EXIT(arg);
	json = a.json;
	verb = argv[arg++];
	if (strcmp(verb, "show") != 0 && strcmp(verb, "set") != 0 && strcmp(verb, "reset") != 0) {
		cmd_err("logging", "unknown subcommand '%s' (show, set, reset)", verb);
		return TC_EXIT_USAGE;
	}
	if (strcmp(verb, "set") == 0 ? arg == argc : arg != argc) {
		cmd_err("logging", strcmp(verb, "set") == 0 ? "set needs CATEGORY=LEVEL arguments" : "unexpected argument '%s'",
			argv[arg]);
		return TC_EXIT_USAGE;
	}
	tf = cmd_load_tunnels(ctx);
	if (!tf)
		return TC_EXIT_USAGE;
	path = fragment_path(ctx);
	rc = read_active(path, levels);
	if (rc == -ENOENT && strcmp(verb, "show") == 0)
		fprintf(stderr, "tunnelctl logging: %s not written yet: charon uses its own defaults until `tunnelctl apply`\n",
			path);
	if (rc != 0 || strcmp(verb, "reset") == 0)
		memcpy(levels, tf->global.log_level, sizeof(levels));

	if (strcmp(verb, "show") == 0) {
		print_levels(levels, tf->global.log_level, json);
		rc = TC_EXIT_OK;
		goto out;
	}
	/* every argument is checked before anything is written */
	rc = TC_EXIT_OK;
	for (int i = arg; i < argc; i++) {
		char *err = NULL;
		if (logging_parse_assignment(argv[i], levels, &err) != 0) {
			cmd_err("logging", "%s", err);
			free(err);
			rc = TC_EXIT_USAGE;
		}
	}
	if (rc == TC_EXIT_OK)
		rc = write_levels(ctx, tf, levels, json);
out:
	free(path);
	tunnel_file_free(tf);
	return rc;
}
