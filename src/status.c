/* status.c - the status document: list-sas joined with the tunnel file. */
#include "status.h"

#include <stdlib.h>
#include <string.h>

#include "naming.h"
#include "state.h"
#include "util.h"

/* ---- list-sas -> "ike_sas": the one mapping, for status and the daemon's web status ---- */

static json_t *num_or_null(const struct vici_node *sec, const char *key)
{
	uint64_t v;

	if (vici_get_u64(sec, key, &v) != 0)
		return json_null();
	return json_integer((json_int_t)v);
}

/* "AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048", as swanctl shows it. */
static json_t *algorithms(const struct vici_node *sa)
{
	static const char *const keys[] = { "integ-alg", "prf-alg", "dh-group" };
	struct buf b;
	json_t *s;

	buf_init(&b);
	if (vici_child(sa, "encr-alg")) {
		buf_adds(&b, vici_find_str(sa, "encr-alg", ""));
		if (vici_child(sa, "encr-keysize"))
			buf_printf(&b, "-%s", vici_find_str(sa, "encr-keysize", ""));
	}
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (vici_child(sa, keys[i]))
			buf_printf(&b, "%s%s", b.len ? "/" : "", vici_find_str(sa, keys[i], ""));
	s = b.len ? json_string(b.data) : json_null();
	buf_free(&b);
	return s;
}

static json_t *ts_list(const struct vici_node *sec, const char *key)
{
	const struct vici_node *l = vici_child(sec, key);
	json_t *a = json_array();

	for (size_t i = 0; l && i < l->n_child; i++)
		if (vici_list_str(l, i))
			json_array_append_new(a, json_string(vici_list_str(l, i)));
	return a;
}

static void set_str(json_t *o, const char *key, const struct vici_node *sec, const char *vkey)
{
	const char *v = vici_find_str(sec, vkey, NULL);

	if (v)
		json_object_set_new(o, key, json_string(v));
}

static void set_num(json_t *o, const char *key, const struct vici_node *sec, const char *vkey)
{
	json_t *v = num_or_null(sec, vkey);

	if (json_is_null(v))
		json_decref(v);
	else
		json_object_set_new(o, key, v);
}

/* One child SA row from list-sa's child-sas section. */
static json_t *child_from_sa(const struct vici_node *c)
{
	json_t *o = json_object();
	json_t *alg = algorithms(c);

	set_str(o, "name", c, "name");
	set_num(o, "uniqueid", c, "uniqueid");
	set_num(o, "reqid", c, "reqid");
	set_str(o, "state", c, "state");
	set_str(o, "mode", c, "mode");
	set_str(o, "protocol", c, "protocol");
	json_object_set_new(o, "local_ts", ts_list(c, "local-ts"));
	json_object_set_new(o, "remote_ts", ts_list(c, "remote-ts"));
	set_str(o, "spi_in", c, "spi-in");
	set_str(o, "spi_out", c, "spi-out");
	json_object_set_new(o, "algorithms", alg);
	set_num(o, "bytes_in", c, "bytes-in");
	set_num(o, "bytes_out", c, "bytes-out");
	set_num(o, "packets_in", c, "packets-in");
	set_num(o, "packets_out", c, "packets-out");
	set_num(o, "installed", c, "install-time");
	set_num(o, "rekey_in", c, "rekey-time");
	set_num(o, "expire_in", c, "life-time");
	return o;
}

