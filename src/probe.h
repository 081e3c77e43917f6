/* probe.h - `tunnelctl probe`: what a VICI event says about an SA being rekeyed, and what a
 * rekey does to traffic. Pure: no I/O; cmd_probe.c sends the rekeys and waits. */
#ifndef TUNNELCTL_PROBE_H
#define TUNNELCTL_PROBE_H

#include <stddef.h>

#include "vici.h"

#define PROBE_UID_MAX 24	/* a unique id as text ("4294967295" and NUL fit) */

/* The SA a probe step rekeys. */
struct probe_target {
	const char *ike;	/* IKE connection name (conN) */
	const char *ike_uid;	/* unique id of its IKE SA */
	const char *child_uid;	/* unique id of the CHILD_SA for a child rekey, NULL for the IKE SA */
};

enum probe_sig {
	PROBE_SIG_NONE,		/* not about the target */
	PROBE_SIG_REKEYED,	/* the target has a successor (its unique id in new_uid) */
	PROBE_SIG_DOWN,		/* the target (or, for a child, its IKE SA) went down */
};

/* What VICI event `event` (ike-rekey, child-rekey, ike-updown, child-updown) with message msg
 * says about t. On PROBE_SIG_REKEYED new_uid (cap bytes) gets the successor's unique id. An
 * IKEv1 IKE SA is re-authenticated, not rekeyed: a new IKE SA of t->ike coming up counts as
 * its successor during an IKE step. */
enum probe_sig probe_event(const struct probe_target *t, const char *event, const struct vici_node *msg,
			   char *new_uid, size_t cap);

/* What a CHILD_SA rekey and an IKE SA rekey of this IKE version (1 or 2) do to the traffic
 * through the tunnel: one sentence, static. */
const char *probe_traffic(int ike_version);

#endif
