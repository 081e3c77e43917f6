/* tunnel.h - the tunnel model: what a tunnel file says, with pfSense's defaults filled in.
 *
 * One owner tree: struct tunnel_file owns its phase 1 entries, which own their proposals and
 * phase 2 entries. tunnel_file_free() frees all of it and wipes the secrets.
 */
#ifndef TUNNELCTL_TUNNEL_H
#define TUNNELCTL_TUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include "conf.h"
#include "util.h"

#define TUNNEL_MAX_ID 15999		/* IKE IDs and reqids: 1..15999 */
#define TUNNEL_MAX_PSK_FILE 4096	/* bytes of a psk_file */
#define TUNNEL_UNSET ((unsigned long long)-1)	/* a duration the user did not give */
#define TUNNEL_LOG_CATEGORIES 16

enum tunnel_version { TUNNEL_IKEV2, TUNNEL_IKEV1, TUNNEL_AUTO };
enum tunnel_auth { TUNNEL_AUTH_PSK, TUNNEL_AUTH_CERT };
enum tunnel_id_type {
	TUNNEL_ID_MYADDRESS,	/* local: our address */
	TUNNEL_ID_PEERADDRESS,	/* remote: the peer's address */
	TUNNEL_ID_ANY,		/* %any */
	TUNNEL_ID_ADDRESS,	/* address:IP */
	TUNNEL_ID_FQDN,		/* fqdn:NAME */
	TUNNEL_ID_USER_FQDN,	/* user_fqdn:U@D */
	TUNNEL_ID_ASN1DN,	/* asn1dn:"DN" */
	TUNNEL_ID_KEYID,	/* keyid:HEX */
};
enum tunnel_action { TUNNEL_ACTION_DEFAULT, TUNNEL_ACTION_NONE, TUNNEL_ACTION_START, TUNNEL_ACTION_TRAP };
enum tunnel_natt { TUNNEL_NATT_AUTO, TUNNEL_NATT_FORCE };
enum tunnel_mode { TUNNEL_MODE_TUNNEL, TUNNEL_MODE_TUNNEL6, TUNNEL_MODE_TRANSPORT, TUNNEL_MODE_VTI };
enum tunnel_proto { TUNNEL_PROTO_ESP, TUNNEL_PROTO_AH };
enum tunnel_unique { TUNNEL_UNIQUE_REPLACE, TUNNEL_UNIQUE_NO, TUNNEL_UNIQUE_NEVER, TUNNEL_UNIQUE_KEEP };
enum tunnel_firewall { TUNNEL_FIREWALL_AUTO, TUNNEL_FIREWALL_OFF };
/* What the daemon does when a child sends and nothing comes back (docs/keepalive.md "Stalled
 * tunnels"); in order of less to do, so a merged child takes the highest of its entries. */
enum tunnel_stall { TUNNEL_STALL_RESTART, TUNNEL_STALL_REPORT, TUNNEL_STALL_NONE };

/* Names tables: index by the enum value; the same strings the tunnel file uses. */
extern const char *const tunnel_version_names[];
extern const char *const tunnel_action_names[];
extern const char *const tunnel_mode_names[];
extern const char *const tunnel_proto_names[];
extern const char *const tunnel_stall_names[];
extern const char *const tunnel_unique_names[];
extern const char *const tunnel_id_type_names[];
/* charon's 16 log categories in pfSense's order: dmn mgr ike chd job cfg knl net asn enc imc imv pts tls esp lib */
extern const char *const tunnel_log_category_names[TUNNEL_LOG_CATEGORIES];

/* Where a thing was written, for messages. */
struct tunnel_pos {
	const char *file;	/* owned by the conf tree kept in tunnel_file */
	unsigned line, col;
};

struct tunnel_id {
	enum tunnel_id_type type;
	char *value;		/* the part after the colon; NULL for myaddress/peeraddress/any */
};

/* One phase 1 proposal entry (pfSense "encryption algorithm" row). */
struct tunnel_proposal {
	char *encryption;	/* tunnel-file name, e.g. "aes256", "aes128gcm128" (see proposal.h) */
	char *hash;		/* integrity, e.g. "sha256"; with AEAD the PRF, or NULL */
	char *prf;		/* optional PRF, e.g. "sha256"; NULL = from hash (charon derives it) */
	unsigned dh_group;	/* pfSense DH number, e.g. 14 */
	struct tunnel_pos pos;
	const struct conf_node *sec;	/* its section in the file's tree; NULL in a model built by hand */
};

struct tunnel_phase2 {
	unsigned reqid;
	char *description;
	bool enabled;
	enum tunnel_mode mode;
	char *local;		/* as written: CIDR, address or interface name */
	char *remote;
	enum tunnel_proto protocol;
	struct strv encryption;	/* ESP encryption names, in entry order */
	struct strv hash;	/* integrity names, in entry order */
	unsigned pfs_group;	/* 0 = off */
	unsigned long long lifetime;	/* seconds; default 3600 */
	unsigned long long rekey_time;	/* TUNNEL_UNSET unless given */
	unsigned long long rand_time;	/* TUNNEL_UNSET unless given */
	char *ping_host;	/* NULL if none */
	bool keepalive;
	enum tunnel_stall stall_action;	/* default restart */
	struct tunnel_pos pos;	/* the reqid section */
	const struct conf_node *sec;	/* that section in the file's tree; NULL in a model built by hand */
};

