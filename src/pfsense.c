/* pfsense.c - pfSense config.xml's <ipsec> section to a tunnel file (SPEC §6 import-pfsense).
 *
 * Field names are pfSense's (phase1: ikeid, iketype, remote-gateway, encryption/item, ...;
 * phase2: reqid, localid, remoteid, encryption-algorithm-option, ...). Each phase 1 becomes a
 * `tunnels { N { } }` section; entries the tunnel file cannot express are commented out with
 * the reason, single settings it cannot express become "not supported" comments.
 * Certificates (<cert>/<ca> by certref/caref, base64 of PEM) are decoded here and handed to
 * the caller as files to write; this file itself writes nothing.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pfsense.h"
#include "swanctl_msg.h"
#include "tunnel.h"
#include "x509.h"

/* ---- XML access: element children and their text, never through entities ---- */

static xmlNode *child(const xmlNode *n, const char *name)
{
	if (!n)
		return NULL;
	for (xmlNode *c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

static xmlNode *next_named(xmlNode *c, const char *name)
{
	for (c = c ? c->next : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

/* Text of element n (text and CDATA children only), trimmed; "" when empty; NULL when n is
 * NULL or the text is longer than PFSENSE_MAX_VALUE. Caller frees. */
static char *node_text(const xmlNode *n)
{
	struct buf b;
	size_t s = 0;

	if (!n)
		return NULL;
	buf_init(&b);
	buf_adds(&b, "");
	for (xmlNode *c = n->children; c; c = c->next) {
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
			buf_adds(&b, (const char *)c->content);
		if (b.len > PFSENSE_MAX_VALUE) {
			buf_free_secret(&b);
			return NULL;
		}
	}
	while (b.len && isspace((unsigned char)b.data[b.len - 1]))
		b.data[--b.len] = '\0';
	while (s < b.len && isspace((unsigned char)b.data[s]))
		s++;
	memmove(b.data, b.data + s, b.len - s + 1);
	return buf_steal(&b);
}

/* Text of child element name of n, or NULL if absent. Caller frees. */
static char *get(const xmlNode *n, const char *name)
{
	return node_text(child(n, name));
}

static bool has(const xmlNode *n, const char *name)
{
	return child(n, name) != NULL;
}

/* ---- output ---- */

struct out {
	struct buf *b;
	int depth;
	struct pfsense_stats *st;
	const char *cert_dir;		/* NULL: certificate entries stay commented out */
	struct pfsense_files *files;	/* certificate files of the entries imported so far */
	bool used_ike[TUNNEL_MAX_ID + 1];	/* IKE IDs and reqids already written: both unique */
	bool used_reqid[TUNNEL_MAX_ID + 1];
};

static void indent(struct out *o)
{
	for (int i = 0; i < o->depth; i++)
		buf_addc(o->b, '\t');
}

static void comment(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void comment(struct out *o, const char *fmt, ...)
{
	va_list ap;
	size_t start;

	indent(o);
	buf_adds(o->b, "# ");
	start = o->b->len;
	va_start(ap, fmt);
	buf_vprintf(o->b, fmt, ap);
	va_end(ap);
	/* values from the XML end up here: keep the comment on one line */
	for (size_t i = start; i < o->b->len; i++)
		if (o->b->data[i] == '\n' || o->b->data[i] == '\r')
			o->b->data[i] = ' ';
	buf_addc(o->b, '\n');
}

static void unsupported(struct out *o, const char *what, const char *value)
{
	comment(o, "not supported: %s%s%s", what, value ? " = " : "", value ? value : "");
	o->st->unsupported++;
}

static bool plain_value(const char *v)
{
	size_t n = strlen(v);

	if (!n || v[0] == ' ' || v[n - 1] == ' ')
		return false;
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._:/@,-+ ()", *p))
			return false;
	return true;
}

/* key = value, quoted unless it is plain; control characters become spaces. */
static void kv(struct out *o, const char *key, const char *v)
{
	indent(o);
	buf_printf(o->b, "%s = ", key);
	if (plain_value(v)) {
		buf_adds(o->b, v);
	} else {
		buf_addc(o->b, '"');
		for (const char *p = v; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_addc(o->b, '\\');
			buf_addc(o->b, (unsigned char)*p < 0x20 ? ' ' : *p);
		}
		buf_addc(o->b, '"');
	}
	buf_addc(o->b, '\n');
}

/* key = value exactly as built (identities carry their own quotes); control characters become spaces. */
static void kv_raw(struct out *o, const char *key, const char *v)
{
	indent(o);
	buf_printf(o->b, "%s = ", key);
	for (const char *p = v; *p; p++)
		buf_addc(o->b, (unsigned char)*p < 0x20 ? ' ' : *p);
	buf_addc(o->b, '\n');
}

static void kvf(struct out *o, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void kvf(struct out *o, const char *key, const char *fmt, ...)
{
	va_list ap;
	struct buf v;

	buf_init(&v);
	va_start(ap, fmt);
	buf_vprintf(&v, fmt, ap);
	va_end(ap);
	kv(o, key, v.data);
	buf_free(&v);
}

static void open_sec(struct out *o, const char *name)
{
	indent(o);
	buf_printf(o->b, "%s {\n", name);
	o->depth++;
}

static void close_sec(struct out *o)
{
	o->depth--;
	indent(o);
	buf_adds(o->b, "}\n");
}

/* ---- value helpers ---- */

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static bool is_ip(const char *s, int *family)
{
	unsigned char a[16];

	if (s && inet_pton(AF_INET, s, a) == 1) {
		*family = AF_INET;
		return true;
	}
	if (s && inet_pton(AF_INET6, s, a) == 1) {
		*family = AF_INET6;
		return true;
	}
	return false;
}

/* "addr/bits" with the host bits cleared, as pfSense's gen_subnet does; NULL if invalid. */
static char *network_of(const char *addr, const char *bits_s)
{
	unsigned char a[16];
	char text[INET6_ADDRSTRLEN];
	unsigned long bits;
	int fam;

	if (!is_ip(addr, &fam) || !parse_uint(bits_s, fam == AF_INET ? 32 : 128, &bits))
		return NULL;
	inet_pton(fam, addr, a);
	for (unsigned i = 0; i < (fam == AF_INET ? 4u : 16u); i++) {
		unsigned keep = bits >= (i + 1) * 8 ? 8 : bits > i * 8 ? (unsigned)(bits - i * 8) : 0;
		a[i] &= (unsigned char)(0xff00u >> keep);
	}
	inet_ntop(fam, a, text, sizeof(text));
	return xasprintf("%s/%lu", text, bits);
}

/* The pfSense interface (wan, lan, optN, _vipXXX) as config.xml defines it: its static
 * address (v6: ipaddrv6) and prefix length, or false (dhcp, pppoe, unknown). */
static bool iface_static(const xmlNode *root, const char *ifname, bool v6, char **addr, char **bits)
{
	const xmlNode *ifs = child(root, "interfaces"), *vips = child(child(root, "virtualip"), "vip");
	char *a = NULL, *s = NULL;
	int fam;

	*addr = *bits = NULL;
	if (!ifname)
		return false;
	if (str_startswith(ifname, "_vip")) {
		for (const xmlNode *v = vips; v; v = next_named((xmlNode *)v, "vip")) {
			char *u = get(v, "uniqid");
			bool match = u && strcmp(u, ifname + 4) == 0;
			free(u);
			if (match) {
				a = get(v, "subnet");
				s = get(v, "subnet_bits");
				break;
			}
		}
	} else {
		const xmlNode *i = child(ifs, ifname);
		a = get(i, v6 ? "ipaddrv6" : "ipaddr");
		s = get(i, v6 ? "subnetv6" : "subnet");
	}
	if (a && is_ip(a, &fam) && (fam == AF_INET6) == v6 && s) {
		*addr = a;
		*bits = s;
		return true;
	}
	free(a);
	free(s);
	return false;
}

/* pfSense's encryption name and key length to ours: aes+256 -> aes256, aes128gcm+128 ->
 * aes128gcm128, aes+auto -> aes. NULL when there is no such algorithm. Caller frees. */
static char *enc_name(const char *name, const char *keylen)
{
	static const char *const fixed[] = { "chacha20poly1305", "3des", "des", "cast128", NULL };
	bool autolen = !keylen || !*keylen || strcmp(keylen, "auto") == 0;
	unsigned long k;

	if (!name)
		return NULL;
	for (size_t i = 0; fixed[i]; i++)
		if (strcmp(name, fixed[i]) == 0)
			return xstrdup(name);
	if (strcmp(name, "aes") == 0 || strcmp(name, "blowfish") == 0) {
		if (autolen)
			return xstrdup(name);
		if (parse_uint(keylen, 256, &k) && (k == 128 || k == 192 || k == 256))
			return xasprintf("%s%lu", name, k);
		return NULL;
	}
	if (strcmp(name, "aes128gcm") == 0 || strcmp(name, "aes192gcm") == 0 || strcmp(name, "aes256gcm") == 0) {
		if (autolen)
			return xasprintf("%s128", name);	/* pfSense's default ICV length */
		if (parse_uint(keylen, 128, &k) && (k == 64 || k == 96 || k == 128))
			return xasprintf("%s%lu", name, k);
	}
	return NULL;
}

static bool known_hash(const char *h)
{
	static const char *const names[] = { "md5", "sha1", "sha256", "sha384", "sha512", "aesxcbc", NULL };

	for (size_t i = 0; h && names[i]; i++)
		if (strcmp(h, names[i]) == 0)
			return true;
	return false;
}

static bool known_dh(unsigned long g)
{
	return g == 1 || g == 2 || g == 5 || (g >= 14 && g <= 32);
}

/* ---- identities ---- */

/* pfSense's (type, data) to a tunnel-file identity; NULL when it cannot be said. Caller frees. */
static char *identity(const char *type, const char *data, bool local)
{
	int fam;

	if (!type || !*type)
		return xstrdup(local ? "myaddress" : "peeraddress");
	if (strcmp(type, "myaddress") == 0 && local)
		return xstrdup("myaddress");
	if (strcmp(type, "peeraddress") == 0 && !local)
		return xstrdup("peeraddress");
	if (strcmp(type, "any") == 0 && !local)
		return xstrdup("any");
	if (!data || !*data)
		return NULL;
	/* "auto" lets strongSwan guess from the content; say what it would guess */
	if (strcmp(type, "auto") == 0)
		type = is_ip(data, &fam) ? "address" : strchr(data, '=') ? "asn1dn" : strchr(data, '@') ? "user_fqdn" : "fqdn";
	if (strcmp(type, "address") == 0)
		return is_ip(data, &fam) ? xasprintf("address:%s", data) : NULL;
	if (strcmp(type, "fqdn") == 0 || strcmp(type, "dyn_dns") == 0)
		return xasprintf("fqdn:%s", data);
	if (strcmp(type, "user_fqdn") == 0)
		return xasprintf("user_fqdn:%s", data);
	if (strcmp(type, "asn1dn") == 0)
		return strchr(data, '"') ? NULL : xasprintf("asn1dn:\"%s\"", data);
	if (strcmp(type, "keyid tag") == 0) {
		/* strongSwan's keyid:TEXT is the text's bytes: the same identity as hex */
		struct buf h;
		buf_init(&h);
		buf_adds(&h, "keyid:");
		for (const char *p = data; *p; p++)
			buf_printf(&h, "%02x", (unsigned char)*p);
		return buf_steal(&h);
	}
	return NULL;
}

/* ---- phase 1 ---- */

struct p1ctx {
	const xmlNode *root;
	const xmlNode *ph1;
	unsigned long ikeid;
	bool fatal;		/* the entry cannot be imported: comment the block out */
	char *why;		/* the reason */
	bool cert_auth;		/* authentication_method cert (rsasig in old configs) */
	char *subject;		/* the certificate's subject as an identity, or NULL */
	char *cert_label;	/* "descr" (refid X) of the certificate and of the CA, for comments */
	char *ca_label;
	char *ca_parent;	/* the CA's own <caref> (an intermediate CA), or NULL */
	struct pfsense_file pending[3];	/* certificate, key, CA: handed over if the entry stays */
	size_t n_pending;
};

static void p1_fatal(struct p1ctx *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void p1_fatal(struct p1ctx *p, const char *fmt, ...)
{
	va_list ap;
	struct buf b;

	if (p->fatal)
		return;
	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	p->fatal = true;
	p->why = buf_steal(&b);
}

/* ---- certificates: <cert> and <ca> elements, referenced by certref/caref ---- */

#define PFSENSE_MAX_REFID_NAME 64u	/* a refid used as a file name as it is */

/* The top-level <cert> or <ca> element (kind) whose <refid> is refid, or NULL. */
static const xmlNode *store_find(const xmlNode *root, const char *kind, const char *refid)
{
	if (!refid || !*refid)
		return NULL;
	for (const xmlNode *n = child(root, kind); n; n = next_named((xmlNode *)n, kind)) {
		char *r = get(n, "refid");
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
	char *d = get(n, "descr");
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
	bool plain = n > 0 && n <= PFSENSE_MAX_REFID_NAME;

	for (const char *c = refid; plain && *c; c++)
		plain = isalnum((unsigned char)*c) || *c == '_';
	if (plain)
		return xstrdup(refid);
	sha256_hex(refid, n, h);
	return xasprintf("ref%.16s", h);
}

/* True when element n has text other than white space (without copying it: it may be a key). */
static bool has_text(const xmlNode *n)
{
	for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
			for (const char *p = (const char *)c->content; *p; p++)
				if (!isspace((unsigned char)*p))
					return true;
	return false;
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

static void pending_add(struct out *o, struct p1ctx *p, const char *base, const char *suffix,
			struct buf *pem, bool secret)
{
	struct pfsense_file *f = &p->pending[p->n_pending++];

	f->name = xasprintf("%s%s", base, suffix);
	f->path = xasprintf("%s/%s", o->cert_dir, f->name);
	f->pem = *pem;
	f->secret = secret;
	buf_init(pem);
}

static void file_free(struct pfsense_file *f)
{
	free(f->name);
	free(f->path);
	if (f->secret)
		buf_free_secret(&f->pem);
	else
		buf_free(&f->pem);
}

void pfsense_files_free(struct pfsense_files *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		file_free(&f->v[i]);
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

/* Hand an imported entry's files to the caller's list, once per name. */
static void pending_commit(struct out *o, struct p1ctx *p)
{
	for (size_t i = 0; i < p->n_pending; i++) {
		bool dup = false;
		for (size_t j = 0; j < o->files->n && !dup; j++)
			dup = strcmp(o->files->v[j].name, p->pending[i].name) == 0;
		if (dup) {
			file_free(&p->pending[i]);
			continue;
		}
		o->files->v = xrealloc(o->files->v, (o->files->n + 1) * sizeof(*o->files->v));
		o->files->v[o->files->n++] = p->pending[i];
	}
	p->n_pending = 0;
}

/* Look up and decode the certificate, key and CA of a certificate entry before anything is
 * written: the subject may be its local identity, and a missing piece makes the entry a
 * comment with the reason (never the key's content). */
static void p1_cert_prepare(struct out *o, struct p1ctx *p)
{
	char *certref = get(p->ph1, "certref"), *caref = get(p->ph1, "caref");
	const xmlNode *cert = store_find(p->root, "cert", certref), *ca = store_find(p->root, "ca", caref);
	struct buf crt, prv, cacrt;
	const char *why;
	char *base = NULL;
	bool has_prv = has_text(child(cert, "prv"));

	buf_init(&crt);
	buf_init(&prv);
	buf_init(&cacrt);
	if (cert)
		p->cert_label = store_label(cert, certref);
	if (ca) {
		p->ca_label = store_label(ca, caref);
		p->ca_parent = get(ca, "caref");
		if (p->ca_parent && !*p->ca_parent) {
			free(p->ca_parent);
			p->ca_parent = NULL;
		}
	}
	if (!certref || !*certref) {
		p1_fatal(p, "certificate authentication without a certificate (no certref)");
	} else if (!cert) {
		p1_fatal(p, "certificate refid %s is not in config.xml (no <cert> with that refid)", certref);
	} else if (b64_node_decode(child(cert, "crt"), &crt) != 0) {
		p1_fatal(p, "certificate %s: <crt> is missing or not base64", p->cert_label);
	} else if ((why = pem_cert_problem(&crt, &p->subject))) {
		p1_fatal(p, "certificate %s: <crt> is %s", p->cert_label, why);
	} else if (!has_prv) {
		p1_fatal(p, "certificate %s has no private key in config.xml (no <prv>: a certificate imported without its key, or a CSR)",
			 p->cert_label);
	} else if (!caref || !*caref) {
		p1_fatal(p, "certificate authentication without a peer certificate authority (no caref)");
	} else if (!ca) {
		p1_fatal(p, "CA refid %s is not in config.xml (no <ca> with that refid)", caref);
	} else if (b64_node_decode(child(ca, "crt"), &cacrt) != 0) {
		p1_fatal(p, "CA %s: <crt> is missing or not base64", p->ca_label);
	} else if ((why = pem_cert_problem(&cacrt, NULL))) {
		p1_fatal(p, "CA %s: <crt> is %s", p->ca_label, why);
	} else if (!o->cert_dir) {
		p1_fatal(p, "certificate authentication: import-pfsense --cert-dir DIR writes certificate %s, its private key and CA %s into DIR and imports this entry",
			 p->cert_label, p->ca_label);
	} else if (b64_node_decode(child(cert, "prv"), &prv) != 0) {
		p1_fatal(p, "certificate %s: the private key (<prv>) is too long or not base64", p->cert_label);
	} else if ((why = pem_key_problem(&prv))) {
		p1_fatal(p, "certificate %s: the private key (<prv>) is %s", p->cert_label, why);
	} else {
		base = store_file_base(certref);
		pending_add(o, p, base, ".crt", &crt, false);
		pending_add(o, p, base, ".key", &prv, true);
		free(base);
		base = store_file_base(caref);
		pending_add(o, p, base, "-ca.crt", &cacrt, false);
	}
	free(base);
	free(certref);
	free(caref);
	buf_free(&crt);
	buf_free_secret(&prv);
	buf_free(&cacrt);
}

/* Simple value copies: pfSense element -> tunnel-file key, when present and not empty. */
static void copy_duration(struct out *o, const xmlNode *n, const char *from, const char *to)
{
	char *v = get(n, from);
	unsigned long x;

	if (v && *v) {
		if (parse_uint(v, 10UL * 365 * 86400, &x))
			kvf(o, to, "%lu", x);
		else
			unsupported(o, from, v);
	}
	free(v);
}

static void p1_local(struct out *o, struct p1ctx *p)
{
	char *iface = get(p->ph1, "interface"), *proto = get(p->ph1, "protocol");
	char *addr, *bits;
	bool v6 = proto && strcmp(proto, "inet6") == 0;

	if (proto && strcmp(proto, "both") == 0)
		unsupported(o, "protocol (IPv4 and IPv6 on one phase 1)", proto);
	if (iface_static(p->root, iface ? iface : "wan", v6, &addr, &bits)) {
		kv(o, "local_address", addr);
		free(addr);
		free(bits);
	} else {
		comment(o, "pfSense interface %s has no static %s address in config.xml: charon uses any local address; set local_address or interface",
			iface ? iface : "wan", v6 ? "IPv6" : "IPv4");
	}
	free(iface);
	free(proto);
}

static void p1_proposals(struct out *o, struct p1ctx *p)
{
	const xmlNode *items = child(child(p->ph1, "encryption"), "item");
	bool prf = has(p->ph1, "prfselect_enable");
	unsigned n = 0;

	for (const xmlNode *it = items; it; it = next_named((xmlNode *)it, "item")) {
		const xmlNode *ea = child(it, "encryption-algorithm");
		char *name = get(ea, "name"), *keylen = get(ea, "keylen"), *enc = enc_name(name, keylen);
		char *hash = get(it, "hash-algorithm"), *prfalg = get(it, "prf-algorithm"), *dh = get(it, "dhgroup");
		unsigned long g;
		char num[24];

		/* pfSense leaves out items without a hash, AEAD ones included */
		if (!enc || !parse_uint(dh, 32, &g) || !known_dh(g) || !known_hash(hash)) {
			comment(o, "proposal %s-%s-%s-%s: not supported, left out", name ? name : "?",
				keylen ? keylen : "", hash ? hash : "", dh ? dh : "?");
			o->st->unsupported++;
		} else {
			if (n == 0)
				open_sec(o, "proposals");
			snprintf(num, sizeof(num), "%u", ++n);
			open_sec(o, num);
			kv(o, "encryption", enc);
			/* as pfSense stores it: on an AEAD entry the tunnel file, like charon, takes
			 * the hash as the PRF (docs/tunnel-file.md) */
			kv(o, "hash", hash);
			if (prf && prfalg && known_hash(prfalg))
				kv(o, "prf", prfalg);
			kvf(o, "dh_group", "%lu", g);
			close_sec(o);
		}
		free(name);
		free(keylen);
		free(enc);
		free(hash);
		free(prfalg);
		free(dh);
	}
	if (n)
		close_sec(o);
	else
		p1_fatal(p, "no usable encryption algorithm");
}

static void p1_auth(struct out *o, struct p1ctx *p)
{
	char *method = get(p->ph1, "authentication_method"), *psk;

	if (!method || strcmp(method, "pre_shared_key") == 0) {
		psk = get(p->ph1, "pre-shared-key");
		if (!psk || !*psk)
			p1_fatal(p, "pre-shared key missing (values given through XML entities are not read)");
		else
			kv(o, "psk", psk);
		secret_free(psk);
	} else if (p->cert_auth) {
		kv(o, "auth", "cert");
		if (p->n_pending == ARRAY_SIZE(p->pending)) {
			comment(o, "certificate %s, CA %s: imported from config.xml", p->cert_label, p->ca_label);
			kv(o, "cert", p->pending[0].path);
			kv(o, "key", p->pending[1].path);
			kv(o, "ca", p->pending[2].path);
			if (p->ca_parent)
				comment(o, "CA %s is an intermediate (issued by CA refid %s): only it is imported; charon trusts it as ca without the chain above it",
					p->ca_label, p->ca_parent);
		}
	} else {
		p1_fatal(p, "authentication method %s (mobile/XAuth/EAP/PKCS#11) is not supported", method);
	}
	free(method);
}

static void p1_ids(struct out *o, struct p1ctx *p)
{
	static const char *const sides[][3] = { { "myid_type", "myid_data", "local_id" },
						{ "peerid_type", "peerid_data", "remote_id" } };

	for (int s = 0; s < 2; s++) {
		char *type = get(p->ph1, sides[s][0]), *data = get(p->ph1, sides[s][1]);
		char *id;
		/* pfSense: a local asn1dn without data is the certificate's subject */
		if (s == 0 && p->cert_auth && str_eq(type, "asn1dn") && (!data || !*data)) {
			free(data);
			data = p->subject ? xstrdup(p->subject) : NULL;
			if (!data && !p->fatal)
				p1_fatal(p, "myid_type asn1dn means the certificate's subject, which cannot be written as a strongSwan identity; set local_id by hand");
		}
		id = identity(type, data, s == 0);
		if (id) {
			if (strcmp(id, s == 0 ? "myaddress" : "peeraddress") != 0)
				kv_raw(o, sides[s][2], id);
		} else {
			p1_fatal(p, "%s %s '%s' cannot be expressed", sides[s][0], type ? type : "", data ? data : "");
		}
		free(type);
		free(data);
		free(id);
	}
}

static void p1_enum(struct out *o, const xmlNode *ph1, const char *from, const char *to,
		    const char *const map[][2])
{
	char *v = get(ph1, from);

	if (v && *v) {
		size_t i;
		for (i = 0; map[i][0]; i++)
			if (strcmp(v, map[i][0]) == 0)
				break;
		if (!map[i][0])
			unsupported(o, from, v);
		else if (map[i][1])
			kv(o, to, map[i][1]);
	}
	free(v);
}

/* pfSense phase 1 settings with no tunnel-file equivalent: flags (reported when present)
 * and values (reported when not empty). */
static const char *const p1_unsupported_flags[] = {
	"tfc_enable", "gw_duplicates", "reauth_enable", "rekey_enable", "responderonly", NULL,
};
static const char *const p1_unsupported_values[] = {
	"tfc_bytes", "margintime", "pkcs11certref", NULL,
};

/* ---- phase 2 ---- */

static void comment_out(struct buf *b, size_t start);

/* A phase 2 localid/remoteid to a selector; NULL (with *why) when it cannot be said. */
static char *p2_selector(const xmlNode *root, const xmlNode *id, bool vti, bool v6, const char **why)
{
	char *type = get(id, "type"), *addr = get(id, "address"), *bits = get(id, "netbits"), *r = NULL;
	char *ia, *ib;
	int fam;

	*why = "missing";
	if (!type) {
		/* nothing */
	} else if (strcmp(type, "address") == 0) {
		r = is_ip(addr, &fam) ? xstrdup(addr) : NULL;
	} else if (strcmp(type, "network") == 0) {
		/* VTI keeps the interface address; policies want the network */
		if (vti)
			r = is_ip(addr, &fam) && bits ? xasprintf("%s/%s", addr, bits) : NULL;
		else
			r = network_of(addr, bits);
	} else if (strcmp(type, "none") == 0) {
		*why = "type none";
	} else if (iface_static(root, type, v6, &ia, &ib)) {
		r = network_of(ia, ib);
		free(ia);
		free(ib);
	} else {
		*why = "an interface without a static subnet in config.xml";
	}
	if (!r && type && strcmp(*why, "missing") == 0)
		*why = "invalid";
	free(type);
	free(addr);
	free(bits);
	return r;
}

static void p2_write(struct out *o, const xmlNode *root, const xmlNode *ph2, unsigned long reqid)
{
	char *mode = get(ph2, "mode"), *descr = get(ph2, "descr"), *proto = get(ph2, "protocol");
	char *pfs = get(ph2, "pfsgroup"), *ping = get(ph2, "pinghost"), *ka = get(ph2, "keepalive");
	bool vti = mode && strcmp(mode, "vti") == 0, v6 = mode && strcmp(mode, "tunnel6") == 0;
	bool transport = mode && strcmp(mode, "transport") == 0;
	const char *why_l, *why_r;
	char *local = p2_selector(root, child(ph2, "localid"), vti, v6, &why_l);
	char *remote = p2_selector(root, child(ph2, "remoteid"), vti, v6, &why_r);
	char num[24];
	struct buf enc, hash;
	unsigned long g;
	int fam;

	size_t start = o->b->len;

	snprintf(num, sizeof(num), "%lu", reqid);
	if (!transport && (!local || !remote)) {
		comment(o, "P2 reqid %lu (%s): skipped: %s network %s", reqid, descr ? descr : "",
			local ? "remote" : "local", local ? why_r : why_l);
		o->st->skipped++;
		goto out;
	}
	open_sec(o, num);
	if (descr && *descr)
		kv(o, "description", descr);
	if (has(ph2, "disabled"))
		kv(o, "enabled", "no");
	if (mode && strcmp(mode, "tunnel") != 0) {
		if (vti || v6 || transport)
			kv(o, "mode", mode);
		else
			unsupported(o, "mode", mode);
	}
	if (local)
		kv(o, "local", local);
	if (remote)
		kv(o, "remote", remote);
	if (proto && strcmp(proto, "ah") == 0)
		kv(o, "protocol", "ah");
	/* encryption and integrity lists */
	buf_init(&enc);
	buf_init(&hash);
	for (const xmlNode *e = child(ph2, "encryption-algorithm-option"); e;
	     e = next_named((xmlNode *)e, "encryption-algorithm-option")) {
		char *name = get(e, "name"), *keylen = get(e, "keylen"), *n = enc_name(name, keylen);
		if (n)
			buf_printf(&enc, "%s%s", enc.len ? ", " : "", n);
		else
			unsupported(o, "encryption", name);
		free(name);
		free(keylen);
		free(n);
	}
	for (const xmlNode *h = child(ph2, "hash-algorithm-option"); h; h = next_named((xmlNode *)h, "hash-algorithm-option")) {
		char *v = node_text(h);
		const char *n = v && str_startswith(v, "hmac_") ? v + 5 : v;
		if (n && known_hash(n))
			buf_printf(&hash, "%s%s", hash.len ? ", " : "", n);
		else if (v && *v)
			unsupported(o, "hash", v);
		free(v);
	}
	if (enc.len && (!proto || strcmp(proto, "ah") != 0))
		kv(o, "encryption", enc.data);
	if (hash.len)
		kv(o, "hash", hash.data);
	buf_free(&enc);
	buf_free(&hash);
	if (pfs && parse_uint(pfs, 32, &g) && (g == 0 || known_dh(g)))
		kvf(o, "pfs_group", "%lu", g);
	else if (!pfs || !*pfs)
		kv(o, "pfs_group", "0");	/* pfSense: no pfsgroup = PFS off */
	else
		unsupported(o, "pfsgroup", pfs);
	copy_duration(o, ph2, "lifetime", "lifetime");
	copy_duration(o, ph2, "rekey_time", "rekey_time");
	copy_duration(o, ph2, "rand_time", "rand_time");
	if (ping && *ping) {
		if (is_ip(ping, &fam))
			kv(o, "ping_host", ping);
		else
			unsupported(o, "pinghost", ping);
	}
	if (ka && strcmp(ka, "enabled") == 0)
		kv(o, "keepalive", "yes");
	close_sec(o);
	/* the peer expects the translated network: without NAT the SA would not match */
	if (has(ph2, "natlocalid")) {
		comment_out(o->b, start);
		comment(o, "P2 reqid %lu: commented out: NAT/BINAT of the local network (natlocalid) is not supported", reqid);
		o->st->skipped++;
		goto out;
	}
	o->st->p2++;
out:
	free(mode);
	free(descr);
	free(proto);
	free(pfs);
	free(ping);
	free(ka);
	free(local);
	free(remote);
}

static void p1_phase2s(struct out *o, const xmlNode *ipsec, const xmlNode *root, unsigned long ikeid)
{
	bool opened = false;

	for (const xmlNode *ph2 = child(ipsec, "phase2"); ph2; ph2 = next_named((xmlNode *)ph2, "phase2")) {
		char *id = get(ph2, "ikeid"), *rq = get(ph2, "reqid"), *descr = get(ph2, "descr");
		unsigned long i, reqid;
		if (parse_uint(id, TUNNEL_MAX_ID, &i) && i == ikeid) {
			if (!opened)
				open_sec(o, "phase2");
			opened = true;
			if (!parse_uint(rq, TUNNEL_MAX_ID, &reqid) || reqid == 0) {
				comment(o, "P2 %s: skipped: no valid reqid", descr ? descr : "");
				o->st->skipped++;
			} else if (o->used_reqid[reqid]) {
				comment(o, "P2 reqid %lu (%s): skipped: reqid used twice", reqid, descr ? descr : "");
				o->st->skipped++;
			} else {
				o->used_reqid[reqid] = true;
				p2_write(o, root, ph2, reqid);
			}
		}
		free(id);
		free(rq);
		free(descr);
	}
	if (opened)
		close_sec(o);
}

/* Comment out every line from start on ("# " after the indentation) (an entry that cannot be imported as it is). */
static void comment_out(struct buf *b, size_t start)
{
	struct buf t;
	size_t i = start;

	buf_init(&t);
	while (i < b->len) {
		size_t e = i;
		size_t tabs = i;
		while (e < b->len && b->data[e] != '\n')
			e++;
		while (tabs < e && b->data[tabs] == '\t')
			tabs++;
		buf_add(&t, b->data + i, tabs - i);
		buf_adds(&t, "# ");
		buf_add(&t, b->data + tabs, e - tabs);
		buf_addc(&t, '\n');
		i = e + 1;
	}
	b->len = start;
	b->data[start] = '\0';
	buf_add(b, t.data, t.len);
	buf_free_secret(&t);
}

/* Whatever config.xml holds (hand edits, other versions), an entry the tunnel model refuses
 * is commented out with the model's reason, so the output always passes check. */
static void p1_validate(struct p1ctx *p, const char *block, size_t len)
{
	struct tc_errors errs = { 0 };
	struct buf t;
	struct tunnel_file *tf;

	buf_init(&t);
	buf_adds(&t, "tunnels {\n");
	buf_add(&t, block, len);
	buf_adds(&t, "}\n");
	tf = tunnel_from_tree(conf_parse("entry", t.data, t.len, NULL, &errs), &errs);
	for (size_t i = 0; i < errs.n; i++) {
		if (!errs.v[i].warning) {
			p1_fatal(p, "%s", errs.v[i].msg);
			break;
		}
	}
	tunnel_file_free(tf);
	tc_errors_free(&errs);
	buf_free_secret(&t);
}

static void p1_write(struct out *o, const xmlNode *ipsec, const xmlNode *root, const xmlNode *ph1)
{
	static const char *const actions[][2] = { { "none", "none" }, { "start", "start" }, { "trap", "trap" }, { NULL, NULL } };
	static const char *const natt[][2] = { { "on", NULL }, { "force", "force" }, { NULL, NULL } };
	static const char *const onoff[][2] = { { "on", "yes" }, { "off", NULL }, { NULL, NULL } };
	struct p1ctx p = { .root = root, .ph1 = ph1 };
	char *id = get(ph1, "ikeid"), *descr = get(ph1, "descr"), *gw, *ver, *mode, *dpd, *maxfail;
	char *ikeport, *nattport, *method;
	unsigned long x, y;
	size_t start = o->b->len, p2_before = o->st->p2;
	char num[24];

	if (!parse_uint(id, TUNNEL_MAX_ID, &p.ikeid) || p.ikeid == 0) {
		comment(o, "P1 %s: skipped: no valid ikeid", descr ? descr : "");
		o->st->skipped++;
		free(id);
		free(descr);
		return;
	}
	if (has(ph1, "mobile")) {
		comment(o, "P1 ikeid %lu (%s): skipped: mobile client entries are not supported", p.ikeid,
			descr ? descr : "");
		o->st->skipped++;
		free(id);
		free(descr);
		return;
	}
	comment(o, "P1 ikeid %lu%s%s", p.ikeid, descr && *descr ? ": " : "", descr ? descr : "");
	snprintf(num, sizeof(num), "%lu", p.ikeid);
	open_sec(o, num);
	if (descr && *descr)
		kv(o, "description", descr);
	if (has(ph1, "disabled"))
		kv(o, "enabled", "no");
	/* IKE version; pfSense stored no iketype for IKEv1 in old configs */
	ver = get(ph1, "iketype");
	kv(o, "version", ver && *ver ? ver : "ikev1");
	if (ver && *ver && strcmp(ver, "ikev1") && strcmp(ver, "ikev2") && strcmp(ver, "auto"))
		p1_fatal(&p, "iketype %s", ver);
	mode = get(ph1, "mode");
	if (mode && strcmp(mode, "aggressive") == 0 && (!ver || !*ver || strcmp(ver, "ikev1") == 0))
		kv(o, "mode", "aggressive");
	p1_local(o, &p);
	gw = get(ph1, "remote-gateway");
	if (gw && *gw)
		kv(o, "remote_gateway", gw);
	else
		p1_fatal(&p, "no remote-gateway");
	ikeport = get(ph1, "ikeport");
	nattport = get(ph1, "nattport");
	if (ikeport && parse_uint(ikeport, 65535, &x) && x)
		kvf(o, "ike_port", "%lu", x);
	if (nattport && parse_uint(nattport, 65535, &x) && x)
		kvf(o, "natt_port", "%lu", x);
	method = get(ph1, "authentication_method");
	p.cert_auth = str_eq(method, "cert") || str_eq(method, "rsasig");
	free(method);
	if (p.cert_auth)
		p1_cert_prepare(o, &p);
	p1_ids(o, &p);
	p1_auth(o, &p);
	p1_proposals(o, &p);
	copy_duration(o, ph1, "lifetime", "lifetime");
	copy_duration(o, ph1, "rekey_time", "rekey_time");
	copy_duration(o, ph1, "reauth_time", "reauth_time");
	copy_duration(o, ph1, "rand_time", "rand_time");
	/* DPD: pfSense leaves both out when DPD is off; ours defaults to on */
	dpd = get(ph1, "dpd_delay");
	maxfail = get(ph1, "dpd_maxfail");
	if (parse_uint(dpd, 3600, &x) && x && parse_uint(maxfail, 100, &y) && y) {
		kvf(o, "dpd_delay", "%lu", x);
		kvf(o, "dpd_maxfail", "%lu", y);
	} else {
		kv(o, "dpd_delay", "0");
	}
	p1_enum(o, ph1, "nat_traversal", "nat_traversal", natt);
	p1_enum(o, ph1, "mobike", "mobike", onoff);
	p1_enum(o, ph1, "startaction", "start_action", actions);
	p1_enum(o, ph1, "closeaction", "close_action", actions);
	if (has(ph1, "splitconn"))
		kv(o, "split_connections", "yes");
	for (size_t i = 0; p1_unsupported_flags[i]; i++)
		if (has(ph1, p1_unsupported_flags[i]))
			unsupported(o, p1_unsupported_flags[i], NULL);
	for (size_t i = 0; p1_unsupported_values[i]; i++) {
		char *v = get(ph1, p1_unsupported_values[i]);
		if (v && *v)
			unsupported(o, p1_unsupported_values[i], v);
		free(v);
	}
	p1_phase2s(o, ipsec, root, p.ikeid);
	close_sec(o);
	if (o->used_ike[p.ikeid])
		p1_fatal(&p, "ikeid used twice");
	o->used_ike[p.ikeid] = true;
	if (!p.fatal)
		p1_validate(&p, o->b->data + start, o->b->len - start);
	if (p.fatal) {
		comment_out(o->b, start);
		comment(o, "P1 ikeid %lu: commented out: %s", p.ikeid, p.why);
		o->st->skipped++;
		o->st->p2 = p2_before;
	} else {
		o->st->p1++;
		o->st->certs += p.n_pending ? 1 : 0;
		pending_commit(o, &p);
	}
	for (size_t i = 0; i < p.n_pending; i++)
		file_free(&p.pending[i]);
	free(p.why);
	free(p.subject);
	free(p.cert_label);
	free(p.ca_label);
	free(p.ca_parent);
	free(id);
	free(descr);
	free(gw);
	free(ver);
	free(mode);
	free(dpd);
	free(maxfail);
	free(ikeport);
	free(nattport);
}

/* ---- global ---- */

/* <ipsec> settings with no tunnel-file equivalent, reported when present. */
static const char *const global_unsupported_keys[] = {
	"compression", "preferoldsa", "maxexchange", "pkcs11support", "strictcrlpolicy",
	"acceptunencryptedmainmode", "enableinterfacesuse", "async_crypto", "filtermode",
	"vtimaps", "ipsecbypass_pass", "noinstalllanspd", "pmtu", NULL,
};

static void global_write(struct out *o, const xmlNode *root, const xmlNode *ipsec)
{
	const xmlNode *logging = child(ipsec, "logging");
	char *uid = get(ipsec, "uniqueids");
	struct buf bypass;
	char *a, *b, *net;

	open_sec(o, "global");
	if (uid && *uid) {
		if (!strcmp(uid, "replace") || !strcmp(uid, "no") || !strcmp(uid, "never") || !strcmp(uid, "keep"))
			kv(o, "unique_ids", uid);
		else if (!strcmp(uid, "yes"))
			kv(o, "unique_ids", "replace");
		else
			unsupported(o, "uniqueids", uid);
	}
	free(uid);
	/* bypass: the LAN subnet unless "noshuntlaninterfaces", plus bypass rules with one network */
	buf_init(&bypass);
	if (!has(ipsec, "noshuntlaninterfaces")) {
		for (int v6 = 0; v6 < 2; v6++) {
			if (iface_static(root, "lan", v6, &a, &b)) {
				net = network_of(a, b);
				if (net)
					buf_printf(&bypass, "%s%s", bypass.len ? ", " : "", net);
				free(net);
				free(a);
				free(b);
			}
		}
	}
	if (has(ipsec, "ipsecbypass")) {
		const xmlNode *rules = child(child(ipsec, "bypassrules"), "rule");
		for (const xmlNode *r = rules; r; r = next_named((xmlNode *)r, "rule")) {
			char *src = get(r, "source"), *sm = get(r, "srcmask"), *dst = get(r, "destination"), *dm = get(r, "dstmask");
			char *s = network_of(src, sm), *d = network_of(dst, dm);
			if (s && d && strcmp(s, d) == 0)
				buf_printf(&bypass, "%s%s", bypass.len ? ", " : "", s);
			else {
				comment(o, "not supported: bypass rule %s -> %s (only rules whose source and destination are the same network)",
					s ? s : "?", d ? d : "?");
				o->st->unsupported++;
			}
			free(src);
			free(sm);
			free(dst);
			free(dm);
			free(s);
			free(d);
		}
	}
	if (bypass.len)
		kv(o, "bypass_networks", bypass.data);
	buf_free(&bypass);
	for (size_t i = 0; global_unsupported_keys[i]; i++) {
		char *v = get(ipsec, global_unsupported_keys[i]);
		if (v)
			unsupported(o, global_unsupported_keys[i], *v ? v : NULL);
		free(v);
	}
	/* logging: only the categories config.xml sets (the others keep pfSense's defaults) */
	if (logging) {
		bool opened = false;
		for (size_t i = 0; i < TUNNEL_LOG_CATEGORIES; i++) {
			char *v = get(logging, tunnel_log_category_names[i]);
			long l;
			char *end;
			if (v && *v) {
				l = strtol(v, &end, 10);
				if (*end || l < -1 || l > 4) {
					unsupported(o, tunnel_log_category_names[i], v);
				} else {
					if (!opened)
						open_sec(o, "logging");
					opened = true;
					kvf(o, tunnel_log_category_names[i], "%ld", l);
				}
			}
			free(v);
		}
		if (opened)
			close_sec(o);
	}
	close_sec(o);
}

/* Skip from p past the first occurrence of end (or to the end of the text), counting lines. */
static size_t xml_skip_past(const char *xml, size_t len, size_t p, const char *end, unsigned *line)
{
	size_t el = strlen(end);

	for (; p < len; p++) {
		if (len - p >= el && memcmp(xml + p, end, el) == 0)
			return p + el;
		if (xml[p] == '\n')
			(*line)++;
	}
	return len;
}

/* Before libxml2 sees the text: refuse an element with more than PFSENSE_MAX_ATTRS attributes
 * (100k attributes on one element took libxml2 minutes, its duplicate check is quadratic).
 * Counts '=' outside quotes in each start tag; comments, CDATA, processing instructions and
 * declarations are skipped. 0, or -E2BIG with *bad_line (1-based) of the element. */
static int xml_attrs_bounded(const char *xml, size_t len, unsigned *bad_line)
{
	unsigned line = 1;
	size_t p = 0;

	while (p < len) {
		unsigned start_line = line, n = 0;
		char quote = 0;

		if (xml[p] != '<') {
			if (xml[p++] == '\n')
				line++;
			continue;
		}
		if (len - p >= 4 && memcmp(xml + p, "<!--", 4) == 0) {
			p = xml_skip_past(xml, len, p + 4, "-->", &line);
			continue;
		}
		if (len - p >= 9 && memcmp(xml + p, "<![CDATA[", 9) == 0) {
			p = xml_skip_past(xml, len, p + 9, "]]>", &line);
			continue;
		}
		if (len - p >= 2 && (xml[p + 1] == '?' || xml[p + 1] == '!')) {
			p = xml_skip_past(xml, len, p + 2, xml[p + 1] == '?' ? "?>" : ">", &line);
			continue;
		}
		for (p++; p < len && (quote || xml[p] != '>'); p++) {
			if (xml[p] == '\n')
				line++;
			if (quote && xml[p] == quote)
				quote = 0;
			else if (!quote && (xml[p] == '"' || xml[p] == '\''))
				quote = xml[p];
			else if (!quote && xml[p] == '=' && ++n > PFSENSE_MAX_ATTRS) {
				*bad_line = start_line;
				return -E2BIG;
			}
		}
	}
	return 0;
}

int pfsense_import(const char *xml, size_t len, const char *name, struct buf *out,
		   struct pfsense_stats *stats, struct tc_errors *errs)
{
	return pfsense_import_certs(xml, len, name, NULL, out, NULL, stats, errs);
}

int pfsense_import_certs(const char *xml, size_t len, const char *name, const char *cert_dir,
			 struct buf *out, struct pfsense_files *files, struct pfsense_stats *stats,
			 struct tc_errors *errs)
{
	struct pfsense_stats st = { 0 };
	struct pfsense_files none = { 0 };
	struct out *o = xcalloc(1, sizeof(*o));
	const xmlNode *root, *ipsec;
	xmlParserCtxtPtr pc;
	xmlDoc *doc;
	unsigned bad_line = 0;
	int rc = 0;

	o->b = out;
	o->st = &st;
	o->cert_dir = files ? cert_dir : NULL;
	o->files = files ? files : &none;
	if (len > PFSENSE_MAX_XML) {
		free(o);
		tc_errors_add(errs, false, name, 0, 0, "larger than %u bytes", PFSENSE_MAX_XML);
		return -EFBIG;
	}
	if (xml_attrs_bounded(xml, len, &bad_line)) {
		free(o);
		tc_errors_add(errs, false, name, bad_line, 1, "an element with more than %u attributes",
			      PFSENSE_MAX_ATTRS);
		return -EINVAL;
	}
	/* no network, no entity substitution (no XML_PARSE_NOENT), no DTD loading; libxml2
	 * prints nothing (NOERROR): the last error is read from the context */
	pc = xmlNewParserCtxt();
	if (!pc) {
		tc_errors_add(errs, false, name, 0, 0, "cannot create an XML parser");
		free(o);
		return -ENOMEM;
	}
	doc = xmlCtxtReadMemory(pc, xml, (int)len, name, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *e = xmlCtxtGetLastError(pc);
		const char *m = e && e->message ? e->message : "parse error";
		int ml = (int)strcspn(m, "\n");

		tc_errors_add(errs, false, name, e && e->line > 0 ? (unsigned)e->line : 0,
			      e && e->int2 > 0 ? (unsigned)e->int2 : 1, "not well-formed XML: %.*s", ml, m);
		xmlFreeParserCtxt(pc);
		free(o);
		return -EINVAL;
	}
	root = xmlDocGetRootElement(doc);
	if (!root || strcmp((const char *)root->name, "pfsense") != 0) {
		tc_errors_add(errs, false, name, root ? (unsigned)root->line : 0, 0,
			      "not a pfSense configuration (the root element is not <pfsense>)");
		rc = -EINVAL;
		goto out;
	}
	ipsec = child(root, "ipsec");
	buf_printf(out, "# Imported from pfSense %s by tunnelctl import-pfsense.\n"
			"# Check it with `tunnelctl check -c FILE`; comments mark what was not imported.\n",
		   name);
	global_write(o, root, ipsec);
	open_sec(o, "tunnels");
	for (const xmlNode *ph1 = child(ipsec, "phase1"); ph1; ph1 = next_named((xmlNode *)ph1, "phase1"))
		p1_write(o, ipsec, root, ph1);
	close_sec(o);
out:
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(pc);
	free(o);
	if (stats)
		*stats = st;
	return rc;
}
