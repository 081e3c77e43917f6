/* cmd_keepalive.c - `tunnelctl keepalive --once`: one pass of the keep-alive engine
 * (docs/keepalive.md), for cron users and tests; and the decision logger the daemon shares. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "cmd.h"
#include "json.h"
#include "keepalive.h"
#include "tunnel.h"
#include "util.h"

#define KEEPALIVE_ONCE_TIMEOUT_S 120	/* default bound of a pass: charon's retransmits end sooner */

struct keepalive_args {
	bool once, json;
	long timeout;
};

static const struct opt_def keepalive_opts[] = {
	{ .name = "once", OPT_FLAG(struct keepalive_args, once),
	  .help = "required: run one pass and exit (the daemon is `tunnelctl daemon`)" },
	{ .name = "timeout", OPT_NUMBER(struct keepalive_args, timeout, "SEC", 1, 86400),
	  .help = "give up waiting for initiations after SEC seconds (default 120)" },
	{ .name = "json", OPT_FLAG(struct keepalive_args, json),
	  .help = "print the summary as {\"watched\", \"up\", \"initiated\", \"failed\", \"skipped\", \"charon\", \"timed_out\"}" },
	CMD_OPT_CONFIG,
	CMD_OPT_VICI,
	CMD_OPT_STATE_DIR,
	CMD_OPT_OUT_DIR,
	{ .name = NULL },
};

const struct opt_spec cmd_keepalive_spec = {
	.verb = "keepalive",
	.usage =
		"usage: tunnelctl keepalive --once [--timeout SEC] [--json]\n",
	.about =
		"One pass of what `tunnelctl daemon` does all the time (see docs/keepalive.md): ask charon\n"
		"for its SAs, initiate every watched tunnel that is down - a phase 2 with keepalive = yes,\n"
		"or any child of a phase 1 with start_action = start - unless it is manually down\n"
		"(`tunnelctl down`) or already being negotiated (CONNECTING), and wait for the outcome;\n"
		"ping each ping_host of an installed child up to three times (one second apart) from the\n"
		"phase 2's local address, and restart the child when all three echoes are lost. If charon\n"
		"has none of our connections loaded (it restarted), the tunnel file is applied first.\n"
		"There are no retries within a pass: run it from cron for a periodic check.\n"
		"\n"
		"Each decision is logged to syslog (ident tunnelctl) and stderr, or to the journal when\n"
		"run by systemd, and recorded in the state directory for `status`.\n",
	.opts = keepalive_opts,
	.tail =
		"exit status: 0 nothing failed, 1 an initiation failed, charon is unreachable or the pass\n"
		"timed out, 2 usage error or a tunnel file with errors\n"
		"\n"
		"examples:\n"
		"  tunnelctl keepalive --once\n"
		"  */5 * * * * root tunnelctl keepalive --once >/dev/null    (a line for /etc/crontab)\n",
};

void cmd_log_decision(void *arg, const struct keepalive_decision *d)
{
	const char *retry = d->retry_ms > 0 ? " retry_in_ms=" : "";

	(void)arg;
	if (getenv("JOURNAL_STREAM")) {
		/* under systemd: structured fields, so `journalctl TUNNELCTL_TUNNEL=con1` works */
		char *fields[] = {
			xasprintf("MESSAGE=%s: %s: %s", d->tunnel, d->action, d->reason),
			xasprintf("PRIORITY=%d", d->priority),
			xstrdup("SYSLOG_IDENTIFIER=tunnelctl"),
			xasprintf("TUNNELCTL_TUNNEL=%s", d->tunnel),
			xasprintf("TUNNELCTL_ACTION=%s", d->action),
			xasprintf("TUNNELCTL_ATTEMPTS=%u", d->attempts),
			xasprintf("TUNNELCTL_RETRY_MS=%lld", (long long)d->retry_ms),
		};
		struct iovec iov[ARRAY_SIZE(fields)];
		for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
			iov[i] = (struct iovec){ .iov_base = fields[i], .iov_len = strlen(fields[i]) };
		sd_journal_sendv(iov, (int)ARRAY_SIZE(iov));
		for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
			free(fields[i]);
		return;
	}
	syslog(d->priority, "%s: %s: %s", d->tunnel, d->action, d->reason);

	char ts[32];
	struct timespec now;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &now);
	localtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld tunnelctl[%d]: %s: %s: %s", ts, now.tv_nsec / 1000000, (int)getpid(), d->tunnel,
		d->action, d->reason);
	if (*retry)
		fprintf(stderr, "%s%lld", retry, (long long)d->retry_ms);
	fputc('\n', stderr);
}

/* Run ka's loop until its pass is done or the deadline passes. 0, or -ETIMEDOUT. */
static int run_pass(struct keepalive *ka, int64_t deadline)
{
	struct pollfd fds[KEEPALIVE_MAX_FDS];

	keepalive_dispatch(ka, NULL, 0);	/* connect and check */
	while (!keepalive_done(ka)) {
		int timeout, left = (int)(deadline - now_ms());
		size_t n = keepalive_poll_fds(ka, fds, KEEPALIVE_MAX_FDS, &timeout);
		if (left <= 0)
			return -ETIMEDOUT;
		if (timeout < 0 || timeout > left)
			timeout = left;
		if (poll(fds, n, timeout) < 0 && errno != EINTR)
			return -errno;
		keepalive_dispatch(ka, fds, n);
	}
	return 0;
}

int cmd_keepalive(int argc, char **argv, const struct tc_ctx *ctx)
{
	struct keepalive_config cfg = { .ctx = ctx, .log = cmd_log_decision, .once = true, .time_scale = 1 };
	struct keepalive_stats st;
	struct keepalive *ka;
	struct tunnel_file *tf;
	struct keepalive_args a = { .timeout = KEEPALIVE_ONCE_TIMEOUT_S };
	int c, rc;

	c = cmd_parse(&cmd_keepalive_spec, argc, argv, &a);
	if (c < 0)
		return CMD_PARSE_EXIT(c);
	if (!a.once) {
		cmd_err("keepalive", "use --once for one pass, or `tunnelctl daemon` to keep running");
		return TC_EXIT_USAGE;
	}
	tf = cmd_load_tunnels(ctx);
	if (!tf)
		return TC_EXIT_USAGE;
	openlog("tunnelctl", LOG_PID, LOG_DAEMON);
	ka = keepalive_new(&cfg, tf);
	rc = run_pass(ka, now_ms() + a.timeout * 1000);
	keepalive_get_stats(ka, &st);
	keepalive_free(ka);
	closelog();
	if (a.json) {
		json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:b, s:b}", "watched", (json_int_t)st.watched, "up",
				      (json_int_t)st.up, "initiated", (json_int_t)st.initiated, "failed",
				      (json_int_t)st.failed, "skipped", (json_int_t)st.skipped, "charon", st.charon,
				      "timed_out", rc == -ETIMEDOUT);
		json_write(stdout, o);
	} else {
		printf("%u watched, %u up, %u initiated, %u failed, %u manually down%s%s\n", st.watched,
		       st.up, st.initiated, st.failed, st.skipped, st.charon ? "" : "; charon unreachable",
		       rc == -ETIMEDOUT ? "; timed out waiting for initiations" : "");
	}
	return rc == 0 && !st.failed && st.charon ? TC_EXIT_OK : TC_EXIT_FAIL;
}
