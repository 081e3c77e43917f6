/* cmd_daemon.c - `tunnelctl daemon`: the keep-alive engine and the status cache in one poll
 * loop with signals (signalfd); the web status in a thread of its own, which only reads the
 * cache's published document, so a charon that hangs the loop never hangs the page.
 * docs/keepalive.md, docs/web.md. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "cmd.h"
#include "keepalive.h"
#include "status_cache.h"
#include "timeline.h"
#include "tunnel.h"
#include "util.h"
#include "web.h"

#define DAEMON_DEFAULT_LISTEN WEB_DEFAULT_LISTEN
#define DAEMON_LISTEN_OFF "off"
#define DAEMON_MAX_TIME_SCALE 100000	/* --time-scale: 24 h of backoff in under a second */

struct daemon_args {
	const char *listen, *token_file, *charon_log;
	long time_scale;
};

static const struct opt_def daemon_opts[] = {
	{ .name = "listen", OPT_STRING(struct daemon_args, listen, "ADDR:PORT|off"),
	  .help = "serve the web status there (default " DAEMON_DEFAULT_LISTEN "; IPv6 as [ADDR]:PORT; "
		  "\"off\" serves nothing)" },
	{ .name = "token-file", OPT_STRING(struct daemon_args, token_file, "FILE"),
	  .help = "file (mode 0600) with the token the web status requires" },
	{ .name = "charon-log", OPT_STRING(struct daemon_args, charon_log, "FILE"),
	  .help = "the charon file log, for the doctor's verdict on tunnels that are down",
	  .more = "(default: the one tunnelctl configures, see `tunnelctl logs --help`)" },
	{ .name = "time-scale", OPT_NUMBER(struct daemon_args, time_scale, "N", 1, DAEMON_MAX_TIME_SCALE),
	  .help = "benchmarks only: run backoff and intervals N times faster" },
	CMD_OPT_CONFIG,
	CMD_OPT_VICI,
	CMD_OPT_STATE_DIR,
	CMD_OPT_OUT_DIR,
	{ .name = NULL },
};

const struct opt_spec cmd_daemon_spec = {
	.verb = "daemon",
	.usage =
		"usage: tunnelctl daemon [--listen ADDR:PORT|off] [--token-file FILE]\n"
		"                        [--charon-log FILE] [--time-scale N]\n",
	.about =
		"Keep the tunnels of the tunnel file up (docs/keepalive.md). One process, one event loop:\n"
		"it subscribes to charon's ike-updown, child-updown, ike-rekey and child-rekey events and\n"
		"checks every keepalive.interval; a watched tunnel (phase 2 with keepalive = yes, or a child\n"
		"of a phase 1 with start_action = start) that is down and not manually down is initiated\n"
		"within a second, then with a backoff of 1 s doubling to 5 min (with jitter) while the peer\n"
		"keeps refusing, forever. A peer that answers nothing at all is probed once a second per\n"
		"gateway address instead (an ICMP echo or one IKE_SA_INIT), and every tunnel to it is\n"
		"initiated the moment it answers or initiates itself. A child whose ping_host loses three\n"
		"echoes in a row while installed is restarted. When charon goes away the daemon\n"
		"reconnects, and applies the tunnel file again if charon came back without our\n"
		"connections.\n"
		"\n"
		"Decisions go to the journal (fields TUNNELCTL_TUNNEL, TUNNELCTL_ACTION) when run by\n"
		"systemd, else to syslog (ident tunnelctl) and stderr; the last one per tunnel is kept in\n"
		"STATE_DIR/keepalive/NAME.json for `status`.\n"
		"\n"
		"Signals: SIGHUP reads the tunnel file again and applies it (a file with errors is refused,\n"
		"the old one stays); SIGTERM and SIGINT stop the daemon (tunnels stay up). With systemd\n"
		"(Type=notify) it reports READY=1 once running; see contrib/tunnelctl.service.\n"
		"\n"
		"Web status (docs/web.md): a status page at /, the status as JSON at /api/status and\n"
		"Prometheus metrics at /metrics, served from the daemon's own copy of charon's SAs (renewed\n"
		"on charon's events and every 5 s), never one VICI call per request, by a thread of its own:\n"
		"it answers at once even while charon hangs, and then says since when charon has not\n"
		"answered. Read-only. An address other than loopback needs --token-file; requests must\n"
		"then carry Authorization: Bearer.\n",
	.opts = daemon_opts,
	.tail =
		"exit status: 0 stopped by SIGTERM/SIGINT, 1 could not start, 2 usage error or a tunnel\n"
		"file with errors\n"
		"\n"
		"examples:\n"
		"  systemctl enable --now tunnelctl\n"
		"  tunnelctl daemon -c /etc/tunnelctl/tunnels.conf\n"
		"  kill -HUP $(pidof tunnelctl)     (apply an edited tunnel file)\n",
};

/* Log something about the daemon itself through the same path as keep-alive decisions. */
static void daemon_log(int prio, const char *action, const char *reason)
{
	struct keepalive_decision d = { .priority = prio, .tunnel = "daemon", .action = action, .reason = reason };

	cmd_log_decision(NULL, &d);
}

