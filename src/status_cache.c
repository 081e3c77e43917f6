/* status_cache.c - the daemon's status document, rebuilt from list-sas on VICI events and on
 * a timer, never per request (docs/web.md describes the document). */
#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "doctor_tail.h"
#include "keepalive.h"
#include "naming.h"
#include "state.h"
#include "status.h"
#include "status_cache.h"
#include "timeline.h"
#include "vici_client.h"

static const char *const cache_events[] = { "ike-updown", "child-updown", "ike-rekey", "child-rekey" };

/* What the events told us about one name (conN or conN_M). */
struct name_counters {
	char name[NAMING_MAX];
	uint64_t rekeys;
	int64_t last_change;	/* unix seconds of the last updown, 0 if none seen */
};

struct status_cache {
	const struct tc_ctx *ctx;
	const struct tunnel_file *tf;
	struct vici_client *vc;
	/* shared with the web thread, under lock: the published document and how charon answers
	 * (the loop thread is the only writer, so it reads them without the lock) */
	pthread_mutex_t lock;
	json_t *doc;
	uint64_t generation;
	int64_t asking_ms;		/* monotonic start of the VICI call in flight, 0 if none */
	time_t asking_since;		/* the same, wall clock */
	time_t silent_since;		/* a call timed out then, and charon has not answered since; 0 */
	uint64_t vici_calls;
	bool reachable;
	time_t started;
	int64_t next_refresh;	/* monotonic ms */
	int64_t next_connect;
	struct name_counters *names;
	size_t n_names, cap_names;
	char *charon_log;		/* NULL: no doctor */
	struct doctor_tail tail;	/* where the log was read up to */
	json_t *verdicts;		/* IKE SA name -> the doctor's last verdict for it */
	char *diag_down;		/* the down names the last diagnosis was for */
	int64_t next_diag;		/* monotonic ms: diagnose again even if nothing changed */
	int64_t diag_ms;		/* monotonic ms of the last diagnosis */
	off_t diag_size;		/* charon's log size then */
	struct timeline *tl;		/* borrowed: the history writer, or NULL */
	char why[64];			/* what the next refresh is for, for the history's records */
};

/* ---- event counters ---- */

static struct name_counters *counters_get(struct status_cache *sc, const char *name)
{
	struct name_counters *c;

