/* doctor_conf.h - both sides' configurations, compared key by key as charon would negotiate.
 *
 * One normalized reader: every input is a swanctl.conf tree (a tunnel file is compiled to
 * swanctl.conf text first), turned into connections with their IKE proposals per transform
 * type, children, selectors, IDs, the PSK as a SHA-256 hash (never the secret), lifetimes
 * and actions. Connections of both sides are paired by addresses, then identities and
 * authentication method (not names), as charon picks a peer config, and negotiated in both
 * directions exchange by exchange with charon's selection rules (docs/doctor-configs.md).
 * The caller reads the files (doctor_conf_read.h) and prints the verdicts; the only input
 * besides the sides is the clock, for certificate dates.
 */
#ifndef TUNNELCTL_DOCTOR_CONF_H
#define TUNNELCTL_DOCTOR_CONF_H

#include <stddef.h>

#include "conf.h"
#include "doctor_rules.h"
#include "tunnel.h"
#include "util.h"

/* Limits on what one side may hold (untrusted input). */
#define DOCTOR_CONF_MAX_CONNS 512		/* connections per side */
#define DOCTOR_CONF_MAX_SECRETS 512		/* ike* secrets per side */
#define DOCTOR_CONF_MAX_CREDS 512		/* certificate files named per side */
#define DOCTOR_CONF_MAX_CHILDREN 64		/* children per connection */
#define DOCTOR_CONF_MAX_TS 32			/* traffic selectors in one list */
#define DOCTOR_CONF_MAX_ADDRS 16		/* entries in local_addrs/remote_addrs */
#define DOCTOR_CONF_MAX_REFS 8		/* templates a section inherits from, transitively */
#define DOCTOR_CONF_MAX_CHAIN 8		/* certificates in a chain, end entity to trust anchor */
#define DOCTOR_CONF_MAX_SANS 64		/* subjectAltNames of a certificate compared with an identity */
#define DOCTOR_CONF_MAX_WARNINGS 64		/* warnings kept */

/* One side's configuration: the trees its keys point into and the text of its files. */
struct doctor_conf_side;

/* A side from a swanctl.conf tree (takes ownership of tree). Problems (unknown algorithm,
 * bad selector, too many connections) go to errs as warnings; never NULL. */
struct doctor_conf_side *doctor_conf_side_from_swanctl(struct conf_tree *tree, struct tc_errors *errs);

/* A side from a tunnel file model (takes ownership of tf): compiled to swanctl.conf text in
 * memory, with secrets, read as above; evidence then points at the tunnel file's own lines. */
struct doctor_conf_side *doctor_conf_side_from_tunnel(struct tunnel_file *tf, struct tc_errors *errs);

/* Give the side the text of file `path` (a file its nodes name) so evidence can quote real
 * lines; the side copies data. Lines of files never given are cited without text. */
void doctor_conf_side_add_text(struct doctor_conf_side *s, const char *path, const char *data, size_t len);

/* The side was imported from pfSense config.xml at path (its text xml, len bytes): evidence
 * then cites the config.xml's own lines (the phase 1/phase 2 element behind each key). */
void doctor_conf_side_set_xml(struct doctor_conf_side *s, const char *path, const char *xml, size_t len);

/* Certificate files the side's connections name (local.certs, remote.cacerts; a tunnel
 * file's cert and ca): how many, the i-th one's key ("certs"/"cacerts") and path as written,
 * and giving its contents (PEM or DER; 0 or -EBADMSG). Unloaded files make trust unknown. */
size_t doctor_conf_side_cred_count(const struct doctor_conf_side *s);
void doctor_conf_side_cred_name(const struct doctor_conf_side *s, size_t i, const char **key, const char **path);
int doctor_conf_side_cred_set(struct doctor_conf_side *s, size_t i, const void *data, size_t len);

/* Add a certificate file no key names (swanctl.conf's x509ca/ directory: intermediate CAs
 * charon loads and sends along) under key "x509ca"; returns its index for
 * doctor_conf_side_cred_set, or -ENOSPC past DOCTOR_CONF_MAX_CREDS. */
int doctor_conf_side_cred_add(struct doctor_conf_side *s, const char *path);

/* File names the side's evidence may cite (tree files of the input); valid until free. */
size_t doctor_conf_side_files(const struct doctor_conf_side *s, const char *const **files);

/* Number of connections the side holds. */
size_t doctor_conf_side_count(const struct doctor_conf_side *s);

/* Free a side; NULL is fine. */
void doctor_conf_side_free(struct doctor_conf_side *s);

/* The result of a comparison: verdicts (one per local connection, most important first)
 * and warnings (cls DOCTOR_HEALTHY, never a failure). Evidence input indexes are those of
 * the doctor analysis passed to doctor_conf_compare, where each cited file is registered. */
struct doctor_conf_result {
	struct doctor_verdict *v;
	size_t n;
	struct doctor_verdict *warn;
	size_t n_warn;
};

/* Compare local (--config) against peer (--peer-config); side names "local"/"peer" appear
 * in verdicts. d registers the files cited as evidence (doctor_add_input). */
void doctor_conf_compare(const struct doctor_conf_side *local, const struct doctor_conf_side *peer, struct doctor *d,
		   struct doctor_conf_result *out);

/* One side alone (no peer config): the connections charon would refuse to load, as
 * config_error verdicts into out (which must be empty). */
void doctor_conf_check(const struct doctor_conf_side *local, struct doctor *d, struct doctor_conf_result *out);

/* Free what a result holds (not the struct). */
void doctor_conf_result_free(struct doctor_conf_result *r);

#endif
