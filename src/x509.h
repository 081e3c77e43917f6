/* x509.h - the few fields of an X.509 certificate the doctor needs: issuer, subject and
 * validity. Pure and bounded: a DER walker over the certificate's first fields, PEM armour
 * removed first. No signature checks (charon does those). */
#ifndef TUNNELCTL_X509_H
#define TUNNELCTL_X509_H

#include <stddef.h>
#include <time.h>

#include "util.h"

#define X509_MAX_DN_TEXT 512	/* longest DN text we print */

struct x509_info {
	const unsigned char *issuer, *subject;	/* DER of the Names, pointing into the input */
	size_t issuer_len, subject_len;
	time_t not_before, not_after;
	const unsigned char *ski, *aki;		/* subject / authority key identifier, or NULL */
	size_t ski_len, aki_len;
};

/* Parse DER certificate bytes. 0 or -EBADMSG. out points into der. */
int x509_parse(const void *der, size_t len, struct x509_info *out);

/* The first certificate of PEM text (or the input itself if it is DER) as DER into out.
 * 0 or -EBADMSG. */
int x509_to_der(const void *data, size_t len, struct buf *out);

/* A DER Name as text, "C=CH, O=tunnelctl, CN=gw-a" (C, ST, L, O, OU, CN, E; other
 * attributes by OID), into out. 0 or -EBADMSG. */
int x509_dn_text(const unsigned char *dn, size_t len, struct buf *out);

/* A DER Name as an identity strongSwan parses back to the same Name ("C=CH, O=x, CN=y"),
 * appended to out. -ERANGE when it cannot be written so (several attributes in one RDN, an
 * attribute other than those above, a value with ',', '"', '#', '\\', edge spaces or bytes
 * outside printable ASCII, longer than X509_MAX_DN_TEXT); -EBADMSG when malformed; out is
 * unchanged on error. */
int x509_dn_id(const unsigned char *dn, size_t len, struct buf *out);

#endif
