/* pfsense.c - pfSense config.xml's <ipsec> section to a tunnel file (docs/pfsense-import.md).
 *
 * Field names are pfSense's (phase1: ikeid, iketype, remote-gateway, encryption/item, ...;
 * phase2: reqid, localid, remoteid, encryption-algorithm-option, ...). Each phase 1 becomes a
 * `tunnels { N { } }` section written row by row from a table {pfSense element, tunnel key,
 * kind}; entries the tunnel file cannot express are commented out with the reason, single
 * settings it cannot express become "not supported" comments. Certificates come from
 * pfsense_certs.c as files for the caller to write; this file itself writes nothing.
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
#include "pfsense_certs.h"
#include "pfsense_xml.h"
#include "tunnel.h"

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
	const xmlNode *ifs = pfsense_xml_child(root, "interfaces"), *vips = pfsense_xml_child(pfsense_xml_child(root, "virtualip"), "vip");
	char *a = NULL, *s = NULL;
	int fam;

	*addr = *bits = NULL;
	if (!ifname)
		return false;
	if (str_startswith(ifname, "_vip")) {
		for (const xmlNode *v = vips; v; v = pfsense_xml_next(v, "vip")) {
			char *u = pfsense_xml_get(v, "uniqid");
			bool match = u && strcmp(u, ifname + 4) == 0;
			free(u);
			if (match) {
				a = pfsense_xml_get(v, "subnet");
				s = pfsense_xml_get(v, "subnet_bits");
				break;
			}
		}
	} else {
		const xmlNode *i = pfsense_xml_child(ifs, ifname);
		a = pfsense_xml_get(i, v6 ? "ipaddrv6" : "ipaddr");
		s = pfsense_xml_get(i, v6 ? "subnetv6" : "subnet");
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

void pfsense_files_free(struct pfsense_files *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		pfsense_certs_file_free(&f->v[i]);
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

/* ---- entries and their rows ---- */

/* One phase 1, phase 2 or the <ipsec> globals being written. A row's writer reads its element
 * under node and writes its key, or refuses the entry (why); the entry's writer then comments
 * out the whole block with that reason. */
struct entry {
	const xmlNode *root;		/* <pfsense>: interfaces, virtual IPs, certificate store */
	const xmlNode *ipsec;		/* <ipsec>: the phase 2 entries of a phase 1 */
	const xmlNode *node;		/* <phase1>, <phase2> or <ipsec> */
	unsigned long id;		/* ikeid or reqid */
	char *why;			/* non-NULL: the entry cannot be imported as it is */
	bool cert_auth;			/* phase 1: authentication_method cert (rsasig in old configs) */
	struct pfsense_cert_entry cert;	/* phase 1: what cert_auth uses from the store */
	char *local, *remote;		/* phase 2: the selectors worked out before writing */
};

/* One pfSense element and the tunnel-file key it becomes; kind writes it (or refuses the entry). */
struct row {
	const char *elem;		/* pfSense element under the entry's node */
	const char *key;		/* tunnel-file key or section written, NULL for comments only */
	void (*kind)(struct out *o, struct entry *e, const struct row *r, const char *v);
	const char *arg;		/* row_flag: the value written; row_refuse: the reason;
					 * p1_id: the element with the identity's data */
	const char *const (*map)[2];	/* row_enum: pfSense value -> ours (NULL: the default,
					 * nothing written), ends with { NULL, NULL } */
};

static void entry_refuse(struct entry *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void entry_refuse(struct entry *e, const char *fmt, ...)
{
	va_list ap;
	struct buf b;

	if (e->why)
		return;	/* the first reason is the one reported */
	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	e->why = buf_steal(&b);
}

static void entry_free(struct entry *e)
{
	pfsense_certs_entry_free(&e->cert);
	free(e->why);
	free(e->local);
	free(e->remote);
}

/* Each row's kind gets the text of the row's element (NULL when absent or longer than
 * PFSENSE_MAX_VALUE), freed here, and reads any other element it needs itself. */
static void rows_write(struct out *o, struct entry *e, const struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *v = pfsense_xml_get(e->node, rows[i].elem);

		rows[i].kind(o, e, &rows[i], v);
		free(v);
	}
}

