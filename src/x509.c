/* x509.c - issuer, subject, validity and the extensions charon acts on of an X.509
 * certificate (DER or PEM). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "swanctl_msg.h"
#include "x509.h"

struct der {
	const unsigned char *p;
	size_t len;
};

/* Read one TLV from d; its contents go to *in, the whole element to *whole (may be NULL). */
static int der_next(struct der *d, unsigned char *tag, struct der *in, struct der *whole)
{
	const unsigned char *start = d->p;
	size_t l;

	if (d->len < 2)
		return -EBADMSG;
	*tag = d->p[0];
	l = d->p[1];
	d->p += 2;
	d->len -= 2;
	if (l & 0x80) {
		unsigned n = l & 0x7f;
		if (n == 0 || n > 4 || d->len < n)
			return -EBADMSG;
		l = 0;
		for (unsigned i = 0; i < n; i++)
			l = l << 8 | d->p[i];
		d->p += n;
		d->len -= n;
	}
	if (l > d->len)
		return -EBADMSG;
	in->p = d->p;
	in->len = l;
	d->p += l;
	d->len -= l;
	if (whole) {
		whole->p = start;
		whole->len = (size_t)(d->p - start);
	}
	return 0;
}

/* UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ) to seconds since the epoch. */
static int der_time(unsigned char tag, const struct der *t, time_t *out)
{
	char s[16];
	struct tm tm = { 0 };
	size_t yl = tag == 0x17 ? 2 : 4;

	if ((tag != 0x17 && tag != 0x18) || t->len < yl + 10 || t->len >= sizeof(s))
		return -EBADMSG;
	memcpy(s, t->p, t->len);
	s[t->len] = '\0';
	for (size_t i = 0; i < yl + 10; i++)
		if (s[i] < '0' || s[i] > '9')
			return -EBADMSG;
#define D2(i) ((s[i] - '0') * 10 + (s[(i) + 1] - '0'))
	tm.tm_year = yl == 2 ? (D2(0) < 50 ? 100 + D2(0) : D2(0)) : D2(0) * 100 + D2(2) - 1900;
	tm.tm_mon = D2(yl) - 1;
	tm.tm_mday = D2(yl + 2);
	tm.tm_hour = D2(yl + 4);
	tm.tm_min = D2(yl + 6);
	tm.tm_sec = D2(yl + 8);
#undef D2
	*out = timegm(&tm);
	return 0;
}

/* Extensions charon parses (6.0.6): plugins/x509/x509_cert.c parse_certificate (its
 * switch over the extension OIDs) and plugins/openssl/openssl_x509.c parse_extensions
 * (which adds issuerAltName). A critical one outside this list makes both refuse the
 * certificate. OID contents bytes. */
static const struct {
	unsigned char oid[9];
	size_t len;
} known_exts[] = {
	{ { 0x55, 0x1d, 0x0e }, 3 },	/* subjectKeyIdentifier */
	{ { 0x55, 0x1d, 0x0f }, 3 },	/* keyUsage */
	{ { 0x55, 0x1d, 0x11 }, 3 },	/* subjectAltName */
	{ { 0x55, 0x1d, 0x12 }, 3 },	/* issuerAltName (openssl plugin) */
	{ { 0x55, 0x1d, 0x13 }, 3 },	/* basicConstraints */
	{ { 0x55, 0x1d, 0x1e }, 3 },	/* nameConstraints */
	{ { 0x55, 0x1d, 0x1f }, 3 },	/* cRLDistributionPoints */
	{ { 0x55, 0x1d, 0x20 }, 3 },	/* certificatePolicies */
	{ { 0x55, 0x1d, 0x21 }, 3 },	/* policyMappings */
	{ { 0x55, 0x1d, 0x23 }, 3 },	/* authorityKeyIdentifier */
	{ { 0x55, 0x1d, 0x24 }, 3 },	/* policyConstraints */
	{ { 0x55, 0x1d, 0x25 }, 3 },	/* extKeyUsage */
	{ { 0x55, 0x1d, 0x36 }, 3 },	/* inhibitAnyPolicy */
	{ { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01 }, 8 },	/* authorityInfoAccess */
	{ { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x07 }, 8 },	/* ipAddrBlocks (RFC 3779) */
	{ { 0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x42, 0x01, 0x03 }, 9 },	/* nsRevocationUrl */
	{ { 0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x42, 0x01, 0x04 }, 9 },	/* nsCaRevocationUrl */
	{ { 0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x42, 0x01, 0x08 }, 9 },	/* nsCaPolicyUrl */
	{ { 0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x42, 0x01, 0x0d }, 9 },	/* nsComment */
};

static bool oid_is(const struct der *oid, const unsigned char *want, size_t len)
{
	return oid->len == len && memcmp(oid->p, want, len) == 0;
}

