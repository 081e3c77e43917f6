/* pfsense.h - pfSense config.xml's <ipsec> section to a tunnel file. Pure: bytes in, text out.
 *
 * The XML is parsed with libxml2 from memory without network access and without entity
 * substitution; values reached through entity references are not read. What the tunnel
 * file cannot say becomes a `#` comment that says so.
 */
#ifndef TUNNELCTL_PFSENSE_H
#define TUNNELCTL_PFSENSE_H

#include <stddef.h>
#include "util.h"

#define PFSENSE_MAX_XML (32u * 1024u * 1024u)	/* config.xml with RRD data can be large */
#define PFSENSE_MAX_VALUE 8192u			/* one element's text (a PSK, a description) */
#define PFSENSE_MAX_PEM_B64 (64u * 1024u)	/* a <crt> or <prv>: base64 of a PEM certificate or key */
#define PFSENSE_MAX_ATTRS 64u			/* attributes on one element (libxml2 checks them in n^2) */

/* What an import did, for the command's summary. */
struct pfsense_stats {
	size_t p1, p2;			/* entries written as tunnel-file sections */
	size_t skipped;			/* entries left out or commented out */
	size_t unsupported;		/* settings written as "not supported" comments */
	size_t certs;			/* certificate entries imported (with --cert-dir) */
};

/* A certificate, private key or CA to write beside the tunnel file (--cert-dir). */
struct pfsense_file {
	char *name;		/* file name only: [A-Za-z0-9_.-], no '/', never starting with '.' */
	char *path;		/* cert_dir/name, as the tunnel file names it */
	struct buf pem;		/* the decoded PEM text, exactly as pfSense stores it */
	bool secret;		/* a private key: write it 0600 (else 0644); pem is wiped on free */
};

struct pfsense_files {
	struct pfsense_file *v;
	size_t n;
};

/* Free the files (private keys wiped); the struct itself is the caller's. NULL is fine. */
void pfsense_files_free(struct pfsense_files *f);

/* Convert config.xml bytes (at most PFSENSE_MAX_XML) into tunnel-file text in out. Problems
 * that stop the import (not XML, no <pfsense> root, too large) go to errs with the XML line
 * and give -EINVAL (-EFBIG when too large); out then holds nothing useful. */
int pfsense_import(const char *xml, size_t len, const char *name, struct buf *out,
		   struct pfsense_stats *stats, struct tc_errors *errs);

/* pfsense_import, and certificate-authenticated phase 1 entries imported too: their
 * certificate, key and CA (<cert>/<ca> by certref/caref) are decoded into files (one per
 * certificate or CA, however many entries use it) and the entry names them under cert_dir
 * (the caller's directory, absolute, without a trailing '/'). Nothing is written here; the
 * caller writes files->v (each name unique) before it uses out. cert_dir NULL: pfsense_import. */
int pfsense_import_certs(const char *xml, size_t len, const char *name, const char *cert_dir,
			 struct buf *out, struct pfsense_files *files, struct pfsense_stats *stats,
			 struct tc_errors *errs);

#endif
