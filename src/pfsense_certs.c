/* pfsense_certs.c - the certificate store of config.xml: <cert> and <ca> elements, found by
 * the refid a phase 1 names in certref/caref, their base64 PEM decoded and checked (x509.c
 * reads the certificates; a key is only checked for the form charon loads, never quoted). */
#include "pfsense_certs.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfsense_xml.h"
#include "swanctl_msg.h"
#include "util.h"
#include "x509.h"

/* The top-level <cert> or <ca> element (kind) whose <refid> is refid, or NULL. */
static const xmlNode *store_find(const xmlNode *root, const char *kind, const char *refid)
{
	if (!refid || !*refid)
		return NULL;
	for (const xmlNode *n = pfsense_xml_child(root, kind); n; n = pfsense_xml_next(n, kind)) {
		char *r = pfsense_xml_get(n, "refid");
		bool match = str_eq(r, refid);
		free(r);
		if (match)
			return n;
	}
	return NULL;
}

/* `"descr" (refid X)` of a store element, for comments. Caller frees. */
static char *store_label(const xmlNode *n, const char *refid)
{
	char *d = pfsense_xml_get(n, "descr");
	char *l = d && *d ? xasprintf("\"%s\" (refid %s)", d, refid) : xasprintf("refid %s", refid);

	free(d);
	return l;
}

/* A file name base from a refid: the refid itself when it is a plain name (pfSense's are 13
 * hex digits), else "ref" + 16 hex digits of its SHA-256. Never a path: no '/', no '.'. '-'
 * is left out so that no certificate name ends in "-ca" (the CA files' suffix). */
static char *store_file_base(const char *refid)
{
	char h[65];
	size_t n = strlen(refid);
	bool plain = n > 0 && n <= PFSENSE_CERTS_MAX_REFID_NAME;

	for (const char *c = refid; plain && *c; c++)
		plain = isalnum((unsigned char)*c) || *c == '_';
	if (plain)
		return xstrdup(refid);
	sha256_hex(refid, n, h);
	return xasprintf("ref%.16s", h);
}

/* The base64 text of element n (whitespace ignored) decoded into out, which is reserved in
 * advance so that a private key is never left behind by a realloc. 0, -EFBIG when the text
 * is longer than PFSENSE_MAX_PEM_B64, -EINVAL when absent, empty or not base64. */
static int b64_node_decode(const xmlNode *n, struct buf *out)
{
	struct buf t;
	size_t total = 0;
	int rc;

	if (!n)
		return -EINVAL;
	for (const xmlNode *c = n->children; c; c = c->next)
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
			total += strlen((const char *)c->content);
	if (total > PFSENSE_MAX_PEM_B64)
		return -EFBIG;
	buf_init(&t);
	buf_reserve(&t, total + 2);
	buf_adds(&t, "0s");	/* swanctl's inline base64 form */
	for (const xmlNode *c = n->children; c; c = c->next)
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
			for (const char *p = (const char *)c->content; *p; p++)
				if (!isspace((unsigned char)*p))
					buf_addc(&t, *p);
	buf_reserve(out, total / 4 * 3 + 3);
	rc = t.len > 2 && swanctl_msg_secret_decode(t.data, out) == 0 && out->len ? 0 : -EINVAL;
	buf_free_secret(&t);
	return rc;
}

/* What is wrong with a decoded <crt> (NULL: a PEM certificate x509.c can read); with
 * subject, its subject as an identity (NULL when it cannot be one). */
static const char *pem_cert_problem(const struct buf *pem, char **subject)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	struct buf der, id;
	struct x509_info xi;
	const char *why = NULL;

	buf_init(&der);
	buf_init(&id);
	if (!memmem(pem->data, pem->len, begin, sizeof(begin) - 1))
		why = "not a PEM certificate";
	else if (x509_to_der(pem->data, pem->len, &der) || x509_parse(der.data, der.len, &xi))
		why = "a malformed certificate";
	else if (subject && x509_dn_id(xi.subject, xi.subject_len, &id) == 0)
		*subject = buf_steal(&id);
	buf_free(&der);
	buf_free(&id);
	return why;
}