	for (size_t i = 0; i < sc->n_names; i++)
		if (strcmp(sc->names[i].name, name) == 0)
			return &sc->names[i];
	if (sc->n_names >= STATUS_CACHE_MAX_NAMES || strlen(name) >= NAMING_MAX)
		return NULL;
	if (sc->n_names == sc->cap_names) {
		sc->cap_names = sc->cap_names ? sc->cap_names * 2 : 32;
		sc->names = xrealloc(sc->names, sc->cap_names * sizeof(*sc->names));
	}
	c = &sc->names[sc->n_names++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	return c;
}

/* An updown or rekey event: count it per IKE SA name and per child name in it. */
static void counters_event(struct status_cache *sc, const char *event, const struct vici_node *msg)
{
	bool rekey = strstr(event, "rekey") != NULL, child = str_startswith(event, "child");
	time_t now = time(NULL);

	for (size_t i = 0; i < msg->n_child; i++) {
		const struct vici_node *sa = msg->child[i], *cs;
		struct name_counters *c;

		if (sa->type != VICI_NODE_SECTION)
			continue;
		if (!child) {
			c = counters_get(sc, sa->name);
			if (rekey && sc->tl)
				timeline_ike_rekey(sc->tl, sa->name);
			if (c && rekey)
				c->rekeys++;
			else if (c)
				c->last_change = now;
			continue;
		}
		/* child events carry the IKE SA with the child in child-sas (rekey: child-sas in the new SA) */
		cs = vici_child(sa, "child-sas");
		for (size_t j = 0; cs && j < cs->n_child; j++) {
			/* updown: a child as list-sas has it; child-rekey: a section named after
			 * the child, holding "old" and "new" */
			const char *name = vici_find_str(cs->child[j], "name", rekey ? cs->child[j]->name : NULL);

			c = name ? counters_get(sc, name) : NULL;
			if (rekey && name && sc->tl)
				timeline_rekey(sc->tl, name);
			if (c && rekey)
				c->rekeys++;
			else if (c)
				c->last_change = now;
		}
	}
}

/* The event counters of one entry (IKE SA or child row), beside the keep-alive record
 * status_build already put there. */
static void add_keepalive(struct status_cache *sc, json_t *entry, bool child)
{
	const char *name = json_string_value(json_object_get(entry, "name"));
	struct name_counters *c;
	json_t *ka = json_object_get(entry, "keepalive");

	(void)child;
	ka = ka ? json_incref(ka) : json_object();

	if (!name)
		name = "";
	c = counters_get(sc, name);
	if (c) {
		json_object_set_new(ka, "rekeys", json_integer((json_int_t)c->rekeys));
		if (c->last_change)
			json_object_set_new(ka, "last_change", json_integer(c->last_change));
	}
	json_object_set_new(entry, "keepalive", ka);
}

/* ---- the doctor's verdicts for tunnels that are down ---- */

static bool entry_up(const json_t *sa)
{
	const char *state = json_string_value(json_object_get(sa, "state"));
	const json_t *c;
	size_t i;

	if (!str_eq(state, "ESTABLISHED"))
		return false;
	json_array_foreach(json_object_get(sa, "children"), i, c)
		if (!str_eq(json_string_value(json_object_get(c, "state")), "INSTALLED"))
			return false;
	return true;
}

/* The doctor over the recent log, its verdicts kept per IKE SA name. */
static void diagnose(struct status_cache *sc)
{
	const struct doctor_verdict *v;
	struct doctor *d = doctor_new();
	size_t n, i, k;

	json_object_clear(sc->verdicts);
	if (doctor_tail_read(d, sc->charon_log, DOCTOR_TAIL_MAX, &sc->tail) != 0) {
		doctor_free(d);
		return;
	}
	n = doctor_finish(d, &v);
	for (i = 0; i < n; i++) {
		json_t *ev = json_array(), *o;

		if (v[i].cls == DOCTOR_HEALTHY || !v[i].tunnel || json_object_get(sc->verdicts, v[i].tunnel))
			continue;	/* most important first: keep the first per tunnel */
		for (k = 0; k < v[i].n_ev; k++)
			json_array_append_new(ev, json_pack("{s:s, s:I, s:s}", "file",
							    doctor_input_label(d, v[i].ev[k].input), "line",
							    (json_int_t)v[i].ev[k].line, "text", v[i].ev[k].text));
		o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s}", "class", doctor_class_names[v[i].cls], "tunnel",
			      v[i].tunnel, "side", v[i].side ? v[i].side : "unknown", "summary",
			      v[i].summary ? v[i].summary : "", "evidence", ev, "fix", v[i].fix ? v[i].fix : "");
		if (o)
			json_object_set_new(sc->verdicts, v[i].tunnel, o);
	}
	doctor_free(d);
}

/* Run the doctor when the set of down tunnels changed, when charon's log grew (at most every
 * STATUS_CACHE_DIAG_GROWN_MS), and every STATUS_CACHE_DIAG_MS while some stay down; attach
 * each down entry's verdict. */
static void add_verdicts(struct status_cache *sc, json_t *sas)
{
	struct buf down;
	json_t *sa, *v;
	size_t i;

	if (!sc->charon_log)
		return;
	buf_init(&down);
	json_array_foreach(sas, i, sa)
		if (!entry_up(sa))
			buf_printf(&down, "%s ", json_string_value(json_object_get(sa, "name")));
	if (!down.len) {
		json_object_clear(sc->verdicts);
	} else {
		/* charon's log has new lines since the last diagnosis: a refused attempt (PSK,
		 * proposal) begins and ends between two list-sas, so the set of down tunnels does
		 * not change with it, and its lines would otherwise wait STATUS_CACHE_DIAG_MS */
		struct stat st;
		off_t size = stat(sc->charon_log, &st) == 0 ? st.st_size : 0;
		bool grown = size != sc->diag_size && now_ms() >= sc->diag_ms + STATUS_CACHE_DIAG_GROWN_MS;

		if (!str_eq(down.data, sc->diag_down) || now_ms() >= sc->next_diag || grown) {
			sc->diag_size = size;
			diagnose(sc);
			sc->diag_ms = now_ms();
			sc->next_diag = sc->diag_ms + STATUS_CACHE_DIAG_MS;
		}
	}
	free(sc->diag_down);
	sc->diag_down = buf_steal(&down);
	json_array_foreach(sas, i, sa) {
		v = json_object_get(sc->verdicts, json_string_value(json_object_get(sa, "name")));
		if (v && !entry_up(sa))
			json_object_set(sa, "verdict", v);
	}
}

/* ---- the VICI side ---- */

