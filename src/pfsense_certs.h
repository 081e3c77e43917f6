/* pfsense_certs.h - config.xml's certificate store for the importer: the certificate, private
 * key and CA a phase 1 names (certref, caref) looked up among <cert>/<ca>, decoded from base64
 * and checked, as files for the caller to write. Internal to pfsense*.c; writes nothing. */
#ifndef TUNNELCTL_PFSENSE_CERTS_H
#define TUNNELCTL_PFSENSE_CERTS_H

#include <libxml/tree.h>
#include <stddef.h>

#include "pfsense.h"

#define PFSENSE_CERTS_MAX_REFID_NAME 64u	/* a refid used as a file name as it is */

/* What one certificate-authenticated phase 1 uses from the store. */
struct pfsense_cert_entry {
	char *subject;		/* the certificate's subject as an identity, or NULL */
	char *cert_label;	/* "descr" (refid X) of the certificate and of the CA, for comments */
	char *ca_label;
	char *ca_parent;	/* the CA's own <caref> (an intermediate CA), or NULL */
	struct pfsense_file file[3];	/* certificate, key, CA: handed over if the entry stays */
	size_t n_file;
};

/* Look up and decode the certificate, key and CA of phase 1 ph1 (under root) before anything
 * is written: the subject may be its local identity. The files are named under cert_dir; with
 * cert_dir NULL the entry is only checked. Returns NULL when all three are usable (e->file
 * then holds them), else why the entry cannot be imported (never the key's content; caller
 * frees). */
char *pfsense_certs_prepare(const xmlNode *root, const xmlNode *ph1, const char *cert_dir,
			    struct pfsense_cert_entry *e);
/* Hand an imported entry's files to files, once per name; e keeps none. */
void pfsense_certs_commit(struct pfsense_cert_entry *e, struct pfsense_files *files);
/* Free what e holds (private keys wiped); e itself is the caller's. */
void pfsense_certs_entry_free(struct pfsense_cert_entry *e);
/* Free one file's contents (a private key wiped); f itself is the caller's. */
void pfsense_certs_file_free(struct pfsense_file *f);

#endif
