/* bundle.h - `tunnelctl bundle`: the redaction behind a support archive. Pure: no I/O;
 * cmd_bundle.c collects the files, these take the secrets out, tarball.c packs them. */
#ifndef TUNNELCTL_BUNDLE_H
#define TUNNELCTL_BUNDLE_H

#include <jansson.h>
#include <stddef.h>

#include "conf.h"
#include "util.h"
#include "vici.h"

#define BUNDLE_HIDDEN "<hidden>"

/* Keys of the tunnel file (and swanctl.conf) whose values are secrets, NULL-terminated. */
extern const char *const bundle_secret_keys[];

/* Copy text (the bytes of file `file` as parsed into tree) to out with the value of every key
 * named in bundle_secret_keys replaced by <hidden> ("<hidden>" when it was quoted); comments,
 * layout and every other byte stay. Returns the number of values replaced. */
size_t bundle_redact_conf(const char *text, size_t len, const struct conf_tree *tree, const char *file,
			  struct buf *out);

/* Replace every occurrence of each of the n secrets (empty ones skipped) in b by <hidden>.
 * Returns the number of replacements. */
size_t bundle_scrub(struct buf *b, char *const *secrets, size_t n);

/* Copy a charon log to out without the lines of charon's memory dumps (level 3-4 `=> N bytes
 * @ ADDR` followed by `  N: XX XX ...  ascii` lines, which show keys, nonces and secrets in hex
 * and text). Returns the number of lines left out. */
size_t bundle_log_clean(const char *text, size_t len, struct buf *out);

/* A VICI message as JSON: sections as objects, lists as arrays, values as strings (bytes
 * that are not printable UTF-8-free ASCII as \u escapes by jansson). New reference. */
json_t *bundle_vici_json(const struct vici_node *n);

#endif