struct tunnel_phase1 {
	unsigned ikeid;
	char *description;
	bool enabled;
	enum tunnel_version version;
	bool aggressive;	/* IKEv1 aggressive mode (mode = aggressive) */
	char *local_address;	/* NULL when interface is used */
	char *interface;	/* NULL when local_address is used */
	char *remote_gateway;	/* IP, FQDN, or "0.0.0.0" / "::" for any peer */
	unsigned ike_port;	/* default 500 */
	unsigned natt_port;	/* default 4500 */
	struct tunnel_id local_id;
	struct tunnel_id remote_id;
	enum tunnel_auth auth;
	char *psk;		/* secret: from psk or psk_file; wiped on free */
	char *psk_file;		/* path, if the PSK comes from a file */
	char *cert;		/* auth = cert: our certificate file */
	char *key;		/* auth = cert: our private key file */
	char *ca;		/* auth = cert: CA certificate file for the peer */
	struct tunnel_proposal *proposals;
	size_t n_proposals;
	unsigned long long lifetime;	/* seconds; default 28800 */
	unsigned long long rekey_time;	/* TUNNEL_UNSET unless given */
	unsigned long long reauth_time;	/* TUNNEL_UNSET unless given */
	unsigned long long rand_time;	/* TUNNEL_UNSET unless given */
	unsigned long long over_time;	/* TUNNEL_UNSET unless given */
	unsigned long long dpd_delay;	/* seconds; 0 = DPD off; default 10 */
	unsigned dpd_maxfail;	/* default 5 */
	enum tunnel_natt nat_traversal;
	bool mobike;
	enum tunnel_action start_action;
	enum tunnel_action close_action;
	bool split_connections;
	struct tunnel_phase2 *p2;
	size_t n_p2;
	struct tunnel_pos pos;	/* the ikeid section */
	const struct conf_node *sec;	/* that section in the file's tree; NULL in a model built by hand */
};

struct tunnel_global {
	enum tunnel_unique unique_ids;	/* default replace */
	enum tunnel_firewall firewall;	/* default auto */
	struct strv bypass_networks;
	int log_level[TUNNEL_LOG_CATEGORIES];	/* -1..4; defaults ike/chd/cfg 2, others 1 */
	unsigned retransmit_tries;		/* default 5 (strongSwan's) */
	double retransmit_timeout;		/* default 4.0 */
	double retransmit_base;			/* default 1.8 */
	unsigned long long keepalive_interval;	/* default 30 */
	unsigned long long ping_interval;	/* default 60 */
};

struct tunnel_file {
	char *path;
	struct tunnel_global global;
	struct tunnel_phase1 *p1;	/* sorted by ikeid */
	size_t n_p1;
	struct conf_tree *tree;		/* kept: owns the file names positions point into */
};

/* Build the model from a parsed tree. Every problem goes to errs as FILE:LINE:COL (all of
 * them, not just the first). Pure: psk_file is not read here. Returns NULL only when errs
 * has errors. Takes ownership of tree in every case. */
struct tunnel_file *tunnel_from_tree(struct conf_tree *tree, struct tc_errors *errs);

/* The I/O part of loading: make psk_file/cert/key/ca paths relative to the file that names
 * them, read psk_file secrets (refusing files not 0600), check that cert/key/ca files exist,
 * and replace interface names in phase 2 selectors by their subnets. 0 or -EINVAL (errs filled). */
int tunnel_load_secrets(struct tunnel_file *tf, struct tc_errors *errs);

/* tunnel_load_secrets for reading a file without using it (the doctor): paths and selectors
 * resolved the same way, psk_file read when readable whatever its mode and left unset (psk
 * NULL) when not, cert/key/ca never required to exist. 0 or -EINVAL (errs filled). */
int tunnel_resolve_for_analysis(struct tunnel_file *tf, struct tc_errors *errs);

/* Parse, build and load secrets: what check/compile/apply call. NULL on any error. */
struct tunnel_file *tunnel_load(const char *path, struct tc_errors *errs);

/* Append the warnings `check` prints (weak algorithms, overlaps, short PSKs, ...) to errs. */
void tunnel_warnings(const struct tunnel_file *tf, struct tc_errors *errs);

/* Free everything, wiping secrets; NULL is fine. */
void tunnel_file_free(struct tunnel_file *tf);

/* Whether a remote_gateway means any peer (responder only): 0.0.0.0 or :: (any spelling). */
bool tunnel_gateway_is_any(const char *gw);

/* Lookups; NULL when absent. */
struct tunnel_phase1 *tunnel_find_p1(const struct tunnel_file *tf, unsigned ikeid);
struct tunnel_phase2 *tunnel_find_p2(const struct tunnel_file *tf, unsigned reqid, struct tunnel_phase1 **p1);

#endif
