/* doctor_props.h - charon's proposal lists ("IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_.../MODP_2048,
 * IKE:...") compared transform by transform, as the doctor needs to name what differs. Pure. */
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
enum doctor_xf doctor_xf_type(const char *name, size_t len);

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

#endif