static void disconnect(struct status_cache *sc)
{
	vici_client_close(sc->vc);
	sc->vc = NULL;
	sc->reachable = false;
	sc->next_connect = now_ms() + STATUS_CACHE_RECONNECT_MS;
}

/* A VICI call starts / ended with rc: the web thread sees a call in flight, and a timeout
 * marks charon as not answering until a call ends any other way. */
static void ask_begin(struct status_cache *sc)
{
	pthread_mutex_lock(&sc->lock);
	sc->asking_ms = now_ms();
	sc->asking_since = time(NULL);
	pthread_mutex_unlock(&sc->lock);
}

static void ask_end(struct status_cache *sc, int rc)
{
	pthread_mutex_lock(&sc->lock);
	if (rc != -ETIMEDOUT)
		sc->silent_since = 0;
	else if (!sc->silent_since)
		sc->silent_since = sc->asking_since;
	sc->asking_ms = 0;
	pthread_mutex_unlock(&sc->lock);
}

/* Connect and register. 0, or the -errno of the step that failed (-ETIMEDOUT: charon hangs). */
static int try_connect(struct status_cache *sc)
{
	char *err = NULL;
	int rc = vici_client_connect(sc->ctx->vici, STATUS_CACHE_VICI_TIMEOUT_MS, &sc->vc, &err);

	if (rc != 0) {
		free(err);
		ask_end(sc, rc);	/* not running is not "not answering" */
		disconnect(sc);
		return rc;
	}
	for (size_t i = 0; i < ARRAY_SIZE(cache_events); i++) {
		sc->vici_calls++;
		ask_begin(sc);
		rc = vici_client_register(sc->vc, cache_events[i], STATUS_CACHE_VICI_TIMEOUT_MS, &err);
		ask_end(sc, rc);
		if (rc != 0) {
			free(err);
			disconnect(sc);
			return rc;
		}
	}
	sc->reachable = true;
	return 0;
}

/* Rebuild the document: one list-sas (if charon is there), then the daemon's fields. */
static void refresh(struct status_cache *sc)
{
	struct vici_node **events = NULL;
	size_t n = 0, i, j;
	char *err = NULL;
	json_t *doc, *sas, *sa, *c;
	int rc = 0;

	if (!sc->vc && now_ms() >= sc->next_connect)
		rc = try_connect(sc);
	if (sc->vc) {
		sc->vici_calls++;
		ask_begin(sc);
		rc = vici_client_stream(sc->vc, "list-sas", NULL, "list-sa", STATUS_CACHE_VICI_TIMEOUT_MS, &events,
				       &n, &err);
		ask_end(sc, rc);
		if (rc != 0) {
			free(err);
			disconnect(sc);
		}
	}
	/* charon hangs: its SAs are not known to be gone, so keep the last document (the web
	 * thread adds since when charon has not answered) rather than one without SAs */
	if (sc->doc && (rc == -ETIMEDOUT || (!sc->vc && sc->silent_since))) {
		sc->next_refresh = now_ms() + STATUS_CACHE_REFRESH_MS;
		return;
	}
	/* the document `status --json` prints (manual-down marks included), plus the daemon's fields */
	doc = status_build(events, n, sc->tf, sc->ctx->state_dir, NULL);
	sas = json_incref(json_object_get(doc, "ike_sas"));
	json_decref(doc);
	for (i = 0; i < n; i++)
		vici_node_free(events[i]);
	free(events);
	json_array_foreach(sas, i, sa) {
		add_keepalive(sc, sa, false);
		json_array_foreach(json_object_get(sa, "children"), j, c)
			add_keepalive(sc, c, true);
	}
	add_verdicts(sc, sas);
	if (sc->tl) {
		timeline_observe(sc->tl, sas, sc->vc ? (sc->why[0] ? sc->why : "periodic refresh") : "charon not reachable");
		timeline_alive(sc->tl);	/* at least every STATUS_CACHE_REFRESH_MS comes here */
	}
	sc->why[0] = '\0';
	doc = json_pack("{s:I, s:{s:b}, s:{s:s, s:I, s:I}, s:o}", "generated", (json_int_t)time(NULL),
			"charon", "reachable", sc->reachable,
			"daemon", "version", TUNNELCTL_VERSION, "started", (json_int_t)sc->started,
			"vici_requests", (json_int_t)sc->vici_calls, "ike_sas", sas);
	/* the keep-alive's view of each gateway: which are silent, since when (issue 20) */
	json_t *peers = keepalive_peers_load(sc->ctx->state_dir);
	if (peers)
		json_object_set_new(doc, "peers", peers);
	/* each tunnel's timeline: availability, the 24 h strip, the last records (issue 17) */
	if (sc->tl)
		json_object_set_new(doc, "history", timeline_summaries(sc->tl));
	pthread_mutex_lock(&sc->lock);
	json_decref(sc->doc);
	sc->doc = doc;
	sc->generation++;
	pthread_mutex_unlock(&sc->lock);
	sc->next_refresh = now_ms() + STATUS_CACHE_REFRESH_MS;
}

