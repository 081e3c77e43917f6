/* cmd.h - what every subcommand gets from main, and the subcommand handlers. */
#ifndef TUNNELCTL_CMD_H
#define TUNNELCTL_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "opt.h"

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

/* Each command's options and help (its cmd_*.c): main's table lists them, the man page's
 * option lists are made from them (tunnelctl --man-options). */
extern const struct opt_spec cmd_check_spec, cmd_compile_spec, cmd_list_spec, cmd_apply_spec,
	cmd_status_spec, cmd_up_spec, cmd_down_spec, cmd_service_spec, cmd_logs_spec, cmd_lab_spec,
	cmd_doctor_spec, cmd_firewall_spec, cmd_logging_spec, cmd_import_pfsense_spec, cmd_keepalive_spec,
	cmd_probe_spec, cmd_trace_spec, cmd_bundle_spec, cmd_daemon_spec, cmd_history_spec;
/* The same specs in one NULL-terminated list, for the tests and the fuzz target. */
extern const struct opt_spec *const cmd_specs[];

/* Shared helpers for commands (cmd.c). */
struct tc_errors;
struct tunnel_file;

/* Print errors and warnings as FILE:LINE:COL: message to stderr, sorted by position. */
void cmd_print_errors(struct tc_errors *errs);
/* Load the tunnel file named by ctx; on errors print them and return NULL. */
struct tunnel_file *cmd_load_tunnels(const struct tc_ctx *ctx);
#define CMD_PARSE_HELP OPT_HELP	/* --help was printed: exit 0 */
#define CMD_PARSE_USAGE OPT_USAGE	/* bad option or operand count, already said: exit 2 */
/* The exit code for a cmd_parse result below 0. */
#define CMD_PARSE_EXIT(rc) ((rc) == CMD_PARSE_HELP ? TC_EXIT_OK : TC_EXIT_USAGE)

/* Parse argv by the command's option table into args (opt_parse): returns the index of the
 * first operand, or CMD_PARSE_HELP after printing the help to stdout, or CMD_PARSE_USAGE
 * after saying what is wrong on stderr. */
int cmd_parse(const struct opt_spec *spec, int argc, char **argv, void *args);
/* The command's --help (opt_help) on f. */
void cmd_print_help(const struct opt_spec *spec, FILE *f);

/* The global options main.c takes out of argv into a struct tc_ctx. */
extern const struct opt_def cmd_globals[];
/* Rows for a command's table: a global option it uses, shown in its --help and man page. */
#define CMD_OPT_CONFIG { .name = "config", .short_name = 'c', OPT_GLOBAL("FILE"), \
			 .help = "the tunnel file (default " TC_DEFAULT_CONF ")" }
#define CMD_OPT_VICI { .name = "vici", OPT_GLOBAL("URI"), .help = "the VICI socket of charon (default " TC_DEFAULT_VICI ")" }
#define CMD_OPT_OUT_DIR { .name = "out-dir", OPT_GLOBAL("DIR"), .help = "root of the generated files (default /)" }
#define CMD_OPT_STATE_DIR { .name = "state-dir", OPT_GLOBAL("DIR"), \
			    .help = "the state directory (default " TC_DEFAULT_STATE_DIR ")" }

/* charon's file log under ctx->out_dir (/var/log/charon.log for "/"); caller frees. */
char *cmd_charon_log(const struct tc_ctx *ctx);
struct keepalive_decision;
/* Log a keep-alive decision: journal fields under systemd, else syslog and stderr (cmd_keepalive.c). */
void cmd_log_decision(void *arg, const struct keepalive_decision *d);
/* Print "tunnelctl VERB: message" to stderr. */
void cmd_err(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
