/* cmd_doctor.c - `tunnelctl doctor`: name the root cause of failing tunnels from charon logs. */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "compile.h"
#include "doctor_conf_read.h"
#include "doctor_live.h"
#include "doctor_read.h"
#include "doctor_rules.h"
#include "json.h"
#include "util.h"

struct doctor_args {
	bool json, live, messages;
	const char *journal;	/* NULL: not asked; "": the system journal; else a directory */
	uint64_t since;		/* journal entries from (microseconds since the epoch); 0: all */
	const char *peer_config;
};

static int parse_since(const char *s, void *usec);

static const struct opt_def doctor_opts[] = {
	{ .name = "json", OPT_FLAG(struct doctor_args, json),
	  .help = "machine output: {\"verdicts\": [{\"class\", \"tunnel\", \"side\", \"summary\", \"evidence\": "
		  "[{\"file\", \"line\", \"text\"}], \"fix\"}]}",
	  .more = "most important first; with configs also \"warnings\", with --live "
		  "\"live\": [{\"check\", \"status\", \"detail\", \"fix\"}]" },
	{ .name = "journal", OPT_STRING(struct doctor_args, journal, "DIR"), .value_optional = true,
	  .help = "also read charon's entries from the systemd journal (or from the journal files in DIR)",
	  .more = "evidence is journal:N, the Nth charon entry" },
	{ .name = "since", OPT_CUSTOM(struct doctor_args, since, "TIME", parse_since,
				      "YYYY-MM-DD[ HH:MM[:SS]] or an age like 2h"),
	  .help = "journal entries from TIME on: YYYY-MM-DD[ HH:MM[:SS]] (local time) or an age like 30m, 2h, 1d" },
	{ .name = "config", .short_name = 'c', OPT_GLOBAL("FILE"),
	  .help = "this side's config: a tunnel file, a swanctl.conf or a pfSense config.xml",
	  .more = "(includes and `conn : template` inheritance followed; a config.xml's evidence lines are "
		  "its own)" },
	{ .name = "peer-config", OPT_STRING(struct doctor_args, peer_config, "FILE"),
	  .help = "the other side's config; both are compared key by key and negotiated as charon would",
	  .more = "(this side's default: the tunnel file, TUNNELCTL_CONF). The negotiation runs in both "
		  "directions (IKE version, proposals per transform, DH/PFS, IDs, PSK by hash, selectors), "
		  "plus warnings (lifetimes, close actions, DPD, nobody initiating). With logs too, each "
		  "config verdict says whether the logs agree." },
	{ .name = "messages", OPT_FLAG(struct doctor_args, messages), .help = "print the message catalogue:",
	  .more = "every charon message the doctor knows, its class (or - when it names no cause) and "
		  "meaning (with --json: as JSON); docs/doctor-messages.md is this table" },
	{ .name = "live", OPT_FLAG(struct doctor_args, live),
	  .help = "check the running system: charon, VICI, ports, nftables drops, ESP support, sysctls, "
		  "clock, certificates",
	  .more = "(loaded connections and SAs, UDP 500/4500 bound, kernel ESP or kernel-libipsec, "
		  "forwarding, rp_filter; uses --vici / TUNNELCTL_VICI). Without LOG or --journal, charon's "
		  "file log (" COMPILE_CHARON_LOG ") is judged too, if readable. docs/doctor-configs.md "
		  "explains the configs and live checks." },
	{ .name = NULL },
};

