/* cmd_updown.c - `tunnelctl up NAME` / `tunnelctl down NAME`: initiate or terminate a tunnel,
 * stream the attempt's log lines from charon, end with a one-line result. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "naming.h"
#include "history.h"
#include "state.h"
#include "tunnel.h"
#include "vici_client.h"

#define UPDOWN_TIMEOUT_S 30		/* default --timeout: charon's retransmits give up sooner */
#define UPDOWN_MAX_TIMEOUT_S 3600
#define UPDOWN_VICI_TIMEOUT_MS 5000	/* connect, register, list-sas */
#define UPDOWN_SLACK_MS 5000		/* charon answers a timed-out initiate a little late */
#define UPDOWN_TRAIL_IDLE_MS 200	/* after the response: wait this long for each further log line */
#define UPDOWN_TRAIL_MAX_MS 1000	/* ... and no longer than this in all */

enum updown_scope { SCOPE_DEFAULT, SCOPE_IKE, SCOPE_CHILD };

struct updown_args {
	int scope;	/* enum updown_scope */
	long timeout;
	bool quiet;
};

/* the rows up and down share */
#define UPDOWN_TIMEOUT_QUIET                                                                              \
	{ .name = "timeout", OPT_NUMBER(struct updown_args, timeout, "SEC", 1, UPDOWN_MAX_TIMEOUT_S),      \
	  .help = "give up waiting after SEC seconds (default 30)" },                                     \
	{ .name = "quiet", .short_name = 'q', OPT_FLAG(struct updown_args, quiet),                        \
	  .help = "no log lines, only the result" }

static const struct opt_def up_opts[] = {
	{ .name = "ike", OPT_CHOICE(struct updown_args, scope, SCOPE_IKE), .help = "only the IKE SA conN, no child" },
	{ .name = "child", OPT_CHOICE(struct updown_args, scope, SCOPE_CHILD),
	  .help = "only the child (conN of a merged phase 1, or conN_M)" },
	UPDOWN_TIMEOUT_QUIET,
	{ .name = NULL },
};

static const struct opt_def down_opts[] = {
	{ .name = "ike", OPT_CHOICE(struct updown_args, scope, SCOPE_IKE),
	  .help = "the IKE SA conN (the default for conN)" },
	{ .name = "child", OPT_CHOICE(struct updown_args, scope, SCOPE_CHILD),
	  .help = "only the child: conN of a merged phase 1 (the IKE SA stays), or conN_M" },
	UPDOWN_TIMEOUT_QUIET,
	{ .name = NULL },
};

/* what up and down take: one NAME or all */
#define UPDOWN_OPERANDS .operands = "one NAME (conN, conN_M, a description, N) or 'all'", \
			.min_operands = 1, .max_operands = 1

const struct opt_spec cmd_up_spec = {
	UPDOWN_OPERANDS,
	.verb = "up",
	.usage =
		"usage: tunnelctl up NAME|all [--ike | --child] [--timeout SEC] [--quiet]\n",
	.about =
		"Bring a tunnel up now and show charon's log lines of this attempt as they come, then one\n"
		"line with the result. Clears the manual-down mark `tunnelctl down` set, so the keep-alive\n"
		"looks after the tunnel again. Ctrl-C stops waiting and terminates the IKE SA of the\n"
		"attempt unless it is established, so charon does not keep retrying it.\n"
		"\n"
		"NAME is conN, conN_M, a phase 1 description or N. conN initiates the tunnel: its merged\n"
		"child conN (IKEv2), or each enabled child conN_M of a split or IKEv1 phase 1; conN_M\n"
		"initiates that child (and its IKE SA if needed); `all` every enabled phase 1.\n",
	.opts = up_opts,
	.tail =
		"exit status: 0 the tunnel is established, 1 it is not (or charon cannot be asked),\n"
		"2 usage error, bad tunnel file or unknown NAME\n"
		"\n"
		"examples:\n"
		"  tunnelctl up con1\n"
		"  tunnelctl up HQ --timeout 60\n"
		"  tunnelctl up con2_5 --quiet\n",
};