/* ---- row kinds shared by phase 1, phase 2 and the globals ---- */

/* The element's text as it is, when not empty. */
static void row_text(struct out *o, struct entry *e, const struct row *r, const char *v)
{
	(void)e;
	if (v && *v)
		kv(o, r->key, v);
}

/* The element's text; without it the entry cannot work. */
static void row_required(struct out *o, struct entry *e, const struct row *r, const char *v)
{
	if (v && *v)
		kv(o, r->key, v);
	else
		entry_refuse(e, "no %s", r->elem);
}

/* A checkbox (present or not): key = arg when present. */
static void row_flag(struct out *o, struct entry *e, const struct row *r, const char *v)
{
	(void)v;
	if (pfsense_xml_has(e->node, r->elem))
		kv(o, r->key, r->arg);
}

/* A port; 0 or anything but a number is pfSense's default: nothing written. */
static void row_port(struct out *o, struct entry *e, const struct row *r, const char *v)
{
	unsigned long x;

	(void)e;
	if (v && parse_uint(v, 65535, &x) && x)
		kvf(o, r->key, "%lu", x);
}

/* Seconds, when not empty. */
static void row_duration(struct out *o, struct entry *e, const struct row *r, const char *v)
{
	unsigned long x;

	(void)e;
	if (v && *v) {
		if (parse_uint(v, 10UL * 365 * 86400, &x))
			kvf(o, r->key, "%lu", x);
		else
			unsupported(o, r->elem, v);
	}
}

/* One of map's pfSense values, when not empty. */
static void row_enum(struct out *o, struct entry *e, const struct row *r, const char *v)
{
	size_t i;

	(void)e;
	if (!v || !*v)
		return;
	for (i = 0; r->map[i][0]; i++)
		if (strcmp(v, r->map[i][0]) == 0)
			break;
	if (!r->map[i][0])
		unsupported(o, r->elem, v);
	else if (r->map[i][1])
		kv(o, r->key, r->map[i][1]);
}

/* An IP address (a host name cannot be pinged: tunnel.c takes addresses), when not empty. */
static void row_addr(struct out *o, struct entry *e, const struct row *r, const char *v)
{
	int fam;

	(void)e;
	if (v && *v && is_ip(v, &fam))
		kv(o, r->key, v);
	else if (v && *v)
		unsupported(o, r->elem, v);
}

/* A setting with no tunnel-file equivalent, reported when present (with its value, if any). */
static void row_unsupported(struct out *o, struct entry *e, const struct row *r, const char *v)
{
	if (pfsense_xml_has(e->node, r->elem))
		unsupported(o, r->elem, v && *v ? v : NULL);
}

/* A value with no tunnel-file equivalent, reported when not empty. */
static void row_unsupported_value(struct out *o, struct entry *e, const struct row *r, const char *v)
{
	(void)e;
	if (v && *v)
		unsupported(o, r->elem, v);
}

/* An element whose presence means the entry cannot work as it is: arg says why. */
static void row_refuse(struct out *o, struct entry *e, const struct row *r, const char *v)
{
	(void)o;
	(void)v;
	if (pfsense_xml_has(e->node, r->elem))
		entry_refuse(e, "%s", r->arg);
}

static const char *const map_actions[][2] = { { "none", "none" }, { "start", "start" }, { "trap", "trap" }, { NULL, NULL } };
static const char *const map_natt[][2] = { { "on", NULL }, { "force", "force" }, { NULL, NULL } };
static const char *const map_onoff[][2] = { { "on", "yes" }, { "off", NULL }, { NULL, NULL } };

/* ---- phase 1 ---- */