/* What is wrong with a decoded <prv> (NULL: an unencrypted PEM private key charon loads:
 * PKCS#8, PKCS#1 RSA or SEC1 EC, with a base64 body). Never quotes the key. */
static const char *pem_key_problem(const struct buf *pem)
{
	static const char *const labels[] = { "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", NULL };
	static const char begin[] = "-----BEGIN ", encrypted[] = "ENCRYPTED PRIVATE KEY";
	const char *s = pem->data, *end = s + pem->len, *b, *lab, *e;
	char tail[64];
	struct buf body, der;
	size_t ll, i;
	int rc;

	b = memmem(s, pem->len, begin, sizeof(begin) - 1);
	if (!b)
		return "not a PEM private key";
	lab = b + sizeof(begin) - 1;
	e = memmem(lab, (size_t)(end - lab), "-----", 5);
	if (!e)
		return "not a PEM private key";
	ll = (size_t)(e - lab);
	if (ll == sizeof(encrypted) - 1 && memcmp(lab, encrypted, ll) == 0)
		return "an encrypted private key (charon needs it unencrypted)";
	for (i = 0; labels[i]; i++)
		if (strlen(labels[i]) == ll && memcmp(lab, labels[i], ll) == 0)
			break;
	if (!labels[i])
		return "not a PEM private key of a type charon loads (RSA, EC, PKCS#8)";
	if (memmem(e, (size_t)(end - e), "Proc-Type:", 10))
		return "an encrypted private key (charon needs it unencrypted)";
	snprintf(tail, sizeof(tail), "-----END %.*s-----", (int)ll, lab);
	b = e + 5;
	e = memmem(b, (size_t)(end - b), tail, strlen(tail));
	if (!e)
		return "a PEM private key without its END line";
	/* the body must be base64 */
	buf_init(&body);
	buf_init(&der);
	buf_reserve(&body, (size_t)(e - b) + 2);
	buf_reserve(&der, (size_t)(e - b));
	buf_adds(&body, "0s");
	for (const char *p = b; p < e; p++)
		if (!isspace((unsigned char)*p))
			buf_addc(&body, *p);
	rc = body.len > 2 && swanctl_msg_secret_decode(body.data, &der) == 0 && der.len ? 0 : -EINVAL;
	buf_free_secret(&body);
	buf_free_secret(&der);
	return rc ? "a PEM private key whose body is not base64" : NULL;
}

static void file_add(struct pfsense_cert_entry *e, const char *cert_dir, const char *base, const char *suffix,
		     struct buf *pem, bool secret)
{
	struct pfsense_file *f = &e->file[e->n_file++];

	f->name = xasprintf("%s%s", base, suffix);
	f->path = xasprintf("%s/%s", cert_dir, f->name);
	f->pem = *pem;
	f->secret = secret;
	buf_init(pem);
}

void pfsense_certs_file_free(struct pfsense_file *f)
{
	free(f->name);
	free(f->path);
	if (f->secret)
		buf_free_secret(&f->pem);
	else
		buf_free(&f->pem);
}

void pfsense_certs_commit(struct pfsense_cert_entry *e, struct pfsense_files *files)
{
	for (size_t i = 0; i < e->n_file; i++) {
		bool dup = false;
		for (size_t j = 0; j < files->n && !dup; j++)
			dup = strcmp(files->v[j].name, e->file[i].name) == 0;
		if (dup) {
			pfsense_certs_file_free(&e->file[i]);
			continue;
		}
		files->v = xrealloc(files->v, (files->n + 1) * sizeof(*files->v));
		files->v[files->n++] = e->file[i];
	}
	e->n_file = 0;
}