/* Every keep-alive decision: to the log, and into the tunnel's history (arg: the timeline). */
static void daemon_decision(void *arg, const struct keepalive_decision *d)
{
	cmd_log_decision(NULL, d);
	timeline_decision(arg, d);
}

/* The web server's thread: it polls the server and a stop descriptor, nothing else. VICI
 * calls block the main loop for up to their timeout when charon hangs (3-10 s); the page is
 * answered meanwhile from the document the cache last published (status_cache_document is
 * safe to call from here). */
struct web_thread {
	struct web_server *ws;
	int stop_fd;			/* eventfd: readable once the main thread wants it to end */
	pthread_t thread;
	atomic_uint failures;		/* web_run failures, logged by the main loop */
};

/* What the loop drives besides the signals. */
struct daemon_parts {
	struct keepalive *ka;
	struct status_cache *sc;
	struct web_server *ws;	/* NULL: --listen off */
	struct web_thread *wt;	/* serving ws; NULL until started */
};

static void *web_thread_run(void *arg)
{
	struct web_thread *wt = arg;

	for (;;) {
		struct pollfd fds[2] = { { .fd = web_fd(wt->ws), .events = POLLIN },
					 { .fd = wt->stop_fd, .events = POLLIN } };
		if (poll(fds, 2, web_timeout_ms(wt->ws)) < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			break;
		if (web_run(wt->ws) < 0)
			atomic_fetch_add(&wt->failures, 1);
	}
	return NULL;
}

/* Start serving ws in its own thread; call with the daemon's signals blocked (the thread
 * inherits the mask, so signals still arrive only through the signalfd). 0 or -errno. */
static int web_thread_start(struct web_server *ws, struct web_thread **out)
{
	struct web_thread *wt = xcalloc(1, sizeof(*wt));
	int rc;

	wt->ws = ws;
	atomic_init(&wt->failures, 0);
	wt->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (wt->stop_fd < 0) {
		rc = -errno;
		free(wt);
		return rc;
	}
	rc = -pthread_create(&wt->thread, NULL, web_thread_run, wt);
	if (rc != 0) {
		close(wt->stop_fd);
		free(wt);
		return rc;
	}
	*out = wt;
	return 0;
}

/* Tell the thread to end and wait for it; the server itself stays for web_stop. NULL is fine. */
static void web_thread_stop(struct web_thread *wt)
{
	uint64_t one = 1;

	if (!wt)
		return;
	if (write(wt->stop_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		pthread_cancel(wt->thread);	/* cannot happen with an eventfd; never leave it running */
	pthread_join(wt->thread, NULL);
	close(wt->stop_fd);
	free(wt);
}

/* SIGHUP: read the tunnel file again; keep the old one if the new one has errors. */
static void reload(struct daemon_parts *d, const struct tc_ctx *ctx)
{
	struct tunnel_file *tf = cmd_load_tunnels(ctx);

	if (!tf) {
		daemon_log(LOG_ERR, "reload-refused", "SIGHUP: the tunnel file has errors (see above); keeping the previous one");
		return;
	}
	sd_notify(0, "RELOADING=1");
	keepalive_reload(d->ka, tf);
	status_cache_set_tunnels(d->sc, tf);	/* tf is the engine's now; the cache borrows it */
	sd_notify(0, "READY=1");
}

/* The earlier of two poll timeouts, where a negative one means none. */
static int timeout_min(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

/* The loop: keep-alive entries, the status cache's VICI connection, then the signalfd (the
 * web server runs in its thread). Returns when SIGTERM/SIGINT arrives. */
static int run(struct daemon_parts *d, const struct tc_ctx *ctx, int sfd)
{
	struct pollfd fds[KEEPALIVE_MAX_FDS + 2];
	unsigned gen, seen;

	keepalive_tunnels(d->ka, &seen);
	keepalive_dispatch(d->ka, NULL, 0);
	status_cache_dispatch(d->sc, NULL, 0);
	for (;;) {
		int timeout, t;
		size_t n = keepalive_poll_fds(d->ka, fds, KEEPALIVE_MAX_FDS, &timeout);
		size_t n_sc = status_cache_poll_fds(d->sc, fds + n, 1, &t), n_all = n + n_sc;
		struct signalfd_siginfo si;

		timeout = timeout_min(timeout, t);
		fds[n_all] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		if (poll(fds, n_all + 1, timeout) < 0 && errno != EINTR)
			return -errno;
		if (fds[n_all].revents && read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo == SIGHUP) {
				daemon_log(LOG_NOTICE, "reload", "SIGHUP: reading the tunnel file again");
				reload(d, ctx);
				continue;	/* the entries changed: poll again */
			}
			daemon_log(LOG_NOTICE, "stop", si.ssi_signo == SIGINT ? "SIGINT: stopping (tunnels stay up)"
									     : "SIGTERM: stopping (tunnels stay up)");
			return 0;
		}
		keepalive_dispatch(d->ka, fds, n);
		/* the engine may have followed a `tunnelctl apply`: the cache borrows its tunnel file */
		const struct tunnel_file *tf = keepalive_tunnels(d->ka, &gen);
		if (gen != seen) {
			status_cache_set_tunnels(d->sc, tf);
			seen = gen;
		}
		status_cache_dispatch(d->sc, fds + n, n_sc);
		if (d->wt && atomic_exchange(&d->wt->failures, 0))
			daemon_log(LOG_WARNING, "web", "the web server failed to process its connections");
	}
}

int cmd_daemon(int argc, char **argv, const struct tc_ctx *ctx)
{
	struct daemon_args a = { .time_scale = 1 };
	struct keepalive_config cfg = { .ctx = ctx, .log = daemon_decision };
	const char *listen, *token_file;
	char *charon_log;
	struct daemon_parts d = { 0 };
	size_t n_recovered;
	struct tunnel_file *tf;
	sigset_t set;
	char msg[512];
	bool web_required;
	int c, sfd, rc;

	c = cmd_parse(&cmd_daemon_spec, argc, argv, &a);
	if (c < 0)
		return CMD_PARSE_EXIT(c);
	listen = a.listen;
	token_file = a.token_file;
	cfg.time_scale = (unsigned)a.time_scale;
	charon_log = a.charon_log ? xstrdup(a.charon_log) : cmd_charon_log(ctx);
	web_required = listen || token_file;	/* asked for: failing to serve is fatal */
	if (listen && strcmp(listen, DAEMON_LISTEN_OFF) == 0) {
		if (token_file) {
			cmd_err("daemon", "--token-file without a web status (--listen off)");
			free(charon_log);
			return TC_EXIT_USAGE;
		}
		listen = NULL;
	} else if (!listen) {
		listen = DAEMON_DEFAULT_LISTEN;
	}
	tf = cmd_load_tunnels(ctx);
	if (!tf) {
		free(charon_log);
		return TC_EXIT_USAGE;
	}
	d.sc = status_cache_new(ctx, tf, charon_log);
	free(charon_log);
	cfg.log_arg = timeline_new(ctx->state_dir);
	n_recovered = timeline_recover(cfg.log_arg);
	timeline_alive(cfg.log_arg);
	status_cache_set_timeline(d.sc, cfg.log_arg);
	if (listen) {
		struct web_source src = { status_cache_document, d.sc };
		char *err = NULL;
		int r = web_start(listen, token_file, &src, &d.ws, &err);

		if (r != 0 && !web_required) {
			/* the default address is taken (another daemon?): keep tunnels up all the same */
			cmd_err("daemon", "web status off: %s (use --listen to choose another address)", err);
			free(err);
			listen = NULL;
		} else if (r != 0) {
			cmd_err("daemon", "--listen: %s", err);
			free(err);
			status_cache_free(d.sc);
			timeline_free(cfg.log_arg);
			tunnel_file_free(tf);
			return r == -EINVAL || r == -EPERM ? TC_EXIT_USAGE : TC_EXIT_FAIL;
		}
	}

	/* signals arrive through a descriptor in the loop: no code runs in a handler */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0 || (sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		cmd_err("daemon", "cannot set up signal handling: %s", strerror(errno));
		web_stop(d.ws);
		status_cache_free(d.sc);
		timeline_free(cfg.log_arg);
		tunnel_file_free(tf);
		return TC_EXIT_FAIL;
	}
	signal(SIGPIPE, SIG_IGN);
	if (d.ws && (rc = web_thread_start(d.ws, &d.wt)) != 0) {
		cmd_err("daemon", "cannot start the web status: %s", strerror(-rc));
		close(sfd);
		web_stop(d.ws);
		status_cache_free(d.sc);
		timeline_free(cfg.log_arg);
		tunnel_file_free(tf);
		return TC_EXIT_FAIL;
	}
	openlog("tunnelctl", LOG_PID, LOG_DAEMON);
	d.ka = keepalive_new(&cfg, tf);
	snprintf(msg, sizeof(msg), "started (pid %d) for %s, charon at %s, web status %s%s", (int)getpid(),
		 ctx->conf, ctx->vici, listen ? "on " : "off", listen ? listen : "");
	daemon_log(LOG_NOTICE, "start", msg);
	if (n_recovered) {
		snprintf(msg, sizeof(msg), "the last daemon ended without stopping: %zu timeline(s) marked stopped "
			 "at its last sign of life", n_recovered);
		daemon_log(LOG_WARNING, "history", msg);
	}
	sd_notify(0, "READY=1");
	rc = run(&d, ctx, sfd);
	sd_notify(0, "STOPPING=1");
	web_thread_stop(d.wt);
	web_stop(d.ws);
	status_cache_free(d.sc);	/* before the engine: it borrows the engine's tunnel file */
	keepalive_free(d.ka);
	timeline_stop(cfg.log_arg, rc == 0 ? "the daemon stopped" : "the daemon's event loop failed");
	timeline_free(cfg.log_arg);
	close(sfd);
	if (rc != 0) {
		snprintf(msg, sizeof(msg), "event loop failed: %s", strerror(-rc));
		daemon_log(LOG_ERR, "stop", msg);
	}
	closelog();
	return rc == 0 ? TC_EXIT_OK : TC_EXIT_FAIL;
}
