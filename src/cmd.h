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
	bool conf_given;	/* -c/--config was on the command line (not env or default) */
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
int cmd_apply(int argc, char **argv, const struct tc_ctx *ctx);
int cmd_status(int argc, char **argv, const struct tc_ctx *ctx);
int cmd_up(int argc, char **argv, const struct tc_ctx *ctx);
int cmd_down(int argc, char **argv, const struct tc_ctx *ctx);
int cmd_service(int argc, char **argv, const struct tc_ctx *ctx);
int cmd_logs(int argc, char **argv, const struct tc_ctx *ctx);
int cmd_lab(int argc, char **argv, const struct tc_ctx *ctx);
int cmd_doctor(int argc, char **argv, const struct tc_ctx *ctx);
int cmd_firewall(int argc, char **argv, const struct tc_ctx *ctx);
int cmd_logging(int argc, char **argv, const struct tc_ctx *ctx);
int cmd_import_pfsense(int argc, char **argv, const struct tc_ctx *ctx);
int cmd_keepalive(int argc, char **argv, const struct tc_ctx *ctx);
int cmd_daemon(int argc, char **argv, const struct tc_ctx *ctx);
int cmd_history(int argc, char **argv, const struct tc_ctx *ctx);
int cmd_probe(int argc, char **argv, const struct tc_ctx *ctx);
int cmd_bundle(int argc, char **argv, const struct tc_ctx *ctx);
int cmd_trace(int argc, char **argv, const struct tc_ctx *ctx);

/* Shared helpers for commands (cmd.c). */
struct tc_errors;
struct tunnel_file;

/* True (after printing help to stdout) when argv has -h or --help before "--". */
bool cmd_wants_help(int argc, char **argv, const char *help);
/* Print errors and warnings as FILE:LINE:COL: message to stderr, sorted by position. */
void cmd_print_errors(struct tc_errors *errs);
/* Load the tunnel file named by ctx; on errors print them and return NULL. */
struct tunnel_file *cmd_load_tunnels(const struct tc_ctx *ctx);
/* A boolean option --name of a command. */
struct cmd_flag {
	const char *name;	/* NULL ends a table */
	bool *set;		/* set to true when the option is given */
};

#define CMD_PARSE_HELP (-1)	/* --help was printed: exit 0 */
#define CMD_PARSE_USAGE (-2)	/* bad option or operand count, already said: exit 2 */
#define CMD_MAX_FLAGS 16

/* Parse --help, the boolean options in flags and between min and max operands (hint says
 * what they are, for the message). Returns the index of the first operand in argv, or
 * CMD_PARSE_HELP / CMD_PARSE_USAGE. */
int cmd_parse_args(const char *verb, int argc, char **argv, const char *help, const struct cmd_flag *flags,
		   int min_operands, int max_operands, const char *hint);

/* charon's file log under ctx->out_dir (/var/log/charon.log for "/"); caller frees. */
char *cmd_charon_log(const struct tc_ctx *ctx);
struct keepalive_decision;
/* Log a keep-alive decision: journal fields under systemd, else syslog and stderr (cmd_keepalive.c). */
void cmd_log_decision(void *arg, const struct keepalive_decision *d);
/* Print "tunnelctl VERB: message" to stderr. */
void cmd_err(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