const struct opt_spec cmd_down_spec = {
	UPDOWN_OPERANDS,
	.verb = "down",
	.usage =
		"usage: tunnelctl down NAME|all [--ike | --child] [--timeout SEC] [--quiet]\n",
	.about =
		"Take a tunnel down now (charon sends DELETE to the peer) and mark it as manually down in\n"
		"the state directory, so the keep-alive and the daemon leave it down until `tunnelctl up`.\n"
		"Shows charon's log lines of the termination and ends with one line.\n"
		"\n"
		"NAME is conN, conN_M, a phase 1 description or N. conN terminates the IKE SA and with it\n"
		"every child; conN_M only that child; `all` every phase 1.\n",
	.opts = down_opts,
	.tail =
		"exit status: 0 the SA is gone, 1 it is not (or charon cannot be asked), 2 usage error,\n"
		"bad tunnel file or unknown NAME\n"
		"\n"
		"examples:\n"
		"  tunnelctl down con1\n"
		"  tunnelctl down con2_5\n"
		"  tunnelctl down all\n",
};


/* One VICI initiate/terminate: the IKE name, and the child name or "" for the IKE SA alone. */
struct updown_job {
	char ike[NAMING_MAX];
	char child[NAMING_MAX];
};

struct updown {
	const char *verb;
	bool up, quiet;
	int timeout_ms;
	const struct tc_ctx *ctx;
	struct vici_client *cmd;	/* initiate/terminate, list-sas */
	struct vici_client *log;	/* registered for "log" */
	char ike_uid[32];		/* unique id of the IKE SA this attempt's log lines name */
};

/* Set by Ctrl-C during up: stop waiting and end the half-open IKE SA. */
static volatile sig_atomic_t updown_interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	updown_interrupted = 1;
}

/* Print a log event when it belongs to the IKE SA of this attempt; remember that SA's id. */
static void log_line(struct updown *u, const char *ike, const struct vici_node *msg)
{
	if (!str_eq(vici_find_str(msg, "ikesa-name", NULL), ike))
		return;
	snprintf(u->ike_uid, sizeof(u->ike_uid), "%s", vici_find_str(msg, "ikesa-uniqueid", ""));
	if (u->quiet)
		return;
	printf("[%s] %s\n", vici_find_str(msg, "group", "???"), vici_find_str(msg, "msg", ""));
	fflush(stdout);
}

/* Take the log events that are here already (idle_ms 0), or each one that comes within idle_ms
 * of the previous one, for at most max_ms in all. */
static int drain_log(struct updown *u, const char *ike, int idle_ms, int max_ms, char **err)
{
	int64_t end = now_ms() + max_ms;

	for (;;) {
		char *name = NULL;
		struct vici_node *msg = NULL;
		int64_t left = end - now_ms();
		int rc;

		if (idle_ms == 0)
			left = 0;	/* only what is here already */
		else if (left <= 0)
			return 0;
		rc = vici_client_wait_event(u->log, left < idle_ms ? (int)left : idle_ms, &name, &msg, err);
		if (rc == -ETIMEDOUT)
			return 0;
		if (rc != 0)
			return rc;
		log_line(u, ike, msg);
		free(name);
		vici_node_free(msg);
	}
}

