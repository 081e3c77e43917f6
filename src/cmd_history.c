/* cmd_history.c - `tunnelctl history [NAME]`: each tunnel's timeline (STATE_DIR/history,
 * written by the daemon and by `tunnelctl up/down`) and its availability over the last day
 * and week (issue 17). Reads files only: works without charon and without the daemon. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "history.h"
#include "json.h"
#include "naming.h"
#include "state.h"
#include "table.h"
#include "tunnel.h"
#include "util.h"

#define HISTORY_SHOWN 30	/* records printed per tunnel without --all */
#define STR_(x) #x
#define STR(x) STR_(x)

struct history_args {
	bool json, all;
};

static const struct opt_def history_opts[] = {
	{ .name = "json", OPT_FLAG(struct history_args, json),
	  .help = "{\"now\", \"tunnels\": [{\"name\", \"state\", \"day\", \"week\", \"strip\", \"records\", "
		  "\"damaged\", \"events\": [{\"time\", \"event\", \"class\", \"reason\"}]}]}",
	  .more = "day and week: {\"percent_up\", \"up_seconds\", \"down_seconds\", \"manual_seconds\", "
		  "\"unknown_seconds\", \"outages\", \"longest_outage_seconds\", \"recovered\", "
		  "\"mttr_seconds\", \"ongoing_since\"?}; events only with NAME" },
	{ .name = "all", OPT_FLAG(struct history_args, all),
	  .help = "every record kept, not only the last " STR(HISTORY_SHOWN) },
	CMD_OPT_CONFIG,
	CMD_OPT_STATE_DIR,
	{ .name = NULL },
};

const struct opt_spec cmd_history_spec = {
	.verb = "history",
	.operands = "at most one NAME (conN, conN_M, a description or N)",
	.max_operands = 1,
	.usage = "usage: tunnelctl history [--json] [--all] [NAME]\n",
	.about =
		"Each tunnel's timeline and how available it was. The daemon records every change it\n"
		"sees (up, down, rekey), what the keep-alive did (initiate, restart, failed, dead,\n"
		"stalled) and the doctor's class for a tunnel that is down; `tunnelctl down` and `up`\n"
		"record manual-down and manual-up. The timeline lives in STATE_DIR/history (one file per\n"
		"child, at most 512 KiB each with its rotated part; docs/commands.md \"history\").\n"
		"\n"
		"Without NAME: one row per tunnel with a timeline: its state now, percent up over the last\n"
		"24 h and 7 days, the outages in the last 24 h, the longest, the mean time to recover, and\n"
		"a 24 h strip (one character per 15 minutes: u up, d some down time, m manually down,\n"
		"- not known: the daemon was not running). With NAME (conN, conN_M, a phase 1\n"
		"description or N): the same for its children, then the last " STR(HISTORY_SHOWN) " records of each.\n"
		"Manually down time and time the daemon did not watch count neither as up nor as down.\n",
	.opts = history_opts,
	.tail =
		"exit status: 0 shown, 1 no timeline recorded yet (for NAME, or at all), 2 usage error or\n"
		"no such tunnel\n"
		"\n"
		"examples:\n"
		"  tunnelctl history\n"
		"  tunnelctl history con1\n"
		"  tunnelctl history --json HQ | jq '.tunnels[].day.percent_up'\n",
};

/* "99.72 %", or "-" when the window saw neither up nor down time. */
static void fmt_percent(const struct history_avail *a, char *out, size_t len)
{
	double p = history_percent_up(a);

	if (p < 0)
		snprintf(out, len, "-");
	else
		snprintf(out, len, "%.2f %%", (double)(long long)(p * 100 + 0.5) / 100);
}

static void fmt_ms(int64_t ms, char *out, size_t len)
{
	fmt_duration((long long)(ms / 1000), out, len);
}

