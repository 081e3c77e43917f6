/* cmd.h - what every subcommand gets from main, and the subcommand handlers. */
#ifndef TUNNELCTL_CMD_H
#define TUNNELCTL_CMD_H

#include <stdbool.h>

/* Paths and endpoints every command may use; options win over the environment. */
struct tc_ctx {
	const char *conf;	/* tunnel file (-c, TUNNELCTL_CONF) */
	const char *vici;	/* VICI URI (--vici, TUNNELCTL_VICI) */
	const char *out_dir;	/* root for generated files (--out-dir, TUNNELCTL_OUT_DIR) */
	const char *state_dir;	/* state (--state-dir, TUNNELCTL_STATE_DIR) */
};

#define TC_DEFAULT_CONF "/etc/tunnelctl/tunnels.conf"
#define TC_DEFAULT_VICI "unix:///var/run/charon.vici"
#define TC_DEFAULT_STATE_DIR "/var/lib/tunnelctl"

/* Exit codes every command uses. */
enum {
	TC_EXIT_OK = 0,
	TC_EXIT_FAIL = 1,	/* operation failed or problem found */
	TC_EXIT_USAGE = 2,	/* usage or input error */
};

/* A subcommand: argv[0] is the verb; returns the exit code. */
typedef int (*cmd_fn)(int argc, char **argv, const struct tc_ctx *ctx);

int cmd_check(int argc, char **argv, const struct tc_ctx *ctx);
int cmd_compile(int argc, char **argv, const struct tc_ctx *ctx);
int cmd_list(int argc, char **argv, const struct tc_ctx *ctx);

/* Standard handling of -h/--help inside a command: prints text and returns true. */
bool cmd_wants_help(int argc, char **argv, const char *help);

#endif