/* Send the command and wait for its response, printing log lines meanwhile. */
static int run_command(struct updown *u, const struct updown_job *j, struct vici_node **reply,
		       char **err)
{
	struct vici_msg m;
	int64_t deadline = now_ms() + u->timeout_ms + UPDOWN_SLACK_MS;
	int rc;

	vici_msg_init(&m);
	if (j->child[0])
		vici_msg_add_str(&m, "child", j->child);
	/* terminate takes one of ike or child; initiate finds the child under ike */
	if (u->up || !j->child[0])
		vici_msg_add_str(&m, "ike", j->ike);
	vici_msg_add_strf(&m, "timeout", "%d", u->timeout_ms);
	rc = vici_client_send(u->cmd, u->up ? "initiate" : "terminate", &m, UPDOWN_VICI_TIMEOUT_MS, err);
	vici_msg_free(&m);
	while (rc == 0) {
		struct pollfd p[2] = {
			{ .fd = vici_client_fd(u->cmd), .events = POLLIN },
			{ .fd = vici_client_fd(u->log), .events = POLLIN },
		};
		int64_t left = deadline - now_ms();

		if ((rc = drain_log(u, j->ike, 0, 0, err)) != 0)
			break;
		if (left <= 0) {
			*err = xasprintf("no answer from charon within %d s", u->timeout_ms / 1000);
			return -ETIMEDOUT;
		}
		if (poll(p, 2, (int)left) < 0 && errno != EINTR)
			return -errno;
		if (updown_interrupted) {
			*err = xstrdup("interrupted");
			return -EINTR;
		}
		if (p[1].revents && (rc = drain_log(u, j->ike, 0, 0, err)) != 0)
			break;
		if (p[0].revents) {
			rc = vici_client_response(u->cmd, (int)left, reply, err);
			break;
		}
	}
	/* charon sends log events apart from the response, so the last lines of the attempt (the
	 * peer's AUTH_FAILED, say) can come after it: take them until charon is quiet a moment;
	 * the response is what counts, so a failure here only loses lines */
	if (rc == 0 && !u->quiet)
		drain_log(u, j->ike, UPDOWN_TRAIL_IDLE_MS, UPDOWN_TRAIL_MAX_MS, err);
	return rc;
}

/* The IKE SA (and child) as charon has it now: fills what for the result line. True when it
 * is what the verb wanted: up and installed, or gone. */
static bool check_result(struct updown *u, const struct updown_job *j, char *what, size_t len)
{
	struct vici_node **ev = NULL, *sa = NULL, *child = NULL, *children;
	struct vici_msg m;
	size_t n = 0;
	char *err = NULL;
	bool ok;

	vici_msg_init(&m);
	vici_msg_add_str(&m, "ike", j->ike);
	if (vici_client_stream(u->cmd, "list-sas", &m, "list-sa", UPDOWN_VICI_TIMEOUT_MS, &ev, &n, &err) != 0) {
		snprintf(what, len, "cannot list SAs: %s", err);
		free(err);
		vici_msg_free(&m);
		return false;
	}
	vici_msg_free(&m);
	/* prefer an established SA when the old one is still being deleted */
	for (size_t i = 0; i < n; i++) {
		struct vici_node *s = vici_child(ev[i], j->ike);
		if (s && (!sa || str_eq(vici_find_str(s, "state", ""), "ESTABLISHED")))
			sa = s;
	}
	children = vici_find(sa, "child-sas");
	for (size_t i = 0; children && j->child[0] && i < children->n_child; i++) {
		struct vici_node *c = children->child[i];
		if (str_eq(vici_find_str(c, "name", ""), j->child) &&
		    (!child || str_eq(vici_find_str(c, "state", ""), "INSTALLED")))
			child = c;
	}
	if (u->up) {
		ok = sa && str_eq(vici_find_str(sa, "state", ""), "ESTABLISHED") &&
		     (!j->child[0] || (child && str_eq(vici_find_str(child, "state", ""), "INSTALLED")));
		if (ok && child)
			snprintf(what, len, "IKE SA #%s %s...%s, child %s #%s installed",
				 vici_find_str(sa, "uniqueid", "?"), vici_find_str(sa, "local-host", "?"),
				 vici_find_str(sa, "remote-host", "?"), j->child,
				 vici_find_str(child, "uniqueid", "?"));
		else if (ok)
			snprintf(what, len, "IKE SA #%s %s...%s established", vici_find_str(sa, "uniqueid", "?"),
				 vici_find_str(sa, "local-host", "?"), vici_find_str(sa, "remote-host", "?"));
		else
			snprintf(what, len, "IKE SA %s, child %s", sa ? vici_find_str(sa, "state", "?") : "absent",
				 child ? vici_find_str(child, "state", "?") : "absent");
	} else {
		ok = j->child[0] ? !child || !str_eq(vici_find_str(child, "state", ""), "INSTALLED")
				 : !sa || !str_eq(vici_find_str(sa, "state", ""), "ESTABLISHED");
		snprintf(what, len, "%s", ok ? "gone" : "still there");
	}
	vici_nodes_free(ev, n);
	return ok;
}

/* Ctrl-C during up: terminate the IKE SA of the attempt unless it is established, so charon
 * does not keep retrying it behind the user's back. Prints what it did. */