static void fmt_time(int64_t ms, char *out, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* One tunnel's timeline, loaded. */
struct hist_one {
	char name[NAMING_MAX];
	struct history h;
	struct history_avail day, week;
	char strip[HISTORY_STRIP_SLOTS + 1];
};

static void summary_row(struct table *t, const struct hist_one *o, int64_t now)
{
	char dayp[16], weekp[16], outages[48], longest[16], mttr[16];

	fmt_percent(&o->day, dayp, sizeof(dayp));
	fmt_percent(&o->week, weekp, sizeof(weekp));
	snprintf(outages, sizeof(outages), "%u%s", o->day.outages, o->day.ongoing ? " (1 ongoing)" : "");
	if (o->day.outages)
		fmt_ms(o->day.longest_ms, longest, sizeof(longest));
	else
		snprintf(longest, sizeof(longest), "-");
	if (o->day.recovered)
		fmt_ms(o->day.recover_ms / o->day.recovered, mttr, sizeof(mttr));
	else
		snprintf(mttr, sizeof(mttr), "-");
	table_add_row(t, (const char *[]){ o->name, history_state_names[history_state_at(&o->h, now)], dayp, weekp,
					    outages, longest, mttr, o->strip });
}

static void print_records(const struct hist_one *o, bool all)
{
	struct table t;
	char when[32];
	size_t from = !all && o->h.n > HISTORY_SHOWN ? o->h.n - HISTORY_SHOWN : 0;

	printf("\n%s: %zu record%s%s", o->name, o->h.n, o->h.n == 1 ? "" : "s",
	       from ? " (the last " STR(HISTORY_SHOWN) " shown; --all for every one)" : "");
	if (o->h.damaged)
		printf(", %zu damaged line%s skipped", o->h.damaged, o->h.damaged == 1 ? "" : "s");
	printf("\n");
	table_init(&t, (const char *[]){ "TIME", "EVENT", "CLASS", "REASON", NULL });
	for (size_t i = from; i < o->h.n; i++) {
		const struct history_rec *r = &o->h.v[i];
		fmt_time(r->time_ms, when, sizeof(when));
		table_add_row(&t, (const char *[]){ when, history_kind_names[r->kind], r->cls[0] ? r->cls : NULL, r->reason });
	}
	table_print(&t, stdout);
	table_free(&t);
}

static json_t *one_json(const struct hist_one *o, int64_t now, bool events, bool all)
{
	json_t *j = json_pack("{s:s, s:s, s:o, s:o, s:s, s:I, s:I}", "name", o->name, "state",
			      history_state_names[history_state_at(&o->h, now)], "day", history_avail_json(&o->day),
			      "week", history_avail_json(&o->week), "strip", o->strip, "records", (json_int_t)o->h.n,
			      "damaged", (json_int_t)o->h.damaged);

	if (events) {
		json_t *a = json_array();
		size_t from = !all && o->h.n > HISTORY_SHOWN ? o->h.n - HISTORY_SHOWN : 0;
		for (size_t i = from; i < o->h.n; i++)
			json_array_append_new(a, history_rec_json(&o->h.v[i]));
		json_object_set_new(j, "events", a);
	}
	return j;
}

/* The child names NAME stands for: a timeline's own name, else what the tunnel file says
 * (every enabled child of a phase 1). 0, or -ENOENT / -EINVAL (ambiguous) / -EIO (the
 * tunnel file has errors, already printed). */
static int names_for(const struct tc_ctx *ctx, const char *name, char ***names, size_t *n)
{
	struct naming_target t;
	struct tunnel_file *tf;
	struct history h = { 0 };
	int rc;

	*names = NULL;
	*n = 0;
	if (state_history_load(ctx->state_dir, name, &h) == 0) {
		history_free(&h);
		*names = xcalloc(1, sizeof(**names));
		(*names)[(*n)++] = xstrdup(name);
		return 0;
	}
	history_free(&h);
	tf = cmd_load_tunnels(ctx);
	if (!tf)
		return -EIO;
	rc = naming_resolve(tf, name, &t);
	if (rc == 0) {
		*names = xcalloc(t.p1->n_p2 + 1, sizeof(**names));
		if (t.p2 || !t.p1->n_p2) {
			(*names)[(*n)++] = xstrdup(t.child[0] ? t.child : t.ike);
		} else {
			char child[NAMING_MAX];
			for (size_t i = 0; i < t.p1->n_p2; i++) {
				if (!t.p1->p2[i].enabled)
					continue;
				naming_child(t.p1, &t.p1->p2[i], child);
				if (*n && strcmp((*names)[*n - 1], child) == 0)
					continue;	/* merged: one conN for every phase 2 */
				(*names)[(*n)++] = xstrdup(child);
			}
		}
	}
	tunnel_file_free(tf);
	return rc;
}

int cmd_history(int argc, char **argv, const struct tc_ctx *ctx)
{
	struct history_args args = { .json = false };
	int first = cmd_parse(&cmd_history_spec, argc, argv, &args);
	struct hist_one *v;
	char **names = NULL;
	size_t n = 0, found = 0;
	int64_t now;
	int rc;

	if (first < 0)
		return CMD_PARSE_EXIT(first);
	if (first < argc) {
		rc = names_for(ctx, argv[first], &names, &n);
		if (rc == -EIO)
			return TC_EXIT_USAGE;
		if (rc == -EINVAL) {
			cmd_err("history", "'%s' is the description of more than one phase 1; use conN", argv[first]);
			return TC_EXIT_USAGE;
		}
		if (rc != 0) {
			cmd_err("history", "no tunnel '%s' in %s and no timeline of that name in %s/history", argv[first],
				ctx->conf, ctx->state_dir);
			return TC_EXIT_USAGE;
		}
	} else if ((rc = state_history_names(ctx->state_dir, &names, &n)) != 0) {
		cmd_err("history", "cannot read %s/history: %s", ctx->state_dir, state_strerror(rc));
		return TC_EXIT_FAIL;
	}

	now = wall_ms();
	v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		struct hist_one *o = &v[i];
		snprintf(o->name, sizeof(o->name), "%s", names[i]);
		rc = state_history_load(ctx->state_dir, names[i], &o->h);
		if (rc != 0 && rc != -ENOENT)
			cmd_err("history", "%s: %s", names[i], state_strerror(rc));
		found += rc == 0;
		history_availability(&o->h, now - HISTORY_DAY_MS, now, &o->day);
		history_availability(&o->h, now - HISTORY_WEEK_MS, now, &o->week);
		history_strip(&o->h, now - HISTORY_DAY_MS, now, HISTORY_STRIP_SLOTS, o->strip);
	}

	if (args.json) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, one_json(&v[i], now, first < argc, args.all));
		json_write(stdout, json_pack("{s:f, s:o}", "now", (double)now / 1000, "tunnels", a));
	} else if (!found) {
		printf("no timeline recorded yet in %s/history (the daemon and `tunnelctl up/down` write it)\n",
		       ctx->state_dir);
	} else {
		struct table t;
		table_init(&t, (const char *[]){ "NAME", "STATE", "24H UP", "7D UP", "OUTAGES 24H", "LONGEST", "MTTR",
						  "LAST 24 H (15 MIN EACH, NEWEST RIGHT)", NULL });
		for (size_t i = 0; i < n; i++)
			summary_row(&t, &v[i], now);
		table_print(&t, stdout);
		table_free(&t);
		for (size_t i = 0; first < argc && i < n; i++)
			print_records(&v[i], args.all);
	}

	for (size_t i = 0; i < n; i++) {
		history_free(&v[i].h);
		free(names[i]);
	}
	free(v);
	free(names);
	return found ? TC_EXIT_OK : TC_EXIT_FAIL;
}
