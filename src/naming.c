/* naming.c - pfSense's connection names (conN, conN_M): the one place these rules live. */
#include "naming.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void naming_ike(const struct tunnel_phase1 *p1, char out[NAMING_MAX])
{
	snprintf(out, NAMING_MAX, "con%u", p1->ikeid);
}

bool naming_split(const struct tunnel_phase1 *p1)
{
	/* pfSense: IKEv1 cannot carry several selector pairs in one child; auto behaves as IKEv2 */
	return p1->version == TUNNEL_IKEV1 || p1->split_connections;
}

void naming_child(const struct tunnel_phase1 *p1, const struct tunnel_phase2 *p2, char out[NAMING_MAX])
{
	if (naming_split(p1))
		snprintf(out, NAMING_MAX, "con%u_%u", p1->ikeid, p2->reqid);
	else
		snprintf(out, NAMING_MAX, "con%u", p1->ikeid);
}

/* Parse a decimal ID 1..TUNNEL_MAX_ID spanning exactly [s, end). */
static bool parse_id(const char *s, const char *end, unsigned *out)
{
	unsigned v = 0;

	if (s == end || end - s > 5 || *s == '0')
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v > TUNNEL_MAX_ID)
		return false;
	*out = v;
	return true;
}

bool naming_parse(const char *name, unsigned *ikeid, unsigned *reqid)
{
	const char *us, *end;

	if (strncmp(name, "con", 3) != 0)
		return false;
	name += 3;
	end = name + strlen(name);
	us = strchr(name, '_');
	if (!us) {
		*reqid = 0;
		return parse_id(name, end, ikeid);
	}
	return parse_id(name, us, ikeid) && parse_id(us + 1, end, reqid);
}

/* Fill out for phase 1 p1 (and phase 2 p2, if given) as the user's name asked. */
static void target_fill(struct tunnel_phase1 *p1, struct tunnel_phase2 *p2, struct naming_target *out)
{
	memset(out, 0, sizeof(*out));
	out->p1 = p1;
	out->p2 = p2;
	naming_ike(p1, out->ike);
	if (p2)
		naming_child(p1, p2, out->child);
	else if (!naming_split(p1) && p1->n_p2 > 0)
		naming_child(p1, &p1->p2[0], out->child);	/* the merged child conN */
}

int naming_resolve(const struct tunnel_file *tf, const char *name, struct naming_target *out)
{
	struct tunnel_phase1 *p1 = NULL;
	struct tunnel_phase2 *p2 = NULL;
	unsigned ikeid, reqid;
	size_t hits = 0;

	/* conN / conN_M */
	if (naming_parse(name, &ikeid, &reqid)) {
		p1 = tunnel_find_p1(tf, ikeid);
		if (!p1)
			return -ENOENT;
		if (reqid) {
			struct tunnel_phase1 *owner = NULL;
			p2 = tunnel_find_p2(tf, reqid, &owner);
			/* conN_M exists only when N is split and M belongs to N */
			if (!p2 || owner != p1 || !naming_split(p1))
				return -ENOENT;
		}
		target_fill(p1, p2, out);
		return 0;
	}
	/* bare IKE ID */
	if (parse_id(name, name + strlen(name), &ikeid)) {
		p1 = tunnel_find_p1(tf, ikeid);
		if (!p1)
			return -ENOENT;
		target_fill(p1, NULL, out);
		return 0;
	}
	/* phase 1 description, case-sensitive, must be unique */
	for (size_t i = 0; i < tf->n_p1; i++) {
		if (tf->p1[i].description && strcmp(tf->p1[i].description, name) == 0) {
			p1 = &tf->p1[i];
			hits++;
		}
	}
	if (hits > 1)
		return -EINVAL;
	if (!p1)
		return -ENOENT;
	target_fill(p1, NULL, out);
	return 0;
}