/* IKE version; pfSense stored no iketype for IKEv1 in old configs. */
static void p1_version(struct out *o, struct entry *e, const struct row *r, const char *v)
{
	kv(o, r->key, v && *v ? v : "ikev1");
	if (v && *v && strcmp(v, "ikev1") && strcmp(v, "ikev2") && strcmp(v, "auto"))
		entry_refuse(e, "iketype %s", v);
}

/* Aggressive mode, which only IKEv1 has (main mode is the default). */
static void p1_mode(struct out *o, struct entry *e, const struct row *r, const char *v)
{
	char *ver = pfsense_xml_get(e->node, "iketype");

	if (str_eq(v, "aggressive") && (!ver || !*ver || strcmp(ver, "ikev1") == 0))
		kv(o, r->key, "aggressive");
	free(ver);
}

/* The local address: the static address of the pfSense interface the entry is bound to. */
static void p1_local(struct out *o, struct entry *e, const struct row *r, const char *v)
{
	const char *iface = v ? v : "wan";
	char *proto = pfsense_xml_get(e->node, "protocol");
	char *addr, *bits;
	bool v6 = str_eq(proto, "inet6");

	if (str_eq(proto, "both"))
		unsupported(o, "protocol (IPv4 and IPv6 on one phase 1)", proto);
	if (iface_static(e->root, iface, v6, &addr, &bits)) {
		kv(o, r->key, addr);
		free(addr);
		free(bits);
	} else {
		comment(o, "pfSense interface %s has no static %s address in config.xml: charon uses any local address; set local_address or interface",
			iface, v6 ? "IPv6" : "IPv4");
	}
	free(proto);
}

/* Certificate authentication: the certificate, key and CA are looked up and decoded before
 * anything else is written, since the subject may be the local identity. */
static void p1_cert(struct out *o, struct entry *e, const struct row *r, const char *v)
{
	char *why;

	(void)r;
	e->cert_auth = str_eq(v, "cert") || str_eq(v, "rsasig");
	if (!e->cert_auth)
		return;
	why = pfsense_certs_prepare(e->root, e->node, o->cert_dir, &e->cert);
	if (why)
		entry_refuse(e, "%s", why);
	free(why);
}

/* One side's identity: elem is pfSense's type, arg its data. */
static void p1_id(struct out *o, struct entry *e, const struct row *r, const char *v)
{
	bool local = strcmp(r->key, "local_id") == 0;
	const char *type = v;
	char *data = pfsense_xml_get(e->node, r->arg), *id;

	/* pfSense: a local asn1dn without data is the certificate's subject */
	if (local && e->cert_auth && str_eq(type, "asn1dn") && (!data || !*data)) {
		free(data);
		data = e->cert.subject ? xstrdup(e->cert.subject) : NULL;
		if (!data)
			entry_refuse(e, "myid_type asn1dn means the certificate's subject, which cannot be written as a strongSwan identity; set local_id by hand");
	}
	id = identity(type, data, local);
	if (id) {
		if (strcmp(id, local ? "myaddress" : "peeraddress") != 0)
			kv_raw(o, r->key, id);
	} else {
		entry_refuse(e, "%s %s '%s' cannot be expressed", r->elem, type ? type : "", data ? data : "");
	}
	free(data);
	free(id);
}

static void p1_auth(struct out *o, struct entry *e, const struct row *r, const char *v)
{
	char *psk;

	if (!v || strcmp(v, "pre_shared_key") == 0) {
		psk = pfsense_xml_get(e->node, "pre-shared-key");
		if (!psk || !*psk)
			entry_refuse(e, "pre-shared key missing (values given through XML entities are not read)");
		else
			kv(o, "psk", psk);
		secret_free(psk);
	} else if (e->cert_auth) {
		kv(o, r->key, "cert");
		if (e->cert.n_file == ARRAY_SIZE(e->cert.file)) {
			comment(o, "certificate %s, CA %s: imported from config.xml", e->cert.cert_label, e->cert.ca_label);
			kv(o, "cert", e->cert.file[0].path);
			kv(o, "key", e->cert.file[1].path);
			kv(o, "ca", e->cert.file[2].path);
			if (e->cert.ca_parent)
				comment(o, "CA %s is an intermediate (issued by CA refid %s): only it is imported; charon trusts it as ca without the chain above it",
					e->cert.ca_label, e->cert.ca_parent);
		}
	} else {
		entry_refuse(e, "authentication method %s (mobile/XAuth/EAP/PKCS#11) is not supported", v);
	}
}

