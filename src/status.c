/* status.c - the status document: list-sas joined with the tunnel file. */
#include "status.h"

#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "status_cache.h"
#include "util.h"

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

static void mark_down(json_t *o, const char *state_dir)
{
	const char *name = json_string_value(json_object_get(o, "name"));

	if (state_dir && name && state_is_down(state_dir, name))
		json_object_set_new(o, "manual_down", json_true());
}

json_t *status_build(struct vici_node *const *events, size_t n, const struct tunnel_file *tf,
		     const char *state_dir, const struct status_filter *f)
{
	json_t *sas = status_cache_build_sas(tf, events, n), *e, *c;
	size_t i, k;

	apply_filter(sas, f);
	json_array_foreach(sas, i, e) {
		mark_down(e, state_dir);
		json_array_foreach(json_object_get(e, "children"), k, c)
			mark_down(c, state_dir);
	}
	return json_pack("{s:o}", "ike_sas", sas);
}

json_t *status_collect(struct vici_client *vc, const struct tunnel_file *tf, const char *state_dir,
		       const struct status_filter *f, char **err)
{
	struct vici_node **events = NULL;
	struct vici_msg req;
	size_t n = 0;
	json_t *doc = NULL;

	vici_msg_init(&req);
	if (f && f->ike)
		vici_msg_add_str(&req, "ike", f->ike);
	if (vici_client_stream(vc, "list-sas", &req, "list-sa", STATUS_VICI_TIMEOUT_MS, &events, &n,
			       err) == 0)
		doc = status_build(events, n, tf, state_dir, f);
	for (size_t i = 0; i < n; i++)
		vici_node_free(events[i]);
	free(events);
	vici_msg_free(&req);
	return doc;
}
