/* cmd_status.c - `tunnelctl status [NAME] [--json] [--watch] [--wide]`: IKE and child SAs, pfSense's
 * status page in a terminal. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "json.h"
#include "keepalive.h"
#include "naming.h"
#include "status.h"
#include "table.h"
#include "tunnel.h"
#include "vici_client.h"

#define STATUS_CONNECT_TIMEOUT_MS 5000
#define STATUS_SETTLE_MS 100	/* --watch: events this close together cause one redraw */

struct status_args {
	bool json, watch, wide;
};

static const struct opt_def status_opts[] = {
	{ .name = "json", OPT_FLAG(struct status_args, json),
	  .help = "machine output: {\"ike_sas\": [...], \"peers\": [...]}, times in seconds",
	  .more = "ike_sas: [{name, uniqueid, ikeid, description, state, version, role, local_host, local_port, "
		  "local_id, remote_host, remote_port, remote_id, nat, algorithms, established, rekey_in, "
		  "reauth_in, manual_down, children: [{name, uniqueid, reqid, description, state, mode, "
		  "protocol, local_ts, remote_ts, spi_in, spi_out, algorithms, bytes_in, bytes_out, packets_in, "
		  "packets_out, installed, rekey_in, expire_in, manual_down, keepalive: {reinitiations, "
		  "attempts, last_action, last_reason, last_decision, last_reinitiation, next_try}}]}]; "
		  "peers: [{address, silent, silent_since, back_since, probe, tunnels}], only when the daemon "
		  "has written them (a silent peer is also listed in text)" },
	{ .name = "wide", OPT_FLAG(struct status_args, wide), .help = "every column, however wide",
	  .more = "Otherwise, on a terminal narrower than the table (or $COLUMNS), the details go first: "
		  "packets, SPIs, role, NAT-T, IKE version, algorithms, reauth/expiry, age, bytes, "
		  "description; a last line names the ones left out" },
	{ .name = "watch", OPT_FLAG(struct status_args, watch),
	  .help = "stay and redraw whenever charon reports a change (IKE or child SA up, down or rekeyed)",
	  .more = "until Ctrl-C; with --json, one document per change" },
	{ .name = NULL },
};

const struct opt_spec cmd_status_spec = {
	.operands = "at most one NAME",
	.max_operands = 1,
	.verb = "status",
	.usage =
		"usage: tunnelctl status [NAME] [--json] [--watch] [--wide]\n",
	.about =
		"Show the tunnels as charon has them, like pfSense's IPsec status page: one row per IKE SA\n"
		"(name #unique id, description, state, local and remote identity @ host:port, NAT-T, role,\n"
		"IKE version, established for, rekey and reauthentication in, algorithms) and under it one\n"
		"row per child SA (name #unique id, state, local and remote selectors, age, rekey and expiry\n"
		"in, algorithms, SPIs in/out, bytes in/out, packets in/out). Enabled entries of the tunnel\n"
		"file that have no SA are shown as 'disconnected'; entries stopped with `tunnelctl down`\n"
		"say '(manual down)'; the keep-alive engine's work shows as '(retry in 40s, 5 re-init)'.\n"
		"Without a tunnel file, only charon's conN SAs are shown.\n"
		"\n"
		"NAME limits the output to one tunnel: conN (the IKE SA and its children), conN_M (one\n"
		"child of a split phase 1), the phase 1 description, or N.\n",
	.opts = status_opts,
	.tail =
		"exit status: 0 shown (with NAME: the tunnel is established), 1 charon cannot be asked or\n"
		"NAME is not established, 2 usage error, bad tunnel file or unknown NAME\n"
		"\n"
		"examples:\n"
		"  tunnelctl status\n"
		"  tunnelctl status con1 --json\n"
		"  tunnelctl status HQ --watch\n",
};

static const char *const watch_events[] = { "ike-updown", "child-updown", "ike-rekey", "child-rekey" };

static volatile sig_atomic_t status_stop;

static void on_signal(int sig)
{
	(void)sig;
	status_stop = 1;
}