static void p1_proposals(struct out *o, struct entry *e, const struct row *r, const char *v)
{
	const xmlNode *items = pfsense_xml_child(pfsense_xml_child(e->node, r->elem), "item");
	bool prf = pfsense_xml_has(e->node, "prfselect_enable");
	unsigned n = 0;

	(void)v;	/* a section: its items are read below */
	for (const xmlNode *it = items; it; it = pfsense_xml_next(it, "item")) {
		const xmlNode *ea = pfsense_xml_child(it, "encryption-algorithm");
		char *name = pfsense_xml_get(ea, "name"), *keylen = pfsense_xml_get(ea, "keylen"), *enc = enc_name(name, keylen);
		char *hash = pfsense_xml_get(it, "hash-algorithm"), *prfalg = pfsense_xml_get(it, "prf-algorithm"), *dh = pfsense_xml_get(it, "dhgroup");
		unsigned long g;
		char num[24];

		/* pfSense leaves out items without a hash, AEAD ones included */
		if (!enc || !parse_uint(dh, 32, &g) || !known_dh(g) || !known_hash(hash)) {
			comment(o, "proposal %s-%s-%s-%s: not supported, left out", name ? name : "?",
				keylen ? keylen : "", hash ? hash : "", dh ? dh : "?");
			o->st->unsupported++;
		} else {
			if (n == 0)
				open_sec(o, r->key);
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
		entry_refuse(e, "no usable encryption algorithm");
}

/* DPD: pfSense leaves both out when DPD is off; ours defaults to on. */
static void p1_dpd(struct out *o, struct entry *e, const struct row *r, const char *v)
{
	char *maxfail = pfsense_xml_get(e->node, "dpd_maxfail");
	unsigned long x, y;

	if (parse_uint(v, 3600, &x) && x && parse_uint(maxfail, 100, &y) && y) {
		kvf(o, r->key, "%lu", x);
		kvf(o, "dpd_maxfail", "%lu", y);
	} else {
		kv(o, r->key, "0");
	}
	free(maxfail);
}

static void p2_write(struct out *o, const xmlNode *root, const xmlNode *ph2, unsigned long reqid);

/* The <phase2> entries (under <ipsec>) whose ikeid is this phase 1's, by reqid. */
static void p1_phase2s(struct out *o, struct entry *e, const struct row *r, const char *v)
{
	bool opened = false;

	(void)v;	/* the phase 2 entries sit beside the phase 1 under <ipsec> */
	for (const xmlNode *ph2 = pfsense_xml_child(e->ipsec, r->elem); ph2; ph2 = pfsense_xml_next(ph2, r->elem)) {
		char *id = pfsense_xml_get(ph2, "ikeid"), *rq = pfsense_xml_get(ph2, "reqid"), *descr = pfsense_xml_get(ph2, "descr");
		unsigned long i, reqid;
		if (parse_uint(id, TUNNEL_MAX_ID, &i) && i == e->id) {
			if (!opened)
				open_sec(o, r->key);
			opened = true;
			if (!parse_uint(rq, TUNNEL_MAX_ID, &reqid) || reqid == 0) {
				comment(o, "P2 %s: skipped: no valid reqid", descr ? descr : "");
				o->st->skipped++;
			} else if (o->used_reqid[reqid]) {
				comment(o, "P2 reqid %lu (%s): skipped: reqid used twice", reqid, descr ? descr : "");
				o->st->skipped++;
			} else {
				o->used_reqid[reqid] = true;
				p2_write(o, e->root, ph2, reqid);
			}
		}
		free(id);
		free(rq);
		free(descr);
	}
	if (opened)
		close_sec(o);
}

/* A phase 1 in output order: each pfSense element, the key it becomes, and how. */
static const struct row p1_rows[] = {
	{ "descr", "description", row_text, NULL, NULL },
	{ "disabled", "enabled", row_flag, "no", NULL },
	{ "iketype", "version", p1_version, NULL, NULL },
	{ "mode", "mode", p1_mode, NULL, NULL },
	{ "interface", "local_address", p1_local, NULL, NULL },
	{ "remote-gateway", "remote_gateway", row_required, NULL, NULL },
	{ "ikeport", "ike_port", row_port, NULL, NULL },
	{ "nattport", "natt_port", row_port, NULL, NULL },
	{ "authentication_method", NULL, p1_cert, NULL, NULL },
	{ "myid_type", "local_id", p1_id, "myid_data", NULL },
	{ "peerid_type", "remote_id", p1_id, "peerid_data", NULL },
	{ "authentication_method", "auth", p1_auth, NULL, NULL },
	{ "encryption", "proposals", p1_proposals, NULL, NULL },
	{ "lifetime", "lifetime", row_duration, NULL, NULL },
	{ "rekey_time", "rekey_time", row_duration, NULL, NULL },
	{ "reauth_time", "reauth_time", row_duration, NULL, NULL },
	{ "rand_time", "rand_time", row_duration, NULL, NULL },
	{ "dpd_delay", "dpd_delay", p1_dpd, NULL, NULL },
	{ "nat_traversal", "nat_traversal", row_enum, NULL, map_natt },
	{ "mobike", "mobike", row_enum, NULL, map_onoff },
	{ "startaction", "start_action", row_enum, NULL, map_actions },
	{ "closeaction", "close_action", row_enum, NULL, map_actions },
	{ "splitconn", "split_connections", row_flag, "yes", NULL },
	{ "tfc_enable", NULL, row_unsupported, NULL, NULL },
	{ "gw_duplicates", NULL, row_unsupported, NULL, NULL },
	{ "reauth_enable", NULL, row_unsupported, NULL, NULL },
	{ "rekey_enable", NULL, row_unsupported, NULL, NULL },
	{ "responderonly", NULL, row_unsupported, NULL, NULL },
	{ "tfc_bytes", NULL, row_unsupported_value, NULL, NULL },
	{ "margintime", NULL, row_unsupported_value, NULL, NULL },
	{ "pkcs11certref", NULL, row_unsupported_value, NULL, NULL },
	{ "phase2", "phase2", p1_phase2s, NULL, NULL },
};

/* ---- phase 2 ---- */

/* A phase 2 localid/remoteid to a selector; NULL (with *why) when it cannot be said. */
static char *p2_selector(const xmlNode *root, const xmlNode *id, bool vti, bool v6, const char **why)
{
	char *type = pfsense_xml_get(id, "type"), *addr = pfsense_xml_get(id, "address"), *bits = pfsense_xml_get(id, "netbits"), *r = NULL;
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

static void p2_mode(struct out *o, struct entry *e, const struct row *r, const char *v)
{
	(void)e;
	if (v && strcmp(v, "tunnel") != 0) {
		if (str_eq(v, "vti") || str_eq(v, "tunnel6") || str_eq(v, "transport"))
			kv(o, r->key, v);
		else
			unsupported(o, r->elem, v);
	}
}

/* local/remote: the selectors p2_write worked out (a transport entry may have neither). */
static void p2_selector_row(struct out *o, struct entry *e, const struct row *r, const char *v)
{
	const char *sel = strcmp(r->elem, "localid") == 0 ? e->local : e->remote;

	(void)v;
	if (sel)
		kv(o, r->key, sel);
}

/* The encryption and integrity lists (AH has no encryption). */
static void p2_algorithms(struct out *o, struct entry *e, const struct row *r, const char *v)
{
	char *proto = pfsense_xml_get(e->node, "protocol");
	struct buf enc, hash;

	(void)v;	/* one element per algorithm: read below */
	buf_init(&enc);
	buf_init(&hash);
	for (const xmlNode *x = pfsense_xml_child(e->node, r->elem); x; x = pfsense_xml_next(x, r->elem)) {
		char *name = pfsense_xml_get(x, "name"), *keylen = pfsense_xml_get(x, "keylen"), *n = enc_name(name, keylen);
		if (n)
			buf_printf(&enc, "%s%s", enc.len ? ", " : "", n);
		else
			unsupported(o, "encryption", name);
		free(name);
		free(keylen);
		free(n);
	}
	for (const xmlNode *h = pfsense_xml_child(e->node, "hash-algorithm-option"); h; h = pfsense_xml_next(h, "hash-algorithm-option")) {
		char *t = pfsense_xml_text(h);
		const char *n = t && str_startswith(t, "hmac_") ? t + 5 : t;
		if (n && known_hash(n))
			buf_printf(&hash, "%s%s", hash.len ? ", " : "", n);
		else if (t && *t)
			unsupported(o, "hash", t);
		free(t);
	}
	if (enc.len && !str_eq(proto, "ah"))
		kv(o, r->key, enc.data);
	if (hash.len)
		kv(o, "hash", hash.data);
	buf_free(&enc);
	buf_free(&hash);
	free(proto);
}

/* PFS: pfSense's empty pfsgroup means off. */
static void p2_pfs(struct out *o, struct entry *e, const struct row *r, const char *v)
{
	unsigned long g;

	(void)e;
	if (v && parse_uint(v, 32, &g) && (g == 0 || known_dh(g)))
		kvf(o, r->key, "%lu", g);
	else if (!v || !*v)
		kv(o, r->key, "0");
	else
		unsupported(o, r->elem, v);
}

static const char *const map_protocol[][2] = { { "esp", NULL }, { "ah", "ah" }, { NULL, NULL } };
static const char *const map_enabled[][2] = { { "enabled", "yes" }, { "disabled", NULL }, { NULL, NULL } };

/* A phase 2 in output order. */
static const struct row p2_rows[] = {
	{ "descr", "description", row_text, NULL, NULL },
	{ "disabled", "enabled", row_flag, "no", NULL },
	{ "mode", "mode", p2_mode, NULL, NULL },
	{ "localid", "local", p2_selector_row, NULL, NULL },
	{ "remoteid", "remote", p2_selector_row, NULL, NULL },
	{ "protocol", "protocol", row_enum, NULL, map_protocol },
	{ "encryption-algorithm-option", "encryption", p2_algorithms, NULL, NULL },
	{ "pfsgroup", "pfs_group", p2_pfs, NULL, NULL },
	{ "lifetime", "lifetime", row_duration, NULL, NULL },
	{ "rekey_time", "rekey_time", row_duration, NULL, NULL },
	{ "rand_time", "rand_time", row_duration, NULL, NULL },
	{ "pinghost", "ping_host", row_addr, NULL, NULL },
	{ "keepalive", "keepalive", row_enum, NULL, map_enabled },
	/* the peer expects the translated network: without NAT the SA would not match */
	{ "natlocalid", NULL, row_refuse, "NAT/BINAT of the local network (natlocalid) is not supported", NULL },
};

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

/* The end of a written entry: a refused one has its block (from start on) commented out and
 * followed by the reason. True when the entry stays. */
static bool entry_kept(struct out *o, struct entry *e, size_t start, const char *label)
{
	if (!e->why)
		return true;
	comment_out(o->b, start);
	comment(o, "%s %lu: commented out: %s", label, e->id, e->why);
	o->st->skipped++;
	return false;
}

static void p2_write(struct out *o, const xmlNode *root, const xmlNode *ph2, unsigned long reqid)
{
	struct entry e = { .root = root, .node = ph2, .id = reqid };
	char *mode = pfsense_xml_get(ph2, "mode"), *descr = pfsense_xml_get(ph2, "descr");
	bool vti = str_eq(mode, "vti"), v6 = str_eq(mode, "tunnel6"), transport = str_eq(mode, "transport");
	const char *why_l, *why_r;
	size_t start = o->b->len;
	char num[24];

	e.local = p2_selector(root, pfsense_xml_child(ph2, "localid"), vti, v6, &why_l);
	e.remote = p2_selector(root, pfsense_xml_child(ph2, "remoteid"), vti, v6, &why_r);
	if (!transport && (!e.local || !e.remote)) {
		comment(o, "P2 reqid %lu (%s): skipped: %s network %s", reqid, descr ? descr : "",
			e.local ? "remote" : "local", e.local ? why_r : why_l);
		o->st->skipped++;
		goto out;
	}
	snprintf(num, sizeof(num), "%lu", reqid);
	open_sec(o, num);
	rows_write(o, &e, p2_rows, ARRAY_SIZE(p2_rows));
	close_sec(o);
	if (entry_kept(o, &e, start, "P2 reqid"))
		o->st->p2++;
out:
	entry_free(&e);
	free(mode);
	free(descr);
}

/* Whatever config.xml holds (hand edits, other versions), an entry the tunnel model refuses
 * is commented out with the model's reason, so the output always passes check. */
static void p1_validate(struct entry *e, const char *block, size_t len)
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
			entry_refuse(e, "%s", errs.v[i].msg);
			break;
		}
	}
	tunnel_file_free(tf);
	tc_errors_free(&errs);
	buf_free_secret(&t);
}

