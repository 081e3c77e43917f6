/* web_metrics.c - status document -> Prometheus text exposition (format 0.0.4). Pure.
 *
 * One series per IKE connection (label tunnel="conN") and per child (tunnel, child="conN" or
 * "conN_M"). Several SAs of one name (rekey overlap, duplicates) fold into one series: up if
 * any is up, the oldest age, summed traffic, so no label set is ever emitted twice.
 */
#include <stdlib.h>
#include <string.h>

#include "web_metrics.h"

/* One folded series: an IKE connection (child == NULL) or a child. */
struct mrow {
	const char *tunnel;
	const char *child;
	const char *description;
	const char *remote_host;
	long long up;
	long long established;		/* seconds, -1 unknown */
	long long bytes_in, bytes_out, packets_in, packets_out;	/* -1 unknown */
	long long rekeys, reinitiations, last_change;		/* -1 unknown */
	long long stall_restarts;				/* -1 unknown */
};

struct mrows {
	struct mrow *v;
	size_t n, cap;
};

/* An integer from a JSON integer, real or decimal string (VICI sends numbers as strings);
 * -1 when absent or not a number. */
static long long json_num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	const char *s;
	char *end;
	long long n;

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (long long)json_real_value(v);
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	if (*s < '0' || *s > '9')
		return -1;
	n = strtoll(s, &end, 10);
	return *end ? -1 : n;
}

static const char *json_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The states that count as up: an established IKE SA, an installed child SA. */
static bool state_is_up(const char *state)
{
	static const char *const up[] = { "ESTABLISHED", "INSTALLED", "REKEYING", "REKEYED", "UPDATING" };

	if (!state)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(up); i++)
		if (strcasecmp(state, up[i]) == 0)
			return true;
	return false;
}

/* Fill the daemon's counters (docs/web.md "keepalive" object) of one entry. */
static void mrow_set_keepalive(struct mrow *r, const json_t *entry)
{
	const json_t *ka = json_object_get(entry, "keepalive");

	r->rekeys = json_num(ka, "rekeys");
	r->reinitiations = json_num(ka, "reinitiations");
	r->last_change = json_num(ka, "last_change");
	r->stall_restarts = json_num(ka, "stall_restarts");
}

/* Add the row of an IKE SA entry (child NULL) or a child entry; age is how old the document is. */
static struct mrow *mrows_add(struct mrows *rows, const char *tunnel, const char *child,
			      const json_t *entry, long long age)
{
	struct mrow *r;

	if (rows->n == rows->cap) {
		rows->cap = rows->cap ? rows->cap * 2 : 64;
		rows->v = xrealloc(rows->v, rows->cap * sizeof(*rows->v));
	}
	r = &rows->v[rows->n++];
	memset(r, 0, sizeof(*r));
	r->tunnel = tunnel;
	r->child = child;
	r->description = json_str(entry, "description");
	r->up = state_is_up(json_str(entry, "state"));
	r->established = -1;
	if (r->up && age >= 0) {
		long long e = json_num(entry, r->child ? "installed" : "established");
		r->established = e >= 0 ? e + age : -1;
	}
	r->bytes_in = r->bytes_out = r->packets_in = r->packets_out = -1;
	mrow_set_keepalive(r, entry);
	return r;
}

static int mrow_cmp(const void *a, const void *b)
{
	const struct mrow *x = a, *y = b;
	int c = strcmp(x->tunnel, y->tunnel);

	if (c)
		return c;
	if (!x->child || !y->child)
		return !!x->child - !!y->child;
	return strcmp(x->child, y->child);
}

static bool mrow_same(const struct mrow *x, const struct mrow *y)
{
	return mrow_cmp(x, y) == 0;
}

static long long max_ll(long long a, long long b)
{
	return a > b ? a : b;
}

/* Sum two counters where -1 means unknown. */
static long long sum_ll(long long a, long long b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a + b;
}