void pfsense_certs_entry_free(struct pfsense_cert_entry *e)
{
	for (size_t i = 0; i < e->n_file; i++)
		pfsense_certs_file_free(&e->file[i]);
	e->n_file = 0;
	free(e->subject);
	free(e->cert_label);
	free(e->ca_label);
	free(e->ca_parent);
	e->subject = e->cert_label = e->ca_label = e->ca_parent = NULL;
}

char *pfsense_certs_prepare(const xmlNode *root, const xmlNode *ph1, const char *cert_dir,
			    struct pfsense_cert_entry *e)
{
	char *certref = pfsense_xml_get(ph1, "certref"), *caref = pfsense_xml_get(ph1, "caref");
	const xmlNode *cert = store_find(root, "cert", certref), *ca = store_find(root, "ca", caref);
	struct buf crt, prv, cacrt;
	const char *why;
	char *base = NULL, *fail = NULL;
	bool has_prv = pfsense_xml_has_text(pfsense_xml_child(cert, "prv"));

	buf_init(&crt);
	buf_init(&prv);
	buf_init(&cacrt);
	if (cert)
		e->cert_label = store_label(cert, certref);
	if (ca) {
		e->ca_label = store_label(ca, caref);
		e->ca_parent = pfsense_xml_get(ca, "caref");
		if (e->ca_parent && !*e->ca_parent) {
			free(e->ca_parent);
			e->ca_parent = NULL;
		}
	}
	if (!certref || !*certref) {
		fail = xasprintf("certificate authentication without a certificate (no certref)");
	} else if (!cert) {
		fail = xasprintf("certificate refid %s is not in config.xml (no <cert> with that refid)", certref);
	} else if (b64_node_decode(pfsense_xml_child(cert, "crt"), &crt) != 0) {
		fail = xasprintf("certificate %s: <crt> is missing or not base64", e->cert_label);
	} else if ((why = pem_cert_problem(&crt, &e->subject))) {
		fail = xasprintf("certificate %s: <crt> is %s", e->cert_label, why);
	} else if (!has_prv) {
		fail = xasprintf("certificate %s has no private key in config.xml (no <prv>: a certificate imported without its key, or a CSR)",
			 e->cert_label);
	} else if (!caref || !*caref) {
		fail = xasprintf("certificate authentication without a peer certificate authority (no caref)");
	} else if (!ca) {
		fail = xasprintf("CA refid %s is not in config.xml (no <ca> with that refid)", caref);
	} else if (b64_node_decode(pfsense_xml_child(ca, "crt"), &cacrt) != 0) {
		fail = xasprintf("CA %s: <crt> is missing or not base64", e->ca_label);
	} else if ((why = pem_cert_problem(&cacrt, NULL))) {
		fail = xasprintf("CA %s: <crt> is %s", e->ca_label, why);
	} else if (!cert_dir) {
		fail = xasprintf("certificate authentication: import-pfsense --cert-dir DIR writes certificate %s, its private key and CA %s into DIR and imports this entry",
			 e->cert_label, e->ca_label);
	} else if (b64_node_decode(pfsense_xml_child(cert, "prv"), &prv) != 0) {
		fail = xasprintf("certificate %s: the private key (<prv>) is too long or not base64", e->cert_label);
	} else if ((why = pem_key_problem(&prv))) {
		fail = xasprintf("certificate %s: the private key (<prv>) is %s", e->cert_label, why);
	} else {
		base = store_file_base(certref);
		file_add(e, cert_dir, base, ".crt", &crt, false);
		file_add(e, cert_dir, base, ".key", &prv, true);
		free(base);
		base = store_file_base(caref);
		file_add(e, cert_dir, base, "-ca.crt", &cacrt, false);
	}
	free(base);
	free(certref);
	free(caref);
	buf_free(&crt);
	buf_free_secret(&prv);
	buf_free(&cacrt);
	return fail;
}