static void p1_write(struct out *o, const xmlNode *ipsec, const xmlNode *root, const xmlNode *ph1)
{
	struct entry e = { .root = root, .ipsec = ipsec, .node = ph1 };
	char *id = pfsense_xml_get(ph1, "ikeid"), *descr = pfsense_xml_get(ph1, "descr");
	size_t start = o->b->len, p2_before = o->st->p2;
	char num[24];

	if (!parse_uint(id, TUNNEL_MAX_ID, &e.id) || e.id == 0) {
		comment(o, "P1 %s: skipped: no valid ikeid", descr ? descr : "");
		o->st->skipped++;
		goto out;
	}
	if (pfsense_xml_has(ph1, "mobile")) {
		comment(o, "P1 ikeid %lu (%s): skipped: mobile client entries are not supported", e.id,
			descr ? descr : "");
		o->st->skipped++;
		goto out;
	}
	comment(o, "P1 ikeid %lu%s%s", e.id, descr && *descr ? ": " : "", descr ? descr : "");
	snprintf(num, sizeof(num), "%lu", e.id);
	open_sec(o, num);
	rows_write(o, &e, p1_rows, ARRAY_SIZE(p1_rows));
	close_sec(o);
	if (o->used_ike[e.id])
		entry_refuse(&e, "ikeid used twice");
	o->used_ike[e.id] = true;
	if (!e.why)
		p1_validate(&e, o->b->data + start, o->b->len - start);
	if (entry_kept(o, &e, start, "P1 ikeid")) {
		o->st->p1++;
		o->st->certs += e.cert.n_file ? 1 : 0;
		pfsense_certs_commit(&e.cert, o->files);
	} else {
		o->st->p2 = p2_before;
	}
out:
	entry_free(&e);
	free(id);
	free(descr);
}