const struct opt_spec cmd_doctor_spec = {
	.operands = "LOG files",
	.max_operands = OPT_MANY,
	.verb = "doctor",
	.usage =
		"usage: tunnelctl doctor [--json] [--journal[=DIR]] [--since TIME]\n"
		"                        [-c FILE] [--peer-config FILE] [--live] [LOG...|-]\n"
		"       tunnelctl doctor --messages [--json]\n",
	.about =
		"Read charon logs and name the root cause of each failing tunnel: the class, which\n"
		"side offers what, the log lines that prove it (FILE:LINE) and the tunnel-file key to\n"
		"change (with the pfSense GUI field). Give both sides' logs for the sharpest verdict.\n"
		"\n"
		"Accepted formats, detected per line and mixed freely: charon filelog (with or without\n"
		"ike_name, any time_format), syslog (charon[pid]:, ipsec[pid]:, charon:, RFC 3164 and\n"
		"5424, with or without NN[IKE]), pfSense/OPNsense ipsec.log and their GUI copies\n"
		"(newest-first is detected and read backwards), swanctl --initiate / ipsec up output,\n"
		"journalctl -o export/short/short-iso output. Files are streamed: memory stays bounded\n"
		"whatever their size. With no LOG, standard input is read unless it is a terminal.\n",
	.opts = doctor_opts,
	.tail =
		"classes: healthy ike_proposal_mismatch dh_group_mismatch child_proposal_mismatch\n"
		"  pfs_mismatch ts_mismatch ts_narrowed psk_mismatch id_mismatch auth_failed cert_problem\n"
		"  no_ike_config peer_unreachable nat_t_blocked version_mismatch dpd_timeout rekey_failure\n"
		"  gave_up half_open kernel_failure unsupported_algorithm config_error unknown\n"
		"  (docs/doctor.md explains each one)\n"
		"\n"
		"exit status: 0 every tunnel seen is healthy (or none was seen), 1 a problem was found\n"
		"(a failing verdict, or a live check with a problem; warnings do not count), 2 usage or\n"
		"input error (missing, unreadable or directory LOG or config, or a LOG without a single\n"
		"charon line: \"not a charon log\")\n"
		"\n"
		"examples:\n"
		"  tunnelctl doctor /var/log/charon.log\n"
		"  tunnelctl doctor a.log b.log            # both sides of a tunnel\n"
		"  journalctl -u strongswan -o short-iso | tunnelctl doctor --json -\n"
		"  tunnelctl doctor --journal --since 1h\n"
		"  tunnelctl doctor -c tunnels.conf --peer-config peer-swanctl.conf a.log\n"
		"  tunnelctl doctor --live\n",
};

/* --since: an absolute local time or an age (30m, 2h, 1d); microseconds since the epoch. */
static int parse_since(const char *s, void *field)
{
	uint64_t *usec = field;
	static const char *const fmts[] = { "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
					    "%Y-%m-%d %H:%M", "%Y-%m-%d" };
	char *end;
	unsigned long long n = strtoull(s[0] == '-' ? s + 1 : s, &end, 10);
	struct tm tm;

	if (end != s && *end && !end[1] && strchr("smhd", *end)) {
		unsigned long long unit = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : 86400;
		time_t now = time(NULL);
		if (n * unit > (unsigned long long)now)
			return -ERANGE;
		*usec = (uint64_t)(now - (time_t)(n * unit)) * 1000000u;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(fmts); i++) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, fmts[i], &tm);
		if (end && !*end) {
			tm.tm_isdst = -1;
			time_t t = mktime(&tm);
			if (t < 0)
				return -ERANGE;
			*usec = (uint64_t)t * 1000000u;
			return 0;
		}
	}
	return -EINVAL;
}

/* Valid UTF-8 copy of s: invalid bytes become '?'. Caller frees. */
static char *utf8_clean(const char *s)
{
	size_t n = strlen(s);
	char *o = xmalloc(n + 1);
	size_t i = 0, k = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
			   : (c & 0xf8) == 0xf0 ? 4 : 0;
		bool ok = len > 0 && i + len <= n && !(len == 2 && c < 0xc2);
		for (size_t j = 1; ok && j < len; j++)
			ok = ((unsigned char)s[i + j] & 0xc0) == 0x80;
		if (ok && len == 3) {
			unsigned char c1 = (unsigned char)s[i + 1];
			ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);
		}
		if (ok && len == 4) {
			unsigned char c1 = (unsigned char)s[i + 1];
			ok = !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90) && c <= 0xf4;
		}
		if (!ok) {
			o[k++] = '?';
			i++;
			continue;
		}
		memcpy(o + k, s + i, len);
		k += len;
		i += len;
	}
	o[k] = '\0';
	return o;
}

static json_t *jstr(const char *s)
{
	char *c = utf8_clean(s);
	json_t *j = json_string(c);
	free(c);
	return j;
}

