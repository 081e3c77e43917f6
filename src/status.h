/* status.h - what `tunnelctl status` shows: charon's IKE and child SAs (one list-sas) joined
 * with the tunnel file, configured entries without an SA as "disconnected", manual-down marks.
 * status_build_sas is the one mapping from list-sa to JSON; the daemon's web status serves the
 * same document (status_cache.c). */
#ifndef TUNNELCTL_STATUS_H
#define TUNNELCTL_STATUS_H

#include <jansson.h>

#include "tunnel.h"
#include "vici_client.h"

#define STATUS_VICI_TIMEOUT_MS 10000	/* one list-sas, even with thousands of SAs */

/* What to show: everything (ike NULL), one IKE connection, or one child of it. */
struct status_filter {
	const char *ike;	/* conN, or NULL for all */
	const char *child;	/* conN_M to keep only that child row, or NULL */
};

/* Ask charon (list-sas, filtered to f->ike) and build {"ike_sas": [...]} for tf (NULL: no
 * tunnel file, only our SAs). Entries and child rows marked down by `tunnelctl down` get
 * "manual_down": true (state_dir may be NULL). Returns a new reference, or NULL with *err set
 * (caller frees) when charon cannot be asked. */
json_t *status_collect(struct vici_client *vc, const struct tunnel_file *tf, const char *state_dir,
		       const struct status_filter *f, char **err);
/* status_collect in two halves, so the tunnel file can be read while charon answers:
 * status_request asks (0, or -errno with *err set), status_receive builds as above. */
int status_request(struct vici_client *vc, const struct status_filter *f, char **err);
json_t *status_receive(struct vici_client *vc, const struct tunnel_file *tf, const char *state_dir,
		       const struct status_filter *f, char **err);

/* The IKE SAs of list-sa events as status entries, in wire order, built event by event. */
struct status_sa {
	json_t *entry;		/* the entry ike_from_sa made */
	const char *name;	/* its "name", conN */
};
struct status_sas {
	struct status_sa *v;
	size_t n, cap;
};
/* Add the IKE SA sections of one list-sa event (s starts zeroed). */
void status_sas_add(struct status_sas *s, const struct vici_node *event);
/* status_sas_add, then vici_node_free(event): the sink of vici_client_stream_each. */
void status_sas_take(void *s, struct vici_node *event);
void status_sas_free(struct status_sas *s);
/* The "ike_sas" array for tf (see status_build_sas) from the entries of s (which keeps its
 * own references). New reference. */
json_t *status_sas_join(const struct status_sas *s, const struct tunnel_file *tf);

/* Pure: the "ike_sas" array for tf from list-sa event messages: one entry per IKE SA of ours
 * (conN) in tunnel-file order, configured phase 1 entries without an SA as "disconnected",
 * configured children missing from an SA as "disconnected" rows. New reference. */
json_t *status_build_sas(const struct tunnel_file *tf, struct vici_node *const *events, size_t n);

/* Pure: the same document from list-sa event messages already collected. */
json_t *status_build(struct vici_node *const *events, size_t n, const struct tunnel_file *tf,
		     const char *state_dir, const struct status_filter *f);

#endif
