/* probe.c - `tunnelctl probe`'s reading of VICI events; see probe.h. */
#include "probe.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

static void copy_uid(char *out, size_t cap, const char *uid)
{
	if (cap)
		snprintf(out, cap, "%s", uid ? uid : "");
}

/* The CHILD_SA section of uid under sec's child-sas (an updown event names it NAME-UID). */
static const struct vici_node *child_by_uid(const struct vici_node *sec, const char *uid)
{
	const struct vici_node *cs = vici_child(sec, "child-sas");

	for (size_t i = 0; cs && i < cs->n_child; i++)
		if (str_eq(vici_find_str(cs->child[i], "uniqueid", NULL), uid))
			return cs->child[i];
	return NULL;
}

enum probe_sig probe_event(const struct probe_target *t, const char *event, const struct vici_node *msg,
			   char *new_uid, size_t cap)
{
	const struct vici_node *sec = vici_child(msg, t->ike), *cs;
	bool up = str_eq(vici_find_str(msg, "up", ""), "yes");

	if (!sec || sec->type != VICI_NODE_SECTION)
		return PROBE_SIG_NONE;
	if (str_eq(event, "ike-updown")) {
		const char *uid = vici_find_str(sec, "uniqueid", NULL);
		if (!up && str_eq(uid, t->ike_uid))
			return PROBE_SIG_DOWN;
		if (up && !t->child_uid && uid && !str_eq(uid, t->ike_uid)) {
			copy_uid(new_uid, cap, uid);
			return PROBE_SIG_REKEYED;
		}
		return PROBE_SIG_NONE;
	}
	if (str_eq(event, "ike-rekey")) {
		if (t->child_uid || !str_eq(vici_find_str(sec, "old.uniqueid", NULL), t->ike_uid))
			return PROBE_SIG_NONE;
		copy_uid(new_uid, cap, vici_find_str(sec, "new.uniqueid", "?"));
		return PROBE_SIG_REKEYED;
	}
	if (!t->child_uid || !str_eq(vici_find_str(sec, "uniqueid", NULL), t->ike_uid))
		return PROBE_SIG_NONE;
	if (str_eq(event, "child-updown"))
		return !up && child_by_uid(sec, t->child_uid) ? PROBE_SIG_DOWN : PROBE_SIG_NONE;
	if (!str_eq(event, "child-rekey"))
		return PROBE_SIG_NONE;
	/* child-rekey: child-sas { NAME { old { ... } new { ... } } } */
	cs = vici_child(sec, "child-sas");
	for (size_t i = 0; cs && i < cs->n_child; i++) {
		if (!str_eq(vici_find_str(cs->child[i], "old.uniqueid", NULL), t->child_uid))
			continue;
		copy_uid(new_uid, cap, vici_find_str(cs->child[i], "new.uniqueid", "?"));
		return PROBE_SIG_REKEYED;
	}
	return PROBE_SIG_NONE;
}

const char *probe_traffic(int ike_version)
{
	/* strongSwan: a CHILD_SA rekey installs the new SA pair before it deletes the old one, and
	 * an IKE rekey (IKEv2) or re-authentication (IKEv1, whose ISAKMP SA charon cannot rekey)
	 * moves the existing CHILD_SAs to the new IKE SA without touching the kernel's SAs */
	if (ike_version == 1)
		return "traffic keeps flowing: charon rekeys a CHILD_SA make-before-break (Quick Mode "
		       "installs the new SAs before the old ones are deleted) and re-authenticates the "
		       "IKEv1 SA with a new Main Mode while the CHILD_SAs carry on unchanged";
	return "traffic keeps flowing: charon rekeys a CHILD_SA make-before-break (the new SAs are "
	       "installed before the old ones are deleted) and an IKEv2 IKE SA rekey moves the "
	       "CHILD_SAs to the new IKE SA unchanged; a failed rekey leaves the old SAs in place";
}