/* One IKE SA entry from a list-sa section (named conN). */
static json_t *ike_from_sa(const struct vici_node *sa)
{
	json_t *o = json_object(), *children = json_array();
	const struct vici_node *cs = vici_child(sa, "child-sas");
	const char *nat = vici_find_str(sa, "nat-any", vici_find_str(sa, "nat-remote", "no"));

	json_object_set_new(o, "name", json_string(sa->name));
	set_num(o, "uniqueid", sa, "uniqueid");
	set_str(o, "state", sa, "state");
	set_num(o, "version", sa, "version");
	json_object_set_new(o, "role", json_string(str_eq(vici_find_str(sa, "initiator", "no"), "yes")
						    ? "initiator" : "responder"));
	set_str(o, "local_host", sa, "local-host");
	set_num(o, "local_port", sa, "local-port");
	set_str(o, "local_id", sa, "local-id");
	set_str(o, "remote_host", sa, "remote-host");
	set_num(o, "remote_port", sa, "remote-port");
	set_str(o, "remote_id", sa, "remote-id");
	json_object_set_new(o, "nat", json_boolean(str_eq(nat, "yes")));
	json_object_set_new(o, "algorithms", algorithms(sa));
	set_num(o, "established", sa, "established");
	set_num(o, "rekey_in", sa, "rekey-time");
	set_num(o, "reauth_in", sa, "reauth-time");
	for (size_t i = 0; cs && i < cs->n_child; i++)
		if (cs->child[i]->type == VICI_NODE_SECTION)
			json_array_append_new(children, child_from_sa(cs->child[i]));
	json_object_set_new(o, "children", children);
	return o;
}

/* Configured children of p1 as rows: one per phase 2 when split, else one merged conN. */
static void configured_children(const struct tunnel_phase1 *p1, json_t *out)
{
	char name[NAMING_MAX];

	for (size_t i = 0; i < p1->n_p2; i++) {
		const struct tunnel_phase2 *p2 = &p1->p2[i];
		json_t *row = NULL;
		size_t k;
		json_t *r;

		if (!p2->enabled)
			continue;
		naming_child(p1, p2, name);
		json_array_foreach(out, k, r)
			if (str_eq(json_string_value(json_object_get(r, "name")), name))
				row = r;
		if (!row) {
			row = json_pack("{s:s, s:s, s:[], s:[]}", "name", name, "state", "disconnected",
					"local_ts", "remote_ts");
			json_array_append_new(out, row);
		}
		json_array_append_new(json_object_get(row, "local_ts"), json_string(p2->local));
		json_array_append_new(json_object_get(row, "remote_ts"), json_string(p2->remote));
		if (p2->description) {
			const char *d = json_string_value(json_object_get(row, "description"));
			char *joined = d ? xasprintf("%s, %s", d, p2->description) : xstrdup(p2->description);

			json_object_set_new(row, "description", json_string(joined));
			free(joined);
		}
		if (!json_object_get(row, "reqid"))
			json_object_set_new(row, "reqid", json_integer(p2->reqid));
	}
}

/* Add what the tunnel file says to an entry: description, and configured children the SA
 * lacks (as disconnected rows) or describes (their descriptions). */
static void merge_configured(json_t *entry, const struct tunnel_phase1 *p1)
{
	json_t *conf = json_array(), *children = json_object_get(entry, "children"), *c, *sa_c;
	size_t i, j;

	json_object_set_new(entry, "ikeid", json_integer(p1->ikeid));
	if (p1->description)
		json_object_set_new(entry, "description", json_string(p1->description));
	configured_children(p1, conf);
	json_array_foreach(conf, i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));
		bool found = false;

		json_array_foreach(children, j, sa_c) {
			if (!str_eq(json_string_value(json_object_get(sa_c, "name")), name))
				continue;
			found = true;
			if (json_object_get(c, "description") && !json_object_get(sa_c, "description"))
				json_object_set(sa_c, "description", json_object_get(c, "description"));
		}
		if (!found)
			json_array_append(children, c);
	}
	json_decref(conf);
}

void status_sas_add(struct status_sas *s, const struct vici_node *event)
{
	for (size_t k = 0; k < event->n_child; k++) {
		const struct vici_node *sa = event->child[k];
		unsigned id, reqid;

		/* only ours (conN) are ever shown: a phase 1's own, or one the file no longer has;
		 * anything else (another tool's, a name that is no text at all) is not turned into
		 * JSON */
		if (sa->type != VICI_NODE_SECTION || !naming_parse(sa->name, &id, &reqid) || reqid)
			continue;
		if (s->n == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 64;
			s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
		}
		s->v[s->n].entry = ike_from_sa(sa);
		s->v[s->n].name = json_string_value(json_object_get(s->v[s->n].entry, "name"));
		s->n++;
	}
}

