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

/* Add to plan->secrets_removed the shared keys charon holds (get-shared ids) under a name
 * tunnelctl generates (ike-N) that new_root no longer has and the plan does not list yet:
 * an interrupted apply, or a file edited by hand, may have left them. */
void apply_plan_stale_secrets(const struct conf_node *new_root, char *const *shared, size_t n_shared,
			      struct apply_plan *plan);

/* True when a connection name is one tunnelctl generates (conN, bypass). */
bool apply_is_ours(const char *name);

void apply_plan_free(struct apply_plan *plan);

/* ---- carrying it out (apply_run.c: files and VICI, shared by `apply` and the daemon) ---- */

struct tc_ctx;
struct tunnel_file;

struct apply_opts {
	bool dry_run;		/* plan only: write and load nothing */
	bool no_start;		/* do not initiate start_action = start tunnels (the daemon does) */
	bool no_firewall;	/* leave the host's nftables table alone (staging, tests) */
};

/* What one run did. plan entries keep name and keys; old_conn/new_conn are NULL here. */
struct apply_result {
	struct apply_plan plan;
	bool planned;		/* plan is valid (charon was reached and the config compiled) */
	bool applied;		/* everything was carried out */
	bool rolled_back;	/* a step failed and the previous files and connections were restored */
	char *error;		/* the first failure, or NULL */
	char *rollback_error;	/* a failure while rolling back, or NULL */
	char *warning;		/* a problem that did not fail the apply (settings reload), or NULL */
	bool firewall_unchanged;	/* the firewall table was already what the file asks for */
	bool interrupted;	/* an earlier apply did not finish: everything was loaded again */
};

/* `apply` (docs/commands.md) for tf with ctx's paths: compile, compare with charon (get-conns,
 * get-shared), write the generated files atomically, load what changed, roll back on failure,
 * initiate missing start_action = start tunnels, save the applied file. 0, or -1 with
 * res->error set. The caller frees res with apply_result_free in every case. A marker in the
 * state directory spans writing the files to charon accepting everything: when a run finds it
 * (an earlier one was killed), the files on disk say nothing about charon, so every connection
 * and secret is loaded again and the run converges whatever the interruption. */
int apply_run(const struct tc_ctx *ctx, const struct tunnel_file *tf, const struct apply_opts *opts,
	      struct apply_result *res);
void apply_result_free(struct apply_result *res);

#endif
