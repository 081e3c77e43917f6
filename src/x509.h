/* x509.h - the few fields of an X.509 certificate the doctor needs: issuer, subject,
 * validity, and the extensions charon acts on (key identifiers, subjectAltName, basic
 * constraints, key usage, certificate policies, critical extensions it cannot parse). Pure
 * and bounded: a DER walker, PEM armour removed first. No signature checks (charon does
 * those). */
#ifndef TUNNELCTL_X509_H
#define TUNNELCTL_X509_H

#include <stddef.h>
#include <time.h>

#include "util.h"

#define X509_MAX_DN_TEXT 512	/* longest DN text we print */
#define X509_MAX_OID_TEXT 128	/* longest dotted OID we print */

/* x509_info.flags */
#define X509_F_CA 0x1		/* basicConstraints cA is TRUE */
#define X509_F_KU 0x2		/* a keyUsage extension is present */
#define X509_F_KU_SIGN 0x4	/* keyUsage has digitalSignature or nonRepudiation */
#define X509_F_POLICY_MAP 0x8	/* a policyMappings extension is present */

struct x509_info {
	const unsigned char *issuer, *subject;	/* DER of the Names, pointing into the input */
	size_t issuer_len, subject_len;
	time_t not_before, not_after;
	const unsigned char *ski, *aki;		/* subject / authority key identifier, or NULL */
	size_t ski_len, aki_len;
	unsigned flags;				/* X509_F_* */
	const unsigned char *san;		/* subjectAltName GeneralNames contents, or NULL */
	size_t san_len;
	const unsigned char *policies;		/* certificatePolicies contents, or NULL */
	size_t policies_len;
	const unsigned char *crit_oid;		/* the first critical extension charon cannot */
	size_t crit_oid_len;			/* parse (OID contents), or NULL */
};

/* Parse DER certificate bytes. 0 or -EBADMSG. out points into der. Extensions are best
 * effort: a malformed one leaves its fields unset. crit_oid is a critical extension
 * neither of charon's certificate parsers knows (6.0.6: plugins/x509/x509_cert.c
 * parse_certificate, plugins/openssl/openssl_x509.c parse_extensions); charon refuses to
 * load such a certificate while x509.enforce_critical is on (the default). */
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

/* An OID's contents as dotted text ("1.3.6.1.5.5.7.3.1") appended to out. 0, or -EBADMSG
 * (empty, an arc over 64 bits, truncated, longer than X509_MAX_OID_TEXT); out unchanged on
 * error. */
int x509_oid_text(const unsigned char *oid, size_t len, struct buf *out);

/* The i-th subjectAltName of xi as an identity strongSwan writes, appended to out:
 * "fqdn:NAME" (dNSName), "email:ADDR" (rfc822Name), "ipv4:A" / "ipv6:A" (iPAddress),
 * "asn1dn:DN" (directoryName, as x509_dn_text). 0; -ENOENT past the last one; -ERANGE for a
 * name of another kind (URI, otherName, ...: skip it); -EBADMSG when malformed. */
int x509_san_id(const struct x509_info *xi, size_t i, struct buf *out);

/* Whether xi's certificatePolicies hold the dotted OID, or also anyPolicy (2.5.29.32.0)
 * when any_ok. 1 yes, 0 no (or no such extension), -EBADMSG when malformed. */
int x509_has_policy(const struct x509_info *xi, const char *oid, bool any_ok);

#endif