/* A JSON number of seconds as fmt_duration writes it, "-" when absent. */
static void fmt_json_duration(json_t *v, char *out, size_t len)
{
	if (!json_is_integer(v))
		snprintf(out, len, "-");
	else
		fmt_duration(json_integer_value(v), out, len);
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* "id @ host[port]" for an IKE SA endpoint; the host alone when there is no SA. */
static char *endpoint(json_t *e, const char *side)
{
	char k_id[16], k_host[16], k_port[16];
	const char *id, *host;
	json_t *port;

	snprintf(k_id, sizeof(k_id), "%s_id", side);
	snprintf(k_host, sizeof(k_host), "%s_host", side);
	snprintf(k_port, sizeof(k_port), "%s_port", side);
	id = str(e, k_id);
	host = str(e, k_host);
	port = json_object_get(e, k_port);
	if (!host)
		return xstrdup("-");
	if (!id)
		return xstrdup(host);
	if (json_is_integer(port))
		return xasprintf("%s @ %s[%lld]", id, host, (long long)json_integer_value(port));
	return xasprintf("%s @ %s", id, host);
}

static char *joined(json_t *a)
{
	struct buf b;
	size_t i;
	json_t *v;

	buf_init(&b);
	json_array_foreach(a, i, v)
		buf_printf(&b, "%s%s", i ? "," : "", json_string_value(v));
	if (!b.len)
		buf_adds(&b, "-");
	return buf_steal(&b);
}

/* "in/out" of two counters or strings; NULL when neither is there. */
static char *pair(json_t *o, const char *in, const char *out)
{
	json_t *a = json_object_get(o, in), *b = json_object_get(o, out);

	if (!a && !b)
		return NULL;
	if (json_is_integer(a) || json_is_integer(b))
		return xasprintf("%lld/%lld", (long long)json_integer_value(a),
				 (long long)json_integer_value(b));
	return xasprintf("%s/%s", json_string_value(a) ? json_string_value(a) : "-",
			 json_string_value(b) ? json_string_value(b) : "-");
}

static char *name_with_id(json_t *o, const char *indent)
{
	json_t *id = json_object_get(o, "uniqueid");

	if (json_is_integer(id))
		return xasprintf("%s%s #%lld", indent, str(o, "name"), (long long)json_integer_value(id));
	return xasprintf("%s%s", indent, str(o, "name"));
}

/* The state, with what tunnelctl knows beyond charon: a manual-down mark, or the keep-alive
 * engine's retries (re-initiations so far, the next attempt when one is planned). */
static char *state_text(json_t *o)
{
	const char *s = str(o, "state") ? str(o, "state") : "-";
	json_t *ka = json_object_get(o, "keepalive");
	json_int_t n = json_integer_value(json_object_get(ka, "reinitiations"));
	json_int_t next = json_integer_value(json_object_get(ka, "next_try")) - (json_int_t)time(NULL);

	if (json_is_true(json_object_get(o, "manual_down")))
		return xasprintf("%s (manual down)", s);
	/* installed but sending into a dead tunnel (docs/keepalive.md "Stalled tunnels") */
	if (str_eq(str(ka, "last_action"), "stalled"))
		return xasprintf("%s (stalled, %lld stall restart%s)", s,
				 (long long)json_integer_value(json_object_get(ka, "stall_restarts")),
				 json_integer_value(json_object_get(ka, "stall_restarts")) == 1 ? "" : "s");
	if (n && next > 0)
		return xasprintf("%s (retry in %llds, %lld re-init)", s, (long long)next, (long long)n);
	if (n)
		return xasprintf("%s (%lld re-init)", s, (long long)n);
	return xstrdup(s);
}

static const char *version_text(json_t *e)
{
	switch (json_integer_value(json_object_get(e, "version"))) {
	case 1: return "IKEv1";
	case 2: return "IKEv2";
	default: return "auto";
	}
}

static void child_row(struct table *t, json_t *c)
{
	char age[32], rekey[32], expire[32];
	char *name = name_with_id(c, "  "), *state = state_text(c);
	char *local = joined(json_object_get(c, "local_ts")), *remote = joined(json_object_get(c, "remote_ts"));
	char *spi = pair(c, "spi_in", "spi_out"), *bytes = pair(c, "bytes_in", "bytes_out");
	char *packets = pair(c, "packets_in", "packets_out");

	fmt_json_duration(json_object_get(c, "installed"), age, sizeof(age));
	fmt_json_duration(json_object_get(c, "rekey_in"), rekey, sizeof(rekey));
	fmt_json_duration(json_object_get(c, "expire_in"), expire, sizeof(expire));
	table_add_row(t, (const char *[]){ name, str(c, "description"), state, local, remote, NULL,
					    NULL, str(c, "protocol"), age, rekey, expire,
					    str(c, "algorithms"), spi, bytes, packets });
	free(name);
	free(state);
	free(local);
	free(remote);
	free(spi);
	free(bytes);
	free(packets);
}

static void ike_rows(struct table *t, json_t *e)
{
	char age[32], rekey[32], reauth[32];
	char *name = name_with_id(e, ""), *state = state_text(e);
	char *local = endpoint(e, "local"), *remote = endpoint(e, "remote");
	json_t *nat = json_object_get(e, "nat"), *c;
	const char *role = str(e, "role");
	size_t i;

	fmt_json_duration(json_object_get(e, "established"), age, sizeof(age));
	fmt_json_duration(json_object_get(e, "rekey_in"), rekey, sizeof(rekey));
	fmt_json_duration(json_object_get(e, "reauth_in"), reauth, sizeof(reauth));
	table_add_row(t, (const char *[]){ name, str(e, "description"), state, local, remote,
					    nat ? (json_is_true(nat) ? "yes" : "no") : NULL, role,
					    version_text(e), age, rekey, reauth, str(e, "algorithms"),
					    NULL, NULL, NULL });
	json_array_foreach(json_object_get(e, "children"), i, c)
		child_row(t, c);
	free(name);
	free(state);
	free(local);
	free(remote);
}

/* Columns left out first when a terminal is too narrow (NAME, DESCRIPTION, STATE, LOCAL,
 * REMOTE and REKEY stay): the details `--wide` and `--json` keep. */
static const int status_drop[] = { 14, 12, 6, 5, 7, 11, 10, 8, 13, 1, -1 };

static void print_table(json_t *doc, FILE *f, bool wide)
{
	struct table t;
	json_t *e;
	size_t i;

	table_init(&t, (const char *[]){ "NAME", "DESCRIPTION", "STATE", "LOCAL", "REMOTE", "NAT-T",
					  "ROLE", "PROTO", "AGE", "REKEY", "REAUTH/EXPIRE", "ALGORITHMS",
					  "SPI IN/OUT", "BYTES IN/OUT", "PACKETS IN/OUT", NULL });
	json_array_foreach(json_object_get(doc, "ike_sas"), i, e)
		ike_rows(&t, e);
	if (t.n_rows && wide) {
		table_print(&t, f);
	} else if (t.n_rows) {
		unsigned hidden = 0;
		if (table_print_fit(&t, f, table_term_width(f), status_drop, &hidden)) {
			fputs("(left out to fit the terminal:", f);
			for (size_t c = 0; c < t.n_cols; c++)
				if (hidden & (1u << c))
					fprintf(f, " %s", t.head[c]);
			fputs("; --wide shows every column)\n", f);
		}
	} else
		fputs("no tunnels configured and no IKE SA of ours in charon\n", f);
	table_free(&t);
}

/* With NAME: established IKE SA and every shown child installed. */
static bool all_up(json_t *doc)
{
	json_t *e, *c;
	size_t i, k;

	json_array_foreach(json_object_get(doc, "ike_sas"), i, e) {
		if (!str_eq(str(e, "state"), "ESTABLISHED"))
			return false;
		json_array_foreach(json_object_get(e, "children"), k, c)
			if (!str_eq(str(c, "state"), "INSTALLED"))
				return false;
	}
	return json_array_size(json_object_get(doc, "ike_sas")) > 0;
}

/* The keep-alive's gateways (written by the daemon) into the document, when there are any. */
static void add_peers(json_t *doc, const char *state_dir)
{
	json_t *peers = keepalive_peers_load(state_dir);

	if (peers)
		json_object_set_new(doc, "peers", peers);
}

/* One line per silent peer: since when, and how the daemon probes it. */
static void print_peers(json_t *doc, FILE *f)
{
	json_t *p;
	size_t i;

	json_array_foreach(json_object_get(doc, "peers"), i, p) {
		json_int_t since = json_integer_value(json_object_get(p, "silent_since"));
		time_t t = (time_t)since, now = time(NULL);
		char stamp[32];
		if (!json_is_true(json_object_get(p, "silent")) || since <= 0)
			continue;
		strftime(stamp, sizeof(stamp), "%F %T", localtime(&t));
		fprintf(f, "peer %s: silent since %s (%llds): none of its %lld tunnel%s up or answering; probed every second with %s\n",
			str(p, "address"), stamp, (long long)(now - t),
			(long long)json_integer_value(json_object_get(p, "tunnels")),
			json_integer_value(json_object_get(p, "tunnels")) == 1 ? "" : "s",
			str_eq(str(p, "probe"), "echo") ? "an ICMP echo" : "an IKE_SA_INIT");
	}
}

static void show(json_t *doc, bool json, bool wide, bool watch, const char *why)
{
	if (json) {
		json_write(stdout, json_incref(doc));
	} else {
		if (watch) {
			char stamp[32];
			time_t now = time(NULL);

			if (isatty(STDOUT_FILENO))
				fputs("\033[H\033[2J", stdout);
			strftime(stamp, sizeof(stamp), "%F %T", localtime(&now));
			printf("tunnelctl status  %s  %s  (Ctrl-C to stop)\n\n", stamp, why);
		}
		print_table(doc, stdout, wide);
		print_peers(doc, stdout);
	}
	fflush(stdout);
}

/* Resolve NAME into the filter; 0, or -1 after saying why. */
static int resolve(const struct tunnel_file *tf, const char *name, struct naming_target *t,
		   struct status_filter *f)
{
	unsigned ikeid, reqid;
	int rc = tf ? naming_resolve(tf, name, t) : -ENOENT;

	if (rc == 0) {
		f->ike = t->ike;
		f->child = t->p2 ? t->child : NULL;
		return 0;
	}
	if (rc == -EINVAL) {
		cmd_err("status", "'%s' is the description of more than one phase 1; use conN", name);
		return -1;
	}
	if (!tf && naming_parse(name, &ikeid, &reqid)) {
		/* no tunnel file: the name itself says which IKE SA and child */
		memset(t, 0, sizeof(*t));
		snprintf(t->ike, sizeof(t->ike), "con%u", ikeid);
		snprintf(t->child, sizeof(t->child), "%s", reqid ? name : "");
		f->ike = t->ike;
		f->child = reqid ? t->child : NULL;
		return 0;
	}
	cmd_err("status", "no tunnel '%s' (use conN, conN_M, a phase 1 description or N)", name);
	return -1;
}

/* --watch: redraw on each burst of updown/rekey events until Ctrl-C or charon goes away. */
static int watch(struct vici_client *vc, const struct tc_ctx *ctx, const struct tunnel_file *tf,
		 const struct status_filter *f, bool json, bool wide)
{
	struct vici_client *ev = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	char *err = NULL, why[160] = "now";
	int rc;

	rc = vici_client_connect(ctx->vici, STATUS_CONNECT_TIMEOUT_MS, &ev, &err);
	for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(watch_events); i++)
		rc = vici_client_register(ev, watch_events[i], STATUS_CONNECT_TIMEOUT_MS, &err);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (rc == 0 && !status_stop) {
		json_t *doc = status_collect(vc, tf, ctx->state_dir, f, &err);
		char *name = NULL;
		struct vici_node *msg = NULL;
		int64_t settle;

		if (!doc) {
			rc = -EIO;
			break;
		}
		add_peers(doc, ctx->state_dir);
		show(doc, json, wide, true, why);
		json_decref(doc);
		rc = vici_client_wait_event(ev, -1, &name, &msg, &err);
		if (rc != 0)
			break;
		snprintf(why, sizeof(why), "after %s %s%s", name,
			 msg && msg->n_child ? msg->child[msg->n_child - 1]->name : "?",
			 !strstr(name, "updown") ? "" : vici_find(msg, "up") ? " up" : " down");
		free(name);
		vici_node_free(msg);
		/* take the rest of a burst (an SA and its children change together) before redrawing */
		settle = now_ms() + STATUS_SETTLE_MS;
		while (rc == 0 && !status_stop) {
			int left = (int)(settle - now_ms());
			rc = vici_client_wait_event(ev, left > 0 ? left : 0, &name, &msg, &err);
			free(name);
			vici_node_free(msg);
		}
		if (rc == -ETIMEDOUT)
			rc = 0;
	}
	if (rc == -EINTR || status_stop)
		rc = 0;
	if (rc != 0)
		cmd_err("status", "%s", err ? err : strerror(-rc));
	free(err);
	vici_client_close(ev);
	return rc == 0 ? TC_EXIT_OK : TC_EXIT_FAIL;
}