static json_t *json_verdicts(const struct doctor *d, const struct doctor_verdict *v, size_t n,
			     bool with_class)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *ev = json_array(), *o;
		for (size_t k = 0; k < v[i].n_ev; k++)
			json_array_append_new(ev, json_pack("{s:o, s:I, s:o}", "file",
							    jstr(doctor_input_label(d, v[i].ev[k].input)),
							    "line", (json_int_t)v[i].ev[k].line,
							    "text", jstr(v[i].ev[k].text)));
		o = json_object();
		if (with_class)
			json_object_set_new(o, "class", json_string(doctor_class_names[v[i].cls]));
		json_object_set_new(o, "tunnel", jstr(v[i].tunnel));
		json_object_set_new(o, "side", json_string(v[i].side));
		json_object_set_new(o, "summary", jstr(v[i].summary));
		json_object_set_new(o, "evidence", ev);
		json_object_set_new(o, "fix", v[i].fix[0] ? jstr(v[i].fix) : json_null());
		json_array_append_new(a, o);
	}
	return a;
}

static void print_json(const struct doctor *d, const struct doctor_verdict *v, size_t n,
		       const struct doctor_verdict *w, size_t nw, const struct doctor_live_report *live)
{
	json_t *top = json_pack("{s:o}", "verdicts", json_verdicts(d, v, n, true));

	if (nw)
		json_object_set_new(top, "warnings", json_verdicts(d, w, nw, false));
	if (live) {
		json_t *a = json_array();
		for (size_t i = 0; i < live->n; i++)
			json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:o}", "check", live->c[i].name,
							   "status", doctor_live_status_names[live->c[i].status],
							   "detail", jstr(live->c[i].detail),
							   "fix", live->c[i].fix[0] ? jstr(live->c[i].fix)
										  : json_null()));
		json_object_set_new(top, "live", a);
	}
	json_write(stdout, top);
}

/* A verdict that fails the run (exit 1): all but healthy and ts_narrowed, whose SA is up and
 * carries what it covers (docs/doctor-configs.md: narrowing that installs the child is normal,
 * a warning that names what is not tunnelled). */
static bool verdict_is_problem(enum doctor_class c)
{
	return c != DOCTOR_HEALTHY && c != DOCTOR_TS_NARROWED;
}

/* What went wrong reading a LOG, in words (the reader's limits, docs/doctor.md). */
static const char *read_error(int err)
{
	switch (err) {
	case -EFBIG:
		return "more than 1 GiB from a pipe or standard input; save the log to a file and "
		       "give the file";
	case -ETIMEDOUT:
		return "nothing received for 60 s (a FIFO without a writer?)";
	case -ENODEV:
		return "a device or socket, not a log file";
	default:
		return strerror(-err);
	}
}

/* --messages: the message catalogue, as docs/doctor-messages.md shows it, or as JSON. */
static int print_messages(bool json)
{
	size_t n;
	const struct doctor_pattern *rows = doctor_events_catalogue(&n);

	if (json) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}", "message", rows[i].pat,
							   "class", rows[i].cls == DOCTOR_NO_CLASS ? "-"
							   : doctor_class_names[rows[i].cls],
							   "meaning", rows[i].why, "source", rows[i].src));
		json_write(stdout, json_pack("{s:o}", "messages", a));
		return TC_EXIT_OK;
	}
	struct buf b;
	buf_init(&b);
	doctor_events_markdown(&b);
	fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
	return TC_EXIT_OK;
}

static void print_evidence(const struct doctor *d, const struct doctor_verdict *v)
{
	for (size_t k = 0; k < v->n_ev; k++)
		printf("    %s:%lu: %s\n", doctor_input_label(d, v->ev[k].input), v->ev[k].line, v->ev[k].text);
	if (v->fix[0])
		printf("  fix: %s\n", v->fix);
}