static bool ext_known(const struct der *oid)
{
	for (size_t i = 0; i < ARRAY_SIZE(known_exts); i++)
		if (oid_is(oid, known_exts[i].oid, known_exts[i].len))
			return true;
	return false;
}

/* keyUsage BIT STRING: digitalSignature (bit 0) or nonRepudiation (bit 1) make the key
 * fit to sign IKE (x509_cert.c parse_keyUsage sets X509_IKE_COMPLIANT for those two). */
static void ext_key_usage(struct der *val, struct x509_info *out)
{
	struct der bits;
	unsigned char tag;

	if (der_next(val, &tag, &bits, NULL) || tag != 0x03 || bits.len < 1)
		return;
	out->flags |= X509_F_KU;
	/* bits.p[0] counts the unused bits of the last byte, as charon reads them */
	if (bits.len >= 2 && (bits.p[1] & (bits.len > 2 || bits.p[0] < 7 ? 0xc0 : 0x80)))
		out->flags |= X509_F_KU_SIGN;
}

/* basicConstraints SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLen INTEGER OPTIONAL } */
static void ext_basic_constraints(struct der *val, struct x509_info *out)
{
	struct der seq, ca;
	unsigned char tag;

	if (der_next(val, &tag, &seq, NULL) || tag != 0x30 || !seq.len)
		return;
	if (der_next(&seq, &tag, &ca, NULL) == 0 && tag == 0x01 && ca.len == 1 && ca.p[0])
		out->flags |= X509_F_CA;
}

/* The [3] extensions after the subject (best effort: the fields the doctor needs first are
 * already read, a malformed extension only leaves its own fields unset). */
static void x509_extensions(struct der *tbs, struct x509_info *out)
{
	static const unsigned char ski_oid[] = { 0x55, 0x1d, 0x0e }, aki_oid[] = { 0x55, 0x1d, 0x23 },
				   ku_oid[] = { 0x55, 0x1d, 0x0f }, bc_oid[] = { 0x55, 0x1d, 0x13 },
				   san_oid[] = { 0x55, 0x1d, 0x11 }, cp_oid[] = { 0x55, 0x1d, 0x20 },
				   pm_oid[] = { 0x55, 0x1d, 0x21 };
	struct der x, exts, seq, ext, oid, val, inner, kid;
	unsigned char tag;

	while (tbs->len && der_next(tbs, &tag, &x, NULL) == 0) {
		if (tag != 0xa3)
			continue;
		if (der_next(&x, &tag, &exts, NULL) || tag != 0x30)
			return;
		while (exts.len && der_next(&exts, &tag, &ext, NULL) == 0 && tag == 0x30) {
			bool critical = false;
			seq = ext;
			if (der_next(&seq, &tag, &oid, NULL) || tag != 0x06 || der_next(&seq, &tag, &val, NULL))
				return;
			if (tag == 0x01) {	/* critical flag */
				critical = val.len == 1 && val.p[0];
				if (der_next(&seq, &tag, &val, NULL))
					return;
			}
			if (tag != 0x04)
				continue;
			if (critical && !out->crit_oid && !ext_known(&oid)) {
				out->crit_oid = oid.p;
				out->crit_oid_len = oid.len;
			}
			inner = val;
			if (oid_is(&oid, ski_oid, 3) && der_next(&inner, &tag, &kid, NULL) == 0 && tag == 0x04) {
				out->ski = kid.p;
				out->ski_len = kid.len;
			} else if (oid_is(&oid, aki_oid, 3) && der_next(&inner, &tag, &seq, NULL) == 0 &&
				   tag == 0x30 && der_next(&seq, &tag, &kid, NULL) == 0 && tag == 0x80) {
				out->aki = kid.p;
				out->aki_len = kid.len;
			} else if (oid_is(&oid, ku_oid, 3)) {
				ext_key_usage(&inner, out);
			} else if (oid_is(&oid, bc_oid, 3)) {
				ext_basic_constraints(&inner, out);
			} else if (oid_is(&oid, san_oid, 3) && der_next(&inner, &tag, &seq, NULL) == 0 && tag == 0x30) {
				out->san = seq.p;
				out->san_len = seq.len;
			} else if (oid_is(&oid, cp_oid, 3) && der_next(&inner, &tag, &seq, NULL) == 0 && tag == 0x30) {
				out->policies = seq.p;
				out->policies_len = seq.len;
			} else if (oid_is(&oid, pm_oid, 3)) {
				out->flags |= X509_F_POLICY_MAP;
			}
		}
		return;
	}
}