static void abort_attempt(struct updown *u, const struct updown_job *j)
{
	struct vici_node **ev = NULL, *reply = NULL;
	struct vici_msg m;
	const char *state = NULL;
	size_t n = 0;
	char *err = NULL;

	if (!u->ike_uid[0])
		return;
	/* the command connection still waits for initiate: ask on the log connection */
	vici_msg_init(&m);
	vici_msg_add_str(&m, "ike-id", u->ike_uid);
	if (vici_client_stream(u->log, "list-sas", &m, "list-sa", UPDOWN_VICI_TIMEOUT_MS, &ev, &n, &err) == 0 && n)
		state = vici_find_str(vici_child(ev[0], j->ike), "state", NULL);
	if (state && !str_eq(state, "ESTABLISHED")) {
		vici_msg_add_str(&m, "force", "yes");
		vici_msg_add_strf(&m, "timeout", "%d", UPDOWN_VICI_TIMEOUT_MS);
		free(err);
		err = NULL;
		if (vici_client_request(u->log, "terminate", &m, UPDOWN_VICI_TIMEOUT_MS + UPDOWN_SLACK_MS,
					&reply, &err) == 0 && str_eq(vici_find_str(reply, "success", ""), "yes"))
			printf("%s: terminated the half-open IKE SA %s[%s]\n", j->ike, j->ike, u->ike_uid);
		else
			printf("%s: cannot terminate the half-open IKE SA %s[%s]: %s\n", j->ike, j->ike, u->ike_uid,
			       err ? err : vici_find_str(reply, "errmsg", "charon gave no reason"));
	}
	vici_msg_free(&m);
	vici_node_free(reply);
	vici_nodes_free(ev, n);
	free(err);
}

/* Run one job and print its result line; true when it did what the verb says. */
static bool run_job(struct updown *u, const struct updown_job *j)
{
	const char *label = j->child[0] ? j->child : j->ike;
	struct vici_node *reply = NULL;
	char *err = NULL, what[256];
	const char *errmsg;
	bool ok;
	int rc;

	/* initiating what is up already would make charon negotiate a duplicate child SA */
	if (u->up && check_result(u, j, what, sizeof(what))) {
		printf("%s: already up: %s\n", label, what);
		return true;
	}
	if (!u->quiet)
		printf("%s %s %s\n", u->up ? "initiating" : "terminating", j->child[0] ? "child" : "IKE SA", label);
	u->ike_uid[0] = '\0';
	rc = run_command(u, j, &reply, &err);
	if (rc != 0) {
		printf("%s: %s failed: %s\n", label, u->verb, err ? err : strerror(-rc));
		if (updown_interrupted && u->up)
			abort_attempt(u, j);
		free(err);
		return false;
	}
	errmsg = vici_find_str(reply, "errmsg", NULL);
	ok = check_result(u, j, what, sizeof(what));
	if (u->up && ok)
		printf("%s: up: %s\n", label, what);
	else if (u->up)
		printf("%s: not up (%s): %s; `tunnelctl doctor --live` or `tunnelctl logs %s` tell why\n",
		       label, what, errmsg ? errmsg : "charon gave no reason", j->ike);
	else if (ok)
		printf("%s: down%s\n", label, errmsg && strstr(errmsg, "no matching") ? " (it was not up)" : "");
	else
		printf("%s: still up: %s\n", label, errmsg ? errmsg : "charon did not terminate it");
	fflush(stdout);
	free(err);
	vici_node_free(reply);
	return ok;
}

/* The jobs for one phase 1 / phase 2 target, as NAME and the scope options ask. */
static int jobs_for(const struct naming_target *t, enum updown_scope scope, bool up,
		    struct updown_job **jobs, size_t *n, const char *name)
{
	const struct tunnel_phase1 *p1 = t->p1;

