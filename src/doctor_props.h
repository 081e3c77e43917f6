/* doctor_props.h - proposals compared transform by transform, as the doctor needs to name
 * what differs: charon's logged lists ("IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_.../MODP_2048,
 * IKE:...") and configured lists (swanctl.conf keywords, parsed and matched with charon's
 * selection rules). One transform enum and names table for both. Pure. */
#ifndef TUNNELCTL_DOCTOR_PROPS_H
#define TUNNELCTL_DOCTOR_PROPS_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* Proposals and transforms per proposal looked at; the rest of a list is ignored. */
#define DOCTOR_PROPS_MAX 16
#define DOCTOR_PROP_XF_MAX 24

/* Transform types, in the order the report names them. */
enum doctor_xf {
	DOCTOR_XF_ENC,
	DOCTOR_XF_INTEG,
	DOCTOR_XF_PRF,
	DOCTOR_XF_KE,		/* DH group / key exchange method (PFS group for ESP/AH) */
	DOCTOR_XF_ESN,
	DOCTOR_XF_COUNT
};

#define DOCTOR_XF_BIT(t) (1u << (t))

extern const char *const doctor_xf_names[DOCTOR_XF_COUNT];

/* Type of one transform name as charon prints it ("MODP_2048" -> DOCTOR_XF_KE). */
enum doctor_xf doctor_props_xf_type(const char *name, size_t len);

/* Compare the list after "proposals: " in recv (what the peer sent) with the one in conf
 * (ours), pair by pair, and take the pair that differs in the fewest transform types.
 * Returns those types as DOCTOR_XF_BIT()s; 0 when some pair matches or a list is empty.
 * With ignore_ke, a proposal without a KE transform matches any (a CHILD_SA negotiated in
 * IKE_AUTH has no key exchange). When why is given and they differ, appends
 * "RECV_WHO A/B/C, CONF_WHO D/E/F; they differ in encryption (A vs D), ...". */
unsigned doctor_props_compare(const char *recv, const char *conf, bool ignore_ke,
			      const char *recv_who, const char *conf_who, struct buf *why);

/* Append the pfSense DH group numbers of the KE transforms in the list after "proposals: "
 * ("14, 19"); returns how many were found. */
size_t doctor_props_dh_groups(const char *list, struct buf *out);

/* ---- proposal lists as configured (swanctl.conf `proposals`, `esp_proposals`) ---------- */

#define DOCTOR_PROPS_CONF_MAX 32	/* proposals kept from one configured list */
#define DOCTOR_PROP_ALGS_MAX 32		/* algorithms of one transform type in one proposal */

/* One algorithm as charon prints it: name plus key size (AES_CBC_256, MODP_2048). */
struct doctor_prop_alg {
	const char *name;	/* static */
	unsigned short ks;
	bool aead;
};

/* One configured proposal, completed as charon completes it when loading. */
struct doctor_prop {
	struct doctor_prop_alg *alg[DOCTOR_XF_COUNT];
	size_t n[DOCTOR_XF_COUNT];
};

/* Parse a comma-separated list ("default" stands for charon's defaults) into *out (caller
 * frees with doctor_props_free); returns the count. A token charon would refuse sets *bad
 * (first one only, when bad is given; caller frees). */
size_t doctor_props_parse_conf(const char *list, bool ike, bool ah, struct doctor_prop **out, char **bad);

/* Free n proposals; NULL is fine. */
void doctor_props_free(struct doctor_prop *v, size_t n);

/* Whether some proposal of a and one of b share an algorithm of every transform type, with
 * charon's rules (AEAD skips integrity; ESP/AH without a KE matches one offering NONE);
 * skip_ke ignores the key exchange (IKEv2 first child) or the DH group (IKE, "DH only?"). */
bool doctor_props_match(const struct doctor_prop *a, size_t na, const struct doctor_prop *b, size_t nb,
			bool ike, bool skip_ke);

/* The transform types without a common algorithm in the closest pair of proposals. */
void doctor_props_diff(const struct doctor_prop *a, size_t na, const struct doctor_prop *b, size_t nb,
		       bool ike, bool skip_ke, bool out[DOCTOR_XF_COUNT]);

/* Append "AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048, ..." (charon's names). */
void doctor_props_print(struct buf *b, const struct doctor_prop *v, size_t n);

/* Append " (no common encryption, DH group)" for the flagged types; nothing if none. */
void doctor_props_diff_print(struct buf *b, const bool diff[DOCTOR_XF_COUNT]);

#endif