int x509_parse(const void *der, size_t len, struct x509_info *out)
{
	struct der d = { der, len }, cert, tbs, x, val, t, whole;
	unsigned char tag;

	memset(out, 0, sizeof(*out));
	if (der_next(&d, &tag, &cert, NULL) || tag != 0x30 || der_next(&cert, &tag, &tbs, NULL) || tag != 0x30)
		return -EBADMSG;
	if (der_next(&tbs, &tag, &x, NULL))
		return -EBADMSG;
	if (tag == 0xa0 && der_next(&tbs, &tag, &x, NULL))	/* version, then serial */
		return -EBADMSG;
	if (der_next(&tbs, &tag, &x, NULL))			/* signature algorithm */
		return -EBADMSG;
	if (der_next(&tbs, &tag, &x, &whole) || tag != 0x30)	/* issuer */
		return -EBADMSG;
	out->issuer = whole.p;
	out->issuer_len = whole.len;
	if (der_next(&tbs, &tag, &val, NULL) || tag != 0x30)	/* validity */
		return -EBADMSG;
	if (der_next(&val, &tag, &t, NULL) || der_time(tag, &t, &out->not_before))
		return -EBADMSG;
	if (der_next(&val, &tag, &t, NULL) || der_time(tag, &t, &out->not_after))
		return -EBADMSG;
	if (der_next(&tbs, &tag, &x, &whole) || tag != 0x30)	/* subject */
		return -EBADMSG;
	out->subject = whole.p;
	out->subject_len = whole.len;
	x509_extensions(&tbs, out);
	return 0;
}

int x509_to_der(const void *data, size_t len, struct buf *out)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----", end[] = "-----END CERTIFICATE-----";
	const char *s = data, *b = memmem(s, len, begin, sizeof(begin) - 1), *e;
	struct buf b64;
	int rc;

	if (!b) {
		buf_add(out, data, len);
		return len ? 0 : -EBADMSG;
	}
	b += sizeof(begin) - 1;
	e = memmem(b, len - (size_t)(b - s), end, sizeof(end) - 1);
	if (!e)
		return -EBADMSG;
	buf_init(&b64);
	buf_adds(&b64, "0s");
	for (const char *p = b; p < e; p++)
		if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t')
			buf_addc(&b64, *p);
	rc = swanctl_msg_secret_decode(b64.data, out) ? -EBADMSG : 0;
	buf_free(&b64);
	return rc;
}

/* Attribute names by OID (DER content bytes). */
static const struct {
	const char *name;
	unsigned char oid[9];
	size_t len;
} dn_attrs[] = {
	{ "CN", { 0x55, 0x04, 0x03 }, 3 },  { "C", { 0x55, 0x04, 0x06 }, 3 },
	{ "L", { 0x55, 0x04, 0x07 }, 3 },   { "ST", { 0x55, 0x04, 0x08 }, 3 },
	{ "O", { 0x55, 0x04, 0x0a }, 3 },   { "OU", { 0x55, 0x04, 0x0b }, 3 },
	{ "E", { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01 }, 9 },
};

/* A value strongSwan's DN parser gives back byte for byte: printable ASCII, not empty, no
 * separator (','), no leading '=' or space (skipped), no trailing space (trimmed), and
 * nothing the tunnel file's quoted asn1dn:"..." form cannot carry ('"', '\\', '#'). */
static bool dn_value_exact(const struct der *v)
{
	if (!v->len || v->p[0] == ' ' || v->p[0] == '=' || v->p[v->len - 1] == ' ')
		return false;
	for (size_t i = 0; i < v->len; i++)
		if (v->p[i] < 0x20 || v->p[i] >= 0x7f || strchr(",\"\\#", v->p[i]))
			return false;
	return true;
}

/* Walk a DER Name into out. strict: only what parses back to the same Name (one attribute
 * per RDN, a known name, dn_value_exact), else -ERANGE; lenient: everything, shown. */
static int dn_walk(const unsigned char *dn, size_t len, bool strict, struct buf *out)
{
	struct der d = { dn, len }, name, set, atv, oid, val;
	unsigned char tag;
	bool first = true;

	if (der_next(&d, &tag, &name, NULL) || tag != 0x30)
		return -EBADMSG;
	while (name.len) {
		if (der_next(&name, &tag, &set, NULL) || tag != 0x31)
			return -EBADMSG;
		for (unsigned n = 0; set.len; n++) {
			const char *an = NULL;
			if (der_next(&set, &tag, &atv, NULL) || tag != 0x30 ||
			    der_next(&atv, &tag, &oid, NULL) || tag != 0x06 || der_next(&atv, &tag, &val, NULL))
				return -EBADMSG;
			for (size_t i = 0; i < ARRAY_SIZE(dn_attrs); i++)
				if (oid.len == dn_attrs[i].len && memcmp(oid.p, dn_attrs[i].oid, oid.len) == 0)
					an = dn_attrs[i].name;
			if (strict && (n > 0 || !an || !dn_value_exact(&val) || out->len + val.len > X509_MAX_DN_TEXT))
				return -ERANGE;
			if (out->len > X509_MAX_DN_TEXT)
				return 0;
			buf_adds(out, first ? "" : ", ");
			first = false;
			if (an)
				buf_adds(out, an);
			else
				for (size_t i = 0; i < oid.len; i++)
					buf_printf(out, "%s%02x", i ? ":" : "oid:", oid.p[i]);
			buf_addc(out, '=');
			for (size_t i = 0; i < val.len; i++)
				buf_addc(out, val.p[i] >= 0x20 && val.p[i] < 0x7f ? (char)val.p[i] : '?');
		}
	}
	return strict && first ? -ERANGE : 0;
}

