/* naming.h - pfSense's connection names: the single owner of the conN / conN_M rules.
 *
 * Phase 1 with IKE ID N -> IKE connection conN. Phase 2 with reqid M under N: its own child
 * conN_M for IKEv1 or split_connections; otherwise (IKEv2, auto) all enabled phase 2 entries
 * of N merge into one child named conN.
 */
#ifndef TUNNELCTL_NAMING_H
#define TUNNELCTL_NAMING_H

#include <stdbool.h>
#include "tunnel.h"

#define NAMING_MAX 32	/* "con15999_15999" and NUL fit easily */

/* IKE connection name of a phase 1: "conN". */
void naming_ike(const struct tunnel_phase1 *p1, char out[NAMING_MAX]);
/* True when each phase 2 of p1 gets its own child (IKEv1 or split_connections). */
bool naming_split(const struct tunnel_phase1 *p1);
/* Child name of a phase 2 under p1: "conN_M" when split, else "conN". */
void naming_child(const struct tunnel_phase1 *p1, const struct tunnel_phase2 *p2, char out[NAMING_MAX]);

/* What a user-given name refers to. */
struct naming_target {
	struct tunnel_phase1 *p1;	/* always set on success */
	struct tunnel_phase2 *p2;	/* set for conN_M, or NULL */
	char ike[NAMING_MAX];		/* IKE connection name */
	char child[NAMING_MAX];		/* child name, "" when the name means only the IKE SA */
};

/* Resolve conN, conN_M, a phase 1 description or N. conN gives the IKE SA, and for a merged
 * phase 1 also the child conN. Returns 0, -ENOENT (no such tunnel) or -EINVAL (ambiguous description). */
int naming_resolve(const struct tunnel_file *tf, const char *name, struct naming_target *out);

/* Split a charon name into IKE ID and reqid: "con3" -> 3, 0; "con3_7" -> 3, 7. False if not ours. */
bool naming_parse(const char *name, unsigned *ikeid, unsigned *reqid);

#endif
