/* x509.c - issuer, subject and validity of an X.509 certificate (DER or PEM). */
#include <errno.h>
#include <string.h>

#include "swanctl.h"
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

/* Key identifiers from the [3] extensions after the subject (best effort: the fields the
 * doctor needs are already read, a malformed extension only leaves these NULL). */
static void x509_extensions(struct der *tbs, struct x509_info *out)
{
	static const unsigned char ski_oid[] = { 0x55, 0x1d, 0x0e }, aki_oid[] = { 0x55, 0x1d, 0x23 };
	struct der x, exts, seq, ext, oid, val, inner, kid;
	unsigned char tag;

	while (tbs->len && der_next(tbs, &tag, &x, NULL) == 0) {
		if (tag != 0xa3)
			continue;
		if (der_next(&x, &tag, &exts, NULL) || tag != 0x30)
			return;
		while (exts.len && der_next(&exts, &tag, &ext, NULL) == 0 && tag == 0x30) {
			seq = ext;
			if (der_next(&seq, &tag, &oid, NULL) || tag != 0x06 || der_next(&seq, &tag, &val, NULL))
				return;
			if (tag == 0x01 && der_next(&seq, &tag, &val, NULL))	/* critical flag */
				return;
			if (tag != 0x04 || oid.len != 3)
				continue;
			inner = val;
			if (memcmp(oid.p, ski_oid, 3) == 0 && der_next(&inner, &tag, &kid, NULL) == 0 && tag == 0x04) {
				out->ski = kid.p;
				out->ski_len = kid.len;
			} else if (memcmp(oid.p, aki_oid, 3) == 0 && der_next(&inner, &tag, &seq, NULL) == 0 &&
				   tag == 0x30 && der_next(&seq, &tag, &kid, NULL) == 0 && tag == 0x80) {
				out->aki = kid.p;
				out->aki_len = kid.len;
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
	rc = swanctl_secret_decode(b64.data, out) ? -EBADMSG : 0;
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