static void print_human(const struct doctor *d, const struct doctor_verdict *v, size_t n,
			const struct doctor_verdict *w, size_t nw, const struct doctor_live_report *live,
			bool colour, bool any_input)
{
	const char *red = colour ? "\033[1;31m" : "", *green = colour ? "\033[1;32m" : "";
	const char *yellow = colour ? "\033[1;33m" : "";
	const char *bold = colour ? "\033[1m" : "", *off = colour ? "\033[0m" : "";
	size_t bad = 0, narrowed = 0, tunnels = 0;

	/* a tunnel judged from its logs and from its configs is still one tunnel */
	for (size_t i = 0; i < n; i++) {
		bool first = true, ok = true, warn = false;
		for (size_t j = 0; j < n; j++)
			if (strcmp(v[j].tunnel, v[i].tunnel) == 0) {
				first = first && j >= i;
				ok = ok && !verdict_is_problem(v[j].cls);
				warn = warn || v[j].cls == DOCTOR_TS_NARROWED;
			}
		tunnels += first;
		bad += first && !ok;
		narrowed += first && ok && warn;
	}
	for (size_t i = 0; i < n; i++) {
		bool ok = v[i].cls == DOCTOR_HEALTHY;
		const char *col = ok ? green : verdict_is_problem(v[i].cls) ? red : yellow;
		printf("%s%s%s: %s%s%s [%s] (%s)\n", bold, v[i].tunnel, off, col,
		       doctor_class_words[v[i].cls], off, doctor_class_names[v[i].cls],
		       strcmp(v[i].side, "both") == 0 ? "both sides" : v[i].side);
		printf("  %s\n", v[i].summary);
		print_evidence(d, &v[i]);
		printf("\n");
	}
	for (size_t i = 0; i < nw; i++) {
		printf("%s%s%s: %swarning%s\n  %s\n", bold, w[i].tunnel, off, yellow, off, w[i].summary);
		print_evidence(d, &w[i]);
		printf("\n");
	}
	if (live) {
		for (size_t i = 0; i < live->n; i++) {
			const struct doctor_live_check *c = &live->c[i];
			const char *col = c->status == DOCTOR_LIVE_OK ? green : c->status == DOCTOR_LIVE_PROBLEM ? red
								  : yellow;
			printf("live %-12s %s%-7s%s %s\n", c->name, col, doctor_live_status_names[c->status], off,
			       c->detail);
			if (c->fix[0])
				printf("  fix: %s\n", c->fix);
		}
		printf("\n");
	}
	/* an attempt cut short is an unknown verdict of its own: n is 0 only without IKE activity */
	if (n == 0 && any_input)
		printf("no IKE activity found in the logs\n");
	else if (n && narrowed)
		printf("%zu tunnel%s with a problem, %zu healthy, %zu up but narrowed (a warning)\n",
		       bad, bad == 1 ? "" : "s", tunnels - bad - narrowed, narrowed);
	else if (n)
		printf("%zu tunnel%s with a problem, %zu healthy\n", bad, bad == 1 ? "" : "s",
		       tunnels - bad);
}

/* Classes a config comparison can name; a log verdict outside them is not a disagreement. */
static bool conf_can_show(enum doctor_class c)
{
	static const enum doctor_class v[] = {
		DOCTOR_VERSION_MISMATCH, DOCTOR_NO_IKE_CONFIG, DOCTOR_IKE_PROPOSAL_MISMATCH,
		DOCTOR_DH_GROUP_MISMATCH, DOCTOR_PSK_MISMATCH, DOCTOR_ID_MISMATCH, DOCTOR_AUTH_FAILED,
		DOCTOR_CHILD_PROPOSAL_MISMATCH, DOCTOR_TS_MISMATCH, DOCTOR_PFS_MISMATCH,
		DOCTOR_TS_NARROWED, DOCTOR_HEALTHY,
	};
	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		if (v[i] == c)
			return true;
	return false;
}

/* Log verdicts then config verdicts, each config verdict saying whether the logs agree;
 * sorted most important first (stable). Summaries in *owned are the caller's to free. */