void status_sas_take(void *arg, struct vici_node *event)
{
	status_sas_add(arg, event);
	vici_node_free(event);
}

void status_sas_free(struct status_sas *s)
{
	for (size_t i = 0; i < s->n; i++)
		json_decref(s->v[i].entry);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* by name; ties keep wire order (the array holds pointers into the wire-ordered one) */
static int sa_ptr_cmp(const void *a, const void *b)
{
	const struct status_sa *x = *(const struct status_sa *const *)a, *y = *(const struct status_sa *const *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : x < y ? -1 : x > y;
}

/* Index of the first of the sorted SAs named name (n when none). */
static size_t sa_first(struct status_sa *const *sorted, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(sorted[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

json_t *status_sas_join(const struct status_sas *s, const struct tunnel_file *tf)
{
	json_t *sas = json_array();
	struct status_sa **sorted = xmalloc((s->n ? s->n : 1) * sizeof(*sorted));
	char ike[NAMING_MAX];
	size_t i, k;

	/* the IKE SAs sorted by name: each phase 1 finds its own by binary search, not by
	 * scanning every SA (1,000 tunnels would be a million comparisons) */
	for (i = 0; i < s->n; i++)
		sorted[i] = &s->v[i];
	qsort(sorted, s->n, sizeof(*sorted), sa_ptr_cmp);

	/* configured phase 1 entries in file order, each with its SAs or a disconnected row */
	for (i = 0; tf && i < tf->n_p1; i++) {
		const struct tunnel_phase1 *p1 = &tf->p1[i];
		bool any = false;

		if (!p1->enabled)
			continue;
		naming_ike(p1, ike);
		for (k = sa_first(sorted, s->n, ike); k < s->n && strcmp(sorted[k]->name, ike) == 0; k++) {
			merge_configured(sorted[k]->entry, p1);
			json_array_append(sas, sorted[k]->entry);
			any = true;
		}
		if (!any) {
			json_t *entry = json_pack("{s:s, s:s, s:i, s:[]}", "name", ike, "state", "disconnected",
						  "version", p1->version == TUNNEL_IKEV1 ? 1 : p1->version == TUNNEL_IKEV2 ? 2 : 0,
						  "children");

			if (p1->local_address)
				json_object_set_new(entry, "local_host", json_string(p1->local_address));
			json_object_set_new(entry, "remote_host", json_string(p1->remote_gateway));
			merge_configured(entry, p1);
			json_array_append_new(sas, entry);
		}
	}
	free(sorted);
	/* SAs of ours that the tunnel file no longer has (removed, not yet applied) */
	for (i = 0; i < s->n; i++) {
		unsigned id, reqid;

		if (!naming_parse(s->v[i].name, &id, &reqid) || reqid ||
		    (tf && tunnel_find_p1(tf, id) && tunnel_find_p1(tf, id)->enabled))
			continue;
		json_array_append(sas, s->v[i].entry);
	}
	return sas;
}

json_t *status_build_sas(const struct tunnel_file *tf, struct vici_node *const *events, size_t n)
{
	struct status_sas s = { 0 };
	json_t *sas;

	for (size_t e = 0; e < n; e++)
		status_sas_add(&s, events[e]);
	sas = status_sas_join(&s, tf);
	status_sas_free(&s);
	return sas;
}

/* Drop entries (and child rows) the filter does not ask for. */
static void apply_filter(json_t *sas, const struct status_filter *f)
{
	size_t i = json_array_size(sas);

	if (!f || !f->ike)
		return;
	while (i-- > 0) {
		json_t *e = json_array_get(sas, i), *children = json_object_get(e, "children");
		size_t k;

		if (!str_eq(json_string_value(json_object_get(e, "name")), f->ike)) {
			json_array_remove(sas, i);
			continue;
		}
		k = json_array_size(children);
		while (f->child && k-- > 0)
			if (!str_eq(json_string_value(json_object_get(json_array_get(children, k), "name")),
				    f->child))
				json_array_remove(children, k);
	}
}

/* What the state dir says about a row: the manual-down mark, and for a child the keep-alive
 * engine's last decision (written by the daemon or `keepalive --once`). */
static void add_state(json_t *o, const char *state_dir, const struct state_dirs *dirs, bool child)
{
	const char *name = json_string_value(json_object_get(o, "name"));
	struct state_keepalive rec;

	if (!state_dir || !name)
		return;
	if (dirs->down && state_is_down(state_dir, name))
		json_object_set_new(o, "manual_down", json_true());
	if (!child || !dirs->keepalive || state_keepalive_load(state_dir, name, &rec) != 0)
		return;
	json_t *ka = json_pack("{s:I, s:s, s:s, s:I}", "reinitiations", (json_int_t)rec.reinitiations,
			       "last_action", rec.action, "last_reason", rec.reason, "attempts",
			       (json_int_t)rec.attempts);
	if (rec.time)
		json_object_set_new(ka, "last_decision", json_integer(rec.time));
	if (rec.last_reinit)
		json_object_set_new(ka, "last_reinitiation", json_integer(rec.last_reinit));
	if (rec.next_try)
		json_object_set_new(ka, "next_try", json_integer(rec.next_try));
	json_object_set_new(ka, "stall_restarts", json_integer((json_int_t)rec.stalls));
	if (rec.last_stall)
		json_object_set_new(ka, "last_stall", json_integer(rec.last_stall));
	json_object_set_new(o, "keepalive", ka);
}

/* The document around the joined "ike_sas": the filter, then the state dir's marks. */
static json_t *status_document(json_t *sas, const char *state_dir, const struct status_filter *f)
{
	struct state_dirs dirs = { false, false };
	json_t *e, *c;
	size_t i, k;

	apply_filter(sas, f);
	if (state_dir)
		state_dirs_check(state_dir, &dirs);
	json_array_foreach(sas, i, e) {
		add_state(e, state_dir, &dirs, false);
		json_array_foreach(json_object_get(e, "children"), k, c)
			add_state(c, state_dir, &dirs, true);
	}
	return json_pack("{s:o}", "ike_sas", sas);
}

json_t *status_build(struct vici_node *const *events, size_t n, const struct tunnel_file *tf,
		     const char *state_dir, const struct status_filter *f)
{
	return status_document(status_build_sas(tf, events, n), state_dir, f);
}

int status_request(struct vici_client *vc, const struct status_filter *f, char **err)
{
	struct vici_msg req;
	int rc;

	vici_msg_init(&req);
	if (f && f->ike)
		vici_msg_add_str(&req, "ike", f->ike);
	rc = vici_client_stream_begin(vc, "list-sas", &req, "list-sa", STATUS_VICI_TIMEOUT_MS, err);
	vici_msg_free(&req);
	return rc;
}

json_t *status_receive(struct vici_client *vc, const struct tunnel_file *tf, const char *state_dir,
		       const struct status_filter *f, char **err)
{
	struct status_sas got = { 0 };
	json_t *doc = NULL;

	/* each IKE SA becomes JSON as its event arrives, while charon is still sending the rest */
	if (vici_client_stream_each(vc, "list-sas", "list-sa", STATUS_VICI_TIMEOUT_MS, status_sas_take, &got, err) ==
	    0)
		doc = status_document(status_sas_join(&got, tf), state_dir, f);
	status_sas_free(&got);
	return doc;
}

json_t *status_collect(struct vici_client *vc, const struct tunnel_file *tf, const char *state_dir,
		       const struct status_filter *f, char **err)
{
	return status_request(vc, f, err) == 0 ? status_receive(vc, tf, state_dir, f, err) : NULL;
}
