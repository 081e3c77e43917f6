/* timeline.c - the daemon's writer of the per-tunnel history: observations and keep-alive
 * decisions in, records (state_history_append) and summaries out. */
#include "timeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "history.h"
#include "keepalive.h"
#include "naming.h"
#include "state.h"
#include "util.h"

/* What the daemon knows of one child's timeline. */
struct tl_name {
	char name[NAMING_MAX];
	bool seen;			/* observed at least once since the daemon started */
	bool up;			/* as of the last observation or decision */
	char verdict[HISTORY_CLASS_MAX];	/* the class last recorded in this outage, "" none */
	int64_t written_ms;		/* when we last wrote a record (0: not since start) */
	int64_t summary_ms;		/* when summary was computed (0: never) */
	json_t *summary;
};

struct timeline {
	char *state_dir;
	int64_t alive_ms;	/* when the alive mark was last saved (0: not yet) */
	struct tl_name *v;
	size_t n, cap;
};

/* The keep-alive actions recorded, and how. */
static const struct {
	const char *action;
	enum history_kind kind;
	bool sparse;		/* only attempts 1, 2, 4, 8, ... */
} decision_kinds[] = {
	{ "initiate", HISTORY_INITIATE, true },
	{ "restart", HISTORY_RESTART, false },
	{ "failed", HISTORY_FAILED, true },
	{ "dead", HISTORY_DEAD, false },
	{ "stalled", HISTORY_STALLED, false },
	{ "up", HISTORY_UP, false },
};

struct timeline *timeline_new(const char *state_dir)
{
	struct timeline *tl = xcalloc(1, sizeof(*tl));

	tl->state_dir = xstrdup(state_dir);
	return tl;
}

void timeline_free(struct timeline *tl)
{
	if (!tl)
		return;
	for (size_t i = 0; i < tl->n; i++)
		json_decref(tl->v[i].summary);
	free(tl->v);
	free(tl->state_dir);
	free(tl);
}

static struct tl_name *name_get(struct timeline *tl, const char *name)
{
	struct tl_name *t;

	for (size_t i = 0; i < tl->n; i++)
		if (strcmp(tl->v[i].name, name) == 0)
			return &tl->v[i];
	if (tl->n >= TIMELINE_MAX_NAMES || strlen(name) >= NAMING_MAX || !name[0])
		return NULL;
	if (tl->n == tl->cap) {
		tl->cap = tl->cap ? tl->cap * 2 : 16;
		tl->v = xrealloc(tl->v, tl->cap * sizeof(*tl->v));
	}
	t = &tl->v[tl->n++];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	return t;
}

/* Append one record (best effort: the history is a report, never a reason to stop). */
static void record(struct timeline *tl, struct tl_name *t, enum history_kind kind, const char *cls, const char *reason)
{
	struct history_rec r = { .time_ms = wall_ms(), .kind = kind };

	snprintf(r.cls, sizeof(r.cls), "%s", cls ? cls : "");
	snprintf(r.reason, sizeof(r.reason), "%s", reason ? reason : "");
	if (state_history_append(tl->state_dir, t->name, &r, true) == 0)
		t->written_ms = r.time_ms;
}

static bool child_up(const json_t *ike, const json_t *child)
{
	const char *is = json_string_value(json_object_get(ike, "state"));
	const char *cs = json_string_value(json_object_get(child, "state"));

	if (!str_eq(is, "ESTABLISHED") && !str_eq(is, "REKEYING"))
		return false;
	return str_eq(cs, "INSTALLED") || str_eq(cs, "REKEYING") || str_eq(cs, "REKEYED") || str_eq(cs, "UPDATING");
}

/* One child name's state across every IKE SA entry of sas (several during a reauthentication),
 * and the verdict of a down one. */
struct tl_seen {
	bool up;
	const char *verdict, *summary;
	const char *ike_state;
};

static void seen_of(const json_t *sas, const char *name, struct tl_seen *s)
{
	const json_t *ike, *c;
	size_t i, j;

	memset(s, 0, sizeof(*s));
	json_array_foreach(sas, i, ike) {
		json_array_foreach(json_object_get(ike, "children"), j, c) {
			if (!str_eq(json_string_value(json_object_get(c, "name")), name))
				continue;
			s->up |= child_up(ike, c);
			s->ike_state = json_string_value(json_object_get(ike, "state"));
			const json_t *v = json_object_get(ike, "verdict");
			if (v && !s->verdict) {
				s->verdict = json_string_value(json_object_get(v, "class"));
				s->summary = json_string_value(json_object_get(v, "summary"));
			}
		}
	}
}

void timeline_observe(struct timeline *tl, const json_t *sas, const char *why)
{
	const json_t *ike, *c;
	size_t i, j;
	char reason[HISTORY_REASON_MAX];

	json_array_foreach(sas, i, ike) {
		if (!json_object_get(ike, "ikeid"))
			continue;	/* not in the tunnel file (removed, not yet applied) */
		json_array_foreach(json_object_get(ike, "children"), j, c) {
			const char *name = json_string_value(json_object_get(c, "name"));
			struct tl_name *t = name ? name_get(tl, name) : NULL;
			struct tl_seen s;

			if (!t)
				continue;
			seen_of(sas, name, &s);
			/* being negotiated: not down yet, and the doctor's verdict is premature (a
			 * failed attempt is recorded by the keep-alive, or seen once it is over) */
			if (!s.up && str_eq(s.ike_state, "CONNECTING"))
				continue;
			if (!t->seen || s.up != t->up) {
				if (s.up)
					snprintf(reason, sizeof(reason), "child SA installed (%s)", why);
				else
					snprintf(reason, sizeof(reason), "no child SA installed, IKE SA %s (%s)",
						 s.ike_state ? s.ike_state : "none", why);
				record(tl, t, s.up ? HISTORY_UP : HISTORY_DOWN, NULL, reason);
				t->verdict[0] = '\0';
			}
			t->seen = true;
			t->up = s.up;
			if (!s.up && s.verdict && !str_eq(s.verdict, t->verdict)) {
				record(tl, t, HISTORY_VERDICT, s.verdict, s.summary);
				snprintf(t->verdict, sizeof(t->verdict), "%s", s.verdict);
			}
		}
	}
}