	if (scope == SCOPE_IKE && t->p2) {
		cmd_err(up ? "up" : "down", "--ike takes conN, not the child %s", t->child);
		return -1;
	}
	if (scope == SCOPE_CHILD && !t->p2 && naming_split(p1)) {
		cmd_err(up ? "up" : "down", "%s has one child per phase 2 (conN_M): name one", name);
		return -1;
	}
	*jobs = xrealloc(*jobs, (*n + p1->n_p2 + 1) * sizeof(**jobs));
	if (t->p2 || (scope == SCOPE_CHILD && t->child[0]) ||
	    (up && scope == SCOPE_DEFAULT && !naming_split(p1) && t->child[0])) {
		/* one child: conN_M, or the merged conN */
		snprintf((*jobs)[*n].ike, NAMING_MAX, "%s", t->ike);
		snprintf((*jobs)[*n].child, NAMING_MAX, "%s", t->child);
		(*n)++;
	} else if (up && scope == SCOPE_DEFAULT && naming_split(p1) && p1->n_p2) {
		/* a split phase 1: each enabled child brings the IKE SA up with it */
		for (size_t i = 0; i < p1->n_p2; i++) {
			if (!p1->p2[i].enabled)
				continue;
			snprintf((*jobs)[*n].ike, NAMING_MAX, "%s", t->ike);
			naming_child(p1, &p1->p2[i], (*jobs)[*n].child);
			(*n)++;
		}
	} else {
		snprintf((*jobs)[*n].ike, NAMING_MAX, "%s", t->ike);
		(*jobs)[*n].child[0] = '\0';
		(*n)++;
	}
	return 0;
}

/* Manual-down marks: down sets the name's mark; up clears it and those of the IKE connection
 * and, for conN, of its children, so no older mark keeps the keep-alive away. */
static int update_marks(const struct updown *u, const struct naming_target *t)
{
	const char *dir = u->ctx->state_dir;
	char name[NAMING_MAX];
	int rc;

	if (!u->up)
		return state_set_down(dir, t->p2 ? t->child : t->ike, true);
	rc = state_set_down(dir, t->ike, false);
	if (t->p2)
		return rc ? rc : state_set_down(dir, t->child, false);
	for (size_t i = 0; rc == 0 && i < t->p1->n_p2; i++) {
		naming_child(t->p1, &t->p1->p2[i], name);
		rc = state_set_down(dir, name, false);
	}
	return rc;
}

/* Note a manual action in the history of each child the target covers (best effort: the
 * history is a report). up: manual-up, then up or failed as the command went. */
static void record_manual(const struct updown *u, const struct naming_target *t, bool succeeded)
{
	/* milliseconds, as the daemon's records: a manual down in the same second as the daemon's
	 * "up" must sort after it, or the outage it ended would count as ended by hand */
	struct history_rec r = { .time_ms = wall_ms() };
	char name[NAMING_MAX], last[NAMING_MAX] = "";

	for (size_t i = 0; i < (t->p2 ? 1 : t->p1->n_p2); i++) {
		if (t->p2)
			snprintf(name, sizeof(name), "%s", t->child);
		else if (t->p1->p2[i].enabled)
			naming_child(t->p1, &t->p1->p2[i], name);
		else
			continue;
		if (strcmp(name, last) == 0)
			continue;	/* a merged conN: one child for all phase 2 entries */
		snprintf(last, sizeof(last), "%s", name);
		r.kind = u->up ? HISTORY_MANUAL_UP : HISTORY_MANUAL_DOWN;
		snprintf(r.reason, sizeof(r.reason), "tunnelctl %s", u->verb);
		state_history_append(u->ctx->state_dir, name, &r, false);
		if (u->up) {
			r.kind = succeeded ? HISTORY_UP : HISTORY_FAILED;
			snprintf(r.reason, sizeof(r.reason), "tunnelctl up: %s", succeeded ? "child SA installed" : "failed");
			state_history_append(u->ctx->state_dir, name, &r, true);
		}
	}
}