static struct doctor_verdict *merge_verdicts(const struct doctor_verdict *lv, size_t nl,
					     const struct doctor_conf_result *cr, size_t *n, char ***owned)
{
	struct doctor_verdict *all = xcalloc(nl + cr->n + 1, sizeof(*all));
	char **own = xcalloc(cr->n + 1, sizeof(*own));

	memcpy(all, lv, nl * sizeof(*lv));
	for (size_t i = 0; i < cr->n; i++) {
		const struct doctor_verdict *c = &cr->v[i], *l = NULL;
		all[nl + i] = *c;
		for (size_t k = 0; k < nl && !l; k++)
			if (strcmp(lv[k].tunnel, c->tunnel) == 0)
				l = &lv[k];
		if (!l)
			continue;
		if (l->cls == c->cls)
			own[i] = xasprintf("%s. The logs agree.", c->summary);
		else if (l->cls == DOCTOR_AUTH_FAILED &&
			 (c->cls == DOCTOR_PSK_MISMATCH || c->cls == DOCTOR_ID_MISMATCH))
			own[i] = xasprintf("%s. The logs agree: they show the authentication failure, the "
					   "configs its cause.", c->summary);
		else if (l->cls == DOCTOR_TS_NARROWED && c->cls == DOCTOR_HEALTHY)
			own[i] = xasprintf("%s. The logs agree: the SA came up narrowed (the configs' warning "
					   "names what is not tunnelled).", c->summary);
		else if (!conf_can_show(l->cls) && c->cls == DOCTOR_HEALTHY)
			own[i] = xasprintf("%s. The logs say %s, which configs cannot show: see that verdict.",
					   c->summary, doctor_class_names[l->cls]);
		else
			own[i] = xasprintf("%s. The logs disagree: they say %s.", c->summary,
					   doctor_class_names[l->cls]);
		all[nl + i].summary = own[i];
	}
	*n = nl + cr->n;
	for (size_t i = 1; i < *n; i++)
		for (size_t k = i; k > 0 && all[k - 1].cls > all[k].cls; k--) {
			struct doctor_verdict t = all[k];
			all[k] = all[k - 1];
			all[k - 1] = t;
		}
	*owned = own;
	return all;
}

/* Read one config into *side; a config with errors becomes a config_error verdict. 0 or the
 * exit code of an input error. */
static int read_config(const char *path, const char *side_name, struct doctor *d,
		       struct doctor_conf_result *r, struct doctor_conf_side **side, bool json)
{
	struct tc_errors errs = { 0 };
	int err = doctor_conf_read_path(path, side, &errs), rc = TC_EXIT_OK;

	if (err == -EINVAL) {
		doctor_conf_read_add_errors(r, d, path, side_name, &errs);
	} else if (err == -EBADMSG) {
		cmd_print_errors(&errs);
		rc = TC_EXIT_USAGE;
	} else if (err) {
		cmd_err("doctor", "%s: %s", path, strerror(-err));
		rc = TC_EXIT_USAGE;
	}
	for (size_t i = 0; i < errs.n && !json && err == 0; i++)
		fprintf(stderr, "tunnelctl doctor: %s:%u:%u: warning: %s\n", errs.v[i].file,
			errs.v[i].line, errs.v[i].col, errs.v[i].msg);
	tc_errors_free(&errs);
	return rc;
}