/* ---- global ---- */

/* Bypass: the LAN subnet unless "noshuntlaninterfaces", plus bypass rules with one network. */
static void global_bypass(struct out *o, struct entry *e, const struct row *r, const char *v)
{
	struct buf bypass;
	char *a, *b, *net;

	(void)v;	/* a checkbox */
	buf_init(&bypass);
	if (!pfsense_xml_has(e->node, "noshuntlaninterfaces")) {
		for (int v6 = 0; v6 < 2; v6++) {
			if (iface_static(e->root, "lan", v6, &a, &b)) {
				net = network_of(a, b);
				if (net)
					buf_printf(&bypass, "%s%s", bypass.len ? ", " : "", net);
				free(net);
				free(a);
				free(b);
			}
		}
	}
	if (pfsense_xml_has(e->node, r->elem)) {
		const xmlNode *rules = pfsense_xml_child(pfsense_xml_child(e->node, "bypassrules"), "rule");
		for (const xmlNode *x = rules; x; x = pfsense_xml_next(x, "rule")) {
			char *src = pfsense_xml_get(x, "source"), *sm = pfsense_xml_get(x, "srcmask"), *dst = pfsense_xml_get(x, "destination"), *dm = pfsense_xml_get(x, "dstmask");
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
		kv(o, r->key, bypass.data);
	buf_free(&bypass);
}

/* Log levels: only the categories config.xml sets (the others keep pfSense's defaults). */
static void global_logging(struct out *o, struct entry *e, const struct row *r, const char *v)
{
	const xmlNode *logging = pfsense_xml_child(e->node, r->elem);
	bool opened = false;

	(void)v;	/* a section: its categories are read below */
	for (size_t i = 0; logging && i < TUNNEL_LOG_CATEGORIES; i++) {
		char *level = pfsense_xml_get(logging, tunnel_log_category_names[i]);
		long l;
		char *end;
		if (level && *level) {
			l = strtol(level, &end, 10);
			if (*end || l < -1 || l > 4) {
				unsupported(o, tunnel_log_category_names[i], level);
			} else {
				if (!opened)
					open_sec(o, r->key);
				opened = true;
				kvf(o, tunnel_log_category_names[i], "%ld", l);
			}
		}
		free(level);
	}
	if (opened)
		close_sec(o);
}

static const char *const map_uniqueids[][2] = {
	{ "yes", "replace" }, { "replace", "replace" }, { "no", "no" }, { "never", "never" }, { "keep", "keep" },
	{ NULL, NULL },
};

/* The <ipsec> settings in output order. */
static const struct row global_rows[] = {
	{ "uniqueids", "unique_ids", row_enum, NULL, map_uniqueids },
	{ "ipsecbypass", "bypass_networks", global_bypass, NULL, NULL },
	{ "compression", NULL, row_unsupported, NULL, NULL },
	{ "preferoldsa", NULL, row_unsupported, NULL, NULL },
	{ "maxexchange", NULL, row_unsupported, NULL, NULL },
	{ "pkcs11support", NULL, row_unsupported, NULL, NULL },
	{ "strictcrlpolicy", NULL, row_unsupported, NULL, NULL },
	{ "acceptunencryptedmainmode", NULL, row_unsupported, NULL, NULL },
	{ "enableinterfacesuse", NULL, row_unsupported, NULL, NULL },
	{ "async_crypto", NULL, row_unsupported, NULL, NULL },
	{ "filtermode", NULL, row_unsupported, NULL, NULL },
	{ "vtimaps", NULL, row_unsupported, NULL, NULL },
	{ "ipsecbypass_pass", NULL, row_unsupported, NULL, NULL },
	{ "noinstalllanspd", NULL, row_unsupported, NULL, NULL },
	{ "pmtu", NULL, row_unsupported, NULL, NULL },
	{ "logging", "logging", global_logging, NULL, NULL },
};

static void global_write(struct out *o, const xmlNode *root, const xmlNode *ipsec)
{
	struct entry e = { .root = root, .node = ipsec };

	open_sec(o, "global");
	rows_write(o, &e, global_rows, ARRAY_SIZE(global_rows));
	close_sec(o);
	entry_free(&e);
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
	if (pfsense_xml_attrs_bounded(xml, len, &bad_line)) {
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
	ipsec = pfsense_xml_child(root, "ipsec");
	buf_printf(out, "# Imported from pfSense %s by tunnelctl import-pfsense.\n"
			"# Check it with `tunnelctl check -c FILE`; comments mark what was not imported.\n",
		   name);
	global_write(o, root, ipsec);
	open_sec(o, "tunnels");
	for (const xmlNode *ph1 = pfsense_xml_child(ipsec, "phase1"); ph1; ph1 = pfsense_xml_next(ph1, "phase1"))
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