/* Sort and fold rows of the same name into one. */
static void mrows_fold(struct mrows *rows)
{
	size_t i, o = 0;

	if (!rows->n)
		return;
	qsort(rows->v, rows->n, sizeof(*rows->v), mrow_cmp);
	for (i = 1; i < rows->n; i++) {
		struct mrow *d = &rows->v[o], *s = &rows->v[i];

		if (!mrow_same(d, s)) {
			rows->v[++o] = *s;
			continue;
		}
		d->up = max_ll(d->up, s->up);
		d->established = max_ll(d->established, s->established);
		d->bytes_in = sum_ll(d->bytes_in, s->bytes_in);
		d->bytes_out = sum_ll(d->bytes_out, s->bytes_out);
		d->packets_in = sum_ll(d->packets_in, s->packets_in);
		d->packets_out = sum_ll(d->packets_out, s->packets_out);
		d->rekeys = max_ll(d->rekeys, s->rekeys);
		d->reinitiations = max_ll(d->reinitiations, s->reinitiations);
		d->last_change = max_ll(d->last_change, s->last_change);
		d->stall_restarts = max_ll(d->stall_restarts, s->stall_restarts);
		if (!d->description)
			d->description = s->description;
		if (!d->remote_host)
			d->remote_host = s->remote_host;
	}
	rows->n = o + 1;
}

/* Collect one row per IKE SA entry and per child entry of the document. */
static void mrows_collect(const json_t *status, long long age, struct mrows *ike, struct mrows *child)
{
	const json_t *sas = json_object_get(status, "ike_sas");
	const json_t *sa, *c;
	size_t i, j;

	json_array_foreach(sas, i, sa) {
		const char *name = json_str(sa, "name");
		struct mrow *r;

		if (!name || ike->n >= WEB_METRICS_MAX_TUNNELS)
			continue;
		struct mrow *t = mrows_add(ike, name, NULL, sa, age);
		long long reinit = -1;

		t->remote_host = json_str(sa, "remote_host");
		json_array_foreach(json_object_get(sa, "children"), j, c) {
			const char *cname = json_str(c, "name");

			if (!cname || child->n >= WEB_METRICS_MAX_TUNNELS)
				continue;
			r = mrows_add(child, name, cname, c, age);
			r->bytes_in = json_num(c, "bytes_in");
			r->bytes_out = json_num(c, "bytes_out");
			r->packets_in = json_num(c, "packets_in");
			r->packets_out = json_num(c, "packets_out");
			reinit = sum_ll(reinit, r->reinitiations);
		}
		/* the keep-alive counts per child; a tunnel's re-initiations are its children's */
		if (t->reinitiations < 0)
			t->reinitiations = reinit;
	}
	mrows_fold(ike);
	mrows_fold(child);
}

/* A label value with \, " and newline escaped as the exposition format wants. */
static void add_label(struct buf *out, const char *name, const char *value, bool first)
{
	if (!first)
		buf_addc(out, ',');
	buf_printf(out, "%s=\"", name);
	for (const char *p = value ? value : ""; *p; p++) {
		if (*p == '\\' || *p == '"')
			buf_addc(out, '\\');
		if (*p == '\n') {
			buf_adds(out, "\\n");
			continue;
		}
		buf_addc(out, *p);
	}
	buf_addc(out, '"');
}

static void add_row_labels(struct buf *out, const struct mrow *r)
{
	buf_addc(out, '{');
	add_label(out, "tunnel", r->tunnel, true);
	if (r->child)
		add_label(out, "child", r->child, false);
	buf_addc(out, '}');
}

/* One metric family over rows: which field, its name, type and help. */
struct family {
	const char *name;
	const char *type;
	const char *help;
	size_t field;	/* offsetof(struct mrow, ...) */
};

static void add_family(struct buf *out, const char *prefix, const struct family *f, const struct mrows *rows)
{
	bool header = false;

	for (size_t i = 0; i < rows->n; i++) {
		const struct mrow *r = &rows->v[i];
		long long v;

		memcpy(&v, (const char *)r + f->field, sizeof(v));
		if (v < 0)
			continue;
		if (!header) {
			buf_printf(out, "# HELP %s_%s %s\n# TYPE %s_%s %s\n", prefix, f->name, f->help,
				   prefix, f->name, f->type);
			header = true;
		}
		buf_printf(out, "%s_%s", prefix, f->name);
		add_row_labels(out, r);
		buf_printf(out, " %lld\n", v);
	}
}

#define FAMILY(n, t, h, f) { n, t, h, offsetof(struct mrow, f) }

