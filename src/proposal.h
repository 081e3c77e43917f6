/* proposal.h - algorithm names, DH groups and proposal tokens (pfSense names -> strongSwan keywords). */
#ifndef TUNNELCTL_PROPOSAL_H
#define TUNNELCTL_PROPOSAL_H

#include <stdbool.h>
#include "tunnel.h"
#include "util.h"

struct proposal_enc {
	const char *name;	/* as written in the tunnel file, e.g. "aes256", "aes128gcm128" */
	const char *keyword;	/* strongSwan keyword; NULL for an auto key length name (see expand) */
	bool aead;		/* GCM/CCM/ChaCha20-Poly1305: no separate integrity */
	bool weak;		/* DES/3DES/Blowfish/CAST... : check warns */
	bool ike;		/* usable in phase 1 */
	bool esp;		/* usable in phase 2 ESP */
	/* Auto key length ("aes", "blowfish"): the names it stands for, longest key first,
	 * NULL-terminated; each becomes its own token. NULL for a fixed name. */
	const char *const *expand;
};

struct proposal_hash {
	const char *name;	/* e.g. "sha256" */
	const char *integ;	/* strongSwan integrity keyword, e.g. "sha256" */
	const char *prf;	/* strongSwan PRF keyword, e.g. "prfsha256" */
	bool weak;		/* md5, sha1 */
};

/* Lookups by tunnel-file name; NULL if unknown. */
const struct proposal_enc *proposal_find_enc(const char *name);
const struct proposal_hash *proposal_find_hash(const char *name);
/* strongSwan keyword of a pfSense DH group number (14 -> "modp2048"), NULL if unknown. */
const char *proposal_dh_keyword(unsigned group);
/* DH groups check warns about (1, 2, 5, 22, ...). */
bool proposal_dh_weak(unsigned group);
/* Comma-separated list of valid names, for "allowed values" in error messages; static strings. */
const char *proposal_enc_names(void);
const char *proposal_hash_names(void);

/* IKE proposals of a phase 1: one token per entry, in order, comma-separated, into b. */
void proposal_ike_list(struct buf *b, const struct tunnel_phase1 *p1);
/* ESP/AH proposals of a phase 2 (AEAD first in reversed entry order, then one token per
 * hash for the others, PFS group as DH), comma-separated, into b. */
void proposal_child_list(struct buf *b, const struct tunnel_phase2 *p2);

#endif