static int updown_main(int argc, char **argv, const struct tc_ctx *ctx, bool up)
{
	struct updown_args a = { .scope = SCOPE_DEFAULT, .timeout = UPDOWN_TIMEOUT_S };
	struct updown u = { .verb = up ? "up" : "down", .up = up, .ctx = ctx };
	enum updown_scope scope;
	struct naming_target *targets = NULL;
	struct updown_job *jobs = NULL;
	size_t n_targets = 0, n_jobs = 0, n_ok = 0;
	struct tunnel_file *tf;
	char *err = NULL, *name;
	int c, rc = TC_EXIT_USAGE;

	c = cmd_parse(up ? &cmd_up_spec : &cmd_down_spec, argc, argv, &a);
	if (c < 0)
		return CMD_PARSE_EXIT(c);
	name = argv[c];
	scope = (enum updown_scope)a.scope;
	u.timeout_ms = (int)a.timeout * 1000;
	u.quiet = a.quiet;
	tf = cmd_load_tunnels(ctx);
	if (!tf)
		return TC_EXIT_USAGE;

	/* what NAME means: one target, or every (enabled, for up) phase 1 */
	targets = xcalloc(tf->n_p1 + 1, sizeof(*targets));
	if (strcmp(name, "all") == 0) {
		for (size_t i = 0; i < tf->n_p1; i++) {
			char ike[NAMING_MAX];
			if (up && !tf->p1[i].enabled)
				continue;
			naming_ike(&tf->p1[i], ike);
			if (naming_resolve(tf, ike, &targets[n_targets]) == 0)
				n_targets++;
		}
	} else {
		int r = naming_resolve(tf, name, &targets[0]);
		if (r == -EINVAL) {
			cmd_err(u.verb, "'%s' is the description of more than one phase 1; use conN", name);
			goto out;
		}
		if (r != 0) {
			cmd_err(u.verb, "no tunnel '%s' in %s (use conN, conN_M, a phase 1 description or N)",
				name, ctx->conf);
			goto out;
		}
		if (up && (!targets[0].p1->enabled || (targets[0].p2 && !targets[0].p2->enabled))) {
			cmd_err(u.verb, "'%s' is disabled in %s", name, ctx->conf);
			goto out;
		}
		n_targets = 1;
	}
	for (size_t i = 0; i < n_targets; i++)
		if (jobs_for(&targets[i], scope, up, &jobs, &n_jobs, name) != 0)
			goto out;

	/* mark first: a keep-alive running meanwhile must not bring a downed tunnel back */
	for (size_t i = 0; i < n_targets; i++) {
		int r = update_marks(&u, &targets[i]);
		if (r != 0) {
			cmd_err(u.verb, "cannot update the manual-down mark in %s: %s", ctx->state_dir, state_strerror(r));
			rc = TC_EXIT_FAIL;
			goto out;
		}
		if (!up)
			record_manual(&u, &targets[i], false);
	}
	rc = TC_EXIT_FAIL;
	if (vici_client_connect(ctx->vici, UPDOWN_VICI_TIMEOUT_MS, &u.cmd, &err) != 0 ||
	    vici_client_connect(ctx->vici, UPDOWN_VICI_TIMEOUT_MS, &u.log, &err) != 0 ||
	    vici_client_register(u.log, "log", UPDOWN_VICI_TIMEOUT_MS, &err) != 0) {
		cmd_err(u.verb, "%s", err);
		goto out;
	}
	if (up) {
		/* a second Ctrl-C while we clean up ends the command at once */
		struct sigaction sa = { .sa_handler = on_interrupt, .sa_flags = (int)SA_RESETHAND };
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
	}
	for (size_t i = 0; i < n_jobs && !updown_interrupted; i++)
		n_ok += run_job(&u, &jobs[i]);
	for (size_t i = 0; up && i < n_targets; i++)
		record_manual(&u, &targets[i], n_ok == n_jobs);
	if (!up && n_ok == n_jobs && !u.quiet)
		printf("marked manually down: the keep-alive leaves %s alone until `tunnelctl up %s`\n",
		       name, name);
	rc = n_ok == n_jobs ? TC_EXIT_OK : TC_EXIT_FAIL;
out:
	free(err);
	free(jobs);
	free(targets);
	vici_client_close(u.cmd);
	vici_client_close(u.log);
	tunnel_file_free(tf);
	return rc;
}

int cmd_up(int argc, char **argv, const struct tc_ctx *ctx)
{
	return updown_main(argc, argv, ctx, true);
}

int cmd_down(int argc, char **argv, const struct tc_ctx *ctx)
{
	return updown_main(argc, argv, ctx, false);
}
