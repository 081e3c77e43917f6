/* apply.h - what `apply` must change: compare the generated swanctl.conf with the previous one
 * and with what charon has loaded. Pure: trees and name lists in, a plan out. */
#ifndef TUNNELCTL_APPLY_H
#define TUNNELCTL_APPLY_H

#include <stdbool.h>
#include <stddef.h>
#include "conf.h"

enum apply_kind {
	APPLY_ADD,	/* not loaded in charon: load-conn */
	APPLY_CHANGE,	/* loaded, and its settings differ from the new ones: load-conn */
	APPLY_REMOVE,	/* loaded, ours, and gone from the new config: unload-conn + terminate */
};
extern const char *const apply_kind_names[];	/* "+", "~", "-" */

struct apply_change {
	enum apply_kind kind;
	char *name;		/* connection name */
	char *keys;		/* APPLY_CHANGE: changed keys, ", "-joined ("children.con1_2.esp_proposals");
				 * "" when charon holds a version we did not write */
	const struct conf_node *old_conn;	/* previous section, NULL if none; in the old tree */
	const struct conf_node *new_conn;	/* new section, NULL for APPLY_REMOVE; in the new tree */
};

struct apply_plan {
	struct apply_change *v;
	size_t n;
	char **secrets_removed;	/* shared-key ids (ike-N) in the old config but not the new */
	size_t n_secrets_removed;
	char **secrets_changed;	/* shared-key ids that are new or whose content changed */
	size_t n_secrets_changed;
};

/* Build the plan. old_root/new_root are swanctl.conf trees (old may be NULL: nothing applied
 * before); loaded lists the connection names charon has (get-conns). Only connections named
 * conN, conN_M or bypass are ever removed: others belong to someone else. Unchanged
 * connections do not appear. Changes are ordered removals, changes, additions, each by name. */
void apply_plan_build(const struct conf_node *old_root, const struct conf_node *new_root,
		      char *const *loaded, size_t n_loaded, struct apply_plan *plan);

/* True when a connection name is one tunnelctl generates (conN, bypass). */
bool apply_is_ours(const char *name);

void apply_plan_free(struct apply_plan *plan);

#endif