int cmd_doctor(int argc, char **argv, const struct tc_ctx *ctx)
{
	struct doctor_args a = { .json = false };
	bool journal;
	const char *journal_dir;
	uint64_t since;
	char dash[] = "-", *stdin_only[] = { dash, NULL };
	const struct doctor_verdict *v = NULL;
	struct doctor_verdict *all = NULL;
	struct doctor_conf_result cr = { 0 };
	struct doctor_conf_side *mine = NULL, *theirs = NULL;
	struct doctor_live_report live = { .n = 0 };
	const char *config = NULL, *peer_config = NULL;
	struct doctor *d;
	bool json, want_live;
	int c, rc = TC_EXIT_OK;
	size_t n = 0, n_all = 0;
	char **logs, **owned = NULL, *charon_log = NULL, *live_logs[2] = { NULL, NULL };
	int n_logs;

	c = cmd_parse(&cmd_doctor_spec, argc, argv, &a);
	if (c < 0)
		return CMD_PARSE_EXIT(c);
	json = a.json;
	want_live = a.live;
	journal = a.journal != NULL;
	journal_dir = journal && *a.journal ? a.journal : NULL;
	since = a.since;
	peer_config = a.peer_config;
	if (a.messages)
		return print_messages(json);
	/* --config is a global option (main.c); --peer-config alone compares the default tunnel file */
	if (ctx->conf_given || peer_config)
		config = ctx->conf;
	if (since && !journal) {
		cmd_err("doctor", "--since applies to --journal only");
		return TC_EXIT_USAGE;
	}
	logs = argv + c;
	n_logs = argc - c;
	/* --live alone also judges charon's recent log: the file tunnelctl configures */
	if (want_live && n_logs == 0 && !journal) {
		charon_log = cmd_charon_log(ctx);
		if (access(charon_log, R_OK) == 0) {
			live_logs[0] = charon_log;
			logs = live_logs;
			n_logs = 1;
		}
	}
	if (n_logs == 0 && !journal && !config && !want_live) {
		if (isatty(STDIN_FILENO)) {
			cmd_err("doctor", "no LOG given and standard input is a terminal (see --help)");
			return TC_EXIT_USAGE;
		}
		logs = stdin_only;
		n_logs = 1;
	}

	d = doctor_new();
	if (journal) {
		int err = doctor_read_journal(d, journal_dir, since);
		if (err) {
			cmd_err("doctor", "journal%s%s: %s", journal_dir ? " " : "",
				journal_dir ? journal_dir : "", strerror(-err));
			rc = TC_EXIT_USAGE;
		}
	}
	for (int i = 0; i < n_logs; i++) {
		bool newest_first;
		unsigned input = doctor_input_count(d);
		int err = doctor_read_path(d, logs[i], &newest_first);
		if (err) {
			cmd_err("doctor", "%s: %s", logs[i], read_error(err));
			rc = TC_EXIT_USAGE;
		} else if (doctor_input_charon_lines(d, input) == 0) {
			/* nothing to judge, and judging nothing as healthy would mislead */
			cmd_err("doctor", "not a charon log: %s (no line has charon's prefix or a "
				"message charon logs)", logs[i]);
			rc = TC_EXIT_USAGE;
		} else if (newest_first && !json) {
			fprintf(stderr, "tunnelctl doctor: %s is newest-first; reading it backwards\n",
				logs[i]);
		}
	}
	if (rc == TC_EXIT_OK)
		n = doctor_finish(d, &v);
	/* configs: read both, compare when both load */
	if (rc == TC_EXIT_OK && config)
		rc = read_config(config, "local", d, &cr, &mine, json);
	if (rc == TC_EXIT_OK && peer_config)
		rc = read_config(peer_config, "peer", d, &cr, &theirs, json);
	if (rc == TC_EXIT_OK && mine && theirs)
		doctor_conf_compare(mine, theirs, d, &cr);
	else if (rc == TC_EXIT_OK && mine && !peer_config && cr.n == 0) {
		doctor_conf_check(mine, d, &cr);
		if (cr.n == 0 && !json)
			fprintf(stderr, "tunnelctl doctor: %s loads (%zu connection%s); give --peer-config to "
				"compare it with the other side\n", config, doctor_conf_side_count(mine),
				doctor_conf_side_count(mine) == 1 ? "" : "s");
	}
	if (rc == TC_EXIT_OK && want_live) {
		struct doctor_live_opts lo = { .vici = ctx->vici };
		if (doctor_live_run(&lo, &live) > 0)
			rc = TC_EXIT_FAIL;
	}
	if (rc == TC_EXIT_OK || rc == TC_EXIT_FAIL) {
		all = merge_verdicts(v, n, &cr, &n_all, &owned);
		if (json)
			print_json(d, all, n_all, cr.warn, cr.n_warn, want_live ? &live : NULL);
		else
			print_human(d, all, n_all, cr.warn, cr.n_warn, want_live ? &live : NULL,
				    isatty(STDOUT_FILENO) && !getenv("NO_COLOR"), n_logs > 0 || journal);
		for (size_t i = 0; i < n_all; i++)
			if (verdict_is_problem(all[i].cls))
				rc = TC_EXIT_FAIL;
	}
	for (size_t i = 0; owned && i < cr.n; i++)
		free(owned[i]);
	free(owned);
	free(all);
	doctor_conf_result_free(&cr);
	doctor_conf_side_free(mine);
	doctor_conf_side_free(theirs);
	doctor_live_report_free(&live);
	doctor_free(d);
	free(charon_log);
	return rc;
}