static const struct family tunnel_families[] = {
	FAMILY("up", "gauge", "1 when the IKE SA is established.", up),
	FAMILY("established_seconds", "gauge", "Seconds since the IKE SA was established.", established),
	FAMILY("rekeys_total", "counter", "IKE rekeys seen by the daemon.", rekeys),
	FAMILY("reinitiations_total", "counter", "Re-initiations by the daemon's keep-alive.", reinitiations),
	FAMILY("last_change_timestamp_seconds", "gauge", "Unix time of the last up/down change.", last_change),
};

static const struct family child_families[] = {
	FAMILY("up", "gauge", "1 when the child SA is installed.", up),
	FAMILY("established_seconds", "gauge", "Seconds since the child SA was installed.", established),
	FAMILY("bytes_in_total", "counter", "Bytes received (resets when the child SA is rekeyed).", bytes_in),
	FAMILY("bytes_out_total", "counter", "Bytes sent (resets when the child SA is rekeyed).", bytes_out),
	FAMILY("packets_in_total", "counter", "Packets received (resets when the child SA is rekeyed).", packets_in),
	FAMILY("packets_out_total", "counter", "Packets sent (resets when the child SA is rekeyed).", packets_out),
	FAMILY("rekeys_total", "counter", "Child rekeys seen by the daemon.", rekeys),
	FAMILY("reinitiations_total", "counter", "Re-initiations by the daemon's keep-alive.", reinitiations),
	FAMILY("last_change_timestamp_seconds", "gauge", "Unix time of the last up/down change.", last_change),
	FAMILY("stall_restarts_total", "counter", "Restarts for sending into a dead tunnel (packets out, none in).", stall_restarts),
};

/* Each child's availability from its timeline (the document's "history", timeline.h), per
 * window: one family per figure, each series labelled child and window (24h, 7d). */
static void add_history(struct buf *out, const json_t *history)
{
	static const struct {
		const char *name, *type, *help, *key;
	} figures[] = {
		{ "availability_ratio", "gauge", "Up time over up and down time in the window (manual and unknown time excluded).", "percent_up" },
		{ "outages", "gauge", "Outages overlapping the window, an ongoing one included.", "outages" },
		{ "recovered_outages", "gauge", "Outages in the window that ended with the tunnel up.", "recovered" },
		{ "down_seconds", "gauge", "Seconds down within the window.", "down_seconds" },
		{ "longest_outage_seconds", "gauge", "The longest outage overlapping the window.", "longest_outage_seconds" },
		{ "mttr_seconds", "gauge", "Mean time to recover over the recovered outages in the window.", "mttr_seconds" },
	};
	static const struct {
		const char *key, *label;
	} windows[] = { { "day", "24h" }, { "week", "7d" } };
	const char *name;
	const json_t *h;

	if (!json_object_size(history))
		return;
	for (size_t f = 0; f < ARRAY_SIZE(figures); f++) {
		buf_printf(out, "# HELP tunnelctl_child_%s %s\n# TYPE tunnelctl_child_%s %s\n", figures[f].name,
			   figures[f].help, figures[f].name, figures[f].type);
		json_object_foreach((json_t *)history, name, h) {
			for (size_t w = 0; w < ARRAY_SIZE(windows); w++) {
				const json_t *v = json_object_get(json_object_get(h, windows[w].key), figures[f].key);
				if (!json_is_number(v))
					continue;	/* nothing known in the window, or no recovery */
				buf_printf(out, "tunnelctl_child_%s{", figures[f].name);
				add_label(out, "child", name, true);
				add_label(out, "window", windows[w].label, false);
				if (f == 0)
					buf_printf(out, "} %.4f\n", json_number_value(v) / 100);
				else
					buf_printf(out, "} %lld\n", (long long)json_number_value(v));
			}
		}
	}
}

