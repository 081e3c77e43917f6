/* doctor_conf_side.h - one side's configuration normalized (internal to doctor_conf*.c):
 * connections with their proposals, children, selectors, identities, authentication, secrets
 * and certificate files, after swanctl.conf template inheritance. Built by doctor_conf_side.c,
 * negotiated by doctor_conf.c; the public API is doctor_conf.h. */
#ifndef TUNNELCTL_DOCTOR_CONF_SIDE_H
#define TUNNELCTL_DOCTOR_CONF_SIDE_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "doctor_conf.h"
#include "doctor_props.h"
#include "tunnel.h"
#include "util.h"
#include "x509.h"

/* An address range (one address, a CIDR subnet or lo-hi), in network byte order. */
struct dc_range {
	int fam;		/* 4 or 6; 0 = not an address */
	unsigned char lo[16], hi[16];
};

/* A traffic selector: an address range, or `dynamic` (the tunnel's own address). */
struct dc_ts {
	bool dynamic;
	struct dc_range r;
};

struct dc_child {
	const char *name;
	const struct conf_node *sec;	/* swanctl child section */
	const struct conf_node *tsec;	/* tunnel file phase 2 section, or NULL */
	struct dc_ts *lts, *rts;
	size_t n_lts, n_rts;
	const struct conf_node *lts_at, *rts_at;
	struct doctor_prop *esp;
	size_t n_esp;
	bool ah;
	const struct conf_node *esp_at;
	const char *start_action, *close_action;
	const struct conf_node *start_at, *close_at;
	unsigned long long life, rekey;
	const struct conf_node *life_at;
	char *bad;			/* why charon would refuse the proposals, or NULL */
	bool local_policy;		/* mode = pass or drop: a kernel policy, never negotiated */
};

struct dc_conn {
	const char *name;
	const struct conf_node *sec;
	const struct conf_node *tsec;	/* tunnel file phase 1 section, or NULL */
	int version;			/* 0 any, 1, 2 */
	const struct conf_node *version_at;
	char **laddr, **raddr;
	size_t n_laddr, n_raddr;
	const struct conf_node *laddr_at, *raddr_at;
	char *lid, *rid;		/* normalized */
	const struct conf_node *lid_at, *rid_at;
	const char *lauth, *rauth;
	const struct conf_node *lauth_at, *rauth_at;
	const struct conf_node *lcert_at, *rca_at;	/* local.certs, remote.cacerts */
	const struct conf_node *rpol_at;		/* remote.cert_policy */
	struct doctor_prop *ike;
	size_t n_ike;
	const struct conf_node *ike_at;
	bool encap;
	unsigned long long dpd_delay, rekey, reauth;
	const struct conf_node *dpd_at, *rekey_at;
	const struct doctor_conf_side *side;	/* for its secrets */
	struct dc_child *child;
	size_t n_child;
	char *bad;			/* why charon would refuse to load it, or NULL */
	const struct conf_node *bad_at;
	bool local_only;		/* every child is pass/drop (LAN bypass): nothing to negotiate */
	bool psk_unknown;		/* tunnel file psk_file that could not be read: PSK not compared */
	bool aggressive;		/* IKEv1 aggressive mode: identities in the clear, PSK by them */
	bool wants_vip;			/* vips: its `dynamic` local selector is the address it is given */
	bool has_pool;			/* pools with literal addresses: what `dynamic` gives a peer */
	struct dc_range pool;		/* the first such pool's addresses */
};

/* An ike* shared secret: its owners (normalized identities) and the hash of its value. */
struct dc_secret {
	char **owner;
	size_t n_owner;
	char hash[65];
	const struct conf_node *at;
};

/* A certificate file named by certs/cacerts: what identifies it and its issuer. */
struct dc_cred {
	char *key, *path;		/* "certs" or "cacerts", the file as written */
	bool loaded;
	struct buf der;
	struct x509_info info;		/* points into der */
};

struct dc_text {
	char *path;
	char *data;
	size_t len;
};

struct doctor_conf_side {
	struct conf_tree *tree;		/* the swanctl.conf tree (user's or compiled) */
	struct tunnel_file *tf;		/* the tunnel file, when that was the input */
	struct dc_conn *conn;
	size_t n_conn;
	struct dc_text *text;
	size_t n_text;
	struct dc_secret *secret;
	size_t n_secret;
	struct doctor_conf_xml_index *xml;		/* config.xml input: where its entries are */
	char *xml_path;
	struct dc_cred *cred;		/* certificate files the connections name */
	size_t n_cred;
};

/* A literal IPv4 or IPv6 address as a one-address range; false if s is not one. */
bool doctor_conf_side_parse_ip(const char *s, struct dc_range *r);

/* IP, CIDR or lo-hi range (an optional [proto/port] suffix is ignored); false if none. */
bool doctor_conf_side_parse_range(const char *in, struct dc_range *r);

/* The common part of a and b into out; false when they do not overlap (or differ in family). */
bool doctor_conf_side_range_intersect(const struct dc_range *a, const struct dc_range *b, struct dc_range *out);

/* Whether a and b are the same range. */
bool doctor_conf_side_range_eq(const struct dc_range *a, const struct dc_range *b);

/* Whether outer covers all of inner. */
bool doctor_conf_side_range_contains(const struct dc_range *outer, const struct dc_range *inner);

/* Append selectors as "10.1.0.0/16,dynamic" (CIDR where the range is one). */
void doctor_conf_side_ts_print(struct buf *b, const struct dc_ts *v, size_t n);

/* An identity as "type:value" so that 192.0.2.1, ipv4:192.0.2.1 and fqdn/@ forms compare;
 * unset, %any and * become "%any". Caller frees. */
char *doctor_conf_side_id_normalize(const char *s);

/* Whether identity `got` satisfies `want` (%any, or equal, or a '*' wildcard of one type). */
bool doctor_conf_side_id_matches(const char *want, const char *got);

/* File names (certs, cacerts) into *out, at most max: commas only, as swanctl splits them
 * (a name may have blanks); returns the count, caller frees with doctor_conf_side_strv_free. */
size_t doctor_conf_side_split_files(const char *s, char ***out, size_t max);

/* Free a string vector from doctor_conf_side_split_files (n entries); NULL is fine. */
void doctor_conf_side_strv_free(char **v, size_t n);

/* First literal address of an address list, or NULL. */
const char *doctor_conf_side_first_ip(char *const *v, size_t n);

/* The PSK charon's credential manager picks for identities me and other (normalized): the
 * secret whose owners match other best, then me (a perfect match beats a subnet, range or
 * wildcard, which beats any address, which beats %any; a secret without owners is %any's);
 * one neither matches is never picked. NULL when none. */
const struct dc_secret *doctor_conf_side_find_psk(const struct doctor_conf_side *s, const char *me, const char *other);

#endif