void timeline_rekey(struct timeline *tl, const char *child)
{
	struct tl_name *t = name_get(tl, child);

	if (t)
		record(tl, t, HISTORY_REKEY, NULL, "child-rekey event: new child SA, new keys");
}

void timeline_ike_rekey(struct timeline *tl, const char *ike)
{
	unsigned id, reqid, cid, creqid;

	/* the event names no children (they move to the new IKE SA): every child of conN the
	 * timeline knows */
	if (!naming_parse(ike, &id, &reqid) || reqid)
		return;
	for (size_t i = 0; i < tl->n; i++)
		if (tl->v[i].seen && naming_parse(tl->v[i].name, &cid, &creqid) && cid == id)
			record(tl, &tl->v[i], HISTORY_REKEY, NULL, "ike-rekey event: new IKE SA, new keys");
}

void timeline_decision(struct timeline *tl, const struct keepalive_decision *d)
{
	struct tl_name *t;

	for (size_t i = 0; i < ARRAY_SIZE(decision_kinds); i++) {
		if (!str_eq(d->action, decision_kinds[i].action))
			continue;
		t = name_get(tl, d->tunnel);
		if (!t)
			return;
		/* the keep-alive found it down (list-sas) before a refresh of ours did: charon or
		 * the daemon brought it back within the cache's settle time */
		if (decision_kinds[i].kind == HISTORY_INITIATE && t->seen && t->up) {
			record(tl, t, HISTORY_DOWN, NULL, d->reason);
			t->up = false;
		}
		if (decision_kinds[i].sparse && (d->attempts & (d->attempts - 1)) != 0)
			return;
		record(tl, t, decision_kinds[i].kind, NULL, d->reason);
		if (decision_kinds[i].kind == HISTORY_UP) {
			t->up = true;
			t->seen = true;
			t->verdict[0] = '\0';
		}
		return;
	}
}

void timeline_stop(struct timeline *tl, const char *reason)
{
	for (size_t i = 0; i < tl->n; i++)
		if (tl->v[i].seen)
			record(tl, &tl->v[i], HISTORY_STOP, NULL, reason);
	state_history_alive_clear(tl->state_dir);
}

void timeline_alive(struct timeline *tl)
{
	int64_t now = wall_ms();

	if (tl->alive_ms && now - tl->alive_ms < TIMELINE_ALIVE_MS && now >= tl->alive_ms)
		return;
	if (state_history_alive_save(tl->state_dir, now) == 0)
		tl->alive_ms = now;
}

size_t timeline_recover(struct timeline *tl)
{
	struct history_rec r = { .kind = HISTORY_STOP };
	char **names = NULL;
	size_t n = 0, stopped = 0;

	if (state_history_alive_load(tl->state_dir, &r.time_ms) != 0)
		return 0;
	/* a mark this fresh may be another daemon's that is still running (nothing stops two):
	 * leave it; after a quick restart the time lost is seconds */
	if (wall_ms() - r.time_ms < 2 * TIMELINE_ALIVE_MS || state_history_names(tl->state_dir, &names, &n))
		return 0;
	snprintf(r.reason, sizeof(r.reason), "the daemon ended without stopping (killed or crashed): "
					       "last known running then");
	for (size_t i = 0; i < n; i++) {
		struct history h = { 0 };

		/* a timeline that said something known then ends at the last sign of life, not
		 * when a daemon runs again */
		if (state_history_load(tl->state_dir, names[i], &h) == 0 &&
		    history_state_at(&h, r.time_ms) != HISTORY_S_UNKNOWN &&
		    state_history_append(tl->state_dir, names[i], &r, false) == 0)
			stopped++;
		history_free(&h);
		free(names[i]);
	}
	free(names);
	state_history_alive_clear(tl->state_dir);
	return stopped;
}

/* The summary of one timeline as the status document carries it. */
static json_t *summary_of(const char *state_dir, const char *name, int64_t now)
{
	struct history h = { 0 };
	json_t *o, *recent;

	if (state_history_load(state_dir, name, &h) != 0) {
		history_free(&h);
		return NULL;
	}
	o = history_summary_json(&h, now);
	recent = json_array();
	for (size_t i = h.n > TIMELINE_RECENT ? h.n - TIMELINE_RECENT : 0; i < h.n; i++)
		json_array_append_new(recent, history_rec_json(&h.v[i]));
	json_object_set_new(o, "recent", recent);
	history_free(&h);
	return o;
}

json_t *timeline_summaries(struct timeline *tl)
{
	json_t *all = json_object();
	int64_t now = wall_ms();

	for (size_t i = 0; i < tl->n; i++) {
		struct tl_name *t = &tl->v[i];
		if (!t->summary || t->written_ms >= t->summary_ms || now - t->summary_ms >= TIMELINE_SUMMARY_MS) {
			json_decref(t->summary);
			t->summary = summary_of(tl->state_dir, t->name, now);
			t->summary_ms = now;
		}
		if (t->summary)
			json_object_set(all, t->name, t->summary);
	}
	return all;
}