/* The keep-alive's gateways (docs/keepalive.md): silent or not, and since when. */
static void add_peers(struct buf *out, const json_t *peers)
{
	const json_t *p;
	size_t i;

	if (!json_array_size(peers))
		return;
	buf_adds(out, "# HELP tunnelctl_peer_silent 1 while every watched tunnel to this peer address is down and the peer answers nothing (probed every second).\n"
		      "# TYPE tunnelctl_peer_silent gauge\n");
	json_array_foreach(peers, i, p) {
		buf_adds(out, "tunnelctl_peer_silent{");
		add_label(out, "peer", json_str(p, "address"), true);
		buf_printf(out, "} %d\n", json_is_true(json_object_get(p, "silent")) ? 1 : 0);
	}
	buf_adds(out, "# HELP tunnelctl_peer_silent_since_timestamp_seconds Unix time the peer's current or last silence began.\n"
		      "# TYPE tunnelctl_peer_silent_since_timestamp_seconds gauge\n");
	json_array_foreach(peers, i, p) {
		if (json_num(p, "silent_since") <= 0)
			continue;
		buf_adds(out, "tunnelctl_peer_silent_since_timestamp_seconds{");
		add_label(out, "peer", json_str(p, "address"), true);
		buf_printf(out, "} %lld\n", json_num(p, "silent_since"));
	}
}

void web_metrics_render(const json_t *status, time_t now, struct buf *out)
{
	const json_t *charon = json_object_get(status, "charon");
	const json_t *daemon = json_object_get(status, "daemon");
	long long generated = json_num(status, "generated");
	long long age = generated >= 0 && now >= generated ? (long long)now - generated : (generated >= 0 ? 0 : -1);
	struct mrows ike = { 0 }, child = { 0 };
	size_t i;

	/* build info and charon */
	buf_adds(out, "# HELP tunnelctl_build_info tunnelctl version; always 1.\n"
		      "# TYPE tunnelctl_build_info gauge\ntunnelctl_build_info{");
	add_label(out, "version", json_str(daemon, "version") ? json_str(daemon, "version") : TUNNELCTL_VERSION, true);
	buf_adds(out, "} 1\n");
	buf_printf(out, "# HELP tunnelctl_charon_reachable 1 when charon answered on VICI.\n"
			"# TYPE tunnelctl_charon_reachable gauge\ntunnelctl_charon_reachable %d\n",
		   json_is_true(json_object_get(charon, "reachable")) ? 1 : 0);
	if (json_num(daemon, "started") >= 0)
		buf_printf(out, "# HELP tunnelctl_daemon_start_timestamp_seconds Unix time the daemon started.\n"
				"# TYPE tunnelctl_daemon_start_timestamp_seconds gauge\n"
				"tunnelctl_daemon_start_timestamp_seconds %lld\n", json_num(daemon, "started"));
	if (json_num(daemon, "vici_requests") >= 0)
		buf_printf(out, "# HELP tunnelctl_daemon_vici_requests_total VICI commands the status cache sent to charon.\n"
				"# TYPE tunnelctl_daemon_vici_requests_total counter\n"
				"tunnelctl_daemon_vici_requests_total %lld\n", json_num(daemon, "vici_requests"));
	if (generated >= 0)
		buf_printf(out, "# HELP tunnelctl_status_timestamp_seconds Unix time the status was collected.\n"
				"# TYPE tunnelctl_status_timestamp_seconds gauge\n"
				"tunnelctl_status_timestamp_seconds %lld\n", generated);

	mrows_collect(status, age, &ike, &child);

	/* info series carry the free-text labels once, so the others stay small */
	if (ike.n)
		buf_adds(out, "# HELP tunnelctl_tunnel_info Description and peer of a tunnel; always 1.\n"
			      "# TYPE tunnelctl_tunnel_info gauge\n");
	for (i = 0; i < ike.n; i++) {
		buf_adds(out, "tunnelctl_tunnel_info{");
		add_label(out, "tunnel", ike.v[i].tunnel, true);
		add_label(out, "description", ike.v[i].description, false);
		add_label(out, "remote_host", ike.v[i].remote_host, false);
		buf_adds(out, "} 1\n");
	}
	for (i = 0; i < ARRAY_SIZE(tunnel_families); i++)
		add_family(out, "tunnelctl_tunnel", &tunnel_families[i], &ike);
	for (i = 0; i < ARRAY_SIZE(child_families); i++)
		add_family(out, "tunnelctl_child", &child_families[i], &child);
	add_peers(out, json_object_get(status, "peers"));
	add_history(out, json_object_get(status, "history"));
	free(ike.v);
	free(child.v);
}
