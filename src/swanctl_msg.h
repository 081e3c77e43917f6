/* swanctl_msg.h - swanctl.conf sections to the VICI messages swanctl would send for them.
 *
 * `apply` loads the generated swanctl.conf over VICI itself; these converters follow swanctl's
 * own rules (strongSwan src/swanctl/commands/load_conns.c, load_creds.c) so that charon sees
 * the same load-conn and load-shared messages `swanctl --load-all` would send:
 * - list keys (local_addrs, remote_addrs, proposals, esp_proposals, ah_proposals, local_ts,
 *   remote_ts, vips, pools, groups, cert_policy) are always sent as lists, the value split at
 *   commas, blanks trimmed, empty tokens dropped, '...' or "..." tokens kept whole;
 * - file list keys (certs, cacerts, pubkeys) become lists of file contents; 0x<hex> and
 *   0s<base64> tokens are inline blobs;
 * - key/values of a section go first, in file order, then its subsections;
 * - a shared secret section (ike*, eap*, xauth*, ntlm*, ppk*) gives id = section name,
 *   type = that prefix, data = secret (0x hex, 0s base64 or raw), owners = every id* value.
 */
#ifndef TUNNELCTL_SWANCTL_MSG_H
#define TUNNELCTL_SWANCTL_MSG_H

#include <stdbool.h>
#include "conf.h"
#include "util.h"
#include "vici.h"

/* Reads the file `path` named by file list key `key` (certs, cacerts, pubkeys) into out.
 * 0 or -errno. */
typedef int (*swanctl_msg_read_fn)(void *arg, const char *key, const char *path, struct buf *out);

struct swanctl_msg_io {
	swanctl_msg_read_fn read;
	void *arg;
};

/* True for keys swanctl sends as a list of comma-separated values. */
bool swanctl_msg_is_list_key(const char *key);
/* True for keys swanctl sends as a list of file contents. */
bool swanctl_msg_is_file_list_key(const char *key);

/* Build the load-conn message for one connection section (the NAME under `connections`)
 * into out (initialised by the caller). Pure when io is NULL: file names in certs/cacerts/
 * pubkeys are then errors. Returns 0, or -EINVAL with the reasons in errs (FILE:LINE:COL). */
int swanctl_msg_conn(const struct conf_node *conn, const struct swanctl_msg_io *io,
		     struct vici_msg *out, struct tc_errors *errs);

/* Build the load-shared message for one section under `secrets` into out. 0, -EINVAL (bad
 * secret, errs says why), or -ENOTSUP for private key sections (private*, rsa*, ecdsa*,
 * pkcs8*, pkcs12*, token*), which load-shared does not take. */
int swanctl_msg_shared(const struct conf_node *secret, struct vici_msg *out,
		       struct tc_errors *errs);

/* Decode a secret value as swanctl does: 0x<hex>, 0s<base64>, else the raw bytes, into out.
 * 0 or -EINVAL (malformed blob). */
int swanctl_msg_secret_decode(const char *s, struct buf *out);

/* A swanctl_msg_read_fn with swanctl's convention: arg is the swanctl directory (e.g.
 * "/etc/swanctl"); a relative path is looked up in its x509/, x509ca/ or pubkey/ directory. */
int swanctl_msg_read_cred_file(void *arg, const char *key, const char *path, struct buf *out);

#endif