/* Read the events that arrived; any of them makes the document stale. */
static void read_events(struct status_cache *sc)
{
	do {
		char *name = NULL, *err = NULL;
		struct vici_node *msg = NULL;
		int rc = vici_client_wait_event(sc->vc, 0, &name, &msg, &err);

		if (rc == -ETIMEDOUT || rc == -EINTR)
			break;
		if (rc != 0) {
			free(err);
			disconnect(sc);
			break;
		}
		counters_event(sc, name, msg);
		if (strstr(name, "updown") && !sc->why[0])
			snprintf(sc->why, sizeof(sc->why), "%s event", name);
		free(name);
		vici_node_free(msg);
	} while (vici_client_pending(sc->vc));
	/* let a burst of events settle into one list-sas */
	if (sc->next_refresh > now_ms() + STATUS_CACHE_SETTLE_MS)
		sc->next_refresh = now_ms() + STATUS_CACHE_SETTLE_MS;
}

struct status_cache *status_cache_new(const struct tc_ctx *ctx, const struct tunnel_file *tf,
				      const char *charon_log)
{
	struct status_cache *sc = xcalloc(1, sizeof(*sc));

	sc->charon_log = charon_log ? xstrdup(charon_log) : NULL;
	sc->verdicts = json_object();
	sc->ctx = ctx;
	sc->tf = tf;
	sc->started = time(NULL);
	pthread_mutex_init(&sc->lock, NULL);
	return sc;
}

void status_cache_set_tunnels(struct status_cache *sc, const struct tunnel_file *tf)
{
	sc->tf = tf;
	sc->next_refresh = 0;
}

void status_cache_set_timeline(struct status_cache *sc, struct timeline *tl)
{
	sc->tl = tl;
}

void status_cache_free(struct status_cache *sc)
{
	if (!sc)
		return;
	vici_client_close(sc->vc);
	json_decref(sc->doc);
	json_decref(sc->verdicts);
	free(sc->names);
	free(sc->charon_log);
	free(sc->diag_down);
	pthread_mutex_destroy(&sc->lock);
	free(sc);
}

size_t status_cache_poll_fds(struct status_cache *sc, struct pollfd *fds, size_t max, int *timeout_ms)
{
	int64_t now = now_ms(), next = sc->next_refresh;

	*timeout_ms = next <= now ? 0 : (int)(next - now > INT32_MAX ? INT32_MAX : next - now);
	if (sc->vc && vici_client_pending(sc->vc))
		*timeout_ms = 0;
	if (!sc->vc || max < 1)
		return 0;
	fds[0] = (struct pollfd){ .fd = vici_client_fd(sc->vc), .events = POLLIN };
	return 1;
}

void status_cache_dispatch(struct status_cache *sc, const struct pollfd *fds, size_t n)
{
	if (sc->vc && ((n && fds[0].revents) || vici_client_pending(sc->vc)))
		read_events(sc);
	if (!sc->doc || now_ms() >= sc->next_refresh)
		refresh(sc);
}

json_t *status_cache_document(void *arg, uint64_t *generation)
{
	struct status_cache *sc = arg;
	time_t since;
	json_t *doc, *copy;

	pthread_mutex_lock(&sc->lock);
	doc = sc->doc ? json_incref(sc->doc) : NULL;
	since = sc->silent_since;
	if (!since && sc->asking_ms && now_ms() - sc->asking_ms >= STATUS_CACHE_SLOW_MS)
		since = sc->asking_since;
	/* the same document with and without the note: two generations */
	*generation = sc->generation * 2 + (since != 0);
	pthread_mutex_unlock(&sc->lock);
	if (!doc || !since)
		return doc;
	/* a shallow copy: the published document is shared and never changed */
	copy = json_copy(doc);
	json_decref(doc);
	if (copy)
		json_object_set_new(copy, "charon", json_pack("{s:b, s:I}", "reachable", 0, "not_answering_since",
							     (json_int_t)since));
	return copy;
}

uint64_t status_cache_vici_calls(const struct status_cache *sc)
{
	return sc->vici_calls;
}