int x509_dn_text(const unsigned char *dn, size_t len, struct buf *out)
{
	return dn_walk(dn, len, false, out);
}

int x509_dn_id(const unsigned char *dn, size_t len, struct buf *out)
{
	size_t start = out->len;
	int rc = dn_walk(dn, len, true, out);

	if (rc) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
	}
	return rc;
}

int x509_oid_text(const unsigned char *oid, size_t len, struct buf *out)
{
	size_t start = out->len;
	uint64_t v = 0;
	bool first = true;

	if (!len || (oid[len - 1] & 0x80))
		return -EBADMSG;
	for (size_t i = 0; i < len; i++) {
		if (v >> 57)
			goto bad;
		v = v << 7 | (oid[i] & 0x7f);
		if (oid[i] & 0x80)
			continue;
		if (first) {
			unsigned top = v < 40 ? 0 : v < 80 ? 1 : 2;
			buf_printf(out, "%u.%" PRIu64, top, v - top * 40);
			first = false;
		} else {
			buf_printf(out, ".%" PRIu64, v);
		}
		v = 0;
		if (out->len - start > X509_MAX_OID_TEXT)
			goto bad;
	}
	return 0;
bad:
	out->len = start;
	if (out->data)
		out->data[start] = '\0';
	return -EBADMSG;
}

int x509_san_id(const struct x509_info *xi, size_t i, struct buf *out)
{
	struct der d = { xi->san, xi->san_len }, name;
	unsigned char tag;
	char ip[INET6_ADDRSTRLEN];
	size_t start = out->len;
	int rc;

	if (!xi->san)
		return -ENOENT;
	for (size_t k = 0; k <= i; k++) {
		if (!d.len)
			return -ENOENT;
		if (der_next(&d, &tag, &name, NULL))
			return -EBADMSG;
	}
	switch (tag) {
	case 0x81:	/* rfc822Name */
	case 0x82:	/* dNSName */
		if (!name.len || name.len > X509_MAX_DN_TEXT)
			return -EBADMSG;
		for (size_t k = 0; k < name.len; k++)
			if (name.p[k] < 0x21 || name.p[k] >= 0x7f)
				return -EBADMSG;
		buf_adds(out, tag == 0x81 ? "email:" : "fqdn:");
		buf_add(out, name.p, name.len);
		return 0;
	case 0x87:	/* iPAddress */
		if (name.len != 4 && name.len != 16)
			return -EBADMSG;
		inet_ntop(name.len == 4 ? AF_INET : AF_INET6, name.p, ip, sizeof(ip));
		buf_printf(out, "%s:%s", name.len == 4 ? "ipv4" : "ipv6", ip);
		return 0;
	case 0xa4:	/* directoryName: [4] EXPLICIT Name */
		buf_adds(out, "asn1dn:");
		rc = x509_dn_text(name.p, name.len, out);
		if (rc) {
			out->len = start;
			if (out->data)
				out->data[start] = '\0';
		}
		return rc;
	default:
		return -ERANGE;
	}
}

int x509_has_policy(const struct x509_info *xi, const char *oid, bool any_ok)
{
	struct der d = { xi->policies, xi->policies_len }, info, pol;
	unsigned char tag;
	struct buf text;
	int found = 0;

	buf_init(&text);
	while (d.len && !found) {
		/* PolicyInformation SEQUENCE { policyIdentifier OID, qualifiers OPTIONAL } */
		if (der_next(&d, &tag, &info, NULL) || tag != 0x30 || der_next(&info, &tag, &pol, NULL) ||
		    tag != 0x06) {
			found = -EBADMSG;
			break;
		}
		text.len = 0;
		if (x509_oid_text(pol.p, pol.len, &text)) {
			found = -EBADMSG;
			break;
		}
		found = strcmp(text.data, oid) == 0 || (any_ok && strcmp(text.data, "2.5.29.32.0") == 0);
	}
	buf_free(&text);
	return found;
}