int cmd_status(int argc, char **argv, const struct tc_ctx *ctx)
{
	struct status_filter f = { 0 };
	struct naming_target target;
	struct tunnel_file *tf = NULL;
	struct vici_client *vc = NULL;
	struct status_args a = { .json = false };
	bool ahead;
	char *err = NULL;
	json_t *doc;
	int arg, rc = 0;

	arg = cmd_parse(&cmd_status_spec, argc, argv, &a);
	if (arg < 0)
		return CMD_PARSE_EXIT(arg);
	/* all SAs, once: ask charon first and read the tunnel file while it answers (a NAME needs
	 * the file to be resolved first); what goes wrong is said in the same order as before */
	ahead = arg == argc && !a.watch;
	if (ahead) {
		rc = vici_client_connect(ctx->vici, STATUS_CONNECT_TIMEOUT_MS, &vc, &err);
		if (rc == 0)
			rc = status_request(vc, &f, &err);
	}
	/* the tunnel file names the configured entries; without one, charon's SAs alone */
	if (access(ctx->conf, F_OK) == 0) {
		tf = cmd_load_tunnels(ctx);
		if (!tf) {
			free(err);
			vici_client_close(vc);
			return TC_EXIT_USAGE;
		}
	} else {
		fprintf(stderr, "tunnelctl status: no tunnel file at %s: showing charon's SAs only\n",
			ctx->conf);
	}
	if (arg < argc && resolve(tf, argv[arg], &target, &f) != 0) {
		tunnel_file_free(tf);
		return TC_EXIT_USAGE;
	}
	if (!ahead)
		rc = vici_client_connect(ctx->vici, STATUS_CONNECT_TIMEOUT_MS, &vc, &err);
	if (rc != 0) {
		cmd_err("status", "%s", err);
		free(err);
		vici_client_close(vc);
		tunnel_file_free(tf);
		return TC_EXIT_FAIL;
	}
	if (a.watch) {
		rc = watch(vc, ctx, tf, &f, a.json, a.wide);
	} else {
		doc = ahead ? status_receive(vc, tf, ctx->state_dir, &f, &err)
			    : status_collect(vc, tf, ctx->state_dir, &f, &err);
		if (doc) {
			add_peers(doc, ctx->state_dir);
			show(doc, a.json, a.wide, false, NULL);
			rc = f.ike && !all_up(doc) ? TC_EXIT_FAIL : TC_EXIT_OK;
			json_decref(doc);
		} else {
			cmd_err("status", "%s", err);
			rc = TC_EXIT_FAIL;
		}
	}
	free(err);
	vici_client_close(vc);
	tunnel_file_free(tf);
	return rc;
}
